"""Central-difference gradient checking in float64, for the library's modules and for yours.

With PuzzleLib's sign convention a module's backward pass is linear in the gradient it is given:
for an output gradient ``g``, ``mod.grad`` is the derivative of ``sum(mod(x) * g)`` with respect
to ``x``, and each ``var.grad`` its derivative with respect to that variable (accumulated into an
optimizer's update as ``W += lr * W.grad``). ``gradcheck`` computes both sides and compares them.
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
    """Central differences of the scalar ``fn()`` with respect to each element of ``array``.

    ``array`` is changed in place, one element at a time, and restored.

    Parameters
    ----------
    fn : callable
        Takes no arguments and returns a float that depends on ``array``'s current values.
    array : numpy.ndarray
        Float64 values to differentiate by.
    eps : float
        The step: each derivative is ``(fn(a + eps) - fn(a - eps)) / (2 * eps)``.

    Example
    -------
    >>> a = np.array([1.0, 2.0])
    >>> numericalGrad(lambda: float(np.sum(a ** 2)), a, 1e-6).round(6)
    array([2., 4.])
    """
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


def gradcheck(mod, inputs, eps=1e-6, rtol=1e-5, atol=1e-7, checkInput=True, params=None, seed=0,
              outGrad=None):
    """Check a module's input and parameter gradients against central differences, in float64.

    The module is switched to float64 (``mod.calcMode(np.float64)``), run forward on ``inputs``,
    and given a random output gradient ``g`` (or ``outGrad``). Its ``grad`` and every variable's
    ``grad`` must then match the central-difference derivatives of ``sum(mod(x) * g)``; a
    mismatch raises ``AssertionError`` naming the gradient (``input0``, ``W``, ...) and the module.
    Input gradients of integer inputs are not checked.

    Parameters
    ----------
    mod : Module
        The module (or container) under test; it is left in float64.
    inputs : numpy.ndarray or list of numpy.ndarray
        Host data, a list for modules that take several inputs.
    eps : float
        Central-difference step.
    rtol, atol : float
        Tolerances of ``numpy.testing.assert_allclose``.
    checkInput : bool
        Also check ``mod.grad`` (turn off for modules whose input is not differentiable).
    params : iterable of str, optional
        Names of the variables to check (default: all that have a gradient).
    seed : int
        Seed of the random output gradient.
    outGrad : numpy.ndarray or list, optional
        The output gradient to use instead of a random one.

    Returns
    -------
    (dict, dict)
        The analytic and the numeric gradients, by name.

    Example
    -------
    >>> from PuzzleLib.Modules import Linear
    >>> analytic, numeric = gradcheck(Linear(3, 2), np.random.randn(4, 3))
    >>> sorted(analytic)
    ['W', 'b', 'input0']
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
    if not numeric:
        raise AssertionError("gradcheck: nothing was checked for %s (no float input with checkInput, "
                             "no variable with a gradient)" % (mod,))
    return analytic, numeric
