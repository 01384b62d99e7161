"""Train PuzzleLib 1.0's LeNet on MNIST-format files: Datasets, Models and Statistics together
===========================================================================================

A program in PuzzleLib 1.0's own style (its ``CnnMnistLenet``), run on data it makes: scikit-learn's
8x8 digits are scaled up to 28x28 and written as MNIST's four IDX files (``t10k-images.idx3-ubyte``
... the layout ``MnistLoader`` reads; nothing is downloaded). ``MnistLoader`` converts them once into
an HDF5 cache and returns its datasets, test images first; ``loadLeNet(None, initscheme=None)``
builds upstream's "lenet-5-like" net; MomentumSGD with ``useGlobalState``, CrossEntropy, Trainer and
Validator train it, and ``Datasets.Utils.validate`` reports precision, recall and accuracy on the
held-out images. Point ``--data`` at a folder holding the real MNIST files (gunzipped and renamed)
to train on those instead.

Run it as::

    python examples/mnist_files.py [--epochs 5] [--samples N] [--data DIR] [--out DIR]

``--out DIR`` also draws the first convolution's filters (``Visual.showImageBasedFilters``).
Needs the ``datasets`` extra (scikit-learn's digits, Pillow to resize them).
"""
import argparse
import os
import tempfile

import numpy as np

from PuzzleLib.Cost import CrossEntropy
from PuzzleLib.Datasets import MnistLoader
from PuzzleLib.Datasets.Utils import validate
from PuzzleLib.Handlers import Trainer, Validator
from PuzzleLib.Models.Nets import loadLeNet
from PuzzleLib.Optimizers import MomentumSGD

FILES = (("t10k-images.idx3-ubyte", 2051), ("t10k-labels.idx1-ubyte", 2049),
         ("train-images.idx3-ubyte", 2051), ("train-labels.idx1-ubyte", 2049))


def _idx(array, magic):
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def writeDigitsAsMnist(folder, seed=0):
    """scikit-learn's digits as 28x28 uint8 images in MNIST's IDX files: 450 test, 1347 training.
    Returns the number of test images."""
    from PIL import Image
    from sklearn.datasets import load_digits
    digits = load_digits()
    order = np.random.RandomState(seed).permutation(len(digits.images))
    images = np.stack([np.asarray(Image.fromarray((digits.images[i] * 255 / 16).astype(np.uint8)).resize(
        (20, 20), Image.BILINEAR)) for i in order])
    images = np.pad(images, ((0, 0), (4, 4), (4, 4)))  # MNIST centres 20x20 digits in 28x28
    labels = digits.target[order].astype(np.uint8)
    ntest = len(images) // 4
    parts = (images[:ntest], labels[:ntest], images[ntest:], labels[ntest:])
    os.makedirs(folder, exist_ok=True)
    for (name, magic), part in zip(FILES, parts):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(_idx(part, magic))
    return ntest


def main(argv=None):
    parser = argparse.ArgumentParser(description="PuzzleLib 1.0's LeNet on MNIST-format files")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--data", default=None, help="a folder with MNIST's four IDX files (default: the digits, "
                                                     "written to a temporary folder)")
    parser.add_argument("--samples", type=int, default=None, help="train on the first N training images only")
    parser.add_argument("--out", default=None, help="folder for conv1.png (the first layer's filters)")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("argument --epochs: expected a whole number >= 1, got %d" % args.epochs)
    if args.samples is not None and args.samples < 1:
        parser.error("argument --samples: expected a whole number >= 1, got %d" % args.samples)
    try:  # the matrices are small: one BLAS thread is as fast, and spins less on a busy machine
        from threadpoolctl import threadpool_limits
        limits = threadpool_limits(limits=1, user_api="blas")
    except ImportError:
        limits = None
    try:
        return run(args)
    finally:
        if limits is not None:
            limits.restore_original_limits()


def run(args):

    with tempfile.TemporaryDirectory() as scratch:
        path, ntest = args.data, 10000
        if path is None:
            path = os.path.join(scratch, "mnist")
            ntest = writeDigitsAsMnist(path)
        data, labels = MnistLoader().load(path=path)
        data, labels = data[:], labels[:]  # numpy arrays from the HDF5 cache
        print("%d images %s, the first %d held out" % (len(data), data.shape[1:], ntest))

        np.random.seed(1234)
        net = loadLeNet(None, initscheme=None)
        optimizer = MomentumSGD()
        optimizer.setupOn(net, useGlobalState=True)
        optimizer.learnRate, optimizer.momRate = 0.05, 0.9
        cost = CrossEntropy(maxlabels=10)
        trainer = Trainer(net, cost, optimizer, batchsize=32)
        validator = Validator(net, CrossEntropy(maxlabels=10), batchsize=256)

        end = len(data) if args.samples is None else ntest + args.samples
        for epoch in range(args.epochs):
            trainer.trainFromHost(data[ntest:end], labels[ntest:end], macroBatchSize=len(data))
            error = validator.validateFromHost(data[:ntest], labels[:ntest], macroBatchSize=len(data))
            print("epoch %d: train loss %.4f, held-out accuracy %.2f%%" % (
                epoch + 1, cost.getMeanError(), 100 * (1 - error)))
            optimizer.learnRate *= 0.9

        net.evalMode()
        precision, recall, accuracy = validate(net, data[:ntest], labels[:ntest])
        print("held-out precision %.4f, recall %.4f, accuracy %.4f" % (precision, recall, accuracy))
        if args.out:
            from PuzzleLib.Visual import showImageBasedFilters
            os.makedirs(args.out, exist_ok=True)
            showImageBasedFilters(net[0].vars["W"].data.get(), os.path.join(args.out, "conv1.png"), cols=8, offset=1)
            print("filters: %s" % os.path.join(args.out, "conv1.png"))
    return accuracy


if __name__ == "__main__":
    main()
