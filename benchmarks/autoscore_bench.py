"""Scores that follow: the background scoring run on the 2,000-organisation network (not in CI).

    .venv/bin/python benchmarks/autoscore_bench.py [--db PATH] [--repeat 3] [--json FILE]

The database is the generated network of ``benchmarks/dashboard_bench.py`` (2,000 organisations ×
8 years, ~206,000 values, loaded through ``python -m ingest load``), copied so the original stays
as it is; ``--db`` names another, else ``benchmarks/out/large-2000x8/athar.duckdb`` is used (built by
``dashboard_bench.build_large`` when missing: about ten minutes). Each repeat, in this process as the
app runs it:

1. a member's correction (one organisation, one year) is accepted through ``ingest.pipeline.load_file``
   — the commit records the scoring request in its transaction (timed: the commit);
2. the app's worker (``dashboard.autoscore.ScoringWorker``, a real thread) is woken, as the upload
   page does, and the time until the request is covered by a recorded run is measured
   (*upload → scores updated*); meanwhile a page's cheap reads (the sidebar's scoring state and
   the data version) are timed every 50 ms, to show the pages stay responsive during the run;
3. for reference, a manual ``score_store`` of the same data (the Framework page's button).

Reported: best and median of each; the request machinery's overhead is (2) − (3).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the app and `python -m metrics` run scoring

from dashboard.autoscore import ScoringWorker  # noqa: E402
from ingest.pipeline import load_file  # noqa: E402
from metrics.run import score_store  # noqa: E402
from store.db import open_store  # noqa: E402
from store.reads.common import data_version  # noqa: E402
from store.registry import framework_in_use  # noqa: E402
from store.scoring_requests import requests, scoring_state  # noqa: E402
from store.viewer import Viewer  # noqa: E402

DEFAULT_DB = REPO / "benchmarks" / "out" / "large-2000x8" / "athar.duckdb"


def _copy(source: Path, folder: Path) -> Path:
    db = folder / "athar.duckdb"
    shutil.copy(source, db)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():  # a file closed without a checkpoint: its last writes are in the log
        shutil.copy(wal, db.with_name(db.name + ".wal"))
    return db


def _source_db(path: Path | None) -> Path:
    if path is not None:
        return path
    if DEFAULT_DB.exists():
        return DEFAULT_DB
    from dashboard_bench import build_large

    return build_large(2000, rebuild=False)


def _correction(store, n: int) -> tuple[str, bytes]:
    """One organisation's current values of its latest year, its reach (R01, a whole above its parts)
    raised by ``n``: a new file each time, valid as the original was."""
    org = store.scalar("SELECT min(org_code) FROM observations_current")
    period = store.scalar("SELECT max(period) FROM observations_current WHERE org_code = ? AND granularity = 'year'",
                          [org])
    rows = store.query(
        "SELECT indicator_code, value, unit FROM observations_current WHERE org_code = ? AND period = ? "
        "AND sex IS NULL AND age_band IS NULL AND disability IS NULL AND area IS NULL AND region IS NULL "
        "ORDER BY indicator_code", [org, period]).rows()
    lines = ["org_code,indicator_code,period,value"]
    lines += [f"{org},{code},{period},{value + n if code == 'R01' else value}" for code, value, _ in rows]
    return org, ("\n".join(lines) + "\n").encode()


def _watch_reads(store, stop: threading.Event, timings: list[float]) -> None:
    viewer = Viewer.steering("bench")
    while not stop.is_set():
        started = time.perf_counter()
        scoring_state(store)
        data_version(store, viewer)
        timings.append(time.perf_counter() - started)
        stop.wait(0.05)


def idle_reads(store, count: int = 20) -> float:
    """The median time of the same page reads with no run under way (the reference for the reads)."""
    timings = []
    viewer = Viewer.steering("bench")
    for _ in range(count):
        started = time.perf_counter()
        scoring_state(store)
        data_version(store, viewer)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def one_round(store, framework, worker: ScoringWorker, n: int, with_reads: bool = True) -> dict:
    org, data = _correction(store, n)
    started = time.perf_counter()
    result = load_file(store, data, f"correction-{n}.csv", framework=framework, member_org=org,
                       uploaded_by=f"member:{org}", audit_actor="account:bench")
    committed = time.perf_counter()
    assert result.status == "accepted", result.issues
    reads: list[float] = []
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_reads, args=(store, stop, reads), daemon=True)
    if with_reads:
        watcher.start()
    worker.wake()
    while scoring_state(store).under_way:
        time.sleep(0.01)
    followed = time.perf_counter()
    stop.set()
    if with_reads:
        watcher.join()
    asked = [r for r in requests(store) if r["submission_id"] == result.submission_id]
    assert asked and asked[0]["status"] == "done", asked
    run_at = time.perf_counter()
    score_store(store, framework, actor="account:bench")
    manual = time.perf_counter() - run_at
    return {"commit_s": committed - started, "followed_s": followed - committed, "manual_s": manual,
            "read_max_s": max(reads) if reads else None, "read_median_s": statistics.median(reads) if reads else None,
            "reads": len(reads)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--no-reads", action="store_true", help="no page reads during the run (its time alone)")
    args = parser.parse_args()
    source = _source_db(args.db)
    with tempfile.TemporaryDirectory(prefix="autoscore-bench-") as folder:
        store = open_store(_copy(source, Path(folder)))
        framework = framework_in_use(store, None)
        orgs = store.scalar("SELECT count(*) FROM organizations")
        values = store.scalar("SELECT count(*) FROM observations_current")
        print(f"database: {orgs} organisations, {values} current values (copy of {source})", flush=True)
        print(f"page reads with no run under way: median {idle_reads(store) * 1000:.0f} ms", flush=True)
        worker = ScoringWorker(store, poll_seconds=3600)
        try:
            rounds = []
            for n in range(1, args.repeat + 1):
                rounds.append(one_round(store, framework, worker, n, with_reads=not args.no_reads))
                r = rounds[-1]
                print(f"round {n}: commit {r['commit_s']:.2f} s · upload → scores updated {r['followed_s']:.2f} s · "
                      f"manual run {r['manual_s']:.2f} s · page reads during the run: median "
                      f"{(r['read_median_s'] or 0) * 1000:.0f} ms, max {(r['read_max_s'] or 0) * 1000:.0f} ms "
                      f"({r['reads']} reads)", flush=True)
        finally:
            worker.stop()
            worker.thread.join(timeout=120)
            store.close()
    keys = ("commit_s", "followed_s", "manual_s") + (() if args.no_reads else ("read_max_s",))
    summary = {key: {"best": min(r[key] for r in rounds), "median": statistics.median(r[key] for r in rounds)}
               for key in keys}
    summary["overhead_s"] = {"median": statistics.median(r["followed_s"] - r["manual_s"] for r in rounds)}
    print(json.dumps({"organisations": orgs, "values": values, "repeat": args.repeat, **summary}, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"rounds": rounds, **summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
