"""Every exportable module: PuzzleLib's output and ONNX Runtime's agree on two batch sizes."""
import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib import Modules as M
from tests.Converter._onnxcheck import exportAndCompare


def _rand(*shape):
    return lambda n: [np.random.randn(n, *shape).astype(np.float32)]


def _many(*shapes):
    return lambda n: [np.random.randn(n, *s).astype(np.float32) for s in shapes]


def _withStats(mod):
    shape = mod.attrs["mean"].shape
    mod.setAttr("mean", to_gpu(np.random.randn(*shape).astype(np.float32)))
    mod.setAttr("var", to_gpu(np.random.uniform(0.5, 2.0, shape).astype(np.float32)))
    if mod.affine:
        mod.vars["bias"].data.set(np.random.randn(*shape).astype(np.float32))
    return mod


def _words(n):
    idx = np.random.randint(-1, 7, size=(n, 5)).astype(np.int32)
    idx[0, 0] = -3  # any negative index is padding
    return [idx]


def _affine(n):
    return (np.array([[1, 0, 0], [0, 1, 0]], np.float32) + 0.3 * np.random.randn(n, 2, 3)).astype(np.float32)


def _timeMajor(n):
    return [np.random.randn(4, n, 3).astype(np.float32)]


CASES = {
    "Linear": (lambda: M.Linear(4, 3), _rand(4)),
    "Linear-noBias": (lambda: M.Linear(4, 3, useBias=False), _rand(4)),
    "Linear-transpose": (lambda: M.Linear(4, 3, transpose=True), _rand(4)),
    "Conv1D": (lambda: M.Conv1D(2, 4, 3, stride=2, pad=1), _rand(2, 9)),
    "Conv2D": (lambda: M.Conv2D(4, 6, 3, pad=(1, 2), dilation=(2, 1), groups=2), _rand(4, 7, 6)),
    "Conv3D": (lambda: M.Conv3D(2, 3, 2, stride=(1, 2, 1), pad=1), _rand(2, 4, 5, 3)),
    "Deconv1D": (lambda: M.Deconv1D(2, 3, 3, stride=2, pad=1, postpad=1), _rand(2, 5)),
    "Deconv2D": (lambda: M.Deconv2D(4, 6, 3, stride=2, pad=1, dilation=(1, 2), groups=2, postpad=1), _rand(4, 4, 3)),
    "Deconv3D": (lambda: M.Deconv3D(2, 2, 2, stride=2), _rand(2, 2, 3, 2)),
    "MaxPool1D": (lambda: M.MaxPool1D(3, 2, 1), _rand(2, 9)),
    "MaxPool2D": (lambda: M.MaxPool2D(3, 2, 1), _rand(2, 7, 6)),
    "MaxPool3D": (lambda: M.MaxPool3D(2, 2), _rand(2, 4, 4, 5)),
    "AvgPool1D": (lambda: M.AvgPool1D(3, 2, 1), _rand(2, 9)),
    "AvgPool2D": (lambda: M.AvgPool2D(3, 2, 1), _rand(2, 7, 6)),
    "AvgPool2D-excludePad": (lambda: M.AvgPool2D(3, 2, 1, includePad=False), _rand(2, 7, 6)),
    "AvgPool3D": (lambda: M.AvgPool3D(2, 1), _rand(2, 3, 4, 3)),
    "BatchNorm": (lambda: _withStats(M.BatchNorm(5)), _rand(5)),
    "BatchNorm1D": (lambda: _withStats(M.BatchNorm1D(3)), _rand(3, 6)),
    "BatchNorm2D": (lambda: _withStats(M.BatchNorm2D(3, epsilon=1e-3)), _rand(3, 4, 5)),
    "BatchNorm2D-noAffine": (lambda: _withStats(M.BatchNorm2D(3, affine=False)), _rand(3, 4, 5)),
    "BatchNorm3D": (lambda: _withStats(M.BatchNorm3D(2)), _rand(2, 3, 3, 3)),
    "InstanceNorm2D": (lambda: M.InstanceNorm2D(3), _rand(3, 4, 5)),
    "sigmoid": (lambda: M.Activation("sigmoid"), _rand(3, 4)),
    "tanh": (lambda: M.Activation("tanh"), _rand(3, 4)),
    "relu": (lambda: M.Activation("relu"), _rand(3, 4)),
    "leakyRelu": (lambda: M.Activation("leakyRelu", args=(0.2,)), _rand(3, 4)),
    "elu": (lambda: M.Activation("elu", args=(0.7,)), _rand(3, 4)),
    "softPlus": (lambda: M.Activation("softPlus"), _rand(3, 4)),
    "clip": (lambda: M.Activation("clip", args=(-0.5, 0.8)), _rand(3, 4)),
    "relu-slice": (lambda: M.Activation("relu", slc=(slice(None), slice(1, 3))), _rand(4, 5)),
    "elu-slice-maps": (lambda: M.Activation("elu", slc=(slice(None), slice(None), slice(0, 2), slice(1, None))),
                       _rand(2, 3, 4)),
    "Gelu": (lambda: M.Gelu(), _rand(3, 4)),
    "PRelu": (lambda: M.PRelu(3), _rand(3, 4, 2)),
    "PRelu-shared": (lambda: M.PRelu(3, sharedMaps=True), _rand(3, 4)),
    "SoftMax": (lambda: M.SoftMax(), _rand(5)),
    "SoftMax-maps": (lambda: M.SoftMax(), _rand(3, 2, 4)),
    "Flatten": (lambda: M.Flatten(), _rand(3, 2, 4)),
    "Reshape": (lambda: M.Reshape((0, -1, 2)), _rand(3, 4)),
    "Transpose": (lambda: M.Transpose((0, 2, 1)), _rand(3, 4)),
    "SwapAxes": (lambda: M.SwapAxes(1, 2), _rand(3, 4)),
    "MoveAxis": (lambda: M.MoveAxis(1, 3), _rand(2, 3, 4)),
    "Identity": (lambda: M.Identity(), _rand(3)),
    "Dropout": (lambda: M.Dropout(0.3), _rand(3)),
    "Dropout2D": (lambda: M.Dropout2D(0.3), _rand(3, 2, 2)),
    "NoiseInjector": (lambda: M.NoiseInjector(), _rand(3)),
    "Penalty": (lambda: M.Penalty(), _rand(3)),
    "Add": (lambda: M.Add(), _many((3, 2), (3, 2))),
    "Add-three": (lambda: M.Add(), _many((3, 2), (3, 2), (3, 2))),
    "Mul": (lambda: M.Mul(), _many((3, 2), (3, 2), (3, 2))),
    "Concat": (lambda: M.Concat(axis=1), _many((3, 2), (1, 2))),
    "Concat-last": (lambda: M.Concat(axis=-1), _many((3, 2), (3, 4))),
    "DepthConcat": (lambda: M.DepthConcat(), _many((2, 5, 4), (3, 2, 3))),
    "Split": (lambda: M.Split(axis=1, sections=(2, 3)), _rand(5, 2)),
    "Split-equal": (lambda: M.Split(axis=2, sections=2), _rand(3, 4)),
    "Sum": (lambda: M.Sum(axis=1, useWeights=False), _rand(3, 4)),
    "Sum-weights": (lambda: M.Sum(axis=1), _many((3, 4), (3,))),
    "Pad1D-reflect": (lambda: M.Pad1D((2, 1), mode="reflect"), _rand(2, 5)),
    "Pad2D": (lambda: M.Pad2D((1, 2, 0, 1), fillValue=0.5), _rand(2, 3, 3)),
    "Upsample2D": (lambda: M.Upsample2D(2), _rand(2, 3, 3)),
    "Upsample2D-linear": (lambda: M.Upsample2D(3, mode="linear"), _rand(2, 3, 4)),
    "Upsample3D": (lambda: M.Upsample3D(2), _rand(1, 2, 3, 2)),
    "MulAddConst": (lambda: M.MulAddConst(2.5, -1.0), _rand(3)),
    "CrossMapLRN": (lambda: M.CrossMapLRN(N=3, alpha=0.5, beta=0.75, K=1.5), _rand(5, 3, 3)),
    "CrossMapLRN-even": (lambda: M.CrossMapLRN(N=4, alpha=0.5, beta=0.75, K=1.5), _rand(5, 3, 3)),
    "MapLRN": (lambda: M.MapLRN(N=3, alpha=0.5, beta=0.75, K=1.5), _rand(2, 5, 4)),
    "MapLRN-even": (lambda: M.MapLRN(N=4, alpha=0.3, beta=0.6, K=2.0), _rand(2, 5, 6)),
    "SubtractMean": (lambda: M.SubtractMean(size=3), _rand(2, 5, 4)),
    "SubtractMean-excludePad-even": (lambda: M.SubtractMean(size=4, includePad=False), _rand(2, 5, 6)),
    "LCN": (lambda: M.LCN(N=3, alpha=0.5, beta=0.75, K=1.5), _rand(2, 5, 4)),
    "LCN-excludePad-even": (lambda: M.LCN(N=4, alpha=0.3, beta=0.6, K=2.0, includePad=False), _rand(2, 5, 6)),
    "KMaxPool": (lambda: M.KMaxPool(topk=3, axis=2), _rand(3, 6, 2)),
    "KMaxPool-ties": (lambda: M.KMaxPool(topk=2, axis=-1), lambda n: [np.round(np.random.randn(n, 3, 7)).astype(np.float32)]),
    "SpatialTf": (lambda: M.SpatialTf(), lambda n: [np.random.randn(n, 2, 5, 4).astype(np.float32), _affine(n)]),
    "SpatialTf-shape": (lambda: M.SpatialTf(shape=(3, 6)), lambda n: [np.random.randn(n, 2, 5, 4).astype(np.float32),
                                                                     _affine(n)]),
    "Embedder": (lambda: M.Embedder(7, 5, 3), _words),
    "Slice": (lambda: M.Slice((slice(None), slice(1, 3), slice(None, None, 2))), _rand(4, 5)),
    "Tile": (lambda: M.Tile(axis=1, times=3), _rand(2, 2)),
    "Cast": (lambda: M.Cast(np.float32, np.float64), _rand(3)),
    "Replicate": (lambda: M.Replicate(2), _rand(3)),
}
for _mode in ("relu", "tanh", "lstm", "gru"):
    for _direction in ("uni", "bi"):
        for _seq in (True, False):
            CASES["RNN-%s-%s%s" % (_mode, _direction, "-seq" if _seq else "")] = (
                lambda m=_mode, d=_direction, s=_seq: M.RNN(3, 4, layers=2, mode=m, direction=d, getSequences=s,
                                                            initscheme="gaussian", wscale=0.5),
                _timeMajor)


@pytest.mark.parametrize("case", sorted(CASES))
def test_module_exports_and_runs_in_onnxruntime(case, tmp_path):
    factory, inputs = CASES[case]
    exportAndCompare(factory(), inputs, (2, 5), tmp_path)


def _groupCases():
    cases = {}
    for inmode in ("full", "one"):
        for wmode in ("full", "one"):
            for batchDim in (0, 1):
                for useW, useBias, transpW in ((True, True, False), (True, False, True), (False, True, False)):
                    name = "GroupLinear-%s-%s-b%d%s%s%s" % (inmode, wmode, batchDim, "" if useW else "-noW",
                                                          "" if useBias else "-noBias", "-transpW" if transpW else "")

                    def factory(i=inmode, w=wmode, d=batchDim, u=useW, ub=useBias, t=transpW):
                        mod = M.GroupLinear(3, 4, 4 if not u else 2, inmode=i, wmode=w, batchDim=d, useW=u,
                                            useBias=ub, transpW=t)
                        if ub:
                            mod.vars["b"].data.set(np.random.randn(*mod.vars["b"].data.shape).astype(np.float32))
                        return mod

                    if inmode == "one" and useBias:
                        inputs = _rand(4)
                    elif inmode == "one":  # PuzzleLib 1.0's form: (N, 1, insize) or (1, N, insize)
                        inputs = _rand(1, 4) if batchDim == 0 else lambda n: [np.random.randn(1, n, 4).astype(np.float32)]
                    elif batchDim == 0:
                        inputs = _rand(3, 4)
                    else:
                        inputs = lambda n: [np.random.randn(3, n, 4).astype(np.float32)]  # noqa: E731
                    cases[name] = (factory, inputs)
    return cases


GROUP_CASES = _groupCases()


@pytest.mark.parametrize("case", sorted(GROUP_CASES))
def test_group_linear_exports_and_runs_in_onnxruntime(case, tmp_path):
    factory, inputs = GROUP_CASES[case]
    exportAndCompare(factory(), inputs, (2, 5), tmp_path)
