"""CTC: connectionist temporal classification loss for unsegmented label sequences."""
import numbers

from PuzzleLib import Config
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Cost._listcost import _ListCost
from PuzzleLib.Errors import CostError
from PuzzleLib.Modules._validate import typeName

xp = gpuarray.xp



def _filled(shape, value, dtype):
    """``xp.full(shape, value, dtype)`` without handing ``full`` a Python scalar, which CuPy 13.0-13.2
    refuses under NumPy 2 (its copyto asks numpy.can_cast about the scalar; cupy/cupy#8391)."""
    out = xp.empty(shape, dtype=dtype)
    out.fill(value)
    return out


class CTC(_ListCost):
    """Connectionist temporal classification (Graves et al., 2006,
    https://www.cs.toronto.edu/~graves/icml_2006.pdf).

    ``error = mean_n -log p(labels_n | pred_n)``, where ``p`` sums the probabilities of every
    frame-wise path that collapses to the label sequence (merge repeats, then drop blanks).
    Computed with the forward-backward recursions in log space. Each sample's ``-log p`` is not
    divided by its label length (PyTorch's ``reduction="mean"`` divides by it; its ``"sum"``
    divided by N is this error).

    The gradient handed back is, as in PuzzleLib 1.0, ``occupancy - softmax`` per frame: the
    negative gradient of each sample's ``-log p`` with respect to the scores before the softmax,
    not divided by N (N times the error's gradient), zero on frames past a sample's length.

    Parameters
    ----------
    blank : int
        Index of the blank symbol.
    vocabsize : int, optional
        Number of symbols including the blank; when given, ``pred``'s last axis must have it.
    normalized : bool
        False (default): ``pred`` holds raw scores and the softmax over symbols is taken inside.
        True: ``pred`` already holds probabilities (the softmax applied by the net), as in
        PuzzleLib 1.0; the error takes their log, and the gradient is still ``occupancy - pred``
        (the one for the scores before that softmax, as PyTorch's ctc_loss gives it for
        log-probabilities).

    Notes
    -----
    Prediction and target: PuzzleLib 1.0's call is ``ctc([data, datalen], [labels, lengths])``: ``datalen`` (N,) int32
    frames per sample, ``labels`` the label sequences concatenated (1-d int32) and ``lengths``
    (N,) int32 (a host or device array) the length of each. Also taken: ``pred`` alone (every
    sample has all T frames) and as target int32 labels (N, L) padded with -1, ``(labels,
    lengths)`` with labels (N, L), or ``(labels, lengths, datalen)``.

    Shape
    -----
    data: (T, N, vocabsize), time first (as RNN gives with getSequences=True).

    Example::

        >>> ctc = CTC(blank=0)
        >>> err, grad = ctc(to_gpu(np.zeros((4, 1, 3), np.float32)), to_gpu(np.array([[1, 2]], np.int32)))
        >>> round(err, 4)   # -log(15 / 81): 15 of the 3**4 equally likely paths collapse to "1 2"
        1.6864
        >>> grad.shape
        (4, 1, 3)
    """

    def __init__(self, blank, vocabsize=None, normalized=False):
        super().__init__()
        if isinstance(blank, bool) or not isinstance(blank, numbers.Integral) or blank < 0:
            raise CostError("CTC: blank must be a non-negative integer, got %r" % (blank,))
        if vocabsize is not None and (isinstance(vocabsize, bool) or not isinstance(vocabsize, numbers.Integral)
                                      or vocabsize <= blank):
            raise CostError("CTC: vocabsize must be an integer greater than blank (%d), got %r" % (blank, vocabsize))
        self.blank = int(blank)
        self.vocabsize = None if vocabsize is None else int(vocabsize)
        self.normalized = bool(normalized)

    # ---- inputs ----
    @staticmethod
    def _data(pred):
        """(data, datalen or None) from ``pred`` or ``[data, datalen]``."""
        if isinstance(pred, (list, tuple)):
            return pred[0], pred[1]
        return pred, None

    def _unpack(self, pred, target):
        """(labels (N, L) int, lengths (N,) int, datalen (N,) int) on the device."""
        data, framelen = self._data(pred)
        T, N = data.shape[0], data.shape[1]
        if isinstance(target, (list, tuple)):
            if len(target) not in (2, 3):
                raise self._error("target must be labels, (labels, lengths) or (labels, lengths, datalen); "
                                  "got a sequence of %d" % len(target))
            labels, lengths = target[0], target[1]
            datalen = target[2] if len(target) == 3 else None
        else:
            labels, lengths, datalen = target, None, None
        if framelen is not None:
            if datalen is not None:
                raise self._error("datalen given twice: in the prediction [data, datalen] and in the target")
            datalen = framelen
        for what, ary in (("labels", labels), ("lengths", lengths), ("datalen", datalen)):
            if ary is None:
                continue
            if not hasattr(ary, "dtype") or xp.dtype(ary.dtype).kind not in "iu":
                raise self._error("expected int32 %s, got %s" % (what, getattr(ary, "dtype", type(ary).__name__)))
        for what, ary in (("lengths", lengths), ("datalen", datalen)):
            if ary is not None and tuple(ary.shape) != (N,):
                raise self._error("expected %s of shape (%d,), got %s" % (what, N, tuple(ary.shape)))
        if lengths is not None:
            lengths = xp.asarray(lengths).astype(xp.int64)  # PuzzleLib 1.0 programs pass a host array
        if labels.ndim == 1 and lengths is not None:
            labels = self._padLabels(xp.asarray(labels).astype(xp.int64), lengths)
        if labels.ndim != 2 or labels.shape[0] != N:
            raise self._error("expected labels of shape (N=%d, L), or concatenated (1-d) with lengths, got %s" % (
                N, tuple(labels.shape)))
        labels = labels.astype(xp.int64)
        if lengths is None:
            lengths = (labels >= 0).sum(axis=1)
        datalen = _filled((N,), T, xp.int64) if datalen is None else xp.asarray(datalen).astype(xp.int64)
        return labels, lengths, datalen

    def _padLabels(self, flat, lengths):
        """Concatenated label sequences (1-d) -> (N, max length) padded with -1."""
        if not Config.disableDtypeShapeChecks and (int(lengths.min()) < 0 or int(lengths.sum()) != flat.shape[0]):
            raise self._error("the lengths (sum %d) must be non-negative and add up to the %d concatenated labels" % (
                int(lengths.sum()), flat.shape[0]))
        N = lengths.shape[0]
        L = int(lengths.max()) if N else 0
        starts = xp.cumsum(lengths) - lengths
        pos = xp.arange(L)[None, :]
        used = pos < lengths[:, None]
        index = xp.where(used, starts[:, None] + pos, 0)
        return xp.where(used, flat[index] if flat.shape[0] else -1, -1)

    def _checkValues(self, labels, lengths, datalen, T, V):
        if Config.disableDtypeShapeChecks:
            return
        L = labels.shape[1]
        if int(lengths.min()) < 0 or int(lengths.max()) > L:
            raise self._error("label lengths must lie in [0, %d], got [%d, %d]" % (L, int(lengths.min()), int(lengths.max())))
        if int(datalen.min()) < 1 or int(datalen.max()) > T:
            raise self._error("datalen must lie in [1, %d], got [%d, %d]" % (T, int(datalen.min()), int(datalen.max())))
        used = xp.arange(L)[None, :] < lengths[:, None]
        if L and bool(used.any()):
            vals = labels[used]
            if int(vals.min()) < 0 or int(vals.max()) >= V:
                raise self._error("labels must lie in [0, %d), got values in [%d, %d]" % (V, int(vals.min()), int(vals.max())))
            if bool((vals == self.blank).any()):
                raise self._error("labels must not contain the blank symbol %d" % self.blank)

    # ---- the forward-backward algorithm ----
    def _lossAndGrad(self, pred, target, needGrad):
        labels, lengths, datalen = self._unpack(pred, target)
        pred = self._data(pred)[0]
        T, N, V = pred.shape
        self._checkValues(labels, lengths, datalen, T, V)
        x = pred.astype(xp.float64)
        if self.normalized:
            positive = x > 0
            logp = xp.where(positive, xp.log(xp.where(positive, x, 1.0)), -xp.inf)  # log 0 = -inf, no warning
        else:
            shifted = x - x.max(axis=2, keepdims=True)
            logp = shifted - xp.log(xp.exp(shifted).sum(axis=2, keepdims=True))

        L = labels.shape[1]
        S = 2 * L + 1
        ext = _filled((N, S), self.blank, xp.int64)
        if L:
            ext[:, 1::2] = xp.where(labels >= 0, labels, self.blank)
        valid = xp.arange(S)[None, :] < (2 * lengths + 1)[:, None]                       # (N, S)
        skip = xp.zeros((N, S), dtype=bool)                                              # s-2 -> s allowed
        if S > 2:
            skip[:, 2:] = (ext[:, 2:] != self.blank) & (ext[:, 2:] != ext[:, :-2])
        lp = xp.take_along_axis(logp, xp.broadcast_to(ext[None], (T, N, S)), axis=2)     # (T, N, S)
        lp = xp.where(valid[None], lp, -xp.inf)
        ninf = _filled((N, S), -xp.inf, xp.float64)

        alpha = xp.empty((T, N, S))
        a = ninf.copy()
        a[:, 0] = lp[0, :, 0]
        if S > 1:
            a[:, 1] = lp[0, :, 1]
        alpha[0] = a
        for t in range(1, T):
            prev = alpha[t - 1]
            acc = prev.copy()
            acc[:, 1:] = xp.logaddexp(acc[:, 1:], prev[:, :-1])
            acc[:, 2:] = xp.where(skip[:, 2:], xp.logaddexp(acc[:, 2:], prev[:, :-2]), acc[:, 2:])
            alpha[t] = acc + lp[t]

        rows = xp.arange(N)
        last = alpha[datalen - 1, rows]                                                  # (N, S)
        end = 2 * lengths
        logP = xp.logaddexp(last[rows, end], xp.where(lengths > 0, last[rows, xp.maximum(end - 1, 0)], -xp.inf))
        if not bool(xp.all(xp.isfinite(logP))):
            bad = int(xp.argmax(~xp.isfinite(logP)))
            raise self._error("sample %d: its %d labels cannot be aligned to %d frames (too short for the labels and "
                              "their repeats)" % (bad, int(lengths[bad]), int(datalen[bad])))
        loss = -logP
        if not needGrad:
            return loss.mean(), None

        endMask = (xp.arange(S)[None, :] == end[:, None]) | (
            (xp.arange(S)[None, :] == end[:, None] - 1) & (lengths[:, None] > 0))
        beta = xp.empty((T, N, S))
        nxt = ninf
        for t in range(T - 1, -1, -1):
            acc = nxt.copy()
            acc[:, :-1] = xp.logaddexp(acc[:, :-1], nxt[:, 1:])
            acc[:, :-2] = xp.where(skip[:, 2:], xp.logaddexp(acc[:, :-2], nxt[:, 2:]), acc[:, :-2])
            here = (datalen - 1 == t)[:, None]
            acc = xp.where(here, xp.where(endMask, 0.0, -xp.inf), acc)
            acc = xp.where((t < datalen)[:, None], acc + lp[t], -xp.inf)
            beta[t] = acc
            nxt = acc

        # occupancy of each extended position: exp(alpha + beta - lp - logP), zero where impossible
        logocc = alpha + beta - xp.where(xp.isfinite(lp), lp, 0.0) - logP[None, :, None]
        occ = xp.where(xp.isfinite(logocc), xp.exp(xp.minimum(logocc, 0.0)), 0.0)
        onehot = (ext[:, :, None] == xp.arange(V)[None, None, :]).astype(xp.float64)    # (N, S, V)
        occV = xp.matmul(occ.transpose(1, 0, 2), onehot).transpose(1, 0, 2)             # (T, N, V)
        frames = (xp.arange(T)[:, None] < datalen[None, :])[:, :, None]
        # d loss_n / d (the scores before the softmax), with pred's own probabilities when normalized
        dscores = xp.exp(logp) * occV.sum(axis=2, keepdims=True) - occV
        dscores = xp.where(frames, dscores, 0.0)
        return loss.mean(), -dscores                                 # per sample, not divided by N

    # ---- the Cost interface ----
    def _checkInputs(self, pred, target, validation=False):
        if isinstance(pred, (list, tuple)):
            if len(pred) != 2:
                raise self._error("expected the prediction as data or [data, datalen], got a list of %d" % len(pred))
            pred = pred[0]
        try:
            shape, dtype = tuple(pred.shape), pred.dtype
        except AttributeError:
            raise self._error("expected a device array as prediction, got %s" % typeName(pred)) from None
        if len(shape) != 3:
            raise self._error("expected predictions of shape (T, N, vocabsize), got %s" % (shape,))
        if xp.dtype(dtype).kind != "f":
            raise self._error("expected floating-point predictions, got dtype %s" % xp.dtype(dtype).name)
        if self.vocabsize is not None and shape[2] != self.vocabsize:
            raise self._error("expected predictions for vocabsize=%d symbols (last axis), got shape %s" % (
                self.vocabsize, shape))
        if self.blank >= shape[2]:
            raise self._error("blank %d is outside the %d symbols of predictions of shape %s" % (self.blank, shape[2], shape))

    def calcErrorAndGrad(self, pred, target):
        error, grad = self._lossAndGrad(pred, target, needGrad=True)
        out = self._gradBuffer(self._data(pred)[0])
        out[...] = grad
        return error, out

    def calcError(self, pred, target):
        return self._lossAndGrad(pred, target, needGrad=False)[0]

    def _checkLists(self, pred, target, validation):
        self._checkInputs(pred, target, validation)

    def _batchSize(self, pred):
        return self._data(pred)[0].shape[1]  # time first: a batch weighs its N sequences in the accumulator

    def __str__(self):
        extra = "" if self.vocabsize is None else ", vocabsize=%d" % self.vocabsize
        return "CTC(blank=%d%s%s)" % (self.blank, extra, ", normalized" if self.normalized else "")

    __repr__ = __str__
