"""PuzzleLib on the cuda backend against PyTorch CUDA, on the same card, in one process.

    PUZZLELIB_BACKEND=cuda PYTHONPATH=. python benchmarks/gpu_bench.py --out DIR [--quick]

Workloads (float32 throughout; TF32 is off in both libraries, which is both their defaults; a
float16 row runs the wide MLP with ``calcMode(np.float16)`` against ``model.half()``):

- ``tutorial_step``: the tutorial's net (1 -> 100 -> 1, relu), MSE, MomentumSGD(1e-2, 0.9), batch 10,
  through ``Trainer.train`` on device data; time per optimizer step.
- ``wide_mlp``: 4096 -> 4096 -> 4096 -> 10 (relu), MSE, MomentumSGD, batch 1024; time per step
  and achieved TFLOP/s (2 FLOPs per multiply-add of the forward matmuls, the weight gradients and
  the input gradients of every layer but the first, which neither library computes).

PyTorch does the same steps: ``zero_grad``, forward, ``0.5 * mean((pred - y)**2)``, backward,
``SGD(momentum=0.9).step()``, and adds the detached loss to a device accumulator as PuzzleLib's
cost does. Each number is the median over rounds of the time of a block of steps, with the device
synchronised around each block; the libraries alternate which goes first in each round.
Writes ``gpu_bench.json`` and ``gpu_bench.md`` to --out and prints the table.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("PUZZLELIB_BACKEND", "cuda")

import numpy as np  # noqa: E402

WIDE = (4096, 4096, 4096, 10)
DEVICE = "cuda"
CPU_SMOKE = False  # --cpu-smoke: both libraries on the CPU, to check this script without a GPU
WIDE_BATCH = 1024
LR, MOM = 1e-2, 0.9


def wideFlopsPerStep(sizes, batch):
    pairs = list(zip(sizes[:-1], sizes[1:]))
    macs = sum(i * o for i, o in pairs)
    forward = 2 * batch * macs
    weightGrads = 2 * batch * macs
    inputGrads = 2 * batch * (macs - pairs[0][0] * pairs[0][1])
    return forward + weightGrads + inputGrads


def tutorialData(n=1000):
    rng = np.random.RandomState(1234)
    X = np.linspace(-3, 3, n, dtype=np.float32).reshape(-1, 1)[rng.permutation(n)]
    Y = (2 * np.sin(X) + 5).astype(np.float32)
    return np.ascontiguousarray(X), np.ascontiguousarray(Y)


def wideData(batches, dtype=np.float32):
    rng = np.random.RandomState(4321)
    n = batches * WIDE_BATCH
    X = rng.standard_normal((n, WIDE[0])).astype(dtype)
    Y = np.zeros((n, WIDE[-1]), dtype=dtype)
    Y[np.arange(n), rng.randint(0, WIDE[-1], size=n)] = 1
    return X, Y


# ---- PuzzleLib ---------------------------------------------------------------------------------------

class PuzzleLibRunner:
    def __init__(self, sizes, batch, X, Y, dtype=np.float32):
        from PuzzleLib.Backend import gpuarray
        from PuzzleLib.Containers import Sequential
        from PuzzleLib.Cost import MSE
        from PuzzleLib.Handlers import Trainer
        from PuzzleLib.Modules import Activation, Linear
        from PuzzleLib.Modules.Activation import relu
        from PuzzleLib.Optimizers import MomentumSGD

        if not gpuarray.isGPU and not CPU_SMOKE:
            raise SystemExit("gpu_bench.py needs the cuda backend (PUZZLELIB_BACKEND=cuda); got %s" % gpuarray.backendName)
        self.gpuarray = gpuarray
        np.random.seed(1234)
        net = Sequential()
        for i, (insize, outsize) in enumerate(zip(sizes[:-1], sizes[1:])):
            # the tutorial's own "gaussian" for its 1-wide input; "he" keeps the wide net's activations O(1)
            net.append(Linear(insize, outsize, initscheme="gaussian" if sizes[0] == 1 else "he"))
            if i < len(sizes) - 2:
                net.append(Activation(relu))
        if dtype != np.float32:
            net.calcMode(dtype)
        self.cost = MSE()
        self.trainer = Trainer(net, self.cost, MomentumSGD(LR, MOM), batchsize=batch)
        self.X, self.Y = gpuarray.to_gpu(X.astype(dtype)), gpuarray.to_gpu(Y.astype(dtype))
        self.steps = -(-X.shape[0] // batch)

    def run(self):
        """One pass over the data (self.steps optimizer steps)."""
        self.trainer.train(self.X, self.Y, random=False)

    def sync(self):
        self.gpuarray.synchronize()

    def error(self):
        return self.cost.getMeanError()


# ---- PyTorch -----------------------------------------------------------------------------------------

class TorchRunner:
    def __init__(self, sizes, batch, X, Y, dtype=np.float32):
        import torch
        from torch import nn
        self.torch = torch
        torch.manual_seed(1234)
        layers = []
        for i, (insize, outsize) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(insize, outsize))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        tdtype = {np.float32: torch.float32, np.float16: torch.float16}[dtype]
        self.model = nn.Sequential(*layers).to(DEVICE, dtype=tdtype)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR, momentum=MOM)
        Xd = torch.from_numpy(X).to(DEVICE, dtype=tdtype)
        Yd = torch.from_numpy(Y).to(DEVICE, dtype=tdtype)
        self.batches = [(Xd[i:i + batch], Yd[i:i + batch]) for i in range(0, X.shape[0], batch)]
        self.steps = len(self.batches)
        self.acc = torch.zeros((), device=DEVICE, dtype=torch.float32)
        self.count = 0

    def run(self):
        model, opt, acc = self.model, self.opt, self.acc
        for x, y in self.batches:
            opt.zero_grad(set_to_none=True)
            loss = 0.5 * ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            acc += loss.detach().float()
        self.count += self.steps

    def sync(self):
        if DEVICE == "cuda":
            self.torch.cuda.synchronize()

    def error(self):
        return float(self.acc.item()) / max(self.count, 1)


# ---- timing ------------------------------------------------------------------------------------------

def timeSteps(runners, rounds, passes, warmup):
    """Median seconds per step of each runner; runners alternate which goes first per round."""
    for r in runners.values():
        for _ in range(warmup):
            r.run()
        r.sync()
    times = {k: [] for k in runners}
    names = list(runners)
    for rnd in range(rounds):
        order = names if rnd % 2 == 0 else names[::-1]
        for k in order:
            r = runners[k]
            r.sync()
            start = time.perf_counter()
            for _ in range(passes):
                r.run()
            r.sync()
            times[k].append((time.perf_counter() - start) / (passes * r.steps))
    return {k: statistics.median(v) for k, v in times.items()}


def runWorkload(name, sizes, batch, X, Y, dtype, rounds, passes, warmup, withTorch):
    runners = {"puzzlelib": PuzzleLibRunner(sizes, batch, X, Y, dtype)}
    if withTorch:
        runners["torch"] = TorchRunner(sizes, batch, X, Y, dtype)
    perStep = timeSteps(runners, rounds, passes, warmup)
    row = {"workload": name, "dtype": np.dtype(dtype).name, "batch": batch, "sizes": list(sizes)}
    for k, t in perStep.items():
        row["%s_step_ms" % k] = t * 1e3
        row["%s_error" % k] = runners[k].error()
    if "torch_step_ms" in row:
        row["ratio_puzzlelib_over_torch"] = row["puzzlelib_step_ms"] / row["torch_step_ms"]
    return row


def machine():
    info = {"python": platform.python_version(), "numpy": np.__version__, "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    try:
        import cupy
        props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
        info["gpu"] = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
        info["gpu_memory_gib"] = round(props["totalGlobalMem"] / 2 ** 30, 1)
        info["cupy"] = cupy.__version__
        info["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
        info["cupy_tf32"] = os.environ.get("CUPY_TF32", "0")
    except Exception as e:  # pragma: no cover - reported, not fatal
        info["gpu_error"] = str(e)
    try:
        import torch
        info["torch"] = torch.__version__
        info["torch_allow_tf32"] = bool(torch.backends.cuda.matmul.allow_tf32)
    except Exception as e:
        info["torch_error"] = str(e)
    return info


def markdown(info, rows):
    lines = ["GPU: %s (%s GiB), CuPy %s, PyTorch %s, %s" % (
        info.get("gpu"), info.get("gpu_memory_gib"), info.get("cupy"), info.get("torch"), info["date_utc"]), "",
        "| workload | dtype | batch | PuzzleLib ms/step | PyTorch ms/step | PuzzleLib / PyTorch | PuzzleLib TFLOP/s | PyTorch TFLOP/s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        def fmt(key, spec="%.3f"):
            return spec % r[key] if r.get(key) is not None else "-"
        lines.append("| %s | %s | %d | %s | %s | %s | %s | %s |" % (
            r["workload"], r["dtype"], r["batch"], fmt("puzzlelib_step_ms"), fmt("torch_step_ms"),
            fmt("ratio_puzzlelib_over_torch", "%.2fx"), fmt("puzzlelib_tflops", "%.3g"), fmt("torch_tflops", "%.3g")))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.environ.get("OUT", "gpu-bench-out"))
    parser.add_argument("--quick", action="store_true", help="a smoke run: small sizes, one round")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--cpu-smoke", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cpu_smoke:
        global DEVICE, CPU_SMOKE
        DEVICE, CPU_SMOKE = "cpu", True
        os.environ["PUZZLELIB_BACKEND"] = "cpu"
        args.quick = True
    os.makedirs(args.out, exist_ok=True)

    withTorch = not args.no_torch
    if withTorch:
        try:
            import torch
            withTorch = torch.cuda.is_available() or CPU_SMOKE
        except ImportError:
            withTorch = False
        if not withTorch:
            print("PyTorch CUDA is not available: PuzzleLib columns only", file=sys.stderr)

    info = machine()
    rows = []
    rounds = 1 if args.quick else 7

    X, Y = tutorialData()
    rows.append(runWorkload("tutorial_step", (1, 100, 1), 10, X, Y, np.float32, rounds,
                            passes=1 if args.quick else 3, warmup=2, withTorch=withTorch))

    sizes = (256, 256, 256, 10) if args.quick else WIDE
    for dtype in ((np.float32,) if CPU_SMOKE else (np.float32, np.float16)):
        X, Y = wideData(2 if args.quick else 8)
        X = X[:, :sizes[0]].copy()
        row = runWorkload("wide_mlp", sizes, WIDE_BATCH, X, Y, dtype, rounds,
                          passes=1 if args.quick else 2, warmup=2, withTorch=withTorch)
        flops = wideFlopsPerStep(sizes, WIDE_BATCH)
        row["gflop_per_step"] = flops / 1e9
        for k in ("puzzlelib", "torch"):
            if row.get("%s_step_ms" % k):
                row["%s_tflops" % k] = flops / (row["%s_step_ms" % k] * 1e-3) / 1e12
        rows.append(row)

    result = {"machine": info, "rows": rows}
    with open(os.path.join(args.out, "gpu_bench.json"), "w") as f:
        json.dump(result, f, indent=2)
    table = markdown(info, rows)
    with open(os.path.join(args.out, "gpu_bench.md"), "w") as f:
        f.write(table)
    print(table)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
