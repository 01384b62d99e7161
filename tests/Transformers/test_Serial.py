import h5py
import numpy as np
import pytest

from PuzzleLib.Errors import TransformerError
from PuzzleLib.Transformers.Serial import Serial


def _chunks(provider, count, chunksize):
    out = []
    for _ in range(count):
        provider.prepareData(chunksize=chunksize)
        out.append(provider.getData())
    return out


def test_walks_an_h5py_dataset_with_wrap_around(tmp_path):
    with h5py.File(str(tmp_path / "d.hdf"), "w") as f:
        f["data"] = np.arange(7, dtype=np.float32)[:, None]
        f["labels"] = np.arange(7, dtype=np.int32) * 10
    with h5py.File(str(tmp_path / "d.hdf"), "r") as f, Serial(f["data"], f["labels"], numofthreads=2) as provider:
        chunks = _chunks(provider, 3, 3)
    assert [c[0].ravel().tolist() for c in chunks] == [[0, 1, 2], [3, 4, 5], [6, 0, 1]]
    assert [c[1].tolist() for c in chunks] == [[0, 10, 20], [30, 40, 50], [60, 0, 10]]
    assert chunks[2][1].dtype == np.int32


def test_a_chunk_of_the_whole_set_or_more():
    with Serial(np.arange(4), numofthreads=1) as provider:
        assert [c.tolist() for c in _chunks(provider, 2, 10)] == [[0, 1, 2, 3]] * 2


def test_bad_arguments():
    with pytest.raises(TransformerError, match="one label per sample"):
        Serial(np.zeros(3), labels=np.zeros(2))
    with pytest.raises(TransformerError, match="array-like with a first axis"):
        Serial([1, 2, 3])
