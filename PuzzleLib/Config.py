"""Global configuration: which array backend serves ``Backend.gpuarray``, global flags, logger.

Set ``Config.backend`` before the first use of ``PuzzleLib.Backend.gpuarray`` (in practice: before
building the first module). The default, ``Backend.auto``, picks CUDA when CuPy imports and sees a
device and the CPU (numpy) otherwise; the environment variable ``PUZZLELIB_BACKEND`` (``cpu``,
``cuda``, ``auto``) sets the default. Nothing here does any work at import time.

Example::

    from PuzzleLib import Config
    Config.backend = Config.Backend.cpu
    from PuzzleLib.Modules import Linear
"""
import enum
import logging
import os


class Backend(str, enum.Enum):
    """The array backends. ``hip`` and ``intel`` are upstream names served by the CPU backend here."""
    cpu = "cpu"
    cuda = "cuda"
    auto = "auto"
    hip = "hip"
    intel = "intel"


def _backendFromEnv():
    value = os.environ.get("PUZZLELIB_BACKEND", "auto").strip().lower() or "auto"
    try:
        return Backend(value)
    except ValueError:
        from PuzzleLib.Errors import ConfigError
        raise ConfigError(
            "PUZZLELIB_BACKEND=%r is not a backend; expected one of %s" % (value, ", ".join(b.value for b in Backend))
        ) from None


backend = _backendFromEnv()

globalEvalMode = False
disableDtypeShapeChecks = False
showWarnings = True
# Trainer replays a captured step (the same kernels on the same buffers, bit for bit the same
# numbers) for the later batches of each size; False runs every batch through the modules
captureSteps = True

# index of the CUDA device the cuda backend uses
deviceIdx = int(os.environ.get("PUZZLELIB_DEVICE", "0") or 0)

_logger = None


def getLogger():
    """The library's logger, named "PuzzleLib": warnings go to stderr as ``[PuzzleLib] ...`` unless
    the program configures logging; what it merely reports (the backend ``auto`` chose) is logged
    at INFO, shown after ``Config.getLogger().setLevel("INFO")``."""
    global _logger
    if _logger is None:
        _logger = logging.getLogger("PuzzleLib")
        if not _logger.handlers and not logging.getLogger().handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("[PuzzleLib] %(message)s"))
            _logger.addHandler(handler)
            _logger.setLevel(logging.WARNING)
            _logger.propagate = False
    return _logger
