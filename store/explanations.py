"""SQL of explained values: a member's short explanation of a value the consistency rule flags.

An explanation is keyed like a stored value (organisation, indicator, period, breakdown) and tied to
the submission that brought the value, so a later correction is not explained by it. It is written
with its ``value_explained`` audit entry in one transaction: inside the upload's own transaction
when it comes with a file or the form (:func:`record_in`, called by ``store.submissions``), or on its
own for a value already stored (:func:`explain`: a page or the command line). A newer explanation of
the same value closes the earlier one (``valid_to``), so the history stays.

Reads join :data:`CURRENT_SQL` (the explanations in force) on a value's key and submission.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl

from framework.model import BREAKDOWN_COLUMNS
from store.audit import record_in as audit_in
from store.db import ArrowStream, Store, utc_now
from store.errors import StoreError

if TYPE_CHECKING:  # imported where a DuckDB database is opened (store.db), never for PostgreSQL
    import duckdb

ORIGINS = ("upload", "form", "page", "cli")
#: Longest explanation kept (characters): a sentence for the reviewer, not a report.
MAX_LENGTH = 500
#: How many explained values an audit entry names one by one (the count is always there).
AUDIT_NAMED = 20
KEY = ("org_code", "indicator_code", "period", *BREAKDOWN_COLUMNS)
#: The explanations in force, one per value (key and submission).
CURRENT_SQL = "(SELECT * FROM value_explanations WHERE valid_to IS NULL)"


def match_sql(left: str, right: str, *, with_submission: bool = True) -> str:
    """``left`` (an explanation) is about the value ``right`` (an observation or a flagged value)."""
    keys = [f"{left}.{k} IS NOT DISTINCT FROM {right}.{k}" for k in KEY]
    if with_submission:
        keys.append(f"{left}.submission_id = {right}.submission_id")
    return " AND ".join(keys)


class ExplanationRefused(StoreError):
    """A refused explanation (empty, too long, of no stored value, from an unknown door)."""

    catalogue = "explain.errors"


def cleaned(explanations: pl.DataFrame) -> pl.DataFrame:
    """The explanations with their text trimmed and the empty ones dropped (nothing to store);
    :class:`ExplanationRefused` when one is longer than :data:`MAX_LENGTH`."""
    frame = explanations.with_columns(pl.col("explanation").cast(pl.String).str.strip_chars()).filter(
        pl.col("explanation").is_not_null() & (pl.col("explanation") != "")
    )
    longest = int(frame.get_column("explanation").str.len_chars().max() or 0) if frame.height else 0
    if longest > MAX_LENGTH:
        raise ExplanationRefused("too_long", limit=MAX_LENGTH, length=longest)
    missing = [k for k in KEY if k not in frame.columns]
    # One explanation per value: the last one given wins (a value is never explained twice at once).
    return frame.with_columns(pl.lit(None, pl.String).alias(k) for k in missing).unique(
        subset=list(KEY), keep="last", maintain_order=True
    )


def record_in(
    cur: duckdb.DuckDBPyConnection,
    explanations: pl.DataFrame,
    submission_id: int,
    *,
    author: str,
    origin: str,
    now: datetime | None = None,
) -> int:
    """Store ``explanations`` (the ``KEY`` columns, ``value`` and ``explanation``) of values of
    ``submission_id`` inside the caller's transaction, with one ``value_explained`` audit entry;
    earlier explanations of the same values are closed. Returns how many were stored."""
    if origin not in ORIGINS:
        raise ExplanationRefused("bad_origin", origin=origin)
    frame = cleaned(explanations)
    if frame.is_empty():
        return 0
    if "value" not in frame.columns:
        frame = frame.with_columns(value=pl.lit(None, pl.Float64))
    now = now or utc_now()
    incoming = frame.select(*KEY, pl.col("value").cast(pl.Float64), "explanation")
    cur.register("incoming_explanations", ArrowStream(incoming))
    try:
        cur.execute(
            f"UPDATE value_explanations AS e SET valid_to = ? FROM incoming_explanations AS n "
            f"WHERE e.valid_to IS NULL AND {match_sql('e', 'n', with_submission=False)}",
            [now],
        )
        columns = ", ".join(KEY)
        cur.execute(
            f"INSERT INTO value_explanations ({columns}, submission_id, value, explanation, author, origin, "
            f"explained_at, valid_to) SELECT {columns}, ?, value, explanation, ?, ?, ?, NULL "
            f"FROM incoming_explanations",
            [submission_id, author, origin, now],
        )
    finally:
        cur.unregister("incoming_explanations")
    named = frame.head(AUDIT_NAMED).select(*KEY, "explanation").to_dicts()
    audit_in(
        cur, author, "value_explained", target=f"submission:{submission_id}",
        detail={"origin": origin, "count": frame.height,
                "values": [{k: v for k, v in row.items() if v is not None} for row in named]},
    )
    return frame.height


def explain(
    store: Store,
    org_code: str,
    indicator_code: str,
    period: str,
    text: str,
    *,
    breakdown: dict[str, str] | None = None,
    actor: str,
    origin: str,
) -> int:
    """Explain one value already stored (the current one for this key), with its audit entry, in one
    transaction; returns the submission whose value it explains. :class:`ExplanationRefused` when
    the text is empty or too long or no such value is in force (nothing is written then)."""
    breakdown = {k: v for k, v in (breakdown or {}).items() if v is not None}
    unknown = set(breakdown) - set(BREAKDOWN_COLUMNS)
    if unknown:
        raise ExplanationRefused("bad_breakdown", column=", ".join(sorted(unknown)))
    if not str(text or "").strip():
        raise ExplanationRefused("empty")
    key = {"org_code": org_code, "indicator_code": indicator_code, "period": period,
           **{k: breakdown.get(k) for k in BREAKDOWN_COLUMNS}}

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        found = cur.execute(
            "SELECT submission_id, value FROM observations_current WHERE "
            + " AND ".join(f"{k} IS NOT DISTINCT FROM ?" for k in KEY),
            [key[k] for k in KEY],
        ).fetchall()
        if not found:
            raise ExplanationRefused("no_value", org=org_code, indicator=indicator_code, period=period)
        submission_id, value = found[0]
        frame = pl.DataFrame([{**key, "value": value, "explanation": text}],
                             schema={**dict.fromkeys(KEY, pl.String), "value": pl.Float64, "explanation": pl.String})
        record_in(cur, frame, int(submission_id), author=actor, origin=origin)
        return int(submission_id)

    return store.write(work)
