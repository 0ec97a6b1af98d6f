"""Reads of the what-if weights panel (issue 14): the stored principle scores a simulation starts from.

Scores are read, never computed here (``metrics.whatif`` recomputes the composite). The network a
viewer's simulation ranks against follows the scope rules of ``store.scope``:

- steering: every organisation of the run, by code;
- funder: the link's organisations, and only when the link has every principle (the composite
  needs all of them: otherwise no row at all);
- member: every organisation that may enter an aggregate, but only its own under its code — the
  others under an opaque number (``#1``, ``#2``…, in an order that says nothing about them), and only
  when at least ``$v_min`` organisations are scored in the period. The page shows the member its own
  simulated composite and rank, never a row of another organisation.
"""

from __future__ import annotations

import polars as pl

from store.db import Store
from store.scope import aggregable, approved_score, period_ok, query, visible
from store.viewer import Viewer


def principle_scores(store: Store, viewer: Viewer, run_id: int, period: str) -> pl.DataFrame:
    """unit, own (the viewer may see this organisation), principle, score (0–100, null = insufficient
    data), coverage — every principle row of the organisations the viewer's simulation ranks among."""
    return query(
        store,
        viewer,
        f"""
        WITH s AS (
            SELECT org_code, principle, score, coverage FROM scores
            WHERE run_id = $run AND period = $period AND principle IS NOT NULL AND $v_all_principles
              AND ({visible("org_code")} OR {aggregable("org_code")}) AND {period_ok("period")}
              AND {approved_score("scores.org_code", "scores.period")}
        ),
        n AS (SELECT count(DISTINCT org_code) AS orgs FROM s)
        SELECT CASE WHEN {visible("s.org_code")} THEN s.org_code
                    ELSE '#' || dense_rank() OVER (ORDER BY md5(s.org_code || $run::VARCHAR)) END AS unit,
               {visible("s.org_code")} AS own, s.principle, s.score, s.coverage
        FROM s, n WHERE n.orgs >= $v_min
        ORDER BY own DESC, unit, s.principle
        """,
        run=run_id,
        period=period,
    )


def published_composite(store: Store, viewer: Viewer, run_id: int, period: str) -> pl.DataFrame:
    """unit, score, nominal_rank, median_rank, rank_p05, rank_p95, ranked_count: the stored composite
    of the organisations the viewer may see one by one (what the simulation is set beside)."""
    return query(
        store,
        viewer,
        f"""
        SELECT org_code AS unit, score, nominal_rank, median_rank, rank_p05, rank_p95, ranked_count
        FROM scores
        WHERE run_id = $run AND period = $period AND principle IS NULL AND $v_all_principles
          AND {visible("org_code")} AND {period_ok("period")} AND {approved_score("scores.org_code", "scores.period")}
        ORDER BY org_code
        """,
        run=run_id,
        period=period,
    )
