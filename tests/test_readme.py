"""Every ```python block of README.md runs as it is written (each in a fresh process, in a scratch
folder), so the README's programs stay runnable; the ten-line program restores its function."""
import math
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _blocks():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    found = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M):
        line = text.count("\n", 0, match.start()) + 1
        found.append(pytest.param(match.group(1), id="README.md:%d" % line))
    return found


BLOCKS = _blocks()


def test_readme_has_python_blocks():
    assert len(BLOCKS) >= 1


@pytest.mark.parametrize("code", BLOCKS)
def test_readme_block_runs(code, tmp_path):
    # ROOT first; a PYTHONPATH already set stays after it (the CuPy stand-in's suite puts its cupy there)
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    res = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path), env=env, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert "Warning" not in res.stderr and "Traceback" not in res.stderr, res.stderr
    if "trainer.cost.getMeanError()" in code:  # the ten-line program: a finite error, well below 1e-2
        error = float(res.stdout.split()[0])
        assert math.isfinite(error) and error < 1e-2, res.stdout
