"""The node objects of a grid (private base of ParentNode and ChildNode) and the grid of this process."""
import os
import socket
import sys
import time

from PuzzleLib.Errors import GridError

_current = [None]   # the node of this process, once a grid was made


class _Node:
    """One process of a grid: ``index`` (its rank), ``gridsize``, ``device`` and the collectives
    of PuzzleLib 1.0's Grid. Every node must call the collectives in the same order."""

    def __init__(self, index, gridsize, device, comm):
        self.index = index
        self.gridsize = gridsize
        self.device = device
        self.comm = comm
        # an optimizer's hooks run before the gradients are averaged (PuzzleLib 1.0's order);
        # DataParallel averages first
        self._meanBeforeHooks = False

    def __repr__(self):
        return "%s(index=%d, gridsize=%d, device=%s)" % (type(self).__name__, self.index, self.gridsize, self.device)

    @property
    def isRoot(self):
        return self.index == 0

    def meanValue(self, value):
        """The mean of a number over all nodes (a float, the same on every node)."""
        return self.comm.meanValue(value)

    def broadcastBuffer(self, name, buffer):
        """Copy node 0's ``buffer`` (a device array) into ``buffer`` on every node."""
        _checkName("broadcastBuffer", name)
        _checkArray("broadcastBuffer", buffer)
        self.comm.broadcast(buffer, root=0)

    def sumTensor(self, name, tensor):
        """Despite the name (kept from PuzzleLib 1.0), leaves every node's ``tensor`` equal to the
        **mean** of the nodes' tensors, in place."""
        _checkName("sumTensor", name)
        _checkArray("sumTensor", tensor)
        self.comm.allreduce(tensor, average=True)

    def close(self):
        """Free what the node holds for collectives (NCCL's communicator)."""
        self.comm.close()

    # ---- for optimizers set up with this node (Optimizer(nodeinfo=...)) ----
    def _broadcastParams(self, optimizer):
        """Give every node node 0's parameters: one broadcast per run of adjacent parameters."""
        if self.gridsize == 1:
            return
        for group in optimizer.groups:
            for run in group.runs:
                self.comm.broadcast(run.data, root=0)

    def _reduceGradients(self, optimizer):
        """Average the gradients over nodes: one allreduce per run of adjacent gradients (the
        whole dtype with ``useGlobalState``)."""
        if self.gridsize == 1:
            return
        for group in optimizer.groups:
            for run in group.runs:
                self.comm.allreduce(run.grad, average=True)


def _checkName(method, name):
    if not isinstance(name, str):
        raise GridError("%s: the name must be a string, got %s" % (method, type(name).__name__))


def _checkArray(method, ary):
    if not hasattr(ary, "shape") or not hasattr(ary, "dtype"):
        raise GridError("%s: expected an array (a device array such as a parameter's data), got %s" % (
            method, type(ary).__name__))


def makeNode(comm, device=None):
    """The node of this process over ``comm`` (ParentNode for rank 0), made the current one; with
    more than one rank, an exception nobody catches ends the whole job (see ``_abortOnError``)."""
    from PuzzleLib.Grid.ChildNode import ChildNode
    from PuzzleLib.Grid.ParentNode import ParentNode
    cls = ParentNode if comm.rank == 0 else ChildNode
    node = cls(comm.rank, comm.size, comm.rank if device is None else device, comm)
    _current[0] = node
    if comm.size > 1:
        _installAbortOnError(node)
        _gateFileWrites(node)
        _announce(node)
        _tellLauncher("pid-%d" % node.index, str(os.getpid()))
    return node


def _tellLauncher(name, text):
    """Leave a note for the launcher (runGrid, ``python -m PuzzleLib.Grid``), which names a failed
    or dead rank from these notes; nothing when started by a plain mpiexec."""
    folder = os.environ.get("PUZZLELIB_GRID_DIR")
    if not folder:
        return
    try:
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)
    except OSError:
        pass


def _announce(node):
    """Rank 0 logs which process is which rank: a launcher that reports a dead process names its
    PID (MPICH: "BAD TERMINATION ... PID 1234"), and this line maps it to the rank."""
    pids = node.comm.gatherValues(os.getpid()).astype(int)
    if node.index == 0:
        from PuzzleLib import Config
        Config.getLogger().info("grid of %d processes (host %s): %s", node.gridsize, socket.gethostname(),
                                ", ".join("rank %d pid %d" % (r, p) for r, p in enumerate(pids)))


def currentNode():
    """The node of this process: the one made before, else a new one over MPI_COMM_WORLD when
    this process was started by ``mpiexec``, else a grid of one process."""
    if _current[0] is None:
        from PuzzleLib.Grid.Communicator import Communicator
        makeNode(Communicator())
    return _current[0]


def failureMessage(node, excType, exc):
    return "PuzzleLib.Grid: rank %d of %d failed with %s: %s; ending the job" % (
        node.index, node.gridsize, excType.__name__, exc)


def _installAbortOnError(node):
    """A rank that raises would leave the others waiting in a collective for ever: print the
    traceback and a line naming the rank, then abort the MPI job (every rank ends)."""
    previous = sys.excepthook

    def hook(excType, exc, tb):
        try:
            _tellLauncher("failed-%d" % node.index, "%s: %s" % (excType.__name__, exc))
            previous(excType, exc, tb)
            sys.stderr.write(failureMessage(node, excType, exc) + "\n")
            sys.stderr.flush()
            sys.stdout.flush()
            time.sleep(0.3)  # let the launcher pass the lines on before the abort tears the job down
        finally:
            node.comm.abort(1)

    sys.excepthook = hook


def _gateFileWrites(node):
    """Files the library writes (model files, checkpoints, optimizer state) are written by rank 0
    alone; the other ranks skip the write."""
    from PuzzleLib import Serialization
    Serialization._writeGate = lambda: _current[0] is None or _current[0].index == 0
