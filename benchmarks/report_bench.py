"""Report card benchmark (not part of the test suite): ``.venv/bin/python benchmarks/report_bench.py``.

A card for every organisation scored in the period, in one process with a warm exporter
(``report.make.card``: scoped reads, two Plotly charts exported to PNG by Kaleido, WeasyPrint PDF,
SHA-256 to the audit log), in French and in Arabic:

- **cold exporter start**: ``report.charts.warm()`` plus the first image (Chromium starting);
- **time per card**: median and p95, per language;
- **baseline**, measured in the same run: the same card as HTML only (the same scoped reads and
  layout, no chart image and no PDF) — the ratio says what the images and the PDF cost;
- **CPU time a card** of this process (``time.process_time``; Kaleido's Chromium not counted): what
  the card costs when the machine is not shared, since wall time grows with the load average;
- **peak memory**: ``ru_maxrss`` of this process (Kaleido's Chromium is a separate process, not
  counted), and ``tracemalloc``'s peak of Python allocations over one card.

    .venv/bin/python benchmarks/report_bench.py [--db PATH] [--period 2024] [--langs fr,ar]

Target: median under 2 s a card with a warm exporter. Exit status 0 when met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
TARGET_SECONDS = 2.0


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _database(path: Path | None, folder: Path) -> Path:
    from dashboard.bootstrap import ensure_demo_database

    db = folder / "demo.duckdb"
    if path is not None:
        shutil.copy(path, db)
    else:
        ensure_demo_database(db)
    return db


def _cold_start() -> float:
    import plotly.graph_objects as go

    from report import charts

    started = time.perf_counter()
    charts.warm()
    charts.png_data_uri(go.Figure(go.Bar(x=[1], y=["a"])), 100)
    return time.perf_counter() - started


def _per_card(
    store, viewer, codes: list[str], period: str, lang: str
) -> tuple[list[float], list[float], list[float]]:
    from report import card_data, make, render

    cards, baseline, cpu = [], [], []
    for code in codes:
        started = time.perf_counter()
        render.card_html(card_data.gather(store, viewer, code, period, lang), datetime.now(UTC), with_charts=False)
        baseline.append(time.perf_counter() - started)
        started, cpu_started = time.perf_counter(), time.process_time()
        make.card(store, viewer, code, period, lang, actor="bench")
        cards.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return cards, baseline, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a scored database to copy (default: build the demo)")
    parser.add_argument("--period", default="2024")
    parser.add_argument("--langs", default="fr,ar")
    args = parser.parse_args()

    import polars as pl

    from report import make
    from store.db import open_store
    from store.reads import compare as compare_reads
    from store.viewer import Viewer

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(_database(args.db, Path(tmp)))
        viewer = Viewer.steering("bench")
        run_id = int(store.scalar("SELECT max(id) FROM score_runs"))
        scores = compare_reads.period_scores(store, viewer, run_id, args.period, "fr")
        codes = scores.filter(pl.col("principle").is_null())["org_code"].unique().sort().to_list()
        cold = _cold_start()
        print(f"organisations: {len(codes)}, period {args.period}; cold exporter start {cold:.2f} s")
        ok = True
        for lang in args.langs.split(","):
            cards, baseline, cpu = _per_card(store, viewer, codes, args.period, lang)
            median, base = statistics.median(cards), statistics.median(baseline)
            ok &= median < TARGET_SECONDS
            print(
                f"[{lang}] card: median {median:.3f} s, p95 {_p95(cards):.3f} s, total {sum(cards):.1f} s; "
                f"baseline (HTML only, no charts, no PDF): median {base:.3f} s; ratio {median / base:.1f}x; "
                f"this process's CPU a card: median {statistics.median(cpu):.3f} s"
            )
        print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        tracemalloc.start()
        make.card(store, viewer, codes[0], args.period, "ar", actor="bench")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory: ru_maxrss {rss:.0f} MB (this process; Chromium not counted); "
              f"tracemalloc peak over one card {peak / 2**20:.1f} MB")
        print(f"target: median < {TARGET_SECONDS:.0f} s a card — {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
