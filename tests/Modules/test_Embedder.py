import numpy as np
import pytest

from PuzzleLib import Blueprint
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules import Embedder, Flatten, Linear
from tests.gradcheck import checkModule


def test_lookup_and_padding():
    emb = Embedder(vocabulary=5, sentlength=3, embsize=2)
    W = emb.vars["W"].data.get()
    idx = np.array([[0, 4, -1], [2, 2, 1]], np.int32)
    out = emb(to_gpu(idx)).get()
    np.testing.assert_array_equal(out[0, :2], W[[0, 4]])
    np.testing.assert_array_equal(out[0, 2], 0)
    np.testing.assert_array_equal(out[1], W[[2, 2, 1]])


@pytest.mark.parametrize("batch,sent", [(1, 1), (3, 4)])
def test_gradients_with_repeated_words(batch, sent):
    emb = Embedder(vocabulary=4, sentlength=sent, embsize=3)
    idx = np.random.randint(-1, 4, size=(batch, sent)).astype(np.int32)
    analytic, _ = checkModule(emb, idx, checkInput=False)
    assert set(analytic) == {"W"}


def test_frozen_and_on_vocabulary():
    words = ["a", "b", "c"]

    def fill(W, vocabulary):
        W[vocabulary.index("b")] = 7.0

    emb = Embedder(words, sentlength=2, embsize=2, onVocabulary=fill, learnable=False)
    assert emb.vocabsize == 3 and emb.vars["W"].grad is None
    np.testing.assert_array_equal(emb(to_gpu(np.array([[1, 1]], np.int32))).get(), 7.0)
    emb.backward(to_gpu(np.ones((1, 2, 2), np.float32)))
    assert emb.getBlueprint()["scheme"]["vocabulary"] == 3


def test_in_a_net_and_blueprint():
    net = Sequential().append(Embedder(6, 3, 2, name="emb")).append(Flatten()).append(Linear(6, 1))
    idx = to_gpu(np.random.randint(0, 6, size=(4, 3)).astype(np.int32))
    ref = net(idx).get()
    again = Blueprint.load(net.save(withBlueprint=True))
    np.testing.assert_allclose(again(idx).get(), ref, rtol=1e-6)


def test_errors():
    emb = Embedder(5, 3, 2, name="emb")
    with pytest.raises(ModuleError, match=r"Embedder 'emb': expected integer word indices.*float32"):
        emb(to_gpu(np.zeros((1, 3), np.float32)))
    with pytest.raises(ModuleError, match=r"expected indices of shape \(N, 3\)"):
        emb(to_gpu(np.zeros((1, 4), np.int32)))
    with pytest.raises(ModuleError, match=r"word index 5 is out of range for a vocabulary of 5"):
        emb(to_gpu(np.array([[0, 5, 1]], np.int32)))


def test_refused_indices_leave_the_last_batch_for_backward():
    emb = Embedder(10, 5, 4)
    good = to_gpu(np.arange(10, dtype=np.int32).reshape(2, 5))
    emb(good)
    with pytest.raises(ModuleError, match="out of range"):
        emb(to_gpu(np.full((3, 5), 10, np.int32)))
    emb.backward(to_gpu(np.ones((2, 5, 4), np.float32)))
    np.testing.assert_allclose(emb.vars["W"].grad.get(), np.ones((10, 4)))


def test_get_vocabulary_maps_words_to_rows():
    assert Embedder(10, 2, 3).getVocabulary() == {}
    assert Embedder(["cat", "dog"], 2, 3).getVocabulary() == {"cat": 0, "dog": 1}
    words = {"a": 1, "b": 0}
    emb = Embedder(words, 2, 3)
    assert emb.getVocabulary() == {"a": 1, "b": 0} and emb.vocabsize == 2
