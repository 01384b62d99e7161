"""The workbench's engine: a :class:`Run` trains a small net on a :class:`Problem`, epoch by epoch
through the library's Trainer, and hands an :class:`Event` to whoever listens after each epoch.

It prints nothing and writes no file: the command line listens with a progress bar and writes the
files afterwards (``files.py``); a web page can listen with a stream; a test can listen to nothing.
"""
import inspect
import threading
import time

import numpy as np

from PuzzleLib.Errors import HandlerError, PuzzleLibError, WorkbenchError
from PuzzleLib.Workbench.metrics import halfMse, summary
from PuzzleLib.Workbench.problem import Scaling

MACRO_BATCH = 1000
PREDICT_CHUNK = 65536
PREDICT_ELEMENTS = 1 << 24
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leakyRelu", "elu", "softPlus", "clip")
# normalize "auto", for a formula: beyond this reach of x or of the values the tutorial's settings
# diverge (x**3 on -3..3 does, 10*sin(x) does not), so training runs on standardised data
AUTO_NORMALIZE_REACH = 10.0


class Settings:
    """How to restore: the net, the optimizer and the training schedule. The net and schedule are
    the tutorial's (Linear(1, 100) -> ReLU -> Linear(100, 1), MomentumSGD(1e-2), batch 10, 100
    epochs, seed 1234); by default the data are standardised, a diverged run restarts with half
    the rate and the best epoch's net is kept. :meth:`tutorial` gives the tutorial exactly.

    Parameters
    ----------
    hidden : list of int
        Hidden layer sizes.
    activation : str
        One of ``ACTIVATIONS``.
    optimizer : str
        ``sgd``, ``momentum``, or any optimizer ``PuzzleLib.Optimizers`` exports, by its lowercase name.
    lr : float
        Learning rate.
    epochs, batch, seed : int
    normalize : str
        ``on`` (the default): train on standardised inputs and target (folded back into the net afterwards);
        ``off``; ``auto``: on for data, and for a formula when x or its values reach beyond
        ``AUTO_NORMALIZE_REACH``.
    compareScratch : bool
        Also train the tutorial's hand-made numpy net from the same start on the same batches.
    terms : bool
        Put each hidden neuron's term into the events (one hidden layer, one input).
    restarts : int
        How often a run whose error turns non-finite starts again from the same start with half
        the rate (0: never).
    keepBest : bool
        Keep the net of the epoch with the lowest judged error (else the last epoch's).
    patience : int or None
        Stop when the judged error has not improved for this many epochs.

    Example
    -------
    >>> Settings(epochs=5).asDict()["epochs"]
    5
    """

    def __init__(self, hidden=(100,), activation="relu", optimizer="momentum", lr=1e-2, epochs=100, batch=10,
                 seed=1234, normalize="on", compareScratch=False, terms=False, restarts=4, keepBest=True,
                 patience=None):
        hidden = list(hidden)
        if not hidden or any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in hidden):
            raise WorkbenchError("hidden: expected one or more layer sizes >= 1, got %r" % (hidden,))
        if activation not in ACTIVATIONS:
            raise WorkbenchError("activation: expected one of %s, got %r" % (", ".join(ACTIVATIONS), activation))
        if not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
            raise WorkbenchError("lr: expected a number > 0, got %r" % (lr,))
        for name, value, low in (("epochs", epochs, 0), ("batch", batch, 1), ("seed", seed, 0)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise WorkbenchError("%s: expected a whole number >= %d, got %r" % (name, low, value))
        if isinstance(restarts, bool) or not isinstance(restarts, (int, np.integer)) or restarts < 0:
            raise WorkbenchError("restarts: expected a whole number >= 0, got %r" % (restarts,))
        if patience is not None and (isinstance(patience, bool) or not isinstance(patience, (int, np.integer))
                                     or patience < 1):
            raise WorkbenchError("patience: expected a whole number >= 1 (or None), got %r" % (patience,))
        if normalize not in ("auto", "on", "off"):
            raise WorkbenchError("normalize: expected auto, on or off, got %r" % (normalize,))
        self.hidden = [int(h) for h in hidden]
        self.activation = activation
        self.optimizer = optimizer
        self.lr = float(lr)
        self.epochs = int(epochs)
        self.batch = int(batch)
        self.seed = int(seed)
        self.normalize = normalize
        self.compareScratch = bool(compareScratch)
        self.terms = bool(terms)
        self.restarts = int(restarts)
        self.keepBest = bool(keepBest)
        self.patience = None if patience is None else int(patience)

    @classmethod
    def tutorial(cls, **kwargs):
        """The tutorial exactly: no standardising, no restart, the last epoch's net kept."""
        return cls(**dict(dict(normalize="off", restarts=0, keepBest=False), **kwargs))

    def asDict(self):
        return {"restarts": self.restarts, "keepBest": self.keepBest, "patience": self.patience, "hidden": self.hidden, "activation": self.activation, "optimizer": self.optimizer, "lr": self.lr,
                "epochs": self.epochs, "batch": self.batch, "seed": self.seed, "normalize": self.normalize,
                "macroBatchSize": MACRO_BATCH, "compareScratch": self.compareScratch}


class Event:
    """One finished epoch, as plain numbers and numpy arrays (``asDict()`` gives JSON types).

    Attributes
    ----------
    epoch, epochs : int
        This epoch (1-based) and the epochs asked for.
    trainError : float
        The mean of the epoch's batch errors (in the target's units).
    judgeError : float
        0.5 * MSE after the epoch on the judging rows (the formula's grid, or the validation part).
    bestEpoch, bestError : int, float
        The best epoch so far by ``judgeError`` (None while none is finite).
    x : ndarray (M, d)
        The rows predicted (every finite row of the problem); the same array in every event.
    prediction : ndarray (M,)
        The net's predictions there, in the target's units.
    terms : ndarray (M, hidden) or None
        Each hidden neuron's contribution w2[j] * act(w1[j] x + b1[j]) (``Settings(terms=True)``).
    steps : int
        Batches trained so far.
    seconds : float
        Training time so far.
    lr, attempt : float, int
        The rate of this attempt, and which attempt it is (a diverged attempt is restarted from
        the same start with half the rate; its events begin again at epoch 1).
    """

    def __init__(self, epoch, epochs, trainError, judgeError, bestEpoch, bestError, x, prediction, terms, steps,
                 seconds, lr=None, attempt=1):
        self.epoch = epoch
        self.epochs = epochs
        self.trainError = trainError
        self.judgeError = judgeError
        self.bestEpoch = bestEpoch
        self.bestError = bestError
        self.x = x
        self.prediction = prediction
        self.terms = terms
        self.steps = steps
        self.seconds = seconds
        self.lr = lr
        self.attempt = attempt

    def asDict(self):
        def num(v):
            return float(v) if v is not None and np.isfinite(v) else None
        return {"epoch": self.epoch, "epochs": self.epochs, "trainError": num(self.trainError),
                "judgeError": num(self.judgeError), "bestEpoch": self.bestEpoch, "bestError": num(self.bestError),
                "prediction": [num(v) for v in self.prediction.tolist()],
                "terms": None if self.terms is None else np.where(np.isfinite(self.terms), self.terms, 0).tolist(),
                "steps": self.steps, "seconds": self.seconds, "lr": self.lr, "attempt": self.attempt}


class _Stop(Exception):
    """Raised between macro-batches once ``stop()`` was called, to leave the Trainer's loop."""


class Run:
    """Train a net on ``problem`` with ``settings`` (see :class:`Settings`).

    ``listen(onEpoch=..., onNote=..., onProgress=...)`` registers callbacks: ``onEpoch(event)``
    after each epoch (an :class:`Event`), ``onNote(level, text)`` for what a user should hear
    (``level`` "note" or "warning"), ``onProgress(steps, runningError)`` after each macro-batch
    (at most 1000 samples). ``start()`` trains in the calling thread and returns the run; callbacks
    run in that thread. ``stop()`` may be called from any thread (or a signal handler): training
    ends after the current macro-batch and the run finishes as usual, ``interrupted`` set.

    After ``start()``: ``net`` (the trained net, taking and giving the data's own units),
    ``metrics`` (a dict of plain types), ``before`` / ``after`` (predictions on every row of
    ``problem.x`` before and after training), ``interrupted``, ``diverged``, ``normalized``.

    The Trainer draws from numpy's global random state (``np.random.seed(settings.seed)`` is
    called at the start), so two runs must not train at the same time in one process.

    Example
    -------
    >>> from PuzzleLib.Workbench import Problem
    >>> run = Run(Problem.fromFormula("2*x", [(-1, 1)], 64), Settings(hidden=[8], epochs=3))
    >>> errors = []
    >>> run.listen(onEpoch=lambda e: errors.append(e.judgeError)).start().metrics["epochsDone"], len(errors)
    (3, 3)
    """

    def __init__(self, problem, settings=None):
        self.problem = problem
        self.settings = settings if settings is not None else Settings()
        self._onEpoch, self._onNote, self._onProgress = [], [], []
        self._stop = threading.Event()
        self.net = None
        self.metrics = None
        self.interrupted = False
        self.diverged = False
        self.normalized = None
        self.extraBatches = 0

    def listen(self, onEpoch=None, onNote=None, onProgress=None):
        for fn, into in ((onEpoch, self._onEpoch), (onNote, self._onNote), (onProgress, self._onProgress)):
            if fn is not None:
                if not callable(fn):
                    raise WorkbenchError("Run.listen: expected a callable, got %r" % (fn,))
                into.append(fn)
        return self

    def stop(self):
        """Ask the run to stop after the current macro-batch (thread-safe, idempotent)."""
        self._stop.set()

    @property
    def stopping(self):
        return self._stop.is_set()

    def _note(self, level, text):
        for fn in self._onNote:
            fn(level, text)

    def _normalizeOn(self, xt, yt):
        mode = self.settings.normalize
        if mode != "auto":
            return mode == "on"
        if self.problem.isData:
            return True
        reach = max(float(np.abs(xt).max()), float(np.abs(yt).max())) if len(xt) else 0.0
        if reach > AUTO_NORMALIZE_REACH:
            self._note("note", "x or the values reach %.3g, beyond +-%g: training on standardised x and y "
                               "(--normalize auto; --normalize off to train on them as they are)"
                       % (reach, AUTO_NORMALIZE_REACH))
            return True
        return False

    def start(self):
        """Train; returns the run (its ``metrics``, ``net``, ...)."""
        from PuzzleLib import __version__
        from PuzzleLib.Backend import gpuarray

        began = time.perf_counter()
        p, s = self.problem, self.settings
        for level, text in p.notes:
            self._note(level, text)
        xt, yt = p.x[p.trainIndex], p.y[p.trainIndex]
        self.normalized = self._normalizeOn(xt, yt)
        scaling = self.scaling = Scaling(xt, yt, self.normalized)

        lr = s.lr
        self.attempts = []
        while True:
            state = self._attempt(scaling, lr)
            self.attempts.append({"lr": lr, "diverged": state["divergedAt"] is not None,
                                  "epochsDone": len(state["judgeErrors"])})
            if state["divergedAt"] is None or self.interrupted or len(self.attempts) > s.restarts:
                break
            epoch, batch = state["divergedAt"]
            self._note("warning", "training diverged (the error is not finite at epoch %d%s, lr %g); restarting "
                                  "from the same start with half the rate, lr %g" % (
                                      epoch, "" if batch is None else ", batch %d" % (batch + 1), lr, lr / 2))
            lr /= 2
        self.lr = lr
        self._finish(state, scaling, began, __version__, gpuarray.backendName)
        return self

    def _attempt(self, scaling, lr):
        """One training run from the seed's start at rate ``lr``; a dict of what happened."""
        from PuzzleLib.Backend import gpuarray
        from PuzzleLib.Cost import MSE
        from PuzzleLib.Handlers import Trainer

        p, s = self.problem, self.settings
        view = np.flatnonzero(p.finite)  # the rows events predict on
        xt, yt = p.x[p.trainIndex], p.y[p.trainIndex]
        n = len(xt)
        xtn, ytn = scaling.inX(xt), scaling.inY(yt)
        judgeAt = None if np.array_equal(view, p.valIndex) else np.searchsorted(view, p.valIndex)
        yJudge = p.y[p.valIndex]
        xView = xtn if np.array_equal(view, p.trainIndex) else scaling.inX(p.x[view])

        np.random.seed(s.seed)
        net = self.net = buildNet(s.hidden, s.activation, p.inputs)
        with np.errstate(all="ignore"):  # an untrained net on a huge range may overflow: drawn as such
            self.before = scaling.outY(predict(net, scaling.inX(p.x)))
        self.initialWeights = linearWeights(net) if s.compareScratch else None

        optimizer, note = makeOptimizer(s.optimizer, lr)
        if note and not self.attempts:
            self._note("warning", note)
        optimizer.setupOn(net)
        self.optimizer = optimizer
        cost = MSE()
        # no onBatchFinish: with nothing to look between batches the Trainer replays a captured step.
        # With restarts left, the first non-finite batch error ends the attempt at once.
        restartable = len(self.attempts) < s.restarts
        trainer = Trainer(net, cost, optimizer, batchsize=s.batch, onNonFinite="raise" if restartable else "ignore")
        perm = np.random.permutation(n)
        xs, ys = xtn[perm], ytn[perm]
        rngState = np.random.get_state()

        perEpoch = _batchesPerEpoch(n, s.batch)
        progress = {"steps": 0}
        stopFlag = self._stop

        def onMacroBatchFinish(t):
            progress["steps"] += t.totalBatches
            if stopFlag.is_set() and progress["steps"] % perEpoch:
                raise _Stop()  # at an epoch's end the loop below records the epoch and stops
            for fn in self._onProgress:
                fn(progress["steps"], float(t.cost.getMeanError()) * scaling.yScale ** 2)

        st = {"trainErrors": [], "judgeErrors": [], "bestEpoch": None, "bestError": None, "bestWeights": None,
              "trainSeconds": 0.0, "divergedAt": None, "stoppedEarly": False, "n": n, "xs": xs, "ys": ys,
              "rngState": rngState, "perEpoch": perEpoch, "progress": progress, "yJudge": yJudge}
        trainErrors, judgeErrors = st["trainErrors"], st["judgeErrors"]
        interrupted = False
        t0 = time.perf_counter()
        try:
            with np.errstate(all="ignore"):
                for epoch in range(s.epochs):
                    t0 = time.perf_counter()
                    trainer.trainFromHost(xs, ys, macroBatchSize=MACRO_BATCH, onMacroBatchFinish=onMacroBatchFinish)
                    gpuarray.synchronize()
                    st["trainSeconds"] += time.perf_counter() - t0
                    trainErrors.append(float(cost.getMeanError()) * scaling.yScale ** 2)
                    predView = scaling.outY(predict(net, xView))
                    judged = predView if judgeAt is None else predView[judgeAt]
                    judgeErrors.append(halfMse(judged, yJudge))
                    if np.isfinite(judgeErrors[-1]) and (st["bestError"] is None or judgeErrors[-1] < st["bestError"]):
                        st["bestEpoch"], st["bestError"] = epoch + 1, judgeErrors[-1]
                        if s.keepBest:
                            st["bestWeights"] = linearWeights(net)
                    if self._onEpoch:
                        terms = None
                        if s.terms and len(s.hidden) == 1 and p.inputs == 1:
                            terms = neuronContributions(net, xView) * np.float32(scaling.yScale)
                        event = Event(epoch + 1, s.epochs, trainErrors[-1], judgeErrors[-1], st["bestEpoch"],
                                      st["bestError"], p.x[view], predView[:, 0], terms, progress["steps"],
                                      st["trainSeconds"], lr=lr, attempt=len(self.attempts) + 1)
                        for fn in self._onEpoch:
                            fn(event)
                    if stopFlag.is_set():
                        interrupted = True
                        break
                    if not np.isfinite(judgeErrors[-1]):
                        st["divergedAt"] = (epoch + 1, None)
                        break  # diverged: more epochs cannot bring it back
                    if s.patience is not None and epoch + 1 - st["bestEpoch"] >= s.patience:
                        st["stoppedEarly"] = True
                        break
        except (_Stop, KeyboardInterrupt):
            st["trainSeconds"] += time.perf_counter() - t0
            interrupted = True
        except HandlerError:
            if trainer.nonFinite is None:
                raise
            st["trainSeconds"] += time.perf_counter() - t0
            st["divergedAt"] = trainer.nonFinite
        self.interrupted = interrupted
        return st

    def _finish(self, st, scaling, began, version, backendName):
        p, s = self.problem, self.settings
        net = self.net
        trainErrors, judgeErrors = st["trainErrors"], st["judgeErrors"]
        progress, perEpoch, n, yJudge = st["progress"], st["perEpoch"], st["n"], st["yJudge"]
        interrupted = self.interrupted
        epochsDone = len(judgeErrors)
        del trainErrors[epochsDone:]
        self.extraBatches = progress["steps"] - epochsDone * perEpoch if interrupted else 0

        with np.errstate(all="ignore"):
            lastError = None
            savedEpoch = epochsDone if not (interrupted and self.extraBatches) else None
            if s.keepBest and st["bestWeights"] is not None:
                lastError = halfMse(scaling.outY(predict(net, scaling.inX(p.x[p.valIndex]))), yJudge)
                if not (np.isfinite(lastError) and lastError <= st["bestError"]):
                    setLinearWeights(net, st["bestWeights"])
                    savedEpoch = st["bestEpoch"]
            scaling.fold(net)
            after = self.after = predict(net, p.x)
        finalError = halfMse(after[p.valIndex], yJudge)
        absErr = np.abs(after[:, 0].astype(np.float64) - p.y[:, 0].astype(np.float64))
        absErr[~p.finite] = np.nan
        diverged = self.diverged = not np.isfinite(finalError)
        if diverged:
            self._note("warning", "training diverged: the net's predictions are not finite; try a smaller --lr "
                                  "or --normalize on (files are written all the same)")
            absErr[~np.isfinite(absErr)] = np.nan
        worst = int(np.nanargmax(absErr)) if np.isfinite(absErr).any() else None
        self.worst = worst

        self.scratch = None
        if s.compareScratch:
            from PuzzleLib.Workbench.scratch import trainScratch
            scratchNet, scratchSeconds = trainScratch(
                self.initialWeights, s.activation, (), st["xs"], st["ys"], self.lr, s.batch, MACRO_BATCH, s.epochs + 1,
                progress["steps"], st["rngState"])
            with np.errstate(all="ignore"):
                scratchPred = scratchNet(scaling.inX(p.x).astype(np.float64))
                if scaling.on:
                    scratchPred = scratchPred * scaling.yScale + scaling.yShift
            self.scratch = {"pred": scratchPred, "error": halfMse(scratchPred[p.valIndex], yJudge),
                            "seconds": scratchSeconds, "steps": progress["steps"]}

        samples = n * epochsDone + (min(self.extraBatches * s.batch, n) if interrupted else 0)
        # the best judged error after any epoch (or of the final, possibly part-epoch, state)
        allErrors = np.array(judgeErrors + [finalError], dtype=np.float64)
        if np.isfinite(allErrors).any():
            best = int(np.nanargmin(np.where(np.isfinite(allErrors), allErrors, np.nan)))
            bestEpoch = best + 1 if best < len(judgeErrors) else epochsDone
        else:
            bestEpoch = None
        if s.keepBest and st["bestEpoch"] is not None:  # the saved net is the best epoch's, not a later one
            bestEpoch = st["bestEpoch"]
        if epochsDone == 0:
            bestEpoch = None  # no epoch was run: the net is the untrained one
        one = p.inputs == 1
        judged = summary(after[p.valIndex], yJudge, p.x[p.valIndex])
        trained = summary(after[p.trainIndex], p.y[p.trainIndex], p.x[p.trainIndex])
        self.metrics = {
            "library": {"name": "puzzlelib", "version": version, "backend": backendName},
            "optimizer": str(self.optimizer),
            "problem": p.asDict(),
            "data": {"points": int(len(p.x)), "trainedOn": int(n), "nonFinite": p.nonFinite,
                     "normalized": scaling.describe(),
                     "xMin": float(p.x[:, 0].min()) if one else [float(v) for v in p.x.min(axis=0)],
                     "xMax": float(p.x[:, 0].max()) if one else [float(v) for v in p.x.max(axis=0)]},
            "judgedOn": "validation" if p.heldOut else ("grid" if p.kind == "formula" else "all data"),
            "initialError": halfMse(self.before[p.valIndex], yJudge),
            "finalError": finalError,
            "lastEpochError": judgeErrors[-1] if judgeErrors else None,
            "savedEpoch": savedEpoch,
            "finalTrainingError": trainErrors[-1] if trainErrors else None,
            "bestError": float(np.nanmin(allErrors)) if np.isfinite(allErrors).any() else None,
            "bestEpoch": bestEpoch,
            "r2": judged["r2"],
            "rmse": judged["rmse"],
            "relativeRmse": judged["relativeRmse"],
            "training": trained,
            "validation": judged if p.heldOut else None,
            "maxAbsError": float(absErr[worst]) if worst is not None else None,
            "maxAbsErrorAt": (float(p.x[worst, 0]) if one else [float(v) for v in p.x[worst]])
            if worst is not None else None,
            "diverged": diverged,
            "lr": self.lr,
            "attempts": self.attempts,
            "epochs": s.epochs,
            "epochsDone": epochsDone,
            "stoppedEarly": st["stoppedEarly"],
            "steps": progress["steps"],
            "interrupted": interrupted,
            "trainSeconds": st["trainSeconds"],
            "samplesPerSecond": samples / st["trainSeconds"] if st["trainSeconds"] > 0 else None,
            "errorPerEpoch": judgeErrors,
            "trainingErrorPerEpoch": trainErrors,
        }
        if self.scratch is not None:
            self.metrics["scratch"] = {
                "finalError": self.scratch["error"], "steps": self.scratch["steps"],
                "seconds": self.scratch["seconds"],
                "optimizer": "plain gradient descent, float64 numpy, same start and batches"}
        self.metrics["runSeconds"] = time.perf_counter() - began


def setLinearWeights(net, weights):
    """Put (W, b) pairs, as ``linearWeights`` gives them, back into the Linears of ``net``."""
    from PuzzleLib.Modules import Linear
    for mod, (W, b) in zip([m for m in net.graph if isinstance(m, Linear)], weights):
        mod.vars["W"].data.set(W.astype(np.float32))
        mod.vars["b"].data.set(b.astype(np.float32))


def optimizerClasses():
    """Optimizer names the workbench accepts -> classes, from whatever PuzzleLib.Optimizers exports.

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
    """(optimizer, note) for a workbench name; the learning rate goes to ``learnRate`` or ``alpha``."""
    classes = optimizerClasses()
    cls = classes.get(str(name).lower())
    if cls is None:
        raise WorkbenchError("unknown optimizer %r; this library has: %s" % (name, ", ".join(sorted(classes))))
    params = inspect.signature(cls.__init__).parameters
    note = None
    if "learnRate" in params:
        kwargs = {"learnRate": lr}
    elif "alpha" in params:
        kwargs = {"alpha": lr}
    else:
        kwargs = {}
        note = "%s takes no learning rate; --lr is not used" % cls.__name__
    try:
        return cls(**kwargs), note
    except PuzzleLibError as e:
        raise WorkbenchError(str(e)) from None


def buildNet(hidden, activation, inputs=1):
    """Linear -> activation per hidden size, then Linear(., 1).

    One hidden layer: every Linear uses the tutorial's ``initscheme="gaussian"`` (std 1). Deeper:
    the first Linear keeps it, later ones use "he" (std sqrt(2/fan_in)), so depth does not blow up
    the initial outputs.
    """
    from PuzzleLib.Containers import Sequential
    from PuzzleLib.Modules import Activation, Linear

    net = Sequential()
    insize = inputs
    for i, size in enumerate(hidden):
        net.append(Linear(insize=insize, outsize=size, initscheme="gaussian" if i == 0 else "he"))
        net.append(Activation(activation=activation))
        insize = size
    net.append(Linear(insize=insize, outsize=1, initscheme="gaussian" if len(hidden) == 1 else "he"))
    return net


def predict(net, x):
    """Host predictions of ``net`` in eval mode for host float32 ``x`` of shape (N, d), in chunks of
    rows that keep each layer's output under about PREDICT_ELEMENTS values."""
    from PuzzleLib.Backend.gpuarray import to_gpu
    from PuzzleLib.Modules import Linear

    widest = max([max(mod.vars["W"].data.shape) for mod in net.graph if isinstance(mod, Linear)] or [1])
    rows = max(1, min(PREDICT_CHUNK, PREDICT_ELEMENTS // widest))
    net.evalMode()
    parts = [net(to_gpu(np.ascontiguousarray(x[i:i + rows]))).get() for i in range(0, len(x), rows)]
    return np.concatenate(parts, axis=0)


def linearWeights(net):
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


def _batchesPerEpoch(n, batch):
    total = 0
    for start in range(0, n, MACRO_BATCH):
        total += -(-min(MACRO_BATCH, n - start) // batch)
    return total
