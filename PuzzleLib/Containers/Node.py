"""Node: one place of a module in a Graph, with links to the nodes that feed it."""
import numbers

from PuzzleLib.Errors import ContainerError


class Node:
    """A module placed in a graph, made with ``mod.node(*parents)``.

    Parameters
    ----------
    module : Module
        The module this node runs. The same module may sit at several nodes (its parameters are
        then shared; a Graph keeps each node's forward state apart).
    parents : Node, (Node, slot) or (Node, [slot, ...])
        The nodes whose outputs feed this one, in order. ``(node, slot)`` takes element ``slot``
        of a parent whose output is a list; ``(node, [1, 2])`` takes elements 1 and 2 of it, as
        two inputs in that order (the same as ``(node, 1), (node, 2)``). A node with no parents is
        an input of the graph.

    Notes
    -----
    A node with one parent gives its module that parent's output; a node with several parents
    gives it a list, one entry per parent.

    Example::

        >>> from PuzzleLib.Containers import Graph
        >>> from PuzzleLib.Modules import Linear, Activation, Add
        >>> inp = Linear(4, 3, name="a").node()
        >>> left = Activation("relu", name="b").node(inp)
        >>> right = Activation("tanh", name="c").node(inp)
        >>> out = Add(name="d").node(left, right)
        >>> out
        Node(Add 'd' <- [Activation 'b', Activation 'c'])
        >>> net = Graph(inputs=inp, outputs=out)
        >>> net(to_gpu(np.zeros((2, 4), np.float32))).shape
        (2, 3)
    """

    def __init__(self, module, parents=()):
        from PuzzleLib.Modules.Module import Module
        if not isinstance(module, Module):
            raise ContainerError("Node: expected a module, got %s" % type(module).__name__)
        self.module = module
        self.parents = []
        self.addParents(*parents)

    @property
    def name(self):
        return self.module.name

    def addParents(self, *parents):
        """Append parents (``Node`` or ``(Node, slot)``) after construction; returns the node.

        This allows linking nodes in any order; a Graph refuses the result if it has a cycle.
        """
        for parent in parents:
            self.parents.extend(_parseParent(parent, self))
        return self

    def __str__(self):
        links = ", ".join(_parentLabel(p, slot) for p, slot in self.parents)
        return "Node(%s <- [%s])" % (self.module._label(), links)

    __repr__ = __str__


def _parentLabel(node, slot):
    label = node.module._label()
    return label if slot is None else "%s[%d]" % (label, slot)


def _isSlot(slot):
    return not isinstance(slot, bool) and isinstance(slot, numbers.Integral) and slot >= 0


def _parseParent(parent, child):
    """The (node, slot) links one entry of ``parents`` stands for (a list of slots gives several)."""
    if isinstance(parent, Node):
        return [(parent, None)]
    if isinstance(parent, (tuple, list)) and len(parent) == 2 and isinstance(parent[0], Node):
        slot = parent[1]
        if isinstance(slot, (list, tuple)) and slot and all(_isSlot(s) for s in slot):
            return [(parent[0], int(s)) for s in slot]
        if slot is not None and not _isSlot(slot):
            raise ContainerError("Node of %s: a parent's slot must be a non-negative int, a non-empty list of them "
                                 "or None, got %r" % (child.module._label(), slot))
        return [(parent[0], None if slot is None else int(slot))]
    raise ContainerError("Node of %s: parents must be nodes (made with mod.node(...)) or (node, slot) pairs, got %r" % (
        child.module._label(), parent))
