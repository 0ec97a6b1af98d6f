"""Reads of expectations and targets: the expected indicators an organisation did not report, and
its targets and baselines beside its latest value (Profile, Data quality and Sustainability pages).

Scoped like every read: organisations the viewer may see one by one, indicators serving the
viewer's principles, periods of the viewer's link (a baseline describing a period outside the link
is withheld, as the value of that period would be).
"""

from __future__ import annotations

import polars as pl

from store.db import Store
from store.reads.fragments import name_sql
from store.scope import indicator_ok, period_ok, query, visible
from store.viewer import Viewer


def expected_reported(store: Store, viewer: Viewer, run_id: int, period: str, org_code: str | None = None) -> pl.DataFrame:
    """org_code, indicator_code, reported: the indicators the run expected of a visible organisation
    scored in ``period`` (``score_expected``), and whether it reported each in that period. No rows
    for a run recorded before expectations existed."""
    return query(
        store,
        viewer,
        f"""
        SELECT e.org_code, e.indicator_code,
               EXISTS (SELECT 1 FROM score_indicators i WHERE i.run_id = e.run_id AND i.org_code = e.org_code
                       AND i.period = $period AND i.indicator_code = e.indicator_code) AS reported
        FROM score_expected e
        WHERE e.run_id = $run AND ($org IS NULL OR e.org_code = $org) AND {visible("e.org_code")}
          AND {period_ok("$period")} AND {indicator_ok("e.indicator_code")}
          AND EXISTS (SELECT 1 FROM scores s WHERE s.run_id = e.run_id AND s.org_code = e.org_code
                      AND s.period = $period AND s.principle IS NULL)
        ORDER BY e.org_code, e.indicator_code
        """,
        run=run_id,
        period=period,
        org=org_code,
    )


def targets_progress(store: Store, viewer: Viewer, run_id: int, lang: str, org_code: str | None = None) -> pl.DataFrame:
    """Targets and baselines of the visible organisations, with the latest value in scope (the run's
    value of the indicator over the latest period it has for the organisation)."""
    return query(
        store,
        viewer,
        f"""
        WITH latest AS (
            SELECT org_code, indicator_code, arg_max(value, period) AS value, max(period) AS period
            FROM score_indicators
            WHERE run_id = $run AND {period_ok("period")} AND {visible("org_code")}
            GROUP BY org_code, indicator_code
        )
        SELECT t.org_code, {name_sql(lang, "g")} AS name, t.indicator_code,
               CASE WHEN t.baseline_period IS NULL OR {period_ok("t.baseline_period")} THEN t.baseline END AS baseline,
               CASE WHEN t.baseline_period IS NULL OR {period_ok("t.baseline_period")} THEN t.baseline_period END
                   AS baseline_period,
               t.target, t.target_period, t.origin, l.value, l.period
        FROM org_targets t
        JOIN organizations g ON g.code = t.org_code
        LEFT JOIN latest l ON l.org_code = t.org_code AND l.indicator_code = t.indicator_code
        WHERE ($org IS NULL OR t.org_code = $org) AND {visible("t.org_code")} AND {indicator_ok("t.indicator_code")}
        ORDER BY t.org_code, t.indicator_code
        """,
        run=run_id,
        org=org_code,
    )


def expectation_facts(store: Store, viewer: Viewer, org_code: str) -> pl.DataFrame:
    """org_code, kind, thematic_areas of one visible organisation (what the framework's rules match)."""
    return query(
        store,
        viewer,
        f"SELECT code AS org_code, kind, thematic_areas FROM organizations WHERE code = $org AND {visible('code')}",
        org=org_code,
    )


def expectation_overrides(store: Store, viewer: Viewer, org_code: str) -> pl.DataFrame:
    """org_code, indicator_code, expected: the steering committee's overrides for one visible organisation."""
    return query(
        store,
        viewer,
        f"""
        SELECT org_code, indicator_code, expected FROM org_expectations
        WHERE org_code = $org AND {visible("org_code")} AND {indicator_ok("indicator_code")}
        ORDER BY indicator_code
        """,
        org=org_code,
    )


def expected_gaps(store: Store, viewer: Viewer, run_id: int) -> pl.DataFrame:
    """org_code, period, indicator_code: for every visible organisation and period scored in the run,
    the indicators it was expected to report and did not (the Data quality page's table)."""
    return query(
        store,
        viewer,
        f"""
        SELECT s.org_code, s.period, e.indicator_code
        FROM scores s JOIN score_expected e ON e.run_id = s.run_id AND e.org_code = s.org_code
        WHERE s.run_id = $run AND s.principle IS NULL AND {visible("s.org_code")} AND {period_ok("s.period")}
          AND {indicator_ok("e.indicator_code")}
          AND NOT EXISTS (SELECT 1 FROM score_indicators i WHERE i.run_id = s.run_id AND i.org_code = s.org_code
                          AND i.period = s.period AND i.indicator_code = e.indicator_code)
        ORDER BY s.org_code, s.period, e.indicator_code
        """,
        run=run_id,
    )
