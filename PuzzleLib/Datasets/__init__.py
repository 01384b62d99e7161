"""Data set loaders. Each returns host (numpy) arrays ready for ``Trainer.trainFromHost``."""
from PuzzleLib.Datasets.DigitsLoader import DigitsLoader
from PuzzleLib.Datasets.ImageFolderLoader import ImageFolderLoader
