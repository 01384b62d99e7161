"""Optimizers. Updates add gradients, which are descent directions."""
from PuzzleLib.Optimizers.Optimizer import Optimizer, OptimizerError
from PuzzleLib.Optimizers.SGD import SGD
from PuzzleLib.Optimizers.MomentumSGD import MomentumSGD
