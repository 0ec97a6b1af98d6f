"""Reads of the Overview page: the network summary, submission status, distributions, regions, changes."""

from __future__ import annotations

from typing import Any, Literal

import polars as pl

from framework.periods import period_bounds
from store.db import Store
from store.reads.fragments import name_sql
from store.scope import aggregable, approved_score, indicator_ok, period_ok, principle_ok, query, visible
from store.viewer import Viewer


def network_summary(
    store: Store, viewer: Viewer, run_id: int, period: str, beneficiaries: str | None
) -> dict[str, Any]:
    """Organisations, those scored in ``period``, people reached (the ``beneficiaries`` indicator) and regions."""
    row = query(
        store,
        viewer,
        f"""
        WITH orgs AS (SELECT code, region FROM organizations WHERE active AND {aggregable("code")}),
        scored AS (SELECT org_code, score FROM scores
                   WHERE run_id = $run AND period = $period AND principle IS NULL AND {aggregable("org_code")}
                     AND {period_ok("period")} AND {approved_score("scores.org_code", "scores.period")}),
        reached AS (SELECT org_code, value FROM score_indicators
                    WHERE run_id = $run AND period = $period AND indicator_code = $beneficiaries
                      AND {aggregable("org_code")} AND {period_ok("period")} AND {indicator_ok("indicator_code")})
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
        return {key: None for key in row} | dict.fromkeys(_REACH_PARTS)
    row |= reach_parts(store, viewer, run_id, period, beneficiaries) if beneficiaries else {}
    if (row["beneficiaries_orgs"] or 0) < viewer.min_group:
        row |= {"beneficiaries": None} | dict.fromkeys(_REACH_PARTS)
    return row


_REACH_PARTS = ("beneficiaries_largest", "beneficiaries_shared", "beneficiaries_programmes")


#: The range's certain minimum: the largest organisation's count — one organisation's figure, so only
#: for viewers who see organisations one by one; others get the mean per organisation, a weaker but
#: still certain minimum that the sum and the count shown beside it already give away.
def _largest(column: str = "value") -> str:
    return f"CASE WHEN $v_min <= 1 THEN max({column}) ELSE avg({column}) END"


def _shared_pairs(by_region: bool = False) -> str:
    """CTEs ``programmes``, ``umbrellas``, ``declared`` and ``pairs`` (after a ``reached`` CTE of org_code,
    value[, region]).

    ``umbrellas``: per programme (of one region), what its members' counts add beyond the largest of
    them (each organisation's programme for the run period is its latest declaration within it).
    ``pairs``: per pair of reporting organisations (of one region) not under one programme, the people
    both count — the larger of what either declared for the run period (its latest declaration within
    it), never more than the smaller of their values."""
    region = ", r1.region" if by_region else ""
    same_region = " AND r2.region = r1.region" if by_region else ""
    r_region = ", r.region" if by_region else ""
    return f"""
    programmes AS (
        SELECT org_code, arg_max(programme, period_end) AS programme
        FROM programme_members
        WHERE valid_to IS NULL AND indicator_code = $indicator AND period_start >= $start AND period_end <= $end
        GROUP BY org_code
    ),
    umbrellas AS (
        SELECT p.programme{r_region}, sum(r.value) - max(r.value) AS excess
        FROM reached r JOIN programmes p ON p.org_code = r.org_code
        GROUP BY p.programme{r_region}
    ),
    declared AS (
        SELECT org_code, shared_with, arg_max(shared_count, period_end) AS shared
        FROM shared_beneficiaries
        WHERE valid_to IS NULL AND indicator_code = $indicator AND period_start >= $start AND period_end <= $end
        GROUP BY org_code, shared_with
    ),
    pairs AS (
        SELECT least(d.org_code, d.shared_with) AS a, greatest(d.org_code, d.shared_with) AS b{region},
               least(max(d.shared), min(least(r1.value, r2.value))) AS shared
        FROM declared d JOIN reached r1 ON r1.org_code = d.org_code
        JOIN reached r2 ON r2.org_code = d.shared_with{same_region}
        LEFT JOIN programmes p1 ON p1.org_code = d.org_code LEFT JOIN programmes p2 ON p2.org_code = d.shared_with
        WHERE p1.programme IS NULL OR p2.programme IS NULL OR p1.programme <> p2.programme
        GROUP BY a, b{region}
    )"""


def reach_parts(store: Store, viewer: Viewer, run_id: int, period: str, indicator_code: str) -> dict[str, Any]:
    """What a people count's range is made of in ``period`` besides the plain sum: the largest single
    organisation (the mean per organisation for viewers who see only aggregates), the shared
    beneficiaries declared between organisations and what programme umbrellas count more than once
    (each programme's members beyond its largest). ``metrics.reach.reach_range`` makes the bounds."""
    _, start, end = period_bounds(period)
    return query(
        store,
        viewer,
        f"""
        WITH reached AS (
            SELECT v.org_code, v.value FROM score_indicators v
            WHERE v.run_id = $run AND v.period = $period AND v.indicator_code = $indicator
              AND {aggregable("v.org_code")} AND {period_ok("v.period")} AND {indicator_ok("v.indicator_code")}
        ),
        {_shared_pairs()}
        SELECT (SELECT {_largest()} FROM reached) AS beneficiaries_largest,
               (SELECT coalesce(sum(shared), 0) FROM pairs) AS beneficiaries_shared,
               (SELECT coalesce(sum(excess), 0) FROM umbrellas) AS beneficiaries_programmes
        """,
        run=run_id,
        period=period,
        indicator=indicator_code,
        start=start,
        end=end,
    ).row(0, named=True)


def _status_sql(viewer_filter: str, lang: str) -> str:
    return f"""
        WITH o AS (SELECT code, {name_sql(lang)} AS name FROM organizations WHERE active AND {viewer_filter}),
        c AS (SELECT org_code, timeliness_days FROM scores
              WHERE run_id = $run AND period = $period AND principle IS NULL AND {period_ok("period")})
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
    return query(
        store,
        viewer,
        _status_sql(visible("code"), lang) + " ORDER BY status DESC, o.code",
        run=run_id,
        period=period,
        deadline=deadline_days,
    )


def submission_status_counts(
    store: Store, viewer: Viewer, run_id: int, period: str, deadline_days: float
) -> dict[str, int] | None:
    """How many organisations are on time, late and missing (``None`` when the group is too small)."""
    frame = query(
        store,
        viewer,
        f"SELECT status, count(*) AS n FROM ({_status_sql(aggregable('code'), 'fr')}) GROUP BY status",
        run=run_id,
        period=period,
        deadline=deadline_days,
    )
    counts = {"on_time": 0, "late": 0, "missing": 0, **dict(frame.iter_rows())}
    return counts if sum(counts.values()) >= viewer.min_group else None


def score_distribution(store: Store, viewer: Viewer, run_id: int, period: str) -> pl.DataFrame:
    """Per principle (NULL = composite): n, quartiles, mean; min and max only for non-members."""
    return query(
        store,
        viewer,
        f"""
        SELECT principle, count(score) AS n, quantile_cont(score, 0.25) AS q1, median(score) AS median,
               quantile_cont(score, 0.75) AS q3, avg(score) AS mean,
               CASE WHEN $v_min <= 1 THEN min(score) END AS min,
               CASE WHEN $v_min <= 1 THEN max(score) END AS max,
               count(*) FILTER (WHERE status = 'insufficient_data') AS insufficient
        FROM scores
        WHERE run_id = $run AND period = $period AND {aggregable("org_code")} AND {principle_ok("principle")}
          AND {period_ok("period")} AND {approved_score("scores.org_code", "scores.period")}
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
    return query(
        store,
        viewer,
        f"""
        SELECT bin, n FROM (
            SELECT least(floor(score / $width) * $width, 100 - $width) AS bin, count(*) AS n,
                   sum(count(*)) OVER () AS total
            FROM scores
            WHERE run_id = $run AND period = $period AND score IS NOT NULL
              AND principle IS NOT DISTINCT FROM $principle
              AND {aggregable("org_code")} AND {principle_ok("principle")} AND {period_ok("period")} AND {approved_score("scores.org_code", "scores.period")}
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
    return query(
        store,
        viewer,
        f"""
        SELECT g.region, count(s.score) AS n, median(s.score) AS value
        FROM scores s JOIN organizations g ON g.code = s.org_code
        WHERE s.run_id = $run AND s.period = $period AND s.principle IS NOT DISTINCT FROM $principle
          AND s.score IS NOT NULL AND g.region IS NOT NULL
          AND {aggregable("s.org_code")} AND {principle_ok("s.principle")} AND {period_ok("s.period")} AND {approved_score("s.org_code", "s.period")}
        GROUP BY g.region HAVING count(s.score) >= $v_min ORDER BY g.region
        """,
        run=run_id,
        period=period,
        principle=principle,
    )


def region_indicator(
    store: Store, viewer: Viewer, run_id: int, period: str, indicator_code: str, how: Literal["sum", "median", "share"]
) -> pl.DataFrame:
    """An indicator per region: the sum over organisations (counts), their median (rates) or the share
    of them answering yes (``share``, yes/no indicators: never a median of 0 and 1). Counts also
    give their largest organisation, the shared beneficiaries declared between organisations of the
    region and what its programme umbrellas count more than once (``metrics.reach``: the range's lower
    bound)."""
    _, start, end = period_bounds(period)
    return query(
        store,
        viewer,
        f"""
        WITH reached AS (
            SELECT v.org_code, v.value, g.region FROM score_indicators v JOIN organizations g ON g.code = v.org_code
            WHERE v.run_id = $run AND v.period = $period AND v.indicator_code = $indicator
              AND g.region IS NOT NULL AND {aggregable("v.org_code")} AND {period_ok("v.period")}
              AND {indicator_ok("v.indicator_code")}
        ),
        {_shared_pairs(by_region=True)},
        regional AS (SELECT region, sum(shared) AS shared FROM pairs GROUP BY region),
        regional_umbrellas AS (SELECT region, sum(excess) AS excess FROM umbrellas GROUP BY region)
        SELECT r.region, count(*) AS n,
               CASE WHEN $how = 'sum' THEN sum(r.value) WHEN $how = 'share' THEN avg(r.value)
                    ELSE median(r.value) END AS value,
               count(*) FILTER (WHERE r.value = 1) AS yes,
               {_largest("r.value")} AS largest, coalesce(any_value(p.shared), 0) AS shared,
               coalesce(any_value(u.excess), 0) AS programmes
        FROM reached r LEFT JOIN regional p ON p.region = r.region
        LEFT JOIN regional_umbrellas u ON u.region = r.region
        GROUP BY r.region HAVING count(*) >= $v_min ORDER BY r.region
        """,
        run=run_id,
        period=period,
        indicator=indicator_code,
        how=how,
        start=start,
        end=end,
    )


def principle_changes(
    store: Store, viewer: Viewer, run_id: int, period: str, previous: str, band: float
) -> pl.DataFrame:
    """Per principle: median now and before, and how many organisations moved by more than ``band``."""
    return query(
        store,
        viewer,
        f"""
        WITH s AS (
            SELECT org_code, period, principle, score FROM scores
            WHERE run_id = $run AND period IN ($period, $previous) AND score IS NOT NULL
              AND {aggregable("org_code")} AND {principle_ok("principle")} AND {period_ok("period")} AND {approved_score("scores.org_code", "scores.period")}
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
    return query(
        store,
        viewer,
        f"""
        SELECT n.org_code, {name_sql(lang)} AS name, b.score AS before, n.score AS now, n.score - b.score AS change
        FROM scores n
        JOIN scores b ON b.run_id = n.run_id AND b.org_code = n.org_code AND b.principle IS NULL
                     AND b.period = $previous AND b.score IS NOT NULL
        JOIN organizations g ON g.code = n.org_code
        WHERE n.run_id = $run AND n.period = $period AND n.principle IS NULL AND n.score IS NOT NULL
          AND {visible("n.org_code")} AND $v_all_principles AND {period_ok("n.period")} AND {approved_score("n.org_code", "n.period")}
          AND {period_ok("b.period")}
        ORDER BY abs(n.score - b.score) DESC, n.org_code LIMIT $limit
        """,
        run=run_id,
        period=period,
        previous=previous,
        limit=limit,
    )
