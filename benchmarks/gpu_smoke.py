"""The first stage of benchmarks/gpu_check.sh: does everything start on the GPU? (well under 60 s)

    PYTHONPATH=. python benchmarks/gpu_smoke.py            # on a machine with an NVIDIA GPU and CuPy
    PYTHONPATH=. python benchmarks/gpu_smoke.py --emulate  # here: over the CuPy stand-in (tests/Backend/cudaemu.py)

Checks, each on its own line ("ok" or "FAIL" with the error's last line), so that one broken part
neither hides the others nor costs the rest of the device time:

- import: PuzzleLib on the cuda backend; the versions of CuPy, NumPy and the CUDA runtime;
- kernels: every fused kernel of ``PuzzleLib/Backend/_cuda.py`` once in float32, float16 and
  float64 against the numpy backend's function (activations forward and backward, gradient
  accumulation, MSE, SGD and momentum, every optimizer rule, softmax cross-entropy, scatter-add,
  the float64 sum of squares);
- one Trainer call of three batches (the later ones replay the captured step) for every cost a
  Trainer drives and every optimizer, with and without a gradient hook, checking the error is finite
  and the parameters moved; CTC and L1Hinge called directly;
- float16: BatchNorm2D on (32, 4, 56, 56) data gives outputs of unit spread (issue 20, finding 1),
  a float16 Linear against float32, and a Conv2D forward and backward.

Exit status: 0 when every check passed, 1 when one failed, 2 when PuzzleLib or CuPy did not import.
"""
import argparse
import os
import sys
import time
import traceback

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = []


def check(name, fn):
    start = time.perf_counter()
    try:
        note = fn()
        line = "ok    %-44s %6.2fs%s" % (name, time.perf_counter() - start, "  " + note if note else "")
        RESULTS.append(True)
    except Exception as e:  # a smoke check reports every failure and goes on
        where = traceback.extract_tb(e.__traceback__)[-1]
        line = "FAIL  %-44s %6.2fs  %s: %s (%s:%d)" % (name, time.perf_counter() - start, type(e).__name__,
                                                     str(e).splitlines()[0][:300] if str(e) else "",
                                                     os.path.basename(where.filename), where.lineno)
        RESULTS.append(False)
    print(line, flush=True)


def _emulate():
    """Install the CuPy stand-in as ``cupy`` (to check this script on a machine without a GPU)."""
    import tempfile
    sys.path.insert(0, ROOT)
    from tests.Backend import cudaemu
    lib, _ = cudaemu.buildHostKernels(tempfile.mkdtemp(prefix="puzzlelib-smoke-"))
    sys.modules["cupy"], sys.modules["cupyx"] = cudaemu.fakeCupy(lib)


def _close(actual, expected, dtype, what):
    tol = {np.float16: 3e-3, np.float32: 1e-5, np.float64: 1e-10}[dtype]
    a, e = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    if not np.allclose(a, e, rtol=tol, atol=tol):
        raise AssertionError("%s: max |diff| %.3g (tolerance %g)" % (what, np.max(np.abs(a - e)), tol))


def kernelChecks(gpuarray, cpu):
    from tests.Backend._optrules import RULES, draw, reference
    k = gpuarray.kernels
    dev = gpuarray.to_gpu

    def ref(dtype):
        return np.float32 if dtype == np.float16 else dtype

    for dtype in (np.float32, np.float16, np.float64):
        tag = np.dtype(dtype).name

        def activations(dtype=dtype):
            x = np.random.uniform(-2, 2, (7, 5)).astype(dtype)
            g = np.random.uniform(-2, 2, (7, 5)).astype(dtype)
            for name, (fwd, bwd) in sorted(k.activationKernels.items()):
                args = {"leakyRelu": (0.1,), "elu": (1.0,), "clip": (-1.0, 1.0)}.get(name, ())
                y = gpuarray.empty(x.shape, dtype)
                fwd(dev(x), y, args)
                yRef = np.empty(x.shape, ref(dtype))
                cpu.activationKernels[name][0](x.astype(ref(dtype)), yRef, args)
                _close(y.get(), yRef, dtype, name + " forward")
                d = gpuarray.empty(x.shape, dtype)
                bwd(dev(g), y, d, args)
                dRef = np.empty(x.shape, ref(dtype))
                cpu.activationKernels[name][1](g.astype(ref(dtype)), y.get().astype(ref(dtype)), dRef, args)
                _close(d.get(), dRef, dtype, name + " backward")
            return "%d activations" % len(k.activationKernels)

        def simple(dtype=dtype):
            p = np.random.uniform(-2, 2, (64, 33)).astype(dtype)
            t = np.random.uniform(-2, 2, (64, 33)).astype(dtype)
            g = gpuarray.empty(p.shape, dtype)
            err = k.mseGradError(dev(p), dev(t), g)
            gRef = np.empty(p.shape, ref(dtype))
            errRef = cpu.mseGradError(p.astype(ref(dtype)), t.astype(ref(dtype)), gRef)
            _close(float(err), errRef, dtype, "mse error")
            _close(g.get(), gRef, dtype, "mse grad")
            for scale, mom in ((1.0, 0.0), (0.5, 0.0), (0.5, 0.9)):
                dst = dev(t)
                k.accumulate(dst, dev(p), scale, mom)
                _close(dst.get(), scale * p.astype(np.float64) + mom * t.astype(np.float64), dtype, "accumulate")
            param, mom = dev(p), dev(t)
            k.sgdUpdate(param, dev(t), 0.1)
            _close(param.get(), p.astype(np.float64) + 0.1 * t.astype(np.float64), dtype, "sgd")
            param = dev(p)
            k.momentumUpdate(param, dev(p), mom, 0.1, 0.9, None)
            m = 0.9 * t.astype(np.float64) + 0.1 * p.astype(np.float64)
            _close(param.get(), p.astype(np.float64) + m, dtype, "momentum")
            s = k.sumOfSquares(dev(p))
            _close(float(s), np.sum(p.astype(np.float64) ** 2), dtype, "sum of squares")

        def rules(dtype=dtype):
            for fname in sorted(RULES):
                param, grad, states = draw(fname, (5, 9), dtype)
                pRef, sRef = reference(cpu, fname, param, grad, states, ref(dtype))
                p, st = dev(param), [dev(x) for x in states]
                temp = (None,) if RULES[fname][3] else ()
                getattr(k, fname)(p, dev(grad), *st, *RULES[fname][2], None, *temp)
                for actual, expected in zip([p] + st, [pRef] + sRef):
                    _close(actual.get(), expected, dtype, fname)
            return "%d rules" % len(RULES)

        check("kernels: activations %s" % tag, activations)
        check("kernels: mse/accumulate/sgd/momentum %s" % tag, simple)
        check("kernels: optimizer rules %s" % tag, rules)

    def crossEntropy():
        for weights in (None, np.array([0.5, 1.0, 2.0, 0.25], np.float32)):
            scores = np.random.randn(3, 4, 2, 3).astype(np.float32)
            labels = np.random.randint(0, 4, (3, 2, 3)).astype(np.int32)
            gRef = np.empty(scores.shape, np.float32)
            errRef = cpu.crossEntropyGradError(scores, labels, gRef, weights)
            g = gpuarray.empty(scores.shape, np.float32)
            err = k.crossEntropyGradError(dev(scores), dev(labels), g, None if weights is None else dev(weights))
            _close(float(err), errRef, np.float32, "cross-entropy error")
            _close(g.get(), gRef, np.float32, "cross-entropy grad")
        dst = np.random.randn(6, 3).astype(np.float32)
        vals = np.random.randn(6, 3).astype(np.float32)
        idx = np.array([0, 2, 2, 5, 0, 0])
        d = dev(dst)
        k.scatterAdd(d, dev(idx), dev(vals))
        cpu.scatterAdd(dst, idx, vals)
        _close(d.get(), dst, np.float32, "scatter-add")

    check("kernels: cross-entropy, scatter-add", crossEntropy)


def trainerChecks(gpuarray):
    from PuzzleLib import Optimizers
    from PuzzleLib.Containers import Sequential
    from PuzzleLib.Cost import BCE, CTC, MSE, SVM, Abs, CrossEntropy, Hinge, KLDivergence, L1Hinge, SmoothL1
    from PuzzleLib.Handlers import Trainer
    from PuzzleLib.Modules import Activation, BatchNorm, Linear
    from PuzzleLib.Optimizers.Hooks import ClipByGlobalNorm

    def targets(cost, n):
        if isinstance(cost, (CrossEntropy, SVM)):
            return np.random.randint(0, 3, n).astype(np.int32), 3
        if isinstance(cost, BCE):
            return np.random.randint(0, 2, (n, 1)).astype(np.float32), 1
        if isinstance(cost, KLDivergence):
            t = np.random.uniform(0.1, 1, (n, 3)).astype(np.float32)
            return t / t.sum(axis=1, keepdims=True), 3
        if isinstance(cost, Hinge):
            return np.random.randint(0, 2, (n, 2)).astype(np.int32), 2
        return np.random.randn(n, 2).astype(np.float32), 2

    def step(cost, opt, hook=None):
        T, classes = targets(cost, 24)
        net = Sequential().append(Linear(3, 8)).append(BatchNorm(8)).append(Activation("relu")).append(
            Linear(8, classes))
        opt.setupOn(net, useGlobalState=True)
        if hook is not None:
            opt.addHook(hook)
        W0 = net[0].W.get()
        trainer = Trainer(net, cost, opt, batchsize=8)
        trainer.train(gpuarray.to_gpu(np.random.randn(24, 3).astype(np.float32)), gpuarray.to_gpu(T))
        err = cost.getMeanError()
        if not np.isfinite(err):
            raise AssertionError("error %r" % err)
        if np.array_equal(W0, net[0].W.get()):
            raise AssertionError("the parameters did not move")
        return "error %.4g, %d replayed" % (err, trainer._plannedBatches)

    for make in (MSE, Abs, SmoothL1, BCE, CrossEntropy, lambda: CrossEntropy(weights=[1.0, 2.0, 0.5]), SVM,
                 KLDivergence, lambda: KLDivergence(normTarget=True), Hinge):
        cost = make()
        check("trainer: %s" % cost, lambda cost=cost: step(cost, Optimizers.MomentumSGD(learnRate=0.01)))
    for name in ("SGD", "MomentumSGD", "NesterovSGD", "Adam", "AdaGrad", "AdaDelta", "RMSProp", "RMSPropGraves",
                 "SMORMS3"):
        check("trainer: MSE + %s" % name, lambda name=name: step(MSE(), getattr(Optimizers, name)()))
    check("trainer: MSE + Adam + ClipByGlobalNorm",
          lambda: step(MSE(), Optimizers.Adam(), ClipByGlobalNorm(0.1)))

    def ctc():
        pred = gpuarray.to_gpu(np.random.randn(6, 2, 4).astype(np.float32))
        labels = gpuarray.to_gpu(np.array([[1, 2], [3, -1]], np.int32))
        err, grad = CTC(blank=0)(pred, labels)
        if not np.isfinite(err) or grad.shape != (6, 2, 4):
            raise AssertionError("error %r, grad %s" % (err, grad.shape))
        return "error %.4g" % err

    def l1hinge():
        a = gpuarray.to_gpu(np.random.randn(4, 3).astype(np.float32))
        b = gpuarray.to_gpu(np.random.randn(4, 3).astype(np.float32))
        err, grads = L1Hinge()([a, b], gpuarray.to_gpu(np.array([1, 0, 1, 0], np.int32)))
        if not np.isfinite(err):
            raise AssertionError("error %r" % err)

    check("cost: CTC", ctc)
    check("cost: L1Hinge", l1hinge)


def float16Checks(gpuarray):
    from PuzzleLib.Modules import BatchNorm2D, Conv2D, Linear

    def batchNorm():
        mod = BatchNorm2D(4, sscale=0)
        mod.calcMode(np.float16)
        x = (np.random.randn(32, 4, 56, 56) * 3).astype(np.float16)
        y = mod(gpuarray.to_gpu(x)).get().astype(np.float64)
        std = y.std(axis=(0, 2, 3))
        if not np.allclose(std, 1, rtol=5e-3):
            raise AssertionError("output std per map %s, not 1" % std)
        g = mod.backward(gpuarray.to_gpu(np.random.randn(*x.shape).astype(np.float16))).get()
        if not np.isfinite(g).all():
            raise AssertionError("non-finite input gradient")
        return "std %s" % np.round(std, 4)

    def linear():
        lin = Linear(256, 64)
        x = np.random.randn(32, 256).astype(np.float32)
        ref = lin(gpuarray.to_gpu(x)).get()
        lin.calcMode(np.float16)
        y = lin(gpuarray.to_gpu(x.astype(np.float16))).get().astype(np.float32)
        if not np.allclose(y, ref, rtol=2e-2, atol=2e-2):
            raise AssertionError("max |diff| %.3g" % np.abs(y - ref).max())

    def conv(dtype):
        conv = Conv2D(3, 8, 3, pad=1)
        conv.calcMode(dtype)
        x = gpuarray.to_gpu(np.random.randn(4, 3, 16, 16).astype(dtype))
        y = conv(x)
        g = conv.backward(gpuarray.to_gpu(np.ones(y.shape, dtype)))
        if not (np.isfinite(y.get()).all() and np.isfinite(g.get()).all()):
            raise AssertionError("non-finite output or gradient")

    check("float16: BatchNorm2D (32, 4, 56, 56)", batchNorm)
    check("float16: Linear against float32", linear)
    check("conv: Conv2D float32 forward/backward", lambda: conv(np.float32))
    check("conv: Conv2D float16 forward/backward", lambda: conv(np.float16))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emulate", action="store_true", help="over the CuPy stand-in, without a GPU")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    if args.emulate:
        _emulate()
    os.environ["PUZZLELIB_BACKEND"] = "cuda"
    np.random.seed(0)
    try:
        import cupy
        from PuzzleLib.Backend import _cpu, gpuarray
        assert gpuarray.backendName == "cuda", gpuarray.backendName
        try:
            runtime = cupy.cuda.runtime.runtimeGetVersion()
        except AttributeError:
            runtime = "n/a"
        print("ok    import: cupy %s, numpy %s, CUDA runtime %s, %.1fs" % (
            cupy.__version__, np.__version__, runtime, time.perf_counter() - start), flush=True)
    except Exception as e:
        print("FAIL  import: %s: %s" % (type(e).__name__, e), flush=True)
        return 2
    kernelChecks(gpuarray, _cpu)
    trainerChecks(gpuarray)
    float16Checks(gpuarray)
    failed = RESULTS.count(False)
    print("smoke: %d passed, %d failed in %.1fs" % (RESULTS.count(True), failed, time.perf_counter() - start))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
