"""Batch-load benchmark: the 2,000-organisation history as it arrives, ~15,000 small files in ONE command.

Run on demand (not in CI):
  .venv/bin/python benchmarks/batch_bench.py [--limit N] [--repeat 1] [--keep]

The files are those of ``benchmarks/dashboard_bench.py``'s generator (2,000 organisations × 2018–2025,
one long CSV of ~10 rows per organisation and year: 14,896 files, ~150,000 rows), written once under
``benchmarks/out/batch-2000x8/files`` (git-ignored) and reused. ``--limit N`` takes the first N files
in the order they arrive (year by year), for quick runs and profiling.

Each run, in the same run and on the same files (these machines are noisy: the ratio is what counts):
  baseline  DuckDB reading every file in one ``read_csv([...])`` into a table of a fresh file: the floor
            for the rows (no checking, no history, no audit);
  athar     ``python -m ingest orgs`` into a fresh database, then ONE
            ``python -m ingest load FILE... --db DB --uploaded-by steering:bench``: every file checked,
            committed in its own transaction, audited, its bytes kept.
Reported: files per second, total time, peak RSS of the load, the ratio to the baseline, and whether
the database holds one submission per file and every row. Target: ≥ 200 files/s.

Backends: with ``ATHAR_DATABASE_URL`` set (PostgreSQL), the load runs against that database (it must be
empty but migrated: the benchmark does not drop anything) and the baseline is PostgreSQL's own COPY of
the same files into a table, in one transaction. Without it, DuckDB files in a temporary directory.

Measured (2 cores shared with other sessions: wall times follow their load, CPU times swell with it):
  2026-12-07 01:00, session 8's merged code (the batched check), quiet machine (load 2–4 from the runs
  themselves), one run each: DuckDB 24.68 s = 603.5 files/s (read_csv baseline 10.66 s, CPU 44.5 s =
  3.0 ms a file, peak 304 MB); PostgreSQL (throwaway cluster) 29.44 s = 505.9 files/s (its COPY 3.39 s,
  CPU 45.3 s, peak 234 MB); both: 14,896 submissions, 206,424 values, 14,898 audit entries. Target met.
  2026-12-06, session 7. Where a load's time goes, both backends alike: about 10 ms of CPU per file in
  all — the workers' checks 8.4 ms (reading and validating: about 36 small Polars queries), the command
  1.7–2.2 ms (its group commits, results, report), the PostgreSQL server 0.2–0.5 ms. So on 2 idle cores
  the ceiling is about 200 files/s, whichever the backend. PostgreSQL is not held back by round trips:
  an ``ingest load`` of the first 1,000 files made 415 statements in all (10 group transactions), the
  server used 0.2–0.3 s of CPU. The earlier gap to DuckDB (52–79 against 154–168 files/s) was not CPU:
  the workers stood idle while a group's commit waited on the server (the full set below); this session,
  same runs back to back: 104–167 files/s on PostgreSQL, 106–154 on DuckDB (load 6–8). What changed: the workers check up to 64 files each ahead of the command
  (8 before: they sat idle 0.6–1.8 s per 1,000 files while a group was committed; 0.1–0.2 s now); a
  small file's pairs made distinct by a Python set (Polars' ``unique`` woke its threads for ten rows);
  the indicators' facts worked out once per framework; a header looked for only in rows with enough
  cells; a group's rows concatenated once. First 1,000 files, paired runs (old → new, CPU of the whole
  benchmark): at load 6–8 DuckDB 14.3 → 13.0 s, PostgreSQL 13.0 → 12.6 and 11.9 → 11.4 s; at load 3–9,
  within the noise (DuckDB 14.6 → 15.4 and 19.3 → 15.9 s, PostgreSQL 14.2 → 12.9 and 15.6 → 17.0 s);
  the command's own CPU 2.7 → 2.1–2.2 s on PostgreSQL (``ingest load`` alone, four runs). The check of
  600 files in one process gives the same results before and after, at 7.0–10.8 ms of CPU a file
  either way as the load goes. Full set, DuckDB, the load alone back to back (load 7–11): 158 → 142 s,
  CPU 207 → 179 s (the command's 40.7 → 29.3 s, the workers' 166.6 → 149.2 s; workers idle 4.1 → 0.1
  s). Full set, PostgreSQL, the same way (load 5–7 new, 7–9 old): 195.7 → 114.1 s (76 → 131 files/s),
  the command's CPU 46.0 → 27.3 s, the workers' 186.2 → 150.0 s, the server's 7.5 → 6.3 s; the workers
  idle 34.6 → 4.4 s: on PostgreSQL a group's commit waits on the server longer, and with 16 files ahead
  the workers stood still meanwhile (the PostgreSQL gap of the last session). Full set through this
  benchmark (load 6–8): DuckDB 118.4 files/s, PostgreSQL 118.3 files/s,
  14,896 submissions, 206,424 values each, peak 297 / 234 MB. The target is not met on this busy
  machine (other sessions kept the load at 6–11 throughout). What is left is the check itself:
  checking many files of the same layout as one frame, with the rules applied per file, would pay its
  queries once per group instead of once per file.
  2026-12-06, session 8 (issue 15). The check of one typical file (11 rows, as a worker runs it, with
  POLARS_MAX_THREADS=1): 35.9 Polars queries, 4.6 ms of the ~9 ms in them, the rest Python building
  expressions and frames; no single step above 1.8 ms (reading 1.8 ms: Polars' CSV reader alone
  0.3–0.9; values 1.5; parts within totals 1.2; periods 0.6; codes, canonical table, indicators
  0.4–0.5 each). Cut, each report and row unchanged (3,224 checks of bench files, mutated copies and
  the shared samples, with and without a member, compared field by field before/after): decimal
  commas and empty cells looked for in one query under ``ingest.collect.FEW_ROWS`` rows, no look for
  long cells in a table smaller than the limit, plain numbers' flags read as scalars, parsed values set
  beside the columns (hstack), part-of pairs and compared indicators once per framework, empty frames
  cleared from one made once: 35.9 → 29.1 queries a file. Per-file check CPU, 400 files in one
  process, old/new alternated (min of 3 runs each time): at load 4–5, 7.8–8.3 → 6.4–7.4 ms (median 8.0
  → 6.8); at load 1–2, 9.4–9.6 → 7.9–9.0 ms: about 15 % less, not the 50 % that 200 files/s on 2 cores
  needs. Full set through this benchmark, DuckDB, new then old back to back: 140.3 files/s (106.2 s,
  CPU 148.7 s, load 6.0) against 134.5 files/s (110.8 s, CPU 153.0 s, load 8.3); an earlier new run
  153.7 files/s (96.9 s, CPU 152.8 s, load 7.6). Target not met. Left: the batched check above (the
  rules that judge a whole file — plain numbers' evidence, fractions, duplicates, parts, not-data rows,
  Excel errors alone — made per file key), or a cheaper reader for small files.
  2026-12-07, session 8, batched check (``ingest.batch_check``). A worker is given small files 32 at a
  time; those of one header and delimiter are checked as one table (lines offset per file), and a file
  takes its check from the table's only when it is certain to be its own: the table gave no issue
  (files with an issue on a line are left out and the rest checked again), every value cell a plain
  number without a 1.250-like point or a yes/no word, no (organisation, period) pair in two files, not
  all its percentages at most 1; any other file is checked alone. Each file's status, report, rows,
  organisations and pairs asked are those of its check alone (tests/test_batch_check.py: 100+
  generated batches, with and without a member). The check of 400 bench files in one process,
  POLARS_MAX_THREADS=1, alone then batched by 32 (load 1.9): 8.3 → 1.6 ms and 10.3 → 2.3 ms of CPU a
  file. ``ingest load`` of the first 1,000 files, DuckDB, old/new alternated (load 5.6–5.8): CPU
  (user+sys) 9.9 / 10.1 s → 4.6 / 4.7 s, wall 7.7 / 9.5 s → 4.6 / 4.4 s. Full set through this
  benchmark, new then old back to back, each file stored once, 206,424 values: DuckDB **461.2 files/s**
  (32.3 s, CPU 47.0 s = 3.2 ms a file, load 6.7, peak 304 MB) against 127.2 files/s (117.1 s, CPU 149.0
  s, load 7.2); PostgreSQL **341.4 files/s** (43.6 s, CPU 54.7 s = 3.7 ms a file, load 6.6, peak 234
  MB) against 132.3 files/s (112.6 s, CPU 151.4 s, load 9.7). Target met on both backends on this busy
  machine. (One run each: the ratio, not the figure, is what to keep.)
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

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
OUT = REPO / "benchmarks" / "out" / "batch-2000x8"
TARGET_FILES_PER_S = 200.0
#: CPU seconds of each child run (the load's includes its worker processes, reaped by it).
CPU_SECONDS: list[float] = []
N_ORGS = 2000


def network(n_orgs: int = N_ORGS) -> tuple[Path, list[Path]]:
    """The generated registry and files, in arrival order (year, then organisation); generated once."""
    folder = OUT / "files"
    registry = folder / "organizations.csv"
    stamp = OUT / "complete"
    if not stamp.exists():
        from benchmarks.dashboard_bench import generate_network

        started = time.perf_counter()
        generate_network(folder, n_orgs)
        stamp.write_text("ok")
        print(f"generated the network in {time.perf_counter() - started:.1f} s", flush=True)
    files = sorted(folder.glob("*/*.csv"), key=lambda p: (p.parent.name, p.name))
    return registry, files


def run_child(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall time (s), peak RSS (MB) and stdout of one child process; stops the benchmark if it fails.
    The CPU time of the child and its workers (user + system) is added to :data:`CPU_SECONDS`."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        CPU_SECONDS.append(usage.ru_utime + usage.ru_stime)
        out.seek(0)
        err.seek(0)
        text = out.read().decode()
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"{command[:4]}… failed:\n{text[-2000:]}\n{err.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, text


def baseline_duckdb(files: list[Path], work: Path) -> float:
    """DuckDB's own read of the same files, in a fresh process: one ``read_csv([...])`` into a table."""
    db = work / "baseline.duckdb"
    names = [str(p) for p in files]
    script = (
        "import duckdb, json, sys\n"
        "names = json.load(sys.stdin)\n"
        f"con = duckdb.connect({str(db)!r})\n"
        "con.execute('SET enable_progress_bar = false')\n"
        "con.execute('CREATE TABLE t AS SELECT * FROM read_csv($names, header=true, all_varchar=true, "
        "union_by_name=true)', {'names': names})\n"
        "print(con.execute('SELECT count(*) FROM t').fetchall()[0][0])\n"
        "con.close()\n"
    )
    import json

    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(names).encode(), capture_output=True,
                          check=True)
    elapsed = time.perf_counter() - started
    print(f"  baseline rows: {done.stdout.decode().strip()}", flush=True)
    return elapsed


def baseline_postgres(files: list[Path], url: str) -> float:
    """PostgreSQL's own COPY of the same files into an unlogged table, in one transaction."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url) as con, con.cursor() as cur:
        cur.execute("CREATE TEMP TABLE batch_bench_baseline (org_code text, indicator_code text, period text, "
                    "value text, unit text)")
        for path in files:
            with cur.copy("COPY batch_bench_baseline FROM STDIN (FORMAT csv, HEADER true)") as copy:
                copy.write(path.read_bytes())
        cur.execute("SELECT count(*) FROM batch_bench_baseline")
        print(f"  baseline rows: {cur.fetchone()[0]}", flush=True)
        con.rollback()
    return time.perf_counter() - started


def stored_counts(db: Path | None, url: str | None) -> tuple[int, int, int]:
    """(submissions, current values, audit entries) in the loaded database."""
    sql = ("SELECT (SELECT count(*) FROM submissions), (SELECT count(*) FROM observations_current), "
           "(SELECT count(*) FROM audit_log)")
    if url:
        import psycopg

        with psycopg.connect(url) as con:
            return tuple(con.execute(sql).fetchone())
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return tuple(con.execute(sql).fetchall()[0])
    finally:
        con.close()


def measure(registry: Path, files: list[Path], work: Path, url: str | None, code: Path) -> dict:
    """One paired run: the baseline, then registry + one load command of ``code``; returns the figures."""
    base = baseline_postgres(files, url) if url else baseline_duckdb(files, work)
    db = work / "athar.duckdb"
    # PostgreSQL: --db names the database (the uploaded bytes are kept in ``raw`` beside ATHAR_DB)
    env = {"PYTHONPATH": str(code), **({"ATHAR_DB": str(db)} if url else {})}
    target = url or str(db)
    run_child([sys.executable, "-m", "ingest", "orgs", str(registry), "--db", target], REPO, env)
    root = registry.parent  # relative paths keep the command line short (15,000 arguments)
    names = [str(p.relative_to(root)) for p in files]
    elapsed, peak, out = run_child(
        [sys.executable, "-m", "ingest", "load", *names, "--db", target, "--uploaded-by", "steering:bench"],
        root, env)
    submissions, values, audit = stored_counts(db, url)
    rate = len(files) / elapsed
    print(f"  baseline {'COPY' if url else 'read_csv([...])'}: {base:7.2f} s", flush=True)
    print(f"  ingest load (one command): {elapsed:7.2f} s  {rate:6.1f} files/s  peak RSS {peak:.0f} MB  "
          f"ratio {elapsed / base:.1f}  CPU {CPU_SECONDS[-1]:.1f} s ({CPU_SECONDS[-1] / len(files) * 1000:.1f} ms a "
          f"file)  load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"  stored: {submissions} submissions for {len(files)} files, {values} values, {audit} audit entries",
          flush=True)
    if submissions != len(files):
        print("  !! not one submission per file:\n" + "\n".join(out.splitlines()[:20]), flush=True)
    return {"baseline": base, "load": elapsed, "rate": rate, "peak": peak}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="load only the first N files (quick runs)")
    parser.add_argument("--repeat", type=int, default=1, help="paired runs (medians reported)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the last run's database in this directory")
    parser.add_argument("--code", type=Path, default=REPO,
                        help="the checkout whose 'python -m ingest' is measured (default: this one), to compare two")
    args = parser.parse_args()
    for package in sorted(p.parent for p in args.code.glob("*/__init__.py")):  # as an installation compiles them
        compileall.compile_dir(package, quiet=1)
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep {args.keep}: the directory must be new or empty (a loaded database would recognise every file)")
    url = os.environ.get("ATHAR_DATABASE_URL") or None
    registry, files = network()
    files = files[: args.limit] if args.limit else files
    print(f"{len(files)} files, backend {'PostgreSQL' if url else 'DuckDB'}, code {args.code}", flush=True)
    runs = []
    for number in range(args.repeat):
        print(f"run {number + 1}/{args.repeat}", flush=True)
        if args.keep and number == args.repeat - 1:
            args.keep.mkdir(parents=True, exist_ok=True)
            runs.append(measure(registry, files, args.keep, url, args.code))
        else:
            with tempfile.TemporaryDirectory(prefix="batch-bench-") as tmp:
                runs.append(measure(registry, files, Path(tmp), url, args.code))
    load = statistics.median(r["load"] for r in runs)
    base = statistics.median(r["baseline"] for r in runs)
    rate = len(files) / load
    print(f"median: load {load:.2f} s, {rate:.1f} files/s (target ≥ {TARGET_FILES_PER_S:.0f}), "
          f"baseline {base:.2f} s, ratio {load / base:.1f}, peak RSS {max(r['peak'] for r in runs):.0f} MB")
    return 0 if rate >= TARGET_FILES_PER_S else 1


if __name__ == "__main__":
    sys.exit(main())
