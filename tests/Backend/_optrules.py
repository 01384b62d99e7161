"""The fused optimizer rules of the backends, as data for the kernel tests (host emulation and GPU).

Each rule: backend function name, elementwise kernel name, state buffers with the range their
random start values are drawn from (second moments positive, SMORMS3's memory >= 1, Graves' ms above
mg**2), the hyperparameters in call order, and whether the numpy rule takes a second temporary.
The numpy rule is called ``fn(param, grad, *states, *hypers, scratch[, temp])``, the kernel
``kernel(grad, *hypers, param, *states)``.
"""
import numpy as np

RULES = {
    "adamUpdate": ("adam", (("mom", -1, 1), ("ms", 0.1, 2)), (0.01, 0.9, 0.999, 1e-8), False),
    "rmsPropUpdate": ("rmsprop", (("ms", 0.1, 2),), (0.01, 0.9, 1e-5), False),
    "rmsPropGravesUpdate": ("rmsprop_graves", (("ms", 2, 4), ("mg", -1, 1), ("delta", -1, 1)),
                            (0.01, 0.95, 0.9, 1e-4), True),
    "adaGradUpdate": ("adagrad", (("h", 0.1, 2),), (0.01, 1e-8), False),
    "adaDeltaUpdate": ("adadelta", (("msg", 0.1, 2), ("msdx", 0.1, 2)), (0.5, 0.95, 1e-6), True),
    "smorms3Update": ("smorms3", (("mem", 1, 3), ("mg", -1, 1), ("ms", 0.5, 3)), (0.01, 1e-16), True),
    "nesterovUpdate": ("nesterov", (("mom", -1, 1),), (0.01, 0.9), False),
}


def draw(fname, shape, dtype):
    """(param, grad, states) for rule ``fname``: host arrays of ``dtype``."""
    _, states, _, _ = RULES[fname]
    param = np.random.uniform(-3, 3, size=shape).astype(dtype)
    grad = np.random.uniform(-3, 3, size=shape).astype(dtype)
    return param, grad, [np.random.uniform(lo, hi, size=shape).astype(dtype) for _, lo, hi in states]


def reference(cpu, fname, param, grad, states, refDtype):
    """The numpy rule of ``cpu`` (the _cpu module) applied to copies in ``refDtype``: (param, states)."""
    _, _, hypers, temp = RULES[fname]
    p = param.astype(refDtype)
    st = [s.astype(refDtype) for s in states]
    extra = (np.empty_like(p),) + ((np.empty_like(p),) if temp else ())
    getattr(cpu, fname)(p, grad.astype(refDtype), *st, *hypers, *extra)
    return p, st
