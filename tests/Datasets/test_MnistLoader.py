import os

import numpy as np
import pytest

from PuzzleLib.Datasets import MnistLoader
from PuzzleLib.Errors import DatasetError
from tests.Datasets._formats import MNIST_FILES, idxBytes, writeMnist


def test_reads_test_then_train_scaled_and_caches(tmp_path, capsys):
    parts = writeMnist(str(tmp_path), ntest=2, ntrain=3)
    loader = MnistLoader()
    data, labels = loader.load(str(tmp_path), log=False)
    assert "[MnistLoader] Building cache" in capsys.readouterr().out
    assert data.shape == (5, 1, 28, 28) and data.dtype == np.float32
    assert labels.shape == (5,) and labels.dtype == np.int32
    images = np.concatenate([parts["test"][0], parts["train"][0]])
    np.testing.assert_allclose(data[:], images[:, None] / np.float32(255), rtol=1e-7)
    np.testing.assert_array_equal(labels[:], np.concatenate([parts["test"][1], parts["train"][1]]))
    assert loader.cachename == os.path.join(str(tmp_path), "mnist.hdf")

    # the cache is used as it is: the raw files may go
    for name in sum(MNIST_FILES.values(), ()):
        os.remove(os.path.join(str(tmp_path), name))
    again, _ = MnistLoader().load(str(tmp_path), log=True)
    assert "Using cache" in capsys.readouterr().out
    np.testing.assert_array_equal(again[:], data[:])
    loader.load(str(tmp_path), log=False)  # a second load on one object keeps the path
    loader.clear()
    assert not os.path.exists(os.path.join(str(tmp_path), "mnist.hdf"))


def test_onSample_gets_the_bytes(tmp_path):
    parts = writeMnist(str(tmp_path), ntest=1, ntrain=1)
    got = []

    def onSample(sample):
        got.append(len(sample))
        return np.full((1, 28, 28), sample[0], dtype=np.float32)

    data, _ = MnistLoader(onSample=onSample, cachename="other.hdf").load(str(tmp_path), log=False)
    assert got == [784, 784]
    assert data[0, 0, 5, 5] == parts["test"][0][0, 0, 0]


@pytest.mark.parametrize("damage, message", [
    (lambda raw: raw[:-10], "train-images.idx3-ubyte is truncated"),
    (lambda raw: raw[:7], "train-images.idx3-ubyte is truncated.*header"),
    (lambda raw: (2049).to_bytes(4, "big") + raw[4:], r"Bad magic number \(got 2049, expected 2051\)"),
    (lambda raw: b"\x1f\x8b" + raw[2:], "gunzip"),
])
def test_damaged_files_name_the_file(tmp_path, damage, message):
    writeMnist(str(tmp_path))
    path = os.path.join(str(tmp_path), "train-images.idx3-ubyte")
    with open(path, "rb") as f:
        raw = f.read()
    with open(path, "wb") as f:
        f.write(damage(raw))
    with pytest.raises(DatasetError, match=message):
        MnistLoader().load(str(tmp_path), log=False)
    assert not os.path.exists(os.path.join(str(tmp_path), "mnist.hdf"))  # no half-made cache


def test_missing_file_and_count_mismatch(tmp_path):
    writeMnist(str(tmp_path))
    with open(os.path.join(str(tmp_path), "t10k-labels.idx1-ubyte"), "wb") as f:
        f.write(idxBytes(np.zeros(5, np.uint8), 2049))
    with pytest.raises(DatasetError, match="holds 2 images but .*t10k-labels.idx1-ubyte holds 5 labels"):
        MnistLoader().load(str(tmp_path), log=False)
    os.remove(os.path.join(str(tmp_path), "t10k-labels.idx1-ubyte"))
    with pytest.raises(DatasetError, match="t10k-labels.idx1-ubyte is missing"):
        MnistLoader().load(str(tmp_path), log=False)
    with pytest.raises(DatasetError, match="does not exist"):
        MnistLoader().load(str(tmp_path / "nowhere"))
