"""The examples of the data, model and picture packages run (small settings) and learn."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples"))

import mnist_files  # noqa: E402
import sentiment  # noqa: E402


def test_mnist_files_example_trains_upstreams_lenet_from_idx_files(tmp_path, capsys):
    accuracy = mnist_files.main(["--epochs", "1", "--samples", "300", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "[MnistLoader] Building cache" in out and "1797 images (1, 28, 28), the first 449 held out" in out
    assert accuracy > 0.3  # one epoch of 300 images; the full run reaches about 0.9
    assert (tmp_path / "conv1.png").stat().st_size > 100


def test_mnist_files_written_in_mnists_layout(tmp_path):
    import numpy as np
    from PuzzleLib.Datasets import MnistLoader
    ntest = mnist_files.writeDigitsAsMnist(str(tmp_path))
    data, labels = MnistLoader().load(str(tmp_path), log=False)
    assert ntest == 449 and data.shape == (1797, 1, 28, 28) and np.bincount(labels[:]).min() > 170
    assert data[:, :, :4].max() == 0  # a 4-pixel frame, as MNIST's


def test_sentiment_example_learns_the_rule(tmp_path, capsys):
    accuracy = sentiment.main(["--reviews", "400", "--epochs", "3", "--out", str(tmp_path)])
    assert accuracy > 0.7
    assert "held-out confusion matrix" in capsys.readouterr().out
    assert (tmp_path / "sentiment.png").stat().st_size > 5000


def test_made_up_reviews_follow_the_rule():
    import numpy as np
    data, labels, vocabulary = sentiment.makeReviews(50, np.random.RandomState(0))
    pos = {vocabulary[w] for w in sentiment.POSITIVE}
    neg = {vocabulary[w] for w in sentiment.NEGATIVE}
    for row, label in zip(data, labels):
        assert label == int(sum(w in pos for w in row) > sum(w in neg for w in row))


def test_bad_arguments():
    with pytest.raises(SystemExit):
        sentiment.main(["--reviews", "5"])
    with pytest.raises(SystemExit):
        mnist_files.main(["--epochs", "0"])
