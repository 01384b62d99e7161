"""drawBoard: a picture of a net's structure, as Graphviz draws it.

The graph is written as Graphviz DOT with the ``graphviz`` package (``pip install
'puzzlelib[board]'``) and rendered to SVG/PNG/PDF by Graphviz's ``dot`` program when it is
installed (Debian/Ubuntu: ``apt-get install graphviz``; macOS: ``brew install graphviz``).
"""
import html
import json
import shutil

from PuzzleLib import Config
from PuzzleLib.Errors import PuzzleLibError

_CONTAINERS = ("Sequential", "Parallel", "Graph")
_HOW_TO_GET_DOT = ("Graphviz's 'dot' program is not installed, so only the DOT source was written; install it "
                   "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; others: "
                   "https://graphviz.org/download/) to get the picture")


class BoardError(PuzzleLibError, ValueError):
    """A net Board cannot draw, or a drawing it cannot write."""


def _graphviz():
    try:
        import graphviz
    except ImportError as e:
        raise BoardError("Board: drawing nets needs the graphviz package; pip install 'puzzlelib[board]' "
                         "(or graphviz), and Graphviz's dot program to render the picture") from e
    return graphviz


def _label(bp, path, fontname, fullnames):
    rows = ['<TR><TD COLSPAN="2" BGCOLOR="lightgrey"><B>%s</B></TD></TR>' % html.escape(bp["classname"])]
    items = sorted((k, v) for k, v in (bp.get("scheme") or {}).items() if k != "name")
    if fullnames:
        items.append(("fullname", path))
    for key, value in items:
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) > 60:
            text = text[:57] + "..."
        rows.append('<TR><TD ALIGN="LEFT">%s</TD><TD ALIGN="LEFT">%s</TD></TR>' % (
            html.escape(key), html.escape(text)))
    return '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0">%s</TABLE>>' % "".join(rows)


class _Drawer:
    def __init__(self, graphviz, modulesOnly, fontname, fullnames):
        self.graphviz, self.modulesOnly, self.fontname, self.fullnames = graphviz, modulesOnly, fontname, fullnames
        self.edges = []

    def connect(self, exits, entries):
        """Edges from the outputs before to the inputs after: one to one when the counts match
        (a Parallel into a Parallel), else every output to every input."""
        if len(exits) == len(entries):
            for e, group in zip(exits, entries):
                self.edges.extend((e, n) for n in group)
        else:
            self.edges.extend((e, n) for e in exits for group in entries for n in group)

    def draw(self, bp, path, dot):
        """Draws ``bp`` into ``dot``; returns (entries: groups of node ids, exits: node ids)."""
        cname = bp.get("classname")
        modules = bp.get("modules")
        if cname not in _CONTAINERS or not isinstance(modules, dict):
            dot.node(path, label=_label(bp, path, self.fontname, self.fullnames), shape="plaintext",
                     fontname=self.fontname)
            return [[path]], [path]
        with dot.subgraph(name="cluster_" + path) as sub:
            if self.modulesOnly:
                sub.attr(style="invis", label="")
            else:
                sub.attr(label="%s %s" % (cname, bp.get("scheme", {}).get("name") or path.rsplit(".", 1)[-1]),
                         fontname=self.fontname, style="rounded")
            order = bp.get("graph")
            if cname == "Graph":
                return self._graph(bp, modules, path, sub)
            order = order if isinstance(order, list) else list(modules)
            drawn = [self.draw(modules[name], "%s.%s" % (path, name), sub) for name in order]
            if not drawn:
                return [], []
            if cname == "Parallel":
                return [[n for group in entries for n in group] for entries, _ in drawn], \
                    [e for _, exits in drawn for e in exits]
            for (_, exits), (entries, _) in zip(drawn, drawn[1:]):
                self.connect(exits, entries)
            return drawn[0][0], drawn[-1][1]

    def _graph(self, bp, modules, path, sub):
        drawn = {name: self.draw(modules[name], "%s.%s" % (path, name), sub) for name in modules}
        for name, parents in (bp.get("graph") or {}).items():
            exits = [e for parent, _slot in parents for e in drawn[parent][1]]
            self.edges.extend((e, n) for e in exits for group in drawn[name][0] for n in group)
        inputs, outputs = bp.get("inputs"), bp.get("outputs")
        inputs = inputs if isinstance(inputs, list) else [inputs]
        outputs = outputs if isinstance(outputs, list) else [outputs]
        return [n for i in inputs for n in drawn[i][0]], [e for o in outputs for e in drawn[o][1]]


def drawBoard(net, filename, view=True, fmt="svg", modulesOnly=False, name=None, fontname="Consolas",
              fullnames=True):
    """Draws ``net`` from its blueprint: every module is a box with its class and arguments (and,
    with ``fullnames``, its dotted path), every Sequential / Parallel / Graph a frame around its
    modules (hidden with ``modulesOnly``); edges chain a Sequential, fan out to a Parallel's branches
    and follow a Graph's links. Writes the DOT source to ``filename`` and, when Graphviz's dot
    program is installed, the picture to "<filename>.<fmt>" (``view`` opens it); without dot it
    logs a warning saying how to get it.

    Parameters
    ----------
    net : Module
    filename : str
        Where the DOT source goes.
    view : bool
        Open the picture in the system's viewer.
    fmt : str
        "svg", "png", "pdf", ... (any format dot writes).
    modulesOnly : bool
        Hide the containers' frames.
    name : str, optional
        First part of the node ids (default ``net.name``).
    fontname : str
    fullnames : bool
        Show each module's dotted path.

    Returns
    -------
    The picture's path, or None when dot is missing.

    Example::

        >>> from PuzzleLib.Containers import Sequential
        >>> from PuzzleLib.Modules import Linear, Activation
        >>> net = Sequential(name="mlp").append(Linear(1, 8)).append(Activation("relu")).append(Linear(8, 1))
        >>> picture = drawBoard(net, "mlp.gv", view=False, fmt="svg")   # "mlp.gv.svg" (None without dot)
        >>> open("mlp.gv").read().count("->")   # the DOT source: Linear -> relu -> Linear
        2
    """
    graphviz = _graphviz()
    try:
        bp = net.getBlueprint()
    except Exception as e:
        raise BoardError("Board: %r has no blueprint to draw (%s)" % (net, e)) from e
    root = name if name is not None else (net.name or "net")
    dot = graphviz.Digraph(name=root, graph_attr={"rankdir": "TB"}, node_attr={"fontname": fontname})
    drawer = _Drawer(graphviz, modulesOnly, fontname, fullnames)
    drawer.draw(bp, root, dot)
    for tail, head in drawer.edges:
        dot.edge(tail, head)
    try:
        dot.save(filename)
    except OSError as e:
        raise BoardError("Board: cannot write %s: %s" % (filename, e)) from e
    if shutil.which("dot") is None:
        Config.getLogger().warning("Board: %s: %s", filename, _HOW_TO_GET_DOT)
        return None
    try:
        return dot.render(filename=filename, format=fmt, view=view)
    except graphviz.backend.ExecutableNotFound:
        Config.getLogger().warning("Board: %s: %s", filename, _HOW_TO_GET_DOT)
        return None
    except (graphviz.backend.CalledProcessError, ValueError, RuntimeError, OSError) as e:
        raise BoardError("Board: dot could not render %s as %r: %s" % (filename, fmt, e)) from e
