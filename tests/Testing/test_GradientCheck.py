"""PuzzleLib.Testing.gradcheck: passes a right backward pass, names the gradient of a wrong one."""
import numpy as np
import pytest

from PuzzleLib.Modules import Linear
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Testing import gradcheck, numericalGrad


class _Square(Module):
    """y = x**2 with a backward pass that can be made wrong by a factor."""

    def __init__(self, factor=2.0):
        super().__init__()
        self.factor = factor

    def updateData(self, data):
        self.data = data * data

    def updateGrad(self, grad):
        self.grad = grad * self.inData * self.factor

    def dataShapeFrom(self, shape):
        return shape

    def gradShapeFrom(self, shape):
        return shape


def test_rightGradientsPass():
    analytic, numeric = gradcheck(Linear(3, 2), np.random.randn(4, 3))
    assert set(analytic) == {"input0", "W", "b"}
    np.testing.assert_allclose(analytic["W"], numeric["W"], rtol=1e-5)


def test_customModuleRight():
    analytic, numeric = gradcheck(_Square(2.0), np.random.randn(3, 5))
    np.testing.assert_allclose(analytic["input0"], numeric["input0"], rtol=1e-5)


def test_wrongGradientIsNamed():
    with pytest.raises(AssertionError, match="input0"):
        gradcheck(_Square(3.0), np.random.randn(3, 5))


def test_nothingCheckedIsAnError():
    with pytest.raises(AssertionError, match="nothing was checked"):
        gradcheck(_Square(2.0), np.random.randn(3, 5), checkInput=False)


def test_numericalGradByHand():
    a = np.array([0.5, -1.0, 3.0])
    grad = numericalGrad(lambda: float(np.sum(a ** 3)), a, 1e-5)
    np.testing.assert_allclose(grad, 3 * np.array([0.25, 1.0, 9.0]), rtol=1e-8)
    np.testing.assert_array_equal(a, [0.5, -1.0, 3.0])
