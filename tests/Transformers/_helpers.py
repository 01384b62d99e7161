"""Transformers the tests send to worker processes (module level, so they pickle by reference)."""
import os
import time

import numpy as np

from PuzzleLib.Transformers.Transformer import Transformer


class AddIndex(Transformer):
    def __call__(self, batch, threadidx):
        return batch + 100 * threadidx


class Pid(Transformer):
    """Replaces every value by the worker's process id."""

    def __call__(self, batch, threadidx):
        return np.full(batch.shape, os.getpid(), dtype=np.float64)


class Rendezvous(Transformer):
    """Each piece announces itself in ``folder`` and waits until all ``count`` pieces have: passes
    only if the pieces run at the same time (in parallel), raises after ``limit`` seconds."""

    def __init__(self, folder, count, limit=30.0):
        self.folder, self.count, self.limit = folder, count, limit

    def __call__(self, batch, threadidx):
        open(os.path.join(self.folder, "arrived-%d" % threadidx), "w").close()
        deadline = time.monotonic() + self.limit
        while len([n for n in os.listdir(self.folder) if n.startswith("arrived-")]) < self.count:
            if time.monotonic() > deadline:
                raise RuntimeError("piece %d waited %.0f s alone: the pieces do not run in parallel" % (
                    threadidx, self.limit))
            time.sleep(0.01)
        return batch


class Boom(Transformer):
    def __init__(self, onPiece=1):
        self.onPiece = onPiece

    def __call__(self, batch, threadidx):
        if threadidx == self.onPiece:
            raise ValueError("boom in piece %d" % threadidx)
        return batch


class Die(Transformer):
    def __call__(self, batch, threadidx):
        if threadidx == 0:
            os._exit(3)
        return batch


class Sleep(Transformer):
    def __init__(self, seconds):
        self.seconds = seconds

    def __call__(self, batch, threadidx):
        time.sleep(self.seconds)
        return batch


class Make(Transformer):
    def __call__(self, batch, threadidx):
        assert batch is None
        return np.full((10, 3, 4, 4), threadidx, dtype=np.float32)


class WithLabels(Transformer):
    def __call__(self, batch, threadidx):
        data, labels = batch
        return [data * 2, labels + 1]
