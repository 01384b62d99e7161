"""TarLoader: the images (or other files) inside tar files, as one HDF5 dataset."""
import tarfile

from PuzzleLib.Datasets.InputLoader import InputLoader
from PuzzleLib.Errors import DatasetError


class TarLoader(InputLoader):
    """Every member of one or more tar files (plain or compressed) whose name ends in one of
    ``exts``, through ``onFile``, in the archive's order (see ``InputLoader`` for the parameters
    and the cache).

    Example::

        >>> import io, tarfile
        >>> from PIL import Image
        >>> with tarfile.open("faces.tar", "w") as tar:
        ...     for i in range(2):
        ...         buf = io.BytesIO(); Image.new("L", (3, 3), 255).save(buf, "png")
        ...         info = tarfile.TarInfo("img%d.png" % i); info.size = buf.tell(); _ = buf.seek(0)
        ...         _ = tar.addfile(info, buf)
        >>> data = TarLoader().load("faces.tar", log=False)
        [TarLoader] Building cache faces.hdf ...
        >>> data.shape
        (2, 1, 3, 3)
    """

    def checkInput(self, name):
        try:
            ok = tarfile.is_tarfile(name)
        except OSError:
            ok = False
        if not ok:
            raise DatasetError("TarLoader: '%s' is not tar file" % name)

    def openInput(self, name):
        try:
            return tarfile.open(name)
        except (tarfile.TarError, OSError) as e:
            raise DatasetError("TarLoader: '%s' is not a readable tar file (%s)" % (name, e)) from e

    def loadFilelist(self, handle):
        return [m.name for m in handle.getmembers() if m.isfile()]

    def openFile(self, handle, file):
        return handle.extractfile(file)
