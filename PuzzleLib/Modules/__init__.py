"""Layers. Each public class lives in a file of its own name (``PuzzleLib/Modules/Linear.py``)."""
from PuzzleLib.Modules.Module import Module, ModuleError
from PuzzleLib.Modules._initscheme import InitScheme
from PuzzleLib.Modules.Linear import Linear
from PuzzleLib.Modules.Activation import (Activation, ActivationType, sigmoid, tanh, relu, leakyRelu, elu, softPlus,
                                          clip)
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
from PuzzleLib.Modules.ToList import ToList
from PuzzleLib.Modules.Penalty import Penalty, PenaltyMode
from PuzzleLib.Modules.NoiseInjector import NoiseInjector, InjectMode, NoiseType
from PuzzleLib.Modules.KMaxPool import KMaxPool
from PuzzleLib.Modules.DepthConcat import DepthConcat
from PuzzleLib.Modules.Glue import Glue
from PuzzleLib.Modules.Embedder import Embedder
from PuzzleLib.Modules.GroupLinear import GroupLinear, GroupMode
from PuzzleLib.Modules.Dropout import Dropout
from PuzzleLib.Modules.Dropout2D import Dropout2D
from PuzzleLib.Modules.Reshape import Reshape
from PuzzleLib.Modules.SoftMax import SoftMax
from PuzzleLib.Modules.Identity import Identity
from PuzzleLib.Modules.Add import Add
from PuzzleLib.Modules.Mul import Mul
from PuzzleLib.Modules.Concat import Concat
from PuzzleLib.Modules.Split import Split
from PuzzleLib.Modules.Gelu import Gelu
from PuzzleLib.Modules.PRelu import PRelu
from PuzzleLib.Modules.Pad1D import Pad1D
from PuzzleLib.Modules.Pad2D import Pad2D, PadMode
from PuzzleLib.Modules.Upsample2D import Upsample2D, UpsampleMode
from PuzzleLib.Modules.Sum import Sum
from PuzzleLib.Modules.Transpose import Transpose
from PuzzleLib.Modules.SwapAxes import SwapAxes
from PuzzleLib.Modules.MoveAxis import MoveAxis
from PuzzleLib.Modules.Slice import Slice
from PuzzleLib.Modules.Tile import Tile
from PuzzleLib.Modules.Replicate import Replicate
from PuzzleLib.Modules.Cast import Cast
from PuzzleLib.Modules.MulAddConst import MulAddConst
from PuzzleLib.Modules.RNN import RNN, RNNMode, DirectionMode
from PuzzleLib.Modules.SpatialTf import SpatialTf
from PuzzleLib.Modules.MaxUnpool2D import MaxUnpool2D
from PuzzleLib.Modules.Upsample3D import Upsample3D
from PuzzleLib.Modules.LRN import LRN
from PuzzleLib.Modules.CrossMapLRN import CrossMapLRN
from PuzzleLib.Modules.MapLRN import MapLRN
from PuzzleLib.Modules.LCN import LCN
from PuzzleLib.Modules.SubtractMean import SubtractMean
