import numpy as np
import pytest

from PuzzleLib.Datasets import DigitsLoader
from PuzzleLib.Datasets import DigitsLoader as Same
from PuzzleLib.Errors import DatasetError


def test_loads_the_bundled_digits():
    data, labels = DigitsLoader().load()
    assert data.shape == (1797, 1, 8, 8) and data.dtype == np.float32
    assert labels.shape == (1797,) and labels.dtype == np.int32
    assert data.min() == 0.0 and data.max() == 1.0
    assert sorted(np.unique(labels)) == list(range(10))
    assert np.all(np.bincount(labels) > 170)
    np.testing.assert_array_equal(labels[:10], np.arange(10))
    raw, _ = DigitsLoader(normalize=False).load()
    np.testing.assert_array_equal(raw, data * 16)
    assert Same is DigitsLoader


def test_missing_scikit_learn_is_a_clear_error(monkeypatch):
    import importlib.util
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DatasetError, match="scikit-learn.*not installed.*datasets"):
        DigitsLoader().load()
