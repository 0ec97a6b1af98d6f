"""Reads of the Compare page: scores of a period, groups, indicator values side by side."""

from __future__ import annotations

import polars as pl

from framework.groups import GroupBy
from store.db import Store
from store.reads.fragments import memberships_sql, name_sql
from store.scope import aggregable, approved_score, indicator_ok, period_ok, principle_ok, query, visible
from store.viewer import Viewer


def period_scores(store: Store, viewer: Viewer, run_id: int, period: str, lang: str) -> pl.DataFrame:
    """Every score of the visible organisations in ``period``, with their peer-group attributes."""
    return run_scores(store, viewer, run_id, period, lang).drop("period")


def run_scores(store: Store, viewer: Viewer, run_id: int, period: str | None, lang: str) -> pl.DataFrame:
    """``period_scores`` of every period of the run at once (or of ``period``), with a ``period`` column
    last, ordered by period: one query where the API asked one per period."""
    return query(
        store,
        viewer,
        f"""
        SELECT s.org_code, {name_sql(lang)} AS name, g.kind, g.region, g.size_band, g.thematic_areas,
               s.principle, s.score, s.coverage, s.status, s.grade, s.nominal_rank, s.median_rank,
               s.rank_p05, s.rank_p95, s.ranked_count, s.period
        FROM scores s JOIN organizations g ON g.code = s.org_code
        WHERE s.run_id = $run AND ($period::VARCHAR IS NULL OR s.period = $period::VARCHAR)
          AND {visible("s.org_code")} AND {principle_ok("s.principle")} AND {period_ok("s.period")}
          AND {approved_score("s.org_code", "s.period")}
        ORDER BY s.period, s.org_code, s.principle NULLS LAST
        """,
        run=run_id,
        period=period,
    )


def run_indicator_values(
    store: Store, viewer: Viewer, run_id: int, period: str | None, org_codes: tuple[str, ...]
) -> pl.DataFrame:
    """``indicator_values`` of every period of the run at once (or of ``period``), ``period`` last."""
    return query(
        store,
        viewer,
        f"""
        SELECT org_code, indicator_code, value, normalised, flagged, period FROM score_indicators
        WHERE run_id = $run AND ($period::VARCHAR IS NULL OR period = $period::VARCHAR)
          AND list_contains($orgs::VARCHAR[], org_code)
          AND {visible("org_code")} AND {period_ok("period")} AND {indicator_ok("indicator_code")}
        ORDER BY period, indicator_code, org_code
        """,
        run=run_id,
        period=period,
        orgs=list(org_codes),
    )


def group_scores(store: Store, viewer: Viewer, run_id: int, period: str, by: GroupBy) -> pl.DataFrame:
    """Per group of one grouping and per principle: n, quartiles (groups below the minimum left out)."""
    return query(
        store,
        viewer,
        f"""
        WITH m AS ({memberships_sql(by, aggregable("code"))})
        SELECT m.group_value, s.principle, count(s.score) AS n, quantile_cont(s.score, 0.25) AS q1,
               median(s.score) AS median, quantile_cont(s.score, 0.75) AS q3
        FROM m JOIN scores s ON s.org_code = m.org_code
        WHERE s.run_id = $run AND s.period = $period AND s.score IS NOT NULL AND {principle_ok("s.principle")}
          AND {period_ok("s.period")}
        GROUP BY m.group_value, s.principle HAVING count(s.score) >= $v_min
        ORDER BY m.group_value, s.principle NULLS LAST
        """,
        run=run_id,
        period=period,
    )


def indicator_values(
    store: Store, viewer: Viewer, run_id: int, period: str, org_codes: tuple[str, ...]
) -> pl.DataFrame:
    """Indicator values of some visible organisations in ``period`` (for side-by-side tables)."""
    return run_indicator_values(store, viewer, run_id, period, org_codes).drop("period")


def group_indicators(
    store: Store, viewer: Viewer, run_id: int, period: str, by: GroupBy, yes_no: tuple[str, ...] = ()
) -> pl.DataFrame:
    """Per group and indicator: how many organisations report it and their median value — for the
    yes/no indicators ``yes_no``, the share of them answering yes (``statistic`` says which)."""
    return query(
        store,
        viewer,
        f"""
        WITH m AS ({memberships_sql(by, aggregable("code"))})
        SELECT m.group_value, v.indicator_code, count(*) AS n,
               CASE WHEN list_contains($yes_no::VARCHAR[], v.indicator_code) THEN avg(v.value)
                    ELSE median(v.value) END AS median,
               CASE WHEN list_contains($yes_no::VARCHAR[], v.indicator_code) THEN 'share_yes'
                    ELSE 'median' END AS statistic,
               count(*) FILTER (WHERE v.value = 1) AS yes,
               median(v.normalised) AS median_normalised
        FROM m JOIN score_indicators v ON v.org_code = m.org_code
        WHERE v.run_id = $run AND v.period = $period AND {period_ok("v.period")}
          AND {indicator_ok("v.indicator_code")}
        GROUP BY m.group_value, v.indicator_code HAVING count(*) >= $v_min
        ORDER BY v.indicator_code, m.group_value
        """,
        run=run_id,
        period=period,
        yes_no=list(yes_no),
    )
