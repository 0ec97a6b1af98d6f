"""SQL for submissions and observations: idempotency, atomic commit, supersession with history.

A submission is committed in one transaction (``Store.write``): the submission row, its
observations, the closing of the earlier values it corrects, and its audit entry. Either all of it is there
afterwards or none of it (a crash in the middle leaves the database as before).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

import settings
from framework.model import BREAKDOWN_COLUMNS
from store.audit import record_in
from store.db import ArrowStream, Store, utc_now
from store.expectations import store_file_targets
from store.explanations import cleaned as cleaned_explanations
from store.explanations import record_in as record_explanations_in
from store.narratives import record_in as record_narratives_in
from store.overlaps import record_file_programmes
from store.review import any_lock, refuse_locked
from store.scoring_requests import request_in

if TYPE_CHECKING:  # imported where a DuckDB database is opened (store.db), never for PostgreSQL
    import duckdb

_KEY = ("org_code", "indicator_code", "period", *BREAKDOWN_COLUMNS)
#: The columns of ``observations`` a submission's rows give, in the table's order (the others are
#: the same for every row: the submission, when it was stored, and no correction yet).
_STORED_FROM_FILE = ("line", "org_code", "indicator_code", "period", "granularity", "period_start", "period_end",
                     "value", "unit", *BREAKDOWN_COLUMNS, "source", "notes")
#: Crash tests set this to a number of seconds: the commit then pauses inside its transaction
#: (after writing, before COMMIT) and touches ``<db>.in-commit`` so the test knows when to kill.
PAUSE_ENV = "ATHAR_TEST_PAUSE_IN_COMMIT"


@dataclass(frozen=True)
class SubmissionMeta:
    file_name: str
    content_sha256: str
    file_format: str
    encoding: str | None
    org_code: str | None
    uploaded_by: str | None
    uploaded_at: datetime | None
    framework_hash: str
    report: list[dict]
    #: Who the audit log names for this upload (the signed-in person); ``uploaded_by`` by default.
    audit_actor: str | None = None
    #: Record a scoring request with the submission (``store.scoring_requests``): scores follow the data.
    request_scoring: bool = True

    @property
    def actor(self) -> str:
        """Who the audit log names: the signed-in person, else the uploader, else the command line."""
        return self.audit_actor or self.uploaded_by or "command-line"


@dataclass(frozen=True)
class Uploader:
    """Who uploaded, as the typed columns ``submissions.uploader_kind / uploader_org / uploader_account``.

    ``kind`` is ``member`` (``org`` set), ``steering`` or ``funder`` (``account``: the account name,
    when known), ``other`` (``account``: free text such as a command-line ``--uploaded-by``), or
    ``None`` when nobody is recorded. Reads use these columns; nothing parses ``uploaded_by`` in SQL.
    """

    kind: str | None
    org: str | None = None
    account: str | None = None

    @classmethod
    def parse(cls, uploaded_by: str | None) -> Uploader:
        """The typed form of an ``uploaded_by`` identifier (``member:CODE``, ``steering:NAME``, free text)."""
        if uploaded_by is None or not uploaded_by.strip():
            return cls(None)
        if uploaded_by.startswith("member:"):
            return cls("member", org=uploaded_by.removeprefix("member:"))
        for role in ("steering", "funder"):
            if uploaded_by == role:
                return cls(role)
            if uploaded_by.startswith(f"{role}:"):
                return cls(role, account=uploaded_by.removeprefix(f"{role}:"))
        return cls("other", account=uploaded_by)


@dataclass(frozen=True)
class CommitOutcome:
    submission_id: int
    already_received: bool
    rows: int
    superseded: int


def find_received(store: Store, content_sha256: str, org_code: str | None) -> int | None:
    """The accepted submission with exactly these bytes for this organisation, if any."""
    return store.scalar(
        "SELECT min(id) FROM submissions WHERE content_sha256 = ? AND org_code IS NOT DISTINCT FROM ?",
        [content_sha256, org_code],
    )


def raw_path(store: Store, content_sha256: str) -> Path:
    """Where the uploaded bytes with this hash are kept."""
    return store.raw_dir / content_sha256[:2] / content_sha256


def keep_raw_bytes(store: Store, data: bytes, content_sha256: str) -> Path:
    """Write the uploaded bytes under their hash (atomic rename; the same bytes are written once)."""
    target = raw_path(store, content_sha256)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".tmp{os.getpid()}")
        temporary.write_bytes(data)
        os.replace(temporary, target)
    return target


def _incoming_rows(rows: pl.DataFrame) -> tuple[ArrowStream, frozenset[str]]:
    """The rows to scan, and the columns left out because no row has a value there (empty breakdowns,
    sources, notes): the insert writes NULL for those without reading a million empty cells."""
    empty = frozenset(c for c in _STORED_FROM_FILE if rows.height and rows.get_column(c).null_count() == rows.height)
    return ArrowStream(rows.select(c for c in _STORED_FROM_FILE if c not in empty)), empty


def commit_submission(
    store: Store,
    rows: pl.DataFrame,
    meta: SubmissionMeta,
    raw_path: Path,
    *,
    org_codes: list[str] | None = None,
    before_commit: Callable[[], object] | None = None,
    explanations: pl.DataFrame | None = None,
    explanation_origin: str = "upload",
    narratives: pl.DataFrame | None = None,
) -> CommitOutcome:
    """Store one validated submission atomically; the same bytes twice change nothing.

    ``org_codes`` are the distinct organisations of ``rows`` when the caller knows them already.
    ``before_commit`` runs inside the transaction, after the rows are written and before COMMIT
    (the raw bytes can be written meanwhile, and a failure there still stores nothing).
    ``explanations`` (the value key, ``value``, ``explanation``) are the member's explanations of
    flagged values of ``rows``, stored with them and audited in the same transaction
    (``store.explanations.record_in``; ``explanation_origin``: ``upload`` or ``form``).
    ``narratives`` (checked by ``ingest.narratives``) are stored and audited in the same transaction
    (``store.narratives.record_in``, same origin as the explanations).
    """
    def work(cur: duckdb.DuckDBPyConnection) -> CommitOutcome:
        outcome = commit_in(cur, rows, meta, raw_path, org_codes=org_codes, explanations=explanations,
                            explanation_origin=explanation_origin, narratives=narratives)
        if not outcome.already_received:
            if before_commit is not None:
                before_commit()
            _pause_for_crash_test(store)
        return outcome

    return store.write(work)


def commit_in(
    cur: duckdb.DuckDBPyConnection,
    rows: pl.DataFrame,
    meta: SubmissionMeta,
    raw_path: Path,
    *,
    org_codes: list[str] | None = None,
    explanations: pl.DataFrame | None = None,
    explanation_origin: str = "upload",
    narratives: pl.DataFrame | None = None,
) -> CommitOutcome:
    """:func:`commit_submission`'s writes, inside the caller's transaction (``store.group_commit`` runs
    several files' in one)."""
    incoming, empty = _incoming_rows(rows)
    if org_codes is None:
        org_codes = rows.get_column("org_code").unique().drop_nulls().to_list()

    existing = cur.execute(
        "SELECT min(id) FROM submissions WHERE content_sha256 = ? AND org_code IS NOT DISTINCT FROM ?",
        [meta.content_sha256, meta.org_code],
    ).fetchall()[0][0]
    if existing is not None:
        return CommitOutcome(existing, True, 0, 0)
    now = utc_now()
    uploader = Uploader.parse(meta.uploaded_by)
    submission_id = cur.execute(
        """
        INSERT INTO submissions (org_code, file_name, content_sha256, file_format, encoding, uploaded_by,
                                 uploader_kind, uploader_org, uploader_account,
                                 uploaded_at, status, row_count, framework_hash, report, raw_path)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'accepted', ?, ?, ?, ?)
        RETURNING id
        """,
        [
            meta.org_code, meta.file_name, meta.content_sha256, meta.file_format, meta.encoding,
            meta.uploaded_by, uploader.kind, uploader.org, uploader.account,
            meta.uploaded_at or now, rows.height, meta.framework_hash,
            json.dumps(meta.report, ensure_ascii=False), str(raw_path),
        ],
    ).fetchall()[0][0]
    # Current values of these organisations, before this submission's rows are added: when
    # there are none (a first submission) there is nothing to supersede.
    has_current = cur.execute(
        "SELECT count(*) FROM observations WHERE valid_to IS NULL "
        "AND org_code IN (SELECT unnest(?::VARCHAR[])) LIMIT 1",
        [org_codes],
    ).fetchall()[0][0]
    copy_rows = getattr(cur, "copy_rows", None)  # PostgreSQL: COPY straight into the table
    if copy_rows is not None and not has_current and not any_lock(cur, org_codes):
        # Nothing to supersede and no lock to check the rows against: no staging table to fill,
        # analyse and read again (on PostgreSQL, most of a large first load's commit).
        copy_rows("observations", incoming.frame.with_columns(
            pl.lit(submission_id, pl.Int64).alias("submission_id"), pl.lit(now).alias("valid_from")))
        superseded = 0
    else:
        superseded = _insert_and_supersede(cur, incoming, empty, org_codes, has_current, submission_id, now)
    _record_overlaps(cur, rows, submission_id, now)
    record_file_programmes(cur, rows, submission_id, now, meta.actor)
    if superseded:
        cur.execute(
            """
            UPDATE submissions SET status = 'superseded'
            WHERE status = 'accepted' AND id <> ?
              AND id IN (SELECT submission_id FROM observations WHERE superseded_by = ?)
              AND NOT EXISTS (SELECT 1 FROM observations o
                              WHERE o.submission_id = submissions.id AND o.valid_to IS NULL)
            """,
            [submission_id, submission_id],
        )
    store_file_targets(cur, rows, submission_id, meta.actor)
    record_in(
        cur, meta.actor, "upload",
        target=f"submission:{submission_id}",
        detail={"file": meta.file_name, "org": meta.org_code, "status": "accepted", "rows": rows.height,
                "superseded": int(superseded), "sha256": meta.content_sha256, "uploaded_by": meta.uploaded_by},
    )
    _record_texts(cur, rows, submission_id, meta.actor,
                  explanations, narratives, explanation_origin, now)
    # Scores that follow: the run that will include this file is asked for with it.
    if meta.request_scoring:
        request_in(cur, "upload", meta.actor, submission_id)
    return CommitOutcome(submission_id, False, rows.height, int(superseded))


def _insert_and_supersede(
    cur: duckdb.DuckDBPyConnection, incoming: ArrowStream, empty: frozenset[str], org_codes: list[str],
    has_current: int, submission_id: int, now: datetime,
) -> int:
    """Insert the rows through a registered frame, refused when one falls in a locked period, and close
    the current values they replace; returns how many were superseded."""
    cur.register("incoming_rows", incoming)
    try:
        if has_current:
            # Current values of these organisations *and periods*, before this submission's rows are
            # added: when there are none (a new year) there is nothing to supersede and no update runs.
            has_current = cur.execute(
                "SELECT count(*) FROM observations o WHERE o.valid_to IS NULL "
                "AND o.org_code IN (SELECT unnest(?::VARCHAR[])) "
                "AND EXISTS (SELECT 1 FROM incoming_rows n WHERE n.org_code = o.org_code AND n.period = o.period)",
                [org_codes],
            ).fetchall()[0][0]
        refuse_locked(cur, "incoming_rows", org_codes)  # an approved period: nothing is stored
        cur.execute(
            f"""
            INSERT INTO observations
            SELECT ? AS submission_id, {", ".join("NULL" if c in empty else c for c in _STORED_FROM_FILE)},
                   ? AS valid_from, NULL AS valid_to, NULL AS superseded_by
            FROM incoming_rows
            """,
            [submission_id, now],
        )
        # Rows of a validated file have unique keys, so they join as they are.
        superseded = 0
        if has_current:
            key_match = " AND ".join(f"o.{k} IS NULL" if k in empty else f"o.{k} IS NOT DISTINCT FROM n.{k}"
                                     for k in _KEY)
            superseded = cur.execute(
                f"""
                UPDATE observations AS o SET valid_to = ?, superseded_by = ?
                FROM incoming_rows AS n
                WHERE o.valid_to IS NULL AND o.submission_id <> ? AND {key_match}
                """,
                [now, submission_id, submission_id],
            ).fetchall()[0][0]
    finally:
        cur.unregister("incoming_rows")
    return superseded


def _record_texts(
    cur: duckdb.DuckDBPyConnection, rows: pl.DataFrame, submission_id: int, author: str,
    explanations: pl.DataFrame | None, narratives: pl.DataFrame | None, origin: str, now: datetime,
) -> None:
    """The member's words sent with the values, in the submission's transaction: explanations of its
    flagged values (only of values in ``rows``) and narratives per principle."""
    if explanations is not None and explanations.height:
        record_explanations_in(cur, cleaned_explanations(explanations).join(rows.select(_KEY), on=list(_KEY), how="semi",
                                                          nulls_equal=True),
                               submission_id, author=author, origin=origin, now=now)
    if narratives is not None and narratives.height:
        record_narratives_in(cur, narratives, submission_id, author=author, origin=origin, now=now)


_OVERLAP_COLUMNS = ("line", "org_code", "indicator_code", "period", "period_start", "period_end",
                    "shared_with", "shared_count")


def _record_overlaps(cur: duckdb.DuckDBPyConnection, rows: pl.DataFrame, submission_id: int, now: datetime) -> None:
    """The file's shared-beneficiary declarations, in the submission's transaction; each closes the
    current declaration for the same organisation, indicator, period and partner."""
    if "shared_with" not in rows.columns or rows.get_column("shared_with").null_count() == rows.height:
        return
    declared = rows.filter(pl.col("shared_with").is_not_null()).select(_OVERLAP_COLUMNS)
    cur.register("incoming_overlaps", ArrowStream(declared))
    try:
        cur.execute(
            """
            UPDATE shared_beneficiaries AS o SET valid_to = ?
            FROM incoming_overlaps AS n
            WHERE o.valid_to IS NULL AND o.org_code = n.org_code AND o.indicator_code = n.indicator_code
              AND o.period = n.period AND o.shared_with = n.shared_with
            """,
            [now],
        )
        columns = ", ".join(_OVERLAP_COLUMNS)
        cur.execute(
            f"INSERT INTO shared_beneficiaries (submission_id, {columns}, valid_from, valid_to, origin) "
            f"SELECT ? AS submission_id, {columns}, ? AS valid_from, NULL AS valid_to, 'file' FROM incoming_overlaps",
            [submission_id, now],
        )
    finally:
        cur.unregister("incoming_overlaps")


def _pause_for_crash_test(store: Store) -> None:
    seconds = settings.get(PAUSE_ENV)  # a test hook (see settings.SETTINGS)
    if seconds:
        Path(f"{store.path}.in-commit").touch()
        time.sleep(seconds)


def current_value_count(store: Store) -> int:
    """How many values are in force (``observations_current``): the figure a load summary ends with."""
    return int(store.scalar("SELECT count(*) FROM observations_current"))


def observation_history(store: Store, org_code: str, indicator_code: str, period: str) -> pl.DataFrame:
    """Every value ever stored for one key, current and superseded (the audit trail)."""
    return store.query(
        """
        SELECT submission_id, value, valid_from, valid_to, superseded_by, sex, age_band, disability, area, region
        FROM observations WHERE org_code = ? AND indicator_code = ? AND period = ?
        ORDER BY valid_from, submission_id
        """,
        [org_code, indicator_code, period],
    )


def submissions_to_replay(store: Store) -> pl.DataFrame:
    """Accepted submissions (current or since superseded) in the order they were received."""
    return store.query(
        "SELECT id, org_code, file_name, raw_path, uploaded_by, uploaded_at FROM submissions ORDER BY id"
    )


def stored_values_schema() -> dict[str, type[pl.DataType]]:
    """The columns of :func:`stored_values` (an empty frame of these when nothing is stored)."""
    columns = ["line", "file", "org_code", "indicator_code", "period", "value", *BREAKDOWN_COLUMNS]
    return {c: pl.Int64 if c == "line" else pl.Float64 if c == "value" else pl.String for c in columns}


def stored_values(store: Store, keys: pl.DataFrame, indicators: tuple[str, ...]) -> pl.DataFrame:
    """The current values of some indicators for the (``org_code``, ``period``) pairs of ``keys`` (rows
    that may repeat a pair),
    with the line and the name of the file each came from: what an upload's parts and totals are
    checked against (``ingest.rules.parts``).

    Not scoped by a viewer: the keys are those of rows already checked for the uploader (a member
    only reaches its own organisation), and only the values a problem names are shown. Read as
    rows, not Arrow: a load imports no pyarrow before its commit.
    """
    schema = stored_values_schema()
    # Each column's few distinct texts select the rows; the pairs are only worked out when some
    # value is stored for them (a first load of these organisations finds none).
    orgs, periods = (keys.get_column(c).unique().to_list() for c in ("org_code", "period"))
    with store.cursor() as cur:
        rows = cur.execute(
            f"""
            SELECT o.line, s.file_name, o.org_code, o.indicator_code, o.period, o.value,
                   {", ".join(f"o.{k}" for k in BREAKDOWN_COLUMNS)}
            FROM observations_current o JOIN submissions s ON s.id = o.submission_id
            WHERE list_contains($orgs::VARCHAR[], o.org_code) AND list_contains($periods::VARCHAR[], o.period)
              AND list_contains($indicators::VARCHAR[], o.indicator_code)
            ORDER BY o.org_code, o.period, o.indicator_code, o.line
            """,
            {"orgs": orgs, "periods": periods, "indicators": list(indicators)},
        ).fetchall()
    found = pl.DataFrame(rows, schema=schema, orient="row")
    if found.is_empty():
        return found
    return found.join(keys.select("org_code", "period").unique(), on=["org_code", "period"], how="semi")
