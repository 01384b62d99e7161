import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Cost.KLDivergence import KLDivergence
from PuzzleLib.Errors import CostError
from tests.Cost.costcheck import checkCostGrad


def _hand(s, t):
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(t > 0, t * (np.log(np.where(t > 0, t, 1)) - np.log(p)), 0)
    return terms.sum() / (s.size // s.shape[1])


def test_hand_values():
    s = np.array([[0.0, np.log(3.0)]], np.float32)  # softmax = [0.25, 0.75]
    t = np.array([[0.5, 0.5]], np.float32)
    err, grad = KLDivergence()(to_gpu(s), to_gpu(t))
    assert err == pytest.approx(0.5 * np.log(0.5 / 0.25) + 0.5 * np.log(0.5 / 0.75), rel=1e-5)
    np.testing.assert_allclose(grad.get(), [[0.25, -0.25]], rtol=1e-5)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2)])
@pytest.mark.parametrize("normTarget", [False, True])
def test_gradient_by_finite_differences(shape, normTarget):
    s = np.random.randn(*shape)
    t = np.random.rand(*shape)
    t[0, 0] = 0.0
    if not normTarget:
        t /= t.sum(axis=1, keepdims=True)
    err, _ = checkCostGrad(KLDivergence(normTarget=normTarget), s, t)
    tn = np.exp(t) / np.exp(t).sum(axis=1, keepdims=True) if normTarget else t
    assert err == pytest.approx(_hand(s, tn))


def test_errors():
    with pytest.raises(CostError, match=r"KLDivergence.*maxlabels=3.*\(2, 4\)"):
        KLDivergence(maxlabels=3)(to_gpu(np.zeros((2, 4), np.float32)), to_gpu(np.zeros((2, 4), np.float32)))
    with pytest.raises(CostError, match=r"KLDivergence.*target distribution.*\(2, 4\), got \(2,\)"):
        KLDivergence()(to_gpu(np.zeros((2, 4), np.float32)), to_gpu(np.zeros(2, np.float32)))


def test_refuses_a_negative_target_distribution():
    s = to_gpu(np.zeros((2, 3), np.float32))
    # a negative target used to give a number (here 1/3 * log 3 - ...) as if it were a distribution
    with pytest.raises(CostError, match=r"KLDivergence.*non-negative.*minimum of -1"):
        KLDivergence()(s, to_gpu(np.array([[-1, 1, 1], [1, 0, 0]], np.float32)))
    with pytest.raises(CostError, match=r"non-negative"):
        KLDivergence().validate(s, to_gpu(np.array([[-1, 2, 1], [1, 0, 0]], np.float32)))
    # zeros inside a row are fine (0 log 0 = 0); uniform scores: log 3 - log 2 for [0.5, 0.5, 0], log 3 for [0, 1, 0]
    err, grad = KLDivergence()(s, to_gpu(np.array([[0.5, 0.5, 0], [0, 1, 0]], np.float32)))
    assert err == pytest.approx(((np.log(3) - np.log(2)) + np.log(3)) / 2, rel=1e-6)
    np.testing.assert_allclose(grad.get(), np.array([[1, 1, -2], [-2, 4, -2]]) / 12, rtol=1e-6, atol=1e-7)


def test_normTarget_takes_the_softmax_of_the_target_as_upstream():
    # PuzzleLib 1.0: the target holds scores (any sign); its softmax over the classes is the distribution
    s = np.array([[0.0, np.log(3.0)]], np.float32)          # softmax = [0.25, 0.75]
    t = np.array([[-1.5, -1.5]], np.float32)                 # softmax = [0.5, 0.5]
    err, grad = KLDivergence(normTarget=True)(to_gpu(s), to_gpu(t))
    assert err == pytest.approx(0.5 * np.log(0.5 / 0.25) + 0.5 * np.log(0.5 / 0.75), rel=1e-5)
    np.testing.assert_allclose(grad.get(), [[0.25, -0.25]], rtol=1e-5)
