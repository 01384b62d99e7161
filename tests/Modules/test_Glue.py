import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Errors import BlueprintError, ModuleError
from PuzzleLib.Modules import Glue, Linear
from tests.gradcheck import checkModule


def _scaledLinear():
    def fwd(data, mods):
        return mods["fc"](data) * 3.0

    def bwd(grad, mods):
        return mods["fc"].backward(grad * 3.0)

    return Glue(modules={"fc": Linear(3, 2, initscheme="gaussian")}, fwdGlue=fwd, bwdGlue=bwd,
                fwdShapeGlue=lambda s: (s[0], 2), bwdShapeGlue=lambda s: (s[0], 3), name="glue")


@pytest.mark.parametrize("batch", [1, 4])
def test_gradients_through_inner_module(batch):
    mod = _scaledLinear()
    analytic, _ = checkModule(mod, np.random.randn(batch, 3))
    assert set(analytic) == {"input0", "fc.W", "fc.b"}
    assert mod.dataShapeFrom((7, 3)) == (7, 2) and mod.gradShapeFrom((7, 2)) == (7, 3)


def test_stateless_glue_and_params_in_a_sequential():
    square = Glue(fwdGlue=lambda x, mods: x * x, bwdGlue=lambda g, mods: 2 * g * square.inData)
    checkModule(square, np.random.randn(2, 3))
    net = Sequential().append(_scaledLinear())
    assert [names for names in net.getVarTable().values()] == [["glue.fc.W"], ["glue.fc.b"]]
    other = Sequential().append(_scaledLinear())
    other.load(net.save())
    np.testing.assert_array_equal(other[0].modules["fc"].vars["W"].data.get(), net[0].modules["fc"].vars["W"].data.get())


def test_errors():
    with pytest.raises(ModuleError, match=r"fwdGlue must be a function"):
        Glue()
    mod = Glue(fwdGlue=lambda x, mods: x)
    mod(to_gpu(np.zeros((1, 1), np.float32)))
    with pytest.raises(ModuleError, match=r"no bwdGlue"):
        mod.backward(to_gpu(np.zeros((1, 1), np.float32)))
    with pytest.raises(BlueprintError, match=r"user functions"):
        mod.getBlueprint()


def test_str_shows_inner_modules():
    glue = Glue(modules={"fc": Linear(2, 3)}, fwdGlue=lambda x, mods: mods["fc"](x), name="g")
    assert str(glue) == "Glue(name='g', modules: fc=Linear(2 -> 3))"
