"""Data set loaders. DigitsLoader and ImageFolderLoader return host (numpy) arrays; the others
(PuzzleLib 1.0's) convert files on disk once into an HDF5 cache and return its h5py datasets.
``InputLoader`` and ``Utils`` are also importable by module path, as in PuzzleLib 1.0."""
from PuzzleLib.Datasets import Utils
from PuzzleLib.Datasets.Cifar10Loader import Cifar10Loader
from PuzzleLib.Datasets.DataLoader import DataLoader
from PuzzleLib.Datasets.DigitsLoader import DigitsLoader
from PuzzleLib.Datasets.IMDBLoader import IMDBLoader
from PuzzleLib.Datasets.ImageFolderLoader import ImageFolderLoader
from PuzzleLib.Datasets.InputLoader import InputLoader
from PuzzleLib.Datasets.MnistLoader import MnistLoader
from PuzzleLib.Datasets.PathLoader import PathLoader
from PuzzleLib.Datasets.SmallNorbLoader import SmallNorbLoader
from PuzzleLib.Datasets.TarLoader import TarLoader
from PuzzleLib.Datasets.ZipLoader import ZipLoader
