# The two commands: `make demo` and `make test`. Each builds .venv on first use and
# reinstalls only when pyproject.toml changes. `make test-fast` skips the tests marked slow (the
# differential run, wheel builds, parallel batches, fuzzing, every-example renders) for quick loops.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast golden lint bench schemas clean handout-png serve screenshots

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (durable-rules does not import on 3.13)"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q engine
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m engine.app.demo examples examples/out

# test: every test, each Hypothesis test at its own example count, on two worker processes
# (pytest-xdist; passed twice that way with REHAB_BROWSER_TESTS=require). `-n 0` for one process.
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

# test-fast: the tests not marked slow (their own files, tests/conftest.py SLOW_IN_FAST, all but the
# first case of each SWEEPS_IN_FAST sweep), Hypothesis tests capped at 20 examples
# (REHAB_TEST_PROFILE=fast), on two worker processes (pytest-xdist). About a minute on the 2-core machine.
test-fast: $(STAMP)
	REHAB_TEST_PROFILE=fast $(BIN)/python -m pytest -q -n 2 -m "not slow"

# Rewrite tests/golden/*.plan.json after a reviewed change to rules or exercises; review the diff.
golden: $(STAMP)
	REHAB_REGEN=1 $(BIN)/python -m pytest -q tests/test_golden.py
	git diff --stat -- tests/golden

lint: $(STAMP)
	$(BIN)/ruff check engine tests benchmarks
	$(BIN)/ruff format --check engine tests benchmarks
	$(BIN)/mypy

# compileall: engine/ as byte-compiled as a wheel install leaves it (pip compiles at install; an
# editable checkout under PYTHONDONTWRITEBYTECODE=1 would recompile ~60 modules on every run).
bench: $(STAMP)
	$(BIN)/python -m compileall -q engine
	$(BIN)/python benchmarks/run.py

# README picture of the seed handout (pages 1 and 2); needs pdftoppm (poppler-utils)
handout-png: $(STAMP)
	mkdir -p examples/out docs
	$(BIN)/rehab plan examples/seed-marathon-bilateral-drop.yaml -o examples/out/seed-handout.pdf --force
	pdftoppm -png -r 70 -f 1 -l 2 examples/out/seed-handout.pdf docs/handout-seed

schemas: $(STAMP)
	$(BIN)/python -m engine.models.field_docs
	$(BIN)/rehab schema --all --out schemas --force

serve: $(STAMP)
	$(BIN)/python -m engine.web.demo examples examples/out/clinic
	$(BIN)/rehab serve examples/out/clinic

screenshots: $(STAMP)
	REHAB_SCREENSHOTS=docs/screenshots REHAB_BROWSER_TESTS=require $(BIN)/python -m pytest -q tests/browser -k first_visit

clean:
	rm -rf $(VENV) build dist examples/out .pytest_cache .mypy_cache .ruff_cache
