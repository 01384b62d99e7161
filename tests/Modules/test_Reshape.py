import logging

import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import ModuleError
from PuzzleLib.Modules.Reshape import Reshape
from tests.gradcheck import checkModule


@pytest.mark.parametrize("shape,inshape", [((0, -1), (2, 3, 2)), ((-1, 1, 2, 3), (2, 6)), ((0, 3, 2), (2, 6))])
def test_gradients(shape, inshape):
    checkModule(Reshape(shape), np.random.randn(*inshape))


def test_shapes():
    mod = Reshape((0, 2, -1))
    x = np.arange(24, dtype=np.float32).reshape(3, 8)
    np.testing.assert_array_equal(mod(to_gpu(x)).get(), x.reshape(3, 2, 4))
    assert mod.dataShapeFrom((3, 8)) == (3, 2, 4)
    assert mod.gradShapeFrom((3, 2, 4)) == (3, 8)


def test_batch_change_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="PuzzleLib"):
        Reshape((-1,), name="r")(to_gpu(np.zeros((2, 3), np.float32)))
    assert "Reshape 'r'" in caplog.text and "batch size" in caplog.text


def test_errors():
    with pytest.raises(ModuleError, match=r"Reshape 'r'.*\(2, 3\) \(6 values\) to \(4, -1\)"):
        Reshape((4, -1), name="r")(to_gpu(np.zeros((2, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"Reshape.*\(2, 3\) \(6 values\) to \(5,\) \(5 values\)"):
        Reshape((5,), showWarnings=False)(to_gpu(np.zeros((2, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"Reshape.*at most one -1"):
        Reshape((-1, -1))
    with pytest.raises(ModuleError, match=r"Reshape.*shape"):
        Reshape("abc")
