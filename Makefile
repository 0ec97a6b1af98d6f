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

PORT ?= 8501

## run: demo mode — create the embedded database with the demo network (loaded through the real ingestion
## path and scored) unless it exists, and the demo accounts, then serve the dashboard on http://localhost:$(PORT)
run: $(VENV)/.installed
	ATHAR_DEMO_MODE=1 $(PY) -m dashboard.bootstrap $(DB)
	OPENBLAS_NUM_THREADS=1 ATHAR_DEMO_MODE=1 $(PY) -m server --db $(DB) --host 127.0.0.1 --port $(PORT)

## demo: rebuild the demo database from scratch (load + score), without serving
demo: $(VENV)/.installed
	rm -rf $(DB) $(DB).wal data/raw
	$(PY) -m ingest demo --db $(DB)
	$(PY) -m metrics score --db $(DB)

## test: run the whole test suite
test: $(VENV)/.installed
	$(PY) -m pytest -q

## bench: run the benchmarks (not part of the test suite)
bench: $(VENV)/.installed
	$(PY) benchmarks/ingest_bench.py
	$(PY) benchmarks/metrics_bench.py
	$(PY) benchmarks/dashboard_bench.py
	$(PY) benchmarks/access_bench.py
	$(PY) benchmarks/autoscore_bench.py
	$(PY) benchmarks/report_bench.py
	$(PY) benchmarks/backup_bench.py

## lint: ruff check (the rules are in pyproject.toml)
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) $(DB) $(DB).wal data/raw
