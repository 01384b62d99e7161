"""A stand-in for CuPy on the CPU, to exercise the cuda backend's Python side without a GPU.

- ``buildHostKernels(folder)`` reads the kernel bodies out of ``PuzzleLib/Backend/_cuda.py`` (with
  ``ast``; no CuPy needed), wraps each in a host loop shaped like the one CuPy generates (inputs
  bound as ``const T &``, outputs as ``T &``, so in-place aliasing behaves as on the device) and
  compiles them with the system C++ compiler for float32, float64 and float16 (``_Float16``).
- ``fakeCupy(lib)`` returns (cupy, cupyx) stand-in modules: arrays are a numpy subclass with
  CuPy's ``get``/``set``/``data.ptr`` (``set`` as strict as CuPy's: same dtype, same shape,
  contiguous target), ``ElementwiseKernel`` runs the host-compiled body after checking each
  argument against the kernel's declared parameters (count, order, array or scalar, dtype of
  ``T``), and every other name is numpy's, its array results made device arrays.

float16 matrix products with an operand of more than two axes, which CuPy runs by copying both
operands to float32, are recorded by ``countWidenedProducts()``. Device->host transfers are counted: ``get``, ``float``/``int``/``bool``/``item``/``tolist``/printing
of a device array, indexing with a boolean mask and ``nonzero``/``unique``-like functions (whose
result size CuPy must read back), each of which makes CuPy wait for the GPU. ``countTransfers()``
records them (what and where) for a test to assert there are none in a training step.

What this cannot see: CuPy's own API differences from numpy, speed.
Like CuPy, it never warns about floating-point overflow or invalid values.
``python -m tests.Backend.cudaemu [pytest args]`` runs the suite on the cuda backend over it (Python
subprocesses the tests start, such as the tutorial run, import it as ``cupy`` too).
"""
import ast
import ctypes
import os
import shutil
import subprocess
import sys
import types

import numpy as np

import PuzzleLib.Backend

CXX = shutil.which("g++") or shutil.which("c++")
SRC = os.path.join(os.path.dirname(PuzzleLib.Backend.__file__), "_cuda.py")
CTYPES = {"float32": "float", "float64": "double", "float16": "_Float16"}


def cudaSource():
    """(elementwise specs {name: (in, out, body)}, preamble, reduction spec) read from _cuda.py."""
    with open(SRC, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    consts, specs = {}, {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                consts[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "_elementwise":
            name, inParams, outParams, body = (ast.literal_eval(a) for a in node.value.args)
            specs[name] = (inParams, outParams, consts["_ACC"] + body)
    return specs, consts["_PREAMBLE"], consts["_SUM_SQ_DIFF"]


def params(text):
    return [tuple(p.split()) for p in text.split(",") if p.strip()]


def _hostKernel(name, inParams, outParams, body, ctype):
    args, binds = [], []
    for typ, pname in params(inParams):
        if typ == "T":
            args.append("const %s *%s_" % (ctype, pname))
            binds.append("const T &%s = %s_[i];" % (pname, pname))
        elif typ == "Y":  # integer labels: int32 here
            args.append("const int *%s_" % pname)
            binds.append("const int &%s = %s_[i];" % (pname, pname))
        else:
            args.append("double %s" % pname)
    for typ, pname in params(outParams):
        args.append("%s *%s_" % (ctype, pname))
        binds.append("T &%s = %s_[i];" % (pname, pname))
    return ('extern "C" void %s_%s(long n, %s) {\n  typedef %s T;\n  for (long i = 0; i < n; ++i) {\n    %s\n    %s\n  }\n}\n'
            % (name, ctype.strip("_"), ", ".join(args), ctype, " ".join(binds), body))


def _hostReduction(spec, ctype):
    acc = "double" if ctype == "double" else "float"
    inParams, mapExpr, reduceExpr, postMap, identity = (e.replace("ACC", acc) for e in spec)
    return ('extern "C" void sum_sq_diff_%s(long n, const %s *p_, const %s *t_, double scale, %s *err_) {\n'
            '  typedef %s T; typedef %s _type_reduce;\n  _type_reduce a = _type_reduce(%s);\n'
            '  for (long i = 0; i < n; ++i) { const T &p = p_[i]; const T &t = t_[i]; _type_reduce b = %s;\n'
            '    a = (%s); }\n  %s &err = *err_;\n  %s;\n}\n'
            % (ctype.strip("_"), ctype, ctype, acc, ctype, acc, identity, mapExpr, reduceExpr, acc, postMap))


def buildHostKernels(folder):
    """Compile every kernel body for the three float types; returns (ctypes library, specs)."""
    specs, preamble, reduction = cudaSource()
    code = ["#include <cmath>", "using namespace std;", preamble]
    for ctype in CTYPES.values():
        for name, (inParams, outParams, body) in sorted(specs.items()):
            code.append(_hostKernel(name, inParams, outParams, body, ctype))
        code.append(_hostReduction(reduction, ctype))
    src, so = os.path.join(folder, "kernels.cpp"), os.path.join(folder, "kernels.so")
    with open(src, "w") as f:
        f.write("\n".join(code))
    res = subprocess.run([CXX, "-O1", "-shared", "-fPIC", "-o", so, src], capture_output=True, text=True)
    if res.returncode != 0:
        raise AssertionError("the kernel bodies do not compile as C++:\n" + res.stderr[-3000:])
    return ctypes.CDLL(so), specs


def call(lib, name, dtype, *args):
    """Call host kernel `name` for `dtype` over the elements of its first array (contiguous arrays by pointer)."""
    n = next(a for a in args if isinstance(a, np.ndarray)).size
    cargs = []
    for a in args:
        if isinstance(a, np.ndarray):
            assert (a.dtype == dtype or a.dtype == np.int32) and a.flags.c_contiguous
            cargs.append(ctypes.c_void_p(a.ctypes.data))
        else:
            cargs.append(ctypes.c_double(a))
    getattr(lib, "%s_%s" % (name, CTYPES[np.dtype(dtype).name].strip("_")))(ctypes.c_long(n), *cargs)


def sumSqDiff(lib, p, t, scale, outType):
    err = np.zeros((), outType)
    p, t = np.ascontiguousarray(p), np.ascontiguousarray(t)
    fn = getattr(lib, "sum_sq_diff_%s" % CTYPES[p.dtype.name].strip("_"))
    fn(ctypes.c_long(p.size), ctypes.c_void_p(p.ctypes.data), ctypes.c_void_p(t.ctypes.data),
       ctypes.c_double(scale), ctypes.c_void_p(err.ctypes.data))
    return err


# ---- the stand-in modules ----------------------------------------------------------------------------

class DeviceArray(np.ndarray):
    """An array "on the device": numpy memory with CuPy's get/set/data.ptr."""

    def get(self, stream=None):
        _transfer("get()")
        return np.array(self, copy=True, subok=False)

    def __float__(self):
        _transfer("float()")
        return super().__float__()

    def __int__(self):
        _transfer("int()")
        return super().__int__()

    def __index__(self):
        _transfer("index")
        return super().__index__()

    def __bool__(self):
        _transfer("bool()")
        return super().__bool__()

    def item(self, *args):
        _transfer("item()")
        return super().item(*args)

    def tolist(self):
        _transfer("tolist()")
        return super().tolist()

    def __repr__(self):
        _transfer("repr()")
        return super().__repr__()

    def __str__(self):
        _transfer("str()")
        return super().__str__()

    def __format__(self, spec):
        _transfer("format()")
        return super().__format__(spec)

    def set(self, arr, stream=None):
        if not isinstance(arr, np.ndarray) or isinstance(arr, DeviceArray):
            raise TypeError("Only numpy.ndarray can be set to cupy.ndarray")
        if self.shape != arr.shape:
            raise ValueError("Shape mismatch. Old shape: %s, new shape: %s" % (self.shape, arr.shape))
        if self.dtype != arr.dtype:
            raise TypeError("%s array cannot be set to %s array" % (arr.dtype, self.dtype))
        if not self.flags.c_contiguous:
            raise RuntimeError("Cannot set to non-contiguous array")
        np.copyto(self, arr)

    @property
    def data(self):
        return types.SimpleNamespace(ptr=self.__array_interface__["data"][0], device_id=0)

    # an element, a reduction or an argmax of a CuPy array is a 0-d device array, not a numpy scalar
    def __getitem__(self, index):
        if _masked(index):
            _transfer("a boolean-mask index (its result size)")
        return _device(super().__getitem__(index))

    def __setitem__(self, index, value):
        # with basic indexing (ints, slices, ...), CuPy copies a device array or fills with a scalar:
        # a host array or a list is refused ("non-scalar numpy.ndarray cannot be used for fill")
        if not _inside[0] and not _advanced(index) and (
                isinstance(value, (list, tuple)) or (type(value) is np.ndarray and value.ndim > 0)):
            raise ValueError("non-scalar numpy.ndarray cannot be used for fill: a host %s assigned into a device "
                             "array; copy it with to_gpu first" % type(value).__name__)
        super().__setitem__(index, value)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def argmax(self, *args, **kwargs):
        return _device(super().argmax(*args, **kwargs))

    def argmin(self, *args, **kwargs):
        return _device(super().argmin(*args, **kwargs))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # CuPy refuses host arrays mixed into device arithmetic (TypeError: Unsupported type ndarray)
        if not _inside[0]:
            if ufunc is np.matmul and method == "__call__" and len(inputs) == 2:
                _widenedMatmul(*inputs)
            # CuPy's ufuncs take out, dtype and casting, not where; its reductions take no where/initial
            # (numpy's own methods, such as ndarray.sum, pass where=True, which changes nothing)
            if (method == "__call__" and "where" in kwargs) or (method == "reduce" and (
                    kwargs.get("where", True) is not True or "initial" in kwargs)):
                raise TypeError("Wrong arguments %s: CuPy's %s.%s takes no where/initial"
                                % (sorted(kwargs), ufunc.__name__, method))
            for x in inputs + tuple(kwargs.get("out", ())):
                if isinstance(x, np.ndarray) and not isinstance(x, DeviceArray) and x.ndim > 0:
                    raise TypeError("Unsupported type <class 'numpy.ndarray'>: a host array in device arithmetic "
                                    "(%s); copy it with to_gpu first" % ufunc.__name__)
        inputs = tuple(x.view(np.ndarray) if isinstance(x, DeviceArray) else x for x in inputs)
        if isinstance(kwargs.get("where"), DeviceArray):
            kwargs["where"] = kwargs["where"].view(np.ndarray)
        given = kwargs.get("out")
        if given is not None:
            kwargs["out"] = tuple(x.view(np.ndarray) if isinstance(x, DeviceArray) else x for x in given)
        with np.errstate(all="ignore"):  # CuPy never warns about overflow or nan
            result = getattr(ufunc, method)(*inputs, **kwargs)
        if given is not None and method == "__call__":
            return given[0] if len(given) == 1 else given  # the very arrays passed as out
        return _device(result)


_inside = [False]  # True while a stand-in CuPy function runs numpy's own code
_recorders = []    # the lists of countTransfers() blocks now open


def _record(kind, what):
    """Something CuPy does slowly, recorded with where the library asked for it in every open
    recorder of its ``kind``."""
    if _inside[0] or not any(k == kind for k, _ in _recorders):
        return
    import traceback
    frames = [f for f in traceback.extract_stack()[:-2] if "cudaemu" not in f.filename]
    where = "%s:%d" % (frames[-1].filename, frames[-1].lineno) if frames else "?"
    for k, rec in _recorders:
        if k == kind:
            rec.append("%s at %s" % (what, where))


def _transfer(what):
    """A device->host read (CuPy waits for the GPU): recorded in every open countTransfers()."""
    _record("transfer", what)


def _widenedMatmul(a, b):
    """CuPy copies float16 operands of a product with an operand of more than two axes to float32
    (and the result back; cupy/cupy#10317): recorded in every open countWidenedProducts()."""
    if getattr(a, "dtype", None) == np.float16 and getattr(b, "dtype", None) == np.float16 and max(
            np.ndim(a), np.ndim(b)) > 2:
        _record("widen", "a float16 product of %d-d and %d-d operands" % (np.ndim(a), np.ndim(b)))


class _Recorder:
    kind = None

    def __enter__(self):
        self.seen = []
        _recorders.append((self.kind, self.seen))
        return self.seen

    def __exit__(self, *exc):
        del _recorders[next(i for i, (_, rec) in enumerate(_recorders) if rec is self.seen)]
        return False


class countTransfers(_Recorder):
    """``with countTransfers() as seen:`` lists the device->host transfers made inside the block
    ("float() at PuzzleLib/Cost/BCE.py:33", ...)."""
    kind = "transfer"


class countWidenedProducts(_Recorder):
    """``with countWidenedProducts() as seen:`` lists the float16 matrix products inside the block that
    CuPy runs by copying their operands to float32 (an operand of more than two axes)."""
    kind = "widen"


def _masked(index):
    """Whether an index holds a boolean array (CuPy reads the number of True values back)."""
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, np.ndarray) and i.dtype == np.bool_ for i in items)


def _advanced(index):
    """Whether an index holds an array or a list (advanced indexing), which CuPy scatters from any value."""
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, (np.ndarray, list)) for i in items)


def _requireDevice(what, a):
    """CuPy's kernels take device arrays and scalars, never host arrays (no implicit copy to the device)."""
    if isinstance(a, np.ndarray) and not isinstance(a, DeviceArray):
        raise TypeError("Unsupported type <class 'numpy.ndarray'>: %s was given a host array" % what)


def _device(value):
    if type(value) is np.ndarray:
        return value.view(DeviceArray)
    if isinstance(value, np.generic) and not _inside[0]:
        return np.asarray(value).view(DeviceArray)  # CuPy returns 0-d device arrays, never scalars
    if isinstance(value, tuple):
        return tuple(_device(v) for v in value)
    return value


_HOST_INPUT_OK = {"array", "asarray", "asanyarray", "copy"}  # CuPy's functions that take host arrays


def _checkNoHostArrays(name, args, kwargs):
    for x in list(args) + list(kwargs.values()):
        items = x if isinstance(x, (list, tuple)) else (x,)
        for item in items:
            if isinstance(item, np.ndarray) and not isinstance(item, DeviceArray) and item.ndim > 0:
                raise TypeError("Unsupported type <class 'numpy.ndarray'>: cupy.%s was given a host array; "
                                "copy it with to_gpu first" % name)


_SIZE_READS = {"nonzero", "argwhere", "flatnonzero", "unique", "extract", "compress"}  # result size read back


def _wrap(fn):
    name = getattr(fn, "__name__", "fn")

    def wrapper(*args, **kwargs):
        if name in _SIZE_READS or (name == "where" and len(args) + len(kwargs) == 1):
            _transfer("cupy.%s (its result size)" % name)
        if name == "matmul" and len(args) >= 2:
            _widenedMatmul(args[0], args[1])
        if not _inside[0] and name not in _HOST_INPUT_OK:
            _checkNoHostArrays(name, args, kwargs)
        if not _inside[0] and ("initial" in kwargs or ("where" in kwargs and name != "copyto")):
            # cupy.sum, cupy.max, cupy.multiply, ... take no where/initial (cupy.copyto takes where)
            raise TypeError("cupy.%s takes no where/initial argument (got %s)" % (name, sorted(kwargs)))
        outer, _inside[0] = _inside[0], True
        try:
            with np.errstate(all="ignore"):  # CuPy never warns about overflow or nan
                result = fn(*args, **kwargs)
        finally:
            _inside[0] = outer
        return _device(result)
    wrapper.__name__ = getattr(fn, "__name__", "fn")
    return wrapper


class _Namespace(types.ModuleType):
    """numpy (or one of its submodules) whose callables return device arrays."""

    def __init__(self, name, inner, extra=None):
        super().__init__(name)
        self._inner = inner
        self.__dict__.update(extra or {})

    def __getattr__(self, name):
        value = getattr(self._inner, name)
        if isinstance(value, types.ModuleType):
            return _Namespace(self.__name__ + "." + name, value)
        if callable(value) and not isinstance(value, type):
            return _wrap(value)
        return value


class _ElementwiseKernel:
    lib = None

    def __init__(self, inParams, outParams, operation, name, preamble=""):
        self.ins, self.outs = params(inParams), params(outParams)
        self.name = name[len("puzzlelib_"):]

    def __call__(self, *args):
        nparams = len(self.ins) + len(self.outs)
        assert len(args) == nparams, "%s: %d arguments for %d parameters" % (self.name, len(args), nparams)
        outs = args[len(self.ins):]
        shape, dtype = outs[0].shape, outs[0].dtype
        flat = []
        for (typ, pname), a in zip(self.ins + self.outs, args):
            if typ == "float64":
                assert isinstance(a, float), "%s: %s must be a Python float, got %r" % (self.name, pname, a)
                flat.append(a)
                continue
            assert isinstance(a, np.ndarray), "%s: %s must be an array, got %r" % (self.name, pname, type(a))
            _requireDevice("ElementwiseKernel %s (%s)" % (self.name, pname), a)
            if typ == "T":
                assert a.dtype == dtype, "%s: %s has dtype %s, the outputs %s" % (self.name, pname, a.dtype, dtype)
            else:
                assert a.dtype.kind in "iu", "%s: %s must hold integers, got %s" % (self.name, pname, a.dtype)
            np.broadcast_shapes(a.shape, shape)  # CuPy broadcasts the inputs to the outputs' shape
            flat.append(np.ascontiguousarray(np.broadcast_to(a, shape)).astype(np.int32 if typ == "Y" else dtype))
        call(self.lib, self.name, dtype, *flat)
        for out, result in zip(outs, flat[len(self.ins):]):
            out.view(np.ndarray)[...] = result


class _ReductionKernel:
    lib = None

    def __init__(self, inParams, outParams, mapExpr, reduceExpr, postMap, identity, name, reduce_type=None):
        self.outType = np.float64 if outParams.split()[0] == "float64" else np.float32
        self.name = name

    def __call__(self, *args):
        if self.name == "puzzlelib_sum_squares":  # T x -> float64: sum of squares in double
            (x,) = args
            assert isinstance(x, np.ndarray)
            _requireDevice("ReductionKernel", x)
            flat = np.asarray(x).reshape(-1).astype(np.float64)
            return np.asarray(np.dot(flat, flat)).view(DeviceArray)
        return self._sumSqDiff(*args)

    def _sumSqDiff(self, p, t, scale):
        assert isinstance(p, np.ndarray) and p.dtype == t.dtype and isinstance(scale, float)
        _requireDevice("ReductionKernel", p)
        _requireDevice("ReductionKernel", t)
        return sumSqDiff(self.lib, p, t, scale, self.outType).view(DeviceArray)


def _deviceRandom():
    """cupy.random: a generator of its own, as CuPy's is on the device; np.random.seed does not reach
    it (cupy.random.seed does), and numpy's global state is not advanced by device draws."""
    state = np.random.RandomState(0)

    def seed(seed=None):
        state.seed(seed)
    return _Namespace("cupy.random", state, {"seed": seed})


def _sorter(fn):
    """cupy.sort / cupy.argsort: always stable, and ``kind`` may only be None ("Unlike in NumPy any other
    options are not accepted here")."""
    def sorter(a, axis=-1, kind=None):
        if kind is not None:
            raise ValueError("cupy.%s takes only kind=None (it always sorts stably), got kind=%r" % (fn.__name__, kind))
        return fn(a, axis=axis, kind="stable")
    sorter.__name__ = fn.__name__
    return _wrap(sorter)


def _copyto(dst, src, casting="same_kind", where=None):
    """cupy.copyto. A Python scalar ``src`` is refused: CuPy 13 releases before the fix of cupy/cupy#8430
    (July 2024) check it with ``numpy.can_cast(src, ...)``, which NumPy 2 refuses ("can_cast() does not
    support Python ints, floats, and complex"); a device array (a 0-d one too) works on every version."""
    if type(src) in (bool, int, float, complex):
        raise TypeError("cupy.copyto(dst, %r): a Python scalar source fails in CuPy 13 before cupy/cupy#8430 "
                        "under NumPy 2; pass a device array (e.g. a 0-d one) or use fill" % (src,))
    return np.copyto(dst, src, casting=casting, where=True if where is None else where)


_copyto.__name__ = "copyto"


def _full(shape, fill_value, dtype=None, order="C"):
    """cupy.full: ``copyto(a, fill_value, casting='unsafe')``, so a Python scalar fill value fails
    as in _copyto on CuPy 13.0-13.2 under NumPy 2 (cupy/cupy#8391, fixed by #8430 in 13.3)."""
    if type(fill_value) in (bool, int, float, complex):
        raise TypeError("cupy.full(%r, %r): a Python scalar fill value fails in CuPy 13.0-13.2 under NumPy 2 "
                        "(cupy/cupy#8391); use empty(...) and fill(...)" % (shape, fill_value))
    return np.full(shape, fill_value, dtype=dtype, order=order)


_full.__name__ = "full"


def _scatterAdd(a, slices, value):
    """cupyx.scatter_add: ``a.scatter_add(slices, value)`` (a device array), atomic adds for the dtypes
    CUDA's atomicAdd takes; numpy's add.at otherwise."""
    if not isinstance(a, DeviceArray):
        raise AttributeError("cupyx.scatter_add: %r object has no attribute 'scatter_add'" % type(a).__name__)
    if a.dtype not in (np.int32, np.float16, np.float32, np.float64, np.uint32, np.uint64):
        raise TypeError("scatter_add only supports int32, float16, float32, float64, uint32, uint64, got %s" % a.dtype)
    outer, _inside[0] = _inside[0], True
    try:
        np.add.at(a, slices, value)
    finally:
        _inside[0] = outer


class _Device:
    def __init__(self, idx=0):
        self.id = idx

    def use(self):
        pass

    def synchronize(self):
        pass


def fakeCupy(lib):
    """(cupy, cupyx) stand-ins over a library from buildHostKernels."""
    _ElementwiseKernel.lib = _ReductionKernel.lib = lib
    runtime = types.SimpleNamespace(getDeviceCount=lambda: 1, deviceSynchronize=lambda: None)
    cuda = types.SimpleNamespace(runtime=runtime, Device=_Device)
    cupy = _Namespace("cupy", np, {
        "ndarray": DeviceArray, "ElementwiseKernel": _ElementwiseKernel, "ReductionKernel": _ReductionKernel,
        "cuda": cuda, "__version__": "emulated", "sort": _sorter(np.sort), "argsort": _sorter(np.argsort),
        "copyto": _wrap(_copyto), "full": _wrap(_full),
        "random": _deviceRandom(),
    })
    cupyx = types.ModuleType("cupyx")
    cupyx.scatter_add = _scatterAdd
    return cupy, cupyx


_SHIM = """# written by tests/Backend/cudaemu.py: `import %(mod)s` gives the CPU stand-in for CuPy
import ctypes
import sys
from tests.Backend import cudaemu
sys.modules["cupy"], sys.modules["cupyx"] = cudaemu.fakeCupy(ctypes.CDLL(%(so)r))
"""


def _writeShims(folder, so):
    """Modules ``cupy`` and ``cupyx`` in ``folder/shim`` that install the stand-in when imported,
    so that Python subprocesses of the suite (PYTHONPATH set to it) run over it too."""
    shim = os.path.join(folder, "shim")
    os.makedirs(shim)
    for mod in ("cupy", "cupyx"):
        with open(os.path.join(shim, mod + ".py"), "w") as f:
            f.write(_SHIM % {"mod": mod, "so": so})
    return shim


def main(argv):
    """Run pytest on the cuda backend over the stand-in (tests marked gpu are left out); Python
    subprocesses the tests start find the stand-in as ``cupy`` on their PYTHONPATH."""
    import tempfile
    import pytest
    folder = tempfile.mkdtemp(prefix="puzzlelib-cudaemu-")
    lib, _ = buildHostKernels(folder)
    sys.modules["cupy"], sys.modules["cupyx"] = fakeCupy(lib)
    os.environ["PUZZLELIB_BACKEND"] = "cuda"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    shim = _writeShims(folder, os.path.join(folder, "kernels.so"))
    paths = [shim, root, os.environ.get("PYTHONPATH", "")]
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    # multiprocessing's spawn gives a child the parent's sys.path, not PYTHONPATH's: the shim must be
    # on it too, or the web page's run workers find no cupy (the parent's stand-in is already imported)
    sys.path.insert(0, shim)
    return pytest.main(["-m", "not gpu", "-p", "no:cacheprovider"] + list(argv))


if __name__ == "__main__":
    # run from the importable module, so that tests reach the same stand-in (countTransfers)
    from tests.Backend import cudaemu as _module
    sys.exit(_module.main(sys.argv[1:]))
