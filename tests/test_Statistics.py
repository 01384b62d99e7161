import pytest

from PuzzleLib import Statistics


def test_hand_computed():
    labels, predictions = [0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 2, 2]
    cm = Statistics.confusion(labels, predictions, log=False)
    assert cm == [[1, 1, 0], [0, 2, 1], [0, 0, 1]]
    prec, precs = Statistics.precision(cm, log=False)
    assert precs == [1.0, 2 / 3, 0.5] and prec == pytest.approx((1 + 2 / 3 + 0.5) / 3)
    rec, recs = Statistics.recall(cm, log=False)
    assert recs == [0.5, 2 / 3, 1.0]
    assert Statistics.accuracy(cm, log=False) == pytest.approx(4 / 6)
    # an empty column or row counts as 1.0
    assert Statistics.precision([[0, 0], [0, 1]], log=False)[1] == [1.0, 1.0]
    assert Statistics.recall([[0, 0], [0, 3]], log=False)[1] == [1.0, 1.0]
    assert Statistics.confusion([0], [0], dim=3, log=False) == [[1, 0, 0], [0, 0, 0], [0, 0, 0]]


def test_bad_input():
    with pytest.raises(Statistics.StatisticsError, match="3 labels but 2 predictions"):
        Statistics.confusion([0, 1, 1], [0, 1])
    with pytest.raises(Statistics.StatisticsError, match="integer labels"):
        Statistics.confusion([0.5], [0])
