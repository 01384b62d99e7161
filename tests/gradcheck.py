"""One shared finite-difference checker for module gradients (float64, central differences).

Usage::

    from tests.gradcheck import checkModule
    checkModule(Linear(3, 4), inputs=np.random.randn(5, 3))

``checkModule`` switches the module to float64, runs forward, back-propagates a random output
gradient ``g``, and compares ``mod.grad`` and every ``vars[...].grad`` with the central-difference
derivative of ``sum(mod(x) * g)``. With PuzzleLib's sign convention the backward pass is linear,
so these must match exactly (no sign flip). Inputs and outputs may be single arrays or lists.
"""
import numpy as np

from PuzzleLib.Backend.gpuarray import to_gpu


def _toList(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _forward(mod, hostInputs, single):
    inputs = [to_gpu(x) for x in hostInputs]
    out = mod(inputs[0] if single else inputs)
    return [o.get().astype(np.float64) for o in _toList(out)]


def _objective(mod, hostInputs, single, gs):
    outs = _forward(mod, hostInputs, single)
    return sum(float(np.sum(o * g)) for o, g in zip(outs, gs))


def numericalGrad(fn, array, eps):
    """Central differences of scalar fn() with respect to each element of `array` (changed in place)."""
    grad = np.zeros(array.shape, dtype=np.float64)
    flat = array.reshape(-1)
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        fp = fn()
        flat[i] = old - eps
        fm = fn()
        flat[i] = old
        gflat[i] = (fp - fm) / (2 * eps)
    return grad


def checkModule(mod, inputs, eps=1e-6, rtol=1e-5, atol=1e-7, checkInput=True, params=None, seed=0,
                outGrad=None):
    """Assert that ``mod``'s analytic input and parameter gradients match central differences.

    Returns (analytic, numeric) dicts for further checks. ``params`` limits the variables
    checked (default: all). Input gradients of integer inputs are skipped.
    """
    rng = np.random.RandomState(seed)
    mod.calcMode(np.float64)
    single = not isinstance(inputs, (list, tuple))
    hostInputs = [np.array(x, dtype=np.float64) if np.asarray(x).dtype.kind == "f" else np.array(x)
                  for x in _toList(inputs)]

    outs = _forward(mod, hostInputs, single)
    if outGrad is None:
        gs = [rng.standard_normal(o.shape) for o in outs]
    else:
        gs = [np.asarray(g, dtype=np.float64) for g in _toList(outGrad)]

    inputs = [to_gpu(x) for x in hostInputs]
    out = mod(inputs[0] if single else inputs)
    gDev = [to_gpu(g) for g in gs]
    mod.backward(gDev[0] if not isinstance(out, (list, tuple)) else gDev, updGrad=checkInput)

    analytic = {}
    if checkInput:
        for i, gin in enumerate(_toList(mod.grad)):
            analytic["input%d" % i] = gin.get().astype(np.float64)
    names = list(mod.getVarTable().items())
    for var, vnames in names:
        if params is not None and vnames[0] not in params:
            continue
        if var.grad is not None:
            analytic[vnames[0]] = var.grad.get().astype(np.float64).copy()

    numeric = {}
    if checkInput:
        for i, x in enumerate(hostInputs):
            if x.dtype.kind != "f":
                analytic.pop("input%d" % i, None)
                continue
            numeric["input%d" % i] = numericalGrad(lambda: _objective(mod, hostInputs, single, gs), x, eps)
    for var, vnames in names:
        if vnames[0] not in analytic:
            continue
        host = var.data.get().astype(np.float64)

        def fn(host=host, var=var):
            var.data.set(host)
            return _objective(mod, hostInputs, single, gs)

        numeric[vnames[0]] = numericalGrad(fn, host, eps)
        var.data.set(host)

    for key in numeric:
        np.testing.assert_allclose(analytic[key], numeric[key], rtol=rtol, atol=atol,
                                   err_msg="gradient mismatch for %s of %s" % (key, mod))
    assert numeric, "nothing was checked"
    return analytic, numeric
