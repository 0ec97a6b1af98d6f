"""Reads of the SDG contribution panel: what the viewer's organisations reported, per indicator and per
SDG target, in one period of the run (a pinned link's run: ``store.scope.query``).

Counted honestly: per indicator, the organisations reporting and the plain sum with what a people
count's range needs besides it (the largest organisation — the mean per organisation for viewers who
see only aggregates —, the shared beneficiaries declared between organisations and what programme
umbrellas count more than once; ``metrics.reach`` makes the bounds). Per SDG target and goal, only
the number of distinct organisations reporting one of its indicators: values of different
indicators are never added (they may count the same people twice, or different things).
The targets are the run's own framework's (``score_runs.framework``), so a pinned link keeps them.
"""

from __future__ import annotations

import polars as pl

from framework.periods import period_bounds
from store.db import Store
from store.scope import aggregable, indicator_ok, period_ok, query
from store.viewer import Viewer

#: The values of the run and period the viewer may aggregate, one row per organisation and indicator.
_REACHED = f"""
    reached AS (
        SELECT v.indicator_code, v.org_code, v.value FROM score_indicators v
        WHERE v.run_id = $run AND v.period = $period AND v.value IS NOT NULL
          AND {aggregable("v.org_code")} AND {period_ok("v.period")} AND {indicator_ok("v.indicator_code")}
    )"""

#: Per indicator, as ``store.reads.overview.reach_parts`` does for one: each organisation's programme
#: (its latest declaration in the period), each programme's excess beyond its largest member, and the
#: people declared shared between two organisations not under one programme (never more than the
#: smaller of their values).
_OVERLAPS = """
    programmes AS (
        SELECT indicator_code, org_code, arg_max(programme, period_end) AS programme
        FROM programme_members
        WHERE valid_to IS NULL AND period_start >= $start AND period_end <= $end
        GROUP BY indicator_code, org_code
    ),
    umbrellas AS (
        SELECT r.indicator_code, p.programme, sum(r.value) - max(r.value) AS excess
        FROM reached r JOIN programmes p ON p.org_code = r.org_code AND p.indicator_code = r.indicator_code
        GROUP BY r.indicator_code, p.programme
    ),
    declared AS (
        SELECT indicator_code, org_code, shared_with, arg_max(shared_count, period_end) AS shared
        FROM shared_beneficiaries
        WHERE valid_to IS NULL AND period_start >= $start AND period_end <= $end
        GROUP BY indicator_code, org_code, shared_with
    ),
    pairs AS (
        SELECT d.indicator_code, least(d.org_code, d.shared_with) AS a, greatest(d.org_code, d.shared_with) AS b,
               least(max(d.shared), min(least(r1.value, r2.value))) AS shared
        FROM declared d
        JOIN reached r1 ON r1.org_code = d.org_code AND r1.indicator_code = d.indicator_code
        JOIN reached r2 ON r2.org_code = d.shared_with AND r2.indicator_code = d.indicator_code
        LEFT JOIN programmes p1 ON p1.org_code = d.org_code AND p1.indicator_code = d.indicator_code
        LEFT JOIN programmes p2 ON p2.org_code = d.shared_with AND p2.indicator_code = d.indicator_code
        WHERE p1.programme IS NULL OR p2.programme IS NULL OR p1.programme <> p2.programme
        GROUP BY d.indicator_code, a, b
    )"""


def indicator_totals(store: Store, viewer: Viewer, run_id: int, period: str) -> pl.DataFrame:
    """indicator_code, orgs, value (the plain sum), median, largest, shared, programmes — per indicator
    in scope reported in ``period`` by at least ``Viewer.min_group`` organisations."""
    _, start, end = period_bounds(period)
    return query(
        store,
        viewer,
        f"""
        WITH {_REACHED}, {_OVERLAPS},
        shared AS (SELECT indicator_code, sum(shared) AS shared FROM pairs GROUP BY indicator_code),
        excess AS (SELECT indicator_code, sum(excess) AS programmes FROM umbrellas GROUP BY indicator_code)
        SELECT r.indicator_code, count(*) AS orgs, sum(r.value) AS value, median(r.value) AS median,
               CASE WHEN $v_min <= 1 THEN max(r.value) ELSE avg(r.value) END AS largest,
               coalesce(any_value(s.shared), 0) AS shared, coalesce(any_value(x.programmes), 0) AS programmes
        FROM reached r LEFT JOIN shared s USING (indicator_code) LEFT JOIN excess x USING (indicator_code)
        GROUP BY r.indicator_code HAVING count(*) >= $v_min
        ORDER BY r.indicator_code
        """,
        run=run_id,
        period=period,
        start=start,
        end=end,
    )


def target_reporting(store: Store, viewer: Viewer, run_id: int, period: str) -> pl.DataFrame:
    """goal, target (null on a goal's own row), orgs — the distinct organisations reporting at least one
    indicator mapped to the target (the goal) in ``period``, with the run's framework's SDG targets."""
    return query(
        store,
        viewer,
        f"""
        WITH {_REACHED},
        indicators AS (
            SELECT unnest(from_json(framework::JSON -> 'indicators', '["JSON"]')) AS i
            FROM score_runs WHERE id = $run
        ),
        targets AS (
            SELECT i ->> 'code' AS indicator_code, unnest(from_json(i -> 'sdg', '["VARCHAR"]')) AS target
            FROM indicators
        ),
        mapped AS (
            SELECT TRY_CAST(split_part(t.target, '.', 1) AS INTEGER) AS goal, t.target, r.org_code
            FROM targets t JOIN reached r ON r.indicator_code = t.indicator_code
        )
        SELECT goal, target, count(DISTINCT org_code) AS orgs
        FROM mapped
        GROUP BY GROUPING SETS ((goal, target), (goal))
        HAVING count(DISTINCT org_code) >= $v_min
        ORDER BY goal, target NULLS FIRST
        """,
        run=run_id,
        period=period,
    )
