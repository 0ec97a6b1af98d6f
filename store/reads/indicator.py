"""Reads of the Indicator page: the network's series of one indicator and its breakdowns.

Both reads apply the small-cell rule their result needs (``SUPPRESSION``; the rule is
``framework.disclosure``) for every viewer but the steering committee before the result leaves the
store, so no page, export or other door of a member or funder ever holds a hidden value. Neither
returns an organisation's value: only counts of organisations, quartiles and sums over the
organisations the viewer may aggregate.
"""

from __future__ import annotations

import polars as pl

from framework.disclosure import disclosed
from framework.periods import usable_granularities
from framework.vocabulary import BREAKDOWN_COLUMNS
from store.db import Store
from store.scope import aggregable, indicator_ok, observations_sql, period_ok, query
from store.viewer import Viewer

#: The rule each read's result goes through for a non-committee viewer (``framework.disclosure``).
SUPPRESSION: dict[str, str] = {
    "network_series": "aggregates:q1,median,q3,total,mean,weighted,ratio,yes",
    "breakdown_cells": "cells",
}

#: A stored period's label at the run's granularity, from its start date.
_RUN_PERIOD = {
    "year": "strftime(period_start, '%Y')",
    "semester": "strftime(period_start, '%Y') || '-S' || (CASE WHEN month(period_start) <= 6 THEN 1 ELSE 2 END)",
    "quarter": "strftime(period_start, '%Y') || '-Q' || quarter(period_start)",
    "month": "strftime(period_start, '%Y-%m')",
}
_GRANULARITY_RANK = "CASE granularity WHEN 'year' THEN 0 WHEN 'semester' THEN 1 WHEN 'quarter' THEN 2 ELSE 3 END"


def network_series(
    store: Store,
    viewer: Viewer,
    run_id: int,
    indicator_code: str,
    weight_by: str | None = None,
    numerator: str | None = None,
    denominator: str | None = None,
) -> pl.DataFrame:
    """Per period of the run: organisations reporting (``n``), quartiles, and the network
    aggregates of each rule (sum, mean, mean weighted by ``weight_by``, Σ numerator / Σ denominator)
    and ``yes``, the organisations answering yes (of a yes/no indicator, whose ``mean`` is the share
    of yes); the page shows the one the indicator's aggregation calls for."""
    series = query(
        store,
        viewer,
        f"""
        WITH v AS (
            SELECT org_code, period, indicator_code, value FROM score_indicators
            WHERE run_id = $run AND indicator_code IN ($indicator, $weight_by, $numerator, $denominator)
              AND {aggregable("org_code")} AND {period_ok("period")} AND {indicator_ok("indicator_code")}
        ),
        x AS (
            SELECT a.period, a.org_code, a.value, w.value AS weight, nu.value AS num, de.value AS den
            FROM v a
            LEFT JOIN v w ON w.org_code = a.org_code AND w.period = a.period AND w.indicator_code = $weight_by
            LEFT JOIN v nu ON nu.org_code = a.org_code AND nu.period = a.period AND nu.indicator_code = $numerator
            LEFT JOIN v de ON de.org_code = a.org_code AND de.period = a.period AND de.indicator_code = $denominator
            WHERE a.indicator_code = $indicator
        )
        SELECT period, count(*) AS n, quantile_cont(value, 0.25) AS q1, median(value) AS median,
               quantile_cont(value, 0.75) AS q3, sum(value) AS total, avg(value) AS mean,
               sum(value * weight) / nullif(sum(weight) FILTER (WHERE value IS NOT NULL), 0) AS weighted,
               sum(num) / nullif(sum(den), 0) AS ratio, count(*) FILTER (WHERE value = 1) AS yes
        FROM x GROUP BY period ORDER BY period
        """,
        run=run_id,
        indicator=indicator_code,
        weight_by=weight_by,
        numerator=numerator,
        denominator=denominator,
    )
    return disclosed(SUPPRESSION["network_series"], series, steering=viewer.role == "steering")


def breakdown_cells(
    store: Store, viewer: Viewer, run_id: int, indicator_code: str, granularity: str, time_rule: str
) -> pl.DataFrame:
    """People by breakdown value, per period of the run: one row per cell and one total per breakdown.

    Columns: period, dimension (``sex``…), category (``F``; null on the breakdown's total row),
    people (Σ over organisations), orgs (organisations contributing). Each organisation's own
    figure for a period follows the indicator's time rule (``sum`` over sub-periods, ``last``:
    the latest, ``max``, else the mean) from its coarsest reported granularity, and from its
    simplest breakdown (rows by sex alone rather than by sex and area), so no one counts twice
    within an organisation. Counts only: a rate's breakdown does not add up.
    """
    label = _RUN_PERIOD[granularity]
    dims = ", ".join(BREAKDOWN_COLUMNS)
    depth = " + ".join(f"({c} IS NOT NULL)::INT" for c in BREAKDOWN_COLUMNS)
    per_org = {
        "sum": "sum(v)",
        "last": "arg_max(v, period_end)",
        "max": "max(v)",
    }.get(time_rule, "avg(v)")
    # One row per breakdown value given (DuckDB's UNPIVOT, spelt out: one SQL text for both backends).
    long = " UNION ALL ".join(
        f"SELECT org_code, rp, granularity, period_end, value, depth, g_rank, '{c}' AS dimension, {c} AS category "
        f"FROM o WHERE depth > 0 AND {c} IS NOT NULL" for c in BREAKDOWN_COLUMNS)
    cells = query(
        store,
        viewer,
        f"""
        WITH o AS (
            SELECT org_code, {label} AS rp, granularity, period_end, value, {dims}, {depth} AS depth,
                   {_GRANULARITY_RANK} AS g_rank
            FROM {observations_sql(viewer)} AS src
            WHERE indicator_code = $indicator AND list_contains($usable::VARCHAR[], granularity)
              AND {aggregable("org_code")} AND {period_ok("src.period")} AND {indicator_ok("indicator_code")}
        ),
        long AS ({long}),
        simplest AS (
            SELECT *, min(depth) OVER w AS min_depth, min(g_rank) OVER w AS min_rank FROM long
            WINDOW w AS (PARTITION BY org_code, rp, dimension)
        ),
        sub AS (
            SELECT org_code, rp, dimension, category, period_end, sum(value) AS v FROM simplest
            WHERE depth = min_depth AND g_rank = min_rank
            GROUP BY org_code, rp, dimension, category, period_end
        ),
        per_org AS (
            SELECT org_code, rp, dimension, category, {per_org} AS v FROM sub
            GROUP BY org_code, rp, dimension, category
        )
        SELECT rp AS period, dimension, category, sum(v) AS people, count(DISTINCT org_code) AS orgs
        FROM per_org
        GROUP BY GROUPING SETS ((rp, dimension, category), (rp, dimension))
        ORDER BY period, dimension, category NULLS LAST
        """,
        run=run_id,
        indicator=indicator_code,
        usable=usable_granularities(granularity),
    )
    return disclosed(SUPPRESSION["breakdown_cells"], cells, steering=viewer.role == "steering")
