"""Several checked files committed in one transaction (a command loading many files: ``ingest.batch``).

Each file is still whole or absent: the group's transaction is all or nothing, and what it stores
for each file is what :func:`store.submissions.commit_submission` stores for it alone — its
submission row, its values, its audit entry and its scoring request, in the order the files were
given. A transaction per file cost more than the file's own writes (a commit, then a statement per
table); a group pays one commit, and, when its files only add values, one insert per table.

Two ways through a group, decided inside its transaction:
  * set-based: no file was received before, no two files of the group share their bytes or an
    organisation and period, none of their (organisation, period) pairs holds a value in force,
    none of their organisations has a locked period, and no file carries a programme, a shared
    beneficiary, a target, a narrative or an explanation: nothing to supersede, refuse or record
    beside the values, so every table takes the whole group in one insert;
  * otherwise, file after file (``store.submissions.commit_in``), exactly as each would be alone.
A failure (a period locked meanwhile, a constraint) rolls the whole group back; the caller then
commits its files one by one, so each gets the result it would get alone. A row in a locked period
is looked for before anything is inserted, so that refusal consumes no submission id; another failure
may leave a gap in the ids (a sequence is not rolled back), as a failed single commit does.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from store.audit import record_all_in
from store.db import ArrowStream, Store, utc_now
from store.review import PeriodLocked, any_lock, refuse_locked
from store.submissions import (
    _STORED_FROM_FILE,
    CommitOutcome,
    SubmissionMeta,
    Uploader,
    _pause_for_crash_test,
    commit_in,
)

if TYPE_CHECKING:
    import duckdb

#: Columns that, when a file gives them a value, are stored beside the values (not set-based here).
_BESIDE_VALUES = ("shared_with", "programme", "target", "baseline")
_SUBMISSION_COLUMNS = ("org_code", "file_name", "content_sha256", "file_format", "encoding", "uploaded_by",
                       "uploader_kind", "uploader_org", "uploader_account", "uploaded_at", "row_count",
                       "framework_hash", "report", "raw_path")


@dataclass(frozen=True)
class GroupItem:
    """One checked file to commit: what ``commit_submission`` takes for it."""

    rows: pl.DataFrame
    meta: SubmissionMeta
    raw_path: Path
    org_codes: list[str]
    narratives: pl.DataFrame | None = None

    @property
    def plain(self) -> bool:
        """Only values: no narrative, and no column stored beside the values."""
        if self.narratives is not None and self.narratives.height:
            return False
        return all(c not in self.rows.columns or self.rows.get_column(c).null_count() == self.rows.height
                   for c in _BESIDE_VALUES)

    @cached_property
    def pairs(self) -> set[tuple[str, str]]:
        """The distinct (organisation, period) pairs of the rows, worked out once."""
        return pairs_of(self.rows)


#: Rows up to which a frame's pairs are made distinct by the Python set itself: a file of the history's
#: ten rows took 90–160 µs through Polars' ``unique`` (its threads woken for a few rows) against 3 µs.
FEW_ROWS = 1_000


def pairs_of(rows: pl.DataFrame) -> set[tuple[str, str]]:
    """The distinct (organisation, period) pairs of the rows: beyond :data:`FEW_ROWS` made distinct by Polars
    first, a set in Python of the pairs alone (a million-row file holds a few tens of thousands; its million
    tuples took 0.9 s)."""
    if rows.height > FEW_ROWS:
        rows = rows.select("org_code", "period").unique()
    return set(zip(rows.get_column("org_code").to_list(), rows.get_column("period").to_list(), strict=True))


def commit_group(store: Store, items: list[GroupItem], *,
                 while_writing: Callable[[], Callable[[], object]] | None = None) -> list[CommitOutcome]:
    """Commit ``items`` in one transaction, in order; one outcome per item, as ``commit_submission``
    would give it. ``while_writing`` is called inside the transaction once no row falls in a locked
    period, before the rows are written (the raw bytes are kept meanwhile); what it returns is called
    before COMMIT, when a file is stored (a failure there still stores nothing)."""

    def work(cur: duckdb.DuckDBPyConnection) -> list[CommitOutcome]:
        _refuse_locked(cur, items)
        before_commit = while_writing() if while_writing is not None else None
        if _set_based(cur, items):
            outcomes = _insert_group(cur, items)
        else:
            outcomes = [commit_in(cur, i.rows, i.meta, i.raw_path, org_codes=i.org_codes, narratives=i.narratives)
                        for i in items]
        if not all(o.already_received for o in outcomes):
            if before_commit is not None:
                before_commit()
            _pause_for_crash_test(store)
        return outcomes

    try:
        return store.write(work)
    except (PeriodLocked, *_constraint_errors()) as refused:
        raise GroupRefused(str(refused)) from refused


class GroupRefused(Exception):
    """The group's transaction was refused for one of its files (a period locked since the command read
    the locks, a constraint): nothing of the group is stored; commit its files one by one."""


def _constraint_errors() -> tuple[type[Exception], ...]:
    """What the backends raise when a row breaks a constraint: each driver's only once it is imported (a
    database of that kind opened; a load on PostgreSQL imports no DuckDB)."""
    errors: tuple[type[Exception], ...] = ()
    if "duckdb" in sys.modules:
        errors += (sys.modules["duckdb"].ConstraintException,)
    if "psycopg" in sys.modules:
        errors += (sys.modules["psycopg"].errors.IntegrityError,)
    return errors


def _refuse_locked(cur: duckdb.DuckDBPyConnection, items: list[GroupItem]) -> None:
    """:class:`~store.review.PeriodLocked` when a row of the group falls in a locked period (a lock taken
    since the command read the locks), before anything is inserted: the files are then committed one
    by one, and take the submission ids they would have taken alone."""
    orgs = sorted({o for i in items for o in i.org_codes})
    if not any_lock(cur, orgs):
        return
    spans = pl.concat([i.rows.select("org_code", "period_start", "period_end") for i in items], how="vertical_relaxed")
    cur.register("incoming_spans", ArrowStream(spans))
    try:
        refuse_locked(cur, "incoming_spans", orgs)
    finally:
        cur.unregister("incoming_spans")


def _set_based(cur: duckdb.DuckDBPyConnection, items: list[GroupItem]) -> bool:
    """Whether the group only adds values (see the module's docstring); reads inside the transaction."""
    keys = [(i.meta.content_sha256, i.meta.org_code) for i in items]
    pairs = [i.pairs for i in items]
    every_pair = set().union(*pairs)
    if (not all(i.plain for i in items) or len(set(keys)) < len(keys)
            or len(every_pair) < sum(len(p) for p in pairs)):
        return False
    digests = sorted({sha for sha, _ in keys})
    received = cur.execute(
        "SELECT content_sha256, org_code FROM submissions WHERE list_contains(?::VARCHAR[], content_sha256)",
        [digests]).fetchall()
    if set(keys) & {(sha, org) for sha, org in received}:
        return False
    orgs = sorted({o for i in items for o in i.org_codes})
    if any_lock(cur, orgs):
        return False
    orgs_periods = sorted(every_pair)
    cur.register("incoming_pairs", ArrowStream(pl.DataFrame(
        {"org_code": [o for o, _ in orgs_periods], "period": [p for _, p in orgs_periods]},
        schema={"org_code": pl.String, "period": pl.String})))
    try:
        held = cur.execute(
            "SELECT count(*) FROM observations o JOIN incoming_pairs p ON o.org_code = p.org_code "
            "AND o.period = p.period WHERE o.valid_to IS NULL").fetchall()[0][0]
    finally:
        cur.unregister("incoming_pairs")
    return not held


def _insert_group(cur: duckdb.DuckDBPyConnection, items: list[GroupItem]) -> list[CommitOutcome]:
    """Every table takes the group in one insert: submissions (in order, ids as given in turn), values,
    audit entries and scoring requests."""
    now = utc_now()
    ids = _insert_submissions(cur, items, now)
    _insert_values(cur, items, ids, now)
    record_all_in(cur, [
        {"actor": i.meta.actor, "action": "upload", "target": f"submission:{sid}",
         "detail": {"file": i.meta.file_name, "org": i.meta.org_code, "status": "accepted", "rows": i.rows.height,
                    "superseded": 0, "sha256": i.meta.content_sha256, "uploaded_by": i.meta.uploaded_by}}
        for i, sid in zip(items, ids, strict=True)])
    requests = [(i.meta.actor, sid) for i, sid in zip(items, ids, strict=True) if i.meta.request_scoring]
    if requests:
        frame = pl.DataFrame({"ord": range(len(requests)), "requested_by": [a for a, _ in requests],
                              "submission_id": [s for _, s in requests]},
                             schema={"ord": pl.Int64, "requested_by": pl.String, "submission_id": pl.Int64})
        cur.register("incoming_requests", ArrowStream(frame))
        try:
            cur.execute("INSERT INTO scoring_requests (requested_at, origin, requested_by, submission_id) "
                        "SELECT ?, 'upload', requested_by, submission_id FROM incoming_requests ORDER BY ord", [now])
        finally:
            cur.unregister("incoming_requests")
    return [CommitOutcome(sid, False, i.rows.height, 0) for i, sid in zip(items, ids, strict=True)]


def _insert_submissions(cur: duckdb.DuckDBPyConnection, items: list[GroupItem], now) -> list[int]:
    """The submission rows, inserted in the order of ``items``; their ids, in that order."""
    uploaders = [Uploader.parse(i.meta.uploaded_by) for i in items]
    values = {
        "org_code": [i.meta.org_code for i in items], "file_name": [i.meta.file_name for i in items],
        "content_sha256": [i.meta.content_sha256 for i in items], "file_format": [i.meta.file_format for i in items],
        "encoding": [i.meta.encoding for i in items], "uploaded_by": [i.meta.uploaded_by for i in items],
        "uploader_kind": [u.kind for u in uploaders], "uploader_org": [u.org for u in uploaders],
        "uploader_account": [u.account for u in uploaders],
        "uploaded_at": [i.meta.uploaded_at or now for i in items], "row_count": [i.rows.height for i in items],
        "framework_hash": [i.meta.framework_hash for i in items],
        "report": [json.dumps(i.meta.report, ensure_ascii=False) for i in items],
        "raw_path": [str(i.raw_path) for i in items],
    }
    schema = {c: pl.String for c in _SUBMISSION_COLUMNS} | {"uploaded_at": pl.Datetime("us"), "row_count": pl.Int64}
    frame = pl.DataFrame(values, schema=schema).with_row_index("ord")
    columns = ", ".join(_SUBMISSION_COLUMNS)
    selected = ", ".join("report::JSON" if c == "report" else c for c in _SUBMISSION_COLUMNS)
    cur.register("incoming_submissions", ArrowStream(frame))
    try:
        returned = cur.execute(
            f"INSERT INTO submissions ({columns}, status) SELECT {selected}, 'accepted' FROM incoming_submissions "
            "ORDER BY ord RETURNING id, content_sha256, org_code").fetchall()
    finally:
        cur.unregister("incoming_submissions")
    by_key = {(sha, org): int(sid) for sid, sha, org in returned}
    return [by_key[(i.meta.content_sha256, i.meta.org_code)] for i in items]


def _stored_rows(items: list[GroupItem]) -> pl.DataFrame:
    """Every file's stored columns, one file after another: one concatenation of the rows when the files
    have the same columns and types (the check gives each file the same; a select per file cost more
    than the group's insert, and so did comparing the schemas in Python), else each file's stored
    columns first."""
    try:
        whole = pl.concat([i.rows for i in items], how="vertical")  # refused unless every schema is the same
    except pl.exceptions.PolarsError:
        whole = pl.concat([i.rows.select(_STORED_FROM_FILE) for i in items], how="vertical_relaxed")
    return whole.select(_STORED_FROM_FILE)


def _insert_values(cur: duckdb.DuckDBPyConnection, items: list[GroupItem], ids: list[int], now) -> None:
    """Every file's values, with their submission, in one insert (nothing to supersede: see ``_set_based``)."""
    frame = _stored_rows(items).with_columns(
        pl.Series("submission_id", np.repeat(np.array(ids, np.int64), [i.rows.height for i in items])))
    if not frame.height:
        return
    copy_rows = getattr(cur, "copy_rows", None)  # PostgreSQL: COPY straight into the table
    if copy_rows is not None:
        copy_rows("observations", frame.with_columns(pl.lit(now).alias("valid_from")))
        return
    empty = {c for c in _STORED_FROM_FILE if frame.get_column(c).null_count() == frame.height}
    cur.register("incoming_rows", ArrowStream(frame.select("submission_id", *(c for c in _STORED_FROM_FILE
                                                                            if c not in empty))))
    try:
        cur.execute(
            f"""
            INSERT INTO observations
            SELECT submission_id, {", ".join("NULL" if c in empty else c for c in _STORED_FROM_FILE)},
                   ? AS valid_from, NULL AS valid_to, NULL AS superseded_by
            FROM incoming_rows
            """,
            [now],
        )
    finally:
        cur.unregister("incoming_rows")
