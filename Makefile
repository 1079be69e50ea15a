# Two commands set everything up on a fresh machine: `make practice` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install practice test lint bench clean

install: $(STAMP)

# Re-run only when the project's dependencies change, so a second `make install` is instant.
# torch is pinned to the CPU build on local disk first; pyproject's open range then installs nothing more.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0" numpy
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

practice: install
	$(BIN)/cvquiz practice

test: install lint
	$(BIN)/python -m pytest -q
	$(BIN)/python benchmarks/run.py --smoke
	$(BIN)/cvquiz verify

# ruff's rules (TID253 keeps torch out of start-up) and its formatter, checked, never applied here.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
