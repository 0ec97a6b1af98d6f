# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
DB ?= data/athar.duckdb

.PHONY: run test demo bench lint clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

## run: create the embedded database, load the demo network through the real ingestion path
run: $(VENV)/.installed
	$(PY) -m ingest demo --db $(DB)
	$(PY) -m metrics score --db $(DB)

## test: run the whole test suite
test: $(VENV)/.installed
	$(PY) -m pytest -q

## bench: run the benchmarks (not part of the test suite)
bench: $(VENV)/.installed
	$(PY) benchmarks/ingest_bench.py
	$(PY) benchmarks/metrics_bench.py

clean:
	rm -rf $(VENV) $(DB) $(DB).wal data/raw
