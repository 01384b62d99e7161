"""Affine: the geometry read back from ramps, the probability, dtypes, determinism, bad arguments."""
import numpy as np
import pytest

from PuzzleLib.Errors import TransformerError
from PuzzleLib.Transformers.Affine import Affine
from PuzzleLib.Transformers.Serial import Serial

SIDE = 15
CENTRE = (SIDE - 1) / 2.0


def _ramps(n):
    """n images of two channels: each pixel's row (channel 0) and column (channel 1), so bilinear
    interpolation gives back exactly where each output pixel was read from."""
    rows, cols = np.meshgrid(np.arange(SIDE, dtype=np.float64), np.arange(SIDE, dtype=np.float64), indexing="ij")
    return np.broadcast_to(np.stack([rows, cols]), (n, 2, SIDE, SIDE)).copy()


def _sourceMaps(out):
    """For each image, the 2x2 matrix M and offset o with source - centre = M (pixel - centre) + o,
    fitted on the middle pixels (whose sources are inside the image for small transforms)."""
    middle = slice(SIDE // 2 - 3, SIDE // 2 + 4)
    rows, cols = np.meshgrid(np.arange(SIDE), np.arange(SIDE), indexing="ij")
    pixels = np.stack([rows[middle, middle].ravel(), cols[middle, middle].ravel()], axis=1) - CENTRE
    design = np.hstack([pixels, np.ones((len(pixels), 1))])
    maps = []
    for image in out:
        source = np.stack([image[0][middle, middle].ravel(), image[1][middle, middle].ravel()], axis=1) - CENTRE
        solution, residual = np.linalg.lstsq(design, source, rcond=None)[:2]
        assert np.allclose(design @ solution, source, atol=1e-9)  # the output is an affine map of the input
        maps.append((solution[:2].T, solution[2]))
    return maps


def test_each_image_is_turned_scaled_and_moved_within_the_limits():
    np.random.seed(1)
    out = Affine(maxRotation=20, maxScale=0.2, maxShift=(0.5, 1.5))(_ramps(40), 0)
    angles, scales, shifts = [], [], []
    for matrix, offset in _sourceMaps(out):
        # the source map is the inverse of "scale by s, turn by a, then move by t": M = R(-a) / s, o = -M t
        scale = 1.0 / np.sqrt(abs(np.linalg.det(matrix)))
        rotation = matrix * scale
        np.testing.assert_allclose(rotation @ rotation.T, np.eye(2), atol=1e-9)  # a turn, not a shear
        assert np.linalg.det(rotation) > 0  # and not a mirror image
        angles.append(np.degrees(np.arctan2(rotation[0, 1], rotation[0, 0])))
        scales.append(scale)
        shifts.append(-np.linalg.solve(matrix, offset))
    angles, scales, shifts = np.array(angles), np.array(scales), np.array(shifts)
    assert np.abs(angles).max() <= 20 + 1e-9 and np.abs(angles).max() > 10
    assert 0.8 - 1e-9 <= scales.min() and scales.max() <= 1.2 + 1e-9 and scales.std() > 0.05
    assert np.abs(shifts[:, 0]).max() <= 0.5 + 1e-9 and np.abs(shifts[:, 1]).max() <= 1.5 + 1e-9
    assert np.abs(shifts[:, 1]).max() > 1.0  # the limits are per axis


def test_a_pure_move_by_a_fraction_of_a_pixel_shares_a_dot_between_pixels():
    batch = np.zeros((30, 1, 5, 5), np.float32)
    batch[:, 0, 2, 2] = 1.0
    np.random.seed(0)
    out = Affine(maxRotation=0, maxScale=0, maxShift=(0, 0.5))(batch, 0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.sum(axis=(1, 2, 3)), 1.0, rtol=1e-6)  # nothing lost, nothing made
    assert (out[:, 0, [0, 1, 3, 4]] == 0).all()  # rows are not touched by a horizontal move
    right = out[:, 0, 2, 3] > 0
    left = out[:, 0, 2, 1] > 0
    assert right.any() and left.any() and not (right & left).any()
    assert out[:, 0, 2, 2].min() >= 0.5 - 1e-6  # at most half a pixel away


def test_fill_comes_in_from_outside_and_the_input_is_left_as_it_was():
    batch = np.ones((4, 6, 6), np.float64)
    copy = batch.copy()
    np.random.seed(2)
    out = Affine(maxRotation=0, maxScale=0, maxShift=(20, 20), fill=-3.0)(batch, 0)
    np.testing.assert_array_equal(batch, copy)
    assert out.shape == (4, 6, 6)
    assert (out == -3.0).mean() > 0.5  # moves of up to 20 pixels take most of a 6x6 image out


def test_probability_changes_a_share_of_the_images_and_copies_the_rest():
    batch = np.random.RandomState(0).rand(400, 1, 6, 6).astype(np.float32)
    np.random.seed(3)
    out = Affine(maxShift=0.5, p=0.25)(batch, 0)
    same = (out == batch).all(axis=(1, 2, 3))
    assert 0.65 < same.mean() < 0.85
    unchanged = Affine(p=0.0)(batch, 0)
    assert unchanged is not batch
    np.testing.assert_array_equal(unchanged, batch)


def test_labels_are_kept_and_integer_images_stay_integer():
    images = np.full((5, 3, 4, 4), 200, np.uint8)
    labels = np.arange(5, dtype=np.int32)
    np.random.seed(4)
    out, same = Affine(maxRotation=30, maxScale=0.3, maxShift=1, fill=255)([images, labels], 0)
    assert same is labels
    assert out.dtype == np.uint8 and out.shape == images.shape
    assert out.min() >= 200  # between 200 inside and the fill 255 outside, rounded
    assert (out > 200).any()


def test_the_same_seed_gives_the_same_images_in_a_pipeline():
    data = np.random.RandomState(0).rand(12, 1, 8, 8).astype(np.float32)
    labels = np.arange(12, dtype=np.int32)

    def run(seed):
        np.random.seed(seed)
        with Serial(data, labels, numofthreads=2) as provider:
            provider.addTransformer(Affine(maxRotation=10, maxScale=0.1, maxShift=0.5))
            provider.prepareData(chunksize=12)
            return provider.getData()

    (a, la), (b, lb), (c, _) = run(5), run(5), run(6)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, labels)
    np.testing.assert_array_equal(lb, labels)
    assert a.shape == data.shape and a.dtype == np.float32
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("kwargs, words", [
    ({"maxRotation": -1}, "maxRotation must be a number in [0, 180], got -1"),
    ({"maxRotation": 200}, "maxRotation must be a number in [0, 180], got 200"),
    ({"maxRotation": "10"}, "maxRotation must be a number in [0, 180], got '10'"),
    ({"maxScale": 1.0}, "maxScale must be a number in [0, 1), got 1.0"),
    ({"maxScale": -0.1}, "maxScale must be a number in [0, 1), got -0.1"),
    ({"maxShift": -1}, "maxShift must be a number >= 0 or (height, width) of them, got -1"),
    ({"maxShift": (1, 2, 3)}, "maxShift must be a number >= 0 or (height, width) of them, got (1, 2, 3)"),
    ({"maxShift": float("nan")}, "maxShift must be a number >= 0"),
    ({"maxShift": True}, "maxShift must be a number >= 0"),
    ({"p": 1.5}, "p must be a probability in [0, 1], got 1.5"),
    ({"fill": float("inf")}, "fill must be a finite number, got inf"),
    ({"fill": None}, "fill must be a finite number, got None"),
])
def test_bad_arguments_name_the_argument_and_what_was_given(kwargs, words):
    with pytest.raises(TransformerError) as info:
        Affine(**kwargs)
    assert str(info.value).startswith("Affine: ") and words in str(info.value)


def test_a_batch_that_is_not_images_is_refused():
    with pytest.raises(TransformerError) as info:
        Affine()(np.zeros((4, 5), np.float32), 0)
    assert str(info.value) == "Affine: expected images (N, C, H, W) or (N, H, W), got shape (4, 5)"
    assert repr(Affine(maxShift=(0, 1))) == (
        "Affine(maxRotation=10.0, maxScale=0.1, maxShift=(0.0, 1.0), p=1.0, fill=0.0)")
