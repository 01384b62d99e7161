"""The worker processes behind a Provider: each runs transformer chains on the pieces it is sent,
and ends itself when its parent process is gone (killed, crashed) so none is left behind."""
import multiprocessing
import os
import random
import signal
import sys
import threading
import time
import traceback

import numpy as np

from PuzzleLib.Errors import TransformerError

_POLL_S = 0.2


def _context():
    # fork, as PuzzleLib 1.0's Pool: transformers defined in a script's __main__ need no import guard
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods and sys.platform != "darwin" else "spawn")


def _watchParent(parentPid):
    while True:
        time.sleep(_POLL_S)
        if os.getppid() != parentPid:
            os._exit(1)


def _workerMain(conn, parentEnd, parentPid):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it ends the workers
    if parentEnd is not None:
        parentEnd.close()
    threading.Thread(target=_watchParent, args=(parentPid,), daemon=True).start()
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        if msg is None:
            break
        taskId, chain, piece, idx, seed = msg
        try:
            np.random.seed(seed)
            random.seed(seed)
            for transformer in chain:
                piece = transformer(piece, idx)
            reply = (taskId, True, piece)
        except BaseException:
            reply = (taskId, False, traceback.format_exc())
        try:
            conn.send(reply)
        except (EOFError, OSError):
            os._exit(0)
        except Exception:  # the result cannot be pickled
            conn.send((taskId, False, traceback.format_exc()))


class WorkerPool:
    """``n`` worker processes, each with its own pipe; ``run`` sends one piece to each and
    ``collect`` gathers the results in piece order."""

    def __init__(self, n, owner):
        self.owner = owner
        ctx = _context()
        self.procs, self.conns = [], []
        self.pending = None
        self.taskId = 0
        self.closed = False
        try:
            for _ in range(n):
                mine, theirs = ctx.Pipe()
                proc = ctx.Process(target=_workerMain, args=(theirs, mine if ctx.get_start_method() == "fork" else None,
                                                              os.getpid()), daemon=True)
                proc.start()
                theirs.close()
                self.procs.append(proc)
                self.conns.append(mine)
        except BaseException:
            self.close()
            raise

    @property
    def pids(self):
        return [p.pid for p in self.procs]

    def run(self, chain, pieces, seeds):
        if self.pending is not None:
            self.collect()  # the previous chunk's results are dropped, its workers free
        self.taskId += 1
        try:
            for i, (piece, conn) in enumerate(zip(pieces, self.conns)):
                conn.send((self.taskId, chain, piece, i, seeds[i]))
        except (EOFError, OSError) as e:
            self._fail("a worker process is gone (%s)" % e)
        except Exception as e:
            self.close()
            raise TransformerError("%s: the transformers or the data cannot be sent to the worker processes "
                                   "(they must be picklable): %s: %s" % (self.owner, type(e).__name__, e)) from e
        self.pending = (self.taskId, len(pieces))

    def collect(self):
        from multiprocessing.connection import wait
        taskId, count = self.pending
        self.pending = None
        results = [None] * count
        waiting = dict(enumerate(self.conns[:count]))
        while waiting:
            sentinels = {self.procs[i].sentinel: i for i in waiting}
            ready = wait(list(waiting.values()) + list(sentinels), timeout=1.0)
            for obj in ready:
                if obj in sentinels:
                    i = sentinels[obj]
                    if i in waiting and not waiting[i].poll():
                        self._died(i)
                    continue
                i = next(k for k, c in waiting.items() if c is obj)
                try:
                    gotId, ok, value = obj.recv()
                except (EOFError, OSError):
                    self._died(i)
                if gotId != taskId:
                    continue
                if not ok:
                    self._drain(waiting, taskId, i)
                    raise TransformerError("%s: a transformer failed in worker %d; its traceback:\n%s" % (
                        self.owner, i, value))
                results[i] = value
                del waiting[i]
        return results

    def _drain(self, waiting, taskId, failed):
        # the other workers finish their pieces; read them so the next chunk starts clean
        for i, conn in waiting.items():
            if i == failed:
                continue
            try:
                while conn.poll(5.0):
                    if conn.recv()[0] == taskId:
                        break
            except (EOFError, OSError):
                pass

    def _died(self, i):
        proc = self.procs[i]
        proc.join(5.0)  # its pipes close a moment before it can be waited for
        self._fail("worker %d (pid %d) died with exit code %s" % (i, proc.pid, proc.exitcode))

    def _fail(self, message):
        self.close()
        raise TransformerError("%s: %s; the pipeline is closed" % (self.owner, message))

    def close(self):
        for conn in self.conns:
            try:
                conn.send(None)
            except Exception:
                pass
        for proc in self.procs:
            proc.join(0.5)
            if proc.is_alive():
                proc.terminate()
                proc.join(1.0)
            if proc.is_alive():
                proc.kill()
                proc.join(1.0)
        for conn in self.conns:
            conn.close()
        self.procs, self.conns, self.pending = [], [], None
        self.closed = True
