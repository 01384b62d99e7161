"""Smoke test of benchmarks/bench_grid.py: a --quick run writes its JSON (never a timing assert)."""
import json
import subprocess
import sys

from tests.Grid.conftest import ROOT, jobEnv, needsMPI


@needsMPI
def test_quick_run_writes_the_expected_json(tmp_path):
    out = tmp_path / "grid.json"
    proc = subprocess.run([sys.executable, "benchmarks/bench_grid.py", "--quick", "--out", str(out)], cwd=ROOT,
                          env=jobEnv(), capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text())
    wide = result["wide_mlp"]
    assert set(wide) >= {"single_2threads_step_ms", "grid_2x1thread_step_ms", "grid_comm_ms_per_step",
                         "grid_comm_share", "params"}
    assert wide["params"] == 256 * 1024 + 1024 + 1024 * 1024 + 1024 + 1024 * 10 + 10
    assert result["allreduce"]["rows_bytes_seconds"][0][0] == 4096
    setups = {(row["setup"], row["model"]) for row in result["paper_scaling"]}
    assert len(setups) == 6 and {row["ranks"] for row in result["paper_scaling"]} == {8, 16}


def test_gpu_check_grid_stage_over_the_cupy_stand_in(tmp_path):
    """benchmarks/gpu_check.sh's grid stage (gpu_grid_check.py) passes over the CuPy stand-in,
    which has no NCCL: the device arrays are staged through the host (a GPU runs NCCL itself)."""
    import os
    import shutil
    if shutil.which("bash") is None:
        raise AssertionError("bash is needed for benchmarks/gpu_check.sh")
    from tests.Backend import cudaemu
    lib = tmp_path / "emu"
    lib.mkdir()
    cudaemu.buildHostKernels(str(lib))
    shim = cudaemu._writeShims(str(lib), str(lib / "kernels.so"))
    out = tmp_path / "out"
    env = dict(os.environ, OUT=str(out), PYTHON=sys.executable, GPU_CHECK_STAGES="grid",
               PYTHONPATH=os.pathsep.join([shim, ROOT]))
    proc = subprocess.run(["bash", os.path.join(ROOT, "benchmarks", "gpu_check.sh")], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = (out / "summary.txt").read_text()
    assert "(d) grid (NCCL, one rank): rc=0, gpu_grid_check: ok" in summary
    assert "NCCL communicator: none: CuPy has no NCCL, staged through the host" in summary
    assert sorted(p.name for p in out.iterdir()) == ["rest.tar.gz", "summary.txt"]
