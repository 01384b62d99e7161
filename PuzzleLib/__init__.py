"""PuzzleLib: a small, explicit deep-learning framework.

Programs written for PuzzleLib 1.0 run unchanged: on a CPU through numpy, on NVIDIA GPUs through
CuPy. Importing the package does no work; the array backend is chosen on first use of
``PuzzleLib.Backend.gpuarray`` (see :mod:`PuzzleLib.Config`).
"""
__version__ = "1.1.0"
