"""Inference of the same CNN in PuzzleLib and in ONNX Runtime, in one run (issue 16).

    python benchmarks/bench_onnx.py            # prints a table, writes benchmarks/onnx-results.json
    python benchmarks/bench_onnx.py --quick    # a smoke run (one round, small batch)

The net is the benchmarks' LeNet-style CNN for 8x8 digits (``bench_puzzlelib.cnnNet``), in eval
mode, exported with ``ONNXExporter`` and loaded into an ``onnxruntime.InferenceSession`` (CPU,
default threads). Each round times PuzzleLib's ``net(to_gpu(x)).get()`` and ONNX Runtime's
``session.run`` on the same host batch, alternating which goes first; the numbers are medians over
the rounds, and the ratio is PuzzleLib's time over ONNX Runtime's (below 1: PuzzleLib is faster).
Before timing, the two outputs are compared (max relative difference in the JSON).
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import bench_puzzlelib  # noqa: E402  (sets the CPU backend)
from PuzzleLib.Backend.gpuarray import to_gpu  # noqa: E402


def _timeCall(fn, minSeconds):
    """Seconds per call of ``fn``, timed over enough calls to last ``minSeconds``."""
    fn()
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= minSeconds:
            return elapsed / calls


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round on a small batch (a smoke run)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--out", default=os.path.join(HERE, "onnx-results.json"))
    args = parser.parse_args(argv)
    try:
        import onnxruntime as ort
        from PuzzleLib.Converter.ONNX import ONNXExporter
    except ImportError as e:
        print("bench_onnx: skipped, the onnx extra is not installed (%s)" % e)
        return 0

    rounds = 1 if args.quick else args.rounds
    batches = (32,) if args.quick else (1, 32, 256)
    minSeconds = 0.05 if args.quick else 0.5

    net = bench_puzzlelib.cnnNet()
    net.evalMode()
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "cnn.onnx")
    ONNXExporter().export(net, (1, 1, 8, 8), path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    inputName = session.get_inputs()[0].name

    results = {"onnxruntime": ort.__version__, "threads_note": "both libraries with their default threads",
               "cpus": os.cpu_count(), "rounds": rounds, "batches": {}}
    rng = np.random.RandomState(1234)
    print("CNN inference (LeNet-style, 8x8 digits): PuzzleLib vs ONNX Runtime %s, median of %d round(s)" % (
        ort.__version__, rounds))
    print("%8s %16s %16s %10s" % ("batch", "PuzzleLib us", "ONNX RT us", "ratio"))
    for batch in batches:
        x = rng.rand(batch, 1, 8, 8).astype(np.float32)
        ours = net(to_gpu(x)).get()
        theirs = session.run(None, {inputName: x})[0]
        diff = float(np.abs(ours - theirs).max() / max(np.abs(ours).max(), 1e-30))

        def runPuzzleLib():
            net(to_gpu(x)).get()

        def runOnnx():
            session.run(None, {inputName: x})

        times = {"puzzlelib": [], "onnxruntime": []}
        for r in range(rounds):
            order = (("puzzlelib", runPuzzleLib), ("onnxruntime", runOnnx))
            for name, fn in (order if r % 2 == 0 else order[::-1]):
                times[name].append(_timeCall(fn, minSeconds))
        pl, rt = statistics.median(times["puzzlelib"]), statistics.median(times["onnxruntime"])
        results["batches"][str(batch)] = {"puzzlelib_s": pl, "onnxruntime_s": rt, "ratio_puzzlelib_onnxruntime": pl / rt,
                                          "max_relative_difference": diff}
        print("%8d %16.1f %16.1f %10.2f" % (batch, pl * 1e6, rt * 1e6, pl / rt))

    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)
    print("wrote %s" % args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
