"""The tests' name for the library's public gradient checker (``PuzzleLib.Testing.gradcheck``).

Usage::

    from tests.gradcheck import checkModule
    checkModule(Linear(3, 4), inputs=np.random.randn(5, 3))
"""
from PuzzleLib.Testing.GradientCheck import gradcheck as checkModule, numericalGrad  # noqa: F401
