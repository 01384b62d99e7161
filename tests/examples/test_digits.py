import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples"))

import digits  # noqa: E402


def test_digits_example_learns_in_two_epochs(capsys):
    accuracy, elapsed = digits.main(["--epochs", "2"])
    assert accuracy > 0.9
    out = capsys.readouterr().out
    assert "1347 training images, 450 held out" in out and "held-out accuracy" in out


def test_compare_prints_the_three_arms_per_seed(capsys):
    table = digits.main(["--compare", "1", "--epochs", "1"])
    assert table.shape == (1, 3) and (table > 0.5).all()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "| seed | augmented, 1 epochs | as they are, 1 epochs | as they are, 2 epochs |"
    assert lines[2].startswith("| 0 | ") and lines[3].startswith("| mean | ") and len(lines) == 4


def test_augmented_copy_keeps_each_image_with_its_label():
    import numpy as np
    images = np.random.RandomState(0).rand(6, 1, 8, 8).astype(np.float32)
    labels = np.arange(6, dtype=np.int32)
    np.random.seed(0)
    out, outLabels = digits.WithAugmentedCopy()([images, labels], 0)
    assert out.shape == (12, 1, 8, 8) and sorted(outLabels) == sorted(list(labels) * 2)
    for i in range(6):
        first, second = np.flatnonzero(outLabels == i)
        originals = [k for k in (first, second) if np.array_equal(out[k], images[i])]
        assert len(originals) == 1  # one copy as it was, one changed
    assert list(outLabels[:6]) != list(labels)  # shuffled together


def test_split_is_a_held_out_quarter():
    import numpy as np
    data = np.arange(20, dtype=np.float32).reshape(20, 1)
    labels = np.arange(20, dtype=np.int32)
    trX, trY, teX, teY = digits.splitQuarter(data, labels, seed=3)
    assert len(teX) == 5 and len(trX) == 15
    assert sorted(np.concatenate([trY, teY])) == list(range(20))
    np.testing.assert_array_equal(trX[:, 0], trY)


def test_digits_figure(tmp_path):
    accuracy, _ = digits.main(["--epochs", "1", "--out", str(tmp_path)])
    assert (tmp_path / "digits.png").stat().st_size > 10000


def test_digits_figure_without_mistakes(tmp_path):
    import numpy as np
    images = np.zeros((3, 1, 8, 8), np.float32)
    labels = np.array([0, 1, 2], np.int32)
    path = digits.drawFigure(str(tmp_path), [1.0, 0.5], images, labels, labels.copy())
    assert os.path.getsize(path) > 10000


def test_bad_arguments_are_one_line_and_status_2(tmp_path, capsys):
    import pytest
    (tmp_path / "file").write_text("")
    for args, words in [(["--epochs", "0"], "--epochs: expected a whole number >= 1"),
                        (["--batchsize", "0"], "--batchsize: expected a whole number >= 1"),
                        (["--learnRate", "-1"], "--learnRate: expected a number > 0"),
                        (["--learnRate", "nan"], "--learnRate: expected a number > 0"),
                        (["--threads", "-3"], "--threads: expected a whole number >= 0"),
                        (["--compare", "0"], "--compare: expected a whole number >= 1"),
                        (["--compare", "2", "--no-augment"], "--compare: runs all three arms itself"),
                        (["--out", str(tmp_path / "file")], "exists and is not a folder")]:
        with pytest.raises(SystemExit) as info:
            digits.main(args)
        err = capsys.readouterr().err
        assert info.value.code == 2 and words in err.splitlines()[-1], err
