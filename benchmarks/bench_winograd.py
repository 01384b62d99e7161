"""Issue 14: Conv2D's Winograd F(2x2, 3x3) path against its im2col path, layer by layer and in the
VGG-style and ResNet-style training steps, in one process, alternating the two paths (medians).

    OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/bench_winograd.py
    .venv/bin/python benchmarks/bench_winograd.py            (2 threads each)

With one thread the times are process (CPU) time, which other processes on the machine do not
inflate; with more, wall time. Results: benchmarks/RESULTS.md (issue 14).
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from PuzzleLib.Backend.gpuarray import to_gpu  # noqa: E402
from PuzzleLib.Modules import Conv2D, _winograd  # noqa: E402

LAYERS = [(3, 32, 32), (32, 32, 32), (32, 64, 16), (64, 64, 16)]   # inmaps, outmaps, size (the VGG net's)


def clock():
    single = os.environ.get("OPENBLAS_NUM_THREADS") == "1" and os.environ.get("NUMBA_NUM_THREADS") == "1"
    return (time.process_time, "process time") if single else (time.perf_counter, "wall time")


def timed(fn, clk, reps):
    times = []
    for _ in range(reps):
        t = clk()
        fn()
        times.append(clk() - t)
    return float(np.median(times)) * 1e3


def layers(clk, rounds, batch):
    print("layer (batch %d, pad 1) | path | forward ms | backward ms (input and weight gradients)" % batch)
    for C, O, S in LAYERS:
        mod = Conv2D(C, O, 3, pad=1, initscheme="he")
        x = to_gpu(np.random.randn(batch, C, S, S).astype(np.float32))
        g = to_gpu(np.random.randn(batch, O, S, S).astype(np.float32))
        res = {}
        for _ in range(rounds):
            for on in (False, True):
                _winograd.enabled = on
                mod(x)
                mod.backward(g)
                res.setdefault((on, "f"), []).append(timed(lambda: mod(x), clk, 3))
                res.setdefault((on, "b"), []).append(timed(lambda: mod.backward(g), clk, 3))
        for on in (False, True):
            print("%d -> %d, %dx%d | %s | %.2f | %.2f" % (C, O, S, S, "winograd" if on else "im2col",
                                                       np.median(res[(on, "f")]), np.median(res[(on, "b")])))
        _winograd.enabled = True


def netStep(clk, rounds, which):
    import bench_puzzlelib
    import common
    net = bench_puzzlelib.vggNet() if which == "vgg" else bench_puzzlelib.resNet()
    step = bench_puzzlelib.ImageStep(net, common.IMAGE_BATCH, common.IMAGE_STEPS, "ce")
    res = {False: [], True: []}
    for _ in range(rounds):
        for on in (False, True):
            _winograd.enabled = on
            step.block()
            res[on].append(timed(step.block, clk, 1) / step.steps)
    _winograd.enabled = True
    print("%s step (batch %d): im2col %.1f ms, winograd %.1f ms (medians of %d, alternating)" % (
        "VGG-style" if which == "vgg" else "ResNet-style", common.IMAGE_BATCH, np.median(res[False]), np.median(res[True]), rounds))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", choices=("layers", "vgg", "resnet"))
    args = parser.parse_args()
    if _winograd.kernels() is None:
        sys.exit("numba is not installed (the jit extra): nothing to compare")
    clk, what = clock()
    print("clock: %s; OPENBLAS_NUM_THREADS=%s NUMBA_NUM_THREADS=%s; load %.1f" % (
        what, os.environ.get("OPENBLAS_NUM_THREADS", "-"), os.environ.get("NUMBA_NUM_THREADS", "-"),
        os.getloadavg()[0]))
    if args.only in (None, "layers"):
        layers(clk, args.rounds, 64)
    for which in ("vgg", "resnet"):
        if args.only in (None, which):
            netStep(clk, args.rounds, which)


if __name__ == "__main__":
    main()
