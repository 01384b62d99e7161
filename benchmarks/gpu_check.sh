#!/usr/bin/env bash
# The GPU acceptance check of issue 6, in one call on a machine with an NVIDIA GPU, CuPy and PyTorch
# (no network needed), run from the source tree (nothing is installed):
#
#   bash benchmarks/gpu_prepare.sh      # on the development machine, once: fills .gpu-carry/
#   bash benchmarks/gpu_check.sh        # on the GPU machine, from the repository root
#
# (a) the whole pytest suite with PUZZLELIB_BACKEND=cuda        -> $OUT/pytest-cuda.txt, .xml
# (b) the tutorial, unchanged, through run_tutorial.py on cuda   -> $OUT/tutorial.txt, figures
# (c) benchmarks/gpu_bench.py, PuzzleLib against PyTorch CUDA    -> $OUT/gpu_bench.json, .md
# and $OUT/summary.txt. Each part has its own time limit (330 s, 90 s, 120 s): the whole stays
# under 9 minutes; give the device call a limit of about 590 s.
# Exit status: 0 when all three passed, 1 otherwise. $OUT defaults to ./gpu-check-out.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/gpu-check-out}
mkdir -p "$OUT"
PY=${PYTHON:-$(command -v python3 || command -v python)}
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export MPLBACKEND=Agg
export PUZZLELIB_BACKEND=cuda
START=$(date +%s)
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"

note() { echo "$*" | tee -a "$SUMMARY"; }
elapsed() { echo $(( $(date +%s) - START ))s; }

# ---- the machine ----
{
  date -u
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
  "$PY" -c "import sys, numpy; print('python', sys.version.split()[0], 'numpy', numpy.__version__)" 2>&1 | tail -1
  "$PY" -c "import cupy; print('cupy', cupy.__version__, 'cuda runtime', cupy.cuda.runtime.runtimeGetVersion(), 'devices', cupy.cuda.runtime.getDeviceCount())" 2>&1 | tail -1
  "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" 2>&1 | tail -1
} > "$OUT/machine.txt" 2>&1
sed 's/^/machine: /' "$OUT/machine.txt" | tee -a "$SUMMARY"

# ---- pytest: from the machine, else from the wheels that gpu_prepare.sh put in .gpu-carry ----
if ! "$PY" -c "import pytest" 2>/dev/null; then
  SITE=${TMPDIR:-/tmp}/puzzlelib-gpu-site
  if [ -d "$ROOT/.gpu-carry/wheels" ]; then
    "$PY" -m pip install --quiet --no-index --find-links "$ROOT/.gpu-carry/wheels" --target "$SITE" pytest pytest-xdist \
      > "$OUT/pip.txt" 2>&1 || true
    export PYTHONPATH="$PYTHONPATH:$SITE"
    if ! "$PY" -c "import pytest" 2>/dev/null; then  # no pip: import the pure-Python wheels as they are
      for w in "$ROOT"/.gpu-carry/wheels/*.whl; do export PYTHONPATH="$PYTHONPATH:$w"; done
    fi
  fi
fi

# ---- (a) the suite on the cuda backend ----
# in parallel when pytest-xdist is there (one CUDA context per worker; the GPU has room for them)
XDIST=""
if "$PY" -c "import xdist" 2>/dev/null; then XDIST="-n ${PYTEST_WORKERS:-8}"; fi
if "$PY" -c "import pytest" 2>/dev/null; then
  timeout 330 "$PY" -m pytest $XDIST -q -p no:cacheprovider --continue-on-collection-errors -rfE --durations=15 --junitxml="$OUT/pytest-cuda.xml" \
    > "$OUT/pytest-cuda.txt" 2>&1
  RC_SUITE=$?
  note "(a) suite on cuda${XDIST:+ ($XDIST)}: rc=$RC_SUITE, $(grep -E '(passed|failed|error)' "$OUT/pytest-cuda.txt" | tail -1) [$(elapsed)]"
else
  RC_SUITE=2
  note "(a) suite on cuda: NOT RUN, pytest is not importable (run benchmarks/gpu_prepare.sh and carry .gpu-carry)"
fi

# ---- (b) the tutorial, unchanged, on the cuda backend ----
SEED=""
for d in "${TUTORIAL_DIR:-}" "$ROOT/../shared/seed" "$ROOT/shared/seed" "$ROOT/.gpu-carry/seed" /work/shared/seed; do
  if [ -n "$d" ] && [ -f "$d/run_tutorial.py" ] && [ -f "$d/nonlinear_tutorial.py" ]; then SEED=$d; break; fi
done
if [ -n "$SEED" ]; then
  timeout 90 "$PY" "$SEED/run_tutorial.py" --out "$OUT/tutorial-figures" > "$OUT/tutorial.txt" 2>&1
  RC_TUT=$?
  note "(b) tutorial on cuda ($SEED): rc=$RC_TUT [$(elapsed)]"
  note "    last: $(grep -E '^PL module error' "$OUT/tutorial.txt" | tail -1)"
  note "    $(tail -1 "$OUT/tutorial.txt" | cut -c1-600)"
else
  RC_TUT=2
  note "(b) tutorial: NOT RUN, run_tutorial.py not found (set TUTORIAL_DIR, or let gpu_prepare.sh copy it to .gpu-carry/seed)"
fi

# ---- (c) the benchmark against PyTorch CUDA ----
timeout 120 "$PY" benchmarks/gpu_bench.py --out "$OUT" > "$OUT/gpu_bench.txt" 2>&1
RC_BENCH=$?
note "(c) gpu_bench: rc=$RC_BENCH [$(elapsed)]"
if [ -f "$OUT/gpu_bench.md" ]; then cat "$OUT/gpu_bench.md" | tee -a "$SUMMARY"; else tail -20 "$OUT/gpu_bench.txt" | tee -a "$SUMMARY"; fi

# ---- what failed, briefly ----
if [ "$RC_SUITE" != 0 ] && [ -f "$OUT/pytest-cuda.txt" ]; then
  echo "---- failures (pytest -rfE) ----" | tee -a "$SUMMARY"
  grep -E '^(FAILED|ERROR)|^INTERNALERROR> [A-Za-z.]*Error' "$OUT/pytest-cuda.txt" | head -40 | cut -c1-300 | tee -a "$SUMMARY"
fi
if [ "$RC_TUT" != 0 ] && [ -f "$OUT/tutorial.txt" ]; then
  echo "---- tutorial tail ----" | tee -a "$SUMMARY"; tail -15 "$OUT/tutorial.txt" | tee -a "$SUMMARY"
fi
note "total: $(elapsed)"
[ "$RC_SUITE" = 0 ] && [ "$RC_TUT" = 0 ] && [ "$RC_BENCH" = 0 ]
