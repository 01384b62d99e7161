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


def test_nested_lists_flatten_in_order_and_gradients_regroup_as_the_input_was_nested():
    a, b, c = (to_gpu(np.full(shape, v, np.float32)) for shape, v in (((2, 2), 1.0), ((1, 3), 2.0), ((4,), 3.0)))
    mod = ToList()
    out = mod([[a, b], c])
    assert [o.shape for o in out] == [(2, 2), (1, 3), (4,)]
    assert [float(o.get().ravel()[0]) for o in out] == [1.0, 2.0, 3.0]
    assert mod.dataShapeFrom([(2, 2), [(1, 3), (4,)]]) == [(2, 2), (1, 3), (4,)]

    grads = [to_gpu(np.full(o.shape, 10.0 + i, np.float32)) for i, o in enumerate(out)]
    back = mod.backward(grads)
    assert isinstance(back, list) and isinstance(back[0], list) and len(back[0]) == 2
    assert back[0][0] is grads[0] and back[0][1] is grads[1] and back[1] is grads[2]
    assert mod.gradShapeFrom([(2, 2), (1, 3), (4,)]) == [[(2, 2), (1, 3)], (4,)]
