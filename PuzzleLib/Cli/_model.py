"""Reading a model file named on the command line (predict, formula, export share it)."""
import os


def loadModel(path, usageError):
    """The net in ``path`` (a file with a blueprint), or ``usageError(message)`` raised on one line:
    the file is missing, not a file, or not a PuzzleLib model file."""
    if not os.path.exists(path):
        raise usageError("model file %s does not exist" % path)
    if not os.path.isfile(path):
        raise usageError("model file %s is not a file" % path)
    from PuzzleLib import Blueprint
    from PuzzleLib.Errors import PuzzleLibError

    try:
        return Blueprint.load(path)
    except PuzzleLibError as e:
        raise usageError("cannot load %s: %s" % (path, e)) from None
    except OSError as e:
        raise usageError("cannot load %s: not a PuzzleLib model file (%s)" % (path, e)) from None
