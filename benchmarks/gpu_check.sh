#!/usr/bin/env bash
# The GPU acceptance check, in one call on a machine with an NVIDIA GPU, CuPy, pytest and PyTorch
# (no network needed), run from the source tree (nothing is installed):
#
#   bash benchmarks/gpu_prepare.sh      # on the development machine, once: fills .gpu-carry/
#   bash benchmarks/gpu_check.sh        # on the GPU machine, from the repository root
#
# Stages, in this order, each under its own time limit (the whole about 8 minutes at most; give the
# device call a limit of about 540 s, which leaves time to rerun the smoke stage in a 15-minute lease):
# (0) smoke, 60 s: benchmarks/gpu_smoke.py: import, every fused kernel once, one Trainer call per
#     cost and optimizer, float16 BatchNorm, a conv                 -> $OUT/smoke.txt
#     If PuzzleLib or CuPy does not even import, the later stages are skipped (nothing to learn).
# (a) the whole pytest suite on the cuda backend, 270 s, each test capped at 60 s by pytest-timeout,
#     in parallel with pytest-xdist where installed                  -> $OUT/pytest-cuda.txt
# (b) the tutorial, unchanged, through run_tutorial.py on cuda, 60 s  -> $OUT/tutorial.txt
# (c) benchmarks/gpu_bench.py, PuzzleLib against PyTorch CUDA, 90 s  -> $OUT/gpu_bench.json, .md
# (d) grid, 30 s: benchmarks/gpu_grid_check.py, PuzzleLib.Grid's NCCL path on one rank end to end
#     (allReduce/bcast on device pointers, a DataParallel epoch through NCCL) -> summary, rest.tar.gz
# and $OUT/summary.txt (the machine, one line per stage, the failures); everything else (junit xml,
# the tutorial's figures, logs) goes into $OUT/rest.tar.gz, so that $OUT holds at most 7 files (the
# device machine returns 8 at most).
# GPU_CHECK_STAGES="smoke suite tutorial bench grid" chooses stages (e.g. "smoke" for a quick rerun).
# Exit status: 0 when every stage run passed, 1 otherwise. $OUT defaults to ./gpu-check-out.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/gpu-check-out}
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/puzzlelib-gpu-check.XXXXXX")  # what is tarred into rest.tar.gz
PY=${PYTHON:-$(command -v python3 || command -v python)}
STAGES=${GPU_CHECK_STAGES:-smoke suite tutorial bench grid}
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export MPLBACKEND=Agg
export PUZZLELIB_BACKEND=cuda
export PYTHONUNBUFFERED=1
START=$(date +%s)
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"

note() { echo "$*" | tee -a "$SUMMARY"; }
elapsed() { echo $(( $(date +%s) - START ))s; }
want() { case " $STAGES " in *" $1 "*) return 0;; *) return 1;; esac; }
finish() {
  tar -czf "$OUT/rest.tar.gz" -C "$WORK" . 2>/dev/null
  rm -rf "$WORK"
  note "total: $(elapsed)"
}
trap finish EXIT

# ---- the machine ----
{
  date -u
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
  "$PY" - <<'PYEOF'
import importlib.metadata, importlib.util, sys
import numpy
print("python", sys.version.split()[0], "numpy", numpy.__version__)
try:
    import cupy
    print("cupy", cupy.__version__, "cuda runtime", cupy.cuda.runtime.runtimeGetVersion(),
          "devices", cupy.cuda.runtime.getDeviceCount())
except Exception as e:
    print("cupy: %s: %s" % (type(e).__name__, e))
have = []  # found without importing them (torch and scikit-learn take seconds to import)
for m, dist in (("torch", "torch"), ("pytest", "pytest"), ("xdist", "pytest-xdist"), ("pytest_timeout", "pytest-timeout"),
                ("h5py", "h5py"), ("hypothesis", "hypothesis"), ("sklearn", "scikit-learn"), ("PIL", "pillow")):
    if importlib.util.find_spec(m) is None:
        have.append("MISSING " + dist)
        continue
    try:
        have.append("%s %s" % (dist, importlib.metadata.version(dist)))
    except Exception:
        have.append(dist)
print(", ".join(have))
PYEOF
} 2>&1 | sed 's/^/machine: /' | tee -a "$SUMMARY"

# ---- pytest etc.: the machine's own, else the wheels gpu_prepare.sh put in .gpu-carry ----
if ! "$PY" -c "import pytest" 2>/dev/null && [ -d "$ROOT/.gpu-carry/wheels" ]; then
  SITE=${TMPDIR:-/tmp}/puzzlelib-gpu-site
  "$PY" -m pip install --quiet --no-index --find-links "$ROOT/.gpu-carry/wheels" --target "$SITE" \
    pytest pytest-timeout pytest-xdist > "$WORK/pip.txt" 2>&1 || true
  export PYTHONPATH="$PYTHONPATH:$SITE"
  if ! "$PY" -c "import pytest" 2>/dev/null; then  # no pip: import the pure-Python wheels as they are
    for w in "$ROOT"/.gpu-carry/wheels/*.whl; do export PYTHONPATH="$PYTHONPATH:$w"; done
  fi
fi

RC_SMOKE=0 RC_SUITE=0 RC_TUT=0 RC_BENCH=0 RC_GRID=0

# ---- (0) smoke: a minute at most, so that a broken start costs one minute, not the lease ----
if want smoke; then
  timeout 60 "$PY" benchmarks/gpu_smoke.py > "$OUT/smoke.txt" 2>&1
  RC_SMOKE=$?
  note "(0) smoke: rc=$RC_SMOKE, $(tail -1 "$OUT/smoke.txt") [$(elapsed)]"
  grep -E '^FAIL' "$OUT/smoke.txt" | head -20 | cut -c1-300 | tee -a "$SUMMARY"
  if ! grep -q '^ok    import' "$OUT/smoke.txt"; then
    note "PuzzleLib on cuda does not import: the later stages are skipped"
    exit 1
  fi
fi

# ---- (a) the suite on the cuda backend ----
if want suite; then
  XDIST="" TIMEOUT=""
  if "$PY" -c "import xdist" 2>/dev/null; then XDIST="-n ${PYTEST_WORKERS:-8}"; fi
  if "$PY" -c "import pytest_timeout" 2>/dev/null; then TIMEOUT="--timeout=60"; fi
  if "$PY" -c "import pytest" 2>/dev/null; then
    timeout 270 "$PY" -m pytest $XDIST $TIMEOUT -q -p no:cacheprovider --continue-on-collection-errors -rfE \
      --durations=15 --junitxml="$WORK/pytest-cuda.xml" > "$OUT/pytest-cuda.txt" 2>&1
    RC_SUITE=$?
    note "(a) suite on cuda${XDIST:+ ($XDIST)}${TIMEOUT:+ ($TIMEOUT)}: rc=$RC_SUITE, $(grep -E '(passed|failed|error)' "$OUT/pytest-cuda.txt" | tail -1) [$(elapsed)]"
    if [ "$RC_SUITE" != 0 ]; then
      grep -E '^(FAILED|ERROR)|^INTERNALERROR> [A-Za-z.]*Error|Timeout' "$OUT/pytest-cuda.txt" | head -40 | cut -c1-300 | tee -a "$SUMMARY"
    fi
  else
    RC_SUITE=2
    note "(a) suite on cuda: NOT RUN, pytest is not importable (run benchmarks/gpu_prepare.sh and carry .gpu-carry)"
  fi
fi

# ---- (b) the tutorial, unchanged, on the cuda backend ----
if want tutorial; then
  SEED=""
  for d in "${TUTORIAL_DIR:-}" "$ROOT/.gpu-carry/seed" "$ROOT/../shared/seed" "$ROOT/shared/seed" /work/shared/seed; do
    if [ -n "$d" ] && [ -f "$d/run_tutorial.py" ] && [ -f "$d/nonlinear_tutorial.py" ]; then SEED=$d; break; fi
  done
  if [ -n "$SEED" ]; then
    timeout 60 "$PY" "$SEED/run_tutorial.py" --out "$WORK/tutorial-figures" > "$OUT/tutorial.txt" 2>&1
    RC_TUT=$?
    note "(b) tutorial on cuda ($SEED): rc=$RC_TUT [$(elapsed)]"
    note "    $(tail -1 "$OUT/tutorial.txt" | grep -o '"PL net results after training", "error": [0-9.e-]*' || tail -3 "$OUT/tutorial.txt")"
  else
    RC_TUT=2
    note "(b) tutorial: NOT RUN, run_tutorial.py not found (set TUTORIAL_DIR, or let gpu_prepare.sh copy it to .gpu-carry/seed)"
  fi
fi

# ---- (c) the benchmark against PyTorch CUDA ----
if want bench; then
  timeout 90 "$PY" benchmarks/gpu_bench.py --out "$OUT" > "$WORK/gpu_bench.txt" 2>&1
  RC_BENCH=$?
  note "(c) gpu_bench: rc=$RC_BENCH [$(elapsed)]"
  if [ -f "$OUT/gpu_bench.md" ]; then tee -a "$SUMMARY" < "$OUT/gpu_bench.md"; else tail -20 "$WORK/gpu_bench.txt" | tee -a "$SUMMARY"; fi
fi

# ---- (d) PuzzleLib.Grid's NCCL path, one rank end to end ----
if want grid; then
  timeout 30 "$PY" benchmarks/gpu_grid_check.py > "$WORK/gpu_grid_check.txt" 2>&1
  RC_GRID=$?
  note "(d) grid (NCCL, one rank): rc=$RC_GRID, $(tail -1 "$WORK/gpu_grid_check.txt") [$(elapsed)]"
  grep -E 'FAILED|^NCCL|Error' "$WORK/gpu_grid_check.txt" | head -12 | cut -c1-300 | tee -a "$SUMMARY"
fi

[ "$RC_SMOKE" = 0 ] && [ "$RC_SUITE" = 0 ] && [ "$RC_TUT" = 0 ] && [ "$RC_BENCH" = 0 ] && [ "$RC_GRID" = 0 ]
