"""toGraph: a net of nested containers as one flat Graph of its leaf modules."""
from PuzzleLib.Containers.Container import Container
from PuzzleLib.Containers.Graph import Graph
from PuzzleLib.Containers.Parallel import Parallel
from PuzzleLib.Containers.Sequential import Sequential
from PuzzleLib.Errors import ContainerError, ConverterError
from PuzzleLib.Modules.Glue import Glue
from PuzzleLib.Modules.Identity import Identity
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules.Replicate import Replicate
from PuzzleLib.Modules.Split import Split
from PuzzleLib.Modules.ToList import ToList, _flatten  # ToList's own flattening of nested lists


def toGraph(module, unsafe=False, nodesOnly=False, assumeUniqueNames=False):
    """A Graph that computes what ``module`` (Sequential, Parallel and Graph containers, nested)
    computes, with only the leaf modules as nodes.

    The leaf modules are shared, not copied: the graph and the net train the same parameters.
    Identity, Replicate and ToList disappear (their inputs are wired straight through), a
    Parallel hands each branch its entry of the list, a nested Graph is inlined, and a module
    given a list (Add, Concat) gets one parent per entry. Node names are the module's path in the
    net, its containers' keys joined with "_" ("fork_1_block_2_conv_2_1"), or the module's own name
    when ``assumeUniqueNames`` (a module without variables or attributes whose name is taken, such as
    the unnamed pools of Inception's branches, all "0", is named by its path); the modules keep
    their names. The graph is named like ``module``,
    shares its own variables and attributes (e.g. ResNet's "mean"), and is in its mode and dtype.

    Parameters
    ----------
    module : Module
        The net to convert (a lone module gives a one-node graph).
    unsafe, nodesOnly : bool
        Passed to :class:`Graph`.
    assumeUniqueNames : bool
        Name the nodes by the modules' own names (they must be unique in the net).

    Notes
    -----
    The graph's input nodes receive the net's input: a list when the net starts with a Parallel
    (one input per branch). Where the input goes to several modules, to a module given a list, or
    straight to the output, an Identity node named "input" (or "input_<i>") receives it. A ToList
    given the whole output of a module that may give a list (Split, a module of your own), whose
    length is unknown before it runs, stays a node. A Glue module cannot be converted (its functions may do anything): ``ConverterError``.

    Example::

        >>> from PuzzleLib.Containers import Parallel, Sequential
        >>> from PuzzleLib.Modules import Add, Identity, Linear, Replicate
        >>> block = Parallel(name="fork").append(Linear(3, 3, name="fc")).append(Identity())
        >>> net = Sequential(name="net").append(Replicate(2)).append(block).append(Add(name="add"))
        >>> graph = toGraph(net)
        >>> list(graph.modules)   # the Identity branch reads the input, so an "input" node receives it
        ['input', 'fork_fc', 'add']
        >>> x = to_gpu(np.ones((2, 3), np.float32))
        >>> np.allclose(graph(x).get(), net(x).get())
        True
    """
    if not isinstance(module, Module):
        raise ConverterError("toGraph: expected a module or container, got %s" % type(module).__name__)
    return _Converter(module, assumeUniqueNames).build(unsafe, nodesOnly)


class _Wire:
    """The output of a leaf (``src`` a _Leaf) or one of the net's inputs (``src`` an _Input),
    entry ``slot`` of it when not None."""

    def __init__(self, src, slot=None):
        self.src, self.slot = src, slot


class _Leaf:
    def __init__(self, module, name, parents):
        self.module, self.name, self.parents = module, name, parents


class _Input:
    """The net's input, split into parts when a Parallel takes it as a list."""

    def __init__(self, index=None):
        self.index = index
        self.parts = None


class _Converter:
    def __init__(self, root, assumeUniqueNames):
        self.root = root
        self.assumeUniqueNames = bool(assumeUniqueNames)
        self.leaves = []
        self.input = _Input()
        self.named = {}  # with assumeUniqueNames: the module that took each name

    # ---- walking the net ----
    def convert(self, mod, path, value):
        """The value (a _Wire or a list of values) ``mod`` makes of ``value``."""
        if isinstance(mod, Glue):
            raise ConverterError("Cannot convert Glue module %s (at %r): its functions are not a graph" % (
                mod._label(), "_".join(path) or mod.name))
        if isinstance(mod, Container):
            if mod is not self.root and (mod.vars or mod.attrs):
                raise ConverterError("toGraph: container %s (at %r) has variables or attributes of its own, "
                                     "which a flat graph has no place for" % (mod._label(), "_".join(path)))
            if isinstance(mod, Sequential):
                return self.sequential(mod, path, value)
            if isinstance(mod, Parallel):
                return self.parallel(mod, path, value)
            if isinstance(mod, Graph):
                return self.graph(mod, path, value)
            raise ConverterError("toGraph: cannot convert container %s of type %s" % (mod._label(), type(mod).__name__))
        if type(mod) is Identity:
            return value
        if type(mod) is Replicate:
            return [value] * mod.times
        if type(mod) is ToList:
            flat = _flatten(value) if isinstance(value, list) else [value]
            if any(w.slot is None and (isinstance(w.src, _Input) or _mayGiveList(w.src.module)) for w in flat):
                # the net's input or a module's whole output may be a list of a length unknown before
                # it runs: the ToList is kept
                return _Wire(self._add(mod, self.nodeName(mod, path), flat))
            return flat
        return _Wire(self.leaf(mod, path, value))

    def sequential(self, seq, path, value):
        keys = _keys(seq)
        for mod in seq.graph:
            value = self.convert(mod, path + [keys[id(mod)]], value)
        return value

    def parallel(self, par, path, value):
        values = self.split(value, len(par.graph), par)
        keys = _keys(par)
        return [self.convert(mod, path + [keys[id(mod)]], v) for mod, v in zip(par.graph, values)]

    def graph(self, graph, path, value):
        inputs = [value] if graph._singleIn else self.split(value, len(graph.inputs), graph)
        outs = {}
        given = dict(zip((id(n) for n in graph.inputs), inputs))
        for node in graph.nodes:
            if not node.parents:
                x = given[id(node)]
            else:
                parts = [self.pick(outs[id(p)], slot, graph) for p, slot in node.parents]
                x = parts[0] if len(parts) == 1 else parts
            outs[id(node)] = self.convert(node.module, path + [graph._nodeNames[id(node)]], x)
        result = [outs[id(n)] for n in graph.outputs]
        return result[0] if graph._singleOut else result

    def split(self, value, count, owner):
        """``value`` as a list of ``count`` values (a list as given, or the entries of a list output)."""
        if isinstance(value, list):
            if len(value) != count:
                raise ConverterError("toGraph: %s takes a list of %d, but is given a list of %d" % (
                    owner._label(), count, len(value)))
            return value
        return [self.pick(value, i, owner) for i in range(count)]

    def pick(self, value, slot, owner):
        if slot is None:
            return value
        if isinstance(value, list):
            if slot >= len(value):
                raise ConverterError("toGraph: %s reads entry %d of a list of %d" % (owner._label(), slot, len(value)))
            return value[slot]
        if value.slot is not None:
            raise ConverterError("toGraph: %s reads entry %d of an entry of a list output, which a graph cannot "
                                 "express" % (owner._label(), slot))
        if isinstance(value.src, _Input):
            return _Wire(self.inputPart(value.src, slot))
        return _Wire(value.src, slot)

    def inputPart(self, source, slot):
        if source.parts is None:
            source.parts = []
        while len(source.parts) <= slot:
            source.parts.append(_Input(len(source.parts)))
        return source.parts[slot]

    def nodeName(self, mod, path):
        pathName = "_".join(path) or mod.name or "0"
        if not self.assumeUniqueNames or mod.name is None:
            return pathName
        other = self.named.setdefault(mod.name, mod)
        if other is not mod and not (mod.vars or mod.attrs):
            return pathName  # e.g. the unnamed pools of Inception's branches, all "0": files do not name them
        return mod.name

    def leaf(self, mod, path, value):
        name = self.nodeName(mod, path)
        if isinstance(value, list):
            if any(isinstance(v, list) for v in value):
                raise ConverterError("toGraph: %s (at %r) is given a nested list; put a ToList before it" % (
                    mod._label(), "_".join(path)))
            if len(value) == 1:  # a node with one parent gets a bare array: keep the list with a ToList
                value = [_Wire(self._add(ToList(name=name + "_tolist"), name + "_tolist", [value[0]]))]
                return self._add(mod, name, value)
            if not value:
                raise ConverterError("toGraph: %s (at %r) is given an empty list" % (mod._label(), "_".join(path)))
            return self._add(mod, name, value)
        return self._add(mod, name, [value])

    def _add(self, mod, name, parents):
        leaf = _Leaf(mod, name, parents)
        self.leaves.append(leaf)
        return leaf

    # ---- the graph ----
    def build(self, unsafe, nodesOnly):
        out = self.convert(self.root, [], _Wire(self.input))
        outs = out if isinstance(out, list) else [out]
        if any(isinstance(o, list) for o in outs):
            raise ConverterError("toGraph: %s gives a nested list, which a graph's outputs cannot be" % self.root._label())

        sources = self.input.parts if self.input.parts is not None else [self.input]
        if self.input.parts is not None and self._reads(self.input, outs):
            raise ConverterError("toGraph: %s takes its input both whole and as a list" % self.root._label())
        inputLeaves = [self._inputLeaf(s, len(sources), outs) for s in sources]
        outLeaves = [self._outputLeaf(o) for o in outs]
        self._checkNames()

        nodes = {id(leaf): leaf.module.node() for leaf in self.leaves}
        for leaf in self.leaves:
            nodes[id(leaf)].addParents(*[(nodes[id(w.src)], w.slot) for w in leaf.parents])
        inputs = [nodes[id(leaf)] for leaf in inputLeaves]
        outputs = [nodes[id(leaf)] for leaf in outLeaves]

        names = {}
        for leaf in self.leaves:
            names.setdefault(id(leaf.module), (leaf.module, leaf.module.name, leaf.name))
        try:
            for mod, _, name in names.values():
                mod.name = name
            graph = Graph(inputs[0] if len(sources) == 1 and self.input.parts is None else inputs,
                          outputs if isinstance(out, list) else outputs[0], unsafe=unsafe, nodesOnly=nodesOnly,
                          name=self.root.name)
        except ContainerError as e:
            raise ConverterError("toGraph: the graph of %s is refused: %s" % (self.root._label(), e)) from e
        finally:
            for mod, old, _ in names.values():
                mod.name = old

        for vname, var in self.root.vars.items() if isinstance(self.root, Container) else ():
            graph.vars[vname] = var
        for aname, attr in self.root.attrs.items() if isinstance(self.root, Container) else ():
            graph.attrs[aname] = attr
        graph.train = self.root.train
        graph.calctype = self.root.calctype
        return graph

    def _reads(self, source, outs):
        """Whether ``source`` is read whole by a leaf or an output."""
        wires = [w for leaf in self.leaves for w in leaf.parents] + outs
        return any(w.src is source for w in wires)

    def _inputLeaf(self, source, count, outs):
        """The leaf that receives ``source``: its only reader, or a new Identity feeding the readers."""
        readers = [leaf for leaf in self.leaves if any(w.src is source for w in leaf.parents)]
        alone = sum(o.src is source for o in outs) == 0 and len(readers) == 1 and len(readers[0].parents) == 1
        if alone:
            readers[0].parents = []
            return readers[0]
        name = "input" if source.index is None or count == 1 else "input_%d" % source.index
        name = self._freeName(name)
        leaf = _Leaf(Identity(name=name), name, [])
        self.leaves.insert(0, leaf)
        for reader in readers:
            reader.parents = [_Wire(leaf) if w.src is source else w for w in reader.parents]
        for i, o in enumerate(outs):
            if o.src is source:
                outs[i] = _Wire(leaf)
        return leaf

    def _outputLeaf(self, wire):
        """The leaf whose output is ``wire`` (an Identity reading the entry when it is one)."""
        if wire.slot is None:
            return wire.src
        name = self._freeName("%s_%d" % (wire.src.name, wire.slot))
        return self._add(Identity(name=name), name, [wire])

    def _freeName(self, name):
        taken = {leaf.name for leaf in self.leaves}
        base, k = name, 1
        while name in taken:
            name, k = "%s_%d" % (base, k), k + 1
        return name

    def _checkNames(self):
        taken = {}
        for leaf in self.leaves:
            other = taken.setdefault(leaf.name, leaf)
            if other is not leaf and other.module is not leaf.module:
                raise ConverterError("toGraph: two modules would be named %r (%s and %s)%s" % (
                    leaf.name, other.module._label(), leaf.module._label(),
                    "; without assumeUniqueNames the nodes are named by their paths" if self.assumeUniqueNames else ""))


def _mayGiveList(mod):
    """Whether a leaf's output may be a list: Split's is, and a module from outside the library may."""
    return isinstance(mod, Split) or not type(mod).__module__.startswith("PuzzleLib.")


def _keys(container):
    return {id(mod): key for key, mod in container.modules.items()}
