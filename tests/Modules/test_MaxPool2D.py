import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import MaxPool2D, ModuleError
from tests.gradcheck import checkModule
from tests.Modules._imageref import poolRef
from tests.Modules._jitpath import compiledActive, compiledKernels, numpyKernels, thisThreadKernels  # noqa: F401 (fixtures)

GEOMETRIES = [(2, 2, 0), (3, 2, 1), ((2, 3), (1, 2), (1, 0)), (3, 1, 2), (2, (3, 4), 1)]  # last: stride > size


@pytest.mark.parametrize("size,stride,pad", GEOMETRIES)
def test_forward_matches_loops(size, stride, pad):
    mod = MaxPool2D(size, stride, pad)
    x = np.random.randn(2, 3, 7, 6).astype(np.float32)
    out = mod(to_gpu(x)).get()
    ref = poolRef(x, mod.size, mod.stride, mod.pad, "max")
    assert out.shape == mod.dataShapeFrom(x.shape)
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("size,stride,pad", GEOMETRIES)
def test_gradients(size, stride, pad):
    checkModule(MaxPool2D(size, stride, pad), np.random.randn(2, 2, 5, 6))


def test_gradient_goes_to_first_maximum():
    mod = MaxPool2D(2, 2)
    x = np.array([[[[1, 1], [0, 1]]]], np.float32)
    mod(to_gpu(x))
    grad = mod.backward(to_gpu(np.ones((1, 1, 1, 1), np.float32))).get()
    np.testing.assert_array_equal(grad, [[[[1, 0], [0, 0]]]])


def test_mask_indexes_the_input():
    mod = MaxPool2D(3, 2, 1, useMask=True)
    x = np.random.randn(2, 3, 5, 6).astype(np.float32)
    out = mod(to_gpu(x)).get()
    picked = np.take_along_axis(x.reshape(2, 3, -1), mod.mask.get().reshape(2, 3, -1), axis=2)
    np.testing.assert_array_equal(picked.reshape(out.shape), out)
    assert MaxPool2D()(to_gpu(x)) is not None and MaxPool2D().mask is None


def test_errors_and_shapes():
    mod = MaxPool2D(name="p")
    assert mod.dataShapeFrom((1, 2, 9, 8)) == (1, 2, 4, 4)
    assert mod.gradShapeFrom((1, 2, 4, 4)) == (1, 2, 8, 8)
    with pytest.raises(ModuleError, match=r"MaxPool2D 'p'.*4-d data \(N, C, H, W\).*\(2, 3\)"):
        mod(to_gpu(np.zeros((2, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"MaxPool2D 'p'.*too small.*\(1, 1, 1, 5\)"):
        mod(to_gpu(np.zeros((1, 1, 1, 5), np.float32)))
    with pytest.raises(ModuleError, match=r"MaxPool2D.*pad must be smaller than size"):
        MaxPool2D(2, 2, 2)
    with pytest.raises(ModuleError, match=r"MaxPool2D.*stride must be a positive"):
        MaxPool2D(2, 0)


def test_calcMode_back_lets_go_of_the_other_dtypes_buffers():
    from tests.Modules._imageref import heldBytes
    mod = MaxPool2D(3, 1, 1)
    mod.calcMode(np.float64)
    y = mod(to_gpu(np.random.randn(2, 2, 5, 5)))
    mod.backward(to_gpu(np.ones(y.shape)))
    mod.calcMode(np.float32)
    assert heldBytes(mod, np.float64) == 0


def test_mask_points_inside_the_data_when_the_maximum_is_minus_infinity():
    # an all -inf window ties with the -inf padding; the mask must still name a real element of the window
    mod = MaxPool2D(3, 2, 1, useMask=True)
    x = np.zeros((1, 1, 5, 4), np.float32)
    x[0, 0, :3, :3] = -np.inf
    x[0, 0, 3:, 3:] = -np.inf
    out = mod(to_gpu(x)).get()[0, 0]
    mask = mod.mask.get()[0, 0]
    np.testing.assert_array_equal(x[0, 0].ravel()[np.clip(mask, 0, 19)], out)
    for i, j in np.ndindex(*mask.shape):
        r, c = divmod(int(mask[i, j]), 4)
        assert 2 * i - 1 <= r <= 2 * i + 1 and 2 * j - 1 <= c <= 2 * j + 1 and 0 <= r < 5 and 0 <= c < 4, (i, j, r, c)


def _poolPass(x, grad, useMask=False):
    mod = MaxPool2D(2, 2, useMask=useMask)
    out = mod(to_gpu(x)).get()
    return out, mod.backward(to_gpu(grad)).get(), mod


@pytest.mark.parametrize("shape", [(2, 3, 8, 6), (2, 2, 7, 5)])
def test_2x2_tiled_paths_give_the_window_paths_numbers(shape, request):
    # the window-matrix path (taken with a mask) against the strided-view path and the compiled kernel
    x = np.maximum(np.round(np.random.randn(*shape), 1), 0).astype(np.float32)  # ties: zeros and repeats
    x[0, 0, 1, 1] = np.nan
    grad = np.random.randn(shape[0], shape[1], shape[2] // 2, shape[3] // 2).astype(np.float32)
    refOut, refGrad, ref = _poolPass(x, grad, useMask=True)
    assert ref._win is not None
    request.getfixturevalue("numpyKernels")
    out, dx, mod = _poolPass(x, grad)
    assert mod._tileBest is not None and mod._win is None
    np.testing.assert_array_equal(out, refOut)
    np.testing.assert_array_equal(dx, refGrad)
    for path in ("compiledKernels", "thisThreadKernels"):
        request.getfixturevalue(path)
        out, dx, mod = _poolPass(x, grad)
        assert (mod._idx is not None) == compiledActive()
        np.testing.assert_array_equal(out, refOut)
        np.testing.assert_array_equal(dx, refGrad)


@pytest.mark.parametrize("shape,path", [((25, 25, 4, 4), "numpy"), ((32, 32, 4, 4), "thisThread"),
                                        ((20, 16, 9, 7), "thisThread"), ((32, 16, 8, 8), "thisThread"),
                                        ((32, 32, 8, 8), "thisThread"), ((16, 64, 32, 32), "split")])
def test_2x2_tiled_paths_at_the_default_sizes_give_the_numpy_paths_numbers(shape, path, request, monkeypatch):
    # arrays from _jit.SMALL_SIZE elements take the kernels, on the calling thread up to _jit.SPLIT_SIZE
    from PuzzleLib.Backend import _jit
    x = np.maximum(np.round(np.random.randn(*shape), 1), 0).astype(np.float32)
    x[0, 0, 1, 1] = np.nan
    grad = np.random.randn(shape[0], shape[1], shape[2] // 2, shape[3] // 2).astype(np.float32)
    splits = []
    split = _jit._split
    monkeypatch.setattr(_jit, "_split", lambda calls: (splits.append(len(calls)), split(calls)))
    out, dx, mod = _poolPass(x, grad)
    compiled = compiledActive() and path != "numpy"
    assert (mod._idx is not None) == compiled
    assert bool(splits) == (compiled and path == "split")
    request.getfixturevalue("numpyKernels")
    refOut, refGrad, ref = _poolPass(x, grad)
    assert ref._tileBest is not None
    np.testing.assert_array_equal(out, refOut)
    np.testing.assert_array_equal(dx, refGrad)


@pytest.mark.parametrize("path", ["numpyKernels", "compiledKernels", "thisThreadKernels"])
def test_2x2_tiled_paths_gradients(path, request):
    request.getfixturevalue(path)
    checkModule(MaxPool2D(2, 2), np.random.randn(2, 2, 6, 5))
    checkModule(MaxPool2D(2, 2), np.random.randn(1, 2, 4, 4))
