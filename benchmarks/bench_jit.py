"""Issue 14: the compiled BatchNorm / max-pool / relu passes (PuzzleLib/Backend/_jit.py) against
the numpy passes, module by module and in the VGG-style training step, in one process,
alternating three settings (medians, and the best time, which is what free cores give):

- numpy: every array on the numpy passes as they are now (``_jit.MIN_SIZE`` past every size;
  max-pooling's strided-view path, BatchNorm's sums as BLAS products);
- compiled, 1 thread: the compiled kernels, no helper threads (``_jit.THREADS = 1``);
- compiled, N threads: as the library runs by default (N = ``_jit.THREADS``, up to 4).

    .venv/bin/python benchmarks/bench_jit.py                  (wall time; the thread split shows)
    .venv/bin/python benchmarks/bench_jit.py --no-step        (modules only, seconds)

Wall time throughout, since the helper threads' work is what is measured; on a machine whose
cores other processes use the times mean little (benchmarks/RESULTS.md, issue 14).
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from PuzzleLib.Backend import _jit  # noqa: E402
from PuzzleLib.Backend.gpuarray import to_gpu  # noqa: E402
from PuzzleLib.Modules import Activation, BatchNorm2D, MaxPool2D  # noqa: E402
from PuzzleLib.Modules.Activation import relu  # noqa: E402

THREADS = _jit.THREADS
SETTINGS = [("numpy", float("inf"), 1), ("compiled, 1 thread", _jit.MIN_SIZE, 1),
            ("compiled, %d threads" % THREADS, _jit.MIN_SIZE, THREADS)]
SHAPES = [(64, 32, 32, 32), (64, 64, 16, 16)]  # the VGG net's BatchNorm / relu / max-pool inputs


def use(setting):
    _, minSize, threads = setting
    _jit.MIN_SIZE, _jit.THREADS = minSize, threads


def timed(fn, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def passes(shape):
    """name -> zero-argument call of one pass, for the modules on data of ``shape``."""
    rng = np.random.default_rng(0)
    x = to_gpu(rng.standard_normal(shape).astype(np.float32))
    g = to_gpu(rng.standard_normal(shape).astype(np.float32))
    bn, act, pool = BatchNorm2D(shape[1]), Activation(relu), MaxPool2D(2, 2)
    gp = to_gpu(rng.standard_normal(pool.dataShapeFrom(shape)).astype(np.float32))

    def bnBackward():
        bn(x)  # the backward pass reads what the forward pass of the same setting kept
        t = time.perf_counter()
        bn.backward(g)
        return time.perf_counter() - t

    def poolBackward():
        pool(x)
        t = time.perf_counter()
        pool.backward(gp)
        return time.perf_counter() - t

    def reluBackward():
        act(x)
        t = time.perf_counter()
        act.backward(g)
        return time.perf_counter() - t

    return [("BatchNorm2D forward", lambda: bn(x), False), ("BatchNorm2D backward", bnBackward, True),
            ("relu forward", lambda: act(x), False), ("relu backward", reluBackward, True),
            ("MaxPool2D forward", lambda: pool(x), False), ("MaxPool2D backward", poolBackward, True)]


def modules(rounds, reps):
    print("pass | shape | " + " | ".join("%s: median / best ms" % s[0] for s in SETTINGS))
    for shape in SHAPES:
        for name, call, selfTimed in passes(shape):
            res = {s[0]: [] for s in SETTINGS}
            for _ in range(rounds):
                for setting in SETTINGS:
                    use(setting)
                    call()  # warm-up (and the compilation, the first time)
                    if selfTimed:
                        res[setting[0]] += [call() for _ in range(reps)]
                    else:
                        res[setting[0]] += timed(call, reps)
            print("%s | %s | %s" % (name, "x".join(map(str, shape)), " | ".join(
                "%.3f / %.3f" % (np.median(res[s[0]]) * 1e3, np.min(res[s[0]]) * 1e3) for s in SETTINGS)))


def vggStep(rounds):
    import bench_puzzlelib
    import common
    work = bench_puzzlelib.build("vgg", {"batch": common.IMAGE_BATCH, "steps": common.IMAGE_STEPS, "cost": "auto"})
    res = {s[0]: [] for s in SETTINGS}
    for _ in range(rounds):
        for setting in SETTINGS:
            use(setting)
            work.block()  # warm-up: the first batch of a train() call runs the usual way
            res[setting[0]] += [t / common.IMAGE_STEPS for t in timed(work.block, 1)]
    print("VGG-style step, batch %d | %s" % (common.IMAGE_BATCH, " | ".join(
        "%s: %.1f / %.1f ms" % (s[0], np.median(res[s[0]]) * 1e3, np.min(res[s[0]]) * 1e3) for s in SETTINGS)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternations of the three settings")
    parser.add_argument("--reps", type=int, default=9, help="calls per setting and round (modules)")
    parser.add_argument("--no-step", action="store_true", help="leave the VGG step out")
    args = parser.parse_args()
    if not _jit.available():
        sys.exit("bench_jit: numba is not installed (pip install -e '.[jit]')")
    print("load average %.1f, %d cores, helper threads up to %d" % (os.getloadavg()[0], os.cpu_count(), THREADS))
    modules(args.rounds, args.reps)
    if not args.no_step:
        vggStep(args.rounds)


if __name__ == "__main__":
    main()
