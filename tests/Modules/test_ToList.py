import numpy as np

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Parallel, Sequential
from PuzzleLib.Modules import Linear, ToList
from tests.gradcheck import checkModule


def test_array_becomes_one_element_list_and_back():
    mod = ToList()
    x = to_gpu(np.random.randn(2, 3).astype(np.float32))
    out = mod(x)
    assert isinstance(out, list) and len(out) == 1 and out[0] is x
    g = to_gpu(np.ones((2, 3), np.float32))
    assert mod.backward([g]) is g
    assert mod.dataShapeFrom((2, 3)) == [(2, 3)]


def test_list_passes_as_list():
    mod = ToList()
    xs = (to_gpu(np.zeros((1, 2), np.float32)), to_gpu(np.zeros((1, 3), np.float32)))
    assert mod(xs) == list(xs)


def test_gradients_in_front_of_parallel():
    net = Sequential().append(Linear(3, 2)).append(ToList()).append(Parallel().append(Linear(2, 4)))
    analytic, _ = checkModule(net, np.random.randn(3, 3))
    assert {"input0", "0.W", "2.0.W"} <= set(analytic)
    checkModule(ToList(), [np.random.randn(2, 2), np.random.randn(1, 3)])
