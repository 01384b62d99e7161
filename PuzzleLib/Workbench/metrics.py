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
