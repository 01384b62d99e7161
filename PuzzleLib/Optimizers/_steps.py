"""In-place pieces shared by the adaptive optimizers' update rules (xp arrays, no allocation)."""
from PuzzleLib.Backend import gpuarray


def runningMean(avg, x, factor, scratch):
    """``avg = factor * avg + (1 - factor) * x``."""
    gpuarray.xp.multiply(x, 1.0 - factor, out=scratch)
    avg *= factor
    avg += scratch


def runningMeanOfSquares(avg, x, factor, scratch):
    """``avg = factor * avg + (1 - factor) * x**2``."""
    gpuarray.xp.multiply(x, x, out=scratch)
    scratch *= 1.0 - factor
    avg *= factor
    avg += scratch


def scaledStep(param, num, den, learnRate, epsilon, scratch):
    """``param += learnRate * num / (sqrt(den) + epsilon)``."""
    xp = gpuarray.xp
    xp.sqrt(den, out=scratch)
    scratch += epsilon
    xp.divide(num, scratch, out=scratch)
    scratch *= learnRate
    param += scratch
