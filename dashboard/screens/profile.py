"""Organisation profile: where one organisation stands, and how each of its numbers was made.

Radar of principle scores against a peer group's median, the composite with its rank interval,
each indicator's raw and normalised value with its weights, the values as submitted with the source,
notes and explanation beside each, data-quality grades, trends with a sparkline per principle, the
method card and the submission history.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import (
    card_download,
    cells,
    charts,
    empty,
    expectations_view,
    explain_form,
    exports,
    narrative_view,
    pickers,
    review_labels,
    tables,
    whatif_view,
    widgets,
)
from dashboard.cells import Col
from dashboard.context import PageContext, page_context
from dashboard.empty import Why
from dashboard.folds import folded
from dashboard.lookup import labelled
from i18n import formatting as fmt
from i18n import t
from metrics.method_card import card_or_none
from metrics.method_card import render as render_card
from store.reads import common as common_reads
from store.reads import method as method_reads
from store.reads import profile as profile_reads
from store.reads import uploads as uploads_reads


def _header(ctx: PageContext, org_code: str, period: str) -> pl.DataFrame:
    orgs = ctx.q(common_reads.organisations, ctx.lang).filter(pl.col("org_code") == org_code)
    row = orgs.row(0, named=True)
    themes = fmt.join_list(
        [ctx.group_label("thematic_area", t) for t in (row["thematic_areas"] or [])], ctx.lang
    )
    st.header(f"{row['name']}")
    st.caption(
        " · ".join(
            part
            for part in (
                org_code,
                ctx.group_label("kind", row["kind"]),
                ctx.region_name(row["region"]),
                ctx.group_label("size_band", row["size_band"]) if row["size_band"] else "",
                themes,
            )
            if part
        )
    )
    scores = ctx.q(profile_reads.org_scores, ctx.run_id, org_code)
    return scores


def _composite(ctx: PageContext, scores: pl.DataFrame, period: str, previous: str | None) -> None:
    now = scores.filter((pl.col("period") == period) & pl.col("principle").is_null())
    if now.is_empty():
        empty.show(ctx, empty.scope_why(ctx), empty.subject(ctx, "composite_period", period=period))
        return
    row = now.row(0, named=True)
    before = (
        scores.filter((pl.col("period") == previous) & pl.col("principle").is_null()) if previous else None
    )
    change = None
    if before is not None and before.height and before["score"][0] is not None and row["score"] is not None:
        change = row["score"] - before["score"][0]
    a, b, c, d = st.columns(4)
    with a:
        widgets.change_metric(
            ctx,
            ctx.t("profile.composite"),
            ctx.score(row["score"]) if row["score"] is not None else ctx.t("common.insufficient"),
            change,
            previous,
            help=ctx.t("profile.composite_help"),
        )
    with b:
        if row["nominal_rank"] is not None:
            widgets.metric(
                ctx,
                ctx.t("profile.rank"),
                ctx.t(
                    "states.rank.composite_value",
                    rank=ctx.num(row["nominal_rank"]),
                    count=ctx.num(row["ranked_count"]),
                ),
            )
        else:
            widgets.metric(ctx, ctx.t("profile.rank"), ctx.t("common.not_ranked"))
    with c:
        interval = (
            ctx.t("profile.interval_value", low=ctx.num(row["rank_p05"]), high=ctx.num(row["rank_p95"]))
            if row["rank_p05"] is not None
            else ctx.t("common.not_available")
        )
        widgets.metric(
            ctx, ctx.t("profile.rank_interval"), interval, help=ctx.t("profile.rank_interval_help")
        )
    with d:
        widgets.metric(
            ctx,
            ctx.t("profile.coverage_grade"),
            t("reading2.coverage_grade_value", ctx.lang, coverage=ctx.pct(row["coverage"]), grade=row["grade"] or "–"),
            help=ctx.t("profile.coverage_grade_help"),
        )
    if row["rank_p05"] is not None:
        st.markdown(widgets.composite_rank_sentence(ctx, row, period), unsafe_allow_html=True)


def _principle_line(ctx: PageContext, code: str, row: dict | None, period: str) -> str:
    """One principle's score and rank, saying what the rank counts and how far it may move."""
    name = ctx.principle_label(code)
    if row is None or row["score"] is None or row["nominal_rank"] is None:
        return ctx.t("states.rank.principle_unranked", name=name, period=ctx.bdi(period))
    params = {
        "name": name,
        "score": ctx.bdi(ctx.score(row["score"])),
        "rank": ctx.bdi(ctx.num(row["nominal_rank"])),
        "count": ctx.bdi(ctx.num(row["ranked_count"])),
        "period": ctx.bdi(period),
    }
    if row["rank_p05"] is None:
        return ctx.t("states.rank.principle_line_nominal", **params)
    low, high = ctx.bdi(ctx.num(row["rank_p05"])), ctx.bdi(ctx.num(row["rank_p95"]))
    return ctx.t("states.rank.principle_line", low=low, high=high, **params)


def _principle_ranks(ctx: PageContext, scores: pl.DataFrame, period: str) -> None:
    """Each principle in view: its score and rank among the organisations scored on it, with the interval."""
    rows = scores.filter((pl.col("period") == period) & pl.col("principle").is_not_null())
    by_code = {r["principle"]: r for r in rows.iter_rows(named=True)}
    st.markdown(f"**{ctx.t('states.rank.principles_title')}**")
    lines = [_principle_line(ctx, code, by_code.get(code), period) for code in ctx.principle_codes]
    st.markdown("\n".join(f"- {line}" for line in lines), unsafe_allow_html=True)


def _radar(ctx: PageContext, scores: pl.DataFrame, org_code: str, period: str) -> None:
    st.subheader(ctx.t("profile.radar_title"))
    peers = ctx.q(profile_reads.peer_groups, ctx.run_id, period, org_code)
    own = scores.filter((pl.col("period") == period) & pl.col("principle").is_not_null())
    codes = ctx.principle_codes
    own_by = dict(zip(own["principle"].to_list(), own["score"].to_list(), strict=True))
    groups = peers.select("group", "group_value").unique(maintain_order=True).rows()
    series = [
        (
            ctx.t("common.your_organisation") if ctx.viewer.role == "member" else org_code,
            [own_by.get(c) for c in codes],
        )
    ]
    table = pl.DataFrame(
        {
            "principle": codes,
            "label": [ctx.principle_label(c) for c in codes],
            "own": [own_by.get(c) for c in codes],
        },
        schema_overrides={"own": pl.Float64},
    )
    columns = {"label": Col(ctx.t("common.principle")), "own": Col(ctx.t("common.score"), "score")}
    if groups:
        choice = st.selectbox(
            ctx.t("profile.peer_group"),
            groups,
            key="profile_peer_group",
            format_func=lambda g: f"{ctx.t(f'groups.{g[0]}')}: {ctx.group_label(g[0], g[1])}",
        )
        chosen = peers.filter((pl.col("group") == choice[0]) & (pl.col("group_value") == choice[1]))
        median_by = dict(zip(chosen["principle"].to_list(), chosen["median"].to_list(), strict=True))
        n_by = dict(zip(chosen["principle"].to_list(), chosen["n"].to_list(), strict=True))
        series.append((ctx.t("profile.peer_median"), [median_by.get(c) for c in codes]))
        table = table.with_columns(
            median=pl.Series([median_by.get(c) for c in codes], dtype=pl.Float64),
            n=pl.Series([n_by.get(c) for c in codes], dtype=pl.Int64),
        )
        columns |= {
            "median": Col(ctx.t("profile.peer_median"), "score"),
            "n": Col(ctx.t("common.organisations_n"), "int"),
        }
    else:
        empty.group_too_small(ctx, "peer_group", period=period)
    figure = charts.radar(
        [ctx.principle_name(c) for c in codes],
        series,
        ctx.t(
            "profile.radar_chart" if len(codes) >= charts.RADAR_MIN_AXES else "states.radar.bars_title",
            period=period,
        ),
        ctx.lang,
        gap_label=ctx.t("states.radar.insufficient"),
        value_title=ctx.t("common.score_axis"),
    )
    charts.with_data(
        ctx,
        figure,
        table,
        columns,
        key="profile_radar",
        file_name=f"athar_{org_code}_{period}_radar.csv",
        caption=ctx.t("profile.radar_caption"),
    )
    if peers.height:
        box = folded(ctx.t("profile.peer_table_title"), key="profile_peers")
        with box:
            if not box.open:  # built only once opened (dashboard.folds)
                return
            composite = peers.filter(pl.col("principle").is_null())
            composite = composite.with_columns(group_label=tables.peer_group_label(ctx, composite))
            tables.table(
                ctx,
                composite,
                {
                    "group_label": Col(ctx.t("common.group")),
                    **tables.quartile_columns(ctx),
                    "percentile": Col(ctx.t("profile.percentile"), "num1"),
                },
                key="profile_peers",
            )


def _indicators(ctx: PageContext, org_code: str, period: str) -> None:
    st.subheader(ctx.t("profile.indicators_title", period=period))
    values = ctx.q(profile_reads.org_indicators, ctx.run_id, org_code, period)
    if values.is_empty():
        empty.show(ctx, Why.NO_DATA, empty.subject(ctx, "values_period", period=period))
    else:
        table = values.with_columns(
            name=labelled(values, "indicator_code", ctx.indicator_label),
            unit=labelled(values, "indicator_code", ctx.unit_name),
            unit_code=labelled(values, "indicator_code", lambda c: cells.unit_code(ctx, c)),
            normalised_100=pl.col("normalised") * 100,
            weights=labelled(values, "indicator_code", ctx.weights_text),
        )
        tables.table(
            ctx,
            table,
            {
                "name": Col(ctx.t("common.indicator"), width="large"),
                "value": Col(ctx.t("profile.raw_value"), "measure", "small", unit="unit_code", full=True),
                "unit": Col(ctx.t("common.unit"), width="small"),
                "normalised_100": Col(ctx.t("profile.normalised"), "num1", "small", full=True),
                "flagged": Col(ctx.t("profile.flagged"), "bool", "small"),
                "weights": Col(ctx.t("profile.weights")),
            },
            key="profile_indicators",
            download=f"athar_{org_code}_{period}_indicators.csv",
            export_only={"indicator_code": Col(ctx.t("common.code"))},
        )
    expectations_view.missing_expected(ctx, org_code, period)
    _submitted(ctx, org_code, period)


def _submitted(ctx: PageContext, org_code: str, period: str) -> None:
    """The values as the organisation sent them in the period, with the source, notes (never to a
    funder's link) and explanation of each (``store.reads.profile.submitted_values``)."""
    values = ctx.q(profile_reads.submitted_values, ctx.run_id, org_code, period)
    if values.is_empty():
        return
    st.markdown(f"**{explain_form.text(ctx, 'submitted_title')}**")
    table = values.with_columns(
        name=labelled(values, "indicator_code", ctx.indicator_label),
        breakdown=tables.breakdown_label(ctx, values),
    )
    columns = explain_form.value_columns(ctx)
    if ctx.viewer.role == "funder":  # a member's notes are for itself and the committee
        columns.pop("notes")
    tables.table(
        ctx,
        table,
        {
            "name": Col(ctx.t("common.indicator"), width="medium"),
            "period": Col(ctx.t("common.period"), width="small"),
            "breakdown": Col(ctx.t("upload.breakdown"), width="small"),
            "value": Col(ctx.t("profile.raw_value"), "measure", "small", unit="unit", full=True),
            **columns,
        },
        key="profile_submitted",
        download=f"athar_{org_code}_{period}_submitted.csv",
    )


def _quality(ctx: PageContext, scores: pl.DataFrame, period: str) -> None:
    st.subheader(ctx.t("profile.quality_title"))
    rows = scores.filter(pl.col("period") == period)
    rows = rows.with_columns(label=labelled(rows, "principle", ctx.principle_label, nulls=True))
    tables.table(
        ctx,
        rows,
        {
            "label": Col(ctx.t("common.principle")),
            "grade": Col(ctx.t("quality.grade"), width="small"),
            "completeness": Col(ctx.t("quality.completeness"), "pct", "small"),
            "timeliness_days": Col(ctx.t("common.median_days"), "int", "small"),
            "consistency_flags": Col(ctx.t("quality.flags"), "int", "small"),
            "evidence": Col(ctx.t("quality.evidence"), "pct", "small"),
        },
        export_only={
            "grade_completeness": Col(ctx.t("quality.grade_completeness")),
            "grade_timeliness": Col(ctx.t("quality.grade_timeliness")),
            "grade_consistency": Col(ctx.t("quality.grade_consistency")),
            "grade_evidence": Col(ctx.t("quality.grade_evidence")),
        },
        key="profile_quality",
        download=f"athar_quality_{period}.csv",
    )
    st.caption(ctx.t("profile.quality_caption"))


def _trends(ctx: PageContext, org_code: str, scores: pl.DataFrame) -> None:
    st.subheader(ctx.t("profile.trends_title"))
    trends = ctx.q(profile_reads.org_trends, ctx.run_id, org_code).filter(pl.col("indicator_code").is_null())
    series = ctx.series_codes
    partial = ctx.period_states.filter(~pl.col("complete"))["period"].to_list()
    if partial:
        st.caption(ctx.t("trends2.complete_only", periods=fmt.join_list(partial, ctx.lang)))
    cols = st.columns(len(series))
    for col, code in zip(cols, series, strict=True):
        trend = trends.filter(pl.col("principle").eq_missing(code))
        # The card reads the trend's own periods: complete ones, up to the trend's last period.
        last = trend["last_period"][0] if trend.height else None
        history = scores.filter(
            pl.col("principle").eq_missing(code), pl.col("period") <= (last or ""),
            ~pl.col("period").is_in(partial),
        ).sort("period")
        values = [v for v in history["score"].to_list() if v is not None]
        with col:
            if trend.is_empty():  # a link limited to some periods shows no trend (it spans every period)
                missing = (
                    "states.out_of_scope_short" if ctx.viewer.periods is not None else "common.not_available"
                )
                widgets.metric(ctx, ctx.principle_label(code), ctx.t(missing))
                continue
            row = trend.row(0, named=True)
            latest = history["score"][-1] if history.height else None
            widgets.trend_metric(
                ctx,
                ctx.principle_label(code),
                ctx.score(latest),
                row["slope"] if row["trend"] != "insufficient_data" else None,
                row["trend"],
                ctx.run["granularity"],
                help=ctx.t("profile.trend_help"),
                chart_data=values or None,
            )
            st.caption(ctx.t(f"trends.{row['trend']}"))
            if row["sustained"]:
                st.markdown(widgets.badge(ctx.t("trends.sustained_badge")), unsafe_allow_html=True)


def _method_card(ctx: PageContext, org_code: str, period: str) -> None:
    st.subheader(ctx.t("profile.method_card_title"))
    principle = pickers.principle_select(ctx, key="profile_card_principle")
    reads = ctx.q(method_reads.card_reads, ctx.run_id, org_code, period, principle, ctx.lang)  # cached, as every read
    card = card_or_none(reads)  # built from the viewer's scoped reads only
    if card is None:
        empty.show(ctx, empty.scope_why(ctx, principle), empty.subject(ctx, "card"))
        return
    text = render_card(card, ctx.lang)
    with st.container(border=True):
        st.markdown("  \n".join(line.replace("*", "\\*") for line in text.splitlines()))
    exports.download(
        ctx,
        ctx.t("profile.download_card"),
        lambda: text.encode("utf-8"),
        f"athar_method_{org_code}_{period}_{principle or 'composite'}.txt",
        "text/plain",
        key="profile_card_download",
    )


def _history(ctx: PageContext, org_code: str) -> None:
    st.subheader(ctx.t("profile.history_title"))
    log = ctx.q(uploads_reads.submissions, ctx.lang, org_code, 500)
    if log.is_empty():
        # a link limited to some periods shows no log (a file may cover periods outside it)
        why = Why.OUT_OF_SCOPE if ctx.viewer.periods is not None else Why.NO_DATA
        empty.show(ctx, why, empty.subject(ctx, "history"), step="upload")
        return
    tables.submission_log(
        ctx, log, key="profile_history", download=f"athar_{org_code}_submissions.csv", with_org=False
    )


def _targets(ctx: PageContext, org_code: str) -> None:
    st.subheader(expectations_view.text(ctx, "progress_heading"))
    expectations_view.progress_table(ctx, org_code, key="profile_targets")
    expectations_view.committee_editor(ctx, org_code)


def render(ctx: PageContext) -> None:
    st.title(ctx.t("profile.title"))
    if ctx.run_id is None or not ctx.periods:
        empty.show(ctx, Why.NOT_SCORED, empty.subject(ctx, "scores"), step="score")
        return
    left, right = st.columns([3, 1])
    with left:
        org_code = pickers.org_select(ctx)
    with right:
        period = pickers.period_select(ctx)
    if org_code is None:
        empty.show(ctx, Why.NO_DATA, empty.subject(ctx, "organisations"))
        return
    scores = _header(ctx, org_code, period)
    card_download.button(ctx, org_code, period)
    review_labels.scores_note(ctx, period, [org_code])
    if scores.is_empty():
        empty.show(ctx, Why.NO_DATA, empty.subject(ctx, "org_scores"), step="upload")
        _history(ctx, org_code)
        return
    _composite(ctx, scores, period, pickers.comparable_previous(ctx, period)[0])
    _principle_ranks(ctx, scores, period)
    narrative_view.profile_section(ctx, org_code, period)
    whatif_view.render(ctx, period, org_code)
    _radar(ctx, scores, org_code, period)
    _indicators(ctx, org_code, period)
    _quality(ctx, scores, period)
    _trends(ctx, org_code, scores)
    _targets(ctx, org_code)
    _method_card(ctx, org_code, period)
    _history(ctx, org_code)


if __name__ == "__main__":
    render(page_context())
