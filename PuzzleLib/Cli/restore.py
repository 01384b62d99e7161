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


def makeSettings(cfg):
    from PuzzleLib.Workbench.engine import Settings
    make = Settings.tutorial if cfg.tutorial else Settings
    return make(hidden=cfg.hidden, activation=cfg.activation, optimizer=cfg.optimizer, lr=cfg.lr,
                epochs=cfg.epochs, batch=cfg.batch, seed=cfg.seed, normalize=cfg.normalizeMode,
                compareScratch=cfg.compare_scratch, patience=cfg.patience)


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
    settings = makeSettings(cfg)
    job = Run(problem, settings)

    from tqdm import tqdm
    bar = tqdm(total=cfg.epochs, desc="training", unit="epoch", file=sys.stderr, disable=cfg.quiet or cfg.epochs == 0,
               dynamic_ncols=True, leave=True)

    def onNote(level, text):
        say("%s: %s" % (level, text), always=level == "warning")

    def onProgress(steps, running):
        bar.set_postfix_str("running error %.4g" % running, refresh=False)

    judged = "validation" if problem.heldOut else "grid"

    def onEpoch(event):
        bar.set_postfix_str("running error %.4g, %s error %.4g" % (event.trainError, judged, event.judgeError),
                            refresh=False)
        bar.update(1)

    job.listen(onEpoch=onEpoch, onNote=onNote, onProgress=onProgress)

    def onSigint(signum, frame):
        if job.stopping:
            raise KeyboardInterrupt
        job.stop()

    installed, previous = False, None
    try:
        previous = signal.signal(signal.SIGINT, onSigint)
        installed = True
    except ValueError:  # not the main thread: KeyboardInterrupt is caught by the engine instead
        pass
    try:
        job.start()
    finally:
        bar.close()
        if installed:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)

    metrics = job.metrics
    cfg.normalize = job.normalized
    if job.interrupted:
        done, extra = metrics["epochsDone"], job.extraBatches
        say("interrupted: stopped after %d full epoch%s%s; writing results" % (
            done, "" if done == 1 else "s",
            " (and %d batch%s of the next)" % (extra, "" if extra == 1 else "es") if extra else ""), always=True)
    metrics = dict({"config": cfg.asDict()}, **metrics)
    metrics["files"] = dict(files.FILES)
    metrics["wallSeconds"] = time.perf_counter() - began
    files.writeAll(cfg.out, job, metrics)
    return metrics, job.interrupted
