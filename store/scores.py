"""All SQL of scoring runs: reading the inputs, recording a run in one transaction, reading it back.

The maths lives in ``metrics/``; this module only moves frames in and out of DuckDB.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import polars as pl

from store.audit import record_in
from store.db import Store, utc_now
from store.explanations import CURRENT_SQL as EXPLANATIONS_SQL
from store.explanations import match_sql
from store.review import record_provisional
from store.scoring_requests import finish_in

SCORE_COLUMNS = (
    "org_code",
    "period",
    "principle",
    "score",
    "coverage",
    "status",
    "completeness",
    "timeliness_days",
    "consistency",
    "consistency_flags",
    "consistency_explained",
    "evidence",
    "grade_completeness",
    "grade_timeliness",
    "grade_consistency",
    "grade_evidence",
    "grade",
    "nominal_rank",
    "median_rank",
    "rank_p05",
    "rank_p95",
    "ranked_count",
)
INDICATOR_COLUMNS = (
    "org_code",
    "period",
    "indicator_code",
    "value",
    "n_values",
    "method",
    "transformed",
    "normalised",
    "robust_z",
    "flagged",
)
TREND_COLUMNS = (
    "org_code",
    "principle",
    "indicator_code",
    "last_period",
    "n_periods",
    "slope",
    "trend",
    "persistence",
    "current_run",
    "sustained",
    "progress",
)
SENSITIVITY_COLUMNS = ("period", "choice", "first_order")
UNUSUAL_COLUMNS = (
    "org_code",
    "indicator_code",
    "granularity",
    "period",
    "period_start",
    "value",
    "unit",
    "sex",
    "age_band",
    "disability",
    "area",
    "region",
    "submission_id",
    "usual_level",
    "previous_value",
    "n_periods",
    "robust_z",
    "rank",
)


def scoring_inputs(store: Store) -> pl.DataFrame:
    """Current observations of active organisations, with the upload time of their submission and
    whether the organisation explained the value (``explained``: an explanation in force for this
    value of this submission, ``store.explanations``). The run's largest read: the backend's bulk
    path (ADBC on PostgreSQL)."""
    return store.query_bulk(
        f"""
        SELECT o.org_code, o.indicator_code, o.period, o.granularity, o.period_start, o.period_end, o.value,
               o.unit, o.sex, o.age_band, o.disability, o.area, o.region, o.source, o.submission_id,
               s.uploaded_at, e.submission_id IS NOT NULL AS explained
        FROM observations_current o
        JOIN organizations g ON g.code = o.org_code AND g.active
        LEFT JOIN submissions s ON s.id = o.submission_id
        LEFT JOIN {EXPLANATIONS_SQL} e ON {match_sql("e", "o")}
        """
    )




@dataclass(frozen=True)
class RunRecord:
    """Everything a scoring run writes."""

    framework_hash: str
    framework: dict[str, Any]
    granularity: str
    method: dict[str, Any]
    submission_ids: list[int]
    scores: pl.DataFrame
    indicators: pl.DataFrame
    trends: pl.DataFrame
    sensitivity: pl.DataFrame
    unusual: pl.DataFrame | None = None  # values flagged as submitted (``metrics.run.flagged_values``)
    expected: pl.DataFrame | None = None  # org_code, indicator_code: what completeness counted
    created_at: datetime | None = None


def record_run(
    store: Store,
    run: RunRecord,
    *,
    actor: str,
    inputs_read_at: datetime | None = None,
    claimed: list[int] | None = None,
    origins: list[str] | None = None,
) -> int:
    """Write a run, all its rows and its ``scores_recomputed`` audit entry (by ``actor``) in one
    transaction; returns the run id. The same transaction marks done the scoring requests the run
    covers: those ``claimed`` for it (their ``origins`` are audited) and every request pending since
    before ``inputs_read_at`` (default: now), whoever ran it (``store.scoring_requests``)."""
    read_at = inputs_read_at or utc_now()
    n_orgs = run.scores.get_column("org_code").n_unique() if run.scores.height else 0
    n_periods = run.scores.get_column("period").n_unique() if run.scores.height else 0

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        run_id = cur.execute(
            """
            INSERT INTO score_runs (created_at, framework_hash, framework, granularity, method,
                                    submission_ids,
                                    org_count, period_count)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """,
            [
                run.created_at or utc_now(),
                run.framework_hash,
                json.dumps(run.framework, ensure_ascii=False),
                run.granularity,
                json.dumps(run.method, ensure_ascii=False),
                run.submission_ids,
                n_orgs,
                n_periods,
            ],
        ).fetchall()[0][0]
        cur.execute(  # the approval state this run used: pages label scores resting on other values provisional
            "UPDATE score_runs SET approved_submission_ids = (SELECT coalesce(list(id ORDER BY id), []) "
            "FROM submissions WHERE review_status = 'approved' AND list_contains(?::BIGINT[], id)) WHERE id = ?",
            [run.submission_ids, run_id],
        )
        for table, frame, columns in (
            ("scores", run.scores, SCORE_COLUMNS),
            ("score_indicators", run.indicators, INDICATOR_COLUMNS),
            ("score_trends", run.trends, TREND_COLUMNS),
            ("score_sensitivity", run.sensitivity, SENSITIVITY_COLUMNS),
            ("score_unusual_values", run.unusual, UNUSUAL_COLUMNS),
            ("score_expected", run.expected, ("org_code", "indicator_code")),
        ):
            if frame is None or frame.is_empty():
                continue
            cur.register("incoming_rows", frame.select(columns))
            try:
                names = ", ".join(columns)
                cur.execute(
                    f"INSERT INTO {table} (run_id, {names}) SELECT ?, {names} FROM incoming_rows", [run_id]
                )
            finally:
                cur.unregister("incoming_rows")
        record_provisional(cur, run_id)
        record_in(
            cur, actor, "scores_recomputed", target=f"run:{run_id}",
            detail={"framework_hash": run.framework_hash, "granularity": run.granularity, "organisations": n_orgs,
                    "periods": n_periods, "scores": run.scores.height, "submissions": len(run.submission_ids),
                    **({"requests": len(claimed), "origin": origins} if claimed else {})},
        )
        finish_in(cur, int(run_id), list(claimed or []), read_at)
        return int(run_id)

    return store.write(work)


def latest_run_id(store: Store) -> int | None:
    return store.scalar("SELECT max(id) FROM score_runs")


def latest_granularity(store: Store) -> str | None:
    """The granularity of the latest run (an automatic run keeps the one the committee last chose)."""
    return store.scalar("SELECT granularity FROM score_runs ORDER BY id DESC LIMIT 1")













