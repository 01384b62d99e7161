"""Crop, Flip, Shift and Noise against hand-made expectations, alone and in a pipeline."""
import numpy as np
import pytest

from PuzzleLib.Errors import TransformerError
from PuzzleLib.Transformers.Crop import Crop
from PuzzleLib.Transformers.Flip import Flip
from PuzzleLib.Transformers.Noise import Noise
from PuzzleLib.Transformers.Serial import Serial
from PuzzleLib.Transformers.Shift import Shift

IMG = np.arange(2 * 1 * 3 * 4, dtype=np.float32).reshape(2, 1, 3, 4)


def test_crop_windows_come_from_the_padded_image():
    np.random.seed(0)
    out = Crop((2, 2), pad=1)(IMG, 0)
    assert out.shape == (2, 1, 2, 2)
    padded = np.pad(IMG, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for i in range(2):
        windows = [padded[i, 0, y:y + 2, x:x + 2] for y in range(4) for x in range(5)]
        assert any(np.array_equal(out[i, 0], w) for w in windows)
    np.testing.assert_array_equal(Crop((1, 2), mode="center")(IMG, 0)[0, 0], [[5, 6]])
    with pytest.raises(TransformerError, match="do not fit"):
        Crop(5)(IMG, 0)


def test_flip_mirrors_the_chosen_images_and_keeps_labels():
    labels = np.array([3, 4])
    out, lbl = Flip(p=1.0)([IMG, labels], 0)
    np.testing.assert_array_equal(out, IMG[..., ::-1])
    assert lbl is labels
    np.testing.assert_array_equal(Flip("vertical", p=1.0)(IMG, 0), IMG[..., ::-1, :])
    np.testing.assert_array_equal(Flip(p=0.0)(IMG, 0), IMG)
    with pytest.raises(TransformerError, match="p must be a probability"):
        Flip(p=2)


def test_shift_moves_and_fills():
    np.random.seed(3)
    dys, dxs = np.random.randint(-1, 2, size=2), np.random.randint(-2, 3, size=2)
    np.random.seed(3)
    out = Shift((1, 2), fill=-1)(IMG, 0)
    for i in range(2):
        expected = np.full((3, 4), -1, np.float32)
        for y in range(3):
            for x in range(4):
                if 0 <= y - dys[i] < 3 and 0 <= x - dxs[i] < 4:
                    expected[y, x] = IMG[i, 0, y - dys[i], x - dxs[i]]
        np.testing.assert_array_equal(out[i, 0], expected)


def test_noise_statistics_and_dtype():
    np.random.seed(0)
    out = Noise("gauss", scale=0.5)(np.zeros((20000,), np.float32), 0)
    assert out.dtype == np.float32 and abs(out.mean()) < 0.02 and abs(out.std() - 0.5) < 0.02
    with pytest.raises(TransformerError, match="floating-point"):
        Noise()(np.zeros(3, np.int32), 0)


def test_in_a_pipeline_with_labels():
    labels = np.arange(8, dtype=np.int32)
    data = np.random.RandomState(0).rand(8, 1, 6, 6).astype(np.float32)
    with Serial(data, labels, numofthreads=2) as provider:
        for t in (Crop(6, pad=2), Flip(), Shift(1), Noise(scale=0.01)):
            provider.addTransformer(t)
        provider.prepareData(chunksize=8)
        d, l = provider.getData()
    assert d.shape == data.shape and d.dtype == np.float32
    np.testing.assert_array_equal(l, labels)
