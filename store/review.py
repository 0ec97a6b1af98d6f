"""Review and approval of submissions (issue 13), as SQL: submitted → approved, or returned with comments.

- *approve* (:func:`approve`): the submission is approved and the organisation's periods its values
  cover are locked (``period_locks``); an upload touching a locked organisation + period is refused
  in the commit's own transaction (:func:`refuse_locked`, called by ``store.submissions``), so it
  stores nothing;
- *return* (:func:`return_submission`): the submission goes back to the member with a comment on
  the whole and, optionally, one per value (``review_comments``);
- *reopen* (:func:`request_reopen`, :func:`decide_reopen`): a correction after approval is asked
  for with a reason; the committee grants it (the locks of that organisation + period are released)
  or refuses it.

Every action writes its audit entry in the transaction of the change, with the same detail keys
whichever door (page or ``python -m store review``) it came through. Funders see approved values
only (``store.scope.observations_sql``); a scoring run records which of its submissions were
approved (``score_runs.approved_submission_ids``) so pages can label provisional scores
(:func:`provisional_pairs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from framework.periods import is_label, period_bounds
from framework.vocabulary import BREAKDOWN_COLUMNS
from store.audit import record_in
from store.db import ArrowStream, Store, utc_now
from store.errors import StoreError
from store.scoring_requests import request_in
from store.viewer import Viewer

if TYPE_CHECKING:  # imported where a DuckDB database is opened (store.db), never for PostgreSQL
    import duckdb

REVIEW_STATUSES = ("submitted", "approved", "returned")


class ReviewError(StoreError):
    """A refused review action; ``code`` is a catalogue key under ``review.errors``."""

    catalogue = "review.errors"


class PeriodLocked(ReviewError):
    """An upload or a form touches an organisation's period the committee approved: nothing is stored.

    ``locked`` lists the (organisation, period) pairs; the message names them and the way out (a
    reopen request with a reason).
    """

    def __init__(self, locked: list[tuple[str, str]]):
        self.locked = locked
        super().__init__("period_locked", periods=", ".join(f"{org} {period}" for org, period in locked))


@dataclass(frozen=True)
class ValueComment:
    """The committee's comment on one value of a returned submission."""

    indicator_code: str
    period: str
    comment: str
    line: int | None = None


# -- the commit path -------------------------------------------------------------------------
def any_lock(cur: duckdb.DuckDBPyConnection, org_codes: list[str]) -> bool:
    """Whether any of these organisations has a locked period now."""
    return bool(cur.execute(
        "SELECT count(*) FROM period_locks WHERE released_at IS NULL AND list_contains(?::VARCHAR[], org_code)",
        [org_codes],
    ).fetchall()[0][0])


def refuse_locked(cur: duckdb.DuckDBPyConnection, rows_table: str, org_codes: list[str]) -> None:
    """Raise :class:`PeriodLocked` when a row of ``rows_table`` (registered in the caller's transaction,
    with ``org_code``, ``period_start``, ``period_end``) falls in a locked period of its organisation."""
    if not any_lock(cur, org_codes):
        return
    locked = cur.execute(
        f"""
        SELECT DISTINCT l.org_code, l.period FROM period_locks l JOIN {rows_table} n
          ON n.org_code = l.org_code AND n.period_start <= l.period_end AND n.period_end >= l.period_start
        WHERE l.released_at IS NULL ORDER BY 1, 2
        """
    ).fetchall()
    if locked:
        raise PeriodLocked([(org, period) for org, period in locked])


def check_unlocked(store: Store, rows: pl.DataFrame) -> None:
    """:func:`refuse_locked` before the commit (a read): a locked file is refused before its bytes are
    kept. The commit's transaction checks again, so a lock taken meanwhile still refuses it."""
    orgs = rows.get_column("org_code").unique().drop_nulls().to_list()
    if not rows.height or not store.scalar(
        "SELECT count(*) FROM period_locks WHERE released_at IS NULL AND list_contains(?::VARCHAR[], org_code)",
        [orgs],
    ):
        return
    keys = rows.select("org_code", "period_start", "period_end").unique()
    with store.cursor() as cur:
        cur.register("checked_rows", ArrowStream(keys))
        try:
            refuse_locked(cur, "checked_rows", orgs)
        finally:
            cur.unregister("checked_rows")


# -- actions ---------------------------------------------------------------------------------
def _submission(cur: duckdb.DuckDBPyConnection, submission_id: int) -> tuple[str | None, str]:
    found = cur.execute("SELECT org_code, review_status FROM submissions WHERE id = ?", [submission_id]).fetchall()
    if not found:
        raise ReviewError("unknown_submission", submission=submission_id)
    return found[0][0], found[0][1]


def _clean_text(text: str | None, code: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise ReviewError(code)
    return cleaned


def approve(store: Store, submission_id: int, *, actor: str, source: str = "page") -> dict[str, Any]:
    """Approve a submitted submission, lock the organisation + periods its values cover and request a
    scoring run (``store.scoring_requests``), all in one transaction: the app's worker or
    ``python -m metrics score --pending`` then records scores no longer provisional for it."""

    def work(cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        org, status = _submission(cur, submission_id)
        if status != "submitted":
            raise ReviewError("not_submitted", submission=submission_id, status=status)
        now = utc_now()
        cur.execute("UPDATE submissions SET review_status = 'approved', reviewed_at = ?, reviewed_by = ? WHERE id = ?",
                    [now, actor, submission_id])
        locked = cur.execute(
            """
            INSERT INTO period_locks (org_code, period, period_start, period_end, submission_id, locked_at, locked_by)
            SELECT o.org_code, o.period, min(o.period_start), max(o.period_end), ?, ?, ?
            FROM observations o WHERE o.submission_id = ?
              AND NOT EXISTS (SELECT 1 FROM period_locks l WHERE l.released_at IS NULL
                              AND l.org_code = o.org_code AND l.period = o.period)
            GROUP BY o.org_code, o.period
            RETURNING org_code, period
            """,
            [submission_id, now, actor, submission_id],
        ).fetchall()
        detail = {"submission": submission_id, "org": org, "source": source,
                  "locked": sorted(f"{o} {p}" for o, p in locked), "scoring_requested": True}
        record_in(cur, actor, "review_approved", target=f"submission:{submission_id}", detail=detail)
        # Scores that follow: a run records its provisional marks from the approval state it read, so
        # the next run turns this submission's provisional scores into approved ones.
        request_in(cur, "approval", actor, submission_id)
        return detail

    return store.write(work)


def return_submission(
    store: Store, submission_id: int, comment: str, *, actor: str, values: list[ValueComment] | None = None,
    source: str = "page",
) -> dict[str, Any]:
    """Send a submitted submission back to its organisation with a comment (and one per value)."""
    text = _clean_text(comment, "comment_missing")
    values = [v for v in values or [] if v.comment.strip()]

    def work(cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        org, status = _submission(cur, submission_id)
        if status != "submitted":
            raise ReviewError("not_submitted", submission=submission_id, status=status)
        now = utc_now()
        cur.execute("UPDATE submissions SET review_status = 'returned', reviewed_at = ?, reviewed_by = ? WHERE id = ?",
                    [now, actor, submission_id])
        rows = [(None, None, None, text), *((v.indicator_code, v.period, v.line, v.comment.strip()) for v in values)]
        cur.executemany(
            "INSERT INTO review_comments (submission_id, org_code, indicator_code, period, line, comment, written_at, "
            "written_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [[submission_id, org, indicator, period, line, body, now, actor]
             for indicator, period, line, body in rows],
        )
        detail = {"submission": submission_id, "org": org, "source": source, "comment": text,
                  "value_comments": len(values)}
        record_in(cur, actor, "review_returned", target=f"submission:{submission_id}", detail=detail)
        return detail

    return store.write(work)


def request_reopen(store: Store, org_code: str, period: str, reason: str, *, actor: str,
                   source: str = "page") -> int:
    """Ask to reopen an approved (locked) period for a correction; the reason is required."""
    text = _clean_text(reason, "reason_missing")
    org, label = org_code.strip().upper(), period.strip()
    if not is_label(label):
        raise ReviewError("bad_period", period=label)
    _, start, end = period_bounds(label)

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        if not _locks_overlapping(cur, org, start, end):
            raise ReviewError("not_locked", org=org, period=label)
        request_id = cur.execute(
            "INSERT INTO reopen_requests (org_code, period, reason, requested_at, requested_by, status) "
            "VALUES (?, ?, ?, ?, ?, 'pending') RETURNING id",
            [org, label, text, utc_now(), actor],
        ).fetchall()[0][0]
        record_in(cur, actor, "reopen_requested", target=f"reopen:{request_id}",
                  detail={"request": request_id, "org": org, "period": label, "reason": text, "source": source})
        return int(request_id)

    return store.write(work)


def _locks_overlapping(cur: duckdb.DuckDBPyConnection, org: str, start: date, end: date) -> int:
    return cur.execute(
        "SELECT count(*) FROM period_locks WHERE released_at IS NULL AND org_code = ? "
        "AND period_start <= ? AND period_end >= ?",
        [org, end, start],
    ).fetchall()[0][0]


def decide_reopen(store: Store, request_id: int, *, grant: bool, actor: str, source: str = "page") -> dict[str, Any]:
    """Grant (release the locks of that organisation + period) or refuse a pending reopen request."""

    def work(cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        found = cur.execute("SELECT org_code, period, status FROM reopen_requests WHERE id = ?",
                            [request_id]).fetchall()
        if not found:
            raise ReviewError("unknown_request", request=request_id)
        org, label, status = found[0]
        if status != "pending":
            raise ReviewError("request_decided", request=request_id)
        now = utc_now()
        cur.execute("UPDATE reopen_requests SET status = ?, decided_at = ?, decided_by = ? WHERE id = ?",
                    ["granted" if grant else "refused", now, actor, request_id])
        released = 0
        if grant:
            _, start, end = period_bounds(label)
            released = cur.execute(
                "UPDATE period_locks SET released_at = ?, released_by = ?, reopen_id = ? "
                "WHERE released_at IS NULL AND org_code = ? AND period_start <= ? AND period_end >= ?",
                [now, actor, request_id, org, end, start],
            ).fetchall()[0][0]
        detail = {"request": request_id, "org": org, "period": label, "released": int(released), "source": source}
        record_in(cur, actor, "reopen_granted" if grant else "reopen_refused", target=f"reopen:{request_id}",
                  detail=detail)
        return detail

    return store.write(work)


def accept_history(store: Store, *, actor: str, source: str, before: date | None = None) -> int:
    """Count every submission still waiting as approved, without locking anything: what a network
    loaded before it reviewed (the demo's history, like the migration's rule for earlier files).
    With ``before``, only the submissions whose every value ends before that day."""

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        ids = [r[0] for r in cur.execute(
            "UPDATE submissions SET review_status = 'approved', reviewed_at = ?, reviewed_by = ? "
            "WHERE review_status = 'submitted' AND (?::DATE IS NULL OR NOT EXISTS ("
            "SELECT 1 FROM observations o WHERE o.submission_id = submissions.id AND o.period_end >= ?::DATE)) "
            "RETURNING id", [utc_now(), actor, before, before]).fetchall()]
        if ids:
            detail = {"source": source, "submissions": len(ids)}
            if before is not None:
                detail["before"] = before.isoformat()
            record_in(cur, actor, "review_history_accepted", target="submissions", detail=detail)
            request_in(cur, "approval", actor)  # the provisional marks of the latest run are out of date
        return len(ids)

    return store.write(work)


def submitted_ids(store: Store) -> list[int]:
    """The submissions awaiting review, oldest first (the command line and the demo's cycle)."""
    return [int(i) for i in store.column("SELECT id FROM submissions WHERE review_status = 'submitted' ORDER BY id")]


def status_counts(store: Store) -> dict[str, int]:
    """How many submissions are in each review status (every status named, zero included)."""
    found = dict(store.query("SELECT review_status, count(*) FROM submissions GROUP BY 1").rows())
    return {status: int(found.get(status, 0)) for status in REVIEW_STATUSES}


# -- reads -----------------------------------------------------------------------------------
def _visible(viewer: Viewer) -> dict[str, Any]:
    return {"v_all": viewer.role == "steering", "v_org": viewer.org_code if viewer.role == "member" else None}


_VISIBLE = "($v_all OR org_code = $v_org)"


def submissions_for_review(store: Store, viewer: Viewer, *, status: str | None = None) -> pl.DataFrame:
    """Submissions with their review state, newest first (steering: all; member: its own; funder: none);
    ``followed``: the organisation has sent a later submission (a returned one is then answered)."""
    return store.query(
        f"""
        SELECT id, org_code, file_name, uploaded_at, uploaded_by, row_count, status, review_status,
               reviewed_at, reviewed_by,
               EXISTS (SELECT 1 FROM submissions l WHERE l.org_code IS NOT DISTINCT FROM submissions.org_code
                       AND l.id > submissions.id) AS followed
        FROM submissions WHERE {_VISIBLE} AND ($status IS NULL OR review_status = $status)
        ORDER BY id DESC
        """,
        {**_visible(viewer), "status": status},
    )


def review_status(store: Store, submission_id: int) -> str | None:
    return store.scalar("SELECT review_status FROM submissions WHERE id = ?", [submission_id])


def submission_values(store: Store, submission_id: int) -> pl.DataFrame:
    """The values a submission brought (for the committee's review; the page is steering-only)."""
    keys = ", ".join(BREAKDOWN_COLUMNS)
    return store.query(
        f"SELECT line, org_code, indicator_code, period, value, unit, {keys}, source, notes "
        "FROM observations WHERE submission_id = ? ORDER BY line",
        [submission_id],
    )


def last_approved_values(store: Store, submission_id: int) -> pl.DataFrame:
    """For each key of a submission, the value of the last approved version before it, as
    ``current_value`` / ``current_submission`` (what ``ingest.preview.diff`` compares against)."""
    keys = ("org_code", "indicator_code", "period", *BREAKDOWN_COLUMNS)
    match = " AND ".join(f"o.{k} IS NOT DISTINCT FROM n.{k}" for k in keys)
    # A ranked subquery rather than QUALIFY: one text for DuckDB and PostgreSQL.
    return store.query(
        f"""
        WITH n AS (SELECT * FROM observations WHERE submission_id = $id),
        ranked AS (
            SELECT {", ".join(f"o.{k}" for k in keys)}, o.value AS current_value,
                   o.submission_id AS current_submission,
                   row_number() OVER (PARTITION BY {", ".join(f"o.{k}" for k in keys)}
                                      ORDER BY o.valid_from DESC, o.submission_id DESC) AS version_rank
            FROM observations o JOIN n ON {match}
            JOIN submissions s ON s.id = o.submission_id AND s.review_status = 'approved'
            WHERE o.submission_id < $id
        )
        SELECT {", ".join(keys)}, current_value, current_submission FROM ranked WHERE version_rank = 1
        """,
        {"id": submission_id},
    )


def submission_report(store: Store, submission_id: int) -> str | None:
    """The validation report stored with the submission (JSON text: warnings such as consistency checks)."""
    return store.scalar("SELECT report::VARCHAR FROM submissions WHERE id = ?", [submission_id])


def submission_series(store: Store, submission_id: int) -> pl.DataFrame:
    """The values a submission brought, laid out as the consistency rule reads a series
    (``metrics.outliers.incoming_unusual``), with the explanation the organisation gave of each
    (``explanation``: the one in force for this submission's value, ``store.explanations``).

    The Review page flags them against the organisation's stored history as the upload and the form
    did, so the committee sees the flags (and their explanations) before any scoring run."""
    keys = ", ".join(f"o.{k}" for k in BREAKDOWN_COLUMNS)
    match = " AND ".join(f"e.{k} IS NOT DISTINCT FROM o.{k}" for k in ("org_code", "indicator_code", "period",
                                                                     *BREAKDOWN_COLUMNS))
    return store.query(
        f"""
        SELECT o.line, o.org_code, o.indicator_code, o.granularity, o.period, o.period_start, o.value, o.unit,
               {keys}, o.submission_id, e.explanation
        FROM observations o
        LEFT JOIN value_explanations e ON {match} AND e.submission_id = o.submission_id AND e.valid_to IS NULL
        WHERE o.submission_id = ? ORDER BY o.line
        """,
        [submission_id],
    )


def comments(store: Store, viewer: Viewer, *, submission_id: int | None = None) -> pl.DataFrame:
    """The committee's comments on returned submissions (a member reads its own organisation's)."""
    return store.query(
        """
        SELECT c.submission_id, s.file_name, c.indicator_code, c.period, c.line, c.comment, c.written_at,
               c.written_by
        FROM review_comments c JOIN submissions s ON s.id = c.submission_id
        WHERE ($v_all OR s.org_code = $v_org) AND ($id IS NULL OR c.submission_id = $id)
        ORDER BY c.submission_id DESC, c.indicator_code NULLS FIRST, c.period, c.id
        """,
        {**_visible(viewer), "id": submission_id},
    )


def returned_comments(store: Store, org_code: str, period: str) -> pl.DataFrame:
    """indicator_code, line, comment: the committee's comments on the organisation's newest submission
    holding values for ``period`` (the one ``store.reads.calendar`` judges), when it was returned —
    the whole submission's first (indicator NULL), then those on its values of that period. For the
    reminders, which run as the system and reach every organisation."""
    return store.query(
        """
        WITH newest AS (
            SELECT max(s.id) AS id FROM submissions s JOIN observations o ON o.submission_id = s.id
            WHERE s.status = 'accepted' AND o.org_code = $org AND o.period = $period
        )
        SELECT c.indicator_code, c.line, c.comment
        FROM review_comments c JOIN newest n ON n.id = c.submission_id
        JOIN submissions s ON s.id = c.submission_id AND s.review_status = 'returned'
        WHERE c.indicator_code IS NULL OR c.period IS NULL OR c.period = $period
        ORDER BY c.indicator_code NULLS FIRST, c.line NULLS LAST, c.id
        """,
        {"org": org_code, "period": period},
    )


def locks(store: Store, viewer: Viewer) -> pl.DataFrame:
    """Periods locked now (a member: its own organisation's)."""
    return store.query(
        f"SELECT org_code, period, submission_id, locked_at, locked_by FROM period_locks "
        f"WHERE released_at IS NULL AND {_VISIBLE} ORDER BY org_code, period",
        _visible(viewer),
    )


def reopen_requests(store: Store, viewer: Viewer, *, pending_only: bool = False) -> pl.DataFrame:
    """Reopen requests, newest first (a member: its own organisation's)."""
    return store.query(
        f"SELECT id, org_code, period, reason, requested_at, requested_by, status, decided_at, decided_by "
        f"FROM reopen_requests WHERE {_VISIBLE} AND (NOT $pending OR status = 'pending') ORDER BY id DESC",
        {**_visible(viewer), "pending": pending_only},
    )


def _period_start(column: str) -> str:
    """First day of a canonical label in SQL (2024, 2024-S2, 2024-Q3, 2024-03)."""
    return (f"make_date(CAST(left({column}, 4) AS INTEGER), CASE WHEN length({column}) = 4 THEN 1 "
            f"WHEN substr({column}, 6, 1) = 'S' THEN (CAST(substr({column}, 7, 1) AS INTEGER) - 1) * 6 + 1 "
            f"WHEN substr({column}, 6, 1) = 'Q' THEN (CAST(substr({column}, 7, 1) AS INTEGER) - 1) * 3 + 1 "
            f"ELSE CAST(substr({column}, 6, 2) AS INTEGER) END, 1)")


def _period_months(column: str) -> str:
    return (f"CASE WHEN length({column}) = 4 THEN 12 WHEN substr({column}, 6, 1) = 'S' THEN 6 "
            f"WHEN substr({column}, 6, 1) = 'Q' THEN 3 ELSE 1 END")


def record_provisional(cur: duckdb.DuckDBPyConnection, run_id: int) -> int:
    """Store, in the run's transaction, the (organisation, period) scores of run ``run_id`` that rest
    on a value not approved when it ran (outside ``approved_submission_ids``, within the scored period).

    The run's id lists are unnested into tables to join (hashed), not searched per observation with
    ``list_contains``: PostgreSQL scans an array linearly, and with thousands of submissions this one
    statement took 3 s of a 2,000-organisation run (0.01 s joined)."""
    start = _period_start("p.period")
    return cur.execute(
        f"""
        INSERT INTO score_provisional (run_id, org_code, period)
        WITH p AS (SELECT DISTINCT org_code, period FROM scores WHERE run_id = $run),
        b AS (SELECT org_code, period, {start} AS first_day,
                     {start} + to_months({_period_months("p.period")}) AS next_day FROM p),
        scored AS (SELECT DISTINCT unnest(submission_ids) AS id FROM score_runs WHERE id = $run),
        approved AS (SELECT DISTINCT unnest(approved_submission_ids) AS id FROM score_runs WHERE id = $run),
        unapproved AS (
            SELECT DISTINCT o.org_code, o.period_start FROM observations o JOIN score_runs r ON r.id = $run
            WHERE o.submission_id IN (SELECT id FROM scored)
              AND NOT EXISTS (SELECT 1 FROM approved a WHERE a.id = o.submission_id)
              AND (o.valid_to IS NULL OR o.valid_to > r.created_at))
        SELECT DISTINCT CAST($run AS BIGINT), b.org_code, b.period FROM b JOIN unapproved u
          ON u.org_code = b.org_code AND u.period_start >= b.first_day AND u.period_start < b.next_day
        """,
        {"run": run_id},
    ).fetchall()[0][0]


def provisional_pairs(store: Store, run_id: int | None) -> pl.DataFrame:
    """The (organisation, period) scores of a run that rest on values not approved when it ran."""
    return store.query(
        "SELECT org_code, period FROM score_provisional WHERE run_id = $run ORDER BY 1, 2", {"run": run_id}
    )


def run_is_provisional(store: Store, run_id: int | None, org_code: str | None = None) -> bool:
    """Whether any score of the run (of one organisation) rests on values not approved when it ran."""
    pairs = provisional_pairs(store, run_id)
    if org_code is not None:
        pairs = pairs.filter(pl.col("org_code") == org_code)
    return pairs.height > 0
