"""Every read the dashboard does, each taking a :class:`~store.viewer.Viewer` and scoping in SQL.

The dashboard never receives a row its viewer may not see: the scope is part of each query's
WHERE clause, not a filter applied afterwards. Three predicates carry it:

- *visible*: organisations the viewer may see one by one (steering: all; member: its own;
  funder: the link's);
- *aggregable*: organisations that may enter an aggregate (steering and members: all — members
  only ever get aggregates over at least ``Viewer.min_group`` of them, enforced by ``HAVING``;
  funders: the link's);
- *principle* and *period*: the link's principles (the composite only when all are in scope) and
  periods;
- *indicator*: with some principles only, the indicators that serve one of them (weights of the
  run's framework): a link for one principle shows no value of an indicator outside it. A ratio
  with an input outside the link shows alone: none of its inputs is shown, since the ratio and
  one input give the other (S02 budget = S01 cost per beneficiary × R01 beneficiaries);
- *run*: a pinned link reads its run (``score_runs.id``) for everything — scores, the values and
  submissions that run scored (``score_runs.submission_ids``, values as they stood when it ran,
  see :func:`_observations`), its framework — never a file loaded or a framework recorded later.

Scores are always read from the latest recorded run (or the pinned one); nothing here computes a score.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import polars as pl

from framework.groups import GROUPS, MIN_GROUP, GroupBy
from framework.model import BREAKDOWN_COLUMNS
from store.db import Store
from store.viewer import Viewer

_NAME_COLUMN = {"fr": "name_fr", "ar": "name_ar", "en": "name_en"}
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
BREAKDOWN_KEYS = BREAKDOWN_COLUMNS  # the framework's breakdown columns, one definition


# -- scope predicates ------------------------------------------------------------------------
def _scope_params(viewer: Viewer) -> dict[str, Any]:
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
    }


def _visible(column: str) -> str:
    return f"($v_all OR list_contains($v_orgs::VARCHAR[], {column}))"


def _aggregable(column: str) -> str:
    return f"($v_agg_all OR list_contains($v_orgs::VARCHAR[], {column}))"


def _principle_ok(column: str) -> str:
    """A NULL principle is the composite: in scope only when every principle is."""
    return f"($v_all_principles OR list_contains($v_principles::VARCHAR[], {column}))"


def _period_ok(column: str) -> str:
    """A link's period ``2024`` covers the run's ``2024`` and the observations' ``2024-Q1``."""
    return (
        f"($v_all_periods OR list_contains($v_periods::VARCHAR[], {column}) "
        f"OR list_contains($v_periods::VARCHAR[], left({column}, 4)))"
    )


#: The submissions the pinned run scored (NULL when the viewer is not pinned).
_RUN_SUBMISSIONS = "(SELECT submission_ids FROM score_runs WHERE id = $v_run)"


def _run_submission(column: str) -> str:
    """A submission is in scope unpinned, or pinned when the pinned run scored its values."""
    return f"($v_run IS NULL OR list_contains({_RUN_SUBMISSIONS}, {column}))"


def _observations(viewer: Viewer) -> str:
    """The stored values a viewer reads, with the columns of ``observations_current``.

    Unpinned: the current values (the view itself). Pinned to a run: the values that run used —
    those of the submissions it scored, as they stood when it ran (not yet closed by a correction
    at the run's time). A file loaded after the run, or a correction it brought, is not the pinned
    link's to see.
    """
    if viewer.pinned_run is None:
        return "observations_current"
    return """(
        SELECT o.* EXCLUDE (valid_to, superseded_by) FROM observations o JOIN score_runs r ON r.id = $v_run
        WHERE list_contains(r.submission_ids, o.submission_id) AND (o.valid_to IS NULL OR o.valid_to > r.created_at)
    )"""


def _trends_ok() -> str:
    """Trends span many periods (up to the run's last): only for viewers whose periods are not narrowed.

    A link limited to 2024 must not learn from a slope or a persistence computed with 2025.
    """
    return "$v_all_periods"


def _indicator_ok(column: str) -> str:
    """An indicator is in scope when it serves a principle in scope (every one when all principles are).

    ``$v_indicators`` is read from the run's own framework (its weights), see :func:`_query`.
    """
    return f"($v_all_principles OR list_contains($v_indicators::VARCHAR[], {column}))"


def _indicators_in_scope(store: Store, viewer: Viewer, run_id: int | None) -> list[str]:
    """Indicators with a weight on one of the viewer's principles, in the framework of ``run_id``,
    less the inputs of a ratio that has an input outside them (:func:`_withheld_inputs`)."""
    if viewer.principles is None or run_id is None:
        return []
    frame = store.query("SELECT framework FROM score_runs WHERE id = ?", [run_id])
    if frame.is_empty():
        return []
    allowed = set(viewer.principles)
    indicators = json.loads(frame.item()).get("indicators", [])
    serving = {i["code"] for i in indicators if allowed & set(i.get("weights") or {})}
    return sorted(serving - _withheld_inputs(indicators, serving))


def _withheld_inputs(indicators: list[dict[str, Any]], serving: set[str]) -> set[str]:
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


def indicators_in_scope(store: Store, viewer: Viewer, run_id: int) -> list[str] | None:
    """The indicators of the run this viewer may see (``None``: every one), as every read applies it."""
    if viewer.principles is None:
        return None
    return _indicators_in_scope(store, viewer, viewer.pinned_run or run_id)


def _query(store: Store, viewer: Viewer, sql: str, **params: Any) -> pl.DataFrame:
    """Run ``sql`` with the viewer's scope parameters (only those the statement uses)."""
    if "run" in params and viewer.pinned_run is not None:
        params["run"] = viewer.pinned_run  # a pinned link reads its run, whatever a page asks for
    names = set(_PARAM.findall(sql))
    available = {**_scope_params(viewer), **params}
    if "v_indicators" in names:
        available["v_indicators"] = _indicators_in_scope(store, viewer, params.get("run"))
    used = {name: available[name] for name in names}
    return store.query(sql, used)


def _name(lang: str, table: str | None = None) -> str:
    """The organisation name in ``lang`` (French when missing), of ``table`` when given."""
    prefix = f"{table}." if table else ""
    column = _NAME_COLUMN.get(lang, "name_fr")
    return f"coalesce({prefix}{column}, {prefix}name_fr)"


def _memberships(by: GroupBy, where: str) -> str:
    """org_code, group_value for one grouping of the organisations passing ``where``."""
    if by == "network":
        return f"SELECT code AS org_code, 'all' AS group_value FROM organizations WHERE active AND {where}"
    if by == "thematic_area":
        return (
            "SELECT DISTINCT org_code, group_value FROM (SELECT code AS org_code, "
            f"unnest(thematic_areas) AS group_value FROM organizations WHERE active AND {where}) "
            "WHERE group_value IS NOT NULL AND trim(group_value) <> ''"
        )
    if by not in ("region", "kind", "size_band"):
        raise ValueError(f"unknown grouping {by!r}")
    return (
        f"SELECT code AS org_code, {by} AS group_value FROM organizations "
        f"WHERE active AND {where} AND {by} IS NOT NULL AND trim({by}) <> ''"
    )


# -- versions and the run --------------------------------------------------------------------
def data_version(store: Store, viewer: Viewer) -> tuple:
    """Changes whenever anything a page shows may have changed (part of every cache key).

    A pinned link's pages change with its run and the registry only: a later file is no part of it.
    """
    row = _query(
        store,
        viewer,
        """
        SELECT (SELECT coalesce(max(id), 0) FROM submissions WHERE $v_run IS NULL) AS submission,
               (SELECT count(*) FROM submissions WHERE $v_run IS NULL) AS submissions,
               (SELECT coalesce(max(id), 0) FROM score_runs WHERE $v_run IS NULL OR id = $v_run) AS run,
               (SELECT coalesce(max(created_at)::VARCHAR, '') FROM framework_versions WHERE $v_run IS NULL) AS framework,
               (SELECT coalesce(max(updated_at)::VARCHAR, '') FROM organizations) AS orgs
        """,
    ).row(0)
    return tuple(row)


def latest_run(store: Store, viewer: Viewer) -> dict[str, Any] | None:
    """The run every page reads: id, time, framework (content and hash), granularity, method."""
    frame = _query(
        store,
        viewer,
        "SELECT id, created_at, framework_hash, framework, granularity, method, org_count, period_count "
        "FROM score_runs WHERE $v_run IS NULL OR id = $v_run ORDER BY id DESC LIMIT 1",
    )
    if frame.is_empty():
        return None
    row = frame.row(0, named=True)
    row["framework"] = json.loads(row["framework"])
    row["method"] = json.loads(row["method"])
    return row


def framework_in_use(store: Store, viewer: Viewer) -> dict[str, Any] | None:
    """The latest recorded framework version (what uploads are checked against); a pinned link's run's."""
    frame = _query(
        store,
        viewer,
        """
        SELECT hash, created_at, source, content FROM (
            SELECT hash, created_at, source, content FROM framework_versions WHERE $v_run IS NULL
            UNION ALL
            SELECT framework_hash, created_at, 'score_runs:' || id, framework FROM score_runs WHERE id = $v_run
        ) ORDER BY created_at DESC, hash LIMIT 1
        """,
    )
    if frame.is_empty():
        return None
    row = frame.row(0, named=True)
    row["content"] = json.loads(row["content"])
    return row


def framework_versions(store: Store, viewer: Viewer) -> pl.DataFrame:
    """Every recorded framework version, newest first (steering only)."""
    return _query(
        store,
        viewer,
        "SELECT hash, created_at, source FROM framework_versions WHERE $v_all ORDER BY created_at DESC, hash",
    )


def run_periods(store: Store, viewer: Viewer, run_id: int) -> list[str]:
    frame = _query(
        store,
        viewer,
        f"SELECT DISTINCT period FROM scores WHERE run_id = $run AND {_period_ok('period')} ORDER BY period",
        run=run_id,
    )
    return frame.get_column("period").to_list()


# -- organisations ---------------------------------------------------------------------------
def organisations(store: Store, viewer: Viewer, lang: str) -> pl.DataFrame:
    """The active organisations this viewer may see: code, name, kind, region, size band, themes."""
    return _query(
        store,
        viewer,
        f"""
        SELECT code AS org_code, {_name(lang)} AS name, kind, region, size_band, thematic_areas
        FROM organizations WHERE active AND {_visible("code")} ORDER BY code
        """,
    )


def can_see_org(store: Store, viewer: Viewer, org_code: str) -> bool:
    return bool(
        _query(
            store,
            viewer,
            f"SELECT count(*) AS n FROM organizations WHERE code = $org AND {_visible('code')}",
            org=org_code,
        ).item()
    )


# -- overview --------------------------------------------------------------------------------
def network_summary(
    store: Store, viewer: Viewer, run_id: int, period: str, beneficiaries: str | None
) -> dict[str, Any]:
    """Organisations, those scored in ``period``, people reached (the ``beneficiaries`` indicator) and regions."""
    row = _query(
        store,
        viewer,
        f"""
        WITH orgs AS (SELECT code, region FROM organizations WHERE active AND {_aggregable("code")}),
        scored AS (SELECT org_code, score FROM scores
                   WHERE run_id = $run AND period = $period AND principle IS NULL AND {_aggregable("org_code")}
                     AND {_period_ok("period")}),
        reached AS (SELECT org_code, value FROM score_indicators
                    WHERE run_id = $run AND period = $period AND indicator_code = $beneficiaries
                      AND {_aggregable("org_code")} AND {_period_ok("period")} AND {_indicator_ok("indicator_code")})
        SELECT (SELECT count(*) FROM orgs) AS organisations,
               (SELECT count(*) FROM scored) AS reporting,
               (SELECT count(score) FROM scored) AS scored,
               (SELECT sum(value) FROM reached) AS beneficiaries,
               (SELECT count(*) FROM reached) AS beneficiaries_orgs,
               (SELECT count(DISTINCT region) FROM orgs JOIN scored ON scored.org_code = orgs.code) AS regions
        """,
        run=run_id,
        period=period,
        beneficiaries=beneficiaries,
    ).row(0, named=True)
    if row["organisations"] < viewer.min_group:
        return {key: None for key in row}
    if (row["beneficiaries_orgs"] or 0) < viewer.min_group:
        row["beneficiaries"] = None
    return row


def _status_sql(viewer_filter: str, lang: str) -> str:
    return f"""
        WITH o AS (SELECT code, {_name(lang)} AS name FROM organizations WHERE active AND {viewer_filter}),
        c AS (SELECT org_code, timeliness_days FROM scores
              WHERE run_id = $run AND period = $period AND principle IS NULL AND {_period_ok("period")})
        SELECT o.code AS org_code, o.name, c.timeliness_days,
               CASE WHEN c.org_code IS NULL THEN 'missing'
                    WHEN c.timeliness_days IS NULL OR c.timeliness_days <= $deadline THEN 'on_time'
                    ELSE 'late' END AS status
        FROM o LEFT JOIN c ON c.org_code = o.code
    """


def submission_status(
    store: Store, viewer: Viewer, run_id: int, period: str, deadline_days: float, lang: str = "fr"
) -> pl.DataFrame:
    """Per visible organisation: on time / late / missing for ``period`` (median days after its end)."""
    return _query(
        store,
        viewer,
        _status_sql(_visible("code"), lang) + " ORDER BY status DESC, o.code",
        run=run_id,
        period=period,
        deadline=deadline_days,
    )


def submission_status_counts(
    store: Store, viewer: Viewer, run_id: int, period: str, deadline_days: float
) -> dict[str, int] | None:
    """How many organisations are on time, late and missing (``None`` when the group is too small)."""
    frame = _query(
        store,
        viewer,
        f"SELECT status, count(*) AS n FROM ({_status_sql(_aggregable('code'), 'fr')}) GROUP BY status",
        run=run_id,
        period=period,
        deadline=deadline_days,
    )
    counts = {"on_time": 0, "late": 0, "missing": 0, **dict(frame.iter_rows())}
    return counts if sum(counts.values()) >= viewer.min_group else None


def score_distribution(store: Store, viewer: Viewer, run_id: int, period: str) -> pl.DataFrame:
    """Per principle (NULL = composite): n, quartiles, mean; min and max only for non-members."""
    return _query(
        store,
        viewer,
        f"""
        SELECT principle, count(score) AS n, quantile_cont(score, 0.25) AS q1, median(score) AS median,
               quantile_cont(score, 0.75) AS q3, avg(score) AS mean,
               CASE WHEN $v_min <= 1 THEN min(score) END AS min,
               CASE WHEN $v_min <= 1 THEN max(score) END AS max,
               count(*) FILTER (WHERE status = 'insufficient_data') AS insufficient
        FROM scores
        WHERE run_id = $run AND period = $period AND {_aggregable("org_code")} AND {_principle_ok("principle")}
          AND {_period_ok("period")}
        GROUP BY principle HAVING count(score) >= $v_min
        ORDER BY principle NULLS LAST
        """,
        run=run_id,
        period=period,
    )


def score_histogram(
    store: Store, viewer: Viewer, run_id: int, period: str, principle: str | None, width: int = 10
) -> pl.DataFrame:
    """Organisations per score band of ``width`` points (counts only, never who)."""
    return _query(
        store,
        viewer,
        f"""
        SELECT bin, n FROM (
            SELECT least(floor(score / $width) * $width, 100 - $width) AS bin, count(*) AS n,
                   sum(count(*)) OVER () AS total
            FROM scores
            WHERE run_id = $run AND period = $period AND score IS NOT NULL
              AND principle IS NOT DISTINCT FROM $principle
              AND {_aggregable("org_code")} AND {_principle_ok("principle")} AND {_period_ok("period")}
            GROUP BY bin
        ) WHERE total >= $v_min ORDER BY bin
        """,
        run=run_id,
        period=period,
        principle=principle,
        width=width,
    )


def region_scores(
    store: Store, viewer: Viewer, run_id: int, period: str, principle: str | None
) -> pl.DataFrame:
    """Median score per region (regions with fewer organisations than the viewer's minimum are left out)."""
    return _query(
        store,
        viewer,
        f"""
        SELECT g.region, count(s.score) AS n, median(s.score) AS value
        FROM scores s JOIN organizations g ON g.code = s.org_code
        WHERE s.run_id = $run AND s.period = $period AND s.principle IS NOT DISTINCT FROM $principle
          AND s.score IS NOT NULL AND g.region IS NOT NULL
          AND {_aggregable("s.org_code")} AND {_principle_ok("s.principle")} AND {_period_ok("s.period")}
        GROUP BY g.region HAVING count(s.score) >= $v_min ORDER BY g.region
        """,
        run=run_id,
        period=period,
        principle=principle,
    )


def region_indicator(
    store: Store, viewer: Viewer, run_id: int, period: str, indicator_code: str, how: Literal["sum", "median"]
) -> pl.DataFrame:
    """An indicator per region: the sum over organisations (counts) or their median (rates)."""
    return _query(
        store,
        viewer,
        f"""
        SELECT g.region, count(*) AS n,
               CASE WHEN $how = 'sum' THEN sum(v.value) ELSE median(v.value) END AS value
        FROM score_indicators v JOIN organizations g ON g.code = v.org_code
        WHERE v.run_id = $run AND v.period = $period AND v.indicator_code = $indicator
          AND g.region IS NOT NULL AND {_aggregable("v.org_code")} AND {_period_ok("v.period")}
          AND {_indicator_ok("v.indicator_code")}
        GROUP BY g.region HAVING count(*) >= $v_min ORDER BY g.region
        """,
        run=run_id,
        period=period,
        indicator=indicator_code,
        how=how,
    )


def principle_changes(
    store: Store, viewer: Viewer, run_id: int, period: str, previous: str, band: float
) -> pl.DataFrame:
    """Per principle: median now and before, and how many organisations moved by more than ``band``."""
    return _query(
        store,
        viewer,
        f"""
        WITH s AS (
            SELECT org_code, period, principle, score FROM scores
            WHERE run_id = $run AND period IN ($period, $previous) AND score IS NOT NULL
              AND {_aggregable("org_code")} AND {_principle_ok("principle")} AND {_period_ok("period")}
        ),
        a AS (
            SELECT principle,
                   median(score) FILTER (WHERE period = $period) AS median_now,
                   count(*) FILTER (WHERE period = $period) AS n_now,
                   median(score) FILTER (WHERE period = $previous) AS median_before,
                   count(*) FILTER (WHERE period = $previous) AS n_before
            FROM s GROUP BY principle
        ),
        d AS (
            SELECT n.principle, n.score - b.score AS delta
            FROM s n JOIN s b ON b.org_code = n.org_code AND b.principle IS NOT DISTINCT FROM n.principle
            WHERE n.period = $period AND b.period = $previous
        ),
        c AS (
            SELECT principle, count(*) AS paired,
                   count(*) FILTER (WHERE delta > $band) AS improved,
                   count(*) FILTER (WHERE delta < -$band) AS declined
            FROM d GROUP BY principle
        )
        SELECT a.principle, a.median_now, a.median_before, a.median_now - a.median_before AS change,
               a.n_now, a.n_before, coalesce(c.paired, 0) AS paired,
               coalesce(c.improved, 0) AS improved, coalesce(c.declined, 0) AS declined
        FROM a LEFT JOIN c ON c.principle IS NOT DISTINCT FROM a.principle
        WHERE a.n_now >= $v_min AND a.n_before >= $v_min
        ORDER BY a.principle NULLS LAST
        """,
        run=run_id,
        period=period,
        previous=previous,
        band=band,
    )


def org_changes(
    store: Store, viewer: Viewer, run_id: int, period: str, previous: str, lang: str, limit: int = 10
) -> pl.DataFrame:
    """Visible organisations whose composite moved most between two periods."""
    return _query(
        store,
        viewer,
        f"""
        SELECT n.org_code, {_name(lang)} AS name, b.score AS before, n.score AS now, n.score - b.score AS change
        FROM scores n
        JOIN scores b ON b.run_id = n.run_id AND b.org_code = n.org_code AND b.principle IS NULL
                     AND b.period = $previous AND b.score IS NOT NULL
        JOIN organizations g ON g.code = n.org_code
        WHERE n.run_id = $run AND n.period = $period AND n.principle IS NULL AND n.score IS NOT NULL
          AND {_visible("n.org_code")} AND $v_all_principles AND {_period_ok("n.period")}
          AND {_period_ok("b.period")}
        ORDER BY abs(n.score - b.score) DESC, n.org_code LIMIT $limit
        """,
        run=run_id,
        period=period,
        previous=previous,
        limit=limit,
    )


# -- one organisation ------------------------------------------------------------------------
def org_scores(store: Store, viewer: Viewer, run_id: int, org_code: str) -> pl.DataFrame:
    """Every score row of one visible organisation in the run (all periods and principles)."""
    return _query(
        store,
        viewer,
        f"""
        SELECT period, principle, score, coverage, status, completeness, timeliness_days, consistency,
               consistency_flags, evidence, grade_completeness, grade_timeliness, grade_consistency,
               grade_evidence, grade, nominal_rank, median_rank, rank_p05, rank_p95, ranked_count
        FROM scores
        WHERE run_id = $run AND org_code = $org AND {_visible("org_code")}
          AND {_principle_ok("principle")} AND {_period_ok("period")}
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
        f"SELECT '{by}' AS grp, org_code, group_value FROM ({_memberships(by, _aggregable('code'))})"
        for by in GROUPS
    )
    return _query(
        store,
        viewer,
        f"""
        WITH m AS ({memberships}),
        s AS (SELECT org_code, principle, score FROM scores
              WHERE run_id = $run AND period = $period AND score IS NOT NULL AND {_principle_ok("principle")}
                AND {_period_ok("period")}),
        mine AS (SELECT grp, group_value FROM m WHERE org_code = $org),
        own AS (SELECT principle, score AS own FROM s WHERE org_code = $org AND {_visible("org_code")})
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
    return _query(
        store,
        viewer,
        f"""
        SELECT indicator_code, value, n_values, method, transformed, normalised, robust_z, flagged
        FROM score_indicators
        WHERE run_id = $run AND org_code = $org AND period = $period AND {_visible("org_code")}
          AND {_period_ok("period")} AND {_indicator_ok("indicator_code")}
        ORDER BY indicator_code
        """,
        run=run_id,
        org=org_code,
        period=period,
    )


def org_trends(store: Store, viewer: Viewer, run_id: int, org_code: str) -> pl.DataFrame:
    """Trend, persistence, sustained and progress of each series of one organisation."""
    return _query(
        store,
        viewer,
        f"""
        SELECT principle, indicator_code, last_period, n_periods, slope, trend, persistence, current_run,
               sustained, progress
        FROM score_trends
        WHERE run_id = $run AND org_code = $org AND {_visible("org_code")} AND {_trends_ok()}
          AND CASE WHEN indicator_code IS NULL THEN {_principle_ok("principle")}
                   ELSE {_indicator_ok("indicator_code")} END
        ORDER BY indicator_code NULLS FIRST, principle NULLS LAST
        """,
        run=run_id,
        org=org_code,
    )


def method_card(
    store: Store, viewer: Viewer, run_id: int, org_code: str, period: str, principle: str | None, lang: str
):
    """The method card of a score the viewer may see (``None`` otherwise or when there is none)."""
    from metrics.method_card import CardNotFound, load_card, withhold_indicators

    allowed = _query(
        store,
        viewer,
        f"SELECT {_visible('$org')} AND {_principle_ok('$principle')} AND {_period_ok('$period')} AS ok",
        org=org_code,
        principle=principle,
        period=period,
    ).item()
    if not allowed:
        return None
    run = viewer.pinned_run or run_id
    try:
        card = load_card(store, run, org_code, period, principle, lang)
    except CardNotFound:
        return None
    if viewer.principles is not None:  # the indicators every other read shows this viewer, no more
        card = withhold_indicators(card, frozenset(_indicators_in_scope(store, viewer, run)))
    if viewer.periods is not None and card.trend is not None:  # a trend spans periods beyond the scope
        import dataclasses

        card = dataclasses.replace(card, trend=None)
    return card


# -- comparisons -----------------------------------------------------------------------------
def period_scores(store: Store, viewer: Viewer, run_id: int, period: str, lang: str) -> pl.DataFrame:
    """Every score of the visible organisations in ``period``, with their peer-group attributes."""
    return _query(
        store,
        viewer,
        f"""
        SELECT s.org_code, {_name(lang)} AS name, g.kind, g.region, g.size_band, g.thematic_areas,
               s.principle, s.score, s.coverage, s.status, s.grade, s.nominal_rank, s.median_rank,
               s.rank_p05, s.rank_p95, s.ranked_count
        FROM scores s JOIN organizations g ON g.code = s.org_code
        WHERE s.run_id = $run AND s.period = $period AND {_visible("s.org_code")}
          AND {_principle_ok("s.principle")} AND {_period_ok("s.period")}
        ORDER BY s.org_code, s.principle NULLS LAST
        """,
        run=run_id,
        period=period,
    )


def group_scores(store: Store, viewer: Viewer, run_id: int, period: str, by: GroupBy) -> pl.DataFrame:
    """Per group of one grouping and per principle: n, quartiles (groups below the minimum left out)."""
    return _query(
        store,
        viewer,
        f"""
        WITH m AS ({_memberships(by, _aggregable("code"))})
        SELECT m.group_value, s.principle, count(s.score) AS n, quantile_cont(s.score, 0.25) AS q1,
               median(s.score) AS median, quantile_cont(s.score, 0.75) AS q3
        FROM m JOIN scores s ON s.org_code = m.org_code
        WHERE s.run_id = $run AND s.period = $period AND s.score IS NOT NULL AND {_principle_ok("s.principle")}
          AND {_period_ok("s.period")}
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
    return _query(
        store,
        viewer,
        f"""
        SELECT org_code, indicator_code, value, normalised, flagged FROM score_indicators
        WHERE run_id = $run AND period = $period AND list_contains($orgs::VARCHAR[], org_code)
          AND {_visible("org_code")} AND {_period_ok("period")} AND {_indicator_ok("indicator_code")}
        ORDER BY indicator_code, org_code
        """,
        run=run_id,
        period=period,
        orgs=list(org_codes),
    )


def group_indicators(store: Store, viewer: Viewer, run_id: int, period: str, by: GroupBy) -> pl.DataFrame:
    """Per group and indicator: how many organisations report it and their median value."""
    return _query(
        store,
        viewer,
        f"""
        WITH m AS ({_memberships(by, _aggregable("code"))})
        SELECT m.group_value, v.indicator_code, count(*) AS n, median(v.value) AS median,
               median(v.normalised) AS median_normalised
        FROM m JOIN score_indicators v ON v.org_code = m.org_code
        WHERE v.run_id = $run AND v.period = $period AND {_period_ok("v.period")}
          AND {_indicator_ok("v.indicator_code")}
        GROUP BY m.group_value, v.indicator_code HAVING count(*) >= $v_min
        ORDER BY v.indicator_code, m.group_value
        """,
        run=run_id,
        period=period,
    )


# -- over time -------------------------------------------------------------------------------
def score_series(store: Store, viewer: Viewer, run_id: int, org_code: str | None = None) -> pl.DataFrame:
    """Scores by period and principle: one organisation's, or the network's quartiles (org None)."""
    if org_code is not None:
        return _query(
            store,
            viewer,
            f"""
            SELECT period, principle, score, coverage, status FROM scores
            WHERE run_id = $run AND org_code = $org AND {_visible("org_code")}
              AND {_principle_ok("principle")} AND {_period_ok("period")}
            ORDER BY period, principle NULLS LAST
            """,
            run=run_id,
            org=org_code,
        )
    return _query(
        store,
        viewer,
        f"""
        SELECT period, principle, count(score) AS n, quantile_cont(score, 0.25) AS q1, median(score) AS median,
               quantile_cont(score, 0.75) AS q3
        FROM scores
        WHERE run_id = $run AND score IS NOT NULL AND {_aggregable("org_code")}
          AND {_principle_ok("principle")} AND {_period_ok("period")}
        GROUP BY period, principle HAVING count(score) >= $v_min
        ORDER BY period, principle NULLS LAST
        """,
        run=run_id,
    )


def indicator_series(
    store: Store, viewer: Viewer, run_id: int, indicator_code: str, org_code: str | None = None
) -> pl.DataFrame:
    """One indicator by period: an organisation's values, or the network's quartiles and total."""
    if org_code is not None:
        return _query(
            store,
            viewer,
            f"""
            SELECT period, value, normalised, flagged FROM score_indicators
            WHERE run_id = $run AND org_code = $org AND indicator_code = $indicator
              AND {_visible("org_code")} AND {_period_ok("period")} AND {_indicator_ok("indicator_code")}
            ORDER BY period
            """,
            run=run_id,
            org=org_code,
            indicator=indicator_code,
        )
    return _query(
        store,
        viewer,
        f"""
        SELECT period, count(*) AS n, quantile_cont(value, 0.25) AS q1, median(value) AS median,
               quantile_cont(value, 0.75) AS q3, sum(value) AS total
        FROM score_indicators
        WHERE run_id = $run AND indicator_code = $indicator AND {_aggregable("org_code")}
          AND {_period_ok("period")} AND {_indicator_ok("indicator_code")}
        GROUP BY period HAVING count(*) >= $v_min ORDER BY period
        """,
        run=run_id,
        indicator=indicator_code,
    )


def trend_summary(store: Store, viewer: Viewer, run_id: int) -> pl.DataFrame:
    """Per principle (NULL = composite): improving / stable / declining / too short, sustained."""
    return _query(
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
        WHERE run_id = $run AND indicator_code IS NULL AND {_aggregable("org_code")}
          AND {_principle_ok("principle")} AND {_trends_ok()}
        GROUP BY principle HAVING count(*) >= $v_min
        ORDER BY principle NULLS LAST
        """,
        run=run_id,
    )


def target_progress(
    store: Store, viewer: Viewer, run_id: int, lang: str, org_code: str | None = None
) -> pl.DataFrame:
    """Progress toward the indicators' targets (only indicators that have one)."""
    return _query(
        store,
        viewer,
        f"""
        SELECT t.org_code, {_name(lang)} AS name, t.indicator_code, t.last_period, t.n_periods, t.progress
        FROM score_trends t JOIN organizations g ON g.code = t.org_code
        WHERE t.run_id = $run AND t.progress IS NOT NULL AND {_visible("t.org_code")}
          AND ($org IS NULL OR t.org_code = $org) AND {_indicator_ok("t.indicator_code")} AND {_trends_ok()}
        ORDER BY t.indicator_code, t.progress DESC, t.org_code
        """,
        run=run_id,
        org=org_code,
    )


# -- data quality and submissions ------------------------------------------------------------
def quality_table(store: Store, viewer: Viewer, run_id: int, lang: str) -> pl.DataFrame:
    """Completeness, timeliness, consistency and evidence of each visible organisation and period."""
    return _query(
        store,
        viewer,
        f"""
        SELECT s.org_code, {_name(lang)} AS name, s.period, s.completeness, s.timeliness_days,
               s.consistency_flags, s.evidence, s.grade_completeness, s.grade_timeliness,
               s.grade_consistency, s.grade_evidence, s.grade
        FROM scores s JOIN organizations g ON g.code = s.org_code
        WHERE s.run_id = $run AND s.principle IS NULL AND {_visible("s.org_code")} AND {_period_ok("s.period")}
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
    """
    return _query(
        store,
        viewer,
        f"""
        SELECT u.org_code, {_name(lang, "g")} AS name, u.indicator_code, u.granularity, u.period, u.period_start,
               u.value, u.unit, {", ".join(f"u.{k}" for k in BREAKDOWN_KEYS)}, u.submission_id,
               u.usual_level, u.previous_value, u.n_periods, u.robust_z
        FROM score_unusual_values u LEFT JOIN organizations g ON g.code = u.org_code
        WHERE u.run_id = $run AND {_visible("u.org_code")} AND {_period_ok("u.period")}
          AND $v_all_principles AND {_trends_ok()}
        ORDER BY u.rank
        """,
        run=run_id,
    )


def quality_by_period(store: Store, viewer: Viewer, run_id: int, deadline_days: float) -> pl.DataFrame:
    """Per period: median completeness and delay, share on time, organisations per overall grade."""
    return _query(
        store,
        viewer,
        f"""
        SELECT period, count(*) AS n, median(completeness) AS completeness,
               median(timeliness_days) AS timeliness_days,
               avg(CASE WHEN timeliness_days <= $deadline THEN 1.0 ELSE 0.0 END) AS on_time_share,
               count(*) FILTER (WHERE grade = 'A') AS "A", count(*) FILTER (WHERE grade = 'B') AS "B",
               count(*) FILTER (WHERE grade = 'C') AS "C", count(*) FILTER (WHERE grade = 'D') AS "D"
        FROM scores
        WHERE run_id = $run AND principle IS NULL AND {_aggregable("org_code")} AND {_period_ok("period")}
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
    return _query(
        store,
        viewer,
        f"""
        SELECT o.org_code, o.indicator_code, o.granularity, o.period, o.period_start, o.value, o.unit,
               {", ".join(f"o.{k}" for k in BREAKDOWN_KEYS)}, o.submission_id
        FROM {_observations(viewer)} o
        WHERE {_visible("o.org_code")} AND {_period_ok("o.period")} AND $v_all_principles
        QUALIFY count(*) OVER (PARTITION BY {series}) >= $min_history
        ORDER BY {series}, o.period_start, o.period
        """,
        min_history=min_history,
    )


def submissions(
    store: Store, viewer: Viewer, lang: str, org_code: str | None = None, limit: int = 500
) -> pl.DataFrame:
    """The submissions log of the visible organisations, newest first (warnings counted).

    Who uploaded is given as ``uploader_kind`` (``member``, ``steering``, ``funder``, ``other``
    for free text such as a command-line ``--uploaded-by``, NULL when unknown) and, for a member,
    ``uploader_org`` / ``uploader_name`` — only when the viewer may see that organisation. The
    raw ``uploaded_by`` identifier is not returned; ``uploader_text`` is the free text itself.

    Through a pinned link: the submissions its run scored, none loaded later, each ``accepted``
    (it still had current values when the run read it; a later correction is not the link's to know).
    """
    return _query(
        store,
        viewer,
        f"""
        WITH s AS (
            SELECT *,
                   CASE WHEN uploaded_by IS NULL OR trim(uploaded_by) = '' THEN NULL
                        WHEN starts_with(uploaded_by, 'member:') THEN 'member'
                        WHEN uploaded_by = 'steering' OR starts_with(uploaded_by, 'steering:') THEN 'steering'
                        WHEN uploaded_by = 'funder' OR starts_with(uploaded_by, 'funder:') THEN 'funder'
                        ELSE 'other' END AS uploader_kind,
                   CASE WHEN starts_with(uploaded_by, 'member:') THEN substr(uploaded_by, 8) END AS uploader_code
            FROM submissions
        )
        SELECT s.id, s.org_code, {_name(lang, "g")} AS name, s.file_name, s.file_format, s.uploader_kind,
               u.code AS uploader_org, {_name(lang, "u")} AS uploader_name,
               CASE WHEN s.uploader_kind = 'other' THEN s.uploaded_by END AS uploader_text,
               s.uploaded_at, CASE WHEN $v_run IS NULL THEN s.status ELSE 'accepted' END AS status,
               s.row_count, json_array_length(s.report) AS issues
        FROM s LEFT JOIN organizations g ON g.code = s.org_code
        LEFT JOIN organizations u ON u.code = s.uploader_code AND {_visible("u.code")}
        WHERE {_visible("s.org_code")} AND ($org IS NULL OR s.org_code = $org) AND $v_all_periods
          AND {_run_submission("s.id")}
        ORDER BY s.id DESC LIMIT $limit
        """,
        org=org_code,
        limit=limit,
    )


def submission_report(store: Store, viewer: Viewer, submission_id: int) -> list[dict] | None:
    """The stored validation report of one visible submission (codes; rendered per language)."""
    frame = _query(
        store,
        viewer,
        f"SELECT report FROM submissions WHERE id = $id AND {_visible('org_code')} AND $v_all_periods "
        f"AND {_run_submission('id')}",
        id=submission_id,
    )
    return None if frame.is_empty() else json.loads(frame.item())


def reported_periods(store: Store, viewer: Viewer, org_code: str) -> pl.DataFrame:
    """Periods with current values for one visible organisation, with how many values each."""
    return _query(
        store,
        viewer,
        f"""
        SELECT period, granularity, min(period_start) AS period_start, count(*) AS n_values
        FROM {_observations(viewer)}
        WHERE org_code = $org AND {_visible("org_code")} AND {_period_ok("period")}
        GROUP BY period, granularity ORDER BY period_start, period
        """,
        org=org_code,
    )


def current_values(store: Store, viewer: Viewer, keys: pl.DataFrame) -> pl.DataFrame:
    """Current stored values for the keys of an upload (organisation, indicator, period, breakdown).

    Raw values, like :func:`observation_history`: none to a link limited to some principles.
    """
    key_columns = ["org_code", "indicator_code", "period", *BREAKDOWN_KEYS]
    incoming = keys.select(key_columns).unique().to_arrow()
    match = " AND ".join(f"o.{k} IS NOT DISTINCT FROM k.{k}" for k in key_columns)
    sql = f"""
        SELECT k.*, o.value AS current_value, o.submission_id AS current_submission, o.valid_from
        FROM upload_keys k JOIN {_observations(viewer)} o ON {match}
        WHERE {_visible("o.org_code")} AND {_period_ok("o.period")} AND $v_all_principles
    """
    params = {**_scope_params(viewer)}
    used = {name: params[name] for name in set(_PARAM.findall(sql))}
    with store.cursor() as cur:
        cur.register("upload_keys", incoming)
        try:
            return cur.sql(sql, params=used).pl()
        finally:
            cur.unregister("upload_keys")
