"""sizer: which local language model can this machine run for this job — measured."""

__version__ = "0.1.0"
