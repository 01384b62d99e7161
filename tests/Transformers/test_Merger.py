import random

import numpy as np
import pytest

from PuzzleLib.Errors import TransformerError
from PuzzleLib.Transformers.Merger import Merger


def test_ratios_become_counts_and_labels_name_the_set():
    a, b = np.zeros((10, 2), np.float32), np.ones((10, 2), np.float32)
    with Merger([a, b], labelIds=[0, 1], numofthreads=1) as merger:
        ratios = [6, 4]
        merger.prepareData(ratios=ratios, chunksize=5, permutate=False)
        data, labels = merger.getData()
        assert ratios == [3, 2]  # overwritten with the counts, as in PuzzleLib 1.0
        assert labels.dtype == np.int32 and labels.tolist() == [0, 0, 0, 1, 1]
        np.testing.assert_array_equal(data[:, 0], [0, 0, 0, 1, 1])


def test_sequential_cursors_wrap_and_clip():
    a, b = np.arange(3)[:, None], 10 + np.arange(5)[:, None]
    with Merger([a, b], numofthreads=1) as merger:
        merger.prepareData(chunksize=4, permutate=False)
        assert merger.getData().ravel().tolist() == [0, 1, 10, 11]
        merger.prepareData(chunksize=4, permutate=False)
        assert merger.getData().ravel().tolist() == [2, 0, 12, 13]
        # clipped to the 8 samples there are, 4 + 4; the set of 3 gives only its 3
        merger.prepareData(chunksize=100, permutate=False)
        assert merger.getData().ravel().tolist() == [1, 2, 0, 14, 10, 11, 12]


def test_randomize_draws_with_replacement_and_permutate_is_seeded():
    a, b = np.arange(3)[:, None], 10 + np.arange(3)[:, None]

    def run():
        random.seed(1)
        np.random.seed(1)
        with Merger([a, b], labelIds=[0, 1], numofthreads=1) as merger:
            merger.prepareData(chunksize=20, randomize=True)
            return merger.getData()

    (d1, l1), (d2, l2) = run(), run()
    np.testing.assert_array_equal(d1, d2)
    np.testing.assert_array_equal(l1, l2)
    assert len(d1) == 20 and np.bincount(l1).tolist() == [10, 10]
    np.testing.assert_array_equal(d1.ravel() >= 10, l1 == 1)


def test_shapes_must_match():
    with pytest.raises(TransformerError, match="Datasets must have same shapes"):
        Merger([np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(TransformerError, match="labelIds must be one int per dataset"):
        Merger([np.zeros((2, 3))], labelIds=[0, 1])
