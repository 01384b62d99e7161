PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test bench example clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -e '.[test,onnx,mpi]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/puzzlelib restore "2*sin(x)+5" --out restore-out
	@echo "Figures and metrics are in restore-out/ (restore.png, metrics.json, model.h5)"

example: $(VENV)/.installed
	$(PY) examples/restore_nonlinear.py --out example-out

test: $(VENV)/.installed
	$(PY) -m pytest -q

$(VENV)/.bench: $(VENV)/.installed
	$(PIP) install --quiet -e '.[bench,onnx]'
	touch $@

bench: $(VENV)/.bench
	$(PY) benchmarks/run.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_onnx.py $(filter --quick,$(BENCH_ARGS))
	$(PY) benchmarks/bench_grid.py $(filter --quick,$(BENCH_ARGS))

clean:
	rm -rf $(VENV) restore-out example-out tutorial-figures
