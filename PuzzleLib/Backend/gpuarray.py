"""The device-array API of PuzzleLib: ``to_gpu``, ``empty``, ``zeros``, ``GPUArray`` and friends.

The backend is chosen once, on the first import of this module, from ``PuzzleLib.Config.backend``:
``cpu`` gives numpy arrays, ``cuda`` gives CuPy arrays on the GPU, ``auto`` (the default) takes CUDA
when CuPy imports and sees a device, else the CPU. Either way a device array has ``.get()`` (a new
host numpy array), ``.set(ary)``, ``.fill(v)``, ``.shape``, ``.dtype``, arithmetic and slicing.

Modules take their array namespace from here (``gpuarray.xp``) and a handful of named kernels
(``gpuarray.kernels``); they never import numpy or CuPy for math themselves.

Example::

    >>> import numpy as np
    >>> from PuzzleLib.Backend.gpuarray import to_gpu
    >>> x = to_gpu(np.ones((2, 3), dtype=np.float32))
    >>> float(x.get().sum())
    6.0
"""
from PuzzleLib import Config
from PuzzleLib.Backend._arena import ParamArena
from PuzzleLib.Errors import BackendError


def _driverPresent():
    """Whether an NVIDIA driver library can be loaded (a few ms; spares importing CuPy for nothing)."""
    import ctypes
    import sys
    names = ("nvcuda.dll",) if sys.platform == "win32" else ("libcuda.so.1", "libcuda.so")
    for libname in names:
        try:
            ctypes.CDLL(libname)
            return True
        except OSError:
            continue
    return False


def _cudaUsable():
    """(usable, reason): CUDA when CuPy is installed, a driver is present and a device is visible.

    The cheap checks come first, so that ``auto`` on a machine without CUDA never imports CuPy.
    """
    import importlib.util
    if importlib.util.find_spec("cupy") is None:
        return False, "CuPy is not installed"
    if not _driverPresent():
        return False, "no NVIDIA driver found"
    try:
        import cupy
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        return False, "CUDA unavailable (%s)" % e
    if count == 0:
        return False, "no CUDA device visible"
    return True, "%d CUDA device(s)" % count


def _chosenBackend():
    """Config.backend as a Config.Backend member (a string is taken as the environment variable is)."""
    value = Config.backend
    if isinstance(value, str) and not isinstance(value, Config.Backend):
        value = value.strip().lower()
    try:
        return Config.Backend(value)
    except ValueError:
        from PuzzleLib.Errors import ConfigError
        raise ConfigError("Config.backend = %r is not a backend; expected one of %s" % (
            Config.backend, ", ".join(b.value for b in Config.Backend))) from None


def _select():
    choice = _chosenBackend()
    if choice is Config.Backend.auto:
        usable, reason = _cudaUsable()
        choice = Config.Backend.cuda if usable else Config.Backend.cpu
        Config.getLogger().info("backend: %s (auto: %s; set PUZZLELIB_BACKEND to choose)", choice.value, reason)
    elif choice in (Config.Backend.hip, Config.Backend.intel):
        Config.getLogger().warning("backend %s: this library has no %s backend; it runs on the CPU (numpy)",
                                   choice.value, "ROCm" if choice is Config.Backend.hip else "Intel GPU")

    if choice is Config.Backend.cuda:
        try:
            from PuzzleLib.Backend import _cuda as impl
        except (ImportError, OSError, RuntimeError) as e:  # no CuPy, or CuPy without its CUDA libraries
            raise BackendError(
                "Config.backend is cuda, but CuPy could not be imported (%s); install it with "
                "pip install 'puzzlelib[cuda12]' (or [cuda13]), or set PUZZLELIB_BACKEND=cpu" % e
            ) from e
        impl.initDevice(_deviceIndex(impl))
    else:
        from PuzzleLib.Backend import _cpu as impl
    return impl


def _deviceIndex(impl):
    """``Config.deviceIdx``; but in a process that an MPI launcher started (``mpiexec``, see
    ``PuzzleLib.Grid``), when neither ``PUZZLELIB_DEVICE`` nor the program (nor ``runGrid``) chose
    a device, each process of a machine takes its own: its local rank modulo the devices."""
    import os
    idx = Config.deviceIdx
    if idx != 0 or os.environ.get("PUZZLELIB_DEVICE") or getattr(Config, "_deviceFromGrid", False):
        return idx
    from PuzzleLib.Grid._mpi import localRankFromEnv
    local = localRankFromEnv()
    if not local:
        return idx
    count = impl.xp.cuda.runtime.getDeviceCount()
    return local % count if count else idx


backend = _select()

xp = backend.xp
kernels = backend
backendName = backend.name
isGPU = backend.isGPU

GPUArray = backend.GPUArray
to_gpu = backend.to_gpu
to_host = backend.to_host
asDevice = backend.asDevice
empty = backend.empty
zeros = backend.zeros
dtypesSupported = backend.dtypesSupported
synchronize = backend.synchronize
isDeviceArray = backend.isDeviceArray


# parameters (module constructors) and gradient buffers (Variable) come from arenas, so that the
# parameters of a net lie in a few contiguous spans (see PuzzleLib/Backend/_arena.py)
paramArena = ParamArena(backend)
gradArena = ParamArena(backend)


def empty_like(ary):
    """A new device array of ``ary``'s shape and dtype, its values not set."""
    return empty(ary.shape, ary.dtype)


def zeros_like(ary):
    """A new device array of ``ary``'s shape and dtype, filled with zeros."""
    return zeros(ary.shape, ary.dtype)


def copy(ary):
    """A new device array with ``ary``'s values (a copy on the same device)."""
    return ary.copy()


def isDtypeSupported(dtype):
    """Whether modules can compute in ``dtype`` on this backend (see ``dtypesSupported``)."""
    return any(xp.dtype(d) == xp.dtype(dtype) for d, _ in dtypesSupported())
