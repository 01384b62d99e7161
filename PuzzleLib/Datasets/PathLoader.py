"""PathLoader: the images (or other files) in folders, as one HDF5 dataset."""
import contextlib
import os

from PuzzleLib.Datasets.InputLoader import InputLoader
from PuzzleLib.Errors import DatasetError


class PathLoader(InputLoader):
    """Every file under one or more folders (sub-folders included, walked in sorted order) whose
    name ends in one of ``exts``, through ``onFile`` (see ``InputLoader`` for the other
    parameters and the cache).

    Parameters
    ----------
    doOpen : bool
        Give ``onFile`` an open binary file (True) or the file's full path (False).

    Example::

        >>> import os
        >>> from PIL import Image
        >>> os.makedirs("shots/day")
        >>> Image.new("RGB", (6, 4)).save("shots/a.png"); Image.new("RGB", (6, 4)).save("shots/day/b.png")
        >>> PathLoader(cachename="shots.hdf").load("shots", log=False).shape
        [PathLoader] Building cache shots.hdf ...
        (2, 3, 4, 6)
    """

    def __init__(self, onFile=None, exts=None, dataname=None, cachename=None, onFileList=None, doOpen=True):
        super().__init__(onFile, exts, dataname, cachename, onFileList)
        self.doOpen = bool(doOpen)

    def checkInput(self, name):
        if not os.path.isdir(name):
            raise DatasetError("PathLoader: Path '%s' does not exist" % name if not os.path.exists(name) else
                               "PathLoader: Path '%s' is not a folder" % name)

    def openInput(self, name):
        return contextlib.nullcontext(name)

    def loadFilelist(self, handle):
        files = []
        for root, dirs, names in os.walk(handle):
            dirs.sort()
            for fn in sorted(names):
                files.append(os.path.relpath(os.path.join(root, fn), handle))
        return files

    def openFile(self, handle, file):
        path = os.path.join(handle, file)
        return open(path, "rb") if self.doOpen else path
