"""What a finished Run leaves behind: model.h5, metrics.json and restore.png, each written to a
temporary name beside it and then moved into place, so a file is either whole or absent."""
import json
import os

import numpy as np

FILES = {"figure": "restore.png", "model": "model.h5", "metrics": "metrics.json"}


def writeAll(out, run, metrics, ensemble=None):
    """Write the three files of ``run`` into the folder ``out``; ``metrics`` is what metrics.json
    holds (the run's, with whatever the front end adds)."""
    from PuzzleLib.Workbench.figures import drawRun

    writeModel(os.path.join(out, FILES["model"]), run.net, modelRecord(run))
    _atomic(os.path.join(out, FILES["figure"]), lambda tmp: drawRun(tmp, run, metrics, ensemble))
    writeJson(os.path.join(out, FILES["metrics"]), metrics)


RECORD = "puzzlelib.workbench"  # the model file's attribute holding what it was trained on (JSON)


def modelRecord(run):
    """What a model file remembers of its training: input and target names, the range of each
    input it was trained on, and the formula or data file."""
    p = run.problem
    xt = p.x[p.trainIndex]
    return {"inputs": p.names, "target": p.targetName, "trainedMin": [float(v) for v in xt.min(axis=0)],
            "trainedMax": [float(v) for v in xt.max(axis=0)], "expr": p.expr, "data": p.path,
            "savedEpoch": run.metrics.get("savedEpoch") if run.metrics else None}


def readRecord(path):
    """The record :func:`writeModel` put into a model file, or None (a net saved otherwise)."""
    import h5py
    try:
        with h5py.File(path, "r") as f:
            text = f.attrs.get(RECORD)
    except OSError:
        return None
    if text is None:
        return None
    try:
        record = json.loads(text if isinstance(text, str) else bytes(text).decode("utf-8"))
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def writeModel(path, net, record=None):
    """Save ``net`` with its blueprint to ``path`` atomically (a failed write leaves the old file),
    with ``record`` (see :func:`modelRecord`) as a JSON attribute."""
    def write(tmp):
        net.save(tmp, withBlueprint=True)
        if record is not None:
            import h5py
            with h5py.File(tmp, "a") as f:
                f.attrs[RECORD] = json.dumps(finiteOrNone(record))
    _atomic(path, write)


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
