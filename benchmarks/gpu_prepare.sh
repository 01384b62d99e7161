#!/usr/bin/env bash
# Run on the development machine before lending the check to a GPU machine that has no network:
# puts into .gpu-carry/ (git-ignored) what benchmarks/gpu_check.sh may not find there:
#   .gpu-carry/wheels/  pytest, pytest-timeout, pytest-xdist and their dependencies (pure-Python wheels,
#                       any Python 3), for a machine without them (the project's GPU machines have them)
#   .gpu-carry/seed/    a copy of the tutorial and run_tutorial.py (../shared/seed)
# Then hand .gpu-carry to the GPU machine along with the tree (device tool: carry [".gpu-carry"]).
set -eu
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
rm -rf .gpu-carry/wheels && mkdir -p .gpu-carry/wheels
# pure-Python wheels resolved for Python 3.10 (so they hold the backports 3.10 needs); they install on any 3.10+
"$PY" -m pip download --quiet --only-binary=:all: --platform any --python-version 3.10 --implementation py --abi none \
  --dest .gpu-carry/wheels pytest pytest-timeout pytest-xdist exceptiongroup tomli
if [ -d ../shared/seed ]; then
  rm -rf .gpu-carry/seed && cp -r ../shared/seed .gpu-carry/seed
fi
du -sh .gpu-carry
ls .gpu-carry/wheels
