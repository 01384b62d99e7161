"""The Module base contract, through a user-written module and through Linear."""
import numpy as np
import pytest

from PuzzleLib import Config
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Modules import Linear, Module, ModuleError
from PuzzleLib.Variable import Variable
from tests.gradcheck import checkModule


class Scale(Module):
    """A module a user might write: data = x * s (one trained scalar-per-feature vector s)."""

    def __init__(self, size, name=None):
        super().__init__(name)
        self.setVar("s", Variable(gpuarray.to_gpu(np.linspace(0.5, 1.5, size).astype(np.float32))))

    def updateData(self, data):
        self.data = data * self.vars["s"].data

    def updateGrad(self, grad):
        self.grad = grad * self.vars["s"].data

    def accGradParams(self, grad, scale=1.0, momentum=0.0):
        new = (grad * self.inData).sum(axis=0)
        var = self.vars["s"]
        var.grad[...] = scale * new + momentum * var.grad


def test_user_module_gradient():
    checkModule(Scale(3), np.random.randn(4, 3))


def test_call_stores_inData_and_data():
    mod = Scale(3)
    x = to_gpu(np.ones((2, 3), np.float32))
    out = mod(x)
    assert mod.inData is x and mod.data is out
    np.testing.assert_allclose(out.get(), np.tile(np.linspace(0.5, 1.5, 3), (2, 1)), rtol=1e-6)


def test_backward_scale_and_momentum():
    mod = Scale(2)
    x = to_gpu(np.array([[1.0, 2.0]], np.float32))
    g = to_gpu(np.array([[3.0, 4.0]], np.float32))
    mod(x)
    mod.backward(g)
    np.testing.assert_allclose(mod.vars["s"].grad.get(), [3.0, 8.0])
    mod.backward(g, scale=2.0, momentum=1.0)
    np.testing.assert_allclose(mod.vars["s"].grad.get(), [9.0, 24.0])
    mod.backward(g, updParamGrads=False)
    np.testing.assert_allclose(mod.vars["s"].grad.get(), [9.0, 24.0])
    assert mod.backward(g, updGrad=False) is None


def test_train_eval_modes_reset_the_cache():
    mod = Linear(2, 2)
    assert mod.train
    mod(to_gpu(np.ones((1, 2), np.float32)))
    mod.evalMode()
    assert not mod.train and mod.inData is None and mod.data is None and mod.grad is None
    mod(to_gpu(np.ones((1, 2), np.float32)))
    mod.backward(to_gpu(np.ones((1, 2), np.float32)))
    assert np.all(mod.vars["W"].grad.get() == 0)  # no parameter gradients in eval mode
    mod.trainMode()
    assert mod.train and mod.data is None


def test_global_eval_mode(monkeypatch):
    monkeypatch.setattr(Config, "globalEvalMode", True)
    mod = Linear(2, 3)
    assert not mod.train
    assert mod.vars["W"].grad is None


def test_training_a_module_without_gradient_buffers_says_why(monkeypatch):
    # built under globalEvalMode, then switched to train mode: backward with momentum (as any
    # container's) was a raw AttributeError on the missing buffer
    monkeypatch.setattr(Config, "globalEvalMode", True)
    mod = Linear(2, 3, name="fc")
    W = mod.W.get()
    mod.trainMode()
    mod(to_gpu(np.ones((4, 2), np.float32)))
    with pytest.raises(ModuleError, match=r"Linear 'fc': cannot train.*'W', 'b'.*no gradient buffer.*globalEvalMode"):
        mod.backward(to_gpu(np.ones((4, 3), np.float32)), momentum=1.0)
    np.testing.assert_array_equal(mod.W.get(), W)


def test_var_table_and_sizes():
    mod = Linear(3, 4, name="fc")
    table = mod.getVarTable()
    assert sorted(sum(table.values(), [])) == ["W", "b"]
    assert mod.numOfParams() == 3 * 4 + 4
    assert mod.paramSize() == 16 * 4
    assert mod.paramSize("kb") == pytest.approx(64 / 1024)
    assert mod.paramSize("b") == 64 and isinstance(mod.paramSize("b"), int)  # was 64.0
    with pytest.raises(ModuleError, match=r"Linear 'fc'.*unit.*'tb'"):
        mod.paramSize("tb")
    assert mod.getVar("W") is mod.vars["W"]
    assert mod.W is mod.vars["W"].data
    with pytest.raises(ModuleError, match=r"Linear 'fc'.*no variable 'x'"):
        mod.getVar("x")
    with pytest.raises(ModuleError, match=r"Linear 'fc'.*no attribute 'x'"):
        mod.getAttr("x")
    with pytest.raises(AttributeError):
        mod.nothing
    with pytest.raises(ModuleError, match=r"Linear 'fc'.*Variable.*int"):
        mod.setVar("c", 3)


def test_setVar_refuses_a_replacement_of_another_shape_or_dtype():
    # a PyTorch-layout (out, in) weight used to be taken, then fail inside the product
    mod = Linear(3, 5, name="fc")
    W = mod.vars["W"]
    with pytest.raises(ModuleError, match=r"Linear 'fc'.*setVar\('W'\).*\(3, 5\) float32.*\(5, 3\) float32"):
        mod.setVar("W", Variable(to_gpu(np.zeros((5, 3), np.float32))))
    with pytest.raises(ModuleError, match=r"Linear 'fc'.*setVar\('W'\).*float32.*float64"):
        mod.setVar("W", Variable(to_gpu(np.zeros((3, 5), np.float64))))
    assert mod.vars["W"] is W
    same = Variable(to_gpu(np.ones((3, 5), np.float32)))
    mod.setVar("W", same)
    assert mod.vars["W"] is same
    np.testing.assert_array_equal(mod(to_gpu(np.ones((2, 3), np.float32))).get(), np.full((2, 5), 3.0))


def test_shape_inference_without_computing():
    mod = Linear(3, 5)
    assert mod.dataShapeFrom((7, 3)) == (7, 5)
    assert mod.gradShapeFrom((7, 5)) == (7, 3)


def test_calcMode():
    mod = Linear(2, 3, name="fc")
    mod.calcMode(np.float64)
    assert mod.vars["W"].data.dtype == np.float64 and mod.vars["W"].grad.dtype == np.float64
    out = mod(to_gpu(np.ones((1, 2), np.float64)))
    assert out.dtype == np.float64
    with pytest.raises(ModuleError, match=r"Linear 'fc'.*float32.*float64|float64.*float32"):
        mod(to_gpu(np.ones((1, 2), np.float32)))
    supported = {np.dtype(d) for d, _ in gpuarray.dtypesSupported()}
    if np.dtype(np.int8) not in supported:
        with pytest.raises(ModuleError, match=r"Linear 'fc'.*calcMode.*int8"):
            mod.calcMode(np.int8)
    # a name that is no dtype at all is refused the same way (numpy's TypeError was leaking out)
    with pytest.raises(ModuleError, match=r"Linear 'fc'.*calcMode.*'half16'.*float32"):
        mod.calcMode("half16")
    assert mod.vars["W"].data.dtype == np.float64


def test_bad_calls():
    mod = Linear(2, 2, name="fc")
    with pytest.raises(ModuleError, match=r"Linear 'fc'.*before a forward"):
        mod.backward(to_gpu(np.ones((1, 2), np.float32)))
    with pytest.raises(ModuleError, match=r"Linear 'fc'.*device array.*list"):
        mod([[1.0, 2.0]])
    mod(to_gpu(np.ones((3, 2), np.float32)))
    with pytest.raises(ModuleError, match=r"Linear 'fc'.*gradient.*float32.*float64"):
        mod.backward(to_gpu(np.ones((3, 2), np.float64)))
    with pytest.raises(ModuleError, match=r"Linear 'fc'.*\(N, 2\)|Linear 'fc'.*\(3, 2\)"):
        mod.backward(to_gpu(np.ones((3, 5), np.float32)))
    with pytest.raises(ModuleError, match=r"name must be a string"):
        Linear(2, 2, name=5)


def test_str_shows_class_name_sizes():
    text = str(Linear(3, 4, name="fc"))
    assert "Linear" in text and "fc" in text and "3" in text and "4" in text


def _tiedNet():
    """Linear(3, 3) then a user module (Scale) whose trained vector IS the Linear's bias."""
    np.random.seed(5)
    lin = Linear(3, 3)
    user = Scale(3)
    user.setVar("s", lin.vars["b"])
    lin.vars["b"].data.set(np.array([0.5, -1.0, 2.0], np.float32))
    from PuzzleLib.Containers import Sequential
    return Sequential().append(lin).append(user), lin


def test_variable_shared_with_a_user_module_after_zeroGradParams():
    # the user module fills its part of b.grad as the contract says (scale*new + momentum*old,
    # not through the base class's helpers); Linear, back-propagated next, must add its own part
    # and not overwrite it because the optimizer had just zeroed the gradient
    from PuzzleLib.Optimizers import SGD
    x = np.random.randn(4, 3).astype(np.float32)
    g = np.random.randn(4, 3).astype(np.float32)

    net, lin = _tiedNet()
    b = lin.vars["b"].data.get()
    h = x @ lin.vars["W"].data.get() + b
    expected = (g * h).sum(axis=0) + (g * b).sum(axis=0)  # d/db of sum(g * (h * b)), h = xW + b

    opt = SGD(0.1)
    opt.setupOn(net)
    net(to_gpu(x))
    opt.zeroGradParams()
    net.backward(to_gpu(g))
    np.testing.assert_allclose(lin.vars["b"].grad.get(), expected, rtol=1e-5)


def test_module_classes_take_class_keywords():
    # the metaclass looks at each new class; keywords still reach __init_subclass__
    class Tagged(Module):
        def __init_subclass__(cls, tag=None, **kwargs):
            super().__init_subclass__(**kwargs)
            cls.tag = tag

    class Child(Tagged, tag="x"):
        pass

    assert Child.tag == "x"


def test_call_refused_inside_updateData_leaves_inData():
    """A module that refuses its input inside updateData (not in checkDataShape) keeps the last
    accepted input, so a following backward still pairs with the last output."""

    class Picky(Scale):
        def updateData(self, data):
            if float(data.get().max()) > 10.0:
                raise self._error("values above 10")
            super().updateData(data)

    mod = Picky(3)
    x = to_gpu(np.ones((2, 3), np.float32))
    mod(x)
    with pytest.raises(ModuleError, match="above 10"):
        mod(to_gpu(np.full((4, 3), 20.0, np.float32)))
    assert mod.inData is x
    mod.backward(to_gpu(np.ones((2, 3), np.float32)))
    np.testing.assert_allclose(mod.vars["s"].grad.get(), [2.0, 2.0, 2.0])


def test_zeroGradParams_and_updateParams_on_a_module():
    fc = Linear(3, 2)
    x, g = to_gpu(np.random.randn(4, 3).astype(np.float32)), to_gpu(np.random.randn(4, 2).astype(np.float32))
    fc(x)
    fc.backward(g)
    W0, gW = fc.vars["W"].data.get().copy(), fc.vars["W"].grad.get().copy()
    assert np.abs(gW).max() > 0
    fc.updateParams(0.1)  # W += 0.1 * W.grad
    np.testing.assert_allclose(fc.vars["W"].data.get(), W0 + 0.1 * gW, rtol=1e-6)
    fc.zeroGradParams()
    assert not fc.vars["W"].grad.get().any() and not fc.vars["b"].grad.get().any()
    # a backward with momentum=1 after zeroing gives the gradient of that one batch
    fc.backward(g, momentum=1.0)
    np.testing.assert_allclose(fc.vars["W"].grad.get(), x.get().T @ g.get(), rtol=1e-5)
    with pytest.raises(ModuleError, match=r"Linear.*updateParams: learnRate must be a finite number, got 'x'"):
        fc.updateParams("x")


def test_classSignatureIsItsConstructors():
    # calling a module class goes through the blueprint-recording metaclass; introspection
    # (help(), IDEs, the API reference) must still see the constructor's own arguments
    import inspect

    from PuzzleLib.Containers import Sequential
    from PuzzleLib.Modules import Conv2D, Linear

    for cls in (Linear, Conv2D, Sequential):
        init = inspect.signature(cls.__init__)
        assert inspect.signature(cls) == init.replace(parameters=list(init.parameters.values())[1:])
    assert str(inspect.signature(Linear)).startswith("(insize, outsize, wscale=1.0")


def test_optimizeForShape_checks_the_shape_and_changes_nothing():
    from PuzzleLib.Containers import Graph, Sequential
    from PuzzleLib.Modules import Concat
    fc = Linear(3, 2)
    W = fc.vars["W"].data.get().copy()
    fc.optimizeForShape((5, 3))
    np.testing.assert_array_equal(fc.vars["W"].data.get(), W)
    assert fc.data is None
    with pytest.raises(ModuleError, match=r"Linear"):
        fc.optimizeForShape((5, 4))
    a, b = Linear(3, 2, name="a").node(), Linear(4, 2, name="b").node()
    graph = Graph(inputs=[a, b], outputs=Concat(axis=1, name="cat").node(a, b))
    graph.optimizeForShape([(5, 3), (5, 4)], memlimit=1 << 20)  # PuzzleLib 1.0 programs call it on containers
    seq = Sequential().append(Linear(3, 2)).append(Linear(2, 4))
    assert seq.optimizeForShape((7, 3)) == (7, 4)
    with pytest.raises(ModuleError, match=r"optimizeForShape failed in module 1 \(Linear\)"):
        Sequential().append(Linear(3, 2)).append(Linear(3, 4)).optimizeForShape((7, 3))
