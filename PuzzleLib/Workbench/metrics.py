"""How good a restoration is: the tutorial's error and figures relative to the data's own spread."""
import numpy as np


def halfMse(pred, y):
    """The tutorial's error, 0.5 * mean((y - pred)**2), in float64.

    Example
    -------
    >>> halfMse([1.0, 2.0], [1.0, 4.0])
    1.0
    """
    diff = np.asarray(pred, np.float64).reshape(-1) - np.asarray(y, np.float64).reshape(-1)
    return float(0.5 * np.mean(diff * diff))


def summary(pred, y, x):
    """Absolute and relative figures of ``pred`` against ``y`` (rows of ``x``, (N, d)).

    Returns a dict: ``error`` (0.5 * MSE), ``rmse``, ``relativeRmse`` (RMSE / std(y), 0 is
    perfect, 1 is no better than the mean), ``r2`` (1 - SSE / SST), ``maxAbsError`` and
    ``maxAbsErrorAt`` (the inputs where it is, a list of d numbers). Values that cannot be
    computed (a diverged net, a constant y) are None.

    Example
    -------
    >>> s = summary(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 3.0]), np.array([[0.0], [1.0], [2.0]]))
    >>> round(s["r2"], 4), s["maxAbsError"], s["maxAbsErrorAt"]
    (0.7857, 1.0, [2.0])
    """
    p = np.asarray(pred, np.float64).reshape(-1)
    t = np.asarray(y, np.float64).reshape(-1)
    with np.errstate(all="ignore"):
        diff = p - t
        sse = float(np.sum(diff * diff))
        sst = float(np.sum((t - t.mean()) ** 2)) if t.size else 0.0
        err = np.abs(diff)
    out = {"error": None, "rmse": None, "relativeRmse": None, "r2": None, "maxAbsError": None, "maxAbsErrorAt": None}
    if not t.size or not np.isfinite(sse):
        return out
    out["error"] = 0.5 * sse / t.size
    out["rmse"] = float(np.sqrt(sse / t.size))
    std = float(np.sqrt(sst / t.size))
    if std > 0:
        out["relativeRmse"] = out["rmse"] / std
        out["r2"] = 1.0 - sse / sst
    worst = int(np.argmax(err))
    out["maxAbsError"] = float(err[worst])
    out["maxAbsErrorAt"] = [float(v) for v in np.asarray(x, np.float64).reshape(len(t), -1)[worst]]
    return out


_PIECEWISE = ("relu", "leakyRelu", "clip")


def _activationPieces(mod):
    """The activation of ``mod`` as (knots, [(slope, intercept) per region]) or None if curved."""
    name = getattr(mod.activation, "value", mod.activation)
    if name == "relu":
        return [0.0], [(0.0, 0.0), (1.0, 0.0)]
    if name == "leakyRelu":
        return [0.0], [(float(mod.actArgs[0]), 0.0), (1.0, 0.0)]
    if name == "clip":
        lo, hi = mod.actArgs
        return [float(lo), float(hi)], [(0.0, float(lo)), (1.0, 0.0), (0.0, float(hi))]
    return None


def piecewiseLinear(net):
    """A one-input net of Linear layers and ReLU / leakyRelu / clip activations written out
    exactly: a list of pieces ``(low, high, slope, intercept)`` (float64, from -inf to inf, in
    order; ``y = slope * x + intercept`` for x in [low, high]). Raises
    :class:`~PuzzleLib.Errors.WorkbenchError` saying why a net cannot be written so.

    Example
    -------
    >>> from PuzzleLib.Containers import Sequential
    >>> from PuzzleLib.Modules import Activation, Linear
    >>> net = Sequential().append(Linear(1, 1)).append(Activation("relu")).append(Linear(1, 1))
    >>> for mod, W, b in ((net[0], 2.0, -1.0), (net[2], 3.0, 0.5)):
    ...     _ = mod.W.set(np.array([[W]], np.float32)), mod.b.set(np.array([b], np.float32))
    >>> piecewiseLinear(net)
    [(-inf, 0.5, 0.0, 0.5), (0.5, inf, 6.0, -2.5)]
    """
    from PuzzleLib.Errors import WorkbenchError
    from PuzzleLib.Modules import Activation, Linear

    mods = list(getattr(net, "graph", [net]))
    layers = []
    for mod in mods:
        if isinstance(mod, Linear):
            W = mod.vars["W"].data.get().astype(np.float64)
            b = mod.vars["b"].data.get().astype(np.float64) if "b" in mod.vars else np.zeros(W.shape[1])
            layers.append(("linear", W, b))
        elif isinstance(mod, Activation):
            pieces = _activationPieces(mod)
            if pieces is None:
                raise WorkbenchError("its activation %s is curved, so the net is not piecewise linear; only "
                                     "ReLU, leakyRelu and clip nets can be written out exactly"
                                     % getattr(mod.activation, "value", mod.activation))
            layers.append(("act",) + pieces)
        else:
            raise WorkbenchError("it holds a %s; only nets of Linear layers and ReLU-like activations are "
                                 "written out" % type(mod).__name__)
    if not layers or layers[0][0] != "linear":
        raise WorkbenchError("it does not start with a Linear layer")
    if layers[0][1].shape[0] != 1:
        raise WorkbenchError("it takes %d inputs; a net of several inputs is piecewise linear over regions, "
                             "not intervals, and is not written out here" % layers[0][1].shape[0])
    if layers[-1][0] != "linear" or layers[-1][1].shape[1] != 1:
        raise WorkbenchError("it does not end in a Linear layer with one output")

    # each segment: [low, high, A, C], the current values being A * x + C (vectors over the units)
    segments = [[-np.inf, np.inf, np.zeros(1) + 1.0, np.zeros(1)]]
    for layer in layers:
        if layer[0] == "linear":
            _, W, b = layer
            segments = [[lo, hi, A @ W, C @ W + b] for lo, hi, A, C in segments]
            continue
        _, knots, regions = layer
        split = []
        for lo, hi, A, C in segments:
            cuts = []
            with np.errstate(divide="ignore", invalid="ignore"):
                for knot in knots:
                    t = (knot - C) / A
                    cuts.extend(t[(A != 0) & (t > lo) & (t < hi)].tolist())
            bounds = [lo] + sorted(set(cuts)) + [hi]
            for a, c in zip(bounds[:-1], bounds[1:]):
                mid = _inside(a, c)
                z = A * mid + C
                region = np.searchsorted(np.asarray(knots), z, side="right")
                slope = np.array([regions[r][0] for r in region])
                shift = np.array([regions[r][1] for r in region])
                split.append([a, c, A * slope, C * slope + shift])
        segments = split
    pieces = []
    for lo, hi, A, C in segments:
        slope, intercept = float(A[0]), float(C[0])
        if pieces and _same(pieces[-1][2], slope) and _same(pieces[-1][3], intercept):
            pieces[-1] = (pieces[-1][0], hi, pieces[-1][2], pieces[-1][3])
        else:
            pieces.append((float(lo), float(hi), slope, intercept))
    return pieces


def _inside(a, c):
    if np.isinf(a) and np.isinf(c):
        return 0.0
    if np.isinf(a):
        return c - 1.0
    if np.isinf(c):
        return a + 1.0
    return 0.5 * (a + c)


def _same(u, v):
    return abs(u - v) <= 1e-12 * max(1.0, abs(u), abs(v))


def evaluatePieces(pieces, x):
    """The piecewise-linear function ``pieces`` (from :func:`piecewiseLinear`) at ``x`` (float64)."""
    x = np.asarray(x, dtype=np.float64)
    highs = np.array([p[1] for p in pieces])
    index = np.minimum(np.searchsorted(highs, x, side="left"), len(pieces) - 1)
    slopes = np.array([p[2] for p in pieces])
    intercepts = np.array([p[3] for p in pieces])
    return slopes[index] * x + intercepts[index]
