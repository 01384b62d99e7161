"""restore.png: the tutorial's before/after panels, the error per epoch, where the error lies, and
(for one hidden layer) what each hidden neuron contributes across x."""
import numpy as np

TRUE_STYLE = {"linewidth": 5, "color": "black", "antialiased": True, "label": "True values"}
MAX_NEURONS_DRAWN = 2000
PRED_STYLE = {"linewidth": 2, "color": "orange", "antialiased": True}


def _truth(ax, x, y, finite, isData):
    if isData:
        ax.plot(x[finite], y[finite], "o", color="black", markersize=3, label="Measured values")
    else:
        shown = np.where(finite, y, np.nan)
        ax.plot(x, shown, **TRUE_STYLE)


def _count(n, many, one):
    """``1 bend``, ``8 bends``."""
    return "%d %s" % (n, one if n == 1 else many)


def _fmt(value, spec="%.3g"):
    return spec % value if value is not None and np.isfinite(value) else "n/a"


def _predPanel(ax, x, y, finite, pred, label, title, isData, color="orange"):
    _truth(ax, x, y, finite, isData)
    ax.plot(x, pred, **dict(PRED_STYLE, color=color, label=label))
    ax.set_title(title)
    if not np.isfinite(pred).all():
        ax.text(0.5, 0.5, "some predictions are not finite (nan/inf)", ha="center", va="center", transform=ax.transAxes,
                color="tab:red", bbox={"facecolor": "white", "edgecolor": "tab:red", "alpha": 0.9})
    ax.set_xlabel("x")
    ax.legend(loc="best", fontsize=9)
    # keep the true curve in view even when the untrained net's outputs are far off
    bottom, ceiling = _yLimits(y[finite], pred)
    pad = 0.06 * (ceiling - bottom)
    ax.set_ylim(bottom - pad, ceiling + pad)


def _yLimits(ys, pred):
    """(bottom, top) showing the true values and as much of ``pred`` as fits within four spans of
    them. A (nearly) constant function is measured against its size (or 1 for zero), so its panel
    is not a window of rounding noise, and shows at least a tenth of that around it."""
    lo, hi = float(np.min(ys)), float(np.max(ys))
    shownPred = pred[np.isfinite(pred)]
    plo, phi = (float(shownPred.min()), float(shownPred.max())) if shownPred.size else (lo, hi)
    span = hi - lo
    constant = not span > 1e-3 * max(abs(lo), abs(hi))
    if constant:
        span = max(abs(lo), abs(hi)) or 1.0
    bottom = max(min(lo, plo), lo - 4 * span)
    ceiling = min(max(hi, phi), hi + 4 * span)
    if constant and ceiling - bottom < 0.1 * span:
        middle = 0.5 * (lo + hi)
        bottom, ceiling = min(bottom, middle - 0.05 * span), max(ceiling, middle + 0.05 * span)
    return bottom, ceiling


def drawRestore(path, cfg, x, y, finite, before, after, metrics, contributions=None, firstLayer=None,
                scratch=None, extension=None, ensemble=None):
    """Draw the workbench's figure (before/after, error per epoch, error along x, neuron terms) to ``path``."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.gridspec import GridSpec
    from matplotlib.ticker import MaxNLocator

    if contributions is not None and not np.isfinite(contributions).all():
        contributions = None  # a diverged net: nothing to say about its neurons
    isData = cfg.data is not None
    top = 3 if scratch is not None else 2
    rows = 3 if contributions is not None else 2
    title = _title(cfg, metrics, width=55 * top)
    fig = plt.figure(figsize=(5.6 * top, 4.4 * rows + 0.6))
    # fixed margins: tight_layout costs a second per figure here
    lower = 0.025 * title.count("\n") * (3 / rows)  # room for a second title line
    grid = GridSpec(rows, top * 2, figure=fig, left=0.055, right=0.975, bottom=0.06 if rows == 2 else 0.045,
                    top=(0.91 if rows == 2 else 0.93) - lower, hspace=0.42, wspace=0.5)

    epochs = metrics["epochsDone"]
    ax = fig.add_subplot(grid[0, 0:2])
    _predPanel(ax, x, y, finite, before, "Net results before training",
               "before training: error %s" % _fmt(metrics["initialError"]), isData)
    ax = fig.add_subplot(grid[0, 2:4])
    stopped = " (interrupted)" if metrics["interrupted"] else ""
    _predPanel(ax, x, y, finite, after, "Net results after training",
               "PuzzleLib, %d epoch%s%s: error %s" % (epochs, "" if epochs == 1 else "s", stopped,
                                                      _fmt(metrics["finalError"])), isData)
    if ensemble is not None:
        _ensembleBand(ax, x, ensemble)
    if extension is not None:
        _extensionPanel(ax, extension, x, y, finite, after)
        if ensemble is not None and "left" in ensemble:
            for side in ("left", "right"):
                ax.fill_between(extension[side][0], ensemble[side][0], ensemble[side][1], color="tab:orange",
                                alpha=0.3, linewidth=0)
    if scratch is not None:
        ax = fig.add_subplot(grid[0, 4:6])
        _predPanel(ax, x, y, finite, scratch["pred"][:, 0], "Hand-made numpy net after training",
                   "hand-made net, plain SGD, %d steps: error %s" % (scratch["steps"], _fmt(scratch["error"])),
                   isData, color="tab:blue")

    # error per epoch, log scale
    _epochPanel(fig.add_subplot(grid[1, 0:top]), metrics, isData)

    # where the error lies
    ax = fig.add_subplot(grid[1, top:2 * top])
    absErr = np.abs(after.astype(np.float64) - y.astype(np.float64))
    absErr = np.where(finite, absErr, np.nan)
    finiteErr = absErr[np.isfinite(absErr)]
    floor = max(float(finiteErr.max()) * 1e-6, 1e-12) if finiteErr.size else 1e-12
    if not finiteErr.size:
        ax.text(0.5, 0.5, "no finite error: the net's predictions are not finite", ha="center", va="center",
                transform=ax.transAxes, color="tab:red")
        if x.max() > x.min():
            ax.set_xlim(float(x.min()), float(x.max()))
    ax.semilogy(x, np.maximum(absErr, floor), color="orange", linewidth=1.5, label="PuzzleLib net")
    if scratch is not None:
        sErr = np.where(finite, np.abs(scratch["pred"][:, 0] - y.astype(np.float64)), np.nan)
        ax.semilogy(x, np.maximum(sErr, floor), color="tab:blue", linewidth=1, alpha=0.8, label="hand-made net")
    if metrics["maxAbsError"] is not None:
        ax.semilogy([metrics["maxAbsErrorAt"]], [max(metrics["maxAbsError"], floor)], "v", color="black",
                    markersize=8, label="max %.3g at x = %.4g" % (metrics["maxAbsError"], metrics["maxAbsErrorAt"]))
    ax.set_title("absolute error |prediction - %s| across x (log scale)" % ("data" if isData else "true"))
    ax.set_xlabel("x")
    ax.legend(loc="best", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)

    if contributions is not None:
        _drawNeurons(fig, grid, top, x, contributions, firstLayer, cfg)

    fig.suptitle(title, fontsize=13)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _ensembleBand(ax, x, ensemble):
    """K nets' predictions: their mean and the band between the lowest and the highest."""
    ax.fill_between(x, ensemble["low"], ensemble["high"], color="tab:orange", alpha=0.3, linewidth=0,
                    label="spread of %d nets (lowest to highest)" % ensemble["k"])
    ax.plot(x, ensemble["mean"], color="tab:brown", linewidth=1.5, linestyle="--",
            label="mean of %d nets" % ensemble["k"])
    ax.legend(loc="best", fontsize=8)


def _extensionPanel(ax, ext, x, y, finite, after):
    """Past the trained range on both sides: the net's predictions (dashed) and, for a formula,
    the true values, over a shaded band, so that extrapolation shows as what it is."""
    lo, hi = ext["low"], ext["high"]
    for side in ("left", "right"):
        xs, pred, true = ext[side]
        if true is not None:
            ax.plot(xs, np.where(np.isfinite(true), true, np.nan), color="black", linewidth=1.5, alpha=0.6)
        ax.plot(xs, pred, color="orange", linewidth=2, linestyle="--")
    ax.axvspan(ext["left"][0][0], lo, color="0.85", zorder=0, label="extrapolation (outside the trained range)")
    ax.axvspan(hi, ext["right"][0][-1], color="0.85", zorder=0)
    ax.set_xlim(ext["left"][0][0], ext["right"][0][-1])
    shownTrue = np.concatenate([y[finite]] + [t[np.isfinite(t)] for t in (ext["left"][2], ext["right"][2])
                                               if t is not None])
    shownPred = np.concatenate([after, ext["left"][1], ext["right"][1]])
    bottom, ceiling = _yLimits(shownTrue, shownPred)
    pad = 0.06 * (ceiling - bottom)
    ax.set_ylim(bottom - pad, ceiling + pad)
    ax.legend(loc="best", fontsize=8)


def _epochPanel(ax, metrics, isData):
    """The judged error and the training error per epoch, log scale, the saved epoch marked."""
    from matplotlib.ticker import MaxNLocator

    judged = {"validation": "validation rows", "grid": "whole grid", "all data": "all data points"}.get(
        metrics.get("judgedOn"), "all data points" if isData else "whole grid")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    perEpoch = np.array(metrics["errorPerEpoch"], dtype=np.float64)
    if perEpoch.size and not np.isfinite(perEpoch).any():
        ax.text(0.5, 0.5, "training diverged: the error is not finite after epoch %d" % perEpoch.size, ha="center",
                va="center", transform=ax.transAxes, color="tab:red")
    elif perEpoch.size:
        ep = np.arange(1, len(metrics["errorPerEpoch"]) + 1)
        dots = "o" if len(ep) == 1 else None  # one epoch: a line of one point would not show
        ax.semilogy(ep, metrics["errorPerEpoch"], color="tab:red", linewidth=2, marker=dots,
                    label="%s (after the epoch)" % judged)
        ax.semilogy(ep, metrics["trainingErrorPerEpoch"], color="tab:gray", linewidth=1, marker=dots,
                    label="training (mean over the epoch's batches)")
        best = metrics["bestEpoch"]
        if best and best <= len(ep) and np.isfinite(metrics["errorPerEpoch"][best - 1]):
            ax.semilogy([best], [metrics["errorPerEpoch"][best - 1]], "v", color="tab:red", markersize=8,
                        label="best%s: %.3g at epoch %d" % (" (saved)" if metrics.get("savedEpoch") == best else "",
                                                            metrics["errorPerEpoch"][best - 1], best))
        ax.legend(loc="upper right", fontsize=9)
    else:
        ax.text(0.5, 0.5, "no epoch completed", ha="center", va="center", transform=ax.transAxes)
    ax.set_title("error per epoch: 0.5 * mean squared error (log scale)")
    ax.set_xlabel("epoch")
    ax.grid(True, which="major", alpha=0.3)


def _title(cfg, metrics, width):
    """The figure's title: what was restored and how; on two lines, each cut to ``width``
    characters, when one line would run off the figure (a long data path, formula or --layers)."""
    import os

    what = os.path.basename(cfg.data) if cfg.data is not None else "%s = %s" % (getattr(cfg, "target", "y"), cfg.expr)
    how = "%s hidden, %s, %s, lr %g, batch %d%s" % (
        "-".join(str(h) for h in cfg.hidden), cfg.activation, metrics["optimizer"].split("(")[0], cfg.lr,
        cfg.batch, (", trained on standardised %s" % ("x and y" if getattr(cfg, "inputs", 1) == 1 else
                                                     "inputs and target")) if cfg.normalize else "")
    line = "PuzzleLib restore: %s  |  %s" % (what, how)
    if len(line) <= width:
        return line
    cut = [text if len(text) <= width else text[:width - 3] + "..." for text in ("PuzzleLib restore: " + what, how)]
    return "\n".join(cut)


def _drawNeurons(fig, grid, top, x, contributions, firstLayer, cfg):
    """Each hidden neuron's term w2[j] * act(w1[j] x + b1[j]), coloured by where it bends."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize

    W1, b1 = firstLayer
    w1 = W1[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        kink = np.where(w1 != 0, -b1 / w1, np.nan)
    lo, hi = float(x.min()), float(x.max())
    span = np.ptp(contributions, axis=0)
    active = span > 1e-9 * max(float(span.max()), 1e-30)
    inside = active & np.isfinite(kink) & (kink >= lo) & (kink <= hi)
    # a very wide net: draw the MAX_NEURONS_DRAWN widest-ranging terms (drawing 100000 lines takes
    # minutes and its map gigabytes); the counts in the title are over every neuron
    drawn = active.copy()
    if active.sum() > MAX_NEURONS_DRAWN:
        drawn[:] = False
        drawn[np.argsort(np.where(active, span, -np.inf))[-MAX_NEURONS_DRAWN:]] = True
    which = "" if drawn.sum() == active.sum() else "\nthe %d widest-ranging of %d drawn" % (drawn.sum(), active.sum())

    ax = fig.add_subplot(grid[2, 0:top])
    cmap = plt.get_cmap("viridis")
    norm = Normalize(lo, hi)
    order = np.argsort(np.where(np.isfinite(kink), kink, np.inf))
    for j in order:
        if not drawn[j]:
            continue
        if inside[j]:
            ax.plot(x, contributions[:, j], color=cmap(norm(kink[j])), linewidth=1.2, alpha=0.85)
        else:
            ax.plot(x, contributions[:, j], color="lightgray", linewidth=1.0, alpha=0.8)
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    sm.set_array([])
    fig.colorbar(sm, ax=ax, pad=0.01).set_label("x where the neuron bends (-b1/w1)")
    ax.axhline(0.0, color="black", linewidth=0.5)
    ax.set_title("each hidden neuron's term w2[j] * %s(w1[j] x + b1[j])\n"
                 "%s in the range (colour: where), %d straight (gray), %d never active%s"
                 % (cfg.activation, _count(int(inside.sum()), "bends", "bend"), int((active & ~inside).sum()),
                    int((~active).sum()), which),
                 fontsize=10)
    ax.set_xlabel("x")

    # a map of the same: neurons sorted by bend point, colour = contribution
    ax = fig.add_subplot(grid[2, top:2 * top])
    shown = [j for j in order if drawn[j]]
    if shown:
        values = contributions[:, shown].T
        limit = float(np.percentile(np.abs(values), 99)) or 1.0
        image = ax.imshow(values, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest",
                          extent=(lo, hi, len(shown) - 0.5, -0.5))
        bends = kink[shown]
        rowsIn = [i for i, k in enumerate(bends) if lo <= k <= hi]
        ax.plot(bends[rowsIn], rowsIn, ".", color="black", markersize=3, label="bend point")
        ax.set_xlim(lo, hi)
        ax.legend(loc="upper right", fontsize=8)
        fig.colorbar(image, ax=ax, pad=0.01).set_label("contribution to the output")
    ax.set_title("the same as a map\none row per active neuron, sorted by bend point%s" % which, fontsize=10)
    ax.set_xlabel("x")
    ax.set_ylabel("neuron (sorted)")


PLOT_POINTS = 4096


def plotIndex(n, worst, limit=PLOT_POINTS):
    """Rows to draw: all of them, or about ``limit`` evenly spaced ones plus the worst point."""
    if n <= limit:
        return np.arange(n)
    index = np.linspace(0, n - 1, limit).round().astype(np.int64)
    if worst is not None:
        index = np.union1d(index, [worst])
    return index


class _Labels:
    """What the panels and the title say about the run (the problem and the settings)."""

    def __init__(self, run):
        p, s = run.problem, run.settings
        self.data = p.path if p.isData else None
        self.expr = p.expr
        self.hidden = s.hidden
        self.activation = s.activation
        self.lr = s.lr
        self.batch = s.batch
        self.normalize = run.normalized
        self.target = p.targetName
        self.inputs = p.inputs


def drawRun(path, run, metrics, ensemble=None):
    """restore.png of a finished :class:`~PuzzleLib.Workbench.engine.Run` (``ensemble``: the mean,
    lowest and highest predictions of several runs on every row, and their count ``k``)."""
    from PuzzleLib.Workbench.engine import linearWeights, neuronContributions

    p = run.problem
    if p.inputs > 1:
        return drawMulti(path, run, metrics)
    x, y = p.x, p.y
    shown = plotIndex(len(x), run.worst)
    contributions = neuronContributions(run.net, x[shown]) if len(run.settings.hidden) == 1 else None
    scratch = run.scratch
    if scratch is not None:
        scratch = dict(scratch, pred=scratch["pred"][shown])
    drawRestore(path, cfg=_Labels(run), x=x[shown, 0], y=y[shown, 0], finite=p.finite[shown],
                before=run.before[shown, 0], after=run.after[shown, 0], metrics=metrics, contributions=contributions,
                firstLayer=linearWeights(run.net)[0] if contributions is not None else None, scratch=scratch,
                extension=extension(run), ensemble=_shownEnsemble(ensemble, shown))


EXTENSION = 0.15  # how far past the trained range (a fraction of its width) the after panel goes


def extension(run, points=80):
    """Predictions of the run's net (and, for a formula, the true values) past each end of the
    range it was trained on, for the shaded margin of the after panel; None when it cannot be drawn."""
    from PuzzleLib.Workbench.engine import predict

    p = run.problem
    xt = p.x[p.trainIndex, 0].astype(np.float64)
    lo, hi = float(xt.min()), float(xt.max())
    width = hi - lo
    if not width > 0 or not np.isfinite(width):
        return None
    out = {"low": lo, "high": hi}
    for side, (a, b) in (("left", (lo - EXTENSION * width, lo)), ("right", (hi, hi + EXTENSION * width))):
        xs = np.linspace(a, b, points).astype(np.float32)
        if not np.isfinite(xs).all():
            return None
        with np.errstate(all="ignore"):
            pred = predict(run.net, xs.reshape(-1, 1))[:, 0]
        true = None
        if p.tree is not None:
            from PuzzleLib.Workbench.formula import evaluate
            true = evaluate(p.tree, {p.names[0]: xs.astype(np.float64)})
        out[side] = (xs, pred, true)
    return out


def _shownEnsemble(ensemble, shown):
    if ensemble is None:
        return None
    return dict(ensemble, **{k: ensemble[k][shown] for k in ("mean", "low", "high")})  # sides stay whole


def drawMulti(path, run, metrics):
    """restore.png for two or more inputs: maps of the true values, the restored ones and the
    error (a two-input formula's grid, or two-input data as coloured points); for more inputs the
    restored values against the true ones; then the error per epoch."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    p = run.problem
    cfg = _Labels(run)
    ok = p.finite & np.isfinite(run.after[:, 0])
    truth = np.where(p.finite, p.y[:, 0], np.nan).astype(np.float64)
    pred = np.where(np.isfinite(run.after[:, 0]), run.after[:, 0], np.nan).astype(np.float64)
    err = np.abs(pred - truth)
    two = p.inputs == 2
    fig = plt.figure(figsize=(17, 10.5))
    title = _title(cfg, metrics, width=150)
    fig.suptitle(title, fontsize=13)
    grid = fig.add_gridspec(2, 3, left=0.05, right=0.97, bottom=0.07, top=0.88, hspace=0.35, wspace=0.28)
    name = p.targetName
    r2 = _fmt(metrics.get("r2"), "%.4f")
    if two:
        lo = np.nanmin(truth[ok]) if ok.any() else 0.0
        hi = np.nanmax(truth[ok]) if ok.any() else 1.0
        panels = [(truth, "true %s = %s" % (name, p.expr) if p.expr else "measured %s" % name, "viridis", (lo, hi)),
                  (pred, "restored %s (R2 %s)" % (name, r2), "viridis", (lo, hi)),
                  (err, "|restored - true| (max %s)" % _fmt(metrics.get("maxAbsError")), "magma", (0, None))]
        for i, (values, label, cmap, (vmin, vmax)) in enumerate(panels):
            ax = fig.add_subplot(grid[0, i])
            if p.gridShape is not None:
                (x0, x1), (y0, y1) = p.ranges
                image = ax.imshow(values.reshape(p.gridShape), origin="lower", extent=(x0, x1, y0, y1), aspect="auto",
                                  cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
            else:
                image = ax.scatter(p.x[:, 0], p.x[:, 1], c=values, s=12, cmap=cmap, vmin=vmin, vmax=vmax)
            fig.colorbar(image, ax=ax, pad=0.01)
            ax.set_title(label, fontsize=11)
            ax.set_xlabel(p.names[0])
            ax.set_ylabel(p.names[1])
        if metrics.get("maxAbsErrorAt") is not None:
            ax.plot([metrics["maxAbsErrorAt"][0]], [metrics["maxAbsErrorAt"][1]], "x", color="cyan", markersize=10,
                    label="largest error")
            ax.legend(loc="upper right", fontsize=8)
    else:
        ax = fig.add_subplot(grid[0, 0:2])
        ax.plot(truth[ok], pred[ok], "o", markersize=3, alpha=0.6, color="tab:orange", label="rows")
        if ok.any():
            lo, hi = float(np.min(truth[ok])), float(np.max(truth[ok]))
            ax.plot([lo, hi], [lo, hi], color="black", linewidth=1, label="restored = true")
        ax.set_xlabel("true %s" % name)
        ax.set_ylabel("restored %s" % name)
        ax.set_title("restored against true, %d inputs (%s): R2 %s" % (p.inputs, ", ".join(p.names), r2),
                     fontsize=11)
        ax.legend(loc="upper left", fontsize=9)
        ax = fig.add_subplot(grid[0, 2])
        if ok.any():
            ax.hist(pred[ok] - truth[ok], bins=40, color="tab:orange")
        ax.set_title("restored - true", fontsize=11)
    _epochPanel(fig.add_subplot(grid[1, 0:2]), metrics, p.isData)
    ax = fig.add_subplot(grid[1, 2])
    ax.axis("off")
    lines = ["judged on: %s" % metrics.get("judgedOn"), "error (0.5 MSE): %s" % _fmt(metrics.get("finalError")),
             "R2: %s" % r2, "RMSE / std: %s" % _fmt(metrics.get("relativeRmse")),
             "max |error|: %s" % _fmt(metrics.get("maxAbsError")),
             "  at %s" % ", ".join("%s = %.4g" % (n, v) for n, v in zip(p.names, metrics.get("maxAbsErrorAt") or [])),
             "saved epoch: %s of %d" % (metrics.get("savedEpoch"), metrics.get("epochsDone", 0))]
    ax.text(0.02, 0.95, "\n".join(lines), va="top", ha="left", fontsize=12, family="monospace", transform=ax.transAxes)
    fig.savefig(path, dpi=80)
    plt.close(fig)
