import os

import numpy as np
import pytest

from PuzzleLib.Datasets import SmallNorbLoader
from PuzzleLib.Errors import DatasetError
from tests.Datasets._formats import NORB_PARTS, writeNorb


def test_training_then_testing_resized_not_normalised(tmp_path):
    parts = writeNorb(str(tmp_path), ntrain=3, ntest=2)
    data, labels, info = SmallNorbLoader().load(str(tmp_path), log=False)
    assert data.shape == (5, 2, 28, 28) and data.dtype == np.float32
    assert labels.dtype == np.uint32 and info.dtype == np.uint32 and info.shape == (5, 4)
    np.testing.assert_array_equal(labels[:], np.concatenate([parts["training"][1], parts["testing"][1]]))
    np.testing.assert_array_equal(info[:], np.concatenate([parts["training"][2], parts["testing"][2]]))
    from PIL import Image
    ref = np.asarray(Image.fromarray(parts["testing"][0][1, 0]).resize((28, 28)), dtype=np.float32)
    np.testing.assert_array_equal(data[4, 0], ref)
    assert data[:].max() > 1

    test, tl, ti = SmallNorbLoader().load(str(tmp_path), log=False, onlyTest=True)
    assert test.shape == (2, 2, 28, 28)
    np.testing.assert_array_equal(tl[:], parts["testing"][1])


def test_sort_puts_each_sample_at_its_grid_cell(tmp_path):
    writeNorb(str(tmp_path), ntrain=4, ntest=0)
    data, labels, info = SmallNorbLoader(onSample=lambda img: img[:2, :2], sampleInfo=(np.uint8, (2, 2))).load(
        str(tmp_path), log=False)
    sdata, slabels, sinfo = SmallNorbLoader(onSample=lambda img: img[:2, :2], sampleInfo=(np.uint8, (2, 2))).load(
        str(tmp_path), sort=True, log=False)
    assert sdata.ndim == 5 + 3
    for i in range(4):
        lbl, (inst, elev, azim, light) = labels[i], info[i]
        slot = np.searchsorted(np.unique(info[:][labels[:] == lbl, 0]), inst)
        cell = (lbl, slot, light, elev, azim // 2)
        np.testing.assert_array_equal(sdata[cell], data[i])
        assert slabels[cell] == lbl and list(sinfo[cell]) == list(info[i])


@pytest.mark.parametrize("kind, damage, message", [
    ("dat", lambda raw: raw[:-1], "training-dat.mat is truncated"),
    ("cat", lambda raw: b"\x00\x00\x00\x00" + raw[4:], "training-cat.mat: bad magic number 0x0"),
    ("info", lambda raw: raw[:6], "training-info.mat is truncated"),
])
def test_damaged_files(tmp_path, kind, damage, message):
    writeNorb(str(tmp_path))
    path = os.path.join(str(tmp_path), NORB_PARTS["training"] % kind)
    with open(path, "rb") as f:
        raw = f.read()
    with open(path, "wb") as f:
        f.write(damage(raw))
    with pytest.raises(DatasetError, match=message):
        SmallNorbLoader().load(str(tmp_path), log=False)
    assert not os.path.exists(os.path.join(str(tmp_path), "smallnorb.hdf"))
