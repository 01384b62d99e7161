"""Classic nets, each built by a function that returns a ``Sequential``."""
from PuzzleLib.Models.Nets.LeNet import loadLeNet
from PuzzleLib.Models.Nets.ResNet import loadResNet
