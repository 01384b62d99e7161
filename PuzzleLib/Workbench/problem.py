"""A Problem: what the workbench is asked to restore, from a formula or from a CSV file.

All checking of what a user typed or gave (the formula, the ranges, the data file, the columns)
happens here, before any training; what is refused raises :class:`PuzzleLib.Errors.WorkbenchError`
(or :class:`PuzzleLib.Workbench.csvdata.DataError` for a data file) with one line per problem.
"""
import numpy as np

from PuzzleLib.Errors import WorkbenchError

FLOAT32_MAX = float(np.finfo(np.float32).max)
DEFAULT_POINTS = 1024
DEFAULT_POINTS_2D = 2500  # 50 x 50: sin(x)*cos(y) reaches R2 0.998 (1024 points: 0.985)


class Problem:
    """Inputs ``x`` (N, d) and target ``y`` (N, 1), both float32, with what judges a restoration.

    Rows where the target is not finite are kept (to draw) but left out of training and of every
    error (``finite`` marks the others). ``trainIndex`` and ``valIndex`` are row indices into
    ``x``; for a formula both are every finite grid row (the net is judged on its dense grid, as
    in the tutorial); for data ``valIndex`` is a held-out part, or the training rows themselves
    when no part is held out.

    Build one with :meth:`fromFormula` or :meth:`fromCsv`.
    """

    def __init__(self, x, y, names, kind, expr=None, tree=None, ranges=None, points=None, path=None,
                 valFraction=0.0, targetName="y"):
        self.x = x
        self.y = y
        self.names = list(names)
        self.targetName = targetName
        self.kind = kind
        self.expr = expr
        self.tree = tree
        self.ranges = ranges
        self.points = points
        self.path = path
        self.valFraction = valFraction
        self.gridShape = None  # (rows, columns) of a two-input formula's grid: y along rows, x along columns
        self.notes = []  # (level, text) the front end should say: "warning" always, "note" unless quiet
        self.finite = np.isfinite(y[:, 0])
        self.nonFinite = None
        self._checkFinite()
        rows = np.flatnonzero(self.finite)
        self.trainIndex, self.valIndex = rows, rows

    @property
    def inputs(self):
        """How many input columns (``x.shape[1]``)."""
        return self.x.shape[1]

    @property
    def isData(self):
        return self.kind == "data"

    @property
    def heldOut(self):
        """True when validation rows are held out of training."""
        return self.valFraction > 0 and len(self.valIndex) > 0 and self.valIndex is not self.trainIndex

    def describe(self):
        """A short name for titles: ``y = 2*sin(x)+5`` or the data file's name."""
        import os
        return "y = %s" % self.expr if self.kind == "formula" else os.path.basename(self.path)

    def asDict(self):
        """What metrics.json records about the problem (plain JSON types)."""
        return {
            "kind": self.kind, "expr": self.expr, "data": self.path, "inputs": self.names, "target": self.targetName,
            "ranges": self.ranges, "points": self.points, "rows": int(len(self.x)),
            "trainRows": int(len(self.trainIndex)), "validationRows": int(len(self.valIndex)) if self.heldOut else 0,
            "validationFraction": self.valFraction if self.heldOut else 0.0,
            "xMin": [float(v) for v in self.x.min(axis=0)], "xMax": [float(v) for v in self.x.max(axis=0)],
        }

    # -- building --------------------------------------------------------------------------------

    @classmethod
    def fromFormula(cls, expr, ranges=None, points=None):
        """The grid of ``expr``, a formula in x (or in x and y).

        Parameters
        ----------
        expr : str
            The formula, e.g. ``"2*sin(x)+5"`` or ``"sin(x)*cos(y)"``; parsed, never evaluated as Python.
        ranges : list of (low, high)
            One range per variable, or one for all (default: -3..3).
        points : int
            Grid points in all (at least 2); in x and y, a square grid of about that many
            (default: 1024 in x, 2500 in x and y).

        Example
        -------
        >>> p = Problem.fromFormula("2*sin(x)+5", [(-3, 3)], 5)
        >>> p.x[:, 0].tolist(), p.inputs
        ([-3.0, -1.5, 0.0, 1.5, 3.0], 1)
        >>> Problem.fromFormula("x*y", [(0, 1), (0, 2)], 9).x.tolist()[:4]
        [[0.0, 0.0], [0.5, 0.0], [1.0, 0.0], [0.0, 1.0]]
        """
        from PuzzleLib.Workbench.formula import FormulaError, evaluate, parse, variables

        if not isinstance(expr, str) or not expr.strip():
            raise WorkbenchError("formula: expected a formula in x, e.g. \"2*sin(x)+5\", got %r" % (expr,))
        try:
            tree = parse(expr)
        except FormulaError as e:
            error = WorkbenchError("bad formula: " + e.oneLine())
            error.detail = e.pointer()
            raise error from None
        names = variables(tree)
        if names != ["x", "y"]:
            names = ["x"]  # y alone is a formula in y: still one input, named for what it is
            names = ["y"] if variables(tree) == ["y"] else names
        d = len(names)
        ranges = [(-3.0, 3.0)] if ranges is None else [tuple(float(v) for v in r) for r in ranges]
        if len(ranges) == 1:
            ranges = ranges * d
        if len(ranges) != d:
            raise WorkbenchError("range: the formula has %d variable%s (%s), got %d ranges" % (
                d, "" if d == 1 else "s", ", ".join(names), len(ranges)))
        if points is None:
            points = DEFAULT_POINTS if d == 1 else DEFAULT_POINTS_2D
        points = _wholeNumber("points", points, 2)
        for name, (lo, hi) in zip(names, ranges):
            if not (np.isfinite(lo) and np.isfinite(hi)):
                raise WorkbenchError("range of %s: expected finite numbers, got %g %g" % (name, lo, hi))
            if abs(lo) > FLOAT32_MAX or abs(hi) > FLOAT32_MAX:
                raise WorkbenchError("range of %s: %g %g is too large for float32 (|x| at most %.4g)"
                                     % (name, lo, hi, FLOAT32_MAX))
            if not lo < hi:
                raise WorkbenchError("range of %s needs LOW < HIGH, got %g %g" % (name, lo, hi))
        if d == 1:
            lo, hi = ranges[0]
            x = np.linspace(lo, hi, points, dtype=np.float32).reshape(-1, 1)
            gridShape = None
        else:
            side = max(2, int(round(points ** 0.5)))
            axes = [np.linspace(lo, hi, side, dtype=np.float32) for lo, hi in ranges]
            X, Y = np.meshgrid(axes[0], axes[1])  # x varies fastest along a row
            x = np.stack([X.ravel(), Y.ravel()], axis=1)
            gridShape = (side, side)
            points = side * side
        with np.errstate(all="ignore"):
            y64 = evaluate(tree, {name: x[:, i].astype(np.float64) for i, name in enumerate(names)})
            y = np.asarray(y64, dtype=np.float64).astype(np.float32).reshape(-1, 1)
        problem = cls(x, y, names, "formula", expr=expr, tree=tree, ranges=[list(r) for r in ranges],
                      points=points, targetName="z" if d == 2 else "y")
        problem.gridShape = gridShape
        return problem

    @classmethod
    def fromCsv(cls, path, valFraction=0.0, seed=1234, inputs=None, target=None):
        """Measurements from a CSV file: x,y rows, or several inputs and a target chosen by name
        or column number (``inputs=["a", "b"], target="c"``); a header line is optional.

        ``valFraction`` of the rows (chosen at random with ``seed``, at least one when the
        fraction is above 0) is held out of training to judge the net on; 0 trains and judges on
        every row.
        """
        from PuzzleLib.Workbench.csvdata import readXY

        valFraction = float(valFraction)
        if not 0.0 <= valFraction < 1.0:
            raise WorkbenchError("validation part: expected a fraction in [0, 1), got %g" % valFraction)
        x64, y64, names, targetName = readXY(path, inputs, target)
        tooLarge = np.abs(x64) > FLOAT32_MAX
        if tooLarge.any():
            name = names[int(np.nonzero(tooLarge)[1][0])] if len(names) > 1 else "x"
            raise WorkbenchError("%s: %s = %g is too large for float32 (|x| at most %.4g); rescale %s" % (
                path, name, x64[tooLarge][0], FLOAT32_MAX, name))
        with np.errstate(over="ignore", invalid="ignore"):
            y = y64.astype(np.float32).reshape(-1, 1)
        if len(names) == 1:
            names, targetName = ["x"], "y"  # x,y files keep the tutorial's names
        problem = cls(x64.astype(np.float32), y, names, "data", path=path, valFraction=valFraction,
                      targetName=targetName)
        problem._split(valFraction, seed)
        return problem

    def _checkFinite(self):
        finite = self.finite
        if finite.all():
            return
        x = self.x
        bad = x[~finite, 0].astype(np.float64)
        self.nonFinite = {"count": int(bad.size), "x": [float(v) for v in bad[:20]]}
        shown = ", ".join("%.6g" % v for v in bad[:5]) + (", ..." if bad.size > 5 else "")
        what = "the formula" if self.kind == "formula" else "y"
        if finite.sum() < 2:
            raise WorkbenchError("%s is not finite (or too large for float32) at %d of %d points (x = %s); "
                                 "nothing left to train on" % (what, bad.size, len(x), shown))
        self.notes.append(("warning", "%s is not finite (or too large for float32) at %d of %d points, x = %s; "
                                      "they are left out of training and of the errors" % (what, bad.size, len(x), shown)))

    def _split(self, valFraction, seed):
        rows = np.flatnonzero(self.finite)
        if valFraction <= 0:
            return
        held = max(1, int(round(valFraction * len(rows))))
        if len(rows) - held < 2:
            raise WorkbenchError("%s: %d usable rows are too few to hold out %g of them for validation "
                                 "(at least 2 must be left to train on)" % (self.path, len(rows), valFraction))
        order = np.random.RandomState(seed).permutation(len(rows))
        self.valIndex = np.sort(rows[order[:held]])
        self.trainIndex = np.sort(rows[order[held:]])


def _wholeNumber(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise WorkbenchError("%s: expected a whole number >= %d, got %r" % (name, low, value))
    return int(value)


class Scaling:
    """Standardisation of the inputs and the target for training, folded into the net afterwards.

    Training sees ``x' = (x - xShift) / xScale`` (per input column) and ``y' = (y - yShift) /
    yScale``. :meth:`fold` rewrites the first and last Linear so the net takes x and gives y in the
    data's own units, so model.h5 needs nothing beside it. Off, every method hands its input back.
    """

    def __init__(self, x, y, on):
        self.on = bool(on)
        d = x.shape[1]
        self.xShift, self.xScale = np.zeros(d), np.ones(d)
        self.yShift, self.yScale = 0.0, 1.0
        if self.on:
            x64, y64 = x.astype(np.float64), y.astype(np.float64)
            self.xShift = x64.mean(axis=0)
            self.xScale = x64.std(axis=0)
            self.xScale[self.xScale == 0] = 1.0
            self.yShift = float(y64.mean())
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
        for i in range(W.shape[0]):
            b = b - (self.xShift[i] / self.xScale[i]) * W[i]
        W = W / self.xScale[:, None]
        first.vars["W"].data.set(W.astype(np.float32))
        first.vars["b"].data.set(b.astype(np.float32))
        W = last.vars["W"].data.get().astype(np.float64) * self.yScale
        b = last.vars["b"].data.get().astype(np.float64) * self.yScale + self.yShift
        last.vars["W"].data.set(W.astype(np.float32))
        last.vars["b"].data.set(b.astype(np.float32))

    def describe(self):
        if not self.on:
            return None
        one = len(self.xShift) == 1
        return {"xShift": float(self.xShift[0]) if one else [float(v) for v in self.xShift],
                "xScale": float(self.xScale[0]) if one else [float(v) for v in self.xScale],
                "yShift": self.yShift, "yScale": self.yScale}
