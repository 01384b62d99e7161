"""Train a small CNN on scikit-learn's 8x8 digits and test it on a held-out quarter
================================================================================

The LeNet-style net of ``PuzzleLib.Models.Nets`` (two stages of 3x3 convolution, batch norm,
ReLU and 2x2 max pooling with 32 maps each, then 128 -> 64 -> 10), trained with MomentumSGD on
softmax cross-entropy through Trainer (the last 40% of the epochs at a tenth of the rate);
Validator reports the error rate on the held-out quarter (CrossEntropy's validate returns the
fraction of argmax misses).

Each epoch's training images come from a ``PuzzleLib.Transformers`` pipeline: a ``Serial``
provider whose two worker processes add to every image a copy turned by up to 10 degrees, scaled
by up to 10% and moved by up to half a pixel (``Affine``, bilinear), shuffled in with the
originals, preparing the next epoch's images while this one trains (``--no-augment`` trains on
the images as they are, in about half the time). An augmented epoch is twice as many images, so
it takes twice the steps; training without augmentation for twice the epochs (the same steps)
does no better than for the same epochs, so the gain is the augmentation's. ``--compare 10``
prints::

    | seed | augmented, 25 epochs | as they are, 25 epochs | as they are, 50 epochs |
    |---|---|---|---|
    | 0 | 99.56% (448) | 99.56% (448) | 99.33% (447) |
    | 1 | 98.67% (444) | 98.22% (442) | 98.22% (442) |
    | 2 | 99.78% (449) | 99.33% (447) | 99.33% (447) |
    | 3 | 99.56% (448) | 99.56% (448) | 99.56% (448) |
    | 4 | 99.78% (449) | 98.44% (443) | 98.67% (444) |
    | 5 | 99.56% (448) | 99.11% (446) | 99.11% (446) |
    | 6 | 99.33% (447) | 98.44% (443) | 98.67% (444) |
    | 7 | 99.33% (447) | 98.67% (444) | 98.67% (444) |
    | 8 | 100.00% (450) | 98.00% (441) | 98.00% (441) |
    | 9 | 99.11% (446) | 99.11% (446) | 99.11% (446) |
    | mean | 99.47% | 98.84% | 98.87% |

(held-out accuracy, right of 450; the held-out quarter and the initial weights depend only on the
seed, the same in every arm; measured on main after 84c4fe9, where the 16 -> 32 layer goes by
Winograd block by block; on 80ebc92, with both layers' columns laid out per sample, the means were
99.27%, 98.84% and 98.91%; on 58add01, with the extended-grid layout, 99.33%, 98.91% and 98.96%
and seed 0 gave 449, 448 and 447; on eb4a5e0, with the 4x4-map layer on Winograd,
99.33%, 98.91% and 98.89%). One seed's count is a draw: it moves with any change in rounding or in the order
of the batches. With the earlier settings (15 degrees and 15%, the last 20% of the epochs on the
images as they are) seed 0 gave 449 against 448 on main 4a1d4c2 and 445 against 448 on eb4a5e0,
and at seed 0 on eb4a5e0, drawing 1..8 numbers from ``np.random`` before training (which changes
only the order of the batches and the copies' draws) gave 446-450 right with augmentation
(median 449) and 443-447 without (median 445.5): the mean over seeds is the steadier measure.

The pipeline used to add copies moved by a whole pixel (``Shift``): 98.91% on average against
98.96% without (on main 9b74303, before the Winograd convolutions), no better than none: on 8x8
images a pixel is an eighth of the image, so such a copy is a large change. Also no better, on
the same seeds and code: shuffling those copies in with the originals (98.98%), replacing half
the images by moved ones instead of adding copies (98.89%), noise of 0.05 alone (98.80%). The
settings are the best of those tried on seeds 10..19 (not the table's; the choice was made after
the earlier settings fell to 445 at seed 0), where training as they are gives 98.84% and
``Affine`` copies 99.38% (10 degrees and 10%, these settings) and 99.31% (15 and 15%) through
all the epochs, 99.27%, 99.33% and 99.13% (10, 15 and 5 degrees and %) with the last 20% of the
epochs on the images as they are.

Run it as::

    python examples/digits.py [--epochs 25] [--batchsize 32] [--seed 0] [--threads 1] [--no-augment] [--out DIR]
    python examples/digits.py --compare 10      # the table above (about a minute and a half)

With ``--out DIR`` it also draws ``DIR/digits.png`` (the training loss per epoch, the confusion
matrix of the held-out quarter and the held-out digits it got wrong), ``DIR/filters.png`` (the
first convolution's filters, ``Visual.showImageBasedFilters``) and ``DIR/net.gv.svg`` (the net's structure,
``Board.drawBoard``; the DOT source alone when Graphviz's dot is not installed).

Needs the ``datasets`` extra (scikit-learn ships the digits file; nothing is downloaded).
``--threads`` caps numpy's BLAS threads (through threadpoolctl, which comes with scikit-learn):
the matrices of an 8x8-image CNN are small, so one thread is as fast as two on an idle machine,
and on a busy one extra BLAS threads spin waiting for each other and can make training many
times slower.
"""
import argparse
import contextlib
import io
import os
import time

import numpy as np

from PuzzleLib.Cost import CrossEntropy
from PuzzleLib.Datasets import DigitsLoader
from PuzzleLib.Handlers import Calculator, Trainer, Validator
from PuzzleLib.Models.Nets import loadLeNet
from PuzzleLib.Optimizers import MomentumSGD
from PuzzleLib.Transformers.Affine import Affine
from PuzzleLib.Transformers.Serial import Serial
from PuzzleLib.Transformers.Transformer import Transformer


def splitQuarter(data, labels, seed):
    """A random three quarters for training, the last quarter held out."""
    order = np.random.RandomState(seed).permutation(len(data))
    cut = len(data) * 3 // 4
    train, test = order[:cut], order[cut:]
    return data[train], labels[train], data[test], labels[test]


def blasThreads(count):
    """A context that caps the BLAS thread pool at ``count`` (a no-op for 0 or without threadpoolctl)."""
    if count <= 0:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=count, user_api="blas")


def _number(kind, low, high=None):
    """An argparse type: ``kind`` (int or float) in [low, high] (floats: finite and above ``low``)."""
    def convert(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError("expected %s, got %r" % (
                "a whole number" if kind is int else "a number", text)) from None
        tooLow = value < low if kind is int else not low < value < float("inf")
        if tooLow or (high is not None and value > high):
            raise argparse.ArgumentTypeError("expected %s %s%s, got %r" % (
                "a whole number" if kind is int else "a number", (">= %d" if kind is int else "> %g") % low,
                "" if high is None else " and <= %d" % high, text))
        return value
    return convert


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0] or None)
    parser.add_argument("--epochs", type=_number(int, 1), default=25)
    parser.add_argument("--batchsize", type=_number(int, 1), default=32)
    parser.add_argument("--learnRate", type=_number(float, 0.0), default=0.05)
    parser.add_argument("--seed", type=_number(int, 0, 2 ** 32 - 1), default=0)
    parser.add_argument("--threads", type=_number(int, 0), default=1, help="BLAS threads (0: leave numpy's default)")
    parser.add_argument("--no-augment", dest="augment", action="store_false",
                        help="train on the images as they are (no Transformers pipeline)")
    parser.add_argument("--compare", type=_number(int, 1), default=None, metavar="SEEDS",
                        help="train at seeds 0..SEEDS-1 with the pipeline, without it, and without it for twice "
                             "the epochs (as many steps as with it), and print the held-out accuracies")
    parser.add_argument("--out", default=None, help="folder for digits.png (loss, confusion matrix, mistakes), "
                                                    "filters.png and net.gv(.svg)")
    args = parser.parse_args(argv)
    if args.out is not None and os.path.exists(args.out) and not os.path.isdir(args.out):
        parser.error("argument --out: %s exists and is not a folder" % args.out)
    if args.compare is not None and (args.out is not None or not args.augment):
        parser.error("argument --compare: runs all three arms itself and draws nothing (no --out, no --no-augment)")
    with blasThreads(args.threads):
        return run(args) if args.compare is None else compare(args)


def compare(args):
    """Held-out accuracies (seeds x 3) of the three arms at seeds 0..args.compare-1, printed as a table."""
    arms = [(True, args.epochs), (False, args.epochs), (False, 2 * args.epochs)]
    print("| seed | augmented, %d epochs | as they are, %d epochs | as they are, %d epochs |" % (
        args.epochs, args.epochs, 2 * args.epochs))
    print("|---|---|---|---|")
    total = len(DigitsLoader().load()[1])
    heldOut = total - total * 3 // 4  # as splitQuarter cuts
    table = np.zeros((args.compare, len(arms)))
    for seed in range(args.compare):
        for j, (augment, epochs) in enumerate(arms):
            armArgs = argparse.Namespace(**dict(vars(args), seed=seed, augment=augment, epochs=epochs))
            with contextlib.redirect_stdout(io.StringIO()):
                table[seed, j], _ = run(armArgs)
        print("| %d | %s |" % (seed, " | ".join(
            "%.2f%% (%d)" % (100 * a, round(a * heldOut)) for a in table[seed])), flush=True)
    print("| mean | %s |" % " | ".join("%.2f%%" % (100 * a) for a in table.mean(axis=0)))
    return table


def run(args):

    np.random.seed(args.seed)
    data, labels = DigitsLoader().load()
    trainX, trainY, testX, testY = splitQuarter(data, labels, args.seed)
    print("digits: %d training images, %d held out, shape %s" % (len(trainX), len(testX), trainX.shape[1:]))

    net = loadLeNet(inmaps=1, insize=8, classes=10, maps=(32, 32), hidden=64, batchNorm=True)
    cost = CrossEntropy(maxlabels=10)
    optimizer = MomentumSGD(learnRate=args.learnRate, momRate=0.9)
    optimizer.setupOn(net, useGlobalState=True)
    trainer = Trainer(net, cost, optimizer, batchsize=args.batchsize)
    validator = Validator(net, CrossEntropy(maxlabels=10), batchsize=256)

    losses = []
    start, startCpu = time.perf_counter(), time.process_time()
    with augmented(trainX, trainY, args.augment) as provider:
        provider.prepareData(chunksize=len(trainX))
        for epoch in range(args.epochs):
            # step decay: the last 40% of the epochs at a tenth of the rate
            optimizer.learnRate = args.learnRate * (0.1 if epoch >= 0.6 * args.epochs else 1.0)
            epochX, epochY = provider.getData()
            if epoch + 1 < args.epochs:
                provider.prepareData(chunksize=len(trainX))  # the workers make the next epoch's images meanwhile
            trainer.trainFromHost(epochX, epochY, macroBatchSize=len(trainX))
            losses.append(cost.getMeanError())
            if (epoch + 1) % 5 == 0 or epoch == args.epochs - 1:
                print("epoch %2d: train loss %.4f" % (epoch + 1, cost.getMeanError()))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - startCpu

    errorRate = validator.validateFromHost(testX, testY)
    accuracy = 1.0 - errorRate
    print("held-out accuracy: %.2f%% (%d of %d), training took %.2f s (%.2f s of CPU time)" % (
        100 * accuracy, round(accuracy * len(testX)), len(testX), elapsed, cpu))
    if args.out:
        predicted = Calculator(net, batchsize=256).calcFromHost(testX).argmax(axis=1)
        path = drawFigure(args.out, losses, testX, testY, predicted)
        print("figure: %s" % path)
        drawNet(args.out, net)
    return accuracy, elapsed


class WithAugmentedCopy(Transformer):
    """[images, labels] -> the images and a changed copy of each (``Affine``: turned, scaled and moved
    a little, drawn in the worker), shuffled together so that each batch mixes both; labels follow."""

    def __init__(self, maxRotation=10.0, maxScale=0.1, maxShift=0.5):
        self.affine = Affine(maxRotation=maxRotation, maxScale=maxScale, maxShift=maxShift)

    def __call__(self, batch, threadidx):
        images, labels = batch
        both = np.concatenate([images, self.affine(images, threadidx)])
        order = np.random.permutation(len(both))
        return [both[order], np.concatenate([labels, labels])[order]]


def augmented(images, labels, augment):
    """A Serial provider over the training set whose two workers add changed copies (or that hands
    the images out unchanged); a ``with`` block ends its workers."""
    provider = Serial(images, labels, numofthreads=2 if augment else 1)
    if augment:
        provider.addTransformer(WithAugmentedCopy())
    return provider


def drawNet(folder, net):
    """``folder/filters.png`` (the first convolution's 32 3x3 filters) and ``folder/net.gv`` (+ .svg)."""
    from PuzzleLib.Board import drawBoard
    from PuzzleLib.Visual import showImageBasedFilters
    showImageBasedFilters(net.getByName("conv1").vars["W"].data.get(), os.path.join(folder, "filters.png"), cols=8,
                          offset=1)  # one tile per filter, 8 to a row
    print("filters: %s" % os.path.join(folder, "filters.png"))
    try:
        picture = drawBoard(net, os.path.join(folder, "net.gv"), view=False, fmt="svg")
    except ImportError:
        picture = None
    except Exception as e:  # the graphviz package is an extra: say so and go on
        print("net drawing skipped: %s" % e)
        return
    print("net: %s" % (picture or os.path.join(folder, "net.gv")))


def drawFigure(folder, losses, images, labels, predicted, most=12):
    """``folder/digits.png``: loss per epoch, confusion matrix, and up to ``most`` mistakes."""
    import os
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(folder, exist_ok=True)
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    wrong = np.flatnonzero(predicted != labels)[:most]

    fig = plt.figure(figsize=(12, 7))
    grid = fig.add_gridspec(2, 6, height_ratios=(3, 2))
    ax = fig.add_subplot(grid[0, :3])
    ax.semilogy(np.arange(1, len(losses) + 1), losses, marker="o", color="tab:red")
    ax.set(title="training loss (mean cross entropy per epoch)", xlabel="epoch")
    ax.grid(alpha=0.3)

    ax = fig.add_subplot(grid[0, 3:])
    ax.imshow(confusion, cmap="Blues")
    for (t, p), count in np.ndenumerate(confusion):
        if count:
            ax.text(p, t, str(count), ha="center", va="center", fontsize=8,
                    color="white" if count > confusion.max() / 2 else "black")
    ax.set(title="held-out quarter: %d of %d right" % (np.trace(confusion), len(labels)),
           xlabel="predicted", ylabel="true", xticks=range(10), yticks=range(10))

    if len(wrong) == 0:
        ax = fig.add_subplot(grid[1, :])
        ax.text(0.5, 0.5, "no mistakes on the held-out quarter", ha="center", va="center")
        ax.axis("off")
    inner = grid[1, :].subgridspec(1, most)
    for slot, i in enumerate(wrong):
        ax = fig.add_subplot(inner[0, slot])
        ax.imshow(images[i, 0], cmap="gray_r")
        ax.set_title("%d as %d" % (labels[i], predicted[i]), fontsize=9, color="tab:red")
        ax.axis("off")
    fig.suptitle("PuzzleLib LeNet on scikit-learn's 8x8 digits (held-out mistakes: true as predicted)")
    fig.tight_layout()
    path = os.path.join(folder, "digits.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


if __name__ == "__main__":
    main()
