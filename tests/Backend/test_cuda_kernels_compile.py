"""Every fused kernel of the CUDA backend compiles, for float16, float32 and float64, with no GPU.

CuPy generates the same CUDA source it would launch, and NVRTC compiles it for sm_90 (the
H100/H200 architecture). This needs CuPy and the NVRTC library (``pip install cupy-cuda12x
nvidia-cuda-nvrtc-cu12``) but no device, so a developer without a GPU still learns when a kernel
body does not compile. It leans on CuPy internals (kernel code generation), so it skips, with the
reason, where they are not as expected; the launch itself is covered by test_cuda.py on a GPU.
"""
import numpy as np
import pytest

cupy = pytest.importorskip("cupy", reason="CuPy is not installed (pip install 'puzzlelib[cuda12]')")

try:
    from cupy._core import _carray, _kernel, _reduction, _scalar
    from cupy._core import core as _core
    from cupy.cuda import compiler as _compiler
    _ARGS = (_kernel._ArgInfo, _kernel._get_elementwise_kernel_code, _reduction._ReductionKernel_get_cached_function_code,
             _core.assemble_cupy_compiler_options, _core._cupy_header_list, _compiler._NVRTCProgram, _kernel._TypeMap)
except (ImportError, AttributeError) as e:  # pragma: no cover - another CuPy version
    pytest.skip("CuPy's kernel code generation is not where this test expects it (%s)" % e, allow_module_level=True)

from PuzzleLib.Backend import _cuda  # noqa: E402  (imports CuPy; needs no device)

_NDARRAY, _INDEXER, _SCALAR = 1, 2, 3
DTYPES = (np.float16, np.float32, np.float64)


@pytest.fixture(scope="module")
def nvrtc():
    try:
        options = tuple(_core.assemble_cupy_compiler_options(())) + ("-arch=sm_90",)
        header = "".join("#include <%s>\n" % h for h in _core._cupy_header_list)
        _compiler._NVRTCProgram(header + 'extern "C" __global__ void k() {}', "probe.cu", method="cubin").compile(options)
    except Exception as e:
        pytest.skip("NVRTC is not usable here (pip install nvidia-cuda-nvrtc-cu12): %s" % e)

    def compile(source, name):
        return _compiler._NVRTCProgram(header + source, name + ".cu", method="cubin").compile(options)
    return compile


def _internal(fn, *args):
    """Call a CuPy internal; a signature of another CuPy version skips rather than fails."""
    try:
        return fn(*args)
    except (TypeError, AttributeError) as e:
        pytest.skip("CuPy's kernel code generation differs in this version (%s: %s)" % (type(e).__name__, e))


def _elementwiseArgInfo(param, dtype):
    if param.name == "_ind":
        return _kernel._ArgInfo(_INDEXER, _carray.Indexer, None, 1, True, True)
    if param.dtype is not None:  # a typed scalar (float64 lr, ...)
        return _kernel._ArgInfo(_SCALAR, _scalar.CScalar, np.dtype(param.dtype), 0, True, True)
    return _kernel._ArgInfo(_NDARRAY, cupy.ndarray, _arrayDtype(param, dtype), 1, True, True)


def _arrayDtype(param, dtype):
    """T is the float type under test; Y (integer labels) is int32."""
    return np.dtype(np.int32) if param.ctype == "Y" else np.dtype(dtype)


@pytest.mark.parametrize("kname", sorted(_cuda._elementwiseSpecs))
def test_elementwise_kernel_compiles(nvrtc, kname):
    kern = _cuda._kernel(kname)
    for dtype in DTYPES:
        params = kern.params
        ins = tuple(_arrayDtype(p, dtype) if p.dtype is None else np.dtype(p.dtype) for p in params[:kern.nin])
        outs = tuple(np.dtype(dtype) for _ in params[kern.nin:kern.nin + kern.nout])
        _, _, typeMap = _internal(kern._decide_params_type, ins, outs)
        infos = _internal(lambda: tuple(_elementwiseArgInfo(p, dtype) for p in params))
        source = _internal(_kernel._get_elementwise_kernel_code, infos, typeMap, params, kern.operation, kern.name,
                           kern.preamble)
        assert "typedef" in source and kern.name in source
        nvrtc(source, "%s_%s" % (kname, np.dtype(dtype).name))


def _reductionArgInfos(kern, dtype, out="err"):
    infos = []
    for p in kern._params:
        if p.name in ("_in_ind", "_out_ind"):
            infos.append(_kernel._ArgInfo(_INDEXER, _carray.Indexer, None, 1, True, True))
        elif p.dtype is not None and p.name != out:
            infos.append(_kernel._ArgInfo(_SCALAR, _scalar.CScalar, np.dtype(p.dtype), 0, True, True))
        elif p.name == out:
            infos.append(_kernel._ArgInfo(_NDARRAY, cupy.ndarray, np.dtype(p.dtype), 0, True, True))
        else:
            infos.append(_kernel._ArgInfo(_NDARRAY, cupy.ndarray, np.dtype(dtype), 1, True, True))
    return tuple(infos)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reduction_kernel_compiles(nvrtc, dtype):
    kern = _cuda._sumSquaredDiff(dtype)
    infos = _internal(_reductionArgInfos, kern, dtype)
    typeMap = _internal(_kernel._TypeMap, (("T", np.dtype(dtype)), ("IndexT", "int32")))
    source = _internal(_reduction._ReductionKernel_get_cached_function_code,
                       3, 1, kern._params, infos, typeMap, kern.name, 512, kern.reduce_type, kern.identity,
                       kern.map_expr, kern.reduce_expr, kern.post_map_expr, kern.preamble, ())
    assert "_type_reduce" in source
    nvrtc(source, kern.name)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sum_of_squares_kernel_compiles(nvrtc, dtype):
    kern = _cuda._sumOfSquaresKernel()
    infos = _internal(_reductionArgInfos, kern, dtype, "y")
    typeMap = _internal(_kernel._TypeMap, (("T", np.dtype(dtype)), ("IndexT", "int32")))
    source = _internal(_reduction._ReductionKernel_get_cached_function_code,
                       1, 1, kern._params, infos, typeMap, kern.name, 512, kern.reduce_type, kern.identity,
                       kern.map_expr, kern.reduce_expr, kern.post_map_expr, kern.preamble, ())
    assert "_type_reduce" in source
    nvrtc(source, kern.name)


def test_a_broken_kernel_fails_to_compile(nvrtc):
    """The check has teeth: a body calling an undefined function is refused."""
    kern = cupy.ElementwiseKernel("T x", "T y", "y = no_such_function(x);", "puzzlelib_broken")
    _, _, typeMap = _internal(kern._decide_params_type, (np.dtype(np.float32),), (np.dtype(np.float32),))
    infos = _internal(lambda: tuple(_elementwiseArgInfo(p, np.float32) for p in kern.params))
    source = _internal(_kernel._get_elementwise_kernel_code, infos, typeMap, kern.params, kern.operation, kern.name,
                       kern.preamble)
    with pytest.raises(Exception, match="no_such_function"):
        nvrtc(source, "broken")
