"""Approving a 10,000-value submission on the 2,000-organisation network (issue 13; not in CI).

    .venv/bin/python benchmarks/approval_bench.py [--db PATH] [--values 10000] [--repeat 3] [--json FILE]

The database is copied (with its write-ahead log when there is one) so the original stays as it is;
``--db`` names it, else ``benchmarks/out/large-2000x8/athar.duckdb`` (``benchmarks/dashboard_bench.py``
builds it when missing). Each repeat, in one process, on one year the earlier rounds did not lock:

1. a committee's network file of ``--values`` current values of that year (totals of as many
   organisations as it takes, the values as stored) is loaded through ``ingest.pipeline.load_file``
   (the check and the commit: the baseline a reviewer waits for anyway);
2. a plain transaction on the same submission row (``UPDATE submissions SET reviewed_at …`` with an
   audit entry): the floor of any review action;
3. ``store.review.approve`` of that submission: the status, the lock rows of every organisation and
   period it covers, the audit entry and the scoring request, in one transaction.

Reported: seconds of each, and the approval's ratio to (1) and to (2), best and median over the rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from autoscore_bench import _copy, _source_db  # noqa: E402  (the same 2,000-organisation network)

from ingest.pipeline import load_file  # noqa: E402
from store import review  # noqa: E402
from store.audit import record_in  # noqa: E402
from store.db import open_store, utc_now  # noqa: E402
from store.registry import framework_in_use  # noqa: E402
from store.scoring_requests import requests  # noqa: E402


def _network_file(store, year: str, count: int) -> bytes:
    """``count`` current total values of ``year``, organisation by organisation, as a committee's file."""
    rows = store.query(
        "SELECT org_code, indicator_code, period, value FROM observations_current WHERE period = ? "
        "AND sex IS NULL AND age_band IS NULL AND disability IS NULL AND area IS NULL AND region IS NULL "
        "ORDER BY org_code, indicator_code LIMIT ?", [year, count]).rows()
    if len(rows) < count:
        raise SystemExit(f"{year} holds only {len(rows)} total values; ask for fewer with --values")
    lines = ["org_code,indicator_code,period,value"] + [f"{o},{i},{p},{v:.15g}" for o, i, p, v in rows]
    return ("\n".join(lines) + "\n").encode()


def _plain_update(store, submission_id: int) -> None:
    def work(cur) -> None:
        cur.execute("UPDATE submissions SET reviewed_at = ? WHERE id = ?", [utc_now(), submission_id]).fetchall()
        record_in(cur, "account:bench", "review_returned", target=f"submission:{submission_id}",
                  detail={"bench": "baseline"})

    store.write(work)


def one_round(store, framework, year: str, count: int) -> dict:
    data = _network_file(store, year, count)
    started = time.perf_counter()
    result = load_file(store, data, f"network-{year}.csv", framework=framework, uploaded_by="steering:bench",
                       audit_actor="account:bench")
    loaded = time.perf_counter()
    assert result.status == "accepted" and result.rows == count, (result.status, result.rows, result.issues)
    _plain_update(store, result.submission_id)
    plain = time.perf_counter()
    detail = review.approve(store, result.submission_id, actor="account:bench")
    approved = time.perf_counter()
    assert review.review_status(store, result.submission_id) == "approved"
    assert any(r["origin"] == "approval" and r["submission_id"] == result.submission_id for r in requests(store))
    load_s, plain_s, approve_s = loaded - started, plain - loaded, approved - plain
    return {"year": year, "values": result.rows, "locks": len(detail["locked"]), "load_s": load_s,
            "plain_update_s": plain_s, "approve_s": approve_s, "approve_vs_load": approve_s / load_s,
            "approve_vs_plain": approve_s / plain_s}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--values", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    source = _source_db(args.db)
    with tempfile.TemporaryDirectory(prefix="approval-bench-") as folder:
        store = open_store(_copy(source, Path(folder)))
        framework = framework_in_use(store, None)
        orgs = store.scalar("SELECT count(*) FROM organizations")
        values = store.scalar("SELECT count(*) FROM observations_current")
        years = store.column("SELECT DISTINCT period FROM observations_current WHERE granularity = 'year' "
                             "ORDER BY period DESC")
        print(f"database: {orgs} organisations, {values} current values (copy of {source})", flush=True)
        rounds = []
        try:
            for n, year in enumerate(years[: args.repeat], start=1):
                r = one_round(store, framework, year, args.values)
                rounds.append(r)
                print(f"round {n} ({year}): load {r['load_s']:.2f} s · plain update {r['plain_update_s'] * 1000:.0f} ms"
                      f" · approve {r['approve_s'] * 1000:.0f} ms ({r['locks']} locks) · approve/load "
                      f"{r['approve_vs_load']:.3f} · approve/plain {r['approve_vs_plain']:.1f}", flush=True)
        finally:
            store.close()
    summary = {key: {"best": min(r[key] for r in rounds), "median": statistics.median(r[key] for r in rounds)}
               for key in ("load_s", "plain_update_s", "approve_s", "approve_vs_load", "approve_vs_plain")}
    print(json.dumps({"organisations": orgs, "values_in_db": values, "values_approved": args.values,
                      "repeat": len(rounds), **summary}, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"rounds": rounds, **summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
