"""Finite-difference check of a cost's gradient: the cost must return minus d(error)/d(pred)."""
import numpy as np

from PuzzleLib.Backend.gpuarray import to_gpu


def _toDevice(x):
    return [to_gpu(a) for a in x] if isinstance(x, (list, tuple)) else to_gpu(x)


def checkCostGrad(cost, pred, target, eps=1e-6, rtol=1e-5, atol=1e-8, gradScale=1.0, errorOf=float):
    """Assert ``grad == -gradScale * d error / d pred`` by central differences (float64), where the
    error is ``errorOf`` of what the cost returns (``sum`` for a cost returning one error per part).
    ``gradScale`` is for costs that scale their gradient as PuzzleLib 1.0 does (CrossEntropy over
    trailing positions, CTC's batch). Returns (error, grad)."""
    single = not isinstance(pred, (list, tuple))
    preds = [np.array(p, dtype=np.float64) for p in ([pred] if single else pred)]
    dev = lambda: to_gpu(preds[0]) if single else [to_gpu(p) for p in preds]  # noqa: E731
    tgt = _toDevice(target)

    error, grad = cost(dev(), tgt)
    grads = [grad.get()] if single else [g.get() for g in grad]
    for p, g in zip(preds, grads):
        num = np.zeros_like(p)
        flat, nflat = p.reshape(-1), num.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            ep, _ = cost(dev(), tgt)
            flat[i] = old - eps
            em, _ = cost(dev(), tgt)
            flat[i] = old
            nflat[i] = (errorOf(ep) - errorOf(em)) / (2 * eps)
        np.testing.assert_allclose(g, -gradScale * num, rtol=rtol, atol=atol, err_msg="gradient of %s" % cost)
    return error, (grads[0] if single else grads)
