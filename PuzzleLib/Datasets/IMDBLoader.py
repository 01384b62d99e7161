"""IMDBLoader: the IMDB reviews in Keras's imdb.npz layout, as padded index sequences."""
import json
import numbers
import os

import numpy as np

from PuzzleLib.Datasets.DataLoader import DataLoader
from PuzzleLib.Datasets._files import checkPath, readFile
from PuzzleLib.Datasets._safepickle import safeLoadNpz
from PuzzleLib.Errors import DatasetError

_PARAMS = ("numwords", "skiptop", "maxlen", "padchar", "startchar", "oovchar", "indexFrom")


class IMDBLoader(DataLoader):
    """The IMDB sentiment reviews from ``imdb.npz`` (Keras's layout: ``x_train``, ``x_test`` hold
    lists of word ranks, ``y_train``, ``y_test`` 0/1) and ``imdb_word_index.json`` (word -> rank,
    1-based) in a folder; nothing is downloaded. The npz's object arrays are read without running
    pickle code (only lists, numbers and numpy arrays are built).

    The 25 000 training reviews (shuffled with ``np.random.permutation``) come first, then the
    25 000 test reviews (shuffled likewise). Each review gets ``startchar`` in front and every rank
    shifted by ``indexFrom``; ranks ``>= numwords`` or ``< skiptop`` become ``oovchar`` (dropped
    when it is None); short reviews are padded on the left with ``padchar``, long ones keep their
    last ``maxlen`` tokens. The cache ``imdb.hdf`` remembers the parameters and is rebuilt when
    they change.

    Parameters
    ----------
    numwords : int, optional
        Vocabulary size (default: all ranks).
    skiptop : int
        Ranks below it become ``oovchar``.
    maxlen : int, optional
        Sequence length (default: the longest review).
    padchar, startchar, oovchar, indexFrom : int
        Padding, start-of-review and out-of-vocabulary indices, and the shift of the ranks.

    Returns (from ``load(path, compress="gzip", log=True)``)
    ----------------------------------------------------------
    data: h5py dataset int32 (50000, maxlen); labels: int32 (50000,); vocabulary: strings
    (numwords,), entry i the word of rank i (not shifted by ``indexFrom``).

    Example::

        >>> data, labels, vocab = IMDBLoader(numwords=10, maxlen=4).load("imdb", log=False)   # 5 reviews
        [IMDBLoader] Building cache imdb/imdb.hdf ...
        >>> data.shape, str(data.dtype), labels.shape
        ((5, 4), 'int32', (5,))
    """

    def __init__(self, numwords=None, skiptop=0, maxlen=None, padchar=0, startchar=1, oovchar=2, indexFrom=3):
        super().__init__(("data", "labels", "vocabulary"), "imdb.hdf")
        for argname, value, optional in (("numwords", numwords, True), ("skiptop", skiptop, False),
                                         ("maxlen", maxlen, True), ("padchar", padchar, False),
                                         ("startchar", startchar, True), ("oovchar", oovchar, True),
                                         ("indexFrom", indexFrom, False)):
            if value is None and optional:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0 or (
                    argname in ("numwords", "maxlen") and value == 0):
                raise DatasetError("IMDBLoader: %s must be a %s integer%s, got %r" % (
                    argname, "positive" if argname in ("numwords", "maxlen") else "non-negative",
                    " or None" if optional else "", value))
        self.numwords, self.skiptop, self.maxlen = numwords, skiptop, maxlen
        self.padchar, self.startchar, self.oovchar, self.indexFrom = padchar, startchar, oovchar, indexFrom

    def _requested(self):
        return {name: (None if getattr(self, name) is None else int(getattr(self, name))) for name in _PARAMS}

    def load(self, path, compress="gzip", log=True):
        """(data, labels, vocabulary) from the cache in ``path``, built first if missing or made
        with other parameters."""
        path = checkPath("IMDBLoader", path)
        cachename = os.path.join(path, "imdb.hdf")
        self.cachename = cachename
        if os.path.exists(cachename):
            stored = self._storedRequest(cachename)
            if stored == self._requested():
                self._log(log, "Using cache %s" % cachename)
                return self._openCache(cachename)
            print("[IMDBLoader] Existing cache has different param (%s), rebuilding" % (
                ", ".join("%s=%r" % (k, v) for k, v in sorted((stored or {}).items())
                          if v != self._requested()[k]) or "unreadable"))
            self._close()
            os.remove(cachename)

        print("[IMDBLoader] Building cache %s ..." % cachename)
        data, labels, vocabulary, computed = self._build(path, log)

        def extra(f):
            import h5py
            f.create_dataset("vocabulary", data=np.array(vocabulary, dtype=object),
                             dtype=h5py.string_dtype("utf-8"))
            f.create_dataset("params", data=json.dumps(computed))
            f["params"].attrs["requested"] = json.dumps(self._requested())

        self._writeCache(cachename, {"data": data, "labels": labels}, compress, extra)
        return self._openCache(cachename)

    @staticmethod
    def _storedRequest(cachename):
        import h5py
        try:
            with h5py.File(cachename, "r") as f:
                requested = f["params"].attrs["requested"]
                return json.loads(requested.decode() if isinstance(requested, bytes) else requested)
        except (OSError, KeyError, ValueError):
            return None

    def _build(self, path, log):
        npzname = os.path.join(path, "imdb.npz")
        if not os.path.isfile(npzname):
            raise DatasetError("IMDBLoader: %s is missing" % npzname)
        arrays = safeLoadNpz(npzname, "IMDBLoader: %s" % npzname)
        missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in arrays]
        if missing:
            raise DatasetError("IMDBLoader: %s has no %s (has %s)" % (npzname, ", ".join(missing), sorted(arrays)))
        wordname = os.path.join(path, "imdb_word_index.json")
        try:
            wordIndex = json.loads(readFile("IMDBLoader", wordname).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise DatasetError("IMDBLoader: %s is not readable JSON (%s)" % (wordname, e)) from e
        if not (isinstance(wordIndex, dict) and all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                                                    for v in wordIndex.values())):
            raise DatasetError("IMDBLoader: %s must map words to positive integer ranks" % wordname)

        seqs, labels = [], []
        for part in ("train", "test"):
            xs, ys = arrays["x_" + part], np.asarray(arrays["y_" + part])
            if len(xs) != len(ys):
                raise DatasetError("IMDBLoader: %s: x_%s has %d reviews but y_%s has %d labels" % (
                    npzname, part, len(xs), part, len(ys)))
            perm = np.random.permutation(len(xs))
            for i in perm:
                try:
                    seq = np.asarray(xs[i], dtype=np.int64).ravel()
                except (TypeError, ValueError) as e:
                    raise DatasetError("IMDBLoader: %s: review %d of x_%s is not a list of integers" % (
                        npzname, i, part)) from e
                if seq.size and seq.min() < 0:
                    raise DatasetError("IMDBLoader: %s: review %d of x_%s has a negative rank" % (npzname, i, part))
                seqs.append(seq)
            labels.append(ys[perm])
        labels = np.concatenate(labels)
        if labels.size and not np.isin(labels, (0, 1)).all():
            raise DatasetError("IMDBLoader: %s: labels must be 0 or 1" % npzname)

        maxRank = max((int(s.max()) for s in seqs if s.size), default=0)
        numwords = self.numwords if self.numwords is not None else maxRank + self.indexFrom + 1
        out = []
        for seq in seqs:
            seq = seq + self.indexFrom
            if self.startchar is not None:
                seq = np.concatenate(([self.startchar], seq))
            bad = (seq >= numwords) | (seq < self.skiptop)
            if self.startchar is not None:
                bad[0] = False
            seq = seq[~bad] if self.oovchar is None else np.where(bad, self.oovchar, seq)
            out.append(seq)
        maxlen = self.maxlen if self.maxlen is not None else max((len(s) for s in out), default=1)
        data = np.full((len(out), maxlen), self.padchar, dtype=np.int32)
        for i, seq in enumerate(out):
            seq = seq[-maxlen:]
            if len(seq):
                data[i, maxlen - len(seq):] = seq
        self._log(log, "Built %d sequences of length %d" % (len(out), maxlen))

        vocabulary = [""] * numwords
        for word, rank in wordIndex.items():
            if rank < numwords:
                vocabulary[rank] = word
        computed = dict(self._requested(), numwords=int(numwords), maxlen=int(maxlen))
        return data, labels.astype(np.int32), vocabulary, computed
