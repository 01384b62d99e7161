import json
import os
import pickle

import numpy as np
import pytest

from PuzzleLib.Datasets import IMDBLoader
from PuzzleLib.Errors import DatasetError
from tests.Datasets._formats import writeImdb


def _expected(arrays, seed, numwords, maxlen, skiptop=0, oov=2, start=1, shift=3, pad=0):
    np.random.seed(seed)
    rows, labels = [], []
    for part in ("train", "test"):
        perm = np.random.permutation(len(arrays["x_" + part]))
        for i in perm:
            seq = [start] + [w + shift for w in arrays["x_" + part][i]]
            seq = [seq[0]] + [w if skiptop <= w < numwords else oov for w in seq[1:]]
            seq = seq[-maxlen:]
            rows.append([pad] * (maxlen - len(seq)) + seq)
        labels.extend(arrays["y_" + part][perm])
    return np.array(rows), np.array(labels)


def test_sequences_padded_shifted_and_cached(tmp_path, capsys):
    arrays, words = writeImdb(str(tmp_path), ntrain=4, ntest=3)
    np.random.seed(5)
    data, labels, vocab = IMDBLoader(numwords=9, maxlen=4).load(str(tmp_path), log=False)
    exp, expLabels = _expected(arrays, 5, numwords=9, maxlen=4)
    assert data.dtype == np.int32 and data.shape == (7, 4)
    np.testing.assert_array_equal(data[:], exp)
    np.testing.assert_array_equal(labels[:], expLabels)
    assert [v.decode() if isinstance(v, bytes) else v for v in vocab[:]] == [""] + ["w%d" % r for r in range(1, 9)]
    params = json.loads(data.file["params"][()])
    assert params["numwords"] == 9 and params["maxlen"] == 4 and params["indexFrom"] == 3
    capsys.readouterr()

    IMDBLoader(numwords=9, maxlen=4).load(str(tmp_path))
    assert "Using cache" in capsys.readouterr().out
    _, _, _ = IMDBLoader(numwords=9, maxlen=6).load(str(tmp_path), log=False)
    assert "Existing cache has different param (maxlen=4)" in capsys.readouterr().out
    # None parameters are remembered as None: no rebuild every time
    IMDBLoader().load(str(tmp_path), log=False)
    capsys.readouterr()
    IMDBLoader().load(str(tmp_path))
    assert "Using cache" in capsys.readouterr().out


def test_oov_none_drops_and_skiptop(tmp_path):
    arrays, _ = writeImdb(str(tmp_path), ntrain=3, ntest=2)
    np.random.seed(1)
    data, _, _ = IMDBLoader(numwords=8, skiptop=5, oovchar=None, maxlen=8).load(str(tmp_path), log=False)
    np.random.seed(1)
    perm = np.random.permutation(3)
    first = [1] + [w + 3 for w in arrays["x_train"][perm[0]] if 5 <= w + 3 < 8]
    assert data[0].tolist() == [0] * (8 - len(first)) + first


def test_pickled_code_in_the_npz_is_refused(tmp_path):
    arrays, _ = writeImdb(str(tmp_path))

    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))

    ary = np.empty(1, dtype=object)
    ary[0] = Evil()
    np.savez(os.path.join(str(tmp_path), "imdb.npz"), **dict(arrays, x_test=ary))
    with pytest.raises(DatasetError, match=r"imdb.npz \(array 'x_test'\).*refused to unpickle"):
        IMDBLoader().load(str(tmp_path), log=False)
    assert not os.path.exists(os.path.join(str(tmp_path), "imdb.hdf"))


def test_bad_files(tmp_path):
    writeImdb(str(tmp_path))
    with open(os.path.join(str(tmp_path), "imdb_word_index.json"), "w") as f:
        f.write("{broken")
    with pytest.raises(DatasetError, match="imdb_word_index.json is not readable JSON"):
        IMDBLoader().load(str(tmp_path), log=False)
    with open(os.path.join(str(tmp_path), "imdb.npz"), "wb") as f:
        f.write(b"PK\x03\x04 truncated")
    with pytest.raises(DatasetError, match="imdb.npz: not a readable .npz file"):
        IMDBLoader().load(str(tmp_path), log=False)
    with pytest.raises(DatasetError, match="maxlen must be a positive integer or None, got 0"):
        IMDBLoader(maxlen=0)
    assert pickle  # the module's pickles are made by np.savez
