import os
import pickle

import numpy as np
import pytest

from PuzzleLib.Datasets import Cifar10Loader
from PuzzleLib.Errors import DatasetError
from tests.Datasets._formats import writeCifar


def test_batches_in_member_order_scaled(tmp_path):
    batches = writeCifar(str(tmp_path))
    data, labels = Cifar10Loader().load(str(tmp_path), log=False)
    raw = np.concatenate([b[0] for b in batches])
    assert data.shape == (9, 3, 32, 32) and data.dtype == np.float32 and labels.dtype == np.int32
    np.testing.assert_allclose(data[:], raw.reshape(9, 3, 32, 32) * np.float32(2 / 255) - 1, atol=1e-6)
    np.testing.assert_array_equal(labels[:], sum((b[1] for b in batches), []))
    # R, G, B planes: pixel (0, 0) of the first image's green plane is byte 1024
    assert data[0, 1, 0, 0] == pytest.approx(raw[0, 1024] * 2 / 255 - 1, abs=1e-6)


def test_plain_tar_and_onSampleBatch(tmp_path):
    writeCifar(str(tmp_path), archive="cifar-10-python.tar")
    data, _ = Cifar10Loader(onSampleBatch=lambda b, n: b.reshape(n, 3, 32, 32)).load(str(tmp_path), log=False)
    assert data.dtype == np.uint8 and data.shape == (9, 3, 32, 32)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo hacked > %s" % "HACKED",))


def test_a_pickle_that_runs_code_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    evil = pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [_Evil()]})
    writeCifar(str(tmp_path), raw={"test_batch": evil})
    with pytest.raises(DatasetError, match=r"test_batch.*refused to unpickle (posix|os)\.system"):
        Cifar10Loader().load(str(tmp_path), log=False)
    assert not os.path.exists("HACKED")
    assert not os.path.exists(os.path.join(str(tmp_path), "cifar10.hdf"))


@pytest.mark.parametrize("payload, message", [
    (pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 1]})[:-30], "not a readable pickle"),
    (b"garbage", "not a readable pickle"),
    (pickle.dumps([1, 2]), "pickled list, not a batch dict"),
    (pickle.dumps({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}), r"'data' must be uint8 \(N, 3072\)"),
    (pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 12]}), "'labels' must be 2 ints in 0..9"),
    (pickle.dumps({b"labels": [0]}), "no 'data' or 'labels'"),
])
def test_bad_batches_name_the_member(tmp_path, payload, message):
    writeCifar(str(tmp_path), raw={"data_batch_1": payload})
    with pytest.raises(DatasetError, match="cifar-10-python.tar.gz \\(member cifar-10-batches-py/data_batch_1\\).*"
                                           + message):
        Cifar10Loader().load(str(tmp_path), log=False)


def test_missing_or_broken_archive(tmp_path):
    with pytest.raises(DatasetError, match="No proper datafile found in path"):
        Cifar10Loader().load(str(tmp_path))
    with open(os.path.join(str(tmp_path), "cifar-10-python.tar.gz"), "wb") as f:
        f.write(b"\x1f\x8b\x08" + b"\x00" * 40)
    with pytest.raises(DatasetError, match="cifar-10-python.tar.gz is not a readable tar archive"):
        Cifar10Loader().load(str(tmp_path), log=False)
