"""Costs (error functions). Each returns the negative gradient of its error."""
from PuzzleLib.Cost.Cost import Cost, CostError
from PuzzleLib.Cost.MSE import MSE
from PuzzleLib.Cost.CrossEntropy import CrossEntropy
from PuzzleLib.Cost.CTC import CTC
