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
