"""Reads of the Sustainability page: series over time, trends, progress toward targets."""

from __future__ import annotations

import polars as pl

from store.db import Store
from store.reads.fragments import name_sql
from store.scope import (
    aggregable,
    approved_score,
    indicator_ok,
    period_ok,
    principle_ok,
    query,
    trends_ok,
    visible,
)
from store.viewer import Viewer


def score_series(store: Store, viewer: Viewer, run_id: int, org_code: str | None = None) -> pl.DataFrame:
    """Scores by period and principle: one organisation's, or the network's quartiles (org None)."""
    if org_code is not None:
        return query(
            store,
            viewer,
            f"""
            SELECT period, principle, score, coverage, status FROM scores
            WHERE run_id = $run AND org_code = $org AND {visible("org_code")}
              AND {principle_ok("principle")} AND {period_ok("period")} AND {approved_score("scores.org_code", "scores.period")}
            ORDER BY period, principle NULLS LAST
            """,
            run=run_id,
            org=org_code,
        )
    return query(
        store,
        viewer,
        f"""
        SELECT period, principle, count(score) AS n, quantile_cont(score, 0.25) AS q1, median(score) AS median,
               quantile_cont(score, 0.75) AS q3
        FROM scores
        WHERE run_id = $run AND score IS NOT NULL AND {aggregable("org_code")}
          AND {principle_ok("principle")} AND {period_ok("period")} AND {approved_score("scores.org_code", "scores.period")}
        GROUP BY period, principle HAVING count(score) >= $v_min
        ORDER BY period, principle NULLS LAST
        """,
        run=run_id,
    )


def indicator_series(
    store: Store, viewer: Viewer, run_id: int, indicator_code: str, org_code: str | None = None
) -> pl.DataFrame:
    """One indicator by period: an organisation's values, or the network's quartiles (no plain total:
    added over organisations, a count of people counts twice whoever two members serve; the overview
    shows people reached as a range instead, ``metrics.reach``). For a yes/no indicator the network
    figure is ``share_yes`` (the share of organisations answering yes, of ``n``; ``yes`` of them),
    never a median of 0 and 1."""
    if org_code is not None:
        return query(
            store,
            viewer,
            f"""
            SELECT period, value, normalised, flagged FROM score_indicators
            WHERE run_id = $run AND org_code = $org AND indicator_code = $indicator
              AND {visible("org_code")} AND {period_ok("period")} AND {indicator_ok("indicator_code")}
            ORDER BY period
            """,
            run=run_id,
            org=org_code,
            indicator=indicator_code,
        )
    return query(
        store,
        viewer,
        f"""
        SELECT period, count(*) AS n, quantile_cont(value, 0.25) AS q1, median(value) AS median,
               quantile_cont(value, 0.75) AS q3, avg(value) AS share_yes,
               count(*) FILTER (WHERE value = 1) AS yes
        FROM score_indicators
        WHERE run_id = $run AND indicator_code = $indicator AND {aggregable("org_code")}
          AND {period_ok("period")} AND {indicator_ok("indicator_code")}
        GROUP BY period HAVING count(*) >= $v_min ORDER BY period
        """,
        run=run_id,
        indicator=indicator_code,
    )


def trend_summary(store: Store, viewer: Viewer, run_id: int) -> pl.DataFrame:
    """Per principle (NULL = composite): improving / stable / declining / too short, sustained."""
    return query(
        store,
        viewer,
        f"""
        SELECT principle, count(*) AS n,
               count(*) FILTER (WHERE trend = 'improving') AS improving,
               count(*) FILTER (WHERE trend = 'stable') AS stable,
               count(*) FILTER (WHERE trend = 'declining') AS declining,
               count(*) FILTER (WHERE trend = 'insufficient_data') AS insufficient_data,
               count(*) FILTER (WHERE sustained) AS sustained,
               median(persistence) AS median_persistence
        FROM score_trends
        WHERE run_id = $run AND indicator_code IS NULL AND {aggregable("org_code")}
          AND {principle_ok("principle")} AND {trends_ok()}
        GROUP BY principle HAVING count(*) >= $v_min
        ORDER BY principle NULLS LAST
        """,
        run=run_id,
    )




def target_progress(
    store: Store, viewer: Viewer, run_id: int, lang: str, org_code: str | None = None
) -> pl.DataFrame:
    """Progress toward the indicators' targets (only indicators that have one)."""
    return query(
        store,
        viewer,
        f"""
        SELECT t.org_code, {name_sql(lang)} AS name, t.indicator_code, t.last_period, t.n_periods, t.progress
        FROM score_trends t JOIN organizations g ON g.code = t.org_code
        WHERE t.run_id = $run AND t.progress IS NOT NULL AND {visible("t.org_code")}
          AND ($org IS NULL OR t.org_code = $org) AND {indicator_ok("t.indicator_code")} AND {trends_ok()}
        ORDER BY t.indicator_code, t.progress DESC, t.org_code
        """,
        run=run_id,
        org=org_code,
    )
