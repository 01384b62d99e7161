import io
import os

import numpy as np
import pytest
from PIL import Image

from PuzzleLib import Visual
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Visual import VisualError


def test_load_image_layouts_and_scaling(tmp_path):
    ary = np.zeros((3, 5, 3), np.uint8)
    ary[..., 0] = 200
    ary[1, 2] = (100, 50, 0)
    Image.fromarray(ary).save(str(tmp_path / "a.png"))
    x = Visual.loadImage(str(tmp_path / "a.png"))
    assert x.shape == (1, 3, 3, 5) and x.dtype == np.float32
    # relative to the image's own maximum (200), not 255
    assert x[0, 0, 0, 0] == 1.0 and x[0, 1, 0, 0] == -1.0 and x[0, 0, 1, 2] == pytest.approx(100 * 2 / 200 - 1)
    raw = Visual.loadImage(str(tmp_path / "a.png"), normalize=False, mapsToFront=False)
    np.testing.assert_array_equal(raw, ary)
    with open(str(tmp_path / "a.png"), "rb") as f:
        np.testing.assert_array_equal(Visual.loadImageFromBytes(f.read()), x)
    assert Visual.loadImage(str(tmp_path / "a.png"), shape=(10, 6)).shape == (1, 3, 6, 10)
    Image.new("RGBA", (2, 2)).save(str(tmp_path / "rgba.png"))
    assert Visual.loadImage(str(tmp_path / "rgba.png")).shape == (1, 3, 2, 2)  # alpha dropped
    Image.new("L", (2, 3), 7).save(str(tmp_path / "g.png"))
    assert Visual.loadImage(str(tmp_path / "g.png")).shape == (1, 1, 3, 2)
    with pytest.raises(VisualError, match="cannot read image .*missing.png"):
        Visual.loadImage(str(tmp_path / "missing.png"))


def test_show_image_normalises_floats_and_round_trips(tmp_path):
    img = np.linspace(-3, 5, 2 * 3 * 4).reshape(1, 2 * 3, 4)[:, :3].reshape(1, 3, 4).astype(np.float32)
    img = np.stack([img[0], img[0] * 2, -img[0]])
    path = str(tmp_path / "x.png")
    Visual.showImage(to_gpu(img), path)
    back = Visual.loadImage(path, normalize=False)[0].astype(np.float32)
    expected = np.rint((img - img.min()) / (img.max() - img.min()) * 255)
    np.testing.assert_array_equal(back, expected)
    Visual.showImage(np.full((1, 2, 2), 9, np.uint8), str(tmp_path / "u.png"))  # other dtypes as they are
    assert Visual.loadImage(str(tmp_path / "u.png"), normalize=False).max() == 9
    with pytest.raises(VisualError, match="exactly one image"):
        Visual.showImage(np.zeros((2, 3, 4, 4), np.float32), path)


def test_batches_into_files_and_folders(tmp_path):
    batch = np.random.rand(3, 3, 4, 4).astype(np.float32)
    Visual.showImageBatch(batch, str(tmp_path / "b"))
    assert sorted(os.listdir(str(tmp_path))) == ["b-1.png", "b-2.png", "b-3.png"]
    Visual.showImageBatchInFolder(batch[:2], str(tmp_path / "out"), "img", ext="jpg")
    assert sorted(os.listdir(str(tmp_path / "out"))) == ["img-1.jpg", "img-2.jpg"]
    with pytest.raises(VisualError, match="a batch is"):
        Visual.showImageBatch(batch[0], str(tmp_path / "c"))


def test_filter_grid_layout(tmp_path, caplog):
    filters = np.arange(2 * 3 * 2 * 2, dtype=np.float32).reshape(2, 3, 2, 2)
    path = str(tmp_path / "f.png")
    Visual.showFilters(filters, path, offset=1)
    grid = np.asarray(Image.open(path))
    assert grid.shape == (2 * 2 + 3, 3 * 2 + 4)
    # tile (row 1, column 2) is filter [1, 2], min-max normalised: 0, 85, 170, 255
    np.testing.assert_array_equal(grid[4:6, 7:9], [[0, 85], [170, 255]])
    assert (grid[0] == 0).all() and (grid[:, 3] == 0).all()  # black frame and gaps

    Visual.showImageBasedFilters(np.random.randn(3, 3, 2, 2), str(tmp_path / "c.png"), cols=2, offset=1)
    assert np.asarray(Image.open(str(tmp_path / "c.png"))).shape == (2 * 2 + 3, 2 * 2 + 3, 3)

    Visual.showFilters(np.zeros((4, 4, 1, 1)), str(tmp_path / "none.png"))
    assert not os.path.exists(str(tmp_path / "none.png")) and "1x1" in caplog.text
    with pytest.raises(VisualError, match="outmaps, 1 or 3"):
        Visual.showImageBasedFilters(np.zeros((2, 2, 3, 3)), str(tmp_path / "x.png"))


def test_whiten_and_helpers():
    np.random.seed(0)
    x = np.random.randn(400, 3).astype(np.float64) @ np.array([[2, 1, 0], [0, 1, 0], [0, 0, 3]])
    z = Visual.whiten(x.copy(), epsilon=0)
    np.testing.assert_allclose(np.cov(z, rowvar=False, bias=True), np.eye(3), atol=1e-8)
    p = Visual.whiten(x.copy(), epsilon=0, PCA=True)
    np.testing.assert_allclose(np.cov(p, rowvar=False, bias=True), np.eye(3), atol=1e-8)
    assert not np.allclose(p, z)
    img = np.array([2.0, 4.0, 6.0])
    assert Visual.normalizeImageInplace(img) is img and img.tolist() == [0, 0.5, 1]
    assert Visual.imageToInt(img).tolist() == [0, 128, 255]
    assert io  # noqa
