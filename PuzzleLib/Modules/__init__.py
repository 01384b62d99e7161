"""Layers. Each public class lives in a file of its own name (``PuzzleLib/Modules/Linear.py``)."""
from PuzzleLib.Modules.Module import Module, ModuleError
from PuzzleLib.Modules.Linear import Linear
from PuzzleLib.Modules.Activation import Activation
from PuzzleLib.Modules.Flatten import Flatten
from PuzzleLib.Modules.Conv1D import Conv1D
from PuzzleLib.Modules.Conv2D import Conv2D
from PuzzleLib.Modules.Conv3D import Conv3D
from PuzzleLib.Modules.Deconv1D import Deconv1D
from PuzzleLib.Modules.Deconv2D import Deconv2D
from PuzzleLib.Modules.Deconv3D import Deconv3D
from PuzzleLib.Modules.MaxPool1D import MaxPool1D
from PuzzleLib.Modules.MaxPool2D import MaxPool2D
from PuzzleLib.Modules.MaxPool3D import MaxPool3D
from PuzzleLib.Modules.AvgPool1D import AvgPool1D
from PuzzleLib.Modules.AvgPool2D import AvgPool2D
from PuzzleLib.Modules.AvgPool3D import AvgPool3D
from PuzzleLib.Modules.BatchNorm import BatchNorm
from PuzzleLib.Modules.BatchNorm1D import BatchNorm1D
from PuzzleLib.Modules.BatchNorm2D import BatchNorm2D
from PuzzleLib.Modules.BatchNorm3D import BatchNorm3D
from PuzzleLib.Modules.InstanceNorm2D import InstanceNorm2D
