"""Reading-stage benchmark: ``read_table`` alone (file read included) against DuckDB's
``CREATE TABLE t AS SELECT * FROM read_csv(file)`` on the same generated file, in alternating
fresh processes (imports excluded). "cold" is each process's first run, "warm" its later ones
(a long-running server); medians, ratios, peak RSS.

Run on demand (not in CI):  .venv/bin/python benchmarks/read_bench.py [rows] [repeat] [rounds]
(``benchmarks/ingest_bench.py`` measures the whole ``python -m ingest load`` command instead.)
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ingest.read import read_table  # noqa: E402


def write_benchmark_file(path: str, rows: int = 1_000_000, seed: int = 7) -> int:
    """A long-format UTF-8 comma CSV like a network export (~60 MB for a million rows); returns its size."""
    rng = np.random.default_rng(seed)
    pick = lambda values, n: pl.Series(values)[rng.integers(0, len(values), n)]
    notes = ["", "Bénéficiaires directs – Casablanca", "Bénévolat, Rabat", "بيانات أولية", 'dit "oui"']
    frame = pl.DataFrame(
        {
            "org_code": pl.Series([f"ASS-{i:05d}" for i in range(5000)])[rng.integers(0, 5000, rows)],
            "indicator_code": pick(["R01", "R03", "E03", "P05", "S02", "J02", "H02", "P04"], rows),
            "period": pick([f"{y}-Q{q}" for y in range(2019, 2025) for q in range(1, 5)], rows),
            "value": pl.Series(np.round(rng.gamma(2.0, 300.0, rows), 2)).cast(pl.String),
            "unit": pick(["personnes", "%", "heures", "MAD", "unités"], rows),
            "notes": pick(notes, rows),
        }
    )
    frame.write_csv(path)
    return Path(path).stat().st_size


def bench_child(side: str, path: str, rounds: int) -> None:
    """Measured runs in one fresh process: prints each run's seconds, then peak RSS (MB)."""
    times = []
    for _ in range(rounds):
        if side == "duckdb":
            import duckdb

            start = time.perf_counter()
            connection = duckdb.connect()
            connection.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")
            connection.close()
        else:
            start = time.perf_counter()
            with open(path, "rb") as handle:
                table = read_table(handle.read(), Path(path).name)
            assert table.issues.is_empty() and table.frame.height > 0, table.issues
            del table
        times.append(time.perf_counter() - start)
    print(*(f"{t:.4f}" for t in times), f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


def benchmark(rows: int = 1_000_000, repeat: int = 5, rounds: int = 3) -> dict[str, float]:
    """read_table (file read included) vs DuckDB ``CREATE TABLE t AS SELECT * FROM read_csv(file)``
    on the same generated file, in alternating fresh processes (imports excluded). "cold" is each
    process's first run, "warm" its later ones (a long-running server); medians, ratios, peak RSS."""
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "bench.csv")
        size = write_benchmark_file(path, rows)
        runs: dict[str, list[list[float]]] = {"duckdb": [], "athar": []}
        for _ in range(repeat):
            for side, measured in runs.items():
                out = subprocess.run(
                    [sys.executable, __file__, "--child", side, path, str(rounds)],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=REPO,
                )
                measured.append([float(v) for v in out.stdout.split()])
    cold = {side: statistics.median(r[0] for r in measured) for side, measured in runs.items()}
    warm = {side: statistics.median(t for r in measured for t in r[1:-1]) for side, measured in runs.items()}
    return {
        "rows": rows,
        "megabytes": round(size / 2**20, 1),
        "duckdb_cold_s": round(cold["duckdb"], 3),
        "read_table_cold_s": round(cold["athar"], 3),
        "ratio_cold": round(cold["athar"] / cold["duckdb"], 2),
        "duckdb_warm_s": round(warm["duckdb"], 3),
        "read_table_warm_s": round(warm["athar"], 3),
        "ratio_warm": round(warm["athar"] / warm["duckdb"], 2),
        "duckdb_peak_mb": max(r[-1] for r in runs["duckdb"]),
        "read_table_peak_mb": max(r[-1] for r in runs["athar"]),
    }


if __name__ == "__main__":  # python benchmarks/read_bench.py [rows] [repeat] [rounds]
    if sys.argv[1:2] == ["--child"]:
        bench_child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        print(benchmark(*(int(a) for a in sys.argv[1:4])))
