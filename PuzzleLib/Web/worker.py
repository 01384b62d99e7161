"""One run of the web page, in a process of its own: the same engine and files as the command line.

A run trains in a separate process because the Trainer draws from numpy's global random state
(two runs in one process would disturb each other's numbers, and the page promises the command
line's numbers for the same settings) and so that a finished run gives its memory back. The
process sends plain dicts through a queue: ``problem`` once, ``epoch`` after every epoch (the
curves at most ``FULL_EVERY`` seconds apart, and always for the last epoch), ``note``, then
``done`` or ``error``. Setting ``stopEvent`` stops it after the current macro-batch; the files are
written for the epochs done.
"""
import threading
import time
import traceback

import numpy as np

FULL_EVERY = 0.1  # seconds between events that carry the curves (each epoch's errors always go)
MAX_TERMS = 256   # neuron terms sent per event at most (the widest-ranging ones)


def buildProblem(spec):
    """The Problem a validated spec describes (see ``PuzzleLib.Web.runs.validate``)."""
    from PuzzleLib.Workbench.problem import Problem

    if spec["source"] == "csv":
        return Problem.fromCsv(spec["csvPath"], valFraction=spec["val"], seed=spec["settings"]["seed"])
    return Problem.fromFormula(spec["formula"], [spec["range"]], spec["points"])


def buildSettings(spec):
    """The Settings a validated spec describes (neuron terms in the events for one hidden layer)."""
    from PuzzleLib.Workbench.engine import Settings

    return Settings(terms=spec["terms"], **spec["settings"])


def _floats(a):
    from PuzzleLib.Workbench.files import finiteOrNone

    return finiteOrNone(np.asarray(a, dtype=np.float64).ravel().tolist())


def _terms(terms):
    if terms is None:
        return None
    terms = np.asarray(terms, dtype=np.float64)
    if terms.shape[1] > MAX_TERMS:
        spread = np.nanmax(terms, axis=0) - np.nanmin(terms, axis=0)
        terms = terms[:, np.sort(np.argsort(-spread)[:MAX_TERMS])]
    return [_floats(column) for column in terms.T]


def runJob(spec, outDir, events, stopEvent):
    """Train ``spec`` and write model.h5, metrics.json and restore.png into ``outDir``."""
    try:
        from PuzzleLib.Workbench import files
        from PuzzleLib.Workbench.engine import Run

        problem = buildProblem(spec)
        job = Run(problem, buildSettings(spec))
        finite = problem.finite
        events.put({"type": "problem", "x": _floats(problem.x[finite, 0]), "y": _floats(problem.y[finite, 0]),
                    "data": problem.isData, "inputs": problem.inputs, "names": list(problem.names)})
        last = [0.0]

        def onEpoch(event):
            now = time.monotonic()
            message = files.finiteOrNone({"type": "epoch", "epoch": event.epoch, "epochs": event.epochs,
                                          "trainError": event.trainError, "judgeError": event.judgeError,
                                          "bestEpoch": event.bestEpoch, "bestError": event.bestError,
                                          "seconds": event.seconds})
            if now - last[0] >= FULL_EVERY or event.epoch == event.epochs or stopEvent.is_set():
                last[0] = now
                message["prediction"] = _floats(event.prediction)
                message["terms"] = _terms(event.terms)
            events.put(message)

        job.listen(onEpoch=onEpoch, onNote=lambda level, text: events.put({"type": "note", "level": level,
                                                                             "text": text}))
        done = threading.Event()

        def watchStop():
            while not done.is_set():
                if stopEvent.wait(0.05):
                    job.stop()
                    return

        threading.Thread(target=watchStop, daemon=True).start()
        try:
            job.start()
        finally:
            done.set()
        metrics = dict({"config": spec["public"]}, **job.metrics)
        metrics["files"] = dict(files.FILES)
        files.writeAll(outDir, job, metrics)
        events.put({"type": "done", "interrupted": bool(job.interrupted), "metrics": files.finiteOrNone(metrics),
                    "prediction": _floats(job.after[finite])})
    except BaseException as e:  # noqa: B902 - the page must hear about every way a run ends
        events.put({"type": "error", "text": "%s: %s" % (type(e).__name__, e), "trace": traceback.format_exc()})
