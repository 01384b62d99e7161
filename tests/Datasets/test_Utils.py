import numpy as np
import pytest

from PuzzleLib.Datasets import Utils
from PuzzleLib.Errors import DatasetError


def test_splitData_takes_the_first_k_of_each_class():
    data = np.arange(10) * 10
    labels = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1], dtype=np.int32)
    trainData, valData, trainLabels, valLabels = Utils.splitData(data, labels, validation=0.5, permutation=False)
    # smallest class has 4 samples: k = 2 from each class
    np.testing.assert_array_equal(valData, [0, 10, 60, 70])
    np.testing.assert_array_equal(valLabels, [0, 0, 1, 1])
    np.testing.assert_array_equal(trainData, [20, 30, 40, 50, 80, 90])
    _, valData, _, _ = Utils.splitData(data, labels, validation=0.5, permutation=False, uniformVal=False)
    np.testing.assert_array_equal(valData, [0, 10, 20, 60, 70])
    train, val = Utils.splitData(["a", "b", "c", "d"], validation=0.5, permutation=False)
    assert train == ["c", "d"] and val == ["a", "b"]
    with pytest.raises(DatasetError, match="validation must be a fraction"):
        Utils.splitData(data, validation=2)


def test_permutate_and_replicate():
    np.random.seed(3)
    data, labels = np.arange(6) * 2, np.arange(6)
    Utils.permutateData(data, labels)
    np.testing.assert_array_equal(data, labels * 2)
    assert sorted(labels) == list(range(6)) and list(labels) != list(range(6))
    np.random.seed(3)
    perm = np.random.permutation(6)
    np.random.seed(3)
    cyc = np.arange(12).reshape(6, 2)
    Utils.permutateData(cyc, constantMemory=True)
    np.testing.assert_array_equal(cyc, np.arange(12).reshape(6, 2)[perm])
    d, l = Utils.replicateData(np.arange(5), np.array([0, 0, 0, 1, 2]), permutation=False)
    np.testing.assert_array_equal(np.bincount(l), [3, 3, 3])
    np.testing.assert_array_equal(d, [0, 1, 2, 3, 3, 3, 4, 4, 4])
    with pytest.raises(DatasetError, match="5 samples but 4 labels"):
        Utils.replicateData(np.arange(5), np.zeros(4, np.int32))


def test_small_helpers():
    assert Utils.getDim(np.array([2, 0], np.int64)) == 3
    flat, mesh = Utils.merge2D([[1, 2], [3], []])
    assert flat == [1, 2, 3] and Utils.split2D(flat, mesh) == [[1, 2], [3], []]
    assert Utils.merge([[["a", "b"], ["c"]], [["d"]]]) == [["a", "b", "c"], ["d"]]
    assert Utils.resizeDataToSize(["a"], 3) == ["a", "", ""]
