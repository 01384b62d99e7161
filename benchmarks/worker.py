"""A benchmark worker: one library per process, driven by run.py over stdin/stdout (JSON lines).

    python benchmarks/worker.py LIB            # serve requests; LIB: puzzlelib, torch, numpy
    python benchmarks/worker.py LIB --memory   # one wide-MLP training, RSS per epoch, then exit

Each library runs in a process of its own so that their thread pools and heaps never meet; run.py
alternates its requests between the workers, and a worker sleeps on its pipe while another runs.

A request ``{"workload": ..., "params": {...}, "target_s": t}`` builds the workload the first
time (then runs it once, untimed, to warm up and to choose how many blocks make at least ``t``
seconds) and answers ``{"seconds": ..., "units": ..., "info": {...}}`` for one timed run.
"""
import argparse
import gc
import importlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402

MODULES = {"puzzlelib": "bench_puzzlelib", "torch": "bench_torch", "numpy": "bench_numpy"}


class _Entry:
    def __init__(self, runner, targetSeconds):
        self.runner = runner
        t0 = time.perf_counter()
        runner.block()
        warm = time.perf_counter() - t0
        self.reps = max(1, int(targetSeconds / warm + 0.999)) if targetSeconds > 0 else 1


def serve(lib):
    # replies go to the real stdout; anything a library prints goes to stderr
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr
    mod = importlib.import_module(MODULES[lib])
    out.write(json.dumps({"ready": True, "probe": mod.probe()}) + "\n")
    entries = {}
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("quit"):
            break
        try:
            key = json.dumps([request["workload"], request["params"]], sort_keys=True)
            entry = entries.get(key)
            if entry is None:
                entry = entries[key] = _Entry(mod.build(request["workload"], request["params"]),
                                              request.get("target_s", 0.0))
            gc.collect()
            units = 0
            t0 = time.perf_counter()
            for _ in range(entry.reps):
                units += entry.runner.block()
            seconds = time.perf_counter() - t0
            reply = {"seconds": seconds, "units": units, "info": entry.runner.info()}
        except Exception as e:  # report, keep serving
            reply = {"error": "%s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(reply) + "\n")


def memory(lib, epochs, samples, cost):
    """Train the wide MLP for ``epochs`` epochs; print RSS after each epoch and the peak."""
    mod = importlib.import_module(MODULES[lib])
    rssImport = common.rssBytes()
    runner = mod.build("wide_mlp", {"samples": samples, "batch": common.WIDE_BATCH, "cost": cost})
    rssBuilt = common.rssBytes()
    perEpoch = []
    for _ in range(epochs):
        runner.block()
        perEpoch.append(common.rssBytes())
    print(json.dumps({"rss_after_import": rssImport, "rss_after_build": rssBuilt, "rss_per_epoch": perEpoch,
                      "peak_rss": common.peakRssBytes()}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("lib", choices=sorted(MODULES))
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--samples", type=int, default=common.WIDE_SAMPLES)
    parser.add_argument("--cost", default="mse", choices=("mse", "ce"))
    args = parser.parse_args()
    if args.memory:
        memory(args.lib, args.epochs, args.samples, args.cost)
    else:
        serve(args.lib)


if __name__ == "__main__":
    main()
