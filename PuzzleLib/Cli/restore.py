"""``puzzlelib restore``: the command line's face of the workbench (``PuzzleLib/Workbench``).

It turns the parsed options into a Problem and Settings, runs the engine while a progress bar
listens, and writes the files. With no options the run repeats the tutorial exactly:
``np.random.seed(1234)``; Linear(1, 100, gaussian) -> ReLU -> Linear(100, 1, gaussian);
MomentumSGD(1e-2); MSE; Trainer with batch 10; the data permuted once, then
``trainFromHost(..., macroBatchSize=1000)`` once per epoch, 100 epochs.
"""
import os
import signal
import sys
import time

from PuzzleLib.Errors import WorkbenchError
from PuzzleLib.Workbench.engine import buildNet, makeOptimizer, optimizerClasses, predict  # noqa: F401 (used by tests)


class UsageError(WorkbenchError):
    """Something the user asked for cannot be done; the CLI prints it on one line, exit status 2."""


def makeProblem(cfg):
    from PuzzleLib.Workbench.problem import Problem
    if cfg.data is not None:
        return Problem.fromCsv(cfg.data, valFraction=cfg.val, seed=cfg.seed, inputs=cfg.inputs, target=cfg.target)
    return Problem.fromFormula(cfg.expr, cfg.ranges, cfg.points)


def makeSettings(cfg, seed=None):
    from PuzzleLib.Workbench.engine import Settings
    make = Settings.tutorial if cfg.tutorial else Settings
    return make(hidden=cfg.hidden, activation=cfg.activation, optimizer=cfg.optimizer, lr=cfg.lr,
                epochs=cfg.epochs, batch=cfg.batch, seed=cfg.seed if seed is None else seed, normalize=cfg.normalizeMode,
                compareScratch=cfg.compare_scratch, patience=cfg.patience,
                # the hand-made net runs the same steps: compare it with the last epoch's net, not the best
                **({"keepBest": False} if cfg.compare_scratch else {}))


def run(cfg, say):
    """Train, then write restore.png, metrics.json and model.h5 into ``cfg.out``. Returns
    (metrics, interrupted)."""
    from PuzzleLib.Workbench import files
    from PuzzleLib.Workbench.engine import Run

    began = time.perf_counter()
    problem = makeProblem(cfg)
    if not problem.isData:
        cfg.points = problem.points
    try:
        os.makedirs(cfg.out, exist_ok=True)
    except OSError as e:
        raise UsageError("cannot create --out %s: %s" % (cfg.out, e.strerror or e)) from None
    k = cfg.ensemble
    jobs = []
    current = {"job": None}

    from tqdm import tqdm
    bar = tqdm(total=cfg.epochs * k, desc="training", unit="epoch", file=sys.stderr,
               disable=cfg.quiet or cfg.epochs == 0, dynamic_ncols=True, leave=True)

    def onNote(level, text):
        say("%s: %s" % (level, text), always=level == "warning")

    def onProgress(steps, running):
        bar.set_postfix_str("running error %.4g" % running, refresh=False)

    judged = "validation" if problem.heldOut else "grid"

    def onEpoch(event):
        bar.set_postfix_str("%srunning error %.4g, %s error %.4g" % (
            "net %d of %d, " % (len(jobs) + 1, k) if k > 1 else "", event.trainError, judged, event.judgeError),
            refresh=False)
        bar.update(1)

    def onSigint(signum, frame):
        job = current["job"]
        if job is None or job.stopping:
            raise KeyboardInterrupt
        job.stop()

    installed, previous = False, None
    try:
        previous = signal.signal(signal.SIGINT, onSigint)
        installed = True
    except ValueError:  # not the main thread: KeyboardInterrupt is caught by the engine instead
        pass
    try:
        for i in range(k):
            cfgSeed = cfg.seed + i
            job = Run(problem, makeSettings(cfg, seed=cfgSeed))
            job.listen(onEpoch=onEpoch, onNote=onNote if i == 0 else _warningsOnly(onNote), onProgress=onProgress)
            current["job"] = job
            job.start()
            jobs.append(job)
            if job.interrupted:
                break
    finally:
        bar.close()
        if installed:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)

    job, ensemble, summary = _ensemble(jobs, problem, cfg) if k > 1 else (jobs[0], None, None)
    metrics = job.metrics
    cfg.normalize = job.normalized
    if jobs[-1].interrupted:
        done, extra = jobs[-1].metrics["epochsDone"], jobs[-1].extraBatches
        say("interrupted: stopped after %d full epoch%s%s; writing results" % (
            done, "" if done == 1 else "s",
            " (and %d batch%s of the next)" % (extra, "" if extra == 1 else "es") if extra else ""), always=True)
    metrics = dict({"config": cfg.asDict()}, **metrics)
    if summary is not None:
        metrics["ensemble"] = summary
    metrics["files"] = dict(files.FILES)
    metrics["wallSeconds"] = time.perf_counter() - began
    files.writeAll(cfg.out, job, metrics, ensemble=ensemble)
    return metrics, jobs[-1].interrupted


def _warningsOnly(onNote):
    return lambda level, text: onNote(level, text) if level == "warning" else None


def _ensemble(jobs, problem, cfg):
    """(the member saved as model.h5, the band to draw, what metrics.json says) for --ensemble."""
    import numpy as np

    from PuzzleLib.Workbench.metrics import halfMse, summary

    preds = np.stack([j.after[:, 0].astype(np.float64) for j in jobs])
    errors = [j.metrics["finalError"] for j in jobs]
    finite = [i for i, e in enumerate(errors) if e is not None and np.isfinite(e)]
    best = min(finite, key=lambda i: errors[i]) if finite else 0
    with np.errstate(all="ignore"):
        mean = preds.mean(axis=0)
        band = {"k": len(jobs), "mean": mean, "low": preds.min(axis=0), "high": preds.max(axis=0)}
        spread = preds.std(axis=0)
    if problem.inputs == 1:  # the spread past the trained range, where the nets disagree most
        from PuzzleLib.Workbench.figures import extension
        exts = [extension(j) for j in jobs]
        if all(e is not None for e in exts):
            for side in ("left", "right"):
                sidePreds = np.stack([e[side][1].astype(np.float64) for e in exts])
                band[side] = (sidePreds.min(axis=0), sidePreds.max(axis=0))
    rows = problem.valIndex
    judged = summary(mean[rows], problem.y[rows, 0], problem.x[rows])
    info = {
        "k": len(jobs), "seeds": [cfg.seed + i for i in range(len(jobs))], "errors": errors,
        "meanNetError": halfMse(mean[rows], problem.y[rows]), "meanNetR2": judged["r2"],
        "spreadMean": float(np.nanmean(spread[rows])), "spreadMax": float(np.nanmax(spread[rows])),
        "savedSeed": cfg.seed + best,
        "note": "model.h5 is the member with the lowest judged error; the figure draws the mean of all and "
                "the band from the lowest to the highest prediction",
    }
    return jobs[best], band, info
