import numpy as np
import pytest

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import VariableError
from PuzzleLib.Variable import Variable


def test_defaults():
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    var = Variable(host, name="W")
    assert isinstance(var.data, gpuarray.GPUArray)
    np.testing.assert_array_equal(var.data.get(), host)
    host[0, 0] = 100.0  # a host array is copied
    assert var.data.get()[0, 0] == 0.0
    assert var.grad.shape == (2, 3) and var.grad.dtype == np.float32
    assert np.all(var.grad.get() == 0)
    assert var.learnRate == 1.0 and var.momRate == 1.0 and var.wc == 0.0
    assert var.name == "W" and var.shape == (2, 3) and var.dtype == np.float32 and var.hasGrad


def test_without_grad_and_with_given_grad():
    assert Variable(np.zeros(3, np.float32), withgrad=False).grad is None
    grad = gpuarray.zeros((3,), np.float32)
    assert Variable(np.zeros(3, np.float32), grad=grad).grad is grad
    with pytest.raises(VariableError, match=r"'v'.*\(4,\).*\(3,\)"):
        Variable(np.zeros(3, np.float32), name="v", grad=gpuarray.zeros((4,), np.float32))


def test_refuses_non_arrays():
    with pytest.raises(VariableError, match=r"'v'.*array.*list"):
        Variable([1.0, 2.0], name="v")


def test_set():
    var = Variable(np.zeros((2, 2), np.float32), name="v")
    var.set(np.ones((2, 2), np.float32))
    np.testing.assert_array_equal(var.data.get(), np.ones((2, 2)))
    var.set(Variable(np.full((2, 2), 3.0, np.float32)))
    np.testing.assert_array_equal(var.data.get(), np.full((2, 2), 3.0))
    with pytest.raises(VariableError, match=r"'v'.*\(3,\).*\(2, 2\)"):
        var.set(np.ones(3, np.float32))
    np.testing.assert_array_equal(var.data.get(), np.full((2, 2), 3.0))
