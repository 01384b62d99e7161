"""The exceptions PuzzleLib raises. All derive from :class:`PuzzleLibError`, so one ``except``
catches everything the library refuses, while numpy's own errors never leak through the public API.
"""


class PuzzleLibError(Exception):
    """Base of every error PuzzleLib raises on purpose."""


class ConfigError(PuzzleLibError, ValueError):
    """A configuration value (backend, flag) is not one the library knows."""


class BackendError(PuzzleLibError):
    """The array backend cannot do what was asked (no GPU, unsupported dtype, ...)."""


class VariableError(PuzzleLibError, ValueError):
    """A Variable was given data it cannot hold."""


class ModuleError(PuzzleLibError, ValueError):
    """A module was built with bad arguments or called with data it cannot take."""


class ContainerError(ModuleError):
    """A container (Sequential, Graph, ...) was misused, or one of its modules failed."""


class CostError(PuzzleLibError, ValueError):
    """A cost was given a prediction or target it cannot take."""


class OptimizerError(PuzzleLibError, ValueError):
    """An optimizer was misconfigured or used before ``setupOn``."""


class HandlerError(PuzzleLibError, ValueError):
    """A Trainer / Validator / Calculator was given data it cannot handle."""


class SerializationError(ModuleError):
    """A model file could not be written, read, or does not match the net.

    It is a :class:`ModuleError`, as the error of a failed ``net.load(file)`` is in PuzzleLib 1.0,
    so programs that catch ``ModuleError`` around a load keep working.
    """


class BlueprintError(SerializationError):
    """A blueprint does not describe a net this library can build."""


class DatasetError(PuzzleLibError, ValueError, RuntimeError):
    """A data set could not be found or read (missing files, unreadable images, missing extras).
    Also a RuntimeError, which PuzzleLib 1.0's loaders raise for the same failures."""


class WorkbenchError(PuzzleLibError, ValueError):
    """The workbench (``puzzlelib restore``) was asked for something it cannot do: a bad formula,
    range, data file or setting. The command line prints it on one line with exit status 2."""


class ConverterError(PuzzleLibError, ValueError):
    """A net cannot be converted to another format (ONNX, ...), or a file in one cannot be read."""


class TransformerError(PuzzleLibError, RuntimeError):
    """A data pipeline (PuzzleLib.Transformers) failed: a transformer raised in a worker (its traceback
    is in the message), a worker died, or the pipeline was misused."""


class GridError(PuzzleLibError):
    """Training over several processes (``PuzzleLib.Grid``) failed: no MPI, a rank that raised or
    died, ranks that disagree on what they were given."""
