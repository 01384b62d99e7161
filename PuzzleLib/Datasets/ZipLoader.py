"""ZipLoader: the images (or other files) inside zip files, as one HDF5 dataset."""
import zipfile

from PuzzleLib.Datasets.InputLoader import InputLoader
from PuzzleLib.Errors import DatasetError


class ZipLoader(InputLoader):
    """Every member of one or more zip files whose name ends in one of ``exts``, through
    ``onFile``, in the zip's order (see ``InputLoader`` for the parameters and the cache).

    Example::

        >>> import io, zipfile
        >>> from PIL import Image
        >>> with zipfile.ZipFile("faces.zip", "w") as zf:
        ...     for i in range(3):
        ...         buf = io.BytesIO(); Image.new("RGB", (4, 5), (i, 0, 255)).save(buf, "png")
        ...         zf.writestr("img%d.png" % i, buf.getvalue())
        >>> data = ZipLoader().load("faces.zip", log=False)
        [ZipLoader] Building cache faces.hdf ...
        >>> data.shape, str(data.dtype), float(data[0, 2, 0, 0])
        ((3, 3, 5, 4), 'float32', 1.0)
    """

    def checkInput(self, name):
        if not zipfile.is_zipfile(name):
            raise DatasetError("ZipLoader: '%s' is not zip file" % name)

    def openInput(self, name):
        try:
            return zipfile.ZipFile(name)
        except (zipfile.BadZipFile, OSError) as e:
            raise DatasetError("ZipLoader: '%s' is not a readable zip file (%s)" % (name, e)) from e

    def loadFilelist(self, handle):
        return [info.filename for info in handle.infolist() if not info.is_dir()]

    def openFile(self, handle, file):
        return handle.open(file)
