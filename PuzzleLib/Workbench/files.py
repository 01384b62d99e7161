"""What a finished Run leaves behind: model.h5, metrics.json and restore.png, each written to a
temporary name beside it and then moved into place, so a file is either whole or absent."""
import json
import os

import numpy as np

FILES = {"figure": "restore.png", "model": "model.h5", "metrics": "metrics.json"}


def writeAll(out, run, metrics):
    """Write the three files of ``run`` into the folder ``out``; ``metrics`` is what metrics.json
    holds (the run's, with whatever the front end adds)."""
    from PuzzleLib.Workbench.figures import drawRun

    writeModel(os.path.join(out, FILES["model"]), run.net)
    _atomic(os.path.join(out, FILES["figure"]), lambda tmp: drawRun(tmp, run, metrics))
    writeJson(os.path.join(out, FILES["metrics"]), metrics)


def writeModel(path, net):
    """Save ``net`` with its blueprint to ``path`` atomically (a failed write leaves the old file)."""
    _atomic(path, lambda tmp: net.save(tmp, withBlueprint=True))


def writeJson(path, obj):
    """Write ``obj`` as JSON to ``path`` atomically; non-finite numbers become null."""
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(finiteOrNone(obj), f, indent=2, allow_nan=False, default=_jsonDefault)
            f.write("\n")
    _atomic(path, write)


def _atomic(path, write):
    base, ext = os.path.splitext(path)
    tmp = "%s.tmp%d%s" % (base, os.getpid(), ext)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def finiteOrNone(obj):
    """``obj`` with every nan/inf float replaced by None (JSON has no such numbers)."""
    if isinstance(obj, dict):
        return {k: finiteOrNone(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finiteOrNone(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    return obj


def _jsonDefault(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return finiteOrNone(obj.tolist())
    raise TypeError("not JSON: %r" % (obj,))
