"""Test-only readers of the raw score tables: what a run recorded, unscoped (production code reads
runs only through the viewer-scoped ``store.reads``)."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from store import Store
from store.scores import SCORE_COLUMNS, SENSITIVITY_COLUMNS, TREND_COLUMNS


def run_info(store: Store, run_id: int) -> dict[str, Any] | None:
    """The run's header: framework (content and hash), method choices, granularity, inputs, time."""
    frame = store.query(
        "SELECT id, created_at, framework_hash, framework, granularity, method, submission_ids, org_count, "
        "period_count "
        "FROM score_runs WHERE id = ?",
        [run_id],
    )
    if frame.is_empty():
        return None
    row = frame.row(0, named=True)
    row["framework"] = json.loads(row["framework"])
    row["method"] = json.loads(row["method"])
    return row



def run_scores(
    store: Store, run_id: int, org_code: str | None = None, period: str | None = None
) -> pl.DataFrame:
    """Scores of a run, optionally for one organisation and/or period (composite rows have principle NULL)."""
    return store.query(
        f"""
        SELECT {", ".join(SCORE_COLUMNS)} FROM scores
        WHERE run_id = $run AND ($org IS NULL OR org_code = $org) AND ($period IS NULL OR period = $period)
        ORDER BY org_code, period, principle NULLS LAST
        """,
        {"run": run_id, "org": org_code, "period": period},
    )



def run_trends(store: Store, run_id: int, org_code: str | None = None) -> pl.DataFrame:
    return store.query(
        f"""
        SELECT {", ".join(TREND_COLUMNS)} FROM score_trends
        WHERE run_id = $run AND ($org IS NULL OR org_code = $org)
        ORDER BY org_code, indicator_code NULLS FIRST, principle NULLS LAST
        """,
        {"run": run_id, "org": org_code},
    )



def run_sensitivity(store: Store, run_id: int) -> pl.DataFrame:
    return store.query(
        f"SELECT {', '.join(SENSITIVITY_COLUMNS)} FROM score_sensitivity "
        "WHERE run_id = ? ORDER BY period, choice",
        [run_id],
    )



def peer_scores(store: Store, run_id: int, period: str, principle: str | None = None) -> pl.DataFrame:
    """org_code, score for one period and principle (NULL = composite), for peer distributions."""
    return store.query(
        """
        SELECT org_code, score FROM scores
        WHERE run_id = $run AND period = $period AND principle IS NOT DISTINCT FROM $principle
        """,
        {"run": run_id, "period": period, "principle": principle},
    )



def organisations(store: Store) -> pl.DataFrame:
    """org_code and the peer-group attributes of every active organisation."""
    return store.query(
        "SELECT code AS org_code, kind, region, size_band, thematic_areas FROM organizations "
        "WHERE active ORDER BY code"
    )
