"""SQL of narratives: a member's short text per organisation, period and principle (issue 14).

A narrative is carried by a submission (a file's ``Récit`` sheet or ``narrative`` rows, or the
in-app form) and written inside that submission's transaction (:func:`record_in`, called by
``store.submissions.commit_submission``), with one ``narratives_written`` audit entry. It is never
updated: it follows its submission's review (``submissions.review_status``) and the latest
submission's narrative of an (organisation, period, principle, language) is the one shown
(``store.reads.narratives``). The rows arrive checked (``ingest.narratives``); the checks here are
the last line of defence for a caller that skipped them.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl

from store.audit import record_in as audit_in
from store.db import ArrowStream, utc_now
from store.errors import StoreError

if TYPE_CHECKING:  # imported where a DuckDB database is opened (store.db), never for PostgreSQL
    import duckdb

#: Longest narrative kept (characters): a paragraph beside a score, not a report.
MAX_LENGTH = 1500
LANGUAGES = ("fr", "ar", "en")
ORIGINS = ("upload", "form", "cli")
#: An evidence link: http or https, a host, no spaces (no javascript:, data:, file:…).
URL_PATTERN = r"^https?://[^\s/?#]+\.[^\s/?#]+([/?#]\S*)?$"
COLUMNS = ("line", "sheet", "org_code", "period", "principle", "lang", "text", "evidence_url")
SCHEMA = {"line": pl.Int64(), **{c: pl.String() for c in COLUMNS[1:]}}


class NarrativeRefused(StoreError):
    """Narratives the store will not keep (too long, empty, a bad link or language, an unknown door)."""

    catalogue = "narr.errors"


def _refuse_bad(frame: pl.DataFrame) -> None:
    """The checks ``ingest.narratives`` made, made again in one pass (a caller that skipped them)."""
    text = pl.col("text").fill_null("")
    bad = frame.select(
        too_long=(text.str.len_chars() > MAX_LENGTH).any(),
        empty=(text.str.strip_chars() == "").any(),
        bad_lang=(~pl.col("lang").is_in(LANGUAGES)).any(),
        bad_url=(pl.col("evidence_url").is_not_null() & ~pl.col("evidence_url").str.contains(URL_PATTERN)).any(),
    ).row(0, named=True)
    for code, found in bad.items():
        if found:
            raise NarrativeRefused(code, limit=MAX_LENGTH)


def record_in(
    cur: duckdb.DuckDBPyConnection,
    narratives: pl.DataFrame,
    submission_id: int,
    *,
    author: str,
    origin: str,
    now: datetime | None = None,
) -> int:
    """Store checked ``narratives`` (:data:`COLUMNS`) of ``submission_id`` inside the caller's
    transaction, with one ``narratives_written`` audit entry. Returns how many were stored."""
    if origin not in ORIGINS:
        raise NarrativeRefused("bad_origin", origin=origin)
    if narratives.is_empty():
        return 0
    frame = narratives.with_columns(
        pl.lit(None, dtype).alias(c) for c, dtype in SCHEMA.items() if c not in narratives.columns
    ).select(COLUMNS).cast(SCHEMA)
    _refuse_bad(frame)
    cur.register("incoming_narratives", ArrowStream(frame))
    try:
        columns = ", ".join(COLUMNS)
        cur.execute(
            f"INSERT INTO narratives (submission_id, {columns}, author, origin, written_at) "
            f"SELECT ?, {columns}, ?, ?, ? FROM incoming_narratives",
            [submission_id, author, origin, now or utc_now()],
        )
    finally:
        cur.unregister("incoming_narratives")
    named = frame.select("org_code", "period", "principle", "lang").to_dicts()
    audit_in(cur, author, "narratives_written", target=f"submission:{submission_id}",
             detail={"origin": origin, "count": frame.height, "narratives": named})
    return frame.height


def is_evidence_url(text: str) -> bool:
    """The same rule as :data:`URL_PATTERN`, for one link typed on a page."""
    return re.fullmatch(URL_PATTERN, text.strip()) is not None
