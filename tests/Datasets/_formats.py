"""Writers of tiny data set files in the formats the loaders read (IDX, CIFAR-10 python batches,
Keras's imdb.npz, NORB matrices), for the tests and the docstring examples."""
import io
import json
import os
import pickle
import tarfile

import numpy as np

MNIST_FILES = {"test": ("t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte"),
               "train": ("train-images.idx3-ubyte", "train-labels.idx1-ubyte")}


def idxBytes(ary, magic):
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in ary.shape)
    return header + np.ascontiguousarray(ary, dtype=np.uint8).tobytes()


def writeMnist(folder, ntest=2, ntrain=3, seed=0):
    """Returns {part: (images uint8 (n, 28, 28), labels)}."""
    rng = np.random.RandomState(seed)
    os.makedirs(folder, exist_ok=True)
    out = {}
    for part, n in (("test", ntest), ("train", ntrain)):
        images = rng.randint(0, 256, size=(n, 28, 28)).astype(np.uint8)
        labels = rng.randint(0, 10, size=n).astype(np.uint8)
        imgname, lblname = MNIST_FILES[part]
        with open(os.path.join(folder, imgname), "wb") as f:
            f.write(idxBytes(images, 2051))
        with open(os.path.join(folder, lblname), "wb") as f:
            f.write(idxBytes(labels, 2049))
        out[part] = (images, labels)
    return out


def cifarBatch(n, rng, protocol=2, keys=bytes):
    data = rng.randint(0, 256, size=(n, 3072)).astype(np.uint8)
    labels = rng.randint(0, 10, size=n).tolist()
    k = (lambda s: s.encode()) if keys is bytes else (lambda s: s)
    batch = {k("batch_label"): k("tiny"), k("labels"): labels, k("data"): data,
             k("filenames"): [k("f%d.png" % i) for i in range(n)]}
    return pickle.dumps(batch, protocol=protocol), data, labels


def writeCifar(folder, members=(("data_batch_2", 3), ("test_batch", 2), ("data_batch_1", 4)), seed=0,
               archive="cifar-10-python.tar.gz", raw=None):
    """Returns the batches' (data, labels) in member order; ``raw`` maps a member to bytes to store."""
    rng = np.random.RandomState(seed)
    os.makedirs(folder, exist_ok=True)
    out = []
    mode = "w:gz" if archive.endswith(".gz") else "w"
    with tarfile.open(os.path.join(folder, archive), mode) as tar:
        for i, (name, n) in enumerate(members):
            if raw is not None and name in raw:
                payload = raw[name]
            else:
                payload, data, labels = cifarBatch(n, rng, protocol=2 if i % 2 == 0 else 5)
                out.append((data, labels))
            info = tarfile.TarInfo("cifar-10-batches-py/" + name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
        meta = pickle.dumps({"label_names": ["c%d" % i for i in range(10)]})
        info = tarfile.TarInfo("cifar-10-batches-py/batches.meta")
        info.size = len(meta)
        tar.addfile(info, io.BytesIO(meta))
    return out


def writeImdb(folder, ntrain=3, ntest=2, seed=0):
    rng = np.random.RandomState(seed)
    os.makedirs(folder, exist_ok=True)

    def reviews(n):
        ary = np.empty(n, dtype=object)
        for i in range(n):
            ary[i] = rng.randint(1, 9, size=rng.randint(1, 6)).tolist()
        return ary

    arrays = {"x_train": reviews(ntrain), "y_train": rng.randint(0, 2, size=ntrain),
              "x_test": reviews(ntest), "y_test": rng.randint(0, 2, size=ntest)}
    np.savez(os.path.join(folder, "imdb.npz"), **arrays)
    words = {"w%d" % r: r for r in range(1, 9)}
    with open(os.path.join(folder, "imdb_word_index.json"), "w") as f:
        json.dump(words, f)
    return arrays, words


NORB_PARTS = {"training": "smallnorb-5x46789x9x18x6x2x96x96-training-%s.mat",
              "testing": "smallnorb-5x01235x9x18x6x2x96x96-testing-%s.mat"}


def norbBytes(ary, magic):
    dims = list(ary.shape) + [1] * max(0, 3 - ary.ndim)
    header = np.array([magic, ary.ndim] + dims, dtype="<u4").tobytes()
    return header + np.ascontiguousarray(ary).tobytes()


def writeNorb(folder, ntrain=3, ntest=2, seed=0):
    rng = np.random.RandomState(seed)
    os.makedirs(folder, exist_ok=True)
    out = {}
    for part, n in (("training", ntrain), ("testing", ntest)):
        dat = rng.randint(0, 256, size=(n, 2, 96, 96)).astype(np.uint8)
        cat = rng.randint(0, 5, size=n).astype("<i4")
        info = np.stack([rng.randint(0, 10, n), rng.randint(0, 9, n), 2 * rng.randint(0, 18, n),
                         rng.randint(0, 6, n)], axis=1).astype("<i4")
        for kind, ary, magic in (("dat", dat, 0x1E3D4C55), ("cat", cat, 0x1E3D4C54), ("info", info, 0x1E3D4C54)):
            with open(os.path.join(folder, NORB_PARTS[part] % kind), "wb") as f:
                f.write(norbBytes(ary, magic))
        out[part] = (dat, cat, info)
    return out
