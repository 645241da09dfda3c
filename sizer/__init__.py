"""sizer: which local language model can this machine run for this job — measured.

The library API is ``sizer.api``: ``probe()``, ``recommend(workload, hardware)`` and
``bench(models)``; the ``sizer`` command is a thin layer over it (``sizer.cli``).
"""

__version__ = "0.1.0"
