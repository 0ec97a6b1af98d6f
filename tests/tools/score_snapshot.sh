#!/usr/bin/env bash
# Differential check for changes that must not move a score: build the demo network and UNDP's HDI
# example through the command line of one checkout and write their score runs as JSON.
#   bash tests/tools/score_snapshot.sh /tmp/before     # on the old code
#   bash tests/tools/score_snapshot.sh /tmp/after      # on the new code
#   diff <(jq -S .scores /tmp/before/demo.json) <(jq -S .scores /tmp/after/demo.json)   (and hdi.json)
# The databases are kept in OUT/db for comparing whole tables (scores, score_indicators, score_trends).
set -euo pipefail
out=$1
cd "$(dirname "$0")/../.."
py=${PYTHON:-.venv/bin/python}
rm -rf "$out/db"; mkdir -p "$out/db"
$py -m ingest demo --db "$out/db/demo.duckdb" > "$out/demo_load.txt" 2>&1
$py -m metrics score --db "$out/db/demo.duckdb" --json > "$out/demo.json"
$py data/examples/hdi/convert.py ../shared/reference/hdr/HDR21-22_Composite_indices_complete_time_series.csv \
    --year 2021 --out "$out/db/hdi" > /dev/null
$py -m ingest orgs "$out/db/hdi/countries.csv" --db "$out/db/hdi.duckdb" --framework data/examples/hdi > /dev/null
$py -m ingest load "$out/db/hdi/hdi_2021.csv" --db "$out/db/hdi.duckdb" --framework data/examples/hdi > /dev/null 2>&1
$py -m metrics score --db "$out/db/hdi.duckdb" --framework data/examples/hdi --json > "$out/hdi.json"
echo "written: $out/demo.json $out/hdi.json"
