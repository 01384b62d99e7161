"""Small helpers the loaders share: reading whole files with errors that name them."""
import os

from PuzzleLib.Errors import DatasetError


def checkPath(owner, path):
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise DatasetError("%s: path must be a folder, got %r" % (owner, path))
    path = os.fsdecode(path)
    if not os.path.isdir(path):
        raise DatasetError("%s: folder %s does not exist" % (owner, path))
    return path


def readFile(owner, filename):
    try:
        with open(filename, "rb") as f:
            return f.read()
    except FileNotFoundError as e:
        raise DatasetError("%s: %s is missing" % (owner, filename)) from e
    except OSError as e:
        raise DatasetError("%s: cannot read %s: %s" % (owner, filename, e)) from e
