"""The base Module with lists of inputs (Add, Concat, ...) and lists of outputs (Split, Replicate)."""
import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import Module, ModuleError
from tests.gradcheck import checkModule


class _WeightedPair(Module):
    """A user-written two-input, two-output module: [a, b] -> [a + 2b, a * b]."""

    def __init__(self, name=None):
        super().__init__(name)
        self.seenShapes = []

    def checkDataShape(self, shapes):
        self.seenShapes.append(shapes)
        if shapes[0] != shapes[1]:
            raise self._error("expected two arrays of one shape, got %s" % (shapes,))

    def updateData(self, data):
        a, b = data
        self.data = [a + 2 * b, a * b]

    def updateGrad(self, grad):
        a, b = self.inData
        g1, g2 = grad
        self.grad = [g1 + g2 * b, 2 * g1 + g2 * a]


def test_user_module_with_lists_passes_gradcheck():
    checkModule(_WeightedPair(), [np.random.randn(2, 3), np.random.randn(2, 3)])


def test_shapes_checked_once_per_new_key():
    mod = _WeightedPair()
    x = [to_gpu(np.ones((2, 3), np.float32))] * 2
    mod(x)
    mod(x)
    assert mod.seenShapes == [[(2, 3), (2, 3)]]
    with pytest.raises(ModuleError, match=r"_WeightedPair 'w'.*\[\(2, 3\), \(2, 2\)\]"):
        _WeightedPair(name="w")([x[0], to_gpu(np.ones((2, 2), np.float32))])


def test_each_input_dtype_checked():
    with pytest.raises(ModuleError, match=r"_WeightedPair.*float32, got int32"):
        _WeightedPair()([to_gpu(np.ones(2, np.float32)), to_gpu(np.ones(2, np.int32))])


def test_gradient_lists_checked():
    mod = _WeightedPair(name="w")
    x = [to_gpu(np.ones((2, 3), np.float32))] * 2
    mod(x)
    g = to_gpu(np.ones((2, 3), np.float32))
    with pytest.raises(ModuleError, match=r"'w'.*gradients of shapes \[\(2, 3\), \(2, 3\)\].*\[\(2, 3\)\]"):
        mod.backward([g])
    with pytest.raises(ModuleError, match=r"'w'.*gradient of dtype float32, got float64"):
        mod.backward([g, to_gpu(np.ones((2, 3), np.float64))])
    with pytest.raises(ModuleError, match=r"'w'.*list of device arrays as gradient.*GPUArray, str"):
        mod.backward([g, "x"])
    assert len(mod.backward([g, g])) == 2


def test_list_gradient_into_single_output_module():
    from PuzzleLib.Modules import Linear
    lin = Linear(3, 2, name="fc")
    lin(to_gpu(np.ones((4, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"Linear 'fc'.*one gradient array.*list of 2"):
        lin.backward([to_gpu(np.ones((4, 2), np.float32))] * 2)
