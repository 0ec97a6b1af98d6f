"""Reads of the Profile page: one organisation's scores, peer groups, indicator values and trends."""

from __future__ import annotations

import polars as pl

from framework.groups import GROUPS, MIN_GROUP
from framework.model import BREAKDOWN_COLUMNS
from framework.periods import period_bounds
from store.db import Store
from store.explanations import CURRENT_SQL as EXPLANATIONS_SQL
from store.explanations import match_sql
from store.reads.fragments import memberships_sql
from store.scope import (
    aggregable,
    approved_score,
    indicator_ok,
    notes_shown,
    observations_sql,
    period_ok,
    principle_ok,
    query,
    trends_ok,
    visible,
)
from store.viewer import Viewer


def org_scores(store: Store, viewer: Viewer, run_id: int, org_code: str) -> pl.DataFrame:
    """Every score row of one visible organisation in the run (all periods and principles)."""
    return query(
        store,
        viewer,
        f"""
        SELECT period, principle, score, coverage, status, completeness, timeliness_days, consistency,
               consistency_flags, evidence, grade_completeness, grade_timeliness, grade_consistency,
               grade_evidence, grade, nominal_rank, median_rank, rank_p05, rank_p95, ranked_count
        FROM scores
        WHERE run_id = $run AND org_code = $org AND {visible("org_code")}
          AND {principle_ok("principle")} AND {period_ok("period")} AND {approved_score("scores.org_code", "scores.period")}
        ORDER BY period, principle NULLS LAST
        """,
        run=run_id,
        org=org_code,
    )


def peer_groups(store: Store, viewer: Viewer, run_id: int, period: str, org_code: str) -> pl.DataFrame:
    """The organisation's peer groups of at least five scored organisations, per principle.

    Quartiles, median and the organisation's percentile (share scoring below it, ties half) —
    the SQL twin of the Polars oracle ``tests/peer_oracle.py`` it is tested against, so a member never receives a peer's score.
    """
    memberships = " UNION ALL ".join(
        f"SELECT '{by}' AS grp, org_code, group_value FROM ({memberships_sql(by, aggregable('code'))})"
        for by in GROUPS
    )
    return query(
        store,
        viewer,
        f"""
        WITH m AS ({memberships}),
        s AS (SELECT org_code, principle, score FROM scores
              WHERE run_id = $run AND period = $period AND score IS NOT NULL AND {principle_ok("principle")}
                AND {period_ok("period")} AND {approved_score("scores.org_code", "scores.period")}),
        mine AS (SELECT grp, group_value FROM m WHERE org_code = $org),
        own AS (SELECT principle, score AS own FROM s WHERE org_code = $org AND {visible("org_code")})
        SELECT s.principle, m.grp AS "group", m.group_value, count(*) AS n,
               quantile_cont(s.score, 0.25) AS q1, median(s.score) AS median,
               quantile_cont(s.score, 0.75) AS q3,
               100.0 * (count(*) FILTER (WHERE s.score < own.own)
                        + 0.5 * count(*) FILTER (WHERE s.score = own.own)) / count(*) AS percentile
        FROM m
        JOIN mine ON mine.grp = m.grp AND mine.group_value = m.group_value
        JOIN s ON s.org_code = m.org_code
        JOIN own ON own.principle IS NOT DISTINCT FROM s.principle
        GROUP BY s.principle, m.grp, m.group_value
        HAVING count(*) >= $peer_min
        ORDER BY s.principle NULLS LAST, m.grp, m.group_value
        """,
        run=run_id,
        period=period,
        org=org_code,
        peer_min=max(MIN_GROUP, viewer.min_group),
    )


def org_indicators(store: Store, viewer: Viewer, run_id: int, org_code: str, period: str) -> pl.DataFrame:
    """What entered the organisation's scores in ``period``: raw, normalised, flagged."""
    return query(
        store,
        viewer,
        f"""
        SELECT indicator_code, value, n_values, method, transformed, normalised, robust_z, flagged
        FROM score_indicators
        WHERE run_id = $run AND org_code = $org AND period = $period AND {visible("org_code")}
          AND {period_ok("period")} AND {indicator_ok("indicator_code")}
        ORDER BY indicator_code
        """,
        run=run_id,
        org=org_code,
        period=period,
    )


def org_trends(store: Store, viewer: Viewer, run_id: int, org_code: str) -> pl.DataFrame:
    """Trend, persistence, sustained and progress of each series of one organisation."""
    return query(
        store,
        viewer,
        f"""
        SELECT principle, indicator_code, last_period, n_periods, slope, trend, persistence, current_run,
               sustained, progress
        FROM score_trends
        WHERE run_id = $run AND org_code = $org AND {visible("org_code")} AND {trends_ok()}
          AND CASE WHEN indicator_code IS NULL THEN {principle_ok("principle")}
                   ELSE {indicator_ok("indicator_code")} END
        ORDER BY indicator_code NULLS FIRST, principle NULLS LAST
        """,
        run=run_id,
        org=org_code,
    )


def submitted_values(store: Store, viewer: Viewer, run_id: int, org_code: str, period: str) -> pl.DataFrame:
    """The values one visible organisation submitted within ``period`` (a run period: its quarters
    for a year), as submitted, with the ``source`` each cites, its ``notes`` (never to a funder's
    link: ``store.scope.notes_shown``) and the organisation's explanation in force
    (``explanation``, ``explained_at``: ``store.explanations``). Indicators in scope of ``run_id``'s
    framework only."""
    try:
        _, start, end = period_bounds(period)
    except ValueError:
        return pl.DataFrame()
    return query(
        store,
        viewer,
        f"""
        SELECT o.indicator_code, o.period, o.period_start, o.value, o.unit,
               {", ".join(f"o.{k}" for k in BREAKDOWN_COLUMNS)}, o.submission_id, o.source,
               CASE WHEN $notes_ok THEN o.notes END AS notes, e.explanation, e.explained_at
        FROM {observations_sql(viewer)} o
        LEFT JOIN {EXPLANATIONS_SQL} e ON {match_sql("e", "o")}
        WHERE o.org_code = $org AND {visible("o.org_code")} AND {period_ok("o.period")}
          AND {indicator_ok("o.indicator_code")} AND o.period_start >= $start AND o.period_end <= $end
        ORDER BY o.indicator_code, o.period_start, {", ".join(f"o.{k} NULLS FIRST" for k in BREAKDOWN_COLUMNS)}
        """,
        org=org_code,
        start=start,
        end=end,
        run=run_id,
        notes_ok=notes_shown(viewer),
    )
