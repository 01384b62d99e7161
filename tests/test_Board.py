import os
import shutil

import pytest

from PuzzleLib import Board
from PuzzleLib.Containers import Graph, Parallel, Sequential
from PuzzleLib.Modules import Activation, Add, Concat, Identity, Linear, Replicate


def _net():
    inp = Linear(4, 4, name="a").node()
    h = Activation("relu", name="r").node(inp)
    g = Graph(inputs=inp, outputs=Add(name="add").node(inp, h), name="res")
    par = Parallel(name="fork").append(Linear(4, 2, name="left")).append(Identity(name="right"))
    return Sequential(name="net").append(g).append(Replicate(2, name="rep")).append(par).append(
        Concat(axis=1, name="cat"))


def _edges(path):
    edges = set()
    for line in open(path):
        if "->" in line:
            tail, head = (part.strip().strip(";").strip().strip('"') for part in line.split("->"))
            edges.add((tail, head.split(" ")[0].strip('"')))
    return edges


def test_dot_source_nodes_edges_and_clusters(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)  # the DOT file alone
    path = str(tmp_path / "net.gv")
    assert Board.drawBoard(_net(), path, view=False) is None
    source = open(path).read()
    assert _edges(path) == {("net.res.a", "net.res.r"), ("net.res.a", "net.res.add"), ("net.res.r", "net.res.add"),
                            ("net.res.add", "net.rep"), ("net.rep", "net.fork.left"), ("net.rep", "net.fork.right"),
                            ("net.fork.left", "net.cat"), ("net.fork.right", "net.cat")}
    assert "subgraph cluster_net.res" in source or 'subgraph "cluster_net.res"' in source
    assert "Graph res" in source and "Parallel fork" in source
    assert "insize" in source and "net.fork.left" in source  # arguments and the fullname row
    Board.drawBoard(_net(), path, view=False, modulesOnly=True, fullnames=False, name="top")
    source = open(path).read()
    assert "Graph res" not in source and "invis" in source and '"top.res.a"' in source
    assert "<TD ALIGN=\"LEFT\">fullname" not in source


def test_missing_dot_says_how_to_get_it(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert Board.drawBoard(_net(), str(tmp_path / "n.gv"), view=False) is None
    assert "apt-get install graphviz" in caplog.text and os.path.exists(str(tmp_path / "n.gv"))


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot (.ci/run installs it)")
@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("png", b"\x89PNG")])
def test_renders_with_dot(tmp_path, fmt, magic):
    path = str(tmp_path / "net.gv")
    out = Board.drawBoard(_net(), path, view=False, fmt=fmt)
    assert out == path + "." + fmt
    with open(out, "rb") as f:
        assert f.read(5).startswith(magic[:4])


def test_missing_graphviz_package_is_a_clear_error(monkeypatch):
    import builtins
    real = builtins.__import__

    def noGraphviz(name, *args, **kwargs):
        if name == "graphviz":
            raise ImportError("no graphviz")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", noGraphviz)
    with pytest.raises(Board.BoardError, match=r"pip install 'puzzlelib\[board\]'"):
        Board.drawBoard(_net(), "x.gv", view=False)
