"""runGrid: PuzzleLib 1.0's way to start one process per device, over MPI (private module)."""
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import threading

from PuzzleLib.Errors import GridError


def runGrid(target, size, *args, devices=None, **kwargs):
    """Run ``target(nodeinfo, *args, **kwargs)`` in ``size`` processes, one per device.

    Started as ``python train.py``, it starts the ``size`` processes itself with ``mpiexec`` and
    waits for them (the target and its arguments are handed over as ``multiprocessing`` does: the
    main script is imported, not run, in each process). Inside a job that ``mpiexec -n size``
    started, each process runs its own node directly. ``nodeinfo`` is a ``ParentNode`` for node
    0 and a ``ChildNode`` for the others; ``Config.deviceIdx`` is set to the node's device first
    (``devices[index]``; by default each node of a machine takes its own, its index modulo the
    visible devices, where PuzzleLib 1.0 failed with more nodes than devices), so build the net
    inside ``target``.

    Unlike PuzzleLib 1.0, a node that raises or dies ends the whole job within seconds, and
    runGrid raises a GridError naming the node, instead of leaving the others waiting.

    Parameters
    ----------
    target : callable
        Called as ``target(nodeinfo, *args, **kwargs)``: a function of the main script or of a
        module (it must be importable by name).
    size : int
        Number of processes (nodes).
    devices : list of int, optional
        One device index per node.

    Example
    -------
    A script, run as ``python train.py`` (tests/Grid/_upstream_program.py is a whole one)::

        def train(nodeinfo):
            print(nodeinfo.index, nodeinfo.meanValue(nodeinfo.index))   # 0 0.5 and 1 0.5

        if __name__ == "__main__":
            runGrid(train, 2)
    """
    from PuzzleLib.Grid import _mpi
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise GridError("runGrid: size must be a positive integer, got %r" % (size,))
    if not callable(target):
        raise GridError("runGrid: target must be callable, got %s" % type(target).__name__)
    if devices is not None:
        devices = [int(d) for d in devices]
        if len(devices) != size:
            raise GridError("runGrid: devices must list one device per node (%d), got %d" % (size, len(devices)))
    if _mpi.launchedByMPI():
        _runNode(target, size, args, kwargs, devices)
        return None
    _launch(target, size, args, kwargs, devices)
    return None


def _runNode(target, size, args, kwargs, devices):
    """Run this process's node of a job that mpiexec started."""
    from PuzzleLib import Config
    from PuzzleLib.Grid import _node
    from PuzzleLib.Grid.Communicator import Communicator
    comm = Communicator()
    if comm.size != size:
        raise GridError("runGrid: asked for %d nodes, but the MPI job has %d processes" % (size, comm.size))
    device = devices[comm.rank] if devices is not None else comm.rank
    Config.allowMultiContext = True
    if devices is not None:
        Config.deviceIdx = device
        Config._deviceFromGrid = True
    # else each process of a machine takes its local rank modulo the visible devices (gpuarray)
    node = _node.makeNode(comm, device)
    try:
        target(node, *args, **kwargs)  # an exception goes to the node's excepthook, which ends the job
    finally:
        node.close()


def _launch(target, size, args, kwargs, devices):
    import multiprocessing.spawn
    from PuzzleLib.Grid import _mpi
    mpiexec = _mpi.mpiexecPath()
    _mpi.loadMPI()  # say how to install mpi4py here, not in every process
    folder = tempfile.mkdtemp(prefix="puzzlelib-grid-")
    try:
        preparation = multiprocessing.spawn.get_preparation_data("PuzzleLib.Grid")
        preparation = {key: value for key, value in preparation.items() if key != "authkey"}
        with open(os.path.join(folder, "main.json"), "w") as f:
            json.dump(preparation, f)
        try:
            # handed to our own processes, as multiprocessing hands a Process's target over
            job = pickle.dumps((target, args, kwargs, devices, size))
        except Exception as e:
            raise GridError("runGrid: cannot hand the target and its arguments to the processes (%s: %s); define "
                            "the target at the top level of a module or script" % (type(e).__name__, e)) from None
        with open(os.path.join(folder, "job.pickle"), "wb") as f:
            f.write(job)
        command = [mpiexec, "-n", str(size), sys.executable, "-m", "PuzzleLib.Grid._worker", folder]
        rc, pids = _run(command, folder)
        if rc != 0:
            raise GridError("runGrid: " + _explain(folder, size, rc, pids, "node"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(command, folder):
    """Run mpiexec, passing its output through; the ranks leave notes in ``folder`` (their PIDs,
    the exception that ended one). Returns (exit code, PIDs mpiexec's messages named as dead)."""
    env = dict(os.environ, PUZZLELIB_GRID_DIR=folder)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    dead = []

    def relay(stream, out):
        for line in iter(stream.readline, b""):
            match = re.search(rb"\bPID (\d+)\b", line)
            if match:
                dead.append(int(match.group(1)))
            try:
                out.buffer.write(line)
            except AttributeError:
                out.write(line.decode("utf-8", "replace"))
            out.flush()

    threads = [threading.Thread(target=relay, args=(proc.stdout, sys.stdout), daemon=True),
               threading.Thread(target=relay, args=(proc.stderr, sys.stderr), daemon=True)]
    for thread in threads:
        thread.start()
    try:
        rc = proc.wait()
    except BaseException:
        proc.terminate()
        proc.wait()
        raise
    for thread in threads:
        thread.join()
    return rc, dead


def _explain(folder, size, rc, deadPids, what="rank"):
    pids = {}
    for rank in range(size):
        try:
            with open(os.path.join(folder, "pid-%d" % rank)) as f:
                pids[int(f.read().strip())] = rank
        except (OSError, ValueError):
            pass
        try:
            with open(os.path.join(folder, "failed-%d" % rank)) as f:
                return "%s %d of %d failed with %s; the job was ended" % (what, rank, size, f.read().strip())
        except OSError:
            pass
    for pid in deadPids:
        if pid in pids:
            return "%s %d of %d (pid %d) died (exit code %d); the job was ended" % (what, pids[pid], size, pid, rc)
    return "the job ended with exit code %d" % rc


def launchScript(size, argv):
    """``python -m PuzzleLib.Grid -n N script.py [args]``: mpiexec with a line naming the rank
    that failed or died; returns the exit code."""
    from PuzzleLib.Grid import _mpi
    mpiexec = _mpi.mpiexecPath()
    folder = tempfile.mkdtemp(prefix="puzzlelib-grid-")
    try:
        rc, pids = _run([mpiexec, "-n", str(size), sys.executable] + list(argv), folder)
        if rc != 0:
            sys.stderr.write("PuzzleLib.Grid: %s\n" % _explain(folder, size, rc, pids))
        return rc
    finally:
        shutil.rmtree(folder, ignore_errors=True)
