"""The scope rules of every read, in one place: what a :class:`~store.viewer.Viewer` may see, as SQL.

The dashboard never receives a row its viewer may not see: each read of ``store.reads`` puts these
predicates in its WHERE clause (never a filter applied afterwards) and runs through :func:`query`,
which binds the viewer's parameters (:func:`scope_params`). The rules:

- *visible* (:func:`visible`): organisations the viewer may see one by one (steering: all; member:
  its own; funder: the link's);
- *aggregable* (:func:`aggregable`): organisations that may enter an aggregate (steering and
  members: all — members only ever get aggregates over at least ``Viewer.min_group`` of them,
  enforced by ``HAVING`` in each read; funders: the link's);
- *principle* and *period* (:func:`principle_ok`, :func:`period_ok`): the link's principles (the
  composite only when all are in scope) and periods; *trends* (:func:`trends_ok`) span many periods,
  so only a viewer whose periods are not narrowed reads them;
- *indicator* (:func:`indicator_ok`): with some principles only, the indicators that serve one of
  them (weights of the run's framework, :func:`shown_indicators`): a link for one principle shows no
  value of an indicator outside it. A ratio with an input outside the link shows alone: none of its
  inputs is shown, since the ratio and one input give the other (S02 budget = S01 cost per
  beneficiary × R01 beneficiaries; :func:`withheld_inputs`);
- *run*: a pinned link reads its run (``score_runs.id``) for everything — :func:`query` replaces
  any ``$run`` a page asks for — the values and submissions that run scored
  (``score_runs.submission_ids``, values as they stood when it ran: :func:`observations_sql`,
  :func:`run_submission`), its framework — never a file loaded or a framework recorded later.

Scores are always read from the latest recorded run (or the pinned one); nothing here computes a score.
"""

from __future__ import annotations

import json
import re
from typing import Any

import polars as pl

from framework.vocabulary import BREAKDOWN_COLUMNS
from store.db import Store
from store.viewer import Viewer

#: A ``$name`` parameter of a statement.
SQL_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def scope_params(viewer: Viewer) -> dict[str, Any]:
    """The viewer's scope as the ``$v_*`` parameters the predicates below refer to."""
    return {
        "v_all": viewer.sees_every_org,
        "v_orgs": list(viewer.visible_orgs),
        "v_agg_all": viewer.aggregates_whole_network,
        "v_min": viewer.min_group,
        "v_all_principles": viewer.principles is None,
        "v_principles": list(viewer.principles or ()),
        "v_all_periods": viewer.periods is None,
        "v_periods": list(viewer.periods or ()),
        "v_run": viewer.pinned_run,
        "v_approved_only": viewer.approved_only,
    }


def visible(column: str) -> str:
    """The organisation in ``column`` may be seen one by one by this viewer."""
    return f"($v_all OR list_contains($v_orgs::VARCHAR[], {column}))"


def aggregable(column: str) -> str:
    """The organisation in ``column`` may enter an aggregate (each read also keeps ``HAVING count >= $v_min``)."""
    return f"($v_agg_all OR list_contains($v_orgs::VARCHAR[], {column}))"


def principle_ok(column: str) -> str:
    """A NULL principle is the composite: in scope only when every principle is."""
    return f"($v_all_principles OR list_contains($v_principles::VARCHAR[], {column}))"


def period_ok(column: str) -> str:
    """A link's period ``2024`` covers the run's ``2024`` and the observations' ``2024-Q1``."""
    return (
        f"($v_all_periods OR list_contains($v_periods::VARCHAR[], {column}) "
        f"OR list_contains($v_periods::VARCHAR[], left({column}, 4)))"
    )


def approved_score(org_column: str, period_column: str) -> str:
    """A score of run ``$run`` a funder may read: not resting on values unapproved when it ran
    (``score_provisional``), unless its link allows provisional values (issue 13). Give the columns
    qualified (``scores.org_code``, ``s.period``): bare names would bind to the subquery's own table."""
    return (f"(NOT $v_approved_only OR NOT EXISTS (SELECT 1 FROM score_provisional sp WHERE sp.run_id = $run "
            f"AND sp.org_code = {org_column} AND sp.period = {period_column}))")


def notes_shown(viewer: Viewer) -> bool:
    """A member's free-text ``notes`` are for itself and the committee, never a funder's link (the
    ``source`` it cites is evidence, shown to every viewer of the value)."""
    return viewer.role != "funder"


def trends_ok() -> str:
    """Trends span many periods (up to the run's last): only for viewers whose periods are not narrowed.

    A link limited to 2024 must not learn from a slope or a persistence computed with 2025.
    """
    return "$v_all_periods"


def indicator_ok(column: str) -> str:
    """An indicator is in scope when it serves a principle in scope (every one when all principles are).

    ``$v_indicators`` is read from the run's own framework (its weights), see :func:`query`.
    """
    return f"($v_all_principles OR list_contains($v_indicators::VARCHAR[], {column}))"


#: The submissions the pinned run scored (NULL when the viewer is not pinned).
_RUN_SUBMISSIONS = "(SELECT submission_ids FROM score_runs WHERE id = $v_run)"


def run_submission(column: str) -> str:
    """A submission is in scope unpinned, or pinned when the pinned run scored its values."""
    return f"($v_run IS NULL OR list_contains({_RUN_SUBMISSIONS}, {column}))"


#: The columns of ``observations`` but its validity (``valid_to``, ``superseded_by``), named one by one:
#: one SQL text for DuckDB and PostgreSQL (DuckDB's ``o.* EXCLUDE (…)`` is not PostgreSQL's).
_OBSERVED = ", ".join(f"o.{c}" for c in (
    "submission_id", "line", "org_code", "indicator_code", "period", "granularity", "period_start", "period_end",
    "value", "unit", *BREAKDOWN_COLUMNS, "source", "notes", "valid_from"))


def observations_sql(viewer: Viewer) -> str:
    """The stored values a viewer reads, with the columns of ``observations_current``.

    Unpinned: the current values (the view itself). Pinned to a run: the values that run used —
    those of the submissions it scored, as they stood when it ran (not yet closed by a correction
    at the run's time). A file loaded after the run, or a correction it brought, is not the pinned
    link's to see.

    A funder reads approved values only (``Viewer.approved_only``, issue 13): unpinned, the latest
    approved value of each key (a correction waiting for review leaves the approved value shown);
    pinned, the values of the run's approved submissions. A link with ``include_provisional`` reads
    what the others read, and its pages say so.
    """
    if viewer.pinned_run is None:
        return _APPROVED_CURRENT if viewer.approved_only else "observations_current"
    approved = "approved_submission_ids" if viewer.approved_only else "submission_ids"
    return f"""(
        SELECT {_OBSERVED} FROM observations o JOIN score_runs r ON r.id = $v_run
        WHERE list_contains(coalesce(r.{approved}, r.submission_ids), o.submission_id)
          AND (o.valid_to IS NULL OR o.valid_to > r.created_at)
    )"""


#: The latest approved value of each key, with the columns of ``observations_current``.
_APPROVED_CURRENT = f"""(
    SELECT {_OBSERVED} FROM (
        SELECT o.*, row_number() OVER (
            PARTITION BY {", ".join(("org_code", "indicator_code", "period", *BREAKDOWN_COLUMNS))}
            ORDER BY o.valid_from DESC, o.submission_id DESC) AS latest
        FROM observations o
        WHERE o.submission_id IN (SELECT id FROM submissions WHERE review_status = 'approved')
    ) AS o WHERE o.latest = 1
)"""


def shown_indicators(store: Store, viewer: Viewer, run_id: int | None) -> list[str]:
    """Indicators with a weight on one of the viewer's principles, in the framework of ``run_id``,
    less the inputs of a ratio that has an input outside them (:func:`withheld_inputs`)."""
    if viewer.principles is None or run_id is None:
        return []
    frame = store.query("SELECT framework FROM score_runs WHERE id = ?", [run_id])
    if frame.is_empty():
        return []
    allowed = set(viewer.principles)
    indicators = json.loads(frame.item()).get("indicators", [])
    serving = {i["code"] for i in indicators if allowed & set(i.get("weights") or {})}
    return sorted(serving - withheld_inputs(indicators, serving))


def withheld_inputs(indicators: list[dict[str, Any]], serving: set[str]) -> set[str]:
    """Inputs of a shown ratio that would reveal a hidden one: such a ratio is shown alone.

    numerator = ratio × denominator and denominator = numerator / ratio: with one input hidden,
    showing the other gives it back. Withholding an input may expose another ratio's input in
    turn, hence the loop to a fixed point (it ends: the withheld set only grows).
    """
    ratios = [
        (i["code"], {i.get("numerator"), i.get("denominator")} - {None})
        for i in indicators
        if i.get("aggregation") == "ratio"
    ]
    withheld: set[str] = set()
    while True:
        shown = serving - withheld
        more = {
            code
            for ratio, inputs in ratios
            if ratio in shown and not inputs <= shown
            for code in inputs & shown
        }
        if not more:
            return withheld
        withheld |= more


def query(store: Store, viewer: Viewer, sql: str, **params: Any) -> pl.DataFrame:
    """Run ``sql`` with the viewer's scope parameters (only those the statement uses)."""
    if "run" in params and viewer.pinned_run is not None:
        params["run"] = viewer.pinned_run  # a pinned link reads its run, whatever a page asks for
    names = set(SQL_PARAM.findall(sql))
    available = {**scope_params(viewer), **params}
    if "v_indicators" in names:
        available["v_indicators"] = shown_indicators(store, viewer, params.get("run"))
    used = {name: available[name] for name in names}
    return store.query(sql, used)
