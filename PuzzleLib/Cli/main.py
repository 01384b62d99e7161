"""The ``puzzlelib`` command: ``restore`` a function with a small net, ``predict`` with a saved one.

    puzzlelib restore "2*sin(x)+5"              # the tutorial, in one command
    puzzlelib restore --data measurements.csv   # columns x,y
    puzzlelib predict restore-out/model.h5 -1 0 1.5

Exit status: 0 on success, 2 when the input is refused (a bad formula, a bad data row, a bad
option; one line on stderr, no traceback), 1 when the library fails or training diverged (restore
still writes its files, with a warning), 130 after Ctrl-C (restore still writes its files for the
epochs done).
"""
import argparse
import math
import os
import sys

import numpy as np

from PuzzleLib.Cli._model import loadModel

PROG = "puzzlelib"
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leakyRelu", "elu", "softPlus", "clip")
MAX_POINTS = 10_000_000
MAX_WIDTH = 100_000
FLOAT32_MAX = 3.4028234663852886e38
# --normalize auto, for a formula: beyond this reach of x or of the values the tutorial's settings
# diverge (x**3 on -3..3 does, 10*sin(x) does not), so training runs on standardised data
AUTO_NORMALIZE_REACH = 10.0
_SHIELD = "\x00"  # put in front of arguments that start with '-' but are values (formulas, numbers)


RESTORE_EXAMPLES = """examples:
  puzzlelib restore "2*sin(x)+5"                       standardised, restarts if it diverges, best epoch saved
  puzzlelib restore "2*sin(x)+5" --tutorial            exactly the tutorial: whole-grid error 0.0011098
  puzzlelib restore "sin(x)*cos(y)" --range -3 3 --range -2 2     two inputs: maps of true, restored, error
  puzzlelib restore --data m.csv --val 0.2 --patience 10          x,y rows; 20% held out to judge on
  puzzlelib restore --data m.csv --inputs a,b --target c          several input columns
  puzzlelib restore "-x**2" --layers 64,64 --activation tanh      a formula may start with "-"
"""

MAIN_EXAMPLES = """examples:
  puzzlelib restore "2*sin(x)+5"
  puzzlelib predict restore-out/model.h5 -1 0 2.5
  puzzlelib formula restore-out/model.h5
  puzzlelib restore --help
"""


class _ArgumentParser(argparse.ArgumentParser):
    """argparse, but errors are one line: ``puzzlelib restore: error: ...`` and exit status 2."""

    def error(self, message):
        message = message.replace(_SHIELD, "")
        self.exit(2, "%s: error: %s (see %s --help)\n" % (self.prog, message, self.prog))


def _plain(text):
    return text[1:] if text.startswith(_SHIELD) else text


def _wholeNumber(name, low, high, highText=None):
    """An argparse type: an int in [low, high] (``highText`` spells ``high`` in messages)."""
    def convert(text):
        text = _plain(text)
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError("%s must be a whole number, got %r" % (name, text)) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError("%s must be between %d and %s, got %d" % (
                name, low, highText or high, value))
        return value
    return convert


def _finite(text):
    text = _plain(text)
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number, got %r" % text) from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError("expected a finite number, got %r" % text)
    return value


def _xValue(text):
    """A finite number that float32 can hold (x values go through the net in float32)."""
    value = _finite(text)
    if abs(value) > FLOAT32_MAX:
        raise argparse.ArgumentTypeError("%r is too large for float32 (|x| at most %.4g)" % (_plain(text), FLOAT32_MAX))
    return value


def _positiveFloat(text):
    value = _finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("expected a number > 0, got %r" % _plain(text))
    return value


def _fraction(text):
    value = _finite(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError("expected a fraction in [0, 1), got %r" % _plain(text))
    return value


def _layers(text):
    text = _plain(text)
    parts = [p.strip() for p in text.split(",")]
    if not parts or len(parts) > 16 or any(not p for p in parts):
        raise argparse.ArgumentTypeError("layers must be 1 to 16 sizes separated by commas, e.g. 64,64; got %r" % text)
    convert = _wholeNumber("each layer size", 1, MAX_WIDTH)
    return [convert(p) for p in parts]


def _activation(text):
    text = _plain(text)
    for name in ACTIVATIONS:
        if text.lower() == name.lower():
            return name
    raise argparse.ArgumentTypeError("unknown activation %r; choose one of %s" % (text, ", ".join(ACTIVATIONS)))


def _path(text):
    return _plain(text)


def buildParser():
    parser = _ArgumentParser(prog=PROG, allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter,
                             description="PuzzleLib on the command line: restore a function with a small "
                                         "neural network, or predict with a saved one.", epilog=MAIN_EXAMPLES)
    from PuzzleLib import __version__
    parser.add_argument("--version", action="version", version="puzzlelib %s" % __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    restore = sub.add_parser(
        "restore", allow_abbrev=False, help="train a net on a formula in x (and y) or on measurements, and report",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a small net to restore y = EXPR(x) (or z = EXPR(x, y)) on a grid, or a column of\n"
                    "--data from the others, then write restore.png, metrics.json and model.h5 into --out.\n"
                    "EXPR may use numbers, x, y, + - * / **, parentheses, pi, e and sin cos tan exp log sqrt\n"
                    "abs tanh sinh cosh arcsin arccos arctan; nothing else.",
        epilog=RESTORE_EXAMPLES)
    restore.add_argument("expr", nargs="?", metavar="EXPR", type=_path, help="the formula in x, e.g. \"2*sin(x)+5\"")
    restore.add_argument("--data", metavar="FILE.csv", type=_path,
                         help="restore measurements instead: columns x,y (a header line is optional)")
    restore.add_argument("--inputs", metavar="A,B,...", type=_path, default=None,
                         help="with --data: the input columns, by header name or column number from 1")
    restore.add_argument("--target", metavar="C", type=_path, default=None,
                         help="with --data: the column to restore (default: the one column left)")
    restore.add_argument("--range", nargs=2, type=_xValue, metavar=("LOW", "HIGH"), action="append", default=None,
                         help="range of the grid (default: -3 3); give it once per variable (x, then y) "
                              "for different ones")
    restore.add_argument("--points", type=_wholeNumber("points", 2, MAX_POINTS), default=None,
                         help="grid points (default: 1024; for a formula in x and y 2500, a 50 x 50 grid)")
    width = restore.add_mutually_exclusive_group()
    width.add_argument("--neurons", type=_wholeNumber("neurons", 1, MAX_WIDTH), default=100,
                       help="hidden neurons, one hidden layer (default: 100)")
    width.add_argument("--layers", type=_layers, metavar="N,N,...",
                       help="hidden layer sizes for a deeper net, e.g. 64,64")
    restore.add_argument("--activation", type=_activation, default="relu", metavar="NAME",
                         help="one of %s (default: relu)" % ", ".join(ACTIVATIONS))
    restore.add_argument("--optimizer", default="momentum", metavar="NAME", type=_path,
                         help="sgd, momentum, or any optimizer PuzzleLib.Optimizers has, by its lowercase "
                              "class name (default: momentum)")
    restore.add_argument("--lr", type=_positiveFloat, default=1e-2, help="learning rate (default: 1e-2)")
    restore.add_argument("--epochs", type=_wholeNumber("epochs", 0, 10_000_000), default=100,
                         help="passes over the data (default: 100)")
    restore.add_argument("--batch", type=_wholeNumber("batch", 1, MAX_POINTS), default=10,
                         help="batch size (default: 10)")
    restore.add_argument("--seed", type=_wholeNumber("seed", 0, 2 ** 32 - 1, "2**32 - 1"), default=1234,
                         help="np.random seed (default: 1234)")
    restore.add_argument("--backend", choices=("cpu", "cuda", "auto"), default=None,
                         help="array backend (default: PUZZLELIB_BACKEND, else auto)")
    restore.add_argument("--out", default="restore-out", metavar="DIR", type=_path,
                         help="folder for restore.png, metrics.json, model.h5 (default: restore-out)")
    restore.add_argument("--compare-scratch", action="store_true",
                         help="also train the tutorial's hand-made numpy net (same start, same batches, "
                              "plain gradient descent) and draw it beside")
    restore.add_argument("--normalize", choices=("auto", "on", "off"), default=None,
                         help="train on standardised x and y (folded back into model.h5 afterwards); "
                              "auto: on for --data, and for a formula when x or its values reach beyond "
                              "+-%g (default: on; off with --tutorial)" % AUTO_NORMALIZE_REACH)
    restore.add_argument("--tutorial", action="store_true",
                         help="train exactly as the PuzzleLib tutorial does: no standardising, no restart "
                              "after a divergence, the last epoch's net saved (2*sin(x)+5 ends at 0.0011098)")
    restore.add_argument("--val", type=_fraction, default=None, metavar="FRACTION",
                         help="with --data: the part of the rows held out of training to judge the net on "
                              "(default: 0.2; 0 judges on the training rows)")
    restore.add_argument("--ensemble", type=_wholeNumber("ensemble", 1, 100), default=1, metavar="K",
                         help="train K nets (seeds SEED..SEED+K-1) and draw their mean with the band of their "
                              "spread; model.h5 is the one with the lowest error (default: 1)")
    restore.add_argument("--patience", type=_wholeNumber("patience", 1, 10_000_000), default=None, metavar="N",
                         help="stop when the judged error has not improved for N epochs")
    restore.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")

    predict = sub.add_parser("predict", allow_abbrev=False, help="print a saved net's predictions",
                             description="Load a model file written by restore (or any net saved with "
                                         "withBlueprint=True taking one input column) and print x,y lines.")
    predict.add_argument("model", metavar="MODEL.h5", type=_path)
    predict.add_argument("x", nargs="*", metavar="X", type=_point,
                         help="x values; for a net of several inputs one a,b,c per point")
    predict.add_argument("--x-file", metavar="FILE", type=_path,
                         help="points, one per line (one column per input; with one input a second is ignored)")
    predict.add_argument("--backend", choices=("cpu", "cuda", "auto"), default=None,
                         help="array backend (default: PUZZLELIB_BACKEND, else auto)")
    from PuzzleLib.Cli import export, serve
    export.addParser(sub, _path)
    formula = sub.add_parser("formula", allow_abbrev=False,
                             help="print what a one-input ReLU net computes as a piecewise-linear function",
                             description="Write a one-input net of Linear layers and relu / leakyRelu / clip "
                                         "activations (such as restore's model.h5) as an exact piecewise-linear "
                                         "function: its break points and the line on each piece, checked "
                                         "against the net. Other nets are refused, saying why.",
                             epilog="Example: puzzlelib formula restore-out/model.h5")
    formula.add_argument("model", metavar="MODEL.h5", type=_path)
    formula.add_argument("--digits", type=_wholeNumber("digits", 1, 17), default=6,
                         help="significant digits printed (default: 6)")
    formula.add_argument("--backend", choices=("cpu", "cuda", "auto"), default=None,
                         help="array backend (default: PUZZLELIB_BACKEND, else auto)")
    serve.addParser(sub)
    return parser


def _shield(argv, parser):
    """Mark single-dash arguments that are not options (``-x**2``, ``-1e-3``) so argparse takes
    them as values."""
    known = set()
    for action in parser._actions:
        known.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                for subAction in sub._actions:
                    known.update(subAction.option_strings)
    out = []
    for i, arg in enumerate(argv):
        if arg == "--":
            out.extend(argv[i:])
            break
        if len(arg) > 1 and arg[0] == "-" and arg[1] != "-" and arg not in known:
            arg = _SHIELD + arg
        out.append(arg)
    return out


class _Config:
    """What ``restore`` was asked to do (the parsed options, checked)."""

    def __init__(self, args, tree):
        self.expr = args.expr
        self.tree = tree
        self.data = args.data
        # the grid is the formula's; with --data the x values come from the file
        ranges = [list(r) for r in args.range] if args.range else [[-3.0, 3.0]]
        self.ranges = ranges if args.data is None else None
        self.range = (ranges[0] if len(ranges) == 1 else ranges) if args.data is None else None
        self.points = args.points if args.data is None else None
        self.hidden = list(args.layers) if args.layers else [args.neurons]
        self.activation = args.activation
        self.optimizer = args.optimizer
        self.lr = args.lr
        self.epochs = args.epochs
        self.batch = args.batch
        self.seed = args.seed
        self.backend = args.backend
        self.out = args.out
        self.quiet = args.quiet
        self.compare_scratch = args.compare_scratch
        self.tutorial = args.tutorial
        self.normalizeMode = args.normalize or ("off" if args.tutorial else "on")
        # auto is settled by the run once the values are known
        self.normalize = self.normalizeMode == "on"
        self.val = (0.2 if args.val is None else args.val) if args.data is not None else None
        self.patience = args.patience
        self.inputs = [v.strip() for v in args.inputs.split(",")] if args.inputs else None
        self.target = args.target
        self.ensemble = args.ensemble

    def asDict(self):
        return {
            "expr": self.expr, "data": self.data, "range": self.range, "points": self.points,
            "hidden": self.hidden, "activation": self.activation, "optimizer": self.optimizer, "lr": self.lr,
            "epochs": self.epochs, "batch": self.batch, "seed": self.seed, "backend": self.backend,
            "macroBatchSize": 1000, "out": self.out, "compareScratch": self.compare_scratch,
            "normalize": self.normalize, "tutorial": self.tutorial, "val": self.val, "patience": self.patience,
            "inputs": self.inputs, "target": self.target, "ensemble": self.ensemble,
        }


def _chooseBackend(name):
    if name is None:
        return
    from PuzzleLib import Config
    from PuzzleLib.Cli.restore import UsageError

    loaded = sys.modules.get("PuzzleLib.Backend.gpuarray")
    if loaded is not None:
        if name != "auto" and loaded.backendName != name:
            raise UsageError("--backend %s: the %s backend is already in use in this process" % (name, loaded.backendName))
        return
    Config.backend = Config.Backend(name)


def _restore(args, prog):
    from PuzzleLib.Cli.restore import UsageError

    if (args.expr is None) == (args.data is None):
        raise UsageError("give a formula EXPR or --data FILE.csv (exactly one)")
    gridOptions = [name for name in ("--range", "--points") if name in getattr(args, "given", ())]
    if args.data is not None and gridOptions:
        raise UsageError("%s set%s the formula's grid; with --data the x values come from the file" % (
            " and ".join(gridOptions), "" if len(gridOptions) > 1 else "s"))
    tree = None  # the formula is parsed (and refused) by the Problem
    if args.tutorial and args.normalize is not None:
        raise UsageError("--tutorial trains on the values as they are; leave out --normalize %s" % args.normalize)
    if (args.inputs is not None or args.target is not None) and args.data is None:
        raise UsageError("--inputs and --target choose columns of --data; a formula's inputs are x and y")
    if args.val is not None and args.data is None:
        raise UsageError("--val holds out rows of --data; a formula is judged on its whole grid")
    for lo, hi in args.range or ():
        if not lo < hi:
            raise UsageError("--range needs LOW < HIGH, got %g %g" % (lo, hi))
    if not args.out:
        raise UsageError("--out needs a folder name, got an empty one")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UsageError("--out %s exists and is not a folder" % args.out)
    cfg = _Config(args, tree)

    def say(message, always=False):
        if always or not cfg.quiet:
            print("%s: %s" % (prog, message), file=sys.stderr, flush=True)

    from PuzzleLib import Config
    logger = Config.getLogger()
    level = logger.level
    if cfg.quiet:
        logger.setLevel("WARNING")
    try:
        _chooseBackend(args.backend)
        from PuzzleLib.Cli.restore import run
        metrics, interrupted = run(cfg, say)
    finally:
        logger.setLevel(level)

    if not cfg.quiet:
        out = cfg.out
        _summary(cfg, metrics)
        rate = metrics["samplesPerSecond"]
        print("%d epoch%s in %.2f s of training (%s samples/s), %.2f s in all" % (
            metrics["epochsDone"], "" if metrics["epochsDone"] == 1 else "s", metrics["trainSeconds"],
            "%.0f" % rate if rate else "-", metrics["wallSeconds"]))
        if "scratch" in metrics:
            print("hand-made numpy net, same %d steps with plain gradient descent: %s error %s" % (
                metrics["scratch"]["steps"], "all-data" if cfg.data is not None else "whole-grid",
                _fmt(metrics["scratch"]["finalError"])))
        print("wrote %s, %s, %s" % tuple(os.path.join(out, f) for f in ("restore.png", "metrics.json", "model.h5")))
    if interrupted:
        return 130
    return 1 if metrics["diverged"] else 0


def _fmt(value, spec="%.5g"):
    return spec % value if value is not None and math.isfinite(value) else "n/a"


def _at(where):
    if where is None:
        return "n/a"
    if not isinstance(where, list):
        where = [where]
    return ", ".join(_fmt(v) for v in where)


def _summary(cfg, metrics):
    """The lines ``restore`` prints: the judged error with relative figures, and which net was saved."""
    judged = {"validation": "validation", "grid": "whole-grid", "all data": "all-data"}[metrics["judgedOn"]]
    worst = "n/a" if metrics["maxAbsError"] is None else "%s at %s = %s" % (
        _fmt(metrics["maxAbsError"], "%.3g"), ",".join(metrics["problem"]["inputs"]), _at(metrics["maxAbsErrorAt"]))
    print("%s error %s (R2 %s, RMSE/std(y) %s; before training %s); max |error| %s" % (
        judged, _fmt(metrics["finalError"]), _fmt(metrics["r2"]), _fmt(metrics["relativeRmse"], "%.3g"),
        _fmt(metrics["initialError"], "%.4g"), worst))
    if metrics["validation"] is not None:
        problem = metrics["problem"]
        print("validation: %d of %d rows held out (%.0f%%); training error %s" % (
            problem["validationRows"], problem["validationRows"] + problem["trainRows"],
            100 * problem["validationFraction"], _fmt(metrics["training"]["error"])))
    saved = metrics["savedEpoch"]
    best = "n/a" if metrics["bestEpoch"] is None else "%s at epoch %d" % (_fmt(metrics["bestError"]),
                                                                         metrics["bestEpoch"])
    if metrics["epochsDone"] == 0 and not metrics["steps"]:
        which = "the untrained net (no epoch was run)"
    elif saved is None:
        which = "the net as it was when stopped (part of an epoch)"
    elif metrics["config"].get("tutorial") or saved == metrics["epochsDone"]:
        which = "the last epoch's net (epoch %d)" % saved
    else:
        which = "the best epoch's net (epoch %d; the last, %d, had %s)" % (
            saved, metrics["epochsDone"], _fmt(metrics["lastEpochError"]))
    print("model.h5 holds %s; best %s%s" % (which, best, "; stopped early (--patience)" if metrics["stoppedEarly"] else ""))
    ens = metrics.get("ensemble")
    if ens:
        print("ensemble of %d nets (seeds %d..%d): the mean net's error %s (R2 %s); spread (std) %s on average, "
              "%s at most; model.h5 is seed %d's, the lowest" % (
                  ens["k"], ens["seeds"][0], ens["seeds"][-1], _fmt(ens["meanNetError"]), _fmt(ens["meanNetR2"]),
                  _fmt(ens["spreadMean"], "%.3g"), _fmt(ens["spreadMax"], "%.3g"), ens["savedSeed"]))


def _point(text):
    """A point for predict: one number, or several separated by commas (one per input)."""
    text = _plain(text)
    values = []
    for part in text.split(","):
        try:
            values.append(_xValue(part.strip()))
        except argparse.ArgumentTypeError as e:
            raise argparse.ArgumentTypeError(str(e) if "," not in text else "%s in %r" % (e, text)) from None
    return tuple(values)


def _inputCount(net):
    from PuzzleLib.Modules import Linear
    for mod in getattr(net, "graph", [net]):
        if isinstance(mod, Linear):
            return int(mod.vars["W"].data.shape[0])
    return None


def _predict(args, prog):
    import numpy as np

    from PuzzleLib.Cli.restore import UsageError

    if not args.x and args.x_file is None:
        raise UsageError("no x values: give them after the model file (a,b,c per point for several inputs), "
                         "or --x-file FILE")
    if not os.path.isfile(args.model):
        loadModel(args.model, UsageError)  # says why, on one line
    _chooseBackend(args.backend)
    from PuzzleLib.Backend.gpuarray import to_gpu
    from PuzzleLib.Errors import PuzzleLibError
    from PuzzleLib.Workbench.files import readRecord

    net = loadModel(args.model, UsageError)
    record = readRecord(args.model) or {}
    d = _inputCount(net) or 1
    names = record.get("inputs") if isinstance(record.get("inputs"), list) and len(record["inputs"]) == d else \
        (["x"] if d == 1 else ["x%d" % (i + 1) for i in range(d)])

    points = []
    for point in args.x:
        if len(point) != d:
            raise UsageError("%s takes %d value%s per point (%s), got %d: %s" % (
                args.model, d, "" if d == 1 else "s", ",".join(names), len(point), ",".join("%g" % v for v in point)))
        points.append(point)
    if args.x_file is not None:
        from PuzzleLib.Workbench.csvdata import readX
        fromFile = readX(args.x_file, d)
        tooLarge = np.abs(fromFile) > FLOAT32_MAX
        if tooLarge.any():
            raise UsageError("%s: x = %g is too large for float32 (|x| at most %.4g)" % (
                args.x_file, fromFile[tooLarge][0], FLOAT32_MAX))
        points.extend(tuple(float(v) for v in row) for row in fromFile)

    x = np.array(points, dtype=np.float32).reshape(-1, d)
    net.evalMode()
    try:
        pred = net(to_gpu(x)).get()
    except PuzzleLibError as e:
        raise UsageError("%s does not take %d value%s per row: %s" % (args.model, d, "" if d == 1 else "s", e)) from None
    pred = pred.reshape(len(x), -1)
    _warnOutside(prog, record, names, np.array(points, dtype=np.float64).reshape(-1, d))
    target = record.get("target") if isinstance(record.get("target"), str) else "y"
    header = names + ([target] if pred.shape[1] == 1 else ["%s%d" % (target, i) for i in range(pred.shape[1])])
    lines = [",".join(header)]
    for point, row in zip(points, pred):
        lines.append(",".join(["%.8g" % v for v in point] + ["%.8g" % v for v in row]))
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _warnOutside(prog, record, names, x):
    """One warning line when points lie outside the range each input was trained on."""
    lo, hi = record.get("trainedMin"), record.get("trainedMax")
    if not (isinstance(lo, list) and isinstance(hi, list) and len(lo) == len(hi) == x.shape[1]):
        return
    try:
        lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    except (TypeError, ValueError):
        return
    outside = ((x < lo) | (x > hi)).any(axis=1)
    if not outside.any():
        return
    shown = "; ".join(",".join("%g" % v for v in row) for row in x[outside][:5]) + ("; ..." if outside.sum() > 5 else "")
    ranges = ", ".join("%s in %g..%g" % (n, a, b) for n, a, b in zip(names, lo, hi))
    print("%s: warning: %d of %d point%s outside the range the model was trained on (%s): %s; the net "
          "extrapolates there and its answer may be far off" % (
              prog, int(outside.sum()), len(x), " lies" if len(x) == 1 else "s lie", ranges, shown),
          file=sys.stderr)


def _formula(args, prog):
    """``puzzlelib formula MODEL.h5``: the net written out as a piecewise-linear function."""
    from PuzzleLib.Cli.restore import UsageError

    if not os.path.isfile(args.model):
        loadModel(args.model, UsageError)  # says why, on one line
    _chooseBackend(args.backend)
    from PuzzleLib.Errors import WorkbenchError
    from PuzzleLib.Workbench.engine import predict
    from PuzzleLib.Workbench.files import readRecord
    from PuzzleLib.Workbench.metrics import evaluatePieces, piecewiseLinear

    net = loadModel(args.model, UsageError)
    try:
        pieces = piecewiseLinear(net)
    except WorkbenchError as e:
        raise UsageError("%s cannot be written as a piecewise-linear function: %s" % (args.model, e)) from None
    record = readRecord(args.model) or {}
    lo, hi = record.get("trainedMin"), record.get("trainedMax")
    trained = (float(lo[0]), float(hi[0])) if isinstance(lo, list) and isinstance(hi, list) and len(lo) == 1 else None
    names = record.get("inputs") or ["x"]
    x, yname = names[0], record.get("target") or "y"

    # check against the net: every break point, the middle of every piece, and a grid over the span
    breaks = [p[1] for p in pieces[:-1]]
    span = (min(breaks + [trained[0] if trained else -1.0]), max(breaks + [trained[1] if trained else 1.0]))
    width = span[1] - span[0] or 1.0
    points = np.concatenate([np.array(breaks, dtype=np.float64),
                             [0.5 * (p[0] + p[1]) for p in pieces[1:-1]],
                             np.linspace(span[0] - 0.1 * width, span[1] + 0.1 * width, 4001)])
    points = points.astype(np.float32).astype(np.float64)
    exact = evaluatePieces(pieces, points)
    with np.errstate(all="ignore"):
        netValues = predict(net, points.astype(np.float32).reshape(-1, 1))[:, 0].astype(np.float64)
    scale = max(1.0, float(np.max(np.abs(exact))) if exact.size else 1.0)
    diff = float(np.max(np.abs(exact - netValues))) if exact.size else 0.0
    if not np.isfinite(diff) or diff > 1e-4 * scale:
        print("%s: error: the pieces do not match the net (max |difference| %.3g at the checked points); not "
              "printed" % (prog, diff), file=sys.stderr)
        return 1
    what = "y = %s" % record["expr"] if record.get("expr") else (os.path.basename(record["data"]) if record.get("data")
                                                                 else "a saved net")
    print("# %s (%s%s): piecewise linear in %d piece%s, %d break point%s; exact in float64, checked against the "
          "net at %d points: max |difference| %.2g (float32 rounding)" % (
              args.model, what, ", trained on %s in %g..%g" % (x, trained[0], trained[1]) if trained else "",
              len(pieces), "" if len(pieces) == 1 else "s", len(breaks), "" if len(breaks) == 1 else "s",
              points.size, diff))
    spec = "%%.%dg" % args.digits
    for low, high, slope, intercept in pieces:
        if np.isinf(low) and np.isinf(high):
            where = "all %s" % x
        elif np.isinf(low):
            where = "%s <= %s" % (x, spec % high)
        elif np.isinf(high):
            where = "%s >= %s" % (x, spec % low)
        else:
            where = "%s <= %s <= %s" % (spec % low, x, spec % high)
        outside = trained is not None and (high < trained[0] or low > trained[1])
        print("%s: %s = %s*%s %s %s%s" % (where, yname, spec % slope, x, "-" if intercept < 0 else "+",
                                          spec % abs(intercept), "   (outside the trained range)" if outside else ""))
    return 0


def _unrecognized(parser, args, extra):
    """Unknown arguments: the subcommand's own one-line error, suggesting the closest option."""
    import difflib

    target = parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and args.command in action.choices:
            target = action.choices[args.command]
    options = [o for a in target._actions for o in a.option_strings if o.startswith("--")]
    hints = []
    for arg in extra:
        if arg.startswith("-"):
            close = difflib.get_close_matches(arg.split("=", 1)[0], options, n=1, cutoff=0.6)
            if close:
                hints.append("did you mean %s?" % close[0])
    target.error("unrecognized arguments: %s%s" % (" ".join(extra), "; " + " ".join(hints) if hints else ""))


def main(argv=None):
    """Run the command line; returns the exit status (the console script exits with it)."""
    parser = buildParser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args, extra = parser.parse_known_args(_shield(argv, parser))
    if extra:
        _unrecognized(parser, args, [a.replace(_SHIELD, "") for a in extra])
    # the options given (``--points 5`` or ``--points=5``), to tell them from defaults
    args.given = {a.split("=", 1)[0] for a in (argv[:argv.index("--")] if "--" in argv else argv)}
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    prog = "%s %s" % (PROG, args.command)
    if args.backend is not None and "PuzzleLib.Config" not in sys.modules:
        # --backend wins over PUZZLELIB_BACKEND, which Config reads (and checks) when first imported
        os.environ["PUZZLELIB_BACKEND"] = args.backend

    from PuzzleLib.Workbench.csvdata import DataError
    from PuzzleLib.Cli.restore import UsageError
    from PuzzleLib.Errors import PuzzleLibError, WorkbenchError

    try:
        if args.command == "restore":
            return _restore(args, prog)
        if args.command == "serve":
            from PuzzleLib.Cli import serve
            return serve.run(args, prog, UsageError)
        if args.command == "export":
            from PuzzleLib.Cli import export
            _chooseBackend(args.backend)
            return export.run(args, prog, UsageError)
        if args.command == "formula":
            return _formula(args, prog)
        return _predict(args, prog)
    except (UsageError, WorkbenchError) as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        for line in getattr(e, "detail", ()):  # a formula and a caret under the place
            print("    " + line, file=sys.stderr)
        return 2
    except DataError as e:
        for line in e.lines:
            print("%s: error: %s" % (prog, line), file=sys.stderr)
        return 2
    except PuzzleLibError as e:
        from PuzzleLib.Errors import BackendError
        if isinstance(e, BackendError) and getattr(args, "backend", None) == "cuda":
            print("%s: error: --backend cuda: CuPy could not be imported or sees no GPU; install it with pip "
                  "install 'puzzlelib[cuda12]' (or [cuda13]), or use --backend cpu" % prog, file=sys.stderr)
            return 2
        print("%s: error: %s: %s" % (prog, type(e).__name__, e), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("%s: interrupted" % prog, file=sys.stderr)
        return 130
    except MemoryError as e:
        print("%s: error: out of memory (%s); try fewer --points or a smaller net" % (prog, e), file=sys.stderr)
        return 1
