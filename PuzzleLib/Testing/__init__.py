"""Tools for checking what you build on PuzzleLib: the gradient checker the library's own tests use.

``gradcheck(module, inputs)`` compares a module's backward pass (its input gradient and every
parameter's gradient) with central differences in float64, and raises ``AssertionError`` naming
the gradient that disagrees. Use it for modules you write yourself.
"""
from PuzzleLib.Testing.GradientCheck import gradcheck, numericalGrad

__all__ = ["gradcheck", "numericalGrad"]
