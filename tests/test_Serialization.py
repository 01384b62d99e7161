"""Model files (HDF5): round trips, the documented layout, refusals that change nothing, blueprints."""
import io
import json
import os

import h5py
import numpy as np
import pytest

from PuzzleLib import Blueprint
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Sequential
from PuzzleLib.Errors import BlueprintError, SerializationError
from PuzzleLib.Modules import Activation, Linear
from PuzzleLib.Modules.Activation import relu, tanh


def _net(sizes=(2, 4, 3), name=None, useBias=True, act=relu):
    net = Sequential(name=name)
    for i in range(len(sizes) - 1):
        if i > 0:
            net.append(Activation(act))
        net.append(Linear(sizes[i], sizes[i + 1], useBias=useBias, initscheme="gaussian"))
    return net


def _params(net):
    return {names[0]: var.data.get().copy() for var, names in net.getVarTable().items()}


def _assertParamsEqual(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def _predict(net, x):
    net.evalMode()
    return net(to_gpu(x)).get()


def _open(saved):
    return h5py.File(io.BytesIO(saved), "r") if isinstance(saved, bytes) else h5py.File(saved, "r")


# ---- round trips ----

def test_round_trip_through_a_path(tmp_path):
    a, b = _net(), _net()
    assert not np.array_equal(a[0].vars["W"].data.get(), b[0].vars["W"].data.get())
    path = str(tmp_path / "model.h5")
    assert a.save(path) is None
    assert b.load(path) is b
    _assertParamsEqual(_params(a), _params(b))
    x = np.random.randn(5, 2).astype(np.float32)
    np.testing.assert_array_equal(_predict(a, x), _predict(b, x))
    # written atomically: nothing but the file is left in the folder
    assert os.listdir(str(tmp_path)) == ["model.h5"]


def test_round_trip_through_bytes():
    a, b = _net(), _net()
    data = a.save()
    assert isinstance(data, bytes) and len(data) > 0
    b.load(data)
    _assertParamsEqual(_params(a), _params(b))


def test_round_trip_lone_module(tmp_path):
    a, b = Linear(3, 2, name="fc", initscheme="gaussian"), Linear(3, 2, name="fc")
    b.load(a.save())
    _assertParamsEqual(_params(a), _params(b))


def test_save_overwrites_an_existing_file(tmp_path):
    path = str(tmp_path / "m.h5")
    a, b, c = _net(), _net(), _net()
    a.save(path)
    b.save(path)
    c.load(path)
    _assertParamsEqual(_params(b), _params(c))


# ---- layout, as the API doc gives it ----

def test_link_names_of_an_unnamed_sequential():
    net = _net(sizes=(2, 4, 3))
    with _open(net.save()) as f:
        assert sorted(f["links"].keys()) == [".0.W", ".0.b", ".2.W", ".2.b"]
        assert sorted(f["params"].keys()) == ["0", "1", "2", "3"]
        assert "attrs." in f  # the unnamed root container's attribute group
        for link, expected in [(".0.W", net[0].vars["W"]), (".2.b", net[2].vars["b"])]:
            idx = int(f["links"][link][()])
            np.testing.assert_array_equal(f["params"][str(idx)][()], expected.data.get())


def test_link_names_of_a_lone_named_linear():
    with _open(Linear(3, 2, name="fc").save()) as f:
        assert sorted(f["links"].keys()) == ["fc.W", "fc.b"]


def test_link_names_of_a_named_nested_net():
    inner = Sequential(name="block").append(Linear(4, 4, name="fc"))
    net = Sequential(name="net").append(Linear(2, 4)).append(inner)
    with _open(net.save()) as f:
        assert sorted(f["links"].keys()) == ["net.0.W", "net.0.b", "net.block.fc.W", "net.block.fc.b"]
        assert "attrs.net" in f and "attrs.net.block" in f


def test_shared_variable_is_stored_once():
    def build():
        a, b = Linear(3, 3, name="a", initscheme="gaussian"), Linear(3, 3, name="b", initscheme="gaussian")
        b.setVar("W", a.vars["W"])
        return Sequential().append(a).append(Activation(tanh)).append(b)

    net = build()
    data = net.save()
    with _open(data) as f:
        assert len(f["params"]) == 3
        assert int(f["links"][".a.W"][()]) == int(f["links"][".b.W"][()])
    other = build()
    other.load(data)
    _assertParamsEqual(_params(net), _params(other))
    assert other["b"].vars["W"] is other["a"].vars["W"]


# ---- refusals ----

def test_mismatched_shape_names_file_and_parameter_and_changes_nothing(tmp_path):
    path = str(tmp_path / "small.h5")
    _net(sizes=(2, 3, 4)).save(path)
    other = _net(sizes=(2, 3, 5))  # first layer fits, second does not
    before = _params(other)
    with pytest.raises(SerializationError, match=r"small\.h5.*'\.2\.W'.*\(3, 4\).*\(3, 5\)"):
        other.load(path)
    _assertParamsEqual(before, _params(other))


def test_missing_parameter_names_file_and_parameter_and_changes_nothing(tmp_path):
    path = str(tmp_path / "nobias.h5")
    _net(useBias=False).save(path)
    other = _net(useBias=True)
    before = _params(other)
    with pytest.raises(SerializationError, match=r"nobias\.h5.*'\.0\.b'.*missing"):
        other.load(path)
    _assertParamsEqual(before, _params(other))


def test_extra_parameter_is_refused(tmp_path):
    path = str(tmp_path / "bias.h5")
    _net(useBias=True).save(path)
    other = _net(useBias=False)
    before = _params(other)
    with pytest.raises(SerializationError, match=r"bias\.h5.*'\.0\.b'"):
        other.load(path)
    _assertParamsEqual(before, _params(other))


def test_differently_named_net_is_refused():
    data = _net(name="a").save()
    other = _net(name="b")
    with pytest.raises(SerializationError, match=r"'b\.0\.W'"):
        other.load(data)


def test_not_a_model_file(tmp_path):
    net = _net()
    before = _params(net)
    with pytest.raises(SerializationError, match=r"nothere\.h5.*does not exist"):
        net.load(str(tmp_path / "nothere.h5"))
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"this is not hdf5" * 10)
    with pytest.raises(SerializationError, match=r"garbage\.h5"):
        net.load(str(garbage))
    with pytest.raises(SerializationError):
        net.load(b"not hdf5 either")
    truncated = net.save()[:200]
    with pytest.raises(SerializationError):
        net.load(truncated)
    empty = io.BytesIO()
    with h5py.File(empty, "w") as f:
        f.create_dataset("x", data=1)
    with pytest.raises(SerializationError, match=r"not a PuzzleLib model file"):
        net.load(empty.getvalue())
    _assertParamsEqual(before, _params(net))


# ---- blueprints ----

def test_blueprint_rebuilds_the_net_with_equal_predictions(tmp_path):
    net = Sequential().append(Linear(2, 8, initscheme="he")).append(Activation(tanh)) \
        .append(Linear(8, 3, initscheme="gaussian", transpose=True)).append(Activation("leakyRelu", args=(0.2,)))
    path = str(tmp_path / "bp.h5")
    net.save(path, withBlueprint=True)
    x = np.random.randn(6, 2).astype(np.float32)
    expected = _predict(net, x)
    for source in (path, open(path, "rb").read()):
        rebuilt = Blueprint.load(source)
        assert isinstance(rebuilt, Sequential)
        assert [type(m).__name__ for m in rebuilt.graph] == ["Linear", "Activation", "Linear", "Activation"]
        assert rebuilt[2].transpose is True and rebuilt[3].actArgs == (0.2,)
        _assertParamsEqual(_params(net), _params(rebuilt))
        np.testing.assert_array_equal(_predict(rebuilt, x), expected)


def test_blueprint_json_as_documented():
    net = _net(sizes=(3, 5, 1))
    with _open(net.save(withBlueprint=True)) as f:
        raw = f["blueprint"][()]
    bp = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    assert bp["classname"] == "Sequential"
    assert bp["graph"] == ["0", "1", "2"]
    lin = bp["modules"]["0"]
    assert lin["classname"] == "Linear"
    assert lin["scheme"] == {"insize": 3, "outsize": 5, "wscale": 1.0, "useBias": True, "initscheme": "gaussian",
                             "name": None, "empty": False, "transpose": False}
    assert bp["modules"]["1"]["classname"] == "Activation"
    assert bp["modules"]["1"]["scheme"]["activation"] == "relu"


def test_no_blueprint_and_bad_blueprints_are_refused():
    with pytest.raises(BlueprintError, match=r"no blueprint"):
        Blueprint.load(_net().save())
    for blueprint in ('{"classname": "os.system", "scheme": {}}', "not json",
                      '{"classname": "Linear", "scheme": {"insize": 2, "outsize": 2, "evil": 1}}'):
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as f:
            f.create_group("params")
            f.create_group("links")
            f.create_dataset("blueprint", data=blueprint, dtype=h5py.string_dtype())
        with pytest.raises(BlueprintError):
            Blueprint.load(buffer.getvalue())


@pytest.mark.parametrize("build", [
    lambda: Linear(2, 3, name="fc", initscheme="gaussian"),
    lambda: Linear(2, 3, useBias=False, initscheme="gaussian"),
    lambda: Sequential(name="n").append(Sequential(name="block").append(Linear(2, 2, name="a", initscheme="he")))
    .append(Activation("clip", args=(-0.5, 0.5))),
])
def test_blueprint_of_other_roots(build):
    net = build()
    rebuilt = Blueprint.load(net.save(withBlueprint=True))
    assert type(rebuilt) is type(net) and rebuilt.name == net.name
    assert str(rebuilt) == str(net)
    x = np.random.randn(3, 2).astype(np.float32)
    np.testing.assert_array_equal(_predict(rebuilt, x), _predict(net, x))


def test_a_module_name_with_a_slash_is_refused_on_save_and_load():
    # HDF5 reads '/' as a group separator: such a net was saved, then refused by its own load
    net = Sequential().append(Linear(2, 3, name="conv1/fc"))
    with pytest.raises(SerializationError, match=r"Linear 'conv1/fc'.*'/'.*group separator"):
        net.save()
    with pytest.raises(SerializationError, match=r"Linear 'conv1/fc'.*'/'"):
        net.load(Sequential().append(Linear(2, 3, name="fc")).save())


def test_dotted_names_that_collide_are_refused_instead_of_dropping_a_parameter():
    # '.a' + '.b' and '.a.b' both gave links '.a.b.W': one Linear's parameters were silently lost
    net = Sequential().append(Sequential(name="a").append(Linear(2, 2, name="b"))).append(Linear(2, 2, name="a.b"))
    with pytest.raises(SerializationError, match=r"Linear 'b' and Linear 'a.b' would both be stored as '\.a\.b\.W'"):
        net.save()
    dotted = Sequential().append(Linear(2, 3, name="a.b"))
    dotted.load(dotted.save())  # a dot alone is fine


def test_a_failed_load_is_a_ModuleError_as_programs_catch_it(tmp_path):
    # PuzzleLib 1.0 programs write `try: net.load(path) except ModuleError: ...`
    from PuzzleLib.Modules import ModuleError
    from PuzzleLib.Modules.Module import ModuleError as ModuleErrorOfModule
    path = str(tmp_path / "other.h5")
    _net(sizes=(2, 3, 4)).save(path)
    net = _net(sizes=(2, 3, 5))
    before = _params(net)
    for cls in (ModuleError, ModuleErrorOfModule):
        with pytest.raises(cls) as info:
            net.load(path)
        assert type(info.value).__name__ == "SerializationError"  # it keeps its own name and message
        assert "'.2.W'" in str(info.value)
    _assertParamsEqual(before, _params(net))
    bad = tmp_path / "not-a-model.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(ModuleError):
        net.load(str(bad))
    assert issubclass(BlueprintError, ModuleError)


def test_assumeUniqueNames_stores_root_and_module_names_only():
    # PuzzleLib 1.0's converted files are flat ("<net>.<module>.<param>") and load into nested nets
    from PuzzleLib.Containers import Parallel, Sequential
    from PuzzleLib.Modules import BatchNorm2D, Conv2D, Identity, Linear

    def build():
        inner = Sequential().append(Conv2D(1, 2, 3, name="conv")).append(BatchNorm2D(2, name="bn"))
        return Sequential(name="net").append(Parallel().append(inner).append(Identity())).append(
            Linear(2, 3, name="fc"))

    net = build()
    blob = net.save(assumeUniqueNames=True)
    import io
    with h5py.File(io.BytesIO(blob), "r") as f:
        assert sorted(f["links"]) == ["net.bn.bias", "net.bn.scale", "net.conv.W", "net.conv.b", "net.fc.W",
                                      "net.fc.b"]
        assert sorted(f["attrs"]) == ["net.bn.mean", "net.bn.var"]
    other = build()
    other.load(blob, assumeUniqueNames=True)
    for name in ("conv", "fc"):
        np.testing.assert_array_equal(other.getByName(name).vars["W"].data.get(), net.getByName(name).vars["W"].data.get())
    with pytest.raises(SerializationError, match="missing"):
        build().load(blob)  # the nested names are not in the flat file
    clash = Sequential(name="net").append(Sequential().append(Linear(1, 1, name="fc"))).append(
        Sequential().append(Linear(1, 1, name="fc")))
    with pytest.raises(SerializationError, match="both be stored as 'net.fc.W'"):
        clash.save(assumeUniqueNames=True)
