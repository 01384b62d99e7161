"""Optimizers. Updates add gradients, which are descent directions."""
from PuzzleLib.Optimizers.Optimizer import Optimizer, OptimizerError
from PuzzleLib.Optimizers.SGD import SGD
from PuzzleLib.Optimizers.MomentumSGD import MomentumSGD
from PuzzleLib.Optimizers.NesterovSGD import NesterovSGD
from PuzzleLib.Optimizers.Adam import Adam
from PuzzleLib.Optimizers.AdaGrad import AdaGrad
from PuzzleLib.Optimizers.AdaDelta import AdaDelta
from PuzzleLib.Optimizers.RMSProp import RMSProp
from PuzzleLib.Optimizers.RMSPropGraves import RMSPropGraves
from PuzzleLib.Optimizers.SMORMS3 import SMORMS3
