"""PuzzleLib.Modules re-exports what PuzzleLib 1.0 programs import from it: the activation
constants and the choice enums, next to the classes; each enum member works wherever its string does."""
import numpy as np
import pytest

from PuzzleLib.Backend.gpuarray import to_gpu


def test_a_program_first_line_imports_the_activation_constants_from_the_package():
    from PuzzleLib.Modules import Activation, Linear, relu, sigmoid  # noqa: F401
    from PuzzleLib.Modules import Activation as PackageActivation
    from PuzzleLib.Modules.Activation import relu as moduleRelu

    assert relu is moduleRelu
    assert PackageActivation is Activation


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leakyRelu", "elu", "softPlus", "clip"])
def test_each_activation_constant_is_its_enum_member_and_equals_its_string(name):
    import PuzzleLib.Modules as Modules
    from PuzzleLib.Modules.Activation import ActivationType

    const = getattr(Modules, name)
    assert const is ActivationType[name]
    assert const == name and hash(const) == hash(name)
    assert str(const) == name and "%s" % const == name and "{}".format(const) == name


def test_the_enum_member_and_the_string_build_the_same_activation():
    from PuzzleLib.Modules import Activation, ActivationType

    x = to_gpu(np.array([[-2.0, 0.5, 3.0]], np.float32))
    byEnum = Activation(ActivationType.leakyRelu)(x).get()
    byString = Activation("leakyRelu")(x).get()
    np.testing.assert_array_equal(byEnum, byString)
    np.testing.assert_allclose(byEnum, [[-0.02, 0.5, 3.0]], rtol=1e-6)


@pytest.mark.parametrize("module, enumName, members", [
    ("Pad1D", "PadMode", ["constant", "reflect"]),
    ("Pad2D", "PadMode", ["constant", "reflect"]),
    ("GroupLinear", "GroupMode", ["full", "one"]),
    ("Upsample2D", "UpsampleMode", ["nearest", "linear"]),
    ("Upsample3D", "UpsampleMode", ["nearest", "linear"]),
    ("Penalty", "PenaltyMode", ["l1", "l2"]),
    ("NoiseInjector", "InjectMode", ["add", "mul"]),
    ("NoiseInjector", "NoiseType", ["uniform", "gaussian"]),
    ("RNN", "RNNMode", ["relu", "tanh", "lstm", "gru"]),
    ("RNN", "DirectionMode", ["uni", "bi"]),
])
def test_each_choice_enum_is_importable_beside_its_module_and_from_the_package(module, enumName, members):
    import importlib

    import PuzzleLib.Modules as Modules

    enumClass = getattr(importlib.import_module("PuzzleLib.Modules." + module), enumName)
    assert getattr(Modules, enumName) is enumClass
    assert [m.value for m in enumClass] == members


def test_init_scheme_members_carry_the_initscheme_strings():
    from PuzzleLib.Modules import InitScheme

    assert InitScheme.xavierUniform == "xavier_uniform"
    assert InitScheme.none == "none" and InitScheme.he == "he"


def test_a_linear_built_with_an_init_scheme_member_draws_what_the_string_draws():
    from PuzzleLib.Modules import InitScheme, Linear

    np.random.seed(3)
    byEnum = Linear(4, 3, initscheme=InitScheme.gaussian).vars["W"].data.get()
    np.random.seed(3)
    byString = Linear(4, 3, initscheme="gaussian").vars["W"].data.get()
    np.testing.assert_array_equal(byEnum, byString)
    np.random.seed(3)
    fanOut = Linear(4, 3, initscheme=(InitScheme.he, "out")).vars["W"].data.get()
    np.random.seed(3)
    assert np.array_equal(fanOut, Linear(4, 3, initscheme=("he", "out")).vars["W"].data.get())


def test_a_pad_built_with_pad_mode_reflect_reflects_and_saves_its_mode_as_a_string():
    from PuzzleLib.Modules.Pad2D import Pad2D, PadMode

    pad = Pad2D(1, mode=PadMode.reflect)
    x = to_gpu(np.arange(4, dtype=np.float32).reshape(1, 1, 2, 2))
    out = pad(x).get()
    np.testing.assert_array_equal(out[0, 0, 0], [3.0, 2.0, 3.0, 2.0])
    assert pad.mode == "reflect" and type(pad.mode) is str


def test_a_net_built_with_enum_members_round_trips_through_its_blueprint():
    from PuzzleLib import Blueprint
    from PuzzleLib.Containers import Sequential
    from PuzzleLib.Modules import Activation, InitScheme, Linear, relu

    net = Sequential()
    net.append(Linear(2, 3, initscheme=InitScheme.he))
    net.append(Activation(relu))
    rebuilt = Blueprint.load(net.save(withBlueprint=True))
    assert rebuilt[1].activation == "relu" and type(rebuilt[1].activation) is str
    x = to_gpu(np.array([[1.0, -1.0], [0.5, 2.0]], np.float32))
    np.testing.assert_array_equal(rebuilt(x).get(), net(x).get())
