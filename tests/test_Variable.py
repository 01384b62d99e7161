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


def test_a_new_gradient_array_is_not_taken_for_zeros():
    # after an optimizer's zeroGradParams() a gradient may be written straight into .grad; a
    # gradient array assigned afterwards holds values of its own, which backward must add to
    from PuzzleLib.Modules import Linear
    from PuzzleLib.Optimizers import SGD
    np.random.seed(2)
    lin = Linear(3, 2)
    opt = SGD(0.1)
    opt.setupOn(lin)
    x = np.random.randn(4, 3).astype(np.float32)
    g = np.random.randn(4, 2).astype(np.float32)
    lin(gpuarray.to_gpu(x))
    opt.zeroGradParams()
    W = lin.vars["W"]
    W.grad = gpuarray.to_gpu(np.ones((3, 2), np.float32))
    lin.backward(gpuarray.to_gpu(g), momentum=1.0)
    np.testing.assert_allclose(W.grad.get(), 1.0 + x.T @ g, rtol=1e-5)


def test_set_casts_a_host_array_of_another_float_dtype_on_every_backend():
    # CuPy's ndarray.set takes only an array of the same dtype; numpy's copy casts (same_kind): the
    # Variable gives both backends the CPU's meaning, and refuses what no same_kind cast allows
    var = Variable(np.zeros((2, 2), np.float32), name="v")
    var.set(np.full((2, 2), 0.5))  # float64 values
    assert var.dtype == np.float32
    np.testing.assert_array_equal(var.data.get(), np.full((2, 2), 0.5, np.float32))
    var.set(gpuarray.to_gpu(np.full((2, 2), 2.0)))  # a float64 device array
    np.testing.assert_array_equal(var.data.get(), np.full((2, 2), 2.0, np.float32))
    with pytest.raises(VariableError, match=r"'v'.*complex128.*float32"):
        var.set(np.ones((2, 2), np.complex128))
    np.testing.assert_array_equal(var.data.get(), np.full((2, 2), 2.0, np.float32))
