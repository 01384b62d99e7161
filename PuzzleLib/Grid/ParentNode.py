"""ParentNode: node 0 of a grid."""
from PuzzleLib.Grid._node import _Node


class ParentNode(_Node):
    """Node 0 of a grid (the process that prints and writes files); see ``PuzzleLib.Grid``.

    Attributes: ``index`` (0), ``gridsize``, ``device``. Collectives: ``meanValue(value)``,
    ``broadcastBuffer(name, buffer)``, ``sumTensor(name, tensor)`` (leaves the mean), ``close()``.

    Example::

        >>> from PuzzleLib.Grid import Communicator
        >>> node = ParentNode(0, 1, 0, Communicator())   # made by runGrid in practice
        >>> node.meanValue(3)
        3.0
    """
