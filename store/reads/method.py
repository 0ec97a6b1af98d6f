"""Reads of the method card: the run, the organisation's scores, indicator values and trends, all scoped.

The card is built from these reads only (``metrics.method_card.build_card``): every frame passes
the same predicates as every page read (``store.scope``) — the organisation must be visible, the
principle and period in scope, an indicator outside a link's principles (or a ratio input it
withholds) never comes back, and a trend only to a viewer whose periods are not narrowed. A pinned
link reads its own run whatever run is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from store.db import Store
from store.reads.common import indicators_in_scope
from store.reads.fragments import RUN_COLUMNS, name_sql, run_row
from store.reads.profile import submitted_values
from store.scope import approved_score, indicator_ok, period_ok, principle_ok, query, trends_ok, visible
from store.scores import INDICATOR_COLUMNS, SCORE_COLUMNS, TREND_COLUMNS
from store.viewer import Viewer


@dataclass(frozen=True)
class CardReads:
    """What one method card may show its viewer, as plain frames and dicts (no score is computed here)."""

    org_code: str
    period: str
    #: ``None``: the composite.
    principle: str | None
    #: The run's header (:func:`run_header`), its framework as recorded.
    run: dict[str, Any]
    org_name: str | None
    #: The organisation's score rows in ``period``, principles in scope (``store.scores.SCORE_COLUMNS``).
    scores: pl.DataFrame
    #: Its indicator values in ``period``, indicators in scope only.
    indicators: pl.DataFrame
    #: Its composite and principle trends; empty when the viewer's periods are narrowed.
    trends: pl.DataFrame
    #: The indicators in scope (``None``: every one); the card withholds the others.
    shown: frozenset[str] | None
    #: The organisation's explanations of its values within ``period`` (indicators in scope):
    #: indicator_code, period, the breakdown, value, explanation (``store.explanations``).
    explanations: pl.DataFrame | None = None
    #: The score rests on values not approved when the run was made (``score_provisional``).
    provisional: bool = False


def run_header(store: Store, viewer: Viewer, run_id: int) -> dict[str, Any] | None:
    """One recorded run (the pinned one for a pinned link): id, time, framework, granularity, method."""
    return run_row(query(store, viewer, f"SELECT {RUN_COLUMNS} FROM score_runs WHERE id = $run", run=run_id))


def card_reads(
    store: Store, viewer: Viewer, run_id: int, org_code: str, period: str, principle: str | None, lang: str
) -> CardReads | None:
    """What the method card of one score shows this viewer; ``None`` when the score is not the
    viewer's to see (organisation, principle or period out of scope) or the run does not exist."""
    allowed = query(
        store,
        viewer,
        f"SELECT {visible('$org')} AND {principle_ok('$principle')} AND {period_ok('$period')} AS ok",
        org=org_code,
        principle=principle,
        period=period,
    ).item()
    run = run_header(store, viewer, run_id) if allowed else None
    if run is None:
        return None
    params = {"run": run["id"], "org": org_code}
    scores = query(
        store,
        viewer,
        f"""
        SELECT {", ".join(SCORE_COLUMNS)} FROM scores
        WHERE run_id = $run AND org_code = $org AND period = $period AND {visible("org_code")}
          AND {principle_ok("principle")} AND {period_ok("period")} AND {approved_score("scores.org_code", "scores.period")}
        ORDER BY principle NULLS LAST
        """,
        period=period,
        **params,
    )
    indicators = query(
        store,
        viewer,
        f"""
        SELECT {", ".join(INDICATOR_COLUMNS)} FROM score_indicators
        WHERE run_id = $run AND org_code = $org AND period = $period AND {visible("org_code")}
          AND {period_ok("period")} AND {indicator_ok("indicator_code")}
        ORDER BY indicator_code
        """,
        period=period,
        **params,
    )
    trends = query(
        store,
        viewer,
        f"""
        SELECT {", ".join(TREND_COLUMNS)} FROM score_trends
        WHERE run_id = $run AND org_code = $org AND indicator_code IS NULL AND {visible("org_code")}
          AND {principle_ok("principle")} AND {trends_ok()}
        ORDER BY principle NULLS LAST
        """,
        **params,
    )
    name = query(
        store,
        viewer,
        f"SELECT {name_sql(lang)} AS name FROM organizations WHERE code = $org AND {visible('code')}",
        org=org_code,
    )
    shown = indicators_in_scope(store, viewer, run["id"])
    return CardReads(
        org_code=org_code,
        period=period,
        principle=principle,
        run=run,
        org_name=None if name.is_empty() else name.item(),
        scores=scores,
        indicators=indicators,
        trends=trends,
        shown=None if shown is None else frozenset(shown),
        explanations=_explained(store, viewer, run["id"], org_code, period),
        provisional=bool(store.scalar(
            "SELECT count(*) FROM score_provisional WHERE run_id = ? AND org_code = ? AND period = ?",
            [run["id"], org_code, period])),
    )


def _explained(store: Store, viewer: Viewer, run_id: int, org_code: str, period: str) -> pl.DataFrame | None:
    values = submitted_values(store, viewer, run_id, org_code, period)
    if values.is_empty():
        return None
    return values.filter(pl.col("explanation").is_not_null()).drop("source", "notes")
