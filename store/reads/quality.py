"""Reads of the Data quality page: grades, quality per period and the observation history."""

from __future__ import annotations

import polars as pl

from store.db import Store
from store.explanations import CURRENT_SQL as EXPLANATIONS_SQL
from store.explanations import match_sql
from store.reads.common import BREAKDOWN_KEYS
from store.reads.fragments import name_sql
from store.scope import aggregable, notes_shown, observations_sql, period_ok, query, trends_ok, visible
from store.viewer import Viewer


def quality_table(store: Store, viewer: Viewer, run_id: int, lang: str) -> pl.DataFrame:
    """Completeness, timeliness, consistency and evidence of each visible organisation and period."""
    return query(
        store,
        viewer,
        f"""
        SELECT s.org_code, {name_sql(lang)} AS name, s.period, s.completeness, s.timeliness_days,
               s.consistency_flags, s.evidence, s.grade_completeness, s.grade_timeliness,
               s.grade_consistency, s.grade_evidence, s.grade
        FROM scores s JOIN organizations g ON g.code = s.org_code
        WHERE s.run_id = $run AND s.principle IS NULL AND {visible("s.org_code")} AND {period_ok("s.period")}
          AND $v_all_principles
        ORDER BY s.period DESC, s.completeness, s.org_code
        """,
        run=run_id,
    )


def unusual_values(store: Store, viewer: Viewer, run_id: int, lang: str) -> pl.DataFrame:
    """The values the run flagged as unusual against their own series (``score_unusual_values``),
    of the visible organisations, largest deviation first, with the organisation's name.

    Like trends, a flag is a statistic of a whole series (its median, its spread, the period
    before): only for viewers whose periods are not narrowed, and raw values only for viewers who
    see every principle (as :func:`observation_history`).

    Beside each value: the organisation's explanation of it when one is in force (``explanation``,
    ``explained_by``, ``explained_at``: ``store.explanations``), the ``source`` it cited and its
    ``notes`` — the notes never to a funder's link (``store.scope.notes_shown``).
    """
    return query(
        store,
        viewer,
        f"""
        SELECT u.org_code, {name_sql(lang, "g")} AS name, u.indicator_code, u.granularity, u.period, u.period_start,
               u.value, u.unit, {", ".join(f"u.{k}" for k in BREAKDOWN_KEYS)}, u.submission_id,
               u.usual_level, u.previous_value, u.n_periods, u.robust_z,
               e.explanation, e.author AS explained_by, e.explained_at,
               o.source, CASE WHEN $notes_ok THEN o.notes END AS notes
        FROM score_unusual_values u LEFT JOIN organizations g ON g.code = u.org_code
        LEFT JOIN {EXPLANATIONS_SQL} e ON {match_sql("e", "u")}
        LEFT JOIN observations o ON {match_sql("o", "u")}
        WHERE u.run_id = $run AND {visible("u.org_code")} AND {period_ok("u.period")}
          AND $v_all_principles AND {trends_ok()}
        ORDER BY u.rank
        """,
        run=run_id,
        notes_ok=notes_shown(viewer),
    )


def stored_series(store: Store, viewer: Viewer, org_codes: list[str], indicator_codes: list[str]) -> pl.DataFrame:
    """The current values of some visible organisations and indicators, as submitted: the history an
    upload's values are checked against (``metrics.outliers.incoming_unusual``) before they are stored."""
    return query(
        store,
        viewer,
        f"""
        SELECT o.org_code, o.indicator_code, o.granularity, o.period, o.period_start, o.value, o.unit,
               {", ".join(f"o.{k}" for k in BREAKDOWN_KEYS)}, o.submission_id
        FROM {observations_sql(viewer)} o
        WHERE {visible("o.org_code")} AND {period_ok("o.period")} AND $v_all_principles
          AND list_contains($orgs::VARCHAR[], o.org_code) AND list_contains($indicators::VARCHAR[], o.indicator_code)
        ORDER BY o.org_code, o.indicator_code, o.period_start
        """,
        orgs=list(org_codes),
        indicators=list(indicator_codes),
    )


def quality_by_period(store: Store, viewer: Viewer, run_id: int, deadline_days: float) -> pl.DataFrame:
    """Per period: median completeness and delay, share on time, organisations per overall grade."""
    return query(
        store,
        viewer,
        f"""
        SELECT period, count(*) AS n, median(completeness) AS completeness,
               median(timeliness_days) AS timeliness_days,
               avg(CASE WHEN timeliness_days <= $deadline THEN 1.0 ELSE 0.0 END) AS on_time_share,
               count(*) FILTER (WHERE grade = 'A') AS "A", count(*) FILTER (WHERE grade = 'B') AS "B",
               count(*) FILTER (WHERE grade = 'C') AS "C", count(*) FILTER (WHERE grade = 'D') AS "D"
        FROM scores
        WHERE run_id = $run AND principle IS NULL AND {aggregable("org_code")} AND {period_ok("period")}
        GROUP BY period HAVING count(*) >= $v_min ORDER BY period
        """,
        run=run_id,
        deadline=deadline_days,
    )


def observation_history(store: Store, viewer: Viewer, min_history: int) -> pl.DataFrame:
    """Current values of the visible organisations as they were submitted, series by series.

    A series is one organisation, indicator, breakdown and granularity (quarterly values stay
    quarterly: twelve periods over three years where the yearly run sees three). Only series with
    at least ``min_history`` values are returned — shorter ones cannot be checked for consistency
    (``metrics.quality.robust_z``). Sorted by series, then period.
    """
    series = ", ".join(f"o.{k}" for k in ("org_code", "indicator_code", "granularity", *BREAKDOWN_KEYS))
    columns = ", ".join(f"o.{c}" for c in ("org_code", "indicator_code", "granularity", "period", "period_start",
                                           "value", "unit", *BREAKDOWN_KEYS, "submission_id"))
    return query(
        store,
        viewer,
        f"""
        SELECT {columns} FROM (
            SELECT {columns}, count(*) OVER (PARTITION BY {series}) AS n_values
            FROM {observations_sql(viewer)} o
            WHERE {visible("o.org_code")} AND {period_ok("o.period")} AND $v_all_principles
        ) AS o WHERE o.n_values >= $min_history
        ORDER BY {series}, o.period_start, o.period
        """,
        min_history=min_history,
    )
