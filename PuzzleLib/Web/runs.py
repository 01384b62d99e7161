"""The runs a web server keeps: validation of a request, a queue, worker processes, event fan-out.

Every run stays in the list while the server runs (its errors per epoch, last curves and files);
at most ``maxRunning`` train at once, the others wait in order. A run's events reach every page
watching it: each watcher gets the run's state so far on connecting, then each event as it comes.
"""
import itertools
import multiprocessing
import os
import queue
import shutil
import tempfile
import threading
import time

from PuzzleLib.Errors import WorkbenchError

LIMITS = {"points": (2, 20000), "epochs": (1, 5000), "batch": (1, 4096), "seed": (0, 2 ** 31 - 1),
          "layers": (1, 4), "neurons": (1, 1024)}
MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_CSV_ROWS = 20000
MAX_RUNS_KEPT = 100


class RequestError(WorkbenchError):
    """A request the page sent that cannot be run; ``field`` names the form field, ``column`` the
    formula's column (0-based) for a formula that does not parse."""

    def __init__(self, message, field=None, column=None):
        super().__init__(message)
        self.field, self.column = field, column


def _whole(body, name, default):
    value = body.get(name, default)
    lo, hi = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise RequestError("%s: expected a whole number from %d to %d, got %r" % (name, lo, hi, value), field=name)
    return value


def _number(body, name, default, lo=None, hi=None, openLow=False):
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value in (
            float("inf"), float("-inf")):
        raise RequestError("%s: expected a number, got %r" % (name, value), field=name)
    if (lo is not None and (value <= lo if openLow else value < lo)) or (hi is not None and value > hi):
        raise RequestError("%s: expected a number %s %g%s, got %r" % (
            name, ">" if openLow else ">=", lo, "" if hi is None else " and <= %g" % hi, value), field=name)
    return float(value)


def _choice(body, name, default, choices):
    value = body.get(name, default)
    if value not in choices:
        raise RequestError("%s: expected one of %s, got %r" % (name, ", ".join(choices), value), field=name)
    return value


def validate(body, workdir):
    """A request's JSON body -> a spec the worker runs, or :class:`RequestError`.

    Fields (all optional but one of ``formula`` / ``csv``): ``formula``, ``range`` [low, high],
    ``points``, ``csv`` (the file's text), ``val``, ``layers`` (list of neuron counts),
    ``activation``, ``optimizer``, ``lr``, ``batch``, ``epochs``, ``seed``, ``normalize``.
    A CSV is written to a file of the server's naming inside ``workdir``.
    """
    from PuzzleLib.Workbench.csvdata import DataError
    from PuzzleLib.Workbench.engine import ACTIVATIONS, Settings, optimizerClasses
    from PuzzleLib.Workbench.formula import FormulaError, parse
    from PuzzleLib.Workbench.problem import Problem

    if not isinstance(body, dict):
        raise RequestError("expected a JSON object of settings, got %s" % type(body).__name__)
    unknown = sorted(set(body) - {"formula", "range", "points", "csv", "val", "layers", "activation", "optimizer",
                                  "lr", "batch", "epochs", "seed", "normalize"})
    if unknown:
        raise RequestError("unknown setting(s): %s" % ", ".join(map(str, unknown)))
    layers = body.get("layers", [100])
    if not isinstance(layers, list) or not LIMITS["layers"][0] <= len(layers) <= LIMITS["layers"][1]:
        raise RequestError("layers: expected 1 to %d hidden layer sizes, got %r" % (LIMITS["layers"][1], layers),
                           field="layers")
    for n in layers:
        if isinstance(n, bool) or not isinstance(n, int) or not LIMITS["neurons"][0] <= n <= LIMITS["neurons"][1]:
            raise RequestError("layers: each layer needs 1 to %d neurons, got %r" % (LIMITS["neurons"][1], n),
                               field="layers")
    settings = {"hidden": list(layers), "activation": _choice(body, "activation", "relu", ACTIVATIONS),
                "optimizer": _choice(body, "optimizer", "momentum", sorted(optimizerClasses())),
                "lr": _number(body, "lr", 1e-2, lo=0, hi=10, openLow=True), "epochs": _whole(body, "epochs", 100),
                "batch": _whole(body, "batch", 10), "seed": _whole(body, "seed", 1234),
                "normalize": _choice(body, "normalize", "on", ("on", "off", "auto"))}
    try:
        Settings(**settings)
    except WorkbenchError as e:
        raise RequestError(str(e)) from None

    spec = {"settings": settings, "terms": len(layers) == 1}
    csv, formula = body.get("csv"), body.get("formula")
    if csv is not None and formula not in (None, ""):
        raise RequestError("give a formula or a CSV file, not both", field="formula")
    if csv is not None:
        if not isinstance(csv, str) or not csv.strip():
            raise RequestError("csv: expected the file's text, got an empty file", field="csv")
        size = len(csv.encode("utf-8"))
        if size > MAX_CSV_BYTES:
            raise RequestError("csv: the file has %d bytes; at most %d" % (size, MAX_CSV_BYTES), field="csv")
        rows = csv.count("\n") + (not csv.endswith("\n"))
        if rows > MAX_CSV_ROWS + 1:
            raise RequestError("csv: the file has %d lines; at most %d rows" % (rows, MAX_CSV_ROWS), field="csv")
        val = _number(body, "val", 0.2, lo=0, hi=0.9)
        fd, path = tempfile.mkstemp(prefix="upload-", suffix=".csv", dir=workdir)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(csv)
        try:
            problem = Problem.fromCsv(path, valFraction=val, seed=settings["seed"])
        except DataError as e:
            os.unlink(path)
            raise RequestError("; ".join(line.replace(path + ":", "line ").replace(path, "the CSV file")
                                         for line in e.lines), field="csv") from None
        except WorkbenchError as e:
            os.unlink(path)
            raise RequestError(str(e).replace(path, "the CSV file"), field="csv") from None
        if problem.inputs != 1:
            os.unlink(path)
            raise RequestError("csv: the page draws one input (x, y columns); use the command line for more",
                               field="csv")
        spec.update(source="csv", csvPath=path, val=val)
        spec["public"] = dict(settings, source="csv", val=val)
        return spec

    if not isinstance(formula, str) or not formula.strip():
        raise RequestError("formula: expected a formula in x, e.g. 2*sin(x)+5", field="formula")
    if len(formula) > 500:
        raise RequestError("formula: at most 500 characters, got %d" % len(formula), field="formula")
    try:
        parse(formula)
    except FormulaError as e:
        raise RequestError("bad formula: %s at column %d" % (e.message, e.column + 1), field="formula",
                           column=e.column) from None
    rng = body.get("range", [-3, 3])
    if not isinstance(rng, list) or len(rng) != 2:
        raise RequestError("range: expected [low, high], got %r" % (rng,), field="range")
    lo, hi = (_number({"range": v}, "range", 0) for v in rng)
    points = _whole(body, "points", 1024)
    try:
        problem = Problem.fromFormula(formula, [(lo, hi)], points)
    except WorkbenchError as e:
        raise RequestError(str(e), field="range" if "range" in str(e) else "formula") from None
    if not problem.finite.any():
        raise RequestError("the formula is not finite anywhere on the range", field="formula")
    spec.update(source="formula", formula=formula, range=[lo, hi], points=points)
    spec["public"] = dict(settings, source="formula", formula=formula, range=[lo, hi], points=points)
    return spec


class RunRecord:
    """What the server knows of one run; ``snapshot()`` is what a page connecting late is sent."""

    def __init__(self, runId, spec, outDir):
        self.id, self.spec, self.outDir = runId, spec, outDir
        self.state = "queued"
        self.created = time.time()
        self.problem = None
        self.epochs = []       # per epoch: {epoch, trainError, judgeError}
        self.latest = None     # the last event with curves
        self.notes = []
        self.result = None     # "done" / "error" message
        self.stopEvent = None
        self.process = None

    def summary(self):
        last = self.epochs[-1] if self.epochs else {}
        return {"id": self.id, "state": self.state, "settings": self.spec["public"], "epochsDone": len(self.epochs),
                "judgeError": last.get("judgeError"), "bestError": last.get("bestError"),
                "finalError": (self.result or {}).get("metrics", {}).get("finalError") if self.result else None}

    def snapshot(self):
        return {"type": "snapshot", "run": self.summary(), "problem": self.problem, "epochs": self.epochs,
                "latest": self.latest, "notes": self.notes, "result": self.result}


class RunManager:
    """Queue, processes and watchers. ``publish`` is called (from a reader thread) with
    ``(record, message)`` for every message; the server turns that into pushes to its pages."""

    def __init__(self, maxRunning=2, workdir=None, publish=None):
        if isinstance(maxRunning, bool) or not isinstance(maxRunning, int) or maxRunning < 1:
            raise WorkbenchError("maxRunning: expected a whole number >= 1, got %r" % (maxRunning,))
        self.maxRunning = maxRunning
        self._ownDir = workdir is None
        self.workdir = tempfile.mkdtemp(prefix="puzzlelib-serve-") if workdir is None else workdir
        self.publish = publish or (lambda record, message: None)
        self.runs = {}
        self._order = []
        self._pending = []
        self._running = set()
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._context = multiprocessing.get_context("spawn")
        self._closed = False

    def submit(self, body):
        """Validate ``body`` and queue its run; returns the record (or raises RequestError)."""
        with self._lock:
            if self._closed:
                raise RequestError("the server is shutting down")
            active = sum(1 for r in self.runs.values() if r.state in ("queued", "running"))
            if active >= MAX_RUNS_KEPT:
                raise RequestError("too many runs waiting (%d); stop some first" % active)
        spec = validate(body, self.workdir)
        with self._lock:
            runId = "r%d" % next(self._ids)
            outDir = os.path.join(self.workdir, runId)
            os.makedirs(outDir)
            record = RunRecord(runId, spec, outDir)
            self.runs[runId] = record
            self._order.append(runId)
            self._pending.append(record)
            self._forgetOld()
            self._startWaiting()
        return record

    def _forgetOld(self):
        finished = [i for i in self._order if self.runs[i].state in ("done", "stopped", "error")]
        while len(self._order) > MAX_RUNS_KEPT and finished:
            old = finished.pop(0)
            self._order.remove(old)
            record = self.runs.pop(old)
            shutil.rmtree(record.outDir, ignore_errors=True)

    def list(self):
        with self._lock:
            return [self.runs[i].summary() for i in self._order]

    def queuePosition(self, record):
        with self._lock:
            return self._pending.index(record) + 1 if record in self._pending else 0

    def stop(self, record):
        with self._lock:
            if record.state == "queued":
                self._pending.remove(record)
                record.state = "stopped"
                record.result = {"type": "error", "text": "stopped before it started"}
                self.publish(record, {"type": "state", "state": "stopped", "result": record.result})
            elif record.state == "running":
                record.stopEvent.set()

    def _startWaiting(self):
        while self._pending and len(self._running) < self.maxRunning:
            record = self._pending.pop(0)
            self._running.add(record.id)
            record.state = "running"
            record.stopEvent = self._context.Event()
            events = self._context.Queue()
            from PuzzleLib.Web.worker import runJob
            record.process = self._context.Process(target=runJob, args=(record.spec, record.outDir, events,
                                                                           record.stopEvent), daemon=True)
            record.process.start()
            self.publish(record, {"type": "state", "state": "running"})
            threading.Thread(target=self._read, args=(record, events), daemon=True).start()
        for position, record in enumerate(self._pending):
            self.publish(record, {"type": "state", "state": "queued", "position": position + 1})

    def _read(self, record, events):
        """Move a worker's messages into its record and out to its watchers, until it ends."""
        while True:
            try:
                message = events.get(timeout=0.5)
            except queue.Empty:
                if record.process.is_alive():
                    continue
                try:  # the last messages may still be in the pipe
                    message = events.get(timeout=0.5)
                except queue.Empty:
                    message = {"type": "error", "text": "the run's worker process ended without a word (exit code "
                                                        "%s)" % record.process.exitcode}
            kind = message["type"]
            with self._lock:
                if kind == "problem":
                    record.problem = message
                elif kind == "epoch":
                    record.epochs.append({k: message[k] for k in ("epoch", "trainError", "judgeError", "bestError")})
                    if "prediction" in message:
                        record.latest = message
                elif kind == "note":
                    record.notes.append(message)
                elif kind in ("done", "error"):
                    record.result = message
                    record.state = "error" if kind == "error" else (
                        "stopped" if message.get("interrupted") else "done")
                    message = dict(message, state=record.state)
                self.publish(record, message)
                if kind in ("done", "error"):
                    self._running.discard(record.id)
                    self._startWaiting()
                    break
        record.process.join(timeout=5)
        record.process = None
        if record.spec.get("csvPath"):
            try:
                os.unlink(record.spec["csvPath"])
            except OSError:
                pass

    def close(self):
        """Stop every run, end the workers and remove the files this manager made."""
        with self._lock:
            self._closed = True
            for record in list(self._pending):
                self.stop(record)
            running = [self.runs[i] for i in self._running]
            for record in running:
                record.stopEvent.set()
        deadline = time.time() + 10
        for record in running:
            process = record.process
            if process is not None:
                process.join(timeout=max(0.1, deadline - time.time()))
                if process.is_alive():
                    process.terminate()
        if self._ownDir:
            shutil.rmtree(self.workdir, ignore_errors=True)
