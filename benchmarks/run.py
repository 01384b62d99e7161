"""PuzzleLib against PyTorch (and the tutorial's hand-made numpy net), in one run on one machine.

    python benchmarks/run.py                 # everything; prints a table, writes benchmarks/results.json
    python benchmarks/run.py --quick         # a smoke run of a few seconds (tiny sizes, one repeat)
    python benchmarks/run.py --only wide_mlp # one workload (tutorial_step, tutorial_full, wide_mlp, cnn, vgg,
                                             # resnet, memory)
    python benchmarks/run.py --no-torch      # PuzzleLib-only columns (also what happens without torch)
    python benchmarks/run.py --profile       # cProfile of PuzzleLib's tutorial step, per step

Each library runs in a worker process of its own (worker.py); this script sends the workers their
requests in turn, rotating which library goes first in each round, so that every library sees the
same machine state; each number is the median over the rounds. Memory is measured in a fresh
process per library. See benchmarks/README.md for how to read the table.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402

WORKLOADS = ("tutorial_step", "tutorial_full", "wide_mlp", "cnn", "vgg", "resnet", "memory")
LIBS = ("puzzlelib", "torch", "numpy")
LABELS = {"puzzlelib": "PuzzleLib", "torch": "PyTorch", "numpy": "hand numpy"}


# ----------------------------------------------------------------------------------------------
# the machine

def _lscpu():
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def _numpyBlas():
    import numpy as np
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        text = "%s %s" % (blas.get("name"), blas.get("version"))
        if blas.get("openblas configuration"):
            text += " [%s]" % blas["openblas configuration"]
        return text
    except Exception:
        return "unknown"


def machineInfo():
    import numpy as np
    cpu = _lscpu()
    return {
        "cpu_model": cpu.get("Model name", platform.processor() or "unknown"),
        "cpus": os.cpu_count(),
        "cores_per_socket": cpu.get("Core(s) per socket"),
        "sockets": cpu.get("Socket(s)"),
        "threads_per_core": cpu.get("Thread(s) per core"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "numpy_blas": _numpyBlas(),
        "loadavg_start": os.getloadavg(),
    }


def torchAvailable():
    import importlib.util
    return importlib.util.find_spec("torch") is not None


# ----------------------------------------------------------------------------------------------
# workers

class Worker:
    """A worker process serving one library."""

    def __init__(self, lib):
        env = dict(os.environ, PUZZLELIB_BACKEND="cpu")
        self.lib = lib
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "worker.py"), lib], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1, env=env)
        self.probe = None

    def waitReady(self):
        reply = self._read()
        self.probe = reply["probe"]

    def _read(self):
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the %s worker exited (see its messages above)" % self.lib)
        return json.loads(line)

    def run(self, workload, params, targetSeconds):
        self.proc.stdin.write(json.dumps({"workload": workload, "params": params, "target_s": targetSeconds}) + "\n")
        return self._read()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"quit": True}) + "\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()


def alternate(workers, jobs, repeats, settle, log):
    """Run each lib's job ``repeats`` times, round-robin, rotating the first lib each round.

    ``jobs``: {lib: (workload, params, targetSeconds)}. Returns {lib: {"per_unit_s": [...], "info": ...}}.
    """
    libs = list(jobs)
    results = {lib: {"per_unit_s": [], "info": None, "error": None} for lib in libs}
    results["loadavg"] = []
    for r in range(repeats):
        results["loadavg"].append(round(os.getloadavg()[0], 2))
        order = libs[r % len(libs):] + libs[:r % len(libs)]
        for lib in order:
            if results[lib]["error"]:
                continue
            workload, params, target = jobs[lib]
            if settle:
                time.sleep(settle)
            reply = workers[lib].run(workload, params, target)
            if "error" in reply:
                results[lib]["error"] = reply["error"]
                log("  %s: %s failed: %s" % (LABELS[lib], workload, reply["error"]))
                continue
            results[lib]["per_unit_s"].append(reply["seconds"] / reply["units"])
            results[lib]["info"] = reply["info"]
    return results


def summarise(res, scale):
    """Median (and min, max, samples) of the per-unit times, times ``scale``."""
    if res is None or not res["per_unit_s"]:
        return None if res is None or not res.get("error") else {"error": res["error"]}
    values = [v * scale for v in res["per_unit_s"]]
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "samples": values,
            "info": res["info"]}


def _ratio(a, b):
    if not a or not b or "median" not in a or "median" not in b:
        return None
    return a["median"] / b["median"]


# ----------------------------------------------------------------------------------------------
# the workloads

def settings(quick):
    if quick:
        return {"repeats": 1, "step_target_s": 0.0, "tutorial_epochs": 1, "wide_samples": 256,
                "sgemm_repeats": 1, "cnn_samples": 64, "memory_epochs": 3, "memory_samples": 256, "settle": 0.0,
                "image_batch": 4, "image_steps": 1}
    return {"repeats": 7, "step_target_s": 0.25, "tutorial_epochs": 100, "wide_samples": common.WIDE_SAMPLES,
            "sgemm_repeats": 10, "cnn_samples": None, "memory_epochs": 20, "memory_samples": common.WIDE_SAMPLES,
            "settle": 0.25, "image_batch": common.IMAGE_BATCH, "image_steps": common.IMAGE_STEPS}


def benchTutorialStep(workers, cfg, log):
    out = {}
    for batch in (10, 100):
        jobs = {lib: ("tutorial_step", {"batch": batch}, cfg["step_target_s"]) for lib in workers}
        res = alternate(workers, jobs, cfg["repeats"], cfg["settle"], log)
        entry = {"unit": "us/step", "batch": batch, "samples_per_pass": common.STEP_SAMPLES,
                 "libs": {lib: summarise(res.get(lib), 1e6) for lib in LIBS}, "loadavg_per_round": res["loadavg"]}
        entry["ratio_puzzlelib_torch"] = _ratio(entry["libs"]["puzzlelib"], entry["libs"]["torch"])
        entry["ratio_puzzlelib_numpy_net"] = _ratio(entry["libs"]["puzzlelib"], entry["libs"]["numpy"])
        out["tutorial_step_b%d" % batch] = entry
        log("  tutorial step, batch %d: %s" % (batch, _brief(entry)))
    return out


def benchTutorialFull(workers, cfg, log):
    params = {"epochs": cfg["tutorial_epochs"], "batch": 10}
    jobs = {lib: ("tutorial_full", params, 0.0) for lib in workers}
    res = alternate(workers, jobs, max(1, min(cfg["repeats"], 5)), cfg["settle"], log)
    entry = {"unit": "s", "epochs": params["epochs"], "batch": 10, "points": common.TUTORIAL_POINTS,
             "libs": {lib: summarise(res.get(lib), 1.0) for lib in LIBS}, "loadavg_per_round": res["loadavg"]}
    entry["ratio_puzzlelib_torch"] = _ratio(entry["libs"]["puzzlelib"], entry["libs"]["torch"])
    entry["ratio_puzzlelib_numpy_net"] = _ratio(entry["libs"]["puzzlelib"], entry["libs"]["numpy"])
    log("  tutorial training, %d epochs: %s" % (params["epochs"], _brief(entry)))
    return {"tutorial_full": entry}


def benchWideMlp(workers, cfg, cost, log):
    samples, batch = cfg["wide_samples"], common.WIDE_BATCH
    params = {"samples": samples, "batch": batch, "cost": cost}
    jobs = {lib: ("wide_mlp", params, 0.0) for lib in ("puzzlelib", "torch") if lib in workers}
    jobs["numpy"] = ("sgemm", {"sizes": list(common.WIDE_SIZES), "batch": batch, "repeats": cfg["sgemm_repeats"]}, 0.0)
    res = alternate(workers, jobs, cfg["repeats"], cfg["settle"], log)
    steps = common.stepsPerEpoch(samples, batch)
    flopsPerSample = common.stepFlops(common.WIDE_SIZES, batch) / batch
    epochFlops = flopsPerSample * samples
    sgemm = res["numpy"]["info"]
    ceilingEpoch = sgemm["step_seconds"] * steps
    entry = {"unit": "s/epoch", "sizes": list(common.WIDE_SIZES), "batch": batch, "samples": samples,
             "steps_per_epoch": steps, "cost": cost, "loadavg_per_round": res["loadavg"],
             "flops_formula": "2*batch*(3*sum(in*out) - in0*out0) per step: forward, weight gradient and "
                              "input gradient (not for the first layer) matrix products; bias, activation, "
                              "cost and update left out",
             "flops_per_epoch": epochFlops,
             "sgemm": {"per_op": sgemm["ops"], "ceiling_gflops": sgemm["gflops"],
                       "ceiling_epoch_s": ceilingEpoch},
             "libs": {}}
    for lib in ("puzzlelib", "torch"):
        s = summarise(res.get(lib), 1.0)
        if s and "median" in s:
            s["samples_per_s"] = samples / s["median"]
            s["gflops"] = epochFlops / s["median"] / 1e9
            s["fraction_of_ceiling"] = s["gflops"] / sgemm["gflops"]
        entry["libs"][lib] = s
    entry["libs"]["numpy"] = None
    entry["ratio_puzzlelib_torch"] = _ratio(entry["libs"]["puzzlelib"], entry["libs"]["torch"])
    log("  wide MLP: %s; sgemm ceiling %.1f GFLOP/s (%.3f s/epoch)" % (_brief(entry), sgemm["gflops"], ceilingEpoch))
    return {"wide_mlp": entry}


def benchCnn(workers, cfg, cost, missing, log):
    if missing:
        note = "skipped: PuzzleLib.Modules lacks %s" % ", ".join(missing)
        log("  LeNet CNN %s" % note)
        return {"cnn": {"skipped": note, "libs": {lib: None for lib in LIBS}, "ratio_puzzlelib_torch": None}}
    X, _, source = common.digitsData()
    params = {"batch": common.DIGITS_BATCH, "cost": cost}
    if cfg["cnn_samples"]:
        params["samples"] = cfg["cnn_samples"]
    jobs = {lib: ("cnn", params, 0.0) for lib in ("puzzlelib", "torch") if lib in workers}
    res = alternate(workers, jobs, cfg["repeats"], cfg["settle"], log)
    entry = {"unit": "s/epoch", "batch": common.DIGITS_BATCH, "samples": params.get("samples", X.shape[0]),
             "data": source, "cost": cost, "loadavg_per_round": res["loadavg"],
             "net": "conv3x3(1->16,pad1)-relu-maxpool2-conv3x3(16->32,pad1)-relu-maxpool2-flatten-128->64-relu-64->10",
             "libs": {lib: summarise(res.get(lib), 1.0) for lib in LIBS}}
    entry["ratio_puzzlelib_torch"] = _ratio(entry["libs"]["puzzlelib"], entry["libs"]["torch"])
    log("  LeNet CNN: %s" % _brief(entry))
    return {"cnn": entry}


IMAGE_NETS = {
    "vgg": ("VGG-style CNN", "conv3x3(3->32)-BN-relu, conv3x3(32->32)-BN-relu, maxpool2, conv3x3(32->64)-BN-relu, "
                             "conv3x3(64->64)-BN-relu, maxpool2, linear(4096->10)"),
    "resnet": ("ResNet-style CNN", "loadResNet(inmaps=3, insize=32, maps=%s, blocks=%d): 3x3 stem, residual blocks "
                                   "conv3x3-BN-relu-conv3x3-BN + shortcut (1x1 conv + BN where the shape changes), "
                                   "add, relu; global average pool, linear" % (common.RESNET_MAPS, common.RESNET_BLOCKS)),
}


def benchImage(name, workers, cfg, cost, missing, log):
    """One training step of a CIFAR-sized CNN (random 32x32x3 images), in ms/step."""
    label, desc = IMAGE_NETS[name]
    if missing:
        note = "skipped: PuzzleLib.Modules lacks %s" % ", ".join(missing)
        log("  %s %s" % (label, note))
        return {name: {"skipped": note, "libs": {lib: None for lib in LIBS}, "ratio_puzzlelib_torch": None}}
    params = {"batch": cfg["image_batch"], "steps": cfg["image_steps"], "cost": cost}
    jobs = {lib: (name, params, cfg["step_target_s"]) for lib in ("puzzlelib", "torch") if lib in workers}
    res = alternate(workers, jobs, cfg["repeats"], cfg["settle"], log)
    entry = {"unit": "ms/step", "batch": params["batch"], "steps_per_pass": params["steps"], "image": [3, 32, 32],
             "cost": cost, "net": desc, "loadavg_per_round": res["loadavg"],
             "libs": {lib: summarise(res.get(lib), 1e3) for lib in LIBS}}
    entry["ratio_puzzlelib_torch"] = _ratio(entry["libs"]["puzzlelib"], entry["libs"]["torch"])
    log("  %s: %s" % (label, _brief(entry)))
    return {name: entry}


def benchMemory(libs, cfg, cost, log):
    entry = {"unit": "MiB", "epochs": cfg["memory_epochs"], "samples": cfg["memory_samples"], "cost": cost,
             "libs": {lib: None for lib in LIBS}}
    env = dict(os.environ, PUZZLELIB_BACKEND="cpu")
    mib = 1.0 / (1 << 20)
    for lib in libs:
        cmd = [sys.executable, os.path.join(HERE, "worker.py"), lib, "--memory", "--epochs", str(cfg["memory_epochs"]),
               "--samples", str(cfg["memory_samples"]), "--cost", cost]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            entry["libs"][lib] = {"error": proc.stderr.strip().splitlines()[-1:] or ["exit %d" % proc.returncode]}
            continue
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        perEpoch = [v * mib for v in data["rss_per_epoch"]]
        second, last = perEpoch[min(1, len(perEpoch) - 1)], perEpoch[-1]
        entry["libs"][lib] = {
            "peak_rss": data["peak_rss"] * mib, "rss_after_import": data["rss_after_import"] * mib,
            "rss_after_build": data["rss_after_build"] * mib, "rss_per_epoch": perEpoch,
            "rss_epoch2": second, "rss_last": last, "last_epoch": len(perEpoch),
            "growth": last / second - 1.0,
            "peak_over_import": (data["peak_rss"] - data["rss_after_import"]) * mib,
        }
    pl, pt = entry["libs"]["puzzlelib"], entry["libs"]["torch"]
    entry["ratio_puzzlelib_torch"] = (pl["peak_rss"] / pt["peak_rss"]) if pl and pt and "peak_rss" in pl and "peak_rss" in pt else None
    log("  memory: " + ", ".join("%s peak %.0f MiB, growth %+.1f%%" % (LABELS[lib], e["peak_rss"], 100 * e["growth"])
                                 for lib, e in entry["libs"].items() if e and "peak_rss" in e))
    return {"memory": entry}


def divergenceNotes(wl):
    """A warning for each library whose error came out non-finite (its times may not be representative)."""
    import math
    notes = []
    for name, entry in wl.items():
        for lib, s in entry.get("libs", {}).items():
            info = (s or {}).get("info") or {}
            for key, value in info.items():
                if isinstance(value, float) and not math.isfinite(value):
                    notes.append("WARNING: %s diverged in %s (%s = %s); its times may not be representative" % (
                        LABELS[lib], name, key, value))
    return notes


def _brief(entry):
    parts = []
    for lib in LIBS:
        s = entry["libs"].get(lib)
        if s and "median" in s:
            parts.append("%s %.4g %s" % (LABELS[lib], s["median"], entry["unit"]))
    if entry.get("ratio_puzzlelib_torch"):
        parts.append("PL/PT %.2f" % entry["ratio_puzzlelib_torch"])
    return ", ".join(parts) or "no numbers"


# ----------------------------------------------------------------------------------------------
# targets and the table

def _target(name, value, limit, cmp, fmt):
    met = None if value is None else (value <= limit if cmp == "<=" else value >= limit if cmp == ">=" else value < limit)
    return {"name": name, "value": value, "limit": limit, "cmp": cmp, "met": met,
            "shown": "n/a" if value is None else fmt % value}


def targets(wl):
    """The issues' targets: issue 7's (tutorial, wide MLP, memory), issue 4's (LeNet) and issue 14's (the
    CNNs, and the wide MLP, LeNet and tutorial limits it keeps)."""
    out = []
    step = wl.get("tutorial_step_b10")
    if step:
        out.append(_target("tutorial step, batch 10: PuzzleLib / PyTorch (issue 7)",
                           step["ratio_puzzlelib_torch"], 0.2, "<=", "%.3f"))
        out.append(_target("tutorial step, batch 10: PuzzleLib / PyTorch (issue 14)", step["ratio_puzzlelib_torch"],
                           0.1, "<=", "%.3f"))
        out.append(_target("tutorial step, batch 10: PuzzleLib / hand-made numpy net", step["ratio_puzzlelib_numpy_net"],
                           1.0, "<", "%.3f"))
    wide = wl.get("wide_mlp")
    if wide:
        out.append(_target("wide MLP epoch: PuzzleLib / PyTorch (issue 7)", wide["ratio_puzzlelib_torch"], 0.8, "<=",
                           "%.3f"))
        out.append(_target("wide MLP epoch: PuzzleLib / PyTorch (issue 14)", wide["ratio_puzzlelib_torch"], 1.0, "<=",
                           "%.3f"))
        pl = wide["libs"].get("puzzlelib") or {}
        out.append(_target("wide MLP: PuzzleLib GFLOP/s / sgemm ceiling (issue 7)", pl.get("fraction_of_ceiling"), 0.85,
                           ">=", "%.3f"))
    cnn = wl.get("cnn")
    if cnn and not cnn.get("skipped"):
        out.append(_target("LeNet CNN epoch: PuzzleLib / PyTorch (issue 4)", cnn["ratio_puzzlelib_torch"], 1.5, "<=",
                           "%.3f"))
        out.append(_target("LeNet CNN epoch: PuzzleLib / PyTorch (issue 14)", cnn["ratio_puzzlelib_torch"], 1.0, "<=",
                           "%.3f"))
    vgg = wl.get("vgg")
    if vgg and not vgg.get("skipped"):
        out.append(_target("VGG-style CNN step: PuzzleLib / PyTorch (issue 14)", vgg["ratio_puzzlelib_torch"], 1.0, "<=",
                           "%.3f"))
        out.append(_target("VGG-style CNN step: PuzzleLib / PyTorch (issue 14, stretch)", vgg["ratio_puzzlelib_torch"],
                           0.8, "<=", "%.3f"))
    mem = wl.get("memory")
    if mem:
        pl = mem["libs"].get("puzzlelib") or {}
        out.append(_target("RSS growth, epoch 2 -> %s, PuzzleLib" % pl.get("last_epoch", mem["epochs"]), pl.get("growth"),
                           0.05, "<=", "%+.3f"))
    return out


def _cell(s, fmt):
    if s is None:
        return "-"
    if "median" not in s:
        return "error"
    return fmt % s["median"]


def table(wl, tgts):
    rows = [("workload", "unit", "PuzzleLib", "PyTorch", "hand numpy", "PL/PT")]

    def ratio(v):
        return "-" if v is None else "%.3f" % v

    for key, label in (("tutorial_step_b10", "tutorial step, batch 10"), ("tutorial_step_b100", "tutorial step, batch 100"),
                       ("tutorial_full", "tutorial training, %s epochs")):
        e = wl.get(key)
        if e:
            if "%s" in label:
                label = label % e["epochs"]
            fmt = "%.1f" if e["unit"] == "us/step" else "%.3f"
            rows.append((label, e["unit"], _cell(e["libs"]["puzzlelib"], fmt), _cell(e["libs"]["torch"], fmt),
                         _cell(e["libs"]["numpy"], fmt), ratio(e["ratio_puzzlelib_torch"])))
    e = wl.get("wide_mlp")
    if e:
        pl, pt = e["libs"]["puzzlelib"] or {}, e["libs"]["torch"] or {}
        rows.append(("wide MLP %s, %d samples" % ("-".join(map(str, e["sizes"])), e["samples"]), "s/epoch",
                     _cell(pl or None, "%.3f"), _cell(pt or None, "%.3f"), "%.3f (sgemm)" % e["sgemm"]["ceiling_epoch_s"],
                     ratio(e["ratio_puzzlelib_torch"])))
        rows.append(("  throughput", "samples/s", "%.0f" % pl["samples_per_s"] if "samples_per_s" in pl else "-",
                     "%.0f" % pt["samples_per_s"] if "samples_per_s" in pt else "-", "", ""))
        rows.append(("  achieved", "GFLOP/s", "%.1f" % pl["gflops"] if "gflops" in pl else "-",
                     "%.1f" % pt["gflops"] if "gflops" in pt else "-", "%.1f (sgemm)" % e["sgemm"]["ceiling_gflops"], ""))
        rows.append(("  of sgemm ceiling", "fraction", "%.3f" % pl["fraction_of_ceiling"] if "fraction_of_ceiling" in pl else "-",
                     "%.3f" % pt["fraction_of_ceiling"] if "fraction_of_ceiling" in pt else "-", "", ""))
    e = wl.get("cnn")
    if e:
        if e.get("skipped"):
            rows.append(("LeNet CNN, digits", e["skipped"], "", "", "", ""))
        else:
            rows.append(("LeNet CNN, digits, %d samples" % e["samples"], "s/epoch", _cell(e["libs"]["puzzlelib"], "%.3f"),
                         _cell(e["libs"]["torch"], "%.3f"), "-", ratio(e["ratio_puzzlelib_torch"])))
    for key in IMAGE_NETS:
        e = wl.get(key)
        if e:
            label = "%s, 32x32x3" % IMAGE_NETS[key][0]
            if e.get("skipped"):
                rows.append((label, e["skipped"], "", "", "", ""))
            else:
                rows.append(("%s, batch %d" % (label, e["batch"]), "ms/step", _cell(e["libs"]["puzzlelib"], "%.1f"),
                             _cell(e["libs"]["torch"], "%.1f"), "-", ratio(e["ratio_puzzlelib_torch"])))
    e = wl.get("memory")
    if e:
        pl, pt = e["libs"]["puzzlelib"] or {}, e["libs"]["torch"] or {}

        def val(d, k, fmt):
            return fmt % d[k] if k in d else ("error" if "error" in d else "-")

        rows.append(("peak RSS (wide MLP, own process)", "MiB", val(pl, "peak_rss", "%.0f"), val(pt, "peak_rss", "%.0f"), "",
                     ratio(e["ratio_puzzlelib_torch"])))
        rows.append(("  peak RSS above post-import", "MiB", val(pl, "peak_over_import", "%.0f"),
                     val(pt, "peak_over_import", "%.0f"), "", ""))
        rows.append(("  RSS epoch 2 -> %d" % e["epochs"], "MiB",
                     "%.0f -> %.0f" % (pl["rss_epoch2"], pl["rss_last"]) if "rss_epoch2" in pl else "-",
                     "%.0f -> %.0f" % (pt["rss_epoch2"], pt["rss_last"]) if "rss_epoch2" in pt else "-", "", ""))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for i, r in enumerate(rows):
        lines.append("  ".join(str(c).ljust(w) if j == 0 else str(c).rjust(w) for j, (c, w) in enumerate(zip(r, widths))))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    lines.append("Targets (issues 4, 7 and 14):")
    for t in tgts:
        status = "n/a" if t["met"] is None else ("met" if t["met"] else "NOT MET")
        lines.append("  %-60s %10s  (%s %s)  %s" % (t["name"], t["shown"], t["cmp"], t["limit"], status))
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# profile

def profile(batch, steps, top):
    """cProfile of PuzzleLib's tutorial step (Trainer.train); prints the top functions per step."""
    import cProfile
    import pstats
    os.environ.setdefault("PUZZLELIB_BACKEND", "cpu")
    import bench_puzzlelib
    runner = bench_puzzlelib.TutorialStep(batch)
    passes = max(1, steps // runner.steps)
    runner.block()
    t0 = time.perf_counter()
    for _ in range(passes):
        runner.block()
    plain = (time.perf_counter() - t0) / (passes * runner.steps) * 1e6
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(passes):
        runner.block()
    prof.disable()
    total = passes * runner.steps
    stats = pstats.Stats(prof)
    rows = []
    for (filename, line, func), (cc, nc, tt, ct, _) in stats.stats.items():
        rows.append((tt, ct, nc, "%s:%d(%s)" % (os.path.relpath(filename) if filename.startswith("/") else filename, line, func)))
    rows.sort(reverse=True)
    profiled = sum(r[0] for r in rows) / total * 1e6
    print("PuzzleLib tutorial step, batch %d: %.1f us/step unprofiled; %.1f us/step under cProfile (%d steps)" % (
        batch, plain, profiled, total))
    print("%9s %9s %8s  %s" % ("self us", "cum us", "calls", "function (per step)"))
    for tt, ct, nc, name in rows[:top]:
        print("%9.2f %9.2f %8.2f  %s" % (tt / total * 1e6, ct / total * 1e6, nc / total, name))


# ----------------------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny sizes, one repeat")
    parser.add_argument("--only", action="append", choices=WORKLOADS, help="run only this workload (repeatable)")
    parser.add_argument("--repeats", type=int, help="rounds per workload (default 7, quick 1)")
    parser.add_argument("--out", default=os.path.join(HERE, "results.json"), help="where to write the JSON")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out (as when it is not installed)")
    parser.add_argument("--cost", choices=("auto", "mse", "ce"), default="auto",
                        help="wide MLP / CNN cost: auto = CrossEntropy when PuzzleLib has it, else MSE on one-hot")
    parser.add_argument("--profile", action="store_true", help="profile PuzzleLib's tutorial step instead")
    parser.add_argument("--profile-batch", type=int, default=10)
    parser.add_argument("--profile-steps", type=int, default=20000)
    args = parser.parse_args(argv)

    if args.profile:
        profile(args.profile_batch, args.profile_steps, 30)
        return 0

    def log(msg):
        print(msg, flush=True)

    cfg = settings(args.quick)
    if args.repeats:
        cfg["repeats"] = args.repeats
    only = set(args.only or WORKLOADS)
    notes = ["Each library runs in a worker process of its own; requests alternate between them, the first "
             "library rotating each round; numbers are medians over %d rounds." % cfg["repeats"]]
    machine = machineInfo()

    withTorch = not args.no_torch and torchAvailable()
    if not withTorch:
        notes.append("PyTorch %s: PuzzleLib-only columns." % ("left out (--no-torch)" if args.no_torch else "is not installed"))
        log(notes[-1])
    libs = ["puzzlelib"] + (["torch"] if withTorch else []) + ["numpy"]
    started = time.time()
    log("starting workers: %s" % ", ".join(libs))
    workers = {lib: Worker(lib) for lib in libs}
    workloads = {}
    try:
        for lib, w in list(workers.items()):
            try:
                w.waitReady()
            except RuntimeError as e:
                if lib == "puzzlelib":
                    raise
                notes.append("%s dropped: %s" % (LABELS[lib], e))
                log(notes[-1])
                w.close()
                del workers[lib]
                libs.remove(lib)
        withTorch = "torch" in workers
        probe = workers["puzzlelib"].probe
        cost = args.cost
        if cost == "auto":
            cost = "ce" if probe["hasCrossEntropy"] else "mse"
        if cost == "ce" and not probe["hasCrossEntropy"]:
            raise SystemExit("--cost ce: PuzzleLib.Cost has no CrossEntropy")
        notes.append("wide MLP and CNN cost: %s" % ("CrossEntropy on int labels" if cost == "ce" else
                                                     "MSE on one-hot float targets (PuzzleLib.Cost has no CrossEntropy)"
                                                     if not probe["hasCrossEntropy"] else "MSE on one-hot float targets"))
        machine["puzzlelib"] = probe.get("version")
        if withTorch:
            machine["torch"] = workers["torch"].probe["version"]
            machine["torch_threads"] = workers["torch"].probe["threads"]
        if "tutorial_step" in only:
            workloads.update(benchTutorialStep(workers, cfg, log))
        if "tutorial_full" in only:
            workloads.update(benchTutorialFull(workers, cfg, log))
        if "wide_mlp" in only:
            workloads.update(benchWideMlp(workers, cfg, cost, log))
        if "cnn" in only:
            cnnWorkers = {lib: w for lib, w in workers.items() if lib != "numpy"}
            workloads.update(benchCnn(cnnWorkers, cfg, cost, probe["cnnModulesMissing"], log))
        for name in IMAGE_NETS:
            if name in only:
                imageWorkers = {lib: w for lib, w in workers.items() if lib != "numpy"}
                workloads.update(benchImage(name, imageWorkers, cfg, cost, probe.get("imageModulesMissing", []), log))
    finally:
        for w in workers.values():
            w.close()
    if "memory" in only:
        workloads.update(benchMemory([lib for lib in libs if lib != "numpy"], cfg, cost, log))

    machine["loadavg_end"] = os.getloadavg()
    notes.extend(divergenceNotes(workloads))
    tgts = targets(workloads)
    result = {"machine": machine, "config": dict(cfg, quick=args.quick, cost=cost, only=sorted(only)),
              "workloads": workloads, "targets": tgts, "notes": notes,
              "wall_s": time.time() - started, "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print()
    print("%s, %s cpus, numpy %s (%s)%s; load average %.2f at start, %.2f at end" % (
        machine["cpu_model"], machine["cpus"], machine["numpy"], machine["numpy_blas"],
        ", torch %s (%d threads)" % (machine["torch"], machine["torch_threads"]) if withTorch else "",
        machine["loadavg_start"][0], machine["loadavg_end"][0]))
    print(table(workloads, tgts))
    for note in notes:
        print("note: " + note)
    print("wrote %s (%.0f s)" % (args.out, result["wall_s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
