"""PuzzleLib 1.0's SentiNet recipe: split, oversample, build, train with AdaDelta, keep the best net."""
import os
import tempfile

import numpy as np

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Cost.CrossEntropy import CrossEntropy
from PuzzleLib.Datasets.Utils import getDim, replicateData, splitData
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Handlers.Trainer import Trainer
from PuzzleLib.Handlers.Validator import Validator
from PuzzleLib.Models.Nets.SentiNet import buildNet
from PuzzleLib.Optimizers.AdaDelta import AdaDelta


def train(net, trainData, trainLabels, valData, valLabels, dim=0, epochs=50, epochsBeforeSaving=0, saving=True,
          printing=True, macroBatchSize=30000, optimizeNet=True):
    """Trains ``net`` with AdaDelta and CrossEntropy (batches of 64), validating after each epoch;
    with ``saving`` the net of the lowest validation error (from epoch ``epochsBeforeSaving`` on) is
    saved to "<tempdir>/<net.name>.hdf" and loaded back at the end. Returns ``(net, best accuracy)``
    (``(None, best accuracy)`` without ``saving``). ``optimizeNet`` is accepted for PuzzleLib 1.0's
    signature (a hint there).

    Example::

        >>> from PuzzleLib.Models.Nets.SentiNet import buildNet
        >>> data = np.random.randint(1, 10, size=(64, 6)).astype(np.int32)
        >>> labels = (data[:, 0] > 5).astype(np.int32)
        >>> net = buildNet(10, (2,), None, sentlength=6, embsize=4, wscale=0.25, branchMaps=4)
        >>> net, accuracy = train(net, data, labels, data, labels, epochs=2, printing=False)
        >>> 0.0 <= accuracy <= 1.0
        True
    """
    dim = getDim(np.asarray(trainLabels)) if dim == 0 else dim
    optimizer = AdaDelta()
    optimizer.setupOn(net, useGlobalState=True)
    cost = CrossEntropy(maxlabels=dim)
    trainer = Trainer(net, cost, optimizer, batchsize=64)
    validator = Validator(net, CrossEntropy(maxlabels=dim), batchsize=64)
    path = os.path.join(tempfile.gettempdir(), "%s.hdf" % net.name)
    best = None
    for epoch in range(epochs):
        net.trainMode()
        trainer.trainFromHost(trainData, trainLabels, macroBatchSize=macroBatchSize)
        net.evalMode()
        error = validator.validateFromHost(valData, valLabels, macroBatchSize=macroBatchSize)
        if printing:
            print("[SentiNet] epoch %d: train loss %.4f, validation accuracy %.4f" % (
                epoch + 1, cost.getMeanError(), 1.0 - error))
        if epoch >= epochsBeforeSaving and (best is None or error < best):
            best = error
            if saving:
                net.save(path)
    accuracy = 1.0 - best if best is not None else 0.0
    if not saving:
        return None, accuracy
    if best is not None:
        net.load(path)
    return net, accuracy


def _pad(data, sentlength, padding):
    rows = [np.asarray(row, dtype=np.int32).ravel()[:sentlength] for row in data]
    out = np.zeros((len(rows), sentlength + 2 * padding), dtype=np.int32)
    for i, row in enumerate(rows):
        out[i, padding:padding + len(row)] = row
    return out


def buildTrainValidate(data, labels, vocabulary=None, w2v=None, wscale=0.25, embsize=300, padding=4, dim=2,
                       sentlength=100, epochs=5, epochsBeforeSaving=0, branches=(3, 4, 5), saving=True,
                       printing=True):
    """The whole recipe: ``data`` (word-index sequences) are cut to ``sentlength`` and framed with
    ``padding`` zeros on each side; 10% of each class is held out (``splitData``), the training
    part oversampled to balance the classes (``replicateData``); the net is built for
    ``sentlength + 2 * padding`` tokens (with container attributes "sentlength" and "padding")
    and trained by ``train``. Returns ``(accuracy, net, trainData, valData, trainLabels, valLabels)``.

    Example::

        >>> data = np.random.randint(1, 20, size=(200, 8))
        >>> labels = (data[:, 0] > 10).astype(np.int32)
        >>> accuracy, net, *_ = buildTrainValidate(data, labels, embsize=8, padding=1, sentlength=8, epochs=2,
        ...                                        branches=(2,), printing=False)
        >>> int(net.getAttr("sentlength").get()[0]), net.name
        (8, 'sentinet')
    """
    labels = np.asarray(labels, dtype=np.int32)
    if len(data) != len(labels):
        raise ModuleError("SentiNet preset: %d sequences but %d labels" % (len(data), len(labels)))
    padded = _pad(data, sentlength, padding)
    trainData, valData, trainLabels, valLabels = splitData(padded, labels, dim=dim, validation=0.1)
    if valData is None:
        raise ModuleError("SentiNet preset: too few samples for a 10%% validation part (%d)" % len(labels))
    trainData, trainLabels = replicateData(trainData, trainLabels, dim=dim)
    if vocabulary is None:
        vocabulary = int(padded.max()) + 1
    net = buildNet(vocabulary, branches, w2v, sentlength + 2 * padding, embsize, wscale, dim=dim)
    net.setAttr("sentlength", gpuarray.to_gpu(np.array([sentlength], dtype=np.int32)))
    net.setAttr("padding", gpuarray.to_gpu(np.array([padding], dtype=np.int32)))
    net, accuracy = train(net, trainData, trainLabels, valData, valLabels, dim=dim, epochs=epochs,
                          epochsBeforeSaving=epochsBeforeSaving, saving=saving, printing=printing)
    return accuracy, net, trainData, valData, trainLabels, valLabels
