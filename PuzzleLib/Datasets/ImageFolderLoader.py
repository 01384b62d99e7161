"""ImageFolderLoader: a user's own images, one sub-folder per class, read through Pillow."""
import numbers
import os

import numpy as np

from PuzzleLib.Errors import DatasetError

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


class ImageFolderLoader:
    """Loads ``root/<class name>/<image>`` files into arrays; classes are the sub-folders in sorted
    order and labels index them. Images in folders inside a class folder belong to that class
    (``root/cats/2019/a.jpg`` is a cat); rows follow the paths, sorted folder by folder. Hidden
    files and folders (names starting with ".", such as ``.ipynb_checkpoints`` or macOS's
    ``._a.jpg``) are skipped.

    Parameters
    ----------
    size : (height, width) or int, optional
        Resize every image to this size (bilinear). Without it, all images must share one size.
    grayscale : bool
        Convert to one channel ("L"); otherwise to three ("RGB").
    normalize : bool
        Scale pixel values from 0..255 to 0..1.
    extensions : str or tuple of str
        File ending(s) taken as images (case-insensitive); other files are ignored. Pixels are
        read at 8 bits per channel: Pillow scales 16-bit colour PNGs down, while 16-bit grey,
        32-bit and float images are refused rather than clipped; a photo's EXIF orientation is
        applied, and a class folder without images is an error.

    Returns (from ``load(root)``)
    -----------------------------
    data: float32 (N, C, H, W); labels: int32 (N,). ``self.classes`` lists the class names and
    ``self.files`` the image paths in the order of the rows.

    Example::

        >>> loader = ImageFolderLoader(size=32)
        >>> data, labels = loader.load("photos")      # photos/cats/*.jpg, photos/dogs/*.jpg
        >>> loader.classes
        ['cats', 'dogs']
        >>> data.shape, labels   # two cats, one dog
        ((3, 3, 32, 32), array([0, 0, 1], dtype=int32))
    """

    def __init__(self, size=None, grayscale=False, normalize=True, extensions=EXTENSIONS):
        if size is not None:
            if isinstance(size, numbers.Integral) and not isinstance(size, bool):
                size = (size, size)
            if not (isinstance(size, (tuple, list)) and len(size) == 2 and
                    all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0 for s in size)):
                raise DatasetError("ImageFolderLoader: size must be None, a positive int or (height, width), got %r" % (
                    size,))
            size = tuple(int(s) for s in size)
        self.size = size
        self.grayscale = bool(grayscale)
        self.normalize = bool(normalize)
        if isinstance(extensions, str):
            extensions = (extensions,)  # one ending, not its characters
        if not (isinstance(extensions, (tuple, list)) and extensions and
                all(isinstance(e, str) and e for e in extensions)):
            raise DatasetError("ImageFolderLoader: extensions must be a file ending such as '.png' or a non-empty "
                               "sequence of them, got %r" % (extensions,))
        self.extensions = tuple(e.lower() for e in extensions)
        self.classes = []
        self.files = []

    def _pil(self):
        try:
            from PIL import Image, ImageOps
        except ImportError as e:
            raise DatasetError("ImageFolderLoader: reading images needs Pillow; "
                               "pip install 'puzzlelib[datasets]' (or Pillow)") from e
        return Image, ImageOps

    def load(self, root):
        """(data, labels) for every image under ``root/<class>/``."""
        Image, ImageOps = self._pil()
        if not isinstance(root, (str, bytes, os.PathLike)):
            raise DatasetError("ImageFolderLoader: root must be a folder path, got %r" % (root,))
        root = os.fsdecode(root)
        if not os.path.isdir(root):
            raise DatasetError("ImageFolderLoader: %r is not a folder" % (root,))
        classes = sorted(d for d in _listdir(root) if os.path.isdir(os.path.join(root, d)))
        if not classes:
            raise DatasetError("ImageFolderLoader: %r has no sub-folders (one per class expected)" % (root,))

        files, labels = [], []
        empty = []
        for label, cname in enumerate(classes):
            before = len(files)
            for path in _imagesUnder(os.path.join(root, cname), self.extensions):
                files.append(path)
                labels.append(label)
            if len(files) == before:
                empty.append(cname)
        if not files:
            raise DatasetError("ImageFolderLoader: no images (%s) in the class folders of %r" % (
                ", ".join(self.extensions), root))
        if empty:
            # a class without samples would still take a label and an output of the net
            raise DatasetError("ImageFolderLoader: class folder%s %s of %r hold%s no images (%s); remove %s or add "
                               "images" % ("s" if len(empty) > 1 else "", ", ".join(repr(c) for c in empty), root,
                                           "" if len(empty) > 1 else "s", ", ".join(self.extensions),
                                           "them" if len(empty) > 1 else "it"))

        mode = "L" if self.grayscale else "RGB"
        images = []
        expected = None
        for path in files:
            try:
                with Image.open(path) as img:
                    if img.mode in ("I", "F") or img.mode.startswith("I;"):
                        # Pillow's convert to "L"/"RGB" clips such pixels to 255 instead of scaling them
                        raise DatasetError("ImageFolderLoader: %s has 16-bit, 32-bit or float pixels (mode %s); "
                                           "only 8-bit images are read: convert it to 8 bits per channel"
                                           % (path, img.mode))
                    img = ImageOps.exif_transpose(img)  # upright, as a photo viewer shows it
                    img = img.convert(mode)
                    if self.size is not None:
                        img = img.resize((self.size[1], self.size[0]), Image.BILINEAR)
                    ary = np.asarray(img, dtype=np.float32)
            except DatasetError:
                raise
            except (OSError, ValueError) as e:
                raise DatasetError("ImageFolderLoader: cannot read image %s: %s" % (path, e)) from e
            if expected is None:
                expected = (ary.shape, path)
            elif ary.shape != expected[0]:
                raise DatasetError("ImageFolderLoader: %s is %dx%d but %s is %dx%d; pass size=(height, width) to "
                                   "resize them" % (path, ary.shape[0], ary.shape[1], expected[1],
                                                    expected[0][0], expected[0][1]))
            images.append(ary)

        data = np.stack(images)
        data = data[:, None] if self.grayscale else data.transpose(0, 3, 1, 2)
        data = np.ascontiguousarray(data)
        if self.normalize:
            data /= 255.0
        self.classes = classes
        self.files = files
        return data, np.array(labels, dtype=np.int32)

    def __repr__(self):
        return "ImageFolderLoader(size=%r, grayscale=%s)" % (self.size, self.grayscale)


def _listdir(folder):
    """The entries of ``folder`` but hidden ones (``.ipynb_checkpoints``, macOS's ``._a.jpg``)."""
    try:
        return [name for name in os.listdir(folder) if not name.startswith(".")]
    except OSError as e:
        raise DatasetError("ImageFolderLoader: cannot list folder %s: %s" % (folder, e)) from e


def _imagesUnder(folder, extensions, seen=None):
    """Paths of the files ending in one of ``extensions`` in ``folder`` and the folders inside it,
    in sorted order; a folder reached again through a symbolic link is visited once."""
    seen = set() if seen is None else seen
    real = os.path.realpath(folder)
    if real in seen:
        return []
    seen.add(real)
    found = []
    for name in sorted(_listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            found.extend(_imagesUnder(path, extensions, seen))
        elif name.lower().endswith(extensions) and (os.path.isfile(path) or os.path.islink(path)):
            found.append(path)  # a broken link is an image that cannot be read, not one to skip
    return found
