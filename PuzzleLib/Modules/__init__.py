"""Layers. Each public class lives in a file of its own name (``PuzzleLib/Modules/Linear.py``)."""
from PuzzleLib.Modules.Module import Module, ModuleError
from PuzzleLib.Modules.Linear import Linear
from PuzzleLib.Modules.Activation import Activation
from PuzzleLib.Modules.Flatten import Flatten
