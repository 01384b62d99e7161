"""RNN: multi-layer recurrent network (relu, tanh, LSTM or GRU cells; uni- or bidirectional)."""
import numpy as np  # host-side initialisation only (orthogonal matrices); the math runs on xp

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._enum import _Choice
from PuzzleLib.Modules._initscheme import createTensorWithScheme, parseInitScheme
from PuzzleLib.Modules._validate import choiceArg, ownerName, positiveInt, realNumber
from PuzzleLib.Variable import Variable

xp = gpuarray.xp



class RNNMode(_Choice):
    """The RNN cell: plain recurrence with relu or tanh, LSTM or GRU.

    Example::

        >>> RNN(insize=3, hsize=4, mode=RNNMode.lstm).mode
        'lstm'
    """
    relu = "relu"
    tanh = "tanh"
    lstm = "lstm"
    gru = "gru"


class DirectionMode(_Choice):
    """Whether an RNN reads its sequence forwards only or both ways.

    Example::

        >>> RNN(insize=3, hsize=4, direction=DirectionMode.bi).direction
        'bi'
    """
    uni = "uni"
    bi = "bi"


modes = tuple(member.value for member in RNNMode)
directions = tuple(member.value for member in DirectionMode)
modifiers = (None, "orthogonal")
_gates = {"relu": 1, "tanh": 1, "lstm": 4, "gru": 3}


def _sigmoid(x):
    return 1.0 / (1.0 + xp.exp(-x))


class RNN(Module):
    """A stack of recurrent layers over time-major sequences.

    Cells, with ``p = x_t @ W + h_{t-1} @ R + b`` split into gate blocks of ``hsize``:

    - "relu" / "tanh": ``h_t = act(p)``;
    - "lstm" (gates i, f, g, o): ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)`` with
      sigmoid i, f, o and tanh g;
    - "gru" (gates r, z, n): ``n = tanh(x_t W_n + b_n + r * (h_{t-1} R_n))``,
      ``h_t = (1 - z) * n + z * h_{t-1}`` with sigmoid r, z.

    Initial states are zeros. A bidirectional layer runs a second cell from the last step to the
    first and concatenates both outputs on the feature axis.

    Parameters
    ----------
    insize, hsize : int
        Input features and hidden units per direction.
    layers : int
        Stacked layers; layer ``l > 0`` reads the output of layer ``l - 1``.
    mode : "relu", "tanh", "lstm" or "gru"
    direction : "uni" or "bi"
    dropout : float
        Dropout rate between layers (train mode only; inverted scaling).
    getSequences : bool
        Return the whole output sequence (T, N, dirs * hsize); otherwise the final states
        (N, dirs * hsize): the forward cell's last step and the backward cell's first.
    initscheme, wscale
        How the input weights ``W`` are drawn (see Linear); ``R`` too unless ``modifier``.
    modifier : "orthogonal" or None
        Draw each gate block of the recurrent weights ``R`` as a random orthogonal matrix.
    hintBatchSize : int, optional
        Accepted for compatibility; not needed here.

    Notes
    -----
    Parameters are named ``W<l>``, ``R<l>``, ``b<l>`` per layer (``W<l>r`` ... for the backward
    direction): ``W`` (in, gates * hsize), ``R`` (hsize, gates * hsize), ``b`` (gates * hsize,).

    Shape
    -----
    (T, N, insize) -> (T, N, dirs * hsize) with getSequences, else (N, dirs * hsize).

    Example::

        >>> rnn = RNN(insize=4, hsize=8, mode="lstm", direction="bi", getSequences=True)
        >>> rnn(to_gpu(np.zeros((5, 2, 4), np.float32))).shape
        (5, 2, 16)
    """

    def __init__(self, insize, hsize, layers=1, mode="relu", direction="uni", dropout=0.0, getSequences=False,
                 initscheme=None, modifier="orthogonal", wscale=1.0, hintBatchSize=None, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        self.insize = positiveInt(owner, "insize", insize)
        self.hsize = positiveInt(owner, "hsize", hsize)
        self.layers = positiveInt(owner, "layers", layers)
        mode = choiceArg(owner, "mode", mode, modes)
        direction = choiceArg(owner, "direction", direction, directions)
        modifier = getattr(modifier, "value", modifier)
        if modifier not in modifiers:
            raise ModuleError("%s: unknown modifier %r; expected None or 'orthogonal'" % (owner, modifier))
        self.dropout = realNumber(owner, "dropout", dropout)
        if not 0.0 <= self.dropout < 1.0:
            raise ModuleError("%s: dropout must be in [0, 1), got %r" % (owner, dropout))
        self.wscale = realNumber(owner, "wscale", wscale)
        parseInitScheme(initscheme, owner)
        if hintBatchSize is not None:
            positiveInt(owner, "hintBatchSize", hintBatchSize)
        self.mode, self.direction, self.modifier = mode, direction, modifier
        self.getSequences = bool(getSequences)
        self.dirs = 2 if direction == "bi" else 1
        self.gates = _gates[mode]

        gh = self.gates * self.hsize
        for layer in range(self.layers):
            lin = self.insize if layer == 0 else self.dirs * self.hsize
            for suffix in self._suffixes():
                W = createTensorWithScheme(initscheme, (lin, gh), self.wscale, lin, self.hsize, owner=owner)
                if modifier == "orthogonal":
                    R = gpuarray.to_gpu(self._orthogonal())
                else:
                    R = createTensorWithScheme(initscheme, (self.hsize, gh), self.wscale, self.hsize, self.hsize,
                                               owner=owner)
                self.setVar("W%d%s" % (layer, suffix), Variable(W))
                self.setVar("R%d%s" % (layer, suffix), Variable(R))
                self.setVar("b%d%s" % (layer, suffix), Variable(gpuarray.zeros((gh,), self.calctype)))
        self._cache = None
        self._pgrads = None

    def _suffixes(self):
        return ("", "r")[:self.dirs]

    def _orthogonal(self):
        blocks = []
        for _ in range(self.gates):
            q, r = np.linalg.qr(np.random.normal(0.0, 1.0, (self.hsize, self.hsize)))
            blocks.append(q * np.sign(np.diag(r)))
        return (np.concatenate(blocks, axis=1) * self.wscale).astype(np.float32)

    # ---- checks and shapes ----
    def checkDataShape(self, shape):
        if len(shape) != 3 or shape[2] != self.insize:
            raise self._error("expected data of shape (T, N, %d), got %s" % (self.insize, tuple(shape)))

    def dataShapeFrom(self, shape):
        width = self.dirs * self.hsize
        return (shape[0], shape[1], width) if self.getSequences else (shape[1], width)

    def gradShapeFrom(self, shape):
        if self.getSequences:
            return (shape[0], shape[1], self.insize)
        if self.inData is None:
            raise self._error("gradShapeFrom needs the sequence length: run a forward pass first")
        return (self.inData.shape[0], shape[0], self.insize)

    # ---- one cell over time ----
    def _runCell(self, x, layer, suffix, reverse):
        W, R, b = (self.vars[k % (layer, suffix)].data for k in ("W%d%s", "R%d%s", "b%d%s"))
        T, N, H = x.shape[0], x.shape[1], self.hsize
        xw = xp.matmul(x.reshape(T * N, -1), W).reshape(T, N, -1) + b
        h = xp.zeros((N, H), dtype=x.dtype)
        c = xp.zeros((N, H), dtype=x.dtype)
        out = xp.empty((T, N, H), dtype=x.dtype)
        steps = []
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            hr = xp.matmul(h, R)
            if self.mode == "lstm":
                p = xw[t] + hr
                i, f, o = _sigmoid(p[:, :H]), _sigmoid(p[:, H:2 * H]), _sigmoid(p[:, 3 * H:])
                g = xp.tanh(p[:, 2 * H:3 * H])
                cNew = f * c + i * g
                tc = xp.tanh(cNew)
                hNew = o * tc
                steps.append((h, c, i, f, g, o, tc))
                c = cNew
            elif self.mode == "gru":
                r = _sigmoid(xw[t, :, :H] + hr[:, :H])
                z = _sigmoid(xw[t, :, H:2 * H] + hr[:, H:2 * H])
                n = xp.tanh(xw[t, :, 2 * H:] + r * hr[:, 2 * H:])
                hNew = (1 - z) * n + z * h
                steps.append((h, r, z, n, hr[:, 2 * H:]))
            else:
                p = xw[t] + hr
                hNew = xp.maximum(p, 0) if self.mode == "relu" else xp.tanh(p)
                steps.append((h, hNew))
            out[t] = hNew
            h = hNew
        return out, steps

    def _bpttCell(self, x, dy, layer, suffix, reverse, steps, needInput):
        W, R = self.vars["W%d%s" % (layer, suffix)].data, self.vars["R%d%s" % (layer, suffix)].data
        T, N, H = x.shape[0], x.shape[1], self.hsize
        dxw = xp.empty((T, N, self.gates * H), dtype=x.dtype)
        dR = xp.zeros(R.shape, dtype=x.dtype)
        dhNext = xp.zeros((N, H), dtype=x.dtype)
        dcNext = xp.zeros((N, H), dtype=x.dtype)
        order = list(range(T - 1, -1, -1) if reverse else range(T))
        for k in range(T - 1, -1, -1):
            t = order[k]
            dh = dy[t] + dhNext
            if self.mode == "lstm":
                h, c, i, f, g, o, tc = steps[k]
                dc = dh * o * (1 - tc * tc) + dcNext
                dp = xp.concatenate([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g),
                                     dh * tc * o * (1 - o)], axis=1)
                dcNext = dc * f
                dph = dp
                dhDirect = 0
            elif self.mode == "gru":
                h, r, z, n, hn = steps[k]
                dpn = dh * (1 - z) * (1 - n * n)
                dpr = dpn * hn * r * (1 - r)
                dpz = dh * (h - n) * z * (1 - z)
                dp = xp.concatenate([dpr, dpz, dpn], axis=1)
                dph = xp.concatenate([dpr, dpz, dpn * r], axis=1)
                dhDirect = dh * z
            else:
                h, hNew = steps[k]
                dp = dh * (hNew > 0) if self.mode == "relu" else dh * (1 - hNew * hNew)
                dph = dp
                dhDirect = 0
            dxw[t] = dp
            dR += xp.matmul(h.T, dph)
            dhNext = xp.matmul(dph, R.T) + dhDirect
        flat = dxw.reshape(T * N, -1)
        dW = xp.matmul(x.reshape(T * N, -1).T, flat)
        db = flat.sum(axis=0)
        dx = xp.matmul(flat, W.T).reshape(T, N, -1) if needInput else None
        return dx, {"W%d%s" % (layer, suffix): dW, "R%d%s" % (layer, suffix): dR, "b%d%s" % (layer, suffix): db}

    # ---- forward / backward ----
    def updateData(self, data):
        x = data
        cache = []
        for layer in range(self.layers):
            mask = None
            if layer > 0 and self.train and self.dropout > 0:
                keep = xp.random.uniform(0.0, 1.0, size=x.shape) >= self.dropout
                mask = keep.astype(x.dtype) / (1.0 - self.dropout)
                x = x * mask
            outs, stepsByDir = [], []
            for suffix in self._suffixes():
                out, steps = self._runCell(x, layer, suffix, reverse=suffix == "r")
                outs.append(out)
                stepsByDir.append(steps)
            cache.append((x, mask, stepsByDir))
            x = outs[0] if self.dirs == 1 else xp.concatenate(outs, axis=2)
        self._cache = cache
        self._pgrads = None
        if self.getSequences:
            result = x
        else:
            H = self.hsize
            result = x[-1] if self.dirs == 1 else xp.concatenate([x[-1, :, :H], x[0, :, H:]], axis=1)
        self.data = gpuarray.asDevice(xp.ascontiguousarray(result))

    def _bptt(self, grad, needInput):
        T, N = self.inData.shape[0], self.inData.shape[1]
        H = self.hsize
        if self.getSequences:
            dy = grad
        else:
            dy = xp.zeros((T, N, self.dirs * H), dtype=grad.dtype)
            dy[-1, :, :H] = grad[:, :H]
            if self.dirs == 2:
                dy[0, :, H:] = grad[:, H:]
        pgrads = {}
        for layer in range(self.layers - 1, -1, -1):
            x, mask, stepsByDir = self._cache[layer]
            need = needInput or layer > 0
            dx = None
            for d, suffix in enumerate(self._suffixes()):
                dyDir = dy[:, :, d * H:(d + 1) * H]
                dxDir, grads = self._bpttCell(x, dyDir, layer, suffix, suffix == "r", stepsByDir[d], need)
                pgrads.update(grads)
                if need:
                    dx = dxDir if dx is None else dx + dxDir
            if mask is not None and dx is not None:
                dx = dx * mask
            dy = dx
        self._pgrads = pgrads
        return dy

    def backward(self, grad, updParamGrads=True, updGrad=True, scale=1.0, momentum=0.0):
        try:
            return super().backward(grad, updParamGrads, updGrad, scale, momentum)
        finally:
            self._pgrads = None

    def updateGrad(self, grad):
        self.grad = gpuarray.asDevice(xp.ascontiguousarray(self._bptt(grad, needInput=True)))

    def accGradParams(self, grad, scale=1.0, momentum=0.0):
        if self._pgrads is None:
            self._bptt(grad, needInput=False)
        for vname, new in self._pgrads.items():
            var = self.vars[vname]
            if var.grad is not None:
                self._accumulateParamGrad(var, xp.ascontiguousarray(new, dtype=var.grad.dtype), scale, momentum)

    def _extraRepr(self):
        return "%d -> %d, %s, %s, layers=%d%s" % (self.insize, self.hsize, self.mode, self.direction, self.layers,
                                                  ", sequences" if self.getSequences else "")
