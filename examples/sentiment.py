"""Classify made-up reviews with PuzzleLib 1.0's SentiNet, a convolutional sentence classifier
===========================================================================================

The example makes its own text: reviews of 20 words drawn from a vocabulary of neutral, positive
and negative words; a review is positive when it holds more positive than negative words.
``Models.Nets.SentiNet.buildNet`` builds the Kim-style CNN (an Embedder, one convolution branch per
filter height, max pooling over the sentence, Concat, Dropout, Linear);
``Datasets.Utils.splitData`` holds out 10% of each class, Adam and CrossEntropy train it, and
``Statistics`` reports the confusion matrix, precision and recall on the held-out reviews.

Run it as::

    python examples/sentiment.py [--reviews 1000] [--epochs 6] [--seed 0] [--out DIR]

``--out DIR`` draws ``DIR/sentiment.png``: the training loss per epoch and the held-out confusion
matrix.
"""
import os
import argparse

import numpy as np

from PuzzleLib import Statistics
from PuzzleLib.Cost import CrossEntropy
from PuzzleLib.Datasets.Utils import splitData
from PuzzleLib.Handlers import Calculator, Trainer
from PuzzleLib.Models.Nets.SentiNet import buildNet
from PuzzleLib.Optimizers import Adam

POSITIVE = ["good", "great", "superb", "fun", "moving", "clever", "charming", "brilliant"]
NEGATIVE = ["bad", "dull", "boring", "awful", "weak", "clumsy", "tedious", "poor"]
NEUTRAL = ["film", "plot", "actor", "scene", "music", "story", "camera", "ending", "script", "cast", "the", "a",
           "was", "and", "with", "of", "director", "hero", "twist", "dialogue"]
SENTLENGTH = 20


def makeReviews(count, rng):
    """int32 (count, SENTLENGTH) word indices (0 pads) and int32 labels (1 positive, 0 negative)."""
    vocabulary = {"<pad>": 0}
    for word in NEUTRAL + POSITIVE + NEGATIVE:
        vocabulary[word] = len(vocabulary)
    pos = np.array([vocabulary[w] for w in POSITIVE])
    neg = np.array([vocabulary[w] for w in NEGATIVE])
    neutral = np.array([vocabulary[w] for w in NEUTRAL])
    data = np.zeros((count, SENTLENGTH), dtype=np.int32)
    labels = np.zeros(count, dtype=np.int32)
    for i in range(count):
        npos, nneg = rng.randint(0, 4, size=2)
        while npos == nneg:
            npos, nneg = rng.randint(0, 4, size=2)
        length = rng.randint(10, SENTLENGTH + 1)
        words = np.concatenate([rng.choice(pos, npos), rng.choice(neg, nneg),
                                rng.choice(neutral, length - npos - nneg)])
        rng.shuffle(words)
        data[i, :length] = words
        labels[i] = int(npos > nneg)
    return data, labels, vocabulary


def main(argv=None):
    parser = argparse.ArgumentParser(description="SentiNet on made-up reviews")
    parser.add_argument("--reviews", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="folder for sentiment.png (loss, confusion matrix)")
    args = parser.parse_args(argv)
    if args.reviews < 20 or args.epochs < 1:
        parser.error("--reviews must be at least 20 and --epochs at least 1")
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
    from PuzzleLib.Backend import gpuarray

    np.random.seed(args.seed)
    gpuarray.xp.random.seed(args.seed)  # on a GPU, Dropout draws from CuPy's own generator
    data, labels, vocabulary = makeReviews(args.reviews, np.random.RandomState(args.seed))
    trainData, valData, trainLabels, valLabels = splitData(data, labels, validation=0.1)
    print("%d training reviews, %d held out; vocabulary of %d words" % (len(trainData), len(valData),
                                                                        len(vocabulary)))

    net = buildNet(vocabulary, branches=(2, 3), w2v=None, sentlength=SENTLENGTH, embsize=8, wscale=0.25,
                   dim=2, branchMaps=16)
    optimizer = Adam(alpha=0.01)
    optimizer.setupOn(net, useGlobalState=True)
    cost = CrossEntropy(maxlabels=2)
    trainer = Trainer(net, cost, optimizer, batchsize=64)
    losses = []
    for epoch in range(args.epochs):
        net.trainMode()
        trainer.trainFromHost(trainData, trainLabels, macroBatchSize=len(trainData))
        losses.append(cost.getMeanError())
        print("epoch %d: train loss %.4f" % (epoch + 1, losses[-1]))

    net.evalMode()
    predicted = Calculator(net, batchsize=256).calcFromHost(valData).argmax(axis=1)
    cm, precision, recall, _, _ = Statistics.fullstats(valLabels, predicted, dim=2, printing=False)
    accuracy = Statistics.accuracy(cm, log=False)
    print("held-out confusion matrix (rows true, columns predicted): %s" % cm)
    print("held-out accuracy %.4f, precision %.4f, recall %.4f" % (accuracy, precision, recall))
    if args.out:
        print("figure: %s" % drawFigure(args.out, losses, cm))
    return accuracy


def drawFigure(folder, losses, cm):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(folder, exist_ok=True)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(range(1, len(losses) + 1), losses, marker="o", color="tab:red")
    left.set(title="training loss (cross entropy)", xlabel="epoch")
    right.imshow(cm, cmap="Blues")
    for (t, p), count in np.ndenumerate(np.asarray(cm)):
        right.text(p, t, str(count), ha="center", va="center")
    right.set(title="held-out reviews", xlabel="predicted", ylabel="true", xticks=(0, 1), yticks=(0, 1),
              xticklabels=("negative", "positive"), yticklabels=("negative", "positive"))
    fig.tight_layout()
    path = os.path.join(folder, "sentiment.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


if __name__ == "__main__":
    main()
