"""Smoke test of the benchmark harness (benchmarks/run.py): a --quick run without PyTorch.

It checks that the harness runs and writes results.json with the expected structure; it asserts
nothing about speed (the numbers come from `make bench`, never from a test).
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "benchmarks", "run.py")

TIMED = ("tutorial_step_b10", "tutorial_step_b100", "tutorial_full", "wide_mlp")


def _runQuick(tmp_path, *extra):
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, RUN, "--quick", "--no-torch", "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text()), proc.stdout


def test_quick_run_without_torch_writes_expected_json(tmp_path):
    result, stdout = _runQuick(tmp_path)

    assert set(result) >= {"machine", "config", "workloads", "targets", "notes", "wall_s", "date"}
    assert set(result["machine"]) >= {"cpu_model", "cpus", "numpy", "numpy_blas", "loadavg_start", "loadavg_end"}
    assert result["config"]["quick"] is True
    assert result["config"]["cost"] in ("mse", "ce")

    workloads = result["workloads"]
    assert set(workloads) == set(TIMED) | {"cnn", "vgg", "resnet", "memory"}
    for name in TIMED:
        entry = workloads[name]
        assert set(entry) >= {"unit", "libs", "ratio_puzzlelib_torch"}
        pl = entry["libs"]["puzzlelib"]
        assert set(pl) >= {"median", "min", "max", "samples"}
        assert pl["median"] > 0
        assert entry["libs"]["torch"] is None          # torch left out: PuzzleLib-only columns
        assert entry["ratio_puzzlelib_torch"] is None
    for name in ("tutorial_step_b10", "tutorial_step_b100", "tutorial_full"):
        assert workloads[name]["libs"]["numpy"]["median"] > 0    # the hand-made numpy net

    wide = workloads["wide_mlp"]
    assert set(wide["libs"]["puzzlelib"]) >= {"samples_per_s", "gflops", "fraction_of_ceiling"}
    assert set(wide["sgemm"]) >= {"per_op", "ceiling_gflops", "ceiling_epoch_s"}
    assert len(wide["sgemm"]["per_op"]) == 8      # 3 forward, 3 weight-gradient, 2 input-gradient products

    cnn = workloads["cnn"]
    assert "skipped" in cnn or cnn["libs"]["puzzlelib"]["median"] > 0
    for name in ("vgg", "resnet"):      # the CIFAR-sized CNNs, ms per step
        entry = workloads[name]
        assert entry["unit"] == "ms/step" and entry["libs"]["puzzlelib"]["median"] > 0
        assert entry["ratio_puzzlelib_torch"] is None

    mem = workloads["memory"]["libs"]["puzzlelib"]
    assert set(mem) >= {"peak_rss", "rss_epoch2", "rss_last", "growth", "rss_per_epoch"}
    assert len(mem["rss_per_epoch"]) == result["config"]["memory_epochs"]
    assert workloads["memory"]["libs"]["torch"] is None

    names = [t["name"] for t in result["targets"]]
    assert any("PuzzleLib / PyTorch" in n for n in names)
    assert any("hand-made numpy net" in n for n in names)
    assert any("sgemm ceiling" in n for n in names)
    assert any("RSS growth" in n for n in names)
    for t in result["targets"]:
        assert set(t) >= {"name", "value", "limit", "met"}
        if "PyTorch" in t["name"]:
            assert t["value"] is None and t["met"] is None     # cannot be judged without torch
        else:
            assert isinstance(t["met"], bool)

    assert "PuzzleLib" in stdout and "Targets" in stdout


def test_only_runs_one_workload(tmp_path):
    result, _ = _runQuick(tmp_path, "--only", "tutorial_step")
    assert set(result["workloads"]) == {"tutorial_step_b10", "tutorial_step_b100"}
    assert result["config"]["only"] == ["tutorial_step"]


def test_onnx_inference_benchmark_quick_run(tmp_path):
    """benchmarks/bench_onnx.py (in make bench): PuzzleLib and ONNX Runtime on the same CNN."""
    import pytest
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed (pip install 'puzzlelib[onnx]')")
    out = tmp_path / "onnx.json"
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "bench_onnx.py"), "--quick", "--out", str(out)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text())
    entry = result["batches"]["32"]
    assert set(entry) == {"puzzlelib_s", "onnxruntime_s", "ratio_puzzlelib_onnxruntime", "max_relative_difference"}
    assert entry["max_relative_difference"] < 1e-5  # the two computed the same thing before being timed


def test_gpu_check_smoke_stage_over_the_cupy_stand_in(tmp_path):
    """benchmarks/gpu_check.sh's first stage (gpu_smoke.py: every fused kernel, a Trainer call per
    cost and optimizer, float16 BatchNorm) runs through the CuPy stand-in and passes, and what the
    script leaves in $OUT is at most 8 files (the device machine returns no more)."""
    import shutil
    if shutil.which("bash") is None:
        raise AssertionError("bash is needed for benchmarks/gpu_check.sh")
    from tests.Backend import cudaemu
    lib = tmp_path / "emu"
    lib.mkdir()
    cudaemu.buildHostKernels(str(lib))
    shim = cudaemu._writeShims(str(lib), str(lib / "kernels.so"))
    out = tmp_path / "out"
    env = dict(os.environ, OUT=str(out), PYTHON=sys.executable, GPU_CHECK_STAGES="smoke",
               PYTHONPATH=os.pathsep.join([shim, ROOT]))
    proc = subprocess.run(["bash", os.path.join(ROOT, "benchmarks", "gpu_check.sh")], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    smoke = (out / "smoke.txt").read_text()
    assert "FAIL" not in smoke and "smoke: " in smoke.splitlines()[-1]
    for part in ("kernels: optimizer rules float16", "trainer: CrossEntropy()", "trainer: MSE + SMORMS3",
                 "float16: BatchNorm2D", "cost: CTC"):
        assert "ok    " + part in smoke
    assert sorted(p.name for p in out.iterdir()) == ["rest.tar.gz", "smoke.txt", "summary.txt"]
