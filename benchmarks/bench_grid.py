"""PuzzleLib.Grid on this machine: the wide MLP over 2 MPI ranks against one process, and the
allreduce bandwidth that the ring-allreduce cost model takes for its scaling estimates.

    python benchmarks/bench_grid.py            # prints a table, writes benchmarks/grid_results.json
    python benchmarks/bench_grid.py --quick    # tiny sizes, one round (a smoke run)

- ``single``: one process, 2 BLAS threads, Trainer with batch 256 (the wide MLP of run.py);
- ``grid``: ``mpiexec -n 2``, 1 BLAS thread per rank, DataParallel(Trainer(batch 128)): the same
  steps on the same global batches; the time each rank spends inside the allreduces is counted;
- ``allreduce``: float32 MPI_Allreduce between 2 ranks, 4 KiB to 64 MiB, best of the repeats;
  alpha and beta of T = 2 (p - 1) alpha + 2 (p - 1) / p * bytes * beta from the smallest and the
  largest message; then the ring-allreduce model's expected scaling (see ``paperScaling``).

Rounds alternate single and grid runs; the training numbers are medians (the machine is shared).
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import common  # noqa: E402


def _env(threads):
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    env.setdefault("PUZZLELIB_BACKEND", "cpu")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, HERE, env.get("PYTHONPATH", "")) if p)
    return env


def _mpiexec():
    sys.path.insert(0, ROOT)
    from PuzzleLib.Grid import _mpi
    return _mpi.mpiexecPath()


# ---- what the processes run ----
def _epochs(samples, batch, epochs):
    """Train the wide MLP for ``epochs`` epochs of ``samples`` (after one warm-up epoch) with
    DataParallel over however many ranks run this; prints one JSON line from rank 0."""
    import numpy as np
    from PuzzleLib.Cost import CrossEntropy
    from PuzzleLib.Grid import DataParallel
    from PuzzleLib.Handlers import Trainer
    import bench_puzzlelib

    X, labels, _ = common.wideData(samples)
    np.random.seed(0)
    net = bench_puzzlelib.wideNet()
    trainer = bench_puzzlelib._trainer(net, CrossEntropy(), batch, common.WIDE_LR, common.WIDE_MOMENTUM)
    trainer = DataParallel(trainer)
    comm = trainer.comm
    spent = [0.0]
    allreduce = comm.allreduce

    def timedAllreduce(ary, average=False):
        start = time.perf_counter()
        try:
            return allreduce(ary, average)
        finally:
            spent[0] += time.perf_counter() - start

    comm.allreduce = timedAllreduce
    trainer.trainFromHost(X, labels)   # warm-up: buffers, captured steps
    times, comms = [], []
    for _ in range(epochs):
        spent[0] = 0.0
        comm.barrier()
        start = time.perf_counter()
        trainer.trainFromHost(X, labels)
        times.append(time.perf_counter() - start)
        comms.append(spent[0])
    steps = -(-samples // (batch * trainer.gridsize))
    allComms = comm.gatherValues(statistics.median(comms))
    if trainer.isRoot:
        print(json.dumps({"ranks": trainer.gridsize, "steps": steps, "epoch_s": statistics.median(times),
                          "step_ms": 1e3 * statistics.median(times) / steps,
                          "comm_s_per_rank": [float(c) for c in allComms]}), flush=True)


def _allreduce(maxExp, repeats):
    import numpy as np
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    rows = []
    for exp in range(12, maxExp + 1, 2):
        buf = np.ones(2 ** exp // 4, np.float32)
        comm.Allreduce(MPI.IN_PLACE, buf)
        times = []
        for _ in range(repeats):
            comm.Barrier()
            start = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buf)
            times.append(time.perf_counter() - start)
        worst = comm.allreduce(min(times), op=MPI.MAX)   # best of the repeats: what the link can do
        rows.append((2 ** exp, worst))
    if comm.Get_rank() == 0:
        print(json.dumps({"ranks": comm.Get_size(), "rows": rows}), flush=True)


# ---- the driver ----
def _jsonLine(text):
    for line in text.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("no result in:\n" + text)


def _run(command, threads):
    proc = subprocess.run(command, cwd=ROOT, env=_env(threads), capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError("%s failed:\n%s%s" % (" ".join(command), proc.stdout, proc.stderr))
    return _jsonLine(proc.stdout)


def fitRing(rows, p, nbytes):
    """(alpha s, beta s/byte) of T = 2 (p - 1) alpha + 2 (p - 1) / p * n * beta: alpha from the
    smallest message (latency-bound), beta from the message nearest ``nbytes`` in size (the
    gradient's: on a CPU the bandwidth falls once messages outgrow the caches); a least-squares
    fit over all sizes lets the largest messages swamp alpha."""
    (n0, t0) = min(rows)
    (n1, t1) = min(rows, key=lambda row: abs(math.log(row[0] / nbytes)))
    alpha = t0 / (2 * (p - 1))
    beta = max(t1 - 2 * (p - 1) * alpha, 1e-12) / (2 * (p - 1) / p * n1)
    return float(alpha), float(beta)


def ringTime(nbytes, p, alpha, beta):
    return 2 * (p - 1) * alpha + 2 * (p - 1) / p * nbytes * beta


# Links for the paper estimate: assumed, not measured here (no GPU, one machine). Bus bandwidths of
# the order NCCL's allreduce reaches: NVLink 4 inside an 8-GPU H100 node, one 400 Gb/s InfiniBand
# port per node between nodes; per-hop latencies of the order of NCCL's small-message times.
LINKS = {
    "8 GPUs, one node (NVLink)": {"p": 8, "busGBps": 350.0, "alpha_us": 5.0},
    "16 nodes, 1 GPU each (400 Gb/s InfiniBand)": {"p": 16, "busGBps": 45.0, "alpha_us": 10.0},
}
GPU_TFLOPS = 20.0  # assumed sustained float32 rate of one GPU on these small products


def paperScaling(params, perRankBatch, alpha, beta, cpuStepS):
    """Expected speed-up of N ranks, each with its own batch (weak scaling), with the gradient
    allreduce after the backward pass (no overlap): N * t_step / (t_step + T_allreduce(N)).
    GPU steps from the FLOP count (6 per parameter per sample) at GPU_TFLOPS, for the benchmark's
    batch per rank and a 16 times larger one; the CPU step is the one measured here."""
    nbytes = 4 * params
    rows = []
    for name, link in LINKS.items():
        p = link["p"]
        cases = [("assumed link, GPU step, batch %d/rank" % batch, link["alpha_us"] * 1e-6, 1e-9 / link["busGBps"],
                  6.0 * params * batch / (GPU_TFLOPS * 1e12)) for batch in (perRankBatch, 16 * perRankBatch)]
        cases.append(("measured alpha/beta here, CPU step here", alpha, beta, cpuStepS))
        for label, a, b, step in cases:
            comm = ringTime(nbytes, p, a, b)
            rows.append({"setup": name, "model": label, "ranks": p, "step_ms": 1e3 * step,
                         "allreduce_ms": 1e3 * comm, "efficiency": step / (step + comm),
                         "speedup": p * step / (step + comm)})
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(HERE, "grid_results.json"))
    args = parser.parse_args()
    samples, epochs, rounds, maxExp, repeats = (512, 1, 1, 16, 2) if args.quick else (
        common.WIDE_SAMPLES, 2, args.rounds, 26, 15)
    mpiexec = _mpiexec()
    me = os.path.abspath(__file__)

    single, grid = [], []
    for _ in range(rounds):
        single.append(_run([sys.executable, me, "--epochs", str(samples), str(common.WIDE_BATCH), str(epochs)], 2))
        grid.append(_run([mpiexec, "-n", "2", sys.executable, me, "--epochs", str(samples),
                          str(common.WIDE_BATCH // 2), str(epochs)], 1))
    ar = _run([mpiexec, "-n", "2", sys.executable, me, "--allreduce", str(maxExp), str(repeats)], 1)
    params = sum(a * b + b for a, b in zip(common.WIDE_SIZES[:-1], common.WIDE_SIZES[1:]))
    alpha, beta = fitRing(ar["rows"], 2, 4 * params)

    singleStep = statistics.median(r["step_ms"] for r in single)
    gridStep = statistics.median(r["step_ms"] for r in grid)
    gridComm = statistics.median(max(r["comm_s_per_rank"]) / r["steps"] * 1e3 for r in grid)
    result = {
        "machine": {"cpus": os.cpu_count(), "loadavg": os.getloadavg()},
        "wide_mlp": {"sizes": common.WIDE_SIZES, "global_batch": common.WIDE_BATCH, "samples": samples,
                     "params": params, "single_2threads_step_ms": singleStep,
                     "grid_2x1thread_step_ms": gridStep, "grid_comm_ms_per_step": gridComm,
                     "grid_comm_share": gridComm / gridStep, "speedup": singleStep / gridStep,
                     "rounds": {"single": single, "grid": grid}},
        "allreduce": {"rows_bytes_seconds": ar["rows"], "alpha_s": alpha, "beta_s_per_byte": beta,
                      "bandwidth_GBps": 1e-9 / beta if beta > 0 else None,
                      "model_grad_allreduce_ms": 1e3 * ringTime(4 * params, 2, alpha, beta)},
    }
    result["paper_scaling"] = paperScaling(params, common.WIDE_BATCH // 2, alpha, beta,
                                           (gridStep - gridComm) / 1e3)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print("wide MLP %s, global batch %d: 1 process x 2 threads %.2f ms/step; 2 ranks x 1 thread %.2f ms/step "
          "(%.2f ms, %.0f%% in allreduce; speed-up %.2f)" % (
              "-".join(map(str, common.WIDE_SIZES)), common.WIDE_BATCH, singleStep, gridStep, gridComm,
              100 * gridComm / gridStep, singleStep / gridStep))
    print("allreduce, 2 ranks: alpha %.1f us, bandwidth %.2f GB/s; model for the %.1f MB gradient: %.2f ms" % (
        1e6 * alpha, 1e-9 / beta, 4 * params / 1e6, 1e3 * ringTime(4 * params, 2, alpha, beta)))
    for n, t in ar["rows"]:
        print("  %10d bytes  %9.3f ms  (model %9.3f ms)" % (n, 1e3 * t, 1e3 * ringTime(n, 2, alpha, beta)))
    print("ring-allreduce model, weak scaling (batch %d per rank), gradient %.1f MB:" % (
        common.WIDE_BATCH // 2, 4 * params / 1e6))
    for row in result["paper_scaling"]:
        print("  %-44s %-40s step %8.3f ms  allreduce %8.3f ms  efficiency %3.0f%%  speed-up %5.1f" % (
            row["setup"], row["model"], row["step_ms"], row["allreduce_ms"], 100 * row["efficiency"],
            row["speedup"]))
    print("written to", args.out)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--epochs":
        sys.path.insert(0, ROOT)
        _epochs(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--allreduce":
        _allreduce(int(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
