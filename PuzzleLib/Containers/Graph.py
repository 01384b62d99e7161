"""Graph: modules wired as a directed acyclic graph of nodes (``mod.node(*parents)``)."""
from PuzzleLib import Config
from PuzzleLib.Containers.Container import Container, _shapes
from PuzzleLib.Containers.Node import Node, _parentLabel
from PuzzleLib.Errors import BlueprintError, ContainerError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._validate import typeName


class Graph(Container):
    """A net whose modules form a directed acyclic graph.

    Parameters
    ----------
    inputs : Node or list of Nodes
        The nodes that receive the graph's input. A single node takes one array; a list takes a
        list of arrays, one per input node, in order (a list of one node also takes a bare
        array). Input nodes have no parents.
    outputs : Node or list of Nodes
        The nodes whose outputs the graph returns (one array, or a list for a list).
    unsafe : bool
        Skip the check that refuses an ``inplace`` module whose input is also read elsewhere
        (another node, a graph output), where overwriting it would corrupt the other reader.
    nodesOnly : bool
        Take only Node objects in ``inputs``/``outputs``. When False (the default) a module may
        stand for its node: it is looked up among the nodes reachable from the outputs (a lone
        module with no node becomes a one-node graph).

    Notes
    -----
    The nodes are found by walking back from ``outputs``; every node without parents that is
    reached must be among ``inputs`` and every input must lead to an output, otherwise
    :class:`ContainerError` says which. A cycle (possible with ``Node.addParents``) is refused,
    naming the modules on it. Unnamed modules are named "0", "1", ... in topological order.

    A module may sit at several nodes: its parameters are shared, its gradients from every node
    add up, and the graph keeps each node's forward state apart (such a module computes in fresh
    buffers, and its per-call state is restored before each node's backward).

    ``backward`` defaults to ``momentum=1.0`` like every container; it takes one gradient array
    (or a list, one per output) and sets ``grad`` to the input gradient(s).

    Shape
    -----
    Whatever the modules make of it: ``dataShapeFrom`` / ``gradShapeFrom`` walk the graph.

    Example::

        >>> from PuzzleLib.Modules import Linear, Activation
        >>> x = Linear(4, 3, name="fc").node()
        >>> a = Activation("relu", name="act1").node(x)
        >>> b = Activation("tanh", name="act2").node(x)
        >>> net = Graph(inputs=x, outputs=[a, b])
        >>> [o.shape for o in net(to_gpu(np.zeros((2, 4), np.float32)))]
        [(2, 3), (2, 3)]
    """

    def __init__(self, inputs, outputs, unsafe=False, nodesOnly=False, name=None):
        super().__init__(name)
        self.unsafe = bool(unsafe)
        self.nodesOnly = bool(nodesOnly)
        self._singleIn = not isinstance(inputs, (list, tuple))
        self._singleOut = not isinstance(outputs, (list, tuple))
        inputs = [inputs] if self._singleIn else list(inputs)
        outputs = [outputs] if self._singleOut else list(outputs)
        if not inputs or not outputs:
            raise ContainerError("%s: needs at least one input and one output node" % self._label())

        outputs, inputs = self._resolve(outputs, inputs)
        self.nodes = self._topoSort(outputs)
        self.inputs = inputs
        self.outputs = outputs
        self._checkInputs()
        self._register()
        if not self.unsafe:
            self._checkInplace()

        self._outs = {}
        self._states = {}

    # ---- construction ----
    def _resolve(self, outputs, inputs):
        for what, nodes in (("outputs", outputs), ("inputs", inputs)):
            for n in nodes:
                if not isinstance(n, Node) and (self.nodesOnly or not isinstance(n, Module)):
                    raise ContainerError("%s: %s must be nodes made with mod.node(...)%s, got %s" % (
                        self._label(), what, "" if self.nodesOnly else " or modules", type(n).__name__))

        if not any(isinstance(n, Node) for n in outputs):
            made = {}
            outputs = [made.setdefault(id(m), m.node()) for m in outputs]
            inputs = [made.get(id(n), n) if isinstance(n, Module) else n for n in inputs]
            return outputs, self._lookupModules(inputs, outputs, "inputs")

        reachable = self._topoSort([n for n in outputs if isinstance(n, Node)])
        outputs = self._lookupModules(outputs, reachable, "outputs")
        inputs = self._lookupModules(inputs, reachable, "inputs")
        return outputs, inputs

    def _lookupModules(self, items, nodes, what):
        resolved = []
        for item in items:
            if isinstance(item, Node):
                resolved.append(item)
                continue
            found = [n for n in nodes if n.module is item]
            if len(found) != 1:
                raise ContainerError("%s: %s names module %s, which sits at %d nodes of the graph; pass its node" % (
                    self._label(), what, item._label(), len(found)))
            resolved.append(found[0])
        return resolved

    def _topoSort(self, outputs):
        """Nodes reachable from ``outputs``, parents before children; refuses cycles."""
        order, state = [], {}
        for root in outputs:
            if id(root) in state:
                continue
            stack = [(root, iter(root.parents))]
            path = [root]
            state[id(root)] = 1
            while stack:
                node, parents = stack[-1]
                advanced = False
                for parent, _ in parents:
                    mark = state.get(id(parent))
                    if mark == 1:
                        cycle = path[path.index(parent):] + [parent]
                        raise ContainerError("%s: the nodes form a cycle: %s" % (
                            self._label(), " <- ".join(n.module._label() for n in cycle)))
                    if mark is None:
                        state[id(parent)] = 1
                        stack.append((parent, iter(parent.parents)))
                        path.append(parent)
                        advanced = True
                        break
                if not advanced:
                    stack.pop()
                    path.pop()
                    state[id(node)] = 2
                    order.append(node)
        return order

    def _checkInputs(self):
        seen = set()
        reachable = {id(n) for n in self.nodes}
        for node in self.inputs:
            if id(node) in seen:
                raise ContainerError("%s: input node of %s is listed twice" % (self._label(), node.module._label()))
            seen.add(id(node))
            if node.parents:
                raise ContainerError("%s: input node of %s has parents; inputs must be nodes made with mod.node()" % (
                    self._label(), node.module._label()))
            if id(node) not in reachable:
                raise ContainerError("%s: input node of %s does not lead to any output" % (self._label(), node.module._label()))
        for node in self.nodes:
            if not node.parents and id(node) not in seen:
                raise ContainerError("%s: missing input: node of %s has no parents and is not among the graph's inputs" % (
                    self._label(), node.module._label()))

    def _register(self):
        count = {}
        for node in self.nodes:
            count[id(node.module)] = count.get(id(node.module), 0) + 1
        self._shared = {mid for mid, c in count.items() if c > 1}

        taken = {n.module.name for n in self.nodes if n.module.name is not None}
        index = 0
        for node in self.nodes:
            mod = node.module
            if mod.name is None:
                while str(index) in taken:
                    index += 1
                taken.add(str(index))
            if not any(m is mod for m in self.modules.values()):
                self._addModule(mod, index)
            if id(mod) in self._shared:
                mod._setReuse(False)

        self._nodeNames = {}
        used = {}
        for node in self.nodes:
            k = used.get(node.module.name, 0)
            used[node.module.name] = k + 1
            self._nodeNames[id(node)] = node.module.name if k == 0 else "%s@%d" % (node.module.name, k)
        self._children = {id(n): [] for n in self.nodes}
        for node in self.nodes:
            for parent, slot in node.parents:
                self._children[id(parent)].append((node, slot))

    def _checkInplace(self):
        outputs = {id(n) for n in self.outputs}
        for node in self.nodes:
            if not getattr(node.module, "inplace", False):
                continue
            if id(node.module) in self._shared:
                raise ContainerError("%s: inplace module %s sits at several nodes (pass unsafe=True to allow)" % (
                    self._label(), node.module._label()))
            for parent, slot in node.parents:
                readers = [c for c, s in self._children[id(parent)] if s == slot]
                if len(readers) > 1 or id(parent) in outputs:
                    raise ContainerError(
                        "%s: inplace module %s overwrites the output of %s, which is also read elsewhere "
                        "(pass unsafe=True to allow)" % (self._label(), node.module._label(), _parentLabel(parent, slot)))

    # ---- forward ----
    def __call__(self, data):
        self.inData = data
        self.updateData(data)
        return self.data

    def _splitInput(self, data):
        if self._singleIn or (len(self.inputs) == 1 and not isinstance(data, (list, tuple))):
            return [data]
        if not isinstance(data, (list, tuple)) or len(data) != len(self.inputs):
            got = "a list of %d" % len(data) if isinstance(data, (list, tuple)) else typeName(data)
            raise ContainerError("%s: expected a list of %d input arrays (one per input node), got %s" % (
                self._label(), len(self.inputs), got))
        return list(data)

    def _gather(self, node, outs, getter):
        values = []
        for parent, slot in node.parents:
            value = outs[id(parent)]
            if slot is not None:
                value = getter(parent, value, slot)
            values.append(value)
        return values[0] if len(values) == 1 else values

    def _pick(self, parent, value, slot):
        if not isinstance(value, (list, tuple)) or slot >= len(value):
            got = "a list of %d" % len(value) if isinstance(value, (list, tuple)) else "one array"
            raise ContainerError("%s: a node reads slot %d of %s, whose output is %s" % (
                self._label(), slot, parent.module._label(), got))
        return value[slot]

    def updateData(self, data):
        inputs = dict(zip((id(n) for n in self.inputs), self._splitInput(data)))
        outs = {}
        states = {}
        for node in self.nodes:
            mod = node.module
            try:
                x = inputs[id(node)] if not node.parents else self._gather(node, outs, self._pick)
                outs[id(node)] = mod(x)
            except Exception as e:
                raise self._wrapError(e, repr(self._nodeNames[id(node)]), mod, "forward") from e
            if id(mod) in self._shared:
                states[id(node)] = dict(mod.__dict__)
        self._outs = outs
        self._states = states
        result = [outs[id(n)] for n in self.outputs]
        self.data = result[0] if self._singleOut else result

    # ---- backward ----
    def backward(self, grad, updParamGrads=True, updGrad=True, scale=1.0, momentum=1.0):
        if self.data is None:
            raise ContainerError("%s: backward called before a forward pass" % self._label())
        grads = self._outputGrads(grad)
        first = set()
        for node in reversed(self.nodes):
            mod = node.module
            g = self._completeGrad(node, grads.pop(id(node), None))
            needGrad = bool(node.parents) or updGrad
            state = self._states.get(id(node))
            if state is not None:
                mod.__dict__.update(state)
            mom = momentum if id(mod) not in first else 1.0
            first.add(id(mod))
            try:
                mod.backward(g, updParamGrads=updParamGrads, updGrad=needGrad, scale=scale, momentum=mom)
            except Exception as e:
                raise self._wrapError(e, repr(self._nodeNames[id(node)]), mod, "backward") from e
            if node.parents:
                self._sendToParents(node, mod.grad, grads)
            else:
                grads[("in", id(node))] = mod.grad
        result = [grads.get(("in", id(n))) for n in self.inputs] if updGrad else [None] * len(self.inputs)
        self.grad = result[0] if self._singleIn else result
        return self.grad

    def _outputGrads(self, grad):
        grads = [grad] if self._singleOut else grad
        if not self._singleOut and (not isinstance(grad, (list, tuple)) or len(grad) != len(self.outputs)):
            got = "a list of %d" % len(grad) if isinstance(grad, (list, tuple)) else typeName(grad)
            raise ContainerError("%s: expected a list of %d gradients (one per output), got %s" % (
                self._label(), len(self.outputs), got))
        if not Config.disableDtypeShapeChecks:
            for i, (g, node) in enumerate(zip(grads, self.outputs)):
                out = self._outs[id(node)]
                if _shapes(g) != _shapes(out):
                    raise ContainerError("%s: expected gradient of shape %s for output %d (%s), got %s" % (
                        self._label(), _shapes(out), i, node.module._label(), _shapes(g)))
        acc = {}
        for g, node in zip(grads, self.outputs):
            _addInto(acc, id(node), None, g)
        return acc

    def _completeGrad(self, node, g):
        """The gradient for a node's output; zeros for list entries no child read."""
        out = self._outs[id(node)]
        if isinstance(out, (list, tuple)):
            if isinstance(g, dict):
                return [g[i] if i in g else _zerosLike(o) for i, o in enumerate(out)]
            if g is None:
                return [_zerosLike(o) for o in out]
            return g
        if isinstance(g, dict):
            raise ContainerError("%s: output of %s is one array but children read slots %s of it" % (
                self._label(), node.module._label(), sorted(g)))
        return _zerosLike(out) if g is None else g

    def _sendToParents(self, node, grad, grads):
        parents = node.parents
        if len(parents) == 1:
            parts = [grad]
        else:
            if not isinstance(grad, (list, tuple)) or len(grad) != len(parents):
                raise ContainerError("%s: %s has %d parents but gave back %s as input gradient" % (
                    self._label(), node.module._label(), len(parents),
                    "a list of %d" % len(grad) if isinstance(grad, (list, tuple)) else "one array"))
            parts = grad
        for (parent, slot), g in zip(parents, parts):
            _addInto(grads, id(parent), slot, g)

    # ---- modes and shapes ----
    # what reset clears, the next forward pass sets again (see Handler: no reset between batches)
    _resetClearsOnlyCaches = True

    def reset(self):
        super().reset()
        self._outs = {}
        self._states = {}

    def _setReuse(self, reuse):
        self._reuse = reuse
        for mod in self.modules.values():
            mod._setReuse(reuse and id(mod) not in self._shared)

    def dataShapeFrom(self, shape):
        shapes = dict(zip((id(n) for n in self.inputs), [shape] if self._singleIn else list(shape)))
        for node in self.nodes:
            x = shapes[id(node)] if not node.parents else self._gather(node, shapes, lambda p, v, s: v[s])
            shapes[id(node)] = node.module.dataShapeFrom(x)
        result = [shapes[id(n)] for n in self.outputs]
        return result[0] if self._singleOut else result

    def gradShapeFrom(self, shape):
        known = {}
        for s, node in zip([shape] if self._singleOut else list(shape), self.outputs):
            known.setdefault(id(node), s)
        result = {}
        for node in reversed(self.nodes):
            s = self._outputGradShape(node, known.get(id(node)))
            if s is None:
                continue
            ins = node.module.gradShapeFrom(s)
            if not node.parents:
                result[id(node)] = ins
                continue
            parts = [ins] if len(node.parents) == 1 else ins
            for (parent, slot), p in zip(node.parents, parts):
                if slot is None:
                    known.setdefault(id(parent), p)
                else:
                    entry = known.setdefault(id(parent), {})
                    if isinstance(entry, dict):
                        entry.setdefault(slot, p)
        out = [result.get(id(n)) for n in self.inputs]
        return out[0] if self._singleIn else out

    def _outputGradShape(self, node, known):
        """The gradient shape of a node's output, given what its children read: a shape, or
        {slot: shape} for a list output read by slot (slots no child reads take the shape of the
        last forward pass's output; None when that is unknown)."""
        if not isinstance(known, dict):
            return known
        last = self._outs.get(id(node))
        count = len(last) if isinstance(last, (list, tuple)) else max(known) + 1
        shapes = []
        for i in range(count):
            if i in known:
                shapes.append(known[i])
            elif isinstance(last, (list, tuple)) and i < len(last):
                shapes.append(tuple(last[i].shape))
            else:
                return None
        return shapes

    # ---- blueprints ----
    def getBlueprint(self):
        names = self._nodeNames
        bp = {
            "classname": type(self).__name__,
            "scheme": {"unsafe": self.unsafe, "nodesOnly": self.nodesOnly, "name": self.name},
            "modules": {mname: mod.getBlueprint() for mname, mod in self.modules.items()},
            "graph": {names[id(n)]: [[names[id(p)], slot] for p, slot in n.parents] for n in self.nodes},
        }
        ins = [names[id(n)] for n in self.inputs]
        outs = [names[id(n)] for n in self.outputs]
        bp["inputs"] = ins[0] if self._singleIn else ins
        bp["outputs"] = outs[0] if self._singleOut else outs
        keys = {id(mod): key for key, mod in self.modules.items()}  # a module's key may differ from its name (toGraph)
        aliases = {names[id(n)]: keys[id(n.module)] for n in self.nodes if names[id(n)] != keys[id(n.module)]}
        if aliases:
            bp["nodeModules"] = aliases
        return bp

    @classmethod
    def _fromBlueprint(cls, blueprint, classes, build):
        try:
            modules = blueprint["modules"]
            graph = blueprint["graph"]
            inputs = blueprint["inputs"]
            outputs = blueprint["outputs"]
        except KeyError as e:
            raise BlueprintError("blueprint of Graph lacks %s" % e) from None
        if not isinstance(modules, dict) or not isinstance(graph, dict):
            raise BlueprintError("blueprint of Graph: 'modules' and 'graph' must be objects")
        aliases = blueprint.get("nodeModules") or {}
        if not isinstance(aliases, dict) or not all(isinstance(v, str) for v in aliases.values()):
            raise BlueprintError("blueprint of Graph: 'nodeModules' must map node names to module names, got %.200r" % (aliases,))
        built = {}
        for mname, mbp in modules.items():
            mod = build(mbp, classes)
            mod.name = mname
            built[mname] = mod

        nodes = {}
        for nname in graph:
            mname = aliases.get(nname, nname)
            if mname not in built:
                raise BlueprintError("blueprint of Graph: node %r names module %r, which is not in 'modules'" % (nname, mname))
            nodes[nname] = built[mname].node()

        def lookup(nname):
            if not isinstance(nname, str) or nname not in nodes:
                raise BlueprintError("blueprint of Graph refers to an unknown node %r" % (nname,))
            return nodes[nname]

        for nname, parents in graph.items():
            try:
                links = [(lookup(p), slot) for p, slot in parents]
            except BlueprintError:
                raise
            except (TypeError, ValueError):
                raise BlueprintError("blueprint of Graph: parents of node %r must be [name, slot] pairs, got %r" % (
                    nname, parents)) from None
            try:
                nodes[nname].addParents(*links)
            except ContainerError as e:
                raise BlueprintError("blueprint of Graph: node %r: %s" % (nname, e)) from None

        for what, names in (("inputs", inputs), ("outputs", outputs)):
            if not isinstance(names, (str, list)):
                raise BlueprintError("blueprint of Graph: %r must be a node name or a list of them, got %.200r" % (what, names))
        ins = lookup(inputs) if isinstance(inputs, str) else [lookup(n) for n in inputs]
        outs = lookup(outputs) if isinstance(outputs, str) else [lookup(n) for n in outputs]
        scheme = blueprint.get("scheme") or {}
        try:
            return cls(ins, outs, unsafe=scheme.get("unsafe", False), nodesOnly=scheme.get("nodesOnly", False),
                       name=scheme.get("name"))
        except ContainerError as e:
            raise BlueprintError("blueprint of Graph does not describe a valid graph: %s" % e) from e

    def _extraRepr(self):
        return "%d nodes, %d inputs, %d outputs" % (len(self.nodes), len(self.inputs), len(self.outputs))


def _zerosLike(ary):
    from PuzzleLib.Backend import gpuarray
    return gpuarray.zeros(ary.shape, ary.dtype)


def _addInto(grads, key, slot, g):
    """Add gradient ``g`` for output ``key`` (entry ``slot`` of it, when not None); never in place.

    A list output's gradient is kept as {slot: array}, whether children read it whole or by slot.
    """
    if slot is None and not isinstance(g, (list, tuple)):
        old = grads.get(key)
        if isinstance(old, dict):
            raise ContainerError("a node's list output received a single-array gradient")
        grads[key] = g if old is None else old + g
        return
    entry = grads.setdefault(key, {})
    if not isinstance(entry, dict):
        raise ContainerError("a node's single output received a gradient by slot")
    parts = enumerate(g) if slot is None else [(slot, g)]
    for i, gi in parts:
        old = entry.get(i)
        entry[i] = gi if old is None else old + gi
