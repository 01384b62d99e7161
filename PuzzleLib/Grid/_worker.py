"""One process of a runGrid job (private): ``mpiexec -n N python -m PuzzleLib.Grid._worker FOLDER``.

The main script is imported as multiprocessing's spawned processes import it (as ``__mp_main__``,
so its ``if __name__ == "__main__":`` block does not run), then the target is read and run.
"""
import json
import os
import pickle
import sys


def main(folder):
    import multiprocessing.spawn
    with open(os.path.join(folder, "main.json")) as f:
        multiprocessing.spawn.prepare(json.load(f))
    with open(os.path.join(folder, "job.pickle"), "rb") as f:
        target, args, kwargs, devices, size = pickle.load(f)  # written by runGrid for its own processes
    from PuzzleLib.Grid._launch import _runNode
    _runNode(target, size, args, kwargs, devices)


if __name__ == "__main__":
    main(sys.argv[1])
