"""ZipLoader, TarLoader and PathLoader (the sources of InputLoader)."""
import io
import os
import tarfile
import time
import zipfile

import numpy as np
import pytest
from PIL import Image

from PuzzleLib.Datasets import PathLoader, TarLoader, ZipLoader
from PuzzleLib.Datasets.InputLoader import InputLoader
from PuzzleLib.Errors import DatasetError


def _png(value, mode="RGB", size=(4, 3)):
    buf = io.BytesIO()
    Image.new(mode, size, value).save(buf, "png")
    return buf.getvalue()


FILES = [("b.png", _png((255, 0, 0))), ("notes.txt", b"x"), ("sub/a.PNG", _png((0, 255, 0))),
         ("c.jpg", _png((0, 0, 255)))]  # a png named .jpg: Pillow goes by the content


def _zip(path, files=FILES):
    with zipfile.ZipFile(path, "w") as zf:
        for name, payload in files:
            zf.writestr(name, payload)


def _tar(path, files=FILES):
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in files:
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))


def _folder(path, files=FILES):
    for name, payload in files:
        os.makedirs(os.path.dirname(os.path.join(path, name)), exist_ok=True)
        with open(os.path.join(path, name), "wb") as f:
            f.write(payload)


def _firstPixels(data):
    return [tuple(int(round(v)) for v in data[i, :, 0, 0]) for i in range(len(data))]


@pytest.mark.parametrize("Loader, make, name", [(ZipLoader, _zip, "set.zip"), (TarLoader, _tar, "set.tar.gz")])
def test_archives_in_member_order(tmp_path, Loader, make, name):
    path = str(tmp_path / name)
    make(path)
    data = Loader().load(path, log=False)
    assert data.shape == (3, 3, 3, 4) and data.dtype == np.float32
    assert _firstPixels(data) == [(1, -1, -1), (-1, 1, -1), (-1, -1, 1)]
    assert data.file.filename.endswith(".hdf")


def test_path_loader_walks_sub_folders_sorted(tmp_path):
    _folder(str(tmp_path / "imgs"))
    data = PathLoader(cachename=str(tmp_path / "imgs.hdf")).load(str(tmp_path / "imgs"), log=False)
    assert _firstPixels(data) == [(1, -1, -1), (-1, -1, 1), (-1, 1, -1)]  # b.png, c.jpg, sub/a.PNG
    seen = []
    PathLoader(onFile=lambda p: seen.append(p) or np.zeros((2, 1)), doOpen=False, exts=["txt"],
               cachename=str(tmp_path / "t.hdf")).load(str(tmp_path / "imgs"), log=False)
    assert seen == [os.path.join(str(tmp_path / "imgs"), "notes.txt")]


def test_cache_rebuilt_when_an_input_is_newer_or_the_inputs_change(tmp_path, capsys):
    a, b = str(tmp_path / "a.zip"), str(tmp_path / "b.zip")
    _zip(a)
    _zip(b, [("x.png", _png(0, "L"))])
    loader = ZipLoader(cachename=str(tmp_path / "c.hdf"))
    assert loader.load(a, log=False).shape[0] == 3
    assert "Building" in capsys.readouterr().out
    loader.load(a)
    assert "Using cache" in capsys.readouterr().out
    later = time.time() + 10
    _zip(a, FILES[:1])
    os.utime(a, (later, later))
    assert loader.load(a, log=False).shape[0] == 1
    assert "Building" in capsys.readouterr().out
    with pytest.raises(DatasetError, match="samples of shape"):  # RGB then greyscale
        loader.load([a, b], log=False)
    assert loader.load([a], maxsamples=1, log=False).shape[0] == 1


def test_packs_and_maxsamples(tmp_path):
    files = [("%02d.png" % i, _png((i, i, i))) for i in range(7)]
    _zip(str(tmp_path / "s.zip"), files)
    data = ZipLoader(onFileList=lambda fl: fl[::-1]).load(str(tmp_path / "s.zip"), filepacksize=2, maxsamples=5,
                                                         log=False)
    assert data.shape[0] == 5
    np.testing.assert_allclose(data[:, 0, 0, 0], np.arange(6, 1, -1) * 2 / 255 - 1, atol=1e-6)


def test_errors_name_the_input_and_file(tmp_path):
    (tmp_path / "plain.txt").write_text("not an archive")
    with pytest.raises(DatasetError, match="'.*plain.txt' is not zip file"):
        ZipLoader().load(str(tmp_path / "plain.txt"))
    with pytest.raises(DatasetError, match="'.*plain.txt' is not tar file"):
        TarLoader().load(str(tmp_path / "plain.txt"))
    with pytest.raises(RuntimeError, match="is not tar file"):  # the class PuzzleLib 1.0 programs catch
        TarLoader().load(str(tmp_path / "plain.txt"))
    with pytest.raises(DatasetError, match="Path '.*nowhere' does not exist"):
        PathLoader().load(str(tmp_path / "nowhere"))
    _zip(str(tmp_path / "bad.zip"), [("ok.png", _png((1, 2, 3))), ("broken.png", b"\x89PNG not really")])
    with pytest.raises(DatasetError, match=r"Unpacking failure: broken.png in .*bad.zip: UnidentifiedImageError"):
        ZipLoader().load(str(tmp_path / "bad.zip"), log=False)
    assert not os.path.exists(str(tmp_path / "bad.hdf"))
    _zip(str(tmp_path / "none.zip"), [("a.txt", b"1")])
    with pytest.raises(DatasetError, match="no files ending in .png, .jpg, .jpeg"):
        ZipLoader().load(str(tmp_path / "none.zip"), log=False)
    with pytest.raises(DatasetError, match="exts must be file endings"):
        ZipLoader(exts=[""])
    with pytest.raises(NotImplementedError):
        InputLoader().checkInput("x")


def test_greyscale_images_are_one_map(tmp_path):
    _zip(str(tmp_path / "g.zip"), [("g.png", _png(255, "L", (2, 2)))])
    data = ZipLoader().load(str(tmp_path / "g.zip"), log=False)
    assert data.shape == (1, 1, 2, 2) and data[0, 0, 0, 0] == 1.0
