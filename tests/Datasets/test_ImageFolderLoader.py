import numpy as np
import pytest
from PIL import Image

from PuzzleLib.Datasets import ImageFolderLoader
from PuzzleLib.Errors import DatasetError


def _write(path, ary):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(ary).save(path)


def test_classes_per_subfolder_rgb(tmp_path):
    rng = np.random.RandomState(0)
    a = rng.randint(0, 256, size=(4, 5, 3), dtype=np.uint8)
    b = rng.randint(0, 256, size=(4, 5, 3), dtype=np.uint8)
    _write(tmp_path / "dogs" / "x.png", b)
    _write(tmp_path / "cats" / "1.png", a)
    _write(tmp_path / "cats" / "2.bmp", b)
    (tmp_path / "cats" / "notes.txt").write_text("not an image")
    loader = ImageFolderLoader()
    data, labels = loader.load(str(tmp_path))
    assert loader.classes == ["cats", "dogs"]
    assert data.shape == (3, 3, 4, 5) and data.dtype == np.float32
    np.testing.assert_array_equal(labels, [0, 0, 1])
    np.testing.assert_allclose(data[0], a.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    np.testing.assert_allclose(data[2], b.transpose(2, 0, 1) / 255.0, rtol=1e-6)


def test_grayscale_and_resize(tmp_path):
    _write(tmp_path / "a" / "big.png", np.full((10, 6), 200, np.uint8))
    _write(tmp_path / "b" / "small.png", np.full((3, 3), 100, np.uint8))
    data, labels = ImageFolderLoader(size=(4, 2), grayscale=True, normalize=False).load(str(tmp_path))
    assert data.shape == (2, 1, 4, 2)
    np.testing.assert_allclose(data[0], 200)
    np.testing.assert_allclose(data[1], 100)


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(DatasetError, match="not a folder"):
        ImageFolderLoader().load(str(tmp_path / "missing"))
    with pytest.raises(DatasetError, match="no sub-folders"):
        ImageFolderLoader().load(str(tmp_path))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no images"):
        ImageFolderLoader().load(str(tmp_path))
    _write(tmp_path / "empty" / "a.png", np.zeros((4, 4), np.uint8))
    _write(tmp_path / "empty" / "b.png", np.zeros((5, 4), np.uint8))
    with pytest.raises(DatasetError, match=r"b.png is 5x4 but .*a.png is 4x4.*size="):
        ImageFolderLoader().load(str(tmp_path))
    (tmp_path / "empty" / "c.png").write_bytes(b"garbage")
    with pytest.raises(DatasetError, match="cannot read image .*c.png"):
        ImageFolderLoader(size=4).load(str(tmp_path))
    with pytest.raises(DatasetError, match="size must be"):
        ImageFolderLoader(size=(0, 3))


@pytest.mark.parametrize("ary", [np.full((4, 4), 60000, np.uint16), np.full((4, 4), 1.5, np.float32)])
def test_images_deeper_than_8_bits_refused_not_clipped(tmp_path, ary):
    path = tmp_path / "a" / ("deep.png" if ary.dtype == np.uint16 else "deep.tiff")
    _write(path, ary)
    with pytest.raises(DatasetError, match=r"deep\..* has .* pixels \(mode .*\).*8-bit"):
        ImageFolderLoader(grayscale=True).load(str(tmp_path))


def test_extensions_as_one_string_is_one_extension(tmp_path):
    _write(tmp_path / "a" / "x.png", np.zeros((4, 4), np.uint8))
    _write(tmp_path / "a" / "y.jpg", np.zeros((4, 4), np.uint8))
    (tmp_path / "a" / "notes.log").write_text("not an image")
    loader = ImageFolderLoader(extensions=".PNG")
    data, labels = loader.load(str(tmp_path))
    assert [p.rsplit("/", 1)[-1] for p in loader.files] == ["x.png"] and data.shape == (1, 3, 4, 4)
    with pytest.raises(DatasetError, match="extensions must be"):
        ImageFolderLoader(extensions=(".png", 3))
    with pytest.raises(DatasetError, match="extensions must be"):
        ImageFolderLoader(extensions=())


def test_size_accepts_numpy_integers():
    assert ImageFolderLoader(size=np.int64(4)).size == (4, 4)
    assert ImageFolderLoader(size=(np.int32(3), 5)).size == (3, 5)
    with pytest.raises(DatasetError, match="size must be"):
        ImageFolderLoader(size=(3.0, 5))


def test_a_class_folder_without_images_is_named(tmp_path):
    _write(tmp_path / "cats" / "a.png", np.zeros((4, 4), np.uint8))
    (tmp_path / "dogs").mkdir()
    (tmp_path / "dogs" / "a.txt").write_text("not an image")
    with pytest.raises(DatasetError, match=r"class folder 'dogs' of .* holds no images \(.png"):
        ImageFolderLoader().load(str(tmp_path))


def test_exif_orientation_is_applied(tmp_path):
    """A photo stored sideways with EXIF orientation 6 (rotate 90 degrees clockwise to view) loads
    upright, as viewers show it."""
    stored = np.zeros((2, 3), np.uint8)
    stored[0, 0] = 255  # top-left as stored
    path = tmp_path / "a" / "photo.jpg"
    path.parent.mkdir(parents=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(path, exif=exif, quality=100)
    data, _ = ImageFolderLoader(grayscale=True, normalize=False).load(str(tmp_path))
    assert data.shape == (1, 1, 3, 2)  # upright: 3 rows, 2 columns
    upright = data[0, 0]
    assert upright[0, 1] > 200 and upright[0, 0] < 50  # the stored top-left is now top-right


def test_images_in_folders_inside_a_class_belong_to_it(tmp_path):
    """They used to be skipped without a word (a class of sub-folders was 'without images')."""
    _write(tmp_path / "cats" / "a.png", np.full((2, 2), 1, np.uint8))
    _write(tmp_path / "cats" / "2019" / "b.png", np.full((2, 2), 2, np.uint8))
    _write(tmp_path / "dogs" / "2020" / "deeper" / "c.png", np.full((2, 2), 3, np.uint8))
    (tmp_path / "cats" / "2019" / "loop").symlink_to(tmp_path / "cats", target_is_directory=True)
    loader = ImageFolderLoader(grayscale=True, normalize=False)
    data, labels = loader.load(str(tmp_path))
    assert [p[len(str(tmp_path)) + 1:] for p in loader.files] == ["cats/2019/b.png", "cats/a.png",
                                                                  "dogs/2020/deeper/c.png"]
    np.testing.assert_array_equal(labels, [0, 0, 1])
    np.testing.assert_array_equal(data[:, 0, 0, 0], [2, 1, 3])


def test_root_errors_and_own_errors_are_not_wrapped(tmp_path, monkeypatch):
    with pytest.raises(DatasetError, match="root must be a folder path, got None"):
        ImageFolderLoader().load(None)
    _write(tmp_path / "a" / "x.png", np.zeros((2, 2), np.uint8))
    assert ImageFolderLoader().load(str(tmp_path).encode())[0].shape == (1, 3, 2, 2)
    _write(tmp_path / "a" / "deep.png", np.full((2, 2), 60000, np.uint16))
    with pytest.raises(DatasetError) as info:
        ImageFolderLoader().load(tmp_path)
    assert str(info.value).count("ImageFolderLoader") == 1 and "cannot read" not in str(info.value)

    import os
    def denied(path):
        raise PermissionError(13, "Permission denied", path)
    monkeypatch.setattr(os, "listdir", denied)
    with pytest.raises(DatasetError, match="cannot list folder .*Permission denied"):
        ImageFolderLoader().load(tmp_path)


def test_a_broken_link_is_named_not_skipped(tmp_path):
    _write(tmp_path / "a" / "x.png", np.zeros((2, 2), np.uint8))
    (tmp_path / "a" / "y.png").symlink_to(tmp_path / "gone.png")
    with pytest.raises(DatasetError, match=r"cannot read image .*y.png: .*No such file"):
        ImageFolderLoader().load(tmp_path)


def test_16_bit_colour_png_is_read_scaled_to_8_bits(tmp_path):
    """As the docstring says: Pillow gives such a PNG as 8-bit RGB (high byte), so it loads."""
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)

    rows = b"".join(b"\0" + np.full((2, 3), 0x8000, ">u2").tobytes() for _ in range(2))
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "deep.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 16, 2, 0, 0, 0)) +
        chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    data, _ = ImageFolderLoader(normalize=False).load(tmp_path)
    np.testing.assert_array_equal(data, np.full((1, 3, 2, 2), 128, np.float32))


def test_hidden_files_and_folders_are_skipped(tmp_path):
    # a notebook's .ipynb_checkpoints became a class of its own, and macOS's ._a.png (not an image)
    # an unreadable one
    _write(tmp_path / "cats" / "a.png", np.zeros((4, 4, 3), np.uint8))
    _write(tmp_path / "dogs" / "b.png", np.full((4, 4, 3), 255, np.uint8))
    _write(tmp_path / ".ipynb_checkpoints" / "c.png", np.zeros((4, 4, 3), np.uint8))
    _write(tmp_path / "cats" / ".hidden" / "d.png", np.zeros((4, 4, 3), np.uint8))
    (tmp_path / "dogs" / "._b.png").write_bytes(b"\x00\x05\x16\x07 not an image")
    loader = ImageFolderLoader()
    data, labels = loader.load(str(tmp_path))
    assert loader.classes == ["cats", "dogs"]
    assert data.shape == (2, 3, 4, 4) and labels.tolist() == [0, 1]
    assert [p.rsplit("/", 2)[-2:] for p in loader.files] == [["cats", "a.png"], ["dogs", "b.png"]]
