"""One exception hierarchy; the CLI turns each into one clear line and an exit code.

Library code raises these with a message that says what is wrong *and* what to do.
Anything else that escapes is a bug and is shown with a traceback.
"""


class SizerError(Exception):
    """Base class: a problem the user can act on."""

    exit_code = 1


class InputError(SizerError):
    """A file or argument the user gave is unusable (garbled, wrong format, hostile)."""

    exit_code = 2


class HardwareError(SizerError):
    """Hardware needed for the requested action is missing or failed."""

    exit_code = 3


class MeasurementError(SizerError):
    """A measurement could not be completed (kernel failed, worker crashed)."""

    exit_code = 4
