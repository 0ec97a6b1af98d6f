"""All SQL of scoring requests: scores that follow the data (issue 13).

A change the scores rest on (an accepted submission; later an approval) records a request in its
own transaction (:func:`request_in`). A worker :func:`claim` s every pending request at once — one
run covers them all — and the run's transaction marks them done (:func:`finish_in`, called by
``store.scores.record_run``). A failed attempt goes back to pending once, then stays failed
(:func:`fail`). One run at a time per database: claims are made under ``metrics.run.run_lock``
in one process, and DuckDB lets one process hold the file; ``worker`` says which process claimed.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from store.audit import record_in, redact
from store.db import Store, utc_now

if TYPE_CHECKING:  # imported where a DuckDB database is opened (store.db), never for PostgreSQL
    import duckdb

#: Attempts a request gets before it stays ``failed`` (a first try and one retry).
MAX_ATTEMPTS = 2
#: This process's name in ``scoring_requests.worker`` (which process claimed a request, for the record).
PROCESS = f"{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Claim:
    """The requests one run will cover."""

    ids: list[int]
    origins: list[str]
    submission_ids: list[int]
    claimed_at: datetime


@dataclass(frozen=True)
class ScoringState:
    """What the pages say about the scores: when the latest run was made, and whether a newer one is due."""

    latest_run_at: datetime | None
    pending: int
    running: int
    failed_at: datetime | None  # the last request that stayed failed after the latest run

    @property
    def under_way(self) -> bool:
        return bool(self.pending or self.running)


def request_in(cur: duckdb.DuckDBPyConnection, origin: str, actor: str, submission_id: int | None = None) -> None:
    """Record a scoring request inside the caller's transaction (the change and its request land together)."""
    cur.execute(
        "INSERT INTO scoring_requests (requested_at, origin, requested_by, submission_id) VALUES (?, ?, ?, ?)",
        [utc_now(), origin, actor, submission_id],
    )


def request(store: Store, origin: str, actor: str, submission_id: int | None = None) -> None:
    """Record a scoring request in its own transaction."""
    store.write(lambda cur: request_in(cur, origin, actor, submission_id))


def claim(store: Store, worker: str = PROCESS) -> Claim | None:
    """Take every pending request for one run, or None when nothing is pending.

    Call it holding the run lock (``metrics.run.run_lock``): no run of this process is then under
    way, and no other process holds the file, so a request still marked running is a dead claim
    (a crash between claim and record) and is taken again."""

    def work(cur: duckdb.DuckDBPyConnection) -> Claim | None:
        cur.execute("UPDATE scoring_requests SET status = 'pending', worker = NULL WHERE status = 'running'")
        now = utc_now()
        rows = cur.execute(
            """
            UPDATE scoring_requests SET status = 'running', worker = ?, started_at = ?, attempts = attempts + 1
            WHERE status = 'pending'
            RETURNING id, origin, submission_id
            """,
            [worker, now],
        ).fetchall()
        if not rows:
            return None
        rows.sort()
        return Claim(
            ids=[r[0] for r in rows],
            origins=sorted({r[1] for r in rows}),
            submission_ids=sorted({r[2] for r in rows if r[2] is not None}),
            claimed_at=now,
        )

    return store.write(work)


def finish_in(cur: duckdb.DuckDBPyConnection, run_id: int, claimed: list[int], inputs_read_at: datetime) -> None:
    """Inside a run's transaction: the claimed requests, and every request pending since before the run
    read its inputs (a manual run covers them too), are done by run ``run_id``."""
    cur.execute(
        """
        UPDATE scoring_requests SET status = 'done', finished_at = ?, run_id = ?, error = NULL
        WHERE list_contains(?::BIGINT[], id) OR (status = 'pending' AND requested_at <= ?)
        """,
        [utc_now(), run_id, claimed, inputs_read_at],
    )


def fail(store: Store, claimed: Claim, error: str, *, actor: str) -> bool:
    """A run for ``claimed`` failed: back to pending for a retry, or failed after :data:`MAX_ATTEMPTS`;
    audited (``scores_recomputed``, outcome ``failed``) in the same transaction. True when retried."""

    def work(cur: duckdb.DuckDBPyConnection) -> bool:
        cur.execute(
            """
            UPDATE scoring_requests
            SET status = CASE WHEN attempts >= ? THEN 'failed' ELSE 'pending' END,
                finished_at = ?, error = ?, worker = NULL
            WHERE list_contains(?::BIGINT[], id)
            """,
            [MAX_ATTEMPTS, utc_now(), redact(error[:2000]), claimed.ids],
        )
        retried = cur.execute(
            "SELECT count(*) FROM scoring_requests WHERE status = 'pending' AND list_contains(?::BIGINT[], id)",
            [claimed.ids],
        ).fetchall()[0][0] > 0
        record_in(cur, actor, "scores_recomputed", target="requests:" + ",".join(map(str, claimed.ids)),
                  outcome="failed",
                  detail={"requests": len(claimed.ids), "origin": claimed.origins, "error": error[:500],
                          "retry": retried})
        return retried

    return store.write(work)


def release(store: Store, claimed: list[int], error: str) -> None:
    """Nothing could be scored for ``claimed`` (no value of the framework yet): done without a run."""
    store.write(
        lambda cur: cur.execute(
            "UPDATE scoring_requests SET status = 'done', finished_at = ?, error = ?, worker = NULL "
            "WHERE list_contains(?::BIGINT[], id)",
            [utc_now(), redact(error[:2000]), claimed],
        )
    )


def scoring_state(store: Store) -> ScoringState:
    """The latest run's time and the requests not yet covered (a few counts: read on every page)."""
    with store.cursor() as cur:
        row = cur.execute(
            """
            SELECT (SELECT max(created_at) FROM score_runs),
                   count(*) FILTER (WHERE status = 'pending'),
                   count(*) FILTER (WHERE status = 'running'),
                   max(finished_at) FILTER (WHERE status = 'failed'
                       AND finished_at > coalesce((SELECT max(created_at) FROM score_runs), TIMESTAMP '1970-01-01'))
            FROM scoring_requests
            """
        ).fetchall()[0]
    return ScoringState(latest_run_at=row[0], pending=int(row[1]), running=int(row[2]), failed_at=row[3])


def requests(store: Store) -> list[dict[str, Any]]:
    """Every request, oldest first (the command line's ``--json`` and the tests read them)."""
    with store.cursor() as cur:
        result = cur.execute(
            "SELECT id, requested_at, origin, requested_by, submission_id, status, attempts, started_at, "
            "finished_at, run_id, error FROM scoring_requests ORDER BY id"
        )
        names = [d[0] for d in result.description]
        return [dict(zip(names, r, strict=True)) for r in result.fetchall()]


def submission_request(store: Store, submission_id: int) -> dict[str, Any] | None:
    """The latest scoring request a submission made: status, and the run that covered it with its time."""
    with store.cursor() as cur:
        rows = cur.execute(
            """
            SELECT q.status, q.run_id, r.created_at AS run_at, q.finished_at
            FROM scoring_requests q LEFT JOIN score_runs r ON r.id = q.run_id
            WHERE q.submission_id = ? ORDER BY q.id DESC LIMIT 1
            """,
            [submission_id],
        ).fetchall()
    if not rows:
        return None
    status, run_id, run_at, finished_at = rows[0]
    return {"status": status, "run_id": run_id, "run_at": run_at, "finished_at": finished_at}
