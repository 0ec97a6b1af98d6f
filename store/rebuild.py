"""What a rebuild carries over besides the raw files: the reporting cycle's state (issue 13).

``python -m ingest rebuild`` replays every kept file into a new database (``ingest.pipeline``); the
files say nothing of what the committee decided about them. :func:`carry_cycle_state` copies it from
the old database, in one transaction of the new one with its audit entry (``rebuild_cycle_carried``):

- each submission's review state (submitted / approved / returned, when and by whom), matched to the
  submission its file became in the new database;
- the committee's comments, the period locks (released ones too, with the reopen request that released
  them) and the reopen requests, under their old ids (the sequences are moved past them);
- the members' explanations of flagged values (with the submission they explain);
- the narratives typed on the form (those a file holds come back with its replay);
- the reporting calendar, its per-organisation exceptions and the reminder schedule;
- which organisations are deactivated and the language each is written to (the registry's import
  columns, which the replay registers, hold neither; both are set after the replay, so the files of
  an organisation deactivated since are replayed all the same).

A submission whose file was not replayed (rejected by the new database's framework) takes nothing with
it: its comments, locks and explanations are counted as ``dropped``. The log of messages sent stays in
the old database (a record of e-mails, not a state the cycle reads). Every new submission starts as
``submitted``, so a rebuild that did not carry this would unlock every approved period and hide every
value from funders' links.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from store.audit import record_in
from store.db import ArrowStream, Store

if TYPE_CHECKING:  # imported where a DuckDB database is opened (store.db), never for PostgreSQL
    import duckdb

#: Tables copied as they are (no id, no submission): the calendar and the reminder schedule.
SETTINGS_TABLES = ("reporting_calendar", "org_calendar", "reminder_schedule")
#: Tables keeping their ids, with the sequence that numbers them.
NUMBERED = (("reopen_requests", "reopen_request_id_seq"), ("review_comments", "review_comment_id_seq"),
            ("period_locks", "period_lock_id_seq"))


def _read(source: Store, table: str) -> pl.DataFrame:
    return source.query(f"SELECT * FROM {table}")


def carry_cycle_state(source: Store, target: Store, id_map: pl.DataFrame, *, actor: str) -> dict[str, Any]:
    """Copy the cycle's state of ``source`` into ``target``; ``id_map`` pairs each replayed submission's
    ``old_id`` with its ``new_id`` in ``target``. Returns (and audits) what was carried and dropped."""
    frames = {table: _read(source, table) for table in (*SETTINGS_TABLES, *(t for t, _ in NUMBERED),
                                                        "value_explanations")}
    # Narratives a file holds come back with its replay; those typed on the form (no line) are carried.
    frames["narratives"] = source.query("SELECT * FROM narratives WHERE line IS NULL")
    review = source.query("SELECT id AS old_id, review_status, reviewed_at, reviewed_by FROM submissions")
    registry = source.query("SELECT code, active, preferred_lang FROM organizations")
    mapping = id_map.select(pl.col("old_id").cast(pl.Int64), pl.col("new_id").cast(pl.Int64))

    def work(cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        cur.register("carried_map", ArrowStream(mapping))
        try:
            carried = {"approved": _review_state(cur, review), "inactive": _registry_state(cur, registry)}
            for table in SETTINGS_TABLES:
                carried[table] = _settings(cur, table, frames[table])
            for table, sequence in NUMBERED:
                carried[table] = _numbered(cur, table, sequence, frames[table])
            carried["value_explanations"] = _mapped_insert(cur, "value_explanations", frames["value_explanations"])
            carried["narratives"] = _mapped_insert(cur, "narratives", frames["narratives"])
        finally:
            cur.unregister("carried_map")
        kept = ("review_comments", "period_locks", "value_explanations", "narratives")
        carried["dropped"] = sum(frames[t].height - carried[t] for t in kept)
        record_in(cur, actor, "rebuild_cycle_carried", target="database", detail={"source": str(source.path),
                                                                                   **carried})
        return carried

    return target.write(work)


def _review_state(cur: duckdb.DuckDBPyConnection, review: pl.DataFrame) -> int:
    cur.register("carried_review", ArrowStream(review))
    try:
        cur.execute(
            """
            UPDATE submissions AS s SET review_status = r.review_status, reviewed_at = r.reviewed_at,
                                        reviewed_by = r.reviewed_by
            FROM carried_review r JOIN carried_map m ON m.old_id = r.old_id
            WHERE s.id = m.new_id
            """
        ).fetchall()
    finally:
        cur.unregister("carried_review")
    return cur.execute("SELECT count(*) FROM submissions WHERE review_status = 'approved'").fetchall()[0][0]


def _registry_state(cur: duckdb.DuckDBPyConnection, registry: pl.DataFrame) -> int:
    cur.register("carried_registry", ArrowStream(registry))
    try:
        cur.execute(
            "UPDATE organizations AS o SET active = r.active, preferred_lang = r.preferred_lang "
            "FROM carried_registry r WHERE o.code = r.code"
        ).fetchall()
    finally:
        cur.unregister("carried_registry")
    return cur.execute("SELECT count(*) FROM organizations WHERE NOT active").fetchall()[0][0]


def _settings(cur: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Replace the new database's rows (a migration's defaults) with the old ones."""
    cur.execute(f"DELETE FROM {table}").fetchall()
    return _settings_rows(cur, table, frame) if frame.height else 0


def _settings_rows(cur: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    cur.register("carried_rows", ArrowStream(frame))
    try:
        names = ", ".join(frame.columns)
        cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM carried_rows").fetchall()
    finally:
        cur.unregister("carried_rows")
    return frame.height


def _numbered(cur: duckdb.DuckDBPyConnection, table: str, sequence: str, frame: pl.DataFrame) -> int:
    """Rows under their old ids (submission ids mapped); the sequence moves past the largest."""
    if frame.is_empty():
        return 0
    cur.execute(f"SELECT max(nextval('{sequence}')) FROM range(?)", [int(frame.get_column("id").max())]).fetchall()
    return _mapped_insert(cur, table, frame)


def _mapped_insert(cur: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Insert ``frame`` with ``submission_id`` turned into the new database's; rows of a submission not
    replayed are left out."""
    if frame.is_empty():
        return 0
    if "submission_id" not in frame.columns:
        return _settings_rows(cur, table, frame)
    cur.register("carried_rows", ArrowStream(frame))
    try:
        names = [c for c in frame.columns if c != "submission_id"]
        chosen = ", ".join(f"r.{c}" for c in names)
        return cur.execute(
            f"""
            INSERT INTO {table} ({", ".join(names)}, submission_id)
            SELECT {chosen}, m.new_id FROM carried_rows r JOIN carried_map m ON m.old_id = r.submission_id
            """
        ).fetchall()[0][0]
    finally:
        cur.unregister("carried_rows")
