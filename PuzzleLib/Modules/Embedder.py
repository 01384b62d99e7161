"""Embedder: look up a learned vector for each word index."""
from PuzzleLib import Config
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._initscheme import createTensorWithScheme, parseInitScheme
from PuzzleLib.Modules._validate import ownerName, positiveInt, realNumber
from PuzzleLib.Variable import Variable

xp = gpuarray.xp
kernels = gpuarray.kernels

_zeros = {}


def _zero(dtype):
    """A 0-d device zero of ``dtype`` (a masked fill without a host scalar or a boolean-mask index,
    either of which makes CuPy wait for the GPU)."""
    key = xp.dtype(dtype)
    z = _zeros.get(key)
    if z is None:
        z = _zeros[key] = xp.zeros((), dtype=key)
    return z


class Embedder(Module):
    """Word embeddings: ``data[n, t] = W[indices[n, t]]``.

    Parameters
    ----------
    vocabulary : int, or a sequence / dict of words
        The vocabulary size, or the words themselves (the size is their number); a dict maps
        each word to its row of W, a sequence gives word i row i. ``getVocabulary()`` returns
        that word -> row dict ({} when only a size was given).
    sentlength : int
        Words per sentence (the input's second axis).
    embsize : int
        Length of each word's vector.
    onVocabulary : callable(W, vocabulary), optional
        Called once with the host array ``W`` (vocabulary, embsize) after initialisation, to fill
        in known vectors (pretrained embeddings); it changes ``W`` in place.
    initscheme, wscale
        How W is drawn (default "uniform" in ±wscale); see Linear.
    learnable : bool
        Train W; when False, W has no gradient and stays as it is.

    Notes
    -----
    Index ``-1`` (any negative index) is padding: its vector is zeros and it gets no gradient.
    Indices at or above the vocabulary size are refused.

    Shape
    -----
    int32 (N, sentlength) -> (N, sentlength, embsize). W: (vocabulary, embsize).

    Example::

        >>> emb = Embedder(vocabulary=100, sentlength=5, embsize=8)
        >>> emb(to_gpu(np.zeros((2, 5), np.int32))).shape
        (2, 5, 8)
    """

    def __init__(self, vocabulary, sentlength, embsize, onVocabulary=None, initscheme="uniform", wscale=1.0,
                 learnable=True, name=None):
        super().__init__(name)
        owner = ownerName(type(self), name)
        if isinstance(vocabulary, (list, tuple, dict)):
            size = len(vocabulary)
        else:
            size = vocabulary
        self.vocabsize = positiveInt(owner, "vocabulary", size)
        if isinstance(vocabulary, dict):
            self._vocabulary = dict(vocabulary)
        elif isinstance(vocabulary, (list, tuple)):
            self._vocabulary = {word: row for row, word in enumerate(vocabulary)}
        else:
            self._vocabulary = {}
        self.sentlength = positiveInt(owner, "sentlength", sentlength)
        self.embsize = positiveInt(owner, "embsize", embsize)
        self.wscale = realNumber(owner, "wscale", wscale)
        parseInitScheme(initscheme, owner)
        if onVocabulary is not None and not callable(onVocabulary):
            raise ModuleError("%s: onVocabulary must be a function (W, vocabulary) or None, got %r" % (owner, onVocabulary))
        self.learnable = bool(learnable)

        shape = (self.vocabsize, self.embsize)
        W = createTensorWithScheme(initscheme, shape, self.wscale, self.vocabsize, self.embsize, owner=owner)
        if onVocabulary is not None:
            host = W.get()
            onVocabulary(host, vocabulary)
            W.set(host)
        self.setVar("W", Variable(W, withgrad=self.learnable))

    def getVocabulary(self):
        """The words this embedder was built with, as a dict word -> row of W ({} for a size)."""
        return self._vocabulary

    def checkDataType(self, dtype):
        if xp.dtype(dtype).kind not in "iu":
            raise self._error("expected integer word indices (int32), got dtype %s" % xp.dtype(dtype).name)

    def checkDataShape(self, shape):
        if len(shape) != 2 or shape[1] != self.sentlength:
            raise self._error("expected indices of shape (N, %d), got %s" % (self.sentlength, tuple(shape)))

    _dataVerified = False  # True while a handler feeds batches of a data set _checkDataFor checked whole

    def _checkDataFor(self, data):
        """A handler's whole-set check of the indices, before its first batch (so that the batches
        need not read each one's maximum back from the device); True when it checked them."""
        if Config.disableDtypeShapeChecks or xp.dtype(data.dtype).kind not in "iu" or data.size == 0:
            return False
        self._checkRange(data)
        return True

    def _checkRange(self, data):
        hi = int(xp.max(data))
        if hi >= self.vocabsize:
            raise self._error("word index %d is out of range for a vocabulary of %d" % (hi, self.vocabsize))

    def updateData(self, data):
        if not Config.disableDtypeShapeChecks and not self._dataVerified and data.size > 0:
            self._checkRange(data)
        W = self.vars["W"].data
        idx = data.reshape(-1).astype(xp.int64)
        pad = idx < 0
        out = self._buffer("data", tuple(data.shape) + (self.embsize,), W.dtype)
        flat = out.reshape(-1, self.embsize)
        xp.take(W, xp.where(pad, 0, idx), axis=0, out=flat)
        xp.copyto(flat, _zero(W.dtype), where=pad[:, None])
        self.data = out

    def updateGrad(self, grad):
        self.grad = None  # indices have no gradient

    def accGradParams(self, grad, scale=1.0, momentum=0.0):
        var = self.vars["W"]
        if not self.learnable or var.grad is None:
            return
        idx = self.inData.reshape(-1).astype(xp.int64)
        pad = idx < 0
        new = self._scratch("dW", var.grad.shape, var.grad.dtype)
        new.fill(0)
        # padding positions add a zero row to W[0] (rather than being picked out by a boolean mask,
        # whose result size CuPy must read back)
        values = xp.where(pad[:, None], _zero(grad.dtype), grad.reshape(-1, self.embsize))
        kernels.scatterAdd(new, xp.where(pad, 0, idx), values)
        self._accumulateParamGrad(var, new, scale, momentum)

    def checkGradShape(self, shape):
        expected = tuple(self.inData.shape) + (self.embsize,)
        if tuple(shape) != expected:
            raise self._error("expected gradient of shape %s, got %s" % (expected, tuple(shape)))

    def checkGradType(self, dtype):
        if dtype != self.vars["W"].data.dtype:
            raise self._error("expected gradient of dtype %s, got %s" % (
                xp.dtype(self.vars["W"].data.dtype).name, xp.dtype(dtype).name))

    def dataShapeFrom(self, shape):
        return tuple(shape) + (self.embsize,)

    def gradShapeFrom(self, shape):
        return tuple(shape[:-1])

    def getBlueprint(self):
        from PuzzleLib import Serialization
        scheme = dict(self._scheme or {})
        scheme["onVocabulary"] = None  # code is never stored; the file holds W itself
        if not isinstance(scheme.get("vocabulary"), int):
            scheme["vocabulary"] = self.vocabsize
        return {"classname": type(self).__name__, "scheme": Serialization.jsonable(scheme, self._label())}

    def _extraRepr(self):
        return "vocabulary=%d, sentlength=%d, embsize=%d%s" % (
            self.vocabsize, self.sentlength, self.embsize, "" if self.learnable else ", frozen")
