import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Cast import Cast
from tests.gradcheck import checkModule


def test_gradient_float64_identity_cast():
    checkModule(Cast(np.float64, np.float64), np.random.randn(2, 3))


def test_values_and_gradient_cast_back():
    mod = Cast("float32", np.float64)
    x = np.random.randn(2, 3).astype(np.float32)
    y = mod(to_gpu(x))
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.get(), x.astype(np.float64))
    g = mod.backward(to_gpu(np.full((2, 3), 0.5)))
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g.get(), 0.5)


def test_integer_input_has_no_gradient():
    mod = Cast(np.int32, np.float32)
    np.testing.assert_array_equal(mod(to_gpu(np.array([1, 2], np.int32))).get(), [1.0, 2.0])
    assert mod.backward(to_gpu(np.ones(2, np.float32))) is None


def test_blueprint_uses_dtype_names():
    assert Cast(np.int32, np.float32).getBlueprint()["scheme"] == {"intype": "int32", "outtype": "float32", "name": None}


def test_errors():
    mod = Cast(np.int32, np.float32, name="c")
    with pytest.raises(ModuleError, match=r"Cast 'c'.*dtype int32, got float32"):
        mod(to_gpu(np.zeros(2, np.float32)))
    mod(to_gpu(np.zeros(2, np.int32)))
    with pytest.raises(ModuleError, match=r"Cast 'c'.*gradient of dtype float32, got float64"):
        mod.backward(to_gpu(np.zeros(2, np.float64)))
    with pytest.raises(ModuleError, match=r"Cast.*intype must be a dtype.*'bogus'"):
        Cast("bogus", np.float32)
