"""ChildNode: nodes 1, 2, ... of a grid."""
from PuzzleLib.Grid._node import _Node


class ChildNode(_Node):
    """Node 1, 2, ... of a grid; the same collectives as ``ParentNode``, which it must call in the
    same order (see ``PuzzleLib.Grid``).

    Example::

        >>> node = ChildNode(1, 2, 1, comm=None)   # made by runGrid in practice
        >>> node.index, node.gridsize, node.isRoot
        (1, 2, False)
    """
