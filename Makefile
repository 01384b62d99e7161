PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test bench example docs serve clean

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -e '.[test,onnx,mpi,board,web,jit]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/puzzlelib restore "2*sin(x)+5" --out restore-out
	@echo "Figures and metrics are in restore-out/ (restore.png, metrics.json, model.h5)"

# the workbench as a live web page on http://127.0.0.1:8050/
serve: $(VENV)/.installed
	$(VENV)/bin/puzzlelib serve

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

$(VENV)/.docs: $(VENV)/.installed
	$(PIP) install --quiet -e '.[docs]'
	touch $@

# the site, from scratch, warnings as errors; then no broken internal link, every public object in the reference
docs: $(VENV)/.docs
	rm -rf docs/_build docs/_generated docs/api/generated docs/auto_examples
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	$(PY) docs/checkdocs.py docs/_build/html
	@echo "The site is in docs/_build/html (open index.html)"

clean:
	rm -rf $(VENV) restore-out example-out tutorial-figures docs/_build docs/_generated docs/api/generated docs/auto_examples
