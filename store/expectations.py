"""SQL of expectations (who is expected to report what) and of targets and baselines.

Every committee change is written with its audit entry in one transaction, whichever door it came
through (the profile page, ``python -m store expect|target``); targets given in a file are written
inside the upload's own transaction (``store.submissions.commit_submission``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import polars as pl

from framework.vocabulary import BREAKDOWN_COLUMNS
from store.audit import record_in
from store.db import ArrowStream, Store, utc_now
from store.errors import StoreError

if TYPE_CHECKING:  # imported where a DuckDB database is opened (store.db), never for PostgreSQL
    import duckdb


class ExpectationError(StoreError):
    """A refused expectation or target change (``expect.errors.<code>``)."""

    catalogue = "expect.errors"


#: On a conflict, a side (baseline or target) the new row does not give keeps its stored value and period.
_KEEP_WHAT_IS_NOT_GIVEN = """baseline = coalesce(excluded.baseline, org_targets.baseline),
                baseline_period = CASE WHEN excluded.baseline IS NULL THEN org_targets.baseline_period
                                       ELSE excluded.baseline_period END,
                target = coalesce(excluded.target, org_targets.target),
                target_period = CASE WHEN excluded.target IS NULL THEN org_targets.target_period
                                     ELSE excluded.target_period END"""

def expectation_inputs(store: Store) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(active organisations with kind and thematic areas, the committee's overrides)."""
    orgs = store.query("SELECT code AS org_code, kind, thematic_areas FROM organizations WHERE active")
    overrides = store.query("SELECT org_code, indicator_code, expected FROM org_expectations")
    return orgs, overrides


def _known(cur: duckdb.DuckDBPyConnection, org_code: str) -> None:
    if not cur.execute("SELECT count(*) FROM organizations WHERE code = ?", [org_code]).fetchall()[0][0]:
        raise ExpectationError("unknown_org", org=org_code)


def set_expectations(
    store: Store, org_code: str, *, add: list[str] = (), remove: list[str] = (), reset: list[str] = (),
    known_indicators: set[str], actor: str, source: str,
) -> None:
    """Expect (``add``) or no longer expect (``remove``) indicators of one organisation, or give them
    back to the framework's rules (``reset``), with the ``expectation_changed`` audit entry."""
    given = [*add, *remove, *reset]
    if unknown := sorted(set(given) - known_indicators):
        raise ExpectationError("unknown_indicator", indicator=", ".join(unknown))
    if twice := sorted(c for c in set(given) if given.count(c) > 1):
        raise ExpectationError("indicator_twice", indicator=", ".join(twice))
    if not given:
        raise ExpectationError("nothing_to_change")

    def work(cur: duckdb.DuckDBPyConnection) -> None:
        _known(cur, org_code)
        now = utc_now()
        rows = [(code, True) for code in add] + [(code, False) for code in remove]
        for code, expected in rows:
            cur.execute(
                "INSERT INTO org_expectations VALUES (?, ?, ?, ?, ?) ON CONFLICT (org_code, indicator_code) "
                "DO UPDATE SET expected = excluded.expected, set_by = excluded.set_by, set_at = excluded.set_at",
                [org_code, code, expected, actor, now],
            )
        if reset:
            cur.execute("DELETE FROM org_expectations WHERE org_code = ? AND list_contains(?::VARCHAR[], indicator_code)",
                        [org_code, list(reset)])
        record_in(cur, actor, "expectation_changed", target=f"org:{org_code}",
                  detail={"added": sorted(add), "removed": sorted(remove), "reset": sorted(reset), "source": source})

    store.write(work)


def overrides_of(store: Store, org_code: str) -> pl.DataFrame:
    """The committee's overrides for one organisation (committee pages and the command line only)."""
    return store.query("SELECT indicator_code, expected, set_by, set_at FROM org_expectations WHERE org_code = ? "
                       "ORDER BY indicator_code", [org_code])


def _number(value: float | str | None, name: str) -> float | None:
    """A baseline or target as a number: a number, or text written with a decimal point or comma."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            number = float(value.strip().replace("\u202f", "").replace(" ", "").replace(",", "."))
        except ValueError:
            raise ExpectationError(f"{name}_not_a_number", value=value) from None
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise ExpectationError(f"{name}_not_a_number", value=value)
    else:
        number = float(value)
    if not math.isfinite(number):
        raise ExpectationError(f"{name}_not_a_number", value=value)
    return number


def set_target(
    store: Store, org_code: str, indicator_code: str, *, baseline: float | str | None, target: float | str | None,
    baseline_period: str | None = None, target_period: str | None = None,
    known_indicators: set[str], actor: str, source: str,
) -> None:
    """Set one organisation's baseline and target of one indicator (committee), audited as ``target_set``."""
    if indicator_code not in known_indicators:
        raise ExpectationError("unknown_indicator", indicator=indicator_code)
    baseline, target = _number(baseline, "baseline"), _number(target, "target")
    if baseline is None and target is None:
        raise ExpectationError("nothing_to_change")

    def work(cur: duckdb.DuckDBPyConnection) -> None:
        _known(cur, org_code)
        cur.execute(
            f"""
            INSERT INTO org_targets VALUES (?, ?, ?, ?, ?, ?, 'committee', NULL, ?, ?)
            ON CONFLICT (org_code, indicator_code) DO UPDATE SET
                {_KEEP_WHAT_IS_NOT_GIVEN},
                origin = 'committee', submission_id = NULL, set_by = excluded.set_by, set_at = excluded.set_at
            """,
            [org_code, indicator_code, baseline, baseline_period, target, target_period, actor, utc_now()],
        )
        record_in(cur, actor, "target_set", target=f"org:{org_code}",
                  detail={"indicator": indicator_code, "baseline": baseline, "target": target,
                          "baseline_period": baseline_period, "target_period": target_period, "source": source})

    store.write(work)


def target_of(store: Store, org_code: str, indicator_code: str) -> dict:
    """The stored baseline and target of one organisation and indicator (the command line's echo)."""
    frame = store.query("SELECT baseline, target FROM org_targets WHERE org_code = ? AND indicator_code = ?",
                        [org_code, indicator_code])
    return frame.row(0, named=True) if frame.height else {"baseline": None, "target": None}


def store_file_targets(cur: duckdb.DuckDBPyConnection, rows: pl.DataFrame, submission_id: int, actor: str) -> int:
    """Inside an upload's transaction: the targets and baselines of the file's total rows (no
    breakdown), the latest period's per organisation and indicator; returns how many were written."""
    given = [c for c in ("target", "baseline") if c in rows.columns]
    if not given or not rows.select(pl.any_horizontal(pl.col(given).is_not_null()).any()).item():
        return 0
    rows = rows.with_columns(pl.lit(None, pl.Float64).alias(c) for c in ("target", "baseline") if c not in given)
    breakdowns = [c for c in BREAKDOWN_COLUMNS if c in rows.columns]
    totals = rows.filter(pl.all_horizontal(pl.col(breakdowns).is_null()) if breakdowns else pl.lit(True))
    keys = ["org_code", "indicator_code"]

    def latest(column: str) -> pl.DataFrame:
        return (totals.filter(pl.col(column).is_not_null()).sort("period_end", descending=True)
                .unique(keys, keep="first").select(*keys, pl.col(column), pl.col("period").alias(f"{column}_period")))

    found = latest("target").join(latest("baseline"), on=keys, how="full", coalesce=True)
    if found.is_empty():
        return 0
    cur.register("incoming_targets",  # as an Arrow stream: a load imports no pyarrow
                 ArrowStream(found.select(*keys, "baseline", "baseline_period", "target", "target_period")))
    try:
        cur.execute(
            f"""
            INSERT INTO org_targets
            SELECT org_code, indicator_code, baseline, baseline_period, target, target_period, 'file', ?, ?, ?
            FROM incoming_targets
            ON CONFLICT (org_code, indicator_code) DO UPDATE SET
                {_KEEP_WHAT_IS_NOT_GIVEN},
                origin = 'file', submission_id = excluded.submission_id, set_by = excluded.set_by,
                set_at = excluded.set_at
            """,
            [submission_id, actor, utc_now()],
        )
    finally:
        cur.unregister("incoming_targets")
    return found.height
