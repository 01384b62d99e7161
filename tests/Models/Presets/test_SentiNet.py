import numpy as np

from PuzzleLib.Cost import CrossEntropy
from PuzzleLib.Handlers import Validator
from PuzzleLib.Models.Nets.Presets.SentiNet import buildTrainValidate, train
from PuzzleLib.Models.Nets.SentiNet import buildNet


def _reviews(n, rng):
    data = rng.randint(3, 12, size=(n, 10))
    labels = rng.randint(0, 2, size=n).astype(np.int32)
    data[np.arange(n), rng.randint(0, 10, size=n)] = np.where(labels == 1, 1, 2)  # the word that decides
    return data, labels


def test_recipe_learns_keeps_the_best_net_and_its_attributes():
    np.random.seed(0)
    data, labels = _reviews(300, np.random.RandomState(0))
    accuracy, net, trainData, valData, trainLabels, valLabels = buildTrainValidate(
        data, labels, embsize=8, padding=2, sentlength=10, epochs=6, branches=(1, 2), printing=False)
    assert trainData.shape[1] == valData.shape[1] == 14 and (valData[:, :2] == 0).all()
    assert np.bincount(trainLabels).tolist()[0] == np.bincount(trainLabels).tolist()[1]  # oversampled
    assert np.bincount(valLabels).min() >= 13  # 10% of each class held out
    assert accuracy > 0.8
    assert int(net.getAttr("padding").get()[0]) == 2 and int(net.getAttr("sentlength").get()[0]) == 10
    net.evalMode()
    error = Validator(net, CrossEntropy(maxlabels=2), batchsize=64).validateFromHost(valData, valLabels)
    assert abs((1 - error) - accuracy) < 1e-9  # the returned net is the best epoch's


def test_train_without_saving_returns_no_net():
    np.random.seed(1)
    data, labels = _reviews(100, np.random.RandomState(1))
    net = buildNet(12, (2,), None, sentlength=10, embsize=4, wscale=0.25, branchMaps=4)
    result, accuracy = train(net, data, labels, data, labels, epochs=1, saving=False, printing=False)
    assert result is None and 0.0 <= accuracy <= 1.0
