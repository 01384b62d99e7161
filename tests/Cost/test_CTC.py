import itertools

import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Cost import CTC
from PuzzleLib.Errors import CostError
from tests.gradcheck import numericalGrad


def _logsoftmax(x):
    s = x - x.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def _bruteLoss(logp, label, blank):
    """-log of the summed probability of every path that collapses to `label` (one sample)."""
    T, V = logp.shape
    total = 0.0
    for path in itertools.product(range(V), repeat=T):
        collapsed = [k for i, k in enumerate(path) if (i == 0 or k != path[i - 1]) and k != blank]
        if collapsed == list(label):
            total += np.exp(sum(logp[t, k] for t, k in enumerate(path)))
    return -np.log(total)


def _padded(labels):
    L = max(len(l) for l in labels)
    return np.array([list(l) + [-1] * (L - len(l)) for l in labels], np.int32)


@pytest.mark.parametrize("blank", [0, 2])
def test_error_equals_brute_force_path_sum(blank):
    T, V = 4, 3
    other = 2 if blank == 0 else 0
    labels = [[1], [1, 1], [], [other, 1]]
    scores = np.random.randn(T, len(labels), V)
    ctc = CTC(blank=blank)
    err, _ = ctc(to_gpu(scores), to_gpu(_padded(labels)))
    logp = _logsoftmax(scores)
    ref = np.mean([_bruteLoss(logp[:, n], l, blank) for n, l in enumerate(labels)])
    assert err == pytest.approx(ref, rel=1e-9)
    assert ctc.validate(to_gpu(scores), to_gpu(_padded(labels))) == pytest.approx(ref, rel=1e-9)


def test_hand_value_single_frame():
    # T=1, one label: the only path is the label itself, so error = -log softmax(z)[label]
    z = np.array([[[0.0, np.log(3.0)]]])
    err, grad = CTC(blank=0)(to_gpu(z), to_gpu(np.array([[1]], np.int32)))
    assert err == pytest.approx(-np.log(0.75))
    np.testing.assert_allclose(grad.get(), [[[-0.25, 0.25]]], atol=1e-12)  # -(softmax - onehot)


@pytest.mark.parametrize("normalized", [False, True])
@pytest.mark.parametrize("withLengths", [False, True])
def test_gradient_by_finite_differences(normalized, withLengths):
    # as PuzzleLib 1.0: the negative gradient of each sample's -log p (N times the mean's) with
    # respect to the scores before the softmax; normalized=True takes the softmax's output itself
    T, N, V = 5, 3, 4
    labels = _padded([[1, 2], [3, 3], [2]])
    scores = np.random.randn(T, N, V)
    if withLengths:
        target = (to_gpu(labels), to_gpu(np.array([2, 2, 1], np.int32)), to_gpu(np.array([5, 4, 3], np.int32)))
    else:
        target = to_gpu(labels)
    ctc = CTC(blank=0, vocabsize=V, normalized=normalized)
    feed = (lambda: to_gpu(np.exp(_logsoftmax(scores)))) if normalized else (lambda: to_gpu(scores))
    _, grad = ctc(feed(), target)
    numeric = numericalGrad(lambda: ctc.validate(feed(), target), scores, 1e-6)
    np.testing.assert_allclose(grad.get(), -N * numeric, rtol=1e-5, atol=1e-8)
    if withLengths:
        np.testing.assert_array_equal(grad.get()[4, 1], 0)
        np.testing.assert_array_equal(grad.get()[3:, 2], 0)


def test_float32_and_accumulator_counts_samples():
    ctc = CTC(blank=0)
    scores = to_gpu(np.random.randn(6, 2, 3).astype(np.float32))
    err, grad = ctc(scores, to_gpu(_padded([[1, 2], [2]])))
    assert grad.dtype == np.float32 and grad.shape == (6, 2, 3)
    ctc(to_gpu(np.random.randn(6, 4, 3).astype(np.float32)), to_gpu(_padded([[1]] * 4)))
    assert ctc.accumCount == 6


def test_errors():
    with pytest.raises(CostError, match=r"blank must be a non-negative integer"):
        CTC(blank=-1)
    ctc = CTC(blank=0, vocabsize=3)
    with pytest.raises(CostError, match=r"vocabsize=3"):
        ctc(to_gpu(np.zeros((2, 1, 4))), to_gpu(_padded([[1]])))
    with pytest.raises(CostError, match=r"labels must lie in \[0, 3\)"):
        ctc(to_gpu(np.zeros((4, 1, 3))), to_gpu(_padded([[1, 5]])))
    with pytest.raises(CostError, match=r"must not contain the blank"):
        ctc(to_gpu(np.zeros((4, 1, 3))), to_gpu(np.array([[1, 0]], np.int32)))
    with pytest.raises(CostError, match=r"sample 0: its 3 labels cannot be aligned to 4 frames"):
        ctc(to_gpu(np.zeros((4, 1, 3))), to_gpu(_padded([[1, 1, 1]])))
    with pytest.raises(CostError, match=r"expected predictions of shape \(T, N, vocabsize\)"):
        ctc(to_gpu(np.zeros((4, 3))), to_gpu(_padded([[1]])))


def test_upstream_call_with_datalen_and_concatenated_labels():
    # PuzzleLib 1.0: ctc([data, datalen], [labels, lengths]), labels concatenated, lengths on the host
    T, N, V = 5, 3, 4
    scores = np.random.randn(T, N, V).astype(np.float32)
    seqs = [[1, 2], [3, 3], [2]]
    datalen = np.array([5, 4, 3], np.int32)
    flat = np.concatenate([np.array(s, np.int32) for s in seqs])
    lengths = np.array([2, 2, 1], np.int32)
    ctc = CTC(blank=0, vocabsize=V)
    err, grad = ctc([to_gpu(scores), to_gpu(datalen)], [to_gpu(flat), lengths])
    ref, refGrad = CTC(blank=0)(to_gpu(scores), (to_gpu(_padded(seqs)), to_gpu(lengths), to_gpu(datalen)))
    assert err == pytest.approx(ref, rel=1e-6)
    np.testing.assert_allclose(grad.get(), refGrad.get(), rtol=1e-6)
    assert ctc.validate([to_gpu(scores), to_gpu(datalen)], [to_gpu(flat), lengths]) == pytest.approx(ref, rel=1e-6)
    with pytest.raises(CostError, match=r"CTC: the lengths \(sum 4\) must .* add up to the 5 concatenated labels"):
        ctc([to_gpu(scores), to_gpu(datalen)], [to_gpu(flat), np.array([2, 1, 1], np.int32)])


def test_normalized_takes_probabilities_as_upstream():
    # two frames, one path "1 2": p = 0.6 * 0.7; the gradient is occupancy - probabilities
    probs = np.array([[[0.1, 0.6, 0.3]], [[0.2, 0.1, 0.7]]], np.float32)
    ctc = CTC(blank=0, normalized=True)
    err, grad = ctc([to_gpu(probs), to_gpu(np.array([2], np.int32))], [to_gpu(np.array([1, 2], np.int32)),
                                                                      np.array([2], np.int32)])
    assert err == pytest.approx(-np.log(0.6 * 0.7), rel=1e-6)
    occupancy = np.array([[[0, 1, 0]], [[0, 0, 1]]], np.float32)
    np.testing.assert_allclose(grad.get(), occupancy - probs, rtol=1e-6, atol=1e-7)
