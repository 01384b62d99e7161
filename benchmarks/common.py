"""What every benchmark worker shares: the data sets, the FLOP count, memory readings.

Every library gets the same inputs: the arrays are drawn here from a fixed seed, in numpy, and each
worker converts them to its own kind of array.
"""
import math
import os
import resource

import numpy as np

# the tutorial: y = 2 sin(x) + 5 on 1024 points of [-3, 3]; a 1 -> 100 -> 1 relu net
TUTORIAL_POINTS = 1024
TUTORIAL_HIDDEN = 100
TUTORIAL_LR = 1e-2
TUTORIAL_MOMENTUM = 0.9
TUTORIAL_MACRO = 1000          # the tutorial's macroBatchSize
STEP_SAMPLES = 1000            # step timing runs over 1000 samples, so every batch is full

# the wide MLP
WIDE_SIZES = (256, 1024, 1024, 10)
WIDE_BATCH = 256
WIDE_SAMPLES = 16384
WIDE_LR = 1e-2
WIDE_MOMENTUM = 0.9

# the LeNet-style CNN on 8x8 digits
DIGITS_SAMPLES = 1797
DIGITS_BATCH = 32
CNN_LR = 1e-2
CNN_MOMENTUM = 0.9

# the CIFAR-sized CNNs (VGG-style and ResNet-style) on random 32x32x3 images
IMAGE_BATCH = 64
IMAGE_STEPS = 8                # a timed pass is this many full steps
IMAGE_LR = 1e-2
IMAGE_MOMENTUM = 0.9
RESNET_MAPS = (16, 32, 64)     # loadResNet's stages: 3x3 convs, stride-2 blocks with 1x1 projections, adds
RESNET_BLOCKS = 2


def tutorialData():
    """(X, Y): the tutorial's grid and targets, float32 (1024, 1), shuffled as the tutorial does."""
    rng = np.random.RandomState(1234)
    X = np.linspace(-3, 3, TUTORIAL_POINTS, dtype=np.float32).reshape(-1, 1)
    Y = (2 * np.sin(X.astype(np.float64)) + 5).astype(np.float32)
    perm = rng.permutation(TUTORIAL_POINTS)
    return np.ascontiguousarray(X[perm]), np.ascontiguousarray(Y[perm])


def wideData(samples):
    """(X, labels, onehot): standard-normal inputs (samples, 256), int labels, one-hot float32 targets."""
    rng = np.random.RandomState(4321)
    X = rng.standard_normal((samples, WIDE_SIZES[0])).astype(np.float32)
    labels = rng.randint(0, WIDE_SIZES[-1], size=samples).astype(np.int32)
    onehot = np.zeros((samples, WIDE_SIZES[-1]), dtype=np.float32)
    onehot[np.arange(samples), labels] = 1.0
    return X, labels, onehot


def digitsData():
    """(X, labels, source): the 8x8 digits as (N, 1, 8, 8) float32 in [0, 1] and int32 labels.

    The real set is read from the file scikit-learn ships (without importing scikit-learn) when it
    is installed; otherwise random images of the same shape and count stand in (a step's time does
    not depend on the pixel values).
    """
    import gzip
    import importlib.util
    spec = importlib.util.find_spec("sklearn")
    if spec is not None and spec.submodule_search_locations:
        path = os.path.join(list(spec.submodule_search_locations)[0], "datasets", "data", "digits.csv.gz")
        if os.path.isfile(path):
            with gzip.open(path, "rt") as f:
                table = np.loadtxt(f, delimiter=",", dtype=np.float32)
            X = np.ascontiguousarray(table[:, :64] / 16.0).reshape(-1, 1, 8, 8)
            return X, table[:, 64].astype(np.int32), "scikit-learn's digits"
    rng = np.random.RandomState(8)
    X = rng.uniform(0, 1, size=(DIGITS_SAMPLES, 1, 8, 8)).astype(np.float32)
    labels = rng.randint(0, 10, size=DIGITS_SAMPLES).astype(np.int32)
    return X, labels, "random 8x8 images standing in for the digits (scikit-learn is not installed)"


def imageData(samples):
    """(X, labels): standard-normal (samples, 3, 32, 32) float32 images and int32 labels in [0, 10)
    (a step's time does not depend on the pixel values)."""
    rng = np.random.RandomState(2468)
    X = rng.standard_normal((samples, 3, 32, 32)).astype(np.float32)
    return X, rng.randint(0, 10, size=samples).astype(np.int32)


def gemmShapes(sizes, batch):
    """The matrix products of one training step of an MLP, as (name, m, k, n, kind) tuples.

    Per layer (insize -> outsize): forward x @ W (batch, in) x (in, out); weight gradient
    x.T @ g (in, batch) x (batch, out); input gradient g @ W.T (batch, out) x (out, in), which
    the first layer does not need.
    """
    shapes = []
    for i, (fin, fout) in enumerate(zip(sizes[:-1], sizes[1:])):
        shapes.append(("layer%d fwd" % i, batch, fin, fout, "fwd"))
        shapes.append(("layer%d dW" % i, fin, batch, fout, "dW"))
        if i > 0:
            shapes.append(("layer%d dX" % i, batch, fout, fin, "dX"))
    return shapes


def stepFlops(sizes, batch):
    """FLOPs of the matrix products of one training step: sum of 2*m*k*n over gemmShapes.

    Equals 2 * batch * (3 * sum(in*out) - in0*out0) = 6 * weights * batch minus the first layer's
    input gradient; bias, activation, cost and update are left out (they are O(batch*width)).
    """
    return sum(2 * m * k * n for _, m, k, n, _ in gemmShapes(sizes, batch))


def wideWeights():
    return sum(a * b for a, b in zip(WIDE_SIZES[:-1], WIDE_SIZES[1:]))


def stepsPerEpoch(samples, batch):
    return int(math.ceil(samples / batch))


def rssBytes():
    """The resident set size of this process now."""
    try:
        import psutil
        return psutil.Process().memory_info().rss
    except ImportError:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peakRssBytes():
    """The largest resident set size this process has had (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
