"""Costs (error functions). Each returns the negative gradient of its error."""
from PuzzleLib.Cost.Cost import Cost, CostError
from PuzzleLib.Cost.MSE import MSE
from PuzzleLib.Cost.CrossEntropy import CrossEntropy
from PuzzleLib.Cost.CTC import CTC
from PuzzleLib.Cost.Abs import Abs
from PuzzleLib.Cost.SmoothL1 import SmoothL1
from PuzzleLib.Cost.BCE import BCE
from PuzzleLib.Cost.Hinge import Hinge
from PuzzleLib.Cost.SVM import SVM
from PuzzleLib.Cost.KLDivergence import KLDivergence
from PuzzleLib.Cost.L1Hinge import L1Hinge
from PuzzleLib.Cost.Multi import Multi
