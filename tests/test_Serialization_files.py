"""Model files that last: bad files are refused with errors naming the file and the parameter (and
change nothing), a save killed midway leaves the old file whole, blueprints rebuild nested nets from
the file alone and never run code."""
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import h5py
import numpy as np
import pytest

from PuzzleLib import Blueprint, Serialization
from PuzzleLib.Backend.gpuarray import to_gpu
from PuzzleLib.Containers import Parallel, Sequential
from PuzzleLib.Errors import BlueprintError, SerializationError
from PuzzleLib.Modules import Activation, BatchNorm, Linear

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _net(hidden=4, useBias=True, name=None):
    inner = Sequential(name="block")
    inner.append(Linear(3, hidden, useBias=useBias, initscheme="gaussian"))
    inner.append(BatchNorm(hidden))
    inner.append(Activation("tanh"))
    net = Sequential(name=name)
    net.append(inner)
    net.append(Linear(hidden, 2, useBias=useBias, initscheme="gaussian", name="head"))
    return net


def _state(net):
    """Every parameter and attribute, by name (host copies)."""
    out = {}
    for path, mod, _ in net._walk(net.name or ""):
        for key, var in mod.vars.items():
            out["%s.%s" % (path, key)] = var.data.get()
        for key, attr in mod.attrs.items():
            out["%s.%s" % (path, key)] = attr.get()
    return out


def _assertSame(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def _trainedNet():
    net = _net()
    bn = net["block"]["1"]
    bn.attrs["mean"].set(np.random.randn(*bn.attrs["mean"].shape).astype(np.float32))
    bn.attrs["var"].set(np.random.rand(*bn.attrs["var"].shape).astype(np.float32) + 0.5)
    return net


# ---- round trips, layout ----

@pytest.mark.parametrize("via", ["bytes", "path"])
def test_round_trip_with_attributes_and_blueprint(tmp_path, via):
    net = _trainedNet()
    target = str(tmp_path / "m.h5") if via == "path" else None
    saved = net.save(target, withBlueprint=True)
    source = target if via == "path" else saved
    other = _net()
    other.load(source)
    _assertSame(_state(net), _state(other))
    rebuilt = Blueprint.load(source)
    _assertSame(_state(net), _state(rebuilt))
    x = to_gpu(np.random.randn(5, 3).astype(np.float32))
    net.evalMode()
    rebuilt.evalMode()
    np.testing.assert_array_equal(net(x).get(), rebuilt(x).get())


def test_layout_of_attributes():
    saved = _trainedNet().save()
    with h5py.File(io.BytesIO(saved), "r") as f:
        assert isinstance(f["attrs"], h5py.Group)
        # a module's non-trained state: attrs/<module path>.<attr>
        assert set(f["attrs"].keys()) == {".block.1.mean", ".block.1.var"}
        # every container writes its own (here empty) group
        assert len(f["attrs."]) == 0 and len(f["attrs..block"]) == 0
        assert sorted(f["links"].keys()) == [".block.0.W", ".block.0.b", ".block.1.bias", ".block.1.scale",
                                             ".head.W", ".head.b"]
        # every stored array carries a checksum, so corrupted bytes are caught on load
        assert all(f["params"][k].fletcher32 for k in f["params"])


# ---- bad files: refused, named, nothing changed ----

def _refuses(net, source, *patterns):
    before = _state(net)
    with pytest.raises(SerializationError) as info:
        net.load(source)
    for pattern in patterns:
        assert pattern in str(info.value), (pattern, str(info.value))
    _assertSame(before, _state(net))
    return str(info.value)


def test_truncated_file(tmp_path):
    saved = _trainedNet().save()
    path = tmp_path / "cut.h5"
    for size in (len(saved) // 2, 100, 0):
        path.write_bytes(saved[:size])
        _refuses(_net(), str(path), "cut.h5")
        _refuses(_net(), saved[:size], "<%d bytes>" % size)


def test_truncated_at_the_data_is_caught_on_open(tmp_path):
    # the header and the tables survive, only the data at the end is cut: HDF5 sees the file is
    # shorter than its header says, and the error names the file
    net = Sequential().append(Linear(60, 50, initscheme="gaussian")).append(Linear(50, 2, initscheme="gaussian"))
    saved = net.save(compress=None)
    with h5py.File(io.BytesIO(saved), "r") as f:
        end = max(f["params"][k].id.get_chunk_info(0).byte_offset for k in f["params"])
    path = tmp_path / "cut.h5"
    path.write_bytes(saved[:end + 8])
    other = Sequential().append(Linear(60, 50)).append(Linear(50, 2))
    _refuses(other, str(path), "cut.h5", "truncated")


@pytest.mark.parametrize("compress", ["gzip", None])
def test_corrupted_bytes_name_the_parameter(compress):
    net = Sequential().append(Linear(40, 30, initscheme="gaussian")).append(Linear(30, 2, initscheme="gaussian"))
    saved = bytearray(net.save(compress=compress))
    with h5py.File(io.BytesIO(bytes(saved)), "r") as f:
        info = f["params"][str(f["links"][".0.W"][()])].id.get_chunk_info(0)
    for i in range(8):
        saved[info.byte_offset + info.size // 2 + i] ^= 0xFF
    other = Sequential().append(Linear(40, 30)).append(Linear(30, 2))
    message = _refuses(other, bytes(saved), "<%d bytes>" % len(saved), "'.0.W'")
    assert "corrupted" in message


def test_garbage_and_non_model_files(tmp_path):
    _refuses(_net(), b"\x89HDF\r\n\x1a\n" + b"\x00" * 200, "bytes")
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    _refuses(_net(), str(path), "notes.txt", "not a readable HDF5 file")
    empty = io.BytesIO()
    with h5py.File(empty, "w") as f:
        f.create_group("something")
    _refuses(_net(), empty.getvalue(), "not a PuzzleLib model file")
    with pytest.raises(SerializationError, match="does not exist"):
        _net().load(str(tmp_path / "missing.h5"))
    with pytest.raises(SerializationError, match="expected a path, bytes or an h5py file"):
        _net().load(12)


def test_wrong_shape(tmp_path):
    path = str(tmp_path / "small.h5")
    _trainedNet().save(path)
    _refuses(_net(hidden=5), path, "small.h5", "'.block.0.W'", "shape (3, 4)", "(3, 5)")


def test_missing_parameter():
    saved = _net(useBias=False).save()
    _refuses(_net(), saved, "parameter '.block.0.b' is missing")


def test_missing_attribute():
    saved = bytearray(_trainedNet().save())
    buf = io.BytesIO(bytes(saved))
    with h5py.File(buf, "a") as f:
        del f["attrs"][".block.1.var"]
    _refuses(_net(), buf.getvalue(), "attribute '.block.1.var' is missing")


def test_a_different_net(tmp_path):
    path = str(tmp_path / "other.h5")
    Sequential().append(Linear(3, 4)).append(Linear(4, 2)).save(path)
    _refuses(_net(), path, "other.h5", "parameter '.block.0.W' is missing")
    _refuses(Sequential().append(Linear(3, 4)), path, "other.h5", "'.1.W'", "does not have")
    # the same structure under another root name is a different net too
    _refuses(Sequential(name="net").append(Linear(3, 4)).append(Linear(4, 2)), path, "'net.0.W'")


def test_a_tampered_link_or_dtype():
    saved = Sequential().append(Linear(3, 4)).save()
    buf = io.BytesIO(saved)
    with h5py.File(buf, "a") as f:
        del f["links"][".0.W"]
        f["links"].create_dataset(".0.W", data=np.array([0, 1]))
    _refuses(Sequential().append(Linear(3, 4)), buf.getvalue(), "'.0.W'", "not an integer index")
    buf = io.BytesIO(saved)
    with h5py.File(buf, "a") as f:
        del f["params"]["0"]
        f["params"].create_dataset("0", data=np.array([["a"] * 4] * 3, dtype=h5py.string_dtype()))
    _refuses(Sequential().append(Linear(3, 4)), buf.getvalue(), "'.0.W'", "non-numeric")


# ---- saving is atomic ----

def test_save_failing_midway_keeps_the_old_file(tmp_path, monkeypatch):
    path = str(tmp_path / "m.h5")
    old = _trainedNet()
    old.save(path)

    def broken(f, mod, compress, withBlueprint):
        f.create_group("params").create_dataset("0", data=np.zeros(3))
        raise OSError("disk full")

    monkeypatch.setattr(Serialization, "_writeInto", broken)
    with pytest.raises(SerializationError, match="m.h5.*disk full"):
        _net().save(path)
    monkeypatch.undo()
    fresh = _net()
    fresh.load(path)
    _assertSame(_state(old), _state(fresh))
    assert os.listdir(str(tmp_path)) == ["m.h5"]


def test_save_keeps_file_permissions(tmp_path):
    path = str(tmp_path / "m.h5")
    _net().save(path)
    os.chmod(path, 0o640)
    _net().save(path)
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_save_into_a_missing_folder(tmp_path):
    with pytest.raises(SerializationError, match="does not exist"):
        _net().save(str(tmp_path / "nope" / "m.h5"))


_CHILD = textwrap.dedent("""
    import os, sys, time
    import numpy as np
    from PuzzleLib import Serialization
    from PuzzleLib.Containers import Sequential
    from PuzzleLib.Modules import Linear

    path, mode, flag = sys.argv[1:4]
    real = Serialization._writeInto

    def dying(f, mod, compress, withBlueprint):
        real(f, mod, compress, withBlueprint)   # the whole net is in the temporary file ...
        f.flush()
        if mode == "exit":
            os._exit(3)                          # ... and the process dies before the rename
        open(flag, "w").close()
        time.sleep(60)                           # ... or waits here for SIGKILL

    Serialization._writeInto = dying
    np.random.seed(5)
    net = Sequential().append(Linear(200, 300, initscheme="gaussian")).append(Linear(300, 10))
    net.save(path, withBlueprint=True)
""")


@pytest.mark.parametrize("mode", ["exit", "sigkill"])
def test_save_killed_midway_in_a_subprocess(tmp_path, mode):
    path = str(tmp_path / "model.h5")
    old = _trainedNet()
    old.save(path, withBlueprint=True)
    flag = str(tmp_path / "writing")
    env = dict(os.environ, PUZZLELIB_BACKEND="cpu", PYTHONPATH=ROOT)
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, path, mode, flag], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if mode == "sigkill":
        deadline = time.time() + 60
        while not os.path.exists(flag) and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        assert os.path.exists(flag), proc.communicate()[1].decode()
        proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == (3 if mode == "exit" else -signal.SIGKILL), err.decode()
    # the old file is whole: it loads, into a net and through its blueprint
    fresh = _net()
    fresh.load(path)
    _assertSame(_state(old), _state(fresh))
    _assertSame(_state(old), _state(Blueprint.load(path)))
    # only the dead writer's temporary file is left next to it
    leftovers = sorted(name for name in os.listdir(str(tmp_path)) if name not in ("model.h5", "writing"))
    assert len(leftovers) == 1 and leftovers[0].startswith(".model.h5.") and leftovers[0].endswith(".tmp")


# ---- blueprints: nested containers, no code ----

@pytest.mark.parametrize("via", ["bytes", "path"])
def test_blueprint_rebuilds_nested_containers(tmp_path, via):
    branches = Parallel(name="branches")
    branches.append(Sequential().append(Linear(3, 2, initscheme="gaussian")).append(Activation("relu")))
    branches.append(Linear(4, 2, initscheme="gaussian"))
    net = Sequential(name="outer").append(Sequential(name="mid").append(branches))
    target = str(tmp_path / "nested.h5") if via == "path" else None
    saved = net.save(target, withBlueprint=True)
    rebuilt = Blueprint.load(target if via == "path" else saved)
    assert type(rebuilt) is Sequential and rebuilt.name == "outer"
    inner = rebuilt["mid"]["branches"]
    assert type(inner) is Parallel and type(inner[0]) is Sequential and type(inner[1]) is Linear
    _assertSame(_state(net), _state(rebuilt))
    xs = [to_gpu(np.random.randn(5, 3).astype(np.float32)), to_gpu(np.random.randn(5, 4).astype(np.float32))]
    for a, b in zip(net(xs), rebuilt(xs)):
        np.testing.assert_array_equal(a.get(), b.get())


def test_blueprint_rebuilds_a_graph_inside_a_sequential(tmp_path):
    from PuzzleLib.Containers import Graph
    from PuzzleLib.Modules import Add
    x = Linear(4, 3, name="fc", initscheme="gaussian").node()
    a = Activation("relu", name="act").node(x)
    b = Sequential(name="seq").append(Linear(3, 3, initscheme="gaussian")).node(x)
    graph = Graph(inputs=x, outputs=Add(name="add").node(a, b), name="g")
    net = Sequential().append(graph).append(Linear(3, 2, initscheme="gaussian"))
    path = str(tmp_path / "graph.h5")
    net.save(path, withBlueprint=True)
    rebuilt = Blueprint.load(path)
    assert type(rebuilt["g"]) is Graph and type(rebuilt["g"].getByName("seq")) is Sequential
    _assertSame(_state(net), _state(rebuilt))
    x = to_gpu(np.random.randn(5, 4).astype(np.float32))
    np.testing.assert_array_equal(net(x).get(), rebuilt(x).get())


def _withBlueprint(saved, blueprint):
    buf = io.BytesIO(saved)
    with h5py.File(buf, "a") as f:
        if "blueprint" in f:
            del f["blueprint"]
        if isinstance(blueprint, str):
            f.create_dataset("blueprint", data=blueprint, dtype=h5py.string_dtype())
        else:
            f.create_dataset("blueprint", data=blueprint)
    return buf.getvalue()


@pytest.mark.parametrize("blueprint,pattern", [
    ({"classname": "os.system", "scheme": {"command": "touch /tmp/pwned"}}, "unknown class 'os.system'"),
    ({"classname": "Popen", "scheme": {}}, "unknown class 'Popen'"),
    ({"classname": "ModuleError", "scheme": {}}, "unknown class 'ModuleError'"),
    ({"classname": "Sequential", "scheme": {}, "modules": {"0": {"classname": "eval"}}}, "unknown class 'eval'"),
    ({"classname": ["Linear"], "scheme": {}}, "unknown class"),
    ({"classname": "Linear", "scheme": {"insize": 3, "outsize": 4, "__class__": "x"}}, "'__class__'"),
    ({"classname": "Linear", "scheme": [["insize", 3]]}, "'scheme' must be an object"),
    ({"classname": "Linear", "scheme": {"insize": "3; import os", "outsize": 4}}, "could not be built"),
    ({"classname": "Sequential", "scheme": {}, "modules": {"a": {"classname": "Linear",
      "scheme": {"insize": 3, "outsize": 4}}}, "graph": ["b"]}, "'graph' must list names"),
    ({"classname": "Linear", "scheme": {"insize": 3, "outsize": 4}, "modules": {}}, "cannot hold any"),
    (["Linear"], "must be an object with a 'classname'"),
])
def test_blueprint_builds_only_library_classes_from_plain_values(blueprint, pattern):
    saved = _withBlueprint(Sequential().append(Linear(3, 4)).save(), json.dumps(blueprint))
    with pytest.raises(BlueprintError) as info:
        Blueprint.load(saved)
    assert pattern in str(info.value) and "<%d bytes>" % len(saved) in str(info.value)
    assert not os.path.exists("/tmp/pwned")


def test_blueprint_that_is_not_json_or_not_a_string():
    base = Sequential().append(Linear(3, 4)).save()
    with pytest.raises(BlueprintError, match="not valid JSON"):
        Blueprint.load(_withBlueprint(base, "cos(1) # not json"))
    with pytest.raises(BlueprintError, match="not valid JSON"):
        Blueprint.load(_withBlueprint(base, "[" * 100000 + "]" * 100000))
    with pytest.raises(BlueprintError, match="not a scalar string"):
        Blueprint.load(_withBlueprint(base, np.arange(3)))
    with pytest.raises(BlueprintError, match="no blueprint"):
        Blueprint.load(base)


def test_a_pickle_in_the_file_is_never_unpickled(tmp_path):
    import pickle

    class Boom:
        def __reduce__(self):
            return (os.system, ("touch %s" % (tmp_path / "ran"),))

    saved = Sequential().append(Linear(3, 4)).save(withBlueprint=True)
    buf = io.BytesIO(saved)
    with h5py.File(buf, "a") as f:
        del f["params"]["0"]
        f["params"].create_dataset("0", data=np.void(pickle.dumps(Boom())))
        f["attrs"].create_dataset(".0.pickled", data=np.void(pickle.dumps(Boom())))
    with pytest.raises(SerializationError, match=r"'\.0\.W'.*non-numeric"):
        Blueprint.load(buf.getvalue())
    with pytest.raises(SerializationError):
        Sequential().append(Linear(3, 4)).load(buf.getvalue())
    assert not (tmp_path / "ran").exists()


def test_a_file_written_by_hand_to_the_documented_layout_loads():
    # what another writer (e.g. PuzzleLib 1.0) following the API doc produces: plain datasets, no
    # checksums, int32 links, an empty "attrs." group for the unnamed root, the documented blueprint
    W = np.arange(15, dtype=np.float32).reshape(3, 5) / 10 - 0.7
    b = np.linspace(-1, 1, 5).astype(np.float32)
    blueprint = {
        "classname": "Sequential", "scheme": {"name": None}, "graph": ["0", "1"],
        "modules": {
            "0": {"classname": "Linear", "scheme": {"insize": 3, "outsize": 5, "initscheme": "he", "wscale": 1.0,
                                                    "useBias": True, "transpose": False, "empty": False,
                                                    "name": None}},
            "1": {"classname": "Activation", "scheme": {"activation": "relu"}},
        },
    }
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.create_dataset("params/0", data=W)
        f.create_dataset("params/1", data=b)
        f.create_dataset("links/.0.W", data=np.int32(0))
        f.create_dataset("links/.0.b", data=np.int32(1))
        f.create_group("attrs.")
        f.create_dataset("blueprint", data=json.dumps(blueprint), dtype=h5py.string_dtype())
    net = Blueprint.load(buf.getvalue())
    x = np.random.randn(4, 3).astype(np.float32)
    np.testing.assert_allclose(net(to_gpu(x)).get(), np.maximum(x @ W + b, 0), rtol=1e-6)
    manual = Sequential().append(Linear(3, 5)).append(Activation("relu"))
    manual.load(buf.getvalue())
    np.testing.assert_array_equal(manual[0].vars["W"].data.get(), W)


def test_a_blueprint_that_is_a_committed_datatype_is_a_blueprint_error():
    # a named HDF5 datatype has a dtype but no shape; it once escaped as a raw AttributeError
    buf = io.BytesIO(Sequential().append(Linear(3, 4)).save())
    with h5py.File(buf, "a") as f:
        f["blueprint"] = np.dtype("float32")
    with pytest.raises(BlueprintError, match="not a scalar string"):
        Blueprint.load(buf.getvalue())


def _graphFile():
    from PuzzleLib.Containers import Graph
    inp = Linear(3, 4, name="a").node()
    net = Graph(inputs=inp, outputs=Activation("relu", name="r").node(inp))
    return net.save(), net.getBlueprint()


@pytest.mark.parametrize("change,pattern", [
    ({"graph": {"a": [], "r": [["a", "x"]]}}, "node 'r'.*slot must be a non-negative int"),
    ({"graph": {"a": [], "r": [["a", -1]]}}, "node 'r'.*slot must be a non-negative int"),
    ({"inputs": 5}, "'inputs' must be a node name or a list"),
    ({"outputs": {"r": 0}}, "'outputs' must be a node name or a list"),
    ({"nodeModules": [1]}, "'nodeModules' must map node names"),
    ({"nodeModules": {"r": [1]}}, "'nodeModules' must map node names"),
])
def test_a_malformed_graph_blueprint_is_a_blueprint_error(change, pattern):
    # these were raw TypeError / AttributeError / ContainerError out of Blueprint.load
    saved, blueprint = _graphFile()
    blueprint.update(change)
    saved = _withBlueprint(saved, json.dumps(blueprint))
    with pytest.raises(BlueprintError, match=pattern):
        Blueprint.load(saved)


def test_the_blueprint_is_a_fixed_length_string_outside_the_global_heap():
    # a vlen string lives in HDF5's global heap: one corrupted byte there hung HDF5 while reading it,
    # and one in its type (read as a vlen of bytes) crashed the process; a fixed-length string holds
    # its bytes in the dataset itself, and a 'blueprint' that is not a string type is refused unread
    saved = Sequential().append(Linear(3, 4)).save(withBlueprint=True)
    with h5py.File(io.BytesIO(saved), "r") as f:
        assert f["blueprint"].shape == () and f["blueprint"].dtype.kind == "S"
        assert json.loads(f["blueprint"][()])["classname"] == "Sequential"
    buf = io.BytesIO(saved)
    with h5py.File(buf, "a") as f:
        text = f["blueprint"][()]
        del f["blueprint"]
        f.create_dataset("blueprint", shape=(), dtype=h5py.vlen_dtype(np.uint8))[()] = np.frombuffer(text, np.uint8)
    with pytest.raises(BlueprintError, match="not a scalar string"):
        Blueprint.load(buf.getvalue())
