"""Ingestion benchmark: `python -m ingest load` of a 1,000,000-row file against raw DuckDB.

Run on demand (not in CI):
  .venv/bin/python benchmarks/ingest_bench.py [--rows 1000000] [--repeat 3] [--shape export|sparse|both]

Two file shapes (default: both, each against its own baseline measured in the same run):
  export  a network-wide long export: every indicator × 24 quarters per organisation, with units and
          notes (~55 MB for a million rows);
  sparse  2,000 organisations × 50 months × 10 indicators with the unit and notes cells left empty
          (~29 MB): the same rows for less text, so the fixed costs weigh more.

Both sides run as fresh processes on the same file in the same run (these machines are noisy,
so only the ratio is meaningful):
  baseline  python -c "duckdb.connect(db).execute('CREATE TABLE t AS SELECT * FROM read_csv(file)')"
  athar     python -m ingest load FILE --db DB   (read, detect, normalise, validate, commit)
Peak memory is the child's maximum resident set size. Targets: ratio ≤ 2 (stretch 1.5), < 1 GB.
Athar's modules are byte-compiled first, as an installation does (pip compiles what it installs,
DuckDB included); with PYTHONDONTWRITEBYTECODE set, a fresh clone would otherwise compile them
again in every run.
"""

from __future__ import annotations

import argparse
import compileall
import os
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

from framework.model import load_framework  # noqa: E402

UNIT_TEXT = {"persons": "personnes", "percent": "%", "households": "ménages", "pupils": "élèves", "count": "nombre",
             "units": "unités", "hours": "heures", "MAD": "MAD", "yes_no": "oui/non", "FTE": "ETP"}


def above_its_parts(framework, indicators, ind_idx: np.ndarray, value: np.ndarray) -> np.ndarray:
    """A whole (R01) far above any of its parts (R03, R05…), or the file would be refused
    (``ingest.rules.parts``): the gamma draws stay below 10,000 but for one in about 10^14."""
    wholes = {whole for _, whole in framework.part_relations}
    is_whole = np.array([i.code in wholes for i in indicators])[ind_idx]
    return np.where(is_whole, value + 10_000, value)


def generate(path: Path, rows: int, seed: int = 7) -> int:
    """A long-format file as a network-wide export would hold it; returns the number of organisations."""
    framework = load_framework()
    indicators = [i for i in framework.indicators if not i.derived]
    periods = [f"{y}-Q{q}" for y in range(2019, 2025) for q in range(1, 5)]
    per_org = len(indicators) * len(periods)
    orgs = -(-rows // per_org)
    rng = np.random.default_rng(seed)
    org_idx = np.arange(rows) // per_org
    rest = np.arange(rows) % per_org
    ind_idx = rest // len(periods)
    per_idx = rest % len(periods)
    kinds = np.array([framework.unit_of(i.code).kind.value for i in indicators])[ind_idx]
    raw = rng.gamma(2.0, 300.0, rows)
    value = np.where(kinds == "percent", np.round(rng.uniform(0, 100, rows), 1),
                     np.where(kinds == "boolean", rng.integers(0, 2, rows),
                              np.where(kinds == "decimal", np.round(raw, 2), np.round(raw))))
    value = above_its_parts(framework, indicators, ind_idx, value)
    frame = pl.DataFrame({
        "org_code": pl.Series([f"BEN-{i:05d}" for i in range(orgs)])[org_idx],
        "indicator_code": pl.Series([i.code for i in indicators])[ind_idx],
        "period": pl.Series(periods)[per_idx],
        "value": pl.Series(value).cast(pl.String).str.replace(r"\.0$", ""),
        "unit": pl.Series([UNIT_TEXT[i.unit] for i in indicators])[ind_idx],
        "notes": pl.Series(["", "Données vérifiées, rapport annuel", "بيانات أولية", "Source: registre"])[
            rng.integers(0, 4, rows)],
    })
    frame.write_csv(path)
    return orgs


def generate_sparse(path: Path, rows: int, seed: int = 11) -> int:
    """Organisations × 50 months × 10 indicators, unit and notes empty; returns the number of organisations."""
    framework = load_framework()
    indicators = [i for i in framework.indicators if not i.derived][:10]
    months = [f"{2020 + m // 12}-{m % 12 + 1:02d}" for m in range(50)]
    per_org = len(indicators) * len(months)
    orgs = -(-rows // per_org)
    rng = np.random.default_rng(seed)
    org_idx = np.arange(rows) // per_org
    rest = np.arange(rows) % per_org
    ind_idx = rest // len(months)
    kinds = np.array([framework.unit_of(i.code).kind.value for i in indicators])[ind_idx]
    raw = rng.gamma(2.0, 300.0, rows)
    value = np.where(kinds == "percent", np.round(rng.uniform(0, 100, rows), 1),
                     np.where(kinds == "boolean", rng.integers(0, 2, rows),
                              np.where(kinds == "decimal", np.round(raw, 2), np.round(raw))))
    value = above_its_parts(framework, indicators, ind_idx, value)
    pl.DataFrame({
        "org_code": pl.Series([f"BEN-{i:05d}" for i in range(orgs)])[org_idx],
        "indicator_code": pl.Series([i.code for i in indicators])[ind_idx],
        "period": pl.Series(months)[rest % len(months)],
        "value": pl.Series(value).cast(pl.String).str.replace(r"\.0$", ""),
        "unit": pl.repeat(None, rows, dtype=pl.String, eager=True),  # written as nothing between the commas
        "notes": pl.repeat(None, rows, dtype=pl.String, eager=True),
    }).write_csv(path)
    return orgs


SHAPES = {"export": generate, "sparse": generate_sparse}


def register(db: Path, orgs: int, workdir: Path) -> None:
    registry = workdir / "orgs.csv"
    pl.DataFrame({
        "code": [f"BEN-{i:05d}" for i in range(orgs)], "name_fr": [f"Organisation {i}" for i in range(orgs)],
        "name_ar": "", "name_en": "", "kind": "association", "region": "MA-06",
    }).write_csv(registry)
    subprocess.run([sys.executable, "-m", "ingest", "orgs", str(registry), "--db", str(db)], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)


def timed(command: list[str]) -> tuple[float, float, int]:
    """Wall time (s), peak RSS (MB) and exit status of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{command} failed: {child.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, child.returncode


def measure(shape: str, rows: int, repeat: int, work: Path) -> tuple[float, float]:
    """Paired runs on one generated file (baseline, then ours); prints and returns both medians."""
    data = work / f"{shape}.csv"
    orgs = SHAPES[shape](data, rows)
    print(f"[{shape}] file: {rows:,} rows, {data.stat().st_size / 2**20:.1f} MB, {orgs:,} organisations")
    base_times, base_mem, ours_times, ours_mem = [], [], [], []
    for run in range(repeat):
        baseline_db = work / f"{shape}-baseline{run}.duckdb"
        t, m, _ = timed([sys.executable, "-c",
                         f"import duckdb; duckdb.connect({str(baseline_db)!r}).execute("
                         f"\"CREATE TABLE t AS SELECT * FROM read_csv({str(data)!r})\")"])
        base_times.append(t)
        base_mem.append(m)
        athar_db = work / f"{shape}-athar{run}.duckdb"
        register(athar_db, orgs, work)
        t, m, _ = timed([sys.executable, "-m", "ingest", "load", str(data), "--db", str(athar_db)])
        ours_times.append(t)
        ours_mem.append(m)
    base, ours = statistics.median(base_times), statistics.median(ours_times)
    print(f"[{shape}] baseline DuckDB CREATE TABLE AS read_csv : {base:6.2f} s  "
          f"(runs: {', '.join(f'{x:.2f}' for x in base_times)})  peak {max(base_mem):.0f} MB")
    print(f"[{shape}] python -m ingest load                    : {ours:6.2f} s  "
          f"(runs: {', '.join(f'{x:.2f}' for x in ours_times)})  peak {max(ours_mem):.0f} MB")
    print(f"[{shape}] ratio athar / baseline (median)          : {ours / base:6.2f}   target ≤ 2 (stretch 1.5)")
    print(f"[{shape}] peak memory of the load                  : {max(ours_mem):.0f} MB   target < 1024 MB")
    return base, ours


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shape", choices=[*SHAPES, "both"], default="both")
    args = parser.parse_args()
    for package in sorted(p.parent for p in REPO.glob("*/__init__.py")):  # every first-party package
        compileall.compile_dir(package, quiet=1)
    os.environ["ATHAR_MAX_UPLOAD_MB"] = "1024"
    with tempfile.TemporaryDirectory() as tmp:
        for shape in SHAPES if args.shape == "both" else [args.shape]:
            measure(shape, args.rows, args.repeat, Path(tmp))


if __name__ == "__main__":
    main()
