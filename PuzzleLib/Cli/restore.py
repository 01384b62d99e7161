"""``puzzlelib restore``: train a small net on a formula or on measurements, and report how it did.

The defaults repeat the tutorial exactly: ``np.random.seed(1234)``; Linear(1, 100, gaussian) ->
ReLU -> Linear(100, 1, gaussian); MomentumSGD(1e-2); MSE; Trainer with batch 10; the data permuted
once, then ``trainFromHost(..., macroBatchSize=1000)`` once per epoch, 100 epochs.
"""
import inspect
import json
import os
import signal
import sys
import time

import numpy as np

MACRO_BATCH = 1000
PREDICT_CHUNK = 65536
PREDICT_ELEMENTS = 1 << 24
PLOT_POINTS = 4096


class UsageError(Exception):
    """Something the user asked for cannot be done; the CLI prints it on one line, exit status 2."""


class _Stop(Exception):
    """Raised from onMacroBatchFinish after Ctrl-C, to leave the training loop between macro-batches."""


def optimizerClasses():
    """Optimizer names the CLI accepts -> classes, from whatever PuzzleLib.Optimizers exports.

    Each class is known by its lowercase name (``momentumsgd``, ``adam``); a class named
    ``<Something>SGD`` also by ``<something>`` (``momentum``, ``nesterov``).
    """
    import PuzzleLib.Optimizers as optimizers
    from PuzzleLib.Optimizers.Optimizer import Optimizer

    names = {}
    for cname, obj in sorted(vars(optimizers).items()):
        if cname.startswith("_") or not isinstance(obj, type) or not issubclass(obj, Optimizer) or obj is Optimizer:
            continue
        names[cname.lower()] = obj
        if cname.endswith("SGD") and len(cname) > 3:
            names.setdefault(cname[:-3].lower(), obj)
    return names


def makeOptimizer(name, lr):
    """(optimizer, note) for a CLI name; the learning rate goes to ``learnRate`` or ``alpha``."""
    classes = optimizerClasses()
    cls = classes.get(name.lower())
    if cls is None:
        raise UsageError("unknown optimizer %r; this library has: %s" % (name, ", ".join(sorted(classes))))
    params = inspect.signature(cls.__init__).parameters
    note = None
    if "learnRate" in params:
        kwargs = {"learnRate": lr}
    elif "alpha" in params:
        kwargs = {"alpha": lr}
    else:
        kwargs = {}
        note = "%s takes no learning rate; --lr is not used" % cls.__name__
    from PuzzleLib.Errors import PuzzleLibError
    try:
        return cls(**kwargs), note
    except PuzzleLibError as e:
        raise UsageError(str(e)) from None


def buildNet(hidden, activation):
    """Linear -> activation per hidden size, then Linear(., 1).

    One hidden layer: every Linear uses the tutorial's ``initscheme="gaussian"`` (std 1). Deeper:
    the first Linear keeps it, later ones use "he" (std sqrt(2/fan_in)), so depth does not blow up
    the initial outputs.
    """
    from PuzzleLib.Modules import Activation, Linear
    from PuzzleLib.Containers import Sequential

    net = Sequential()
    insize = 1
    for i, size in enumerate(hidden):
        net.append(Linear(insize=insize, outsize=size, initscheme="gaussian" if i == 0 else "he"))
        net.append(Activation(activation=activation))
        insize = size
    net.append(Linear(insize=insize, outsize=1, initscheme="gaussian" if len(hidden) == 1 else "he"))
    return net


def predict(net, x):
    """Host predictions of ``net`` in eval mode for host float32 ``x`` of shape (N, 1), in chunks of
    rows that keep each layer's output under about PREDICT_ELEMENTS values."""
    from PuzzleLib.Backend.gpuarray import to_gpu
    from PuzzleLib.Modules import Linear

    widest = max([max(mod.vars["W"].data.shape) for mod in net.graph if isinstance(mod, Linear)] or [1])
    rows = max(1, min(PREDICT_CHUNK, PREDICT_ELEMENTS // widest))
    net.evalMode()
    parts = [net(to_gpu(np.ascontiguousarray(x[i:i + rows]))).get() for i in range(0, len(x), rows)]
    return np.concatenate(parts, axis=0)


def gridError(pred, y):
    """The tutorial's error, 0.5 * mean((y - pred)**2), in float64."""
    diff = np.asarray(pred, np.float64).reshape(-1) - np.asarray(y, np.float64).reshape(-1)
    return float(0.5 * np.mean(diff * diff))


def _linearWeights(net):
    """(W, b) float64 host copies of every Linear in a Sequential, in order."""
    from PuzzleLib.Modules import Linear
    return [(mod.vars["W"].data.get().astype(np.float64), mod.vars["b"].data.get().astype(np.float64))
            for mod in net.graph if isinstance(mod, Linear)]


def neuronContributions(net, x):
    """For one hidden layer: w2[j] * act(w1[j] x + b1[j]) for every hidden neuron j, float32 (N, n)."""
    from PuzzleLib.Backend.gpuarray import to_gpu

    net.evalMode()
    hidden = net[1](net[0](to_gpu(np.ascontiguousarray(x)))).get()
    w2 = net[2].vars["W"].data.get()[:, 0]
    hidden *= w2  # float32, in place: (N, n) can be large for a wide net
    return hidden


class _Scaling:
    """Standardisation of x and y for training (``--normalize``), folded into the net afterwards.

    Training sees ``x' = (x - xShift) / xScale`` and ``y' = (y - yShift) / yScale``. ``fold(net)``
    rewrites the first and last Linear so the net takes x and gives y in the data's own units, so
    model.h5 needs nothing beside it. Off, every method hands its input back unchanged.
    """

    def __init__(self, x, y, on):
        self.on = bool(on)
        self.xShift, self.xScale, self.yShift, self.yScale = 0.0, 1.0, 0.0, 1.0
        if self.on:
            x64, y64 = x.astype(np.float64), y.astype(np.float64)
            self.xShift, self.yShift = float(x64.mean()), float(y64.mean())
            self.xScale = float(x64.std()) or 1.0
            self.yScale = float(y64.std()) or 1.0

    def inX(self, x):
        return x if not self.on else ((x.astype(np.float64) - self.xShift) / self.xScale).astype(np.float32)

    def inY(self, y):
        return y if not self.on else ((y.astype(np.float64) - self.yShift) / self.yScale).astype(np.float32)

    def outY(self, y):
        return y if not self.on else (y.astype(np.float64) * self.yScale + self.yShift).astype(np.float32)

    def fold(self, net):
        if not self.on:
            return
        from PuzzleLib.Modules import Linear
        linears = [mod for mod in net.graph if isinstance(mod, Linear)]
        first, last = linears[0], linears[-1]
        W = first.vars["W"].data.get().astype(np.float64)
        b = first.vars["b"].data.get().astype(np.float64)
        b = b - (self.xShift / self.xScale) * W[0]
        W = W / self.xScale
        first.vars["W"].data.set(W.astype(np.float32))
        first.vars["b"].data.set(b.astype(np.float32))
        W = last.vars["W"].data.get().astype(np.float64) * self.yScale
        b = last.vars["b"].data.get().astype(np.float64) * self.yScale + self.yShift
        last.vars["W"].data.set(W.astype(np.float32))
        last.vars["b"].data.set(b.astype(np.float32))

    def describe(self):
        if not self.on:
            return None
        return {"xShift": self.xShift, "xScale": self.xScale, "yShift": self.yShift, "yScale": self.yScale}


def prepareData(cfg, say):
    """x (float32, (N, 1)), y (float32, (N, 1)), finite mask, description of the non-finite points."""
    if cfg.data is not None:
        from PuzzleLib.Cli.csvdata import readXY
        x64, y64 = readXY(cfg.data)
        tooLarge = np.abs(x64) > np.finfo(np.float32).max
        if tooLarge.any():
            raise UsageError("%s: x = %g is too large for float32 (|x| at most %.4g); rescale x" % (
                cfg.data, x64[tooLarge][0], np.finfo(np.float32).max))
    else:
        from PuzzleLib.Cli.formula import evaluate
        x32 = np.linspace(cfg.range[0], cfg.range[1], cfg.points, dtype=np.float32)
        x64 = x32.astype(np.float64)
        y64 = evaluate(cfg.tree, x64)
    x = x64.astype(np.float32).reshape(-1, 1)
    with np.errstate(over="ignore", invalid="ignore"):
        y = y64.astype(np.float32).reshape(-1, 1)
    finite = np.isfinite(y[:, 0])
    nonFinite = None
    if not finite.all():
        bad = x[~finite, 0].astype(np.float64)
        nonFinite = {"count": int(bad.size), "x": [float(v) for v in bad[:20]]}
        shown = ", ".join("%.6g" % v for v in bad[:5]) + (", ..." if bad.size > 5 else "")
        what = "the formula" if cfg.data is None else "y"
        if finite.sum() < 2:
            raise UsageError("%s is not finite (or too large for float32) at %d of %d points (x = %s); "
                             "nothing left to train on" % (what, bad.size, len(x), shown))
        say("warning: %s is not finite (or too large for float32) at %d of %d points, x = %s; "
            "they are left out of training and of the errors" % (what, bad.size, len(x), shown), always=True)
    return x, y, finite, nonFinite


def run(cfg, say):
    """Train, then write restore.png, metrics.json and model.h5 into ``cfg.out``. Returns
    (metrics, interrupted)."""
    began = time.perf_counter()
    x, y, finite, nonFinite = prepareData(cfg, say)
    xt, yt = x[finite], y[finite]
    try:
        os.makedirs(cfg.out, exist_ok=True)
    except OSError as e:
        raise UsageError("cannot create --out %s: %s" % (cfg.out, e.strerror or e)) from None
    n = len(xt)

    from PuzzleLib import __version__
    from PuzzleLib.Backend import gpuarray
    from PuzzleLib.Cost import MSE
    from PuzzleLib.Handlers import Trainer

    if cfg.normalizeMode == "auto" and not cfg.normalize:
        from PuzzleLib.Cli.main import AUTO_NORMALIZE_REACH
        reach = max(float(np.abs(xt).max()), float(np.abs(yt).max())) if n else 0.0
        if reach > AUTO_NORMALIZE_REACH:
            cfg.normalize = True
            say("note: x or the values reach %.3g, beyond +-%g: training on standardised x and y "
                "(--normalize auto; --normalize off to train on them as they are)" % (reach, AUTO_NORMALIZE_REACH))
    scaling = _Scaling(xt, yt, cfg.normalize)
    xtn, ytn = scaling.inX(xt), scaling.inY(yt)

    np.random.seed(cfg.seed)
    net = buildNet(cfg.hidden, cfg.activation)
    with np.errstate(all="ignore"):  # an untrained net on a huge range may overflow: drawn as such
        before = scaling.outY(predict(net, scaling.inX(x)))
    initialWeights = _linearWeights(net) if cfg.compare_scratch else None

    optimizer, note = makeOptimizer(cfg.optimizer, cfg.lr)
    if note:
        say("note: " + note, always=True)
    optimizer.setupOn(net)

    progress = {"steps": 0, "stop": False}

    cost = MSE()
    # no onBatchFinish: with nothing to look between batches the Trainer replays a captured step;
    # Ctrl-C is honoured after the current macro-batch (at most MACRO_BATCH samples)
    trainer = Trainer(net, cost, optimizer, batchsize=cfg.batch)

    perm = np.random.permutation(n)
    xs, ys = xtn[perm], ytn[perm]
    rngState = np.random.get_state()

    def onSigint(signum, frame):
        if progress["stop"]:
            raise KeyboardInterrupt
        progress["stop"] = True

    installed, previous = False, None
    try:
        previous = signal.signal(signal.SIGINT, onSigint)
        installed = True
    except ValueError:  # not the main thread: KeyboardInterrupt is caught below instead
        pass

    from tqdm import tqdm

    trainErrors, gridErrors = [], []
    trainSeconds = 0.0
    interrupted = False
    bar = tqdm(total=cfg.epochs, desc="training", unit="epoch", file=sys.stderr, disable=cfg.quiet,
               dynamic_ncols=True, leave=True)

    perEpoch = _batchesPerEpoch(n, cfg.batch)

    def onMacroBatchFinish(t):
        progress["steps"] += t.totalBatches
        if progress["stop"] and progress["steps"] % perEpoch:
            raise _Stop()  # at an epoch's end the loop below records the epoch and stops
        bar.set_postfix_str("running error %.4g" % t.cost.getMeanError(), refresh=False)

    t0 = time.perf_counter()
    try:
        with np.errstate(all="ignore"):
            for epoch in range(cfg.epochs):
                t0 = time.perf_counter()
                trainer.trainFromHost(xs, ys, macroBatchSize=MACRO_BATCH, onMacroBatchFinish=onMacroBatchFinish)
                gpuarray.synchronize()
                trainSeconds += time.perf_counter() - t0
                trainErrors.append(float(cost.getMeanError()) * scaling.yScale ** 2)
                gridErrors.append(gridError(scaling.outY(predict(net, xtn)), yt))
                bar.set_postfix_str("running error %.4g, grid error %.4g" % (trainErrors[-1], gridErrors[-1]),
                                    refresh=False)
                bar.update(1)
                if progress["stop"]:
                    interrupted = True
                    break
                if not np.isfinite(gridErrors[-1]):
                    break  # diverged: more epochs cannot bring it back
    except (_Stop, KeyboardInterrupt):
        trainSeconds += time.perf_counter() - t0
        interrupted = True
    finally:
        bar.close()
        if installed:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)

    epochsDone = len(gridErrors)
    del trainErrors[epochsDone:]
    if interrupted:
        extra = progress["steps"] - epochsDone * perEpoch
        say("interrupted: stopped after %d full epoch%s%s; writing results" % (
            epochsDone, "" if epochsDone == 1 else "s",
            " (and %d batch%s of the next)" % (extra, "" if extra == 1 else "es") if extra else ""), always=True)

    with np.errstate(all="ignore"):
        scaling.fold(net)
        after = predict(net, x)
    finalError = gridError(after[finite], yt)
    absErr = np.abs(after[:, 0].astype(np.float64) - y[:, 0].astype(np.float64))
    absErr[~finite] = np.nan
    diverged = not np.isfinite(finalError)
    if diverged:
        say("warning: training diverged: the net's predictions are not finite; try a smaller --lr "
            "or --normalize on (files are written all the same)", always=True)
        absErr[~np.isfinite(absErr)] = np.nan
    worst = int(np.nanargmax(absErr)) if np.isfinite(absErr).any() else None

    scratch = None
    if cfg.compare_scratch:
        from PuzzleLib.Cli.scratch import trainScratch
        scratchNet, scratchSeconds = trainScratch(
            initialWeights, cfg.activation, (), xs, ys, cfg.lr, cfg.batch, MACRO_BATCH, cfg.epochs + 1,
            progress["steps"], rngState)
        with np.errstate(all="ignore"):
            scratchPred = scratchNet(scaling.inX(x).astype(np.float64))
            if scaling.on:
                scratchPred = scratchPred * scaling.yScale + scaling.yShift
        scratch = {"pred": scratchPred, "error": gridError(scratchPred[finite], yt), "seconds": scratchSeconds,
                   "steps": progress["steps"]}

    modelPath = os.path.join(cfg.out, "model.h5")
    net.save(modelPath, withBlueprint=True)

    samples = n * epochsDone + (min(extra * cfg.batch, n) if interrupted else 0)
    # the best whole-grid error after any epoch (or of the final, possibly part-epoch, state)
    allErrors = np.array(gridErrors + [finalError], dtype=np.float64)
    if np.isfinite(allErrors).any():
        best = int(np.nanargmin(np.where(np.isfinite(allErrors), allErrors, np.nan)))
        bestEpoch = best + 1 if best < len(gridErrors) else epochsDone
    else:
        bestEpoch = None
    metrics = {
        "config": cfg.asDict(),
        "library": {"name": "puzzlelib", "version": __version__, "backend": gpuarray.backendName},
        "optimizer": str(optimizer),
        "data": {"points": int(len(x)), "trainedOn": int(n), "nonFinite": nonFinite,
                 "normalized": scaling.describe(),
                 "xMin": float(x[:, 0].min()), "xMax": float(x[:, 0].max())},
        "initialError": gridError(before[finite], yt),
        "finalError": finalError,
        "finalTrainingError": trainErrors[-1] if trainErrors else None,
        "bestError": float(np.nanmin(allErrors)) if np.isfinite(allErrors).any() else None,
        "bestEpoch": bestEpoch,
        "maxAbsError": float(absErr[worst]) if worst is not None else None,
        "maxAbsErrorAt": float(x[worst, 0]) if worst is not None else None,
        "diverged": diverged,
        "epochs": cfg.epochs,
        "epochsDone": epochsDone,
        "steps": progress["steps"],
        "interrupted": interrupted,
        "trainSeconds": trainSeconds,
        "samplesPerSecond": samples / trainSeconds if trainSeconds > 0 else None,
        "errorPerEpoch": gridErrors,
        "trainingErrorPerEpoch": trainErrors,
        "files": {"figure": "restore.png", "model": "model.h5", "metrics": "metrics.json"},
    }
    if scratch is not None:
        metrics["scratch"] = {"finalError": scratch["error"], "steps": scratch["steps"], "seconds": scratch["seconds"],
                              "optimizer": "plain gradient descent, float64 numpy, same start and batches"}

    from PuzzleLib.Cli.plotting import drawRestore
    shown = _plotIndex(len(x), worst)
    contributions = neuronContributions(net, x[shown]) if len(cfg.hidden) == 1 else None
    if scratch is not None:
        scratch = dict(scratch, pred=scratch["pred"][shown])
    drawRestore(os.path.join(cfg.out, "restore.png"), cfg=cfg, x=x[shown, 0], y=y[shown, 0], finite=finite[shown],
                before=before[shown, 0], after=after[shown, 0], metrics=metrics, contributions=contributions,
                firstLayer=_linearWeights(net)[0] if contributions is not None else None,
                scratch=scratch)

    metrics["wallSeconds"] = time.perf_counter() - began
    _writeJson(os.path.join(cfg.out, "metrics.json"), _finiteOrNone(metrics))
    return metrics, interrupted


def _plotIndex(n, worst, limit=PLOT_POINTS):
    """Rows to draw: all of them, or about ``limit`` evenly spaced ones plus the worst point."""
    if n <= limit:
        return np.arange(n)
    index = np.linspace(0, n - 1, limit).round().astype(np.int64)
    if worst is not None:
        index = np.union1d(index, [worst])
    return index


def _batchesPerEpoch(n, batch):
    total = 0
    for start in range(0, n, MACRO_BATCH):
        total += -(-min(MACRO_BATCH, n - start) // batch)
    return total


def _writeJson(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, allow_nan=False, default=_jsonDefault)
        f.write("\n")
    os.replace(tmp, path)


def _finiteOrNone(obj):
    """The metrics with every nan/inf float replaced by None (JSON has no such numbers)."""
    if isinstance(obj, dict):
        return {k: _finiteOrNone(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finiteOrNone(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    return obj


def _jsonDefault(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError("not JSON: %r" % (obj,))
