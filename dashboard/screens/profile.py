"""Organisation profile: where one organisation stands, and how each of its numbers was made.

Radar of principle scores against a peer group's median, the composite with its rank interval,
each indicator's raw and normalised value with its weights, data-quality grades, trends with a
sparkline per principle, the method card and the submission history.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, exports, pickers, tables, widgets
from dashboard.cells import Col
from dashboard.context import PageContext, page_context
from i18n import formatting as fmt
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
        widgets.empty(ctx, "profile.no_scores_period", period=period)
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
        widgets.metric(
            ctx,
            ctx.t("profile.composite"),
            ctx.score(row["score"]) if row["score"] is not None else ctx.t("common.insufficient"),
            change,
            help=ctx.t("profile.composite_help"),
        )
    with b:
        if row["nominal_rank"] is not None:
            widgets.metric(
                ctx,
                ctx.t("profile.rank"),
                ctx.t(
                    "profile.rank_value",
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
            f"{ctx.pct(row['coverage'])} · {row['grade'] or '–'}",
            help=ctx.t("profile.coverage_grade_help"),
        )
    if row["rank_p05"] is not None:
        st.markdown(
            ctx.t(
                "profile.rank_sentence",
                rank=ctx.bdi(ctx.num(row["nominal_rank"])),
                count=ctx.bdi(ctx.num(row["ranked_count"])),
                low=ctx.bdi(ctx.num(row["rank_p05"])),
                high=ctx.bdi(ctx.num(row["rank_p95"])),
                median=ctx.bdi(ctx.num(row["median_rank"], 1)),
            ),
            unsafe_allow_html=True,
        )


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
        widgets.empty(ctx, "profile.no_peer_group")
    figure = charts.radar(
        [ctx.principle_name(c) for c in codes], series, ctx.t("profile.radar_chart", period=period), ctx.lang
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
        composite = peers.filter(pl.col("principle").is_null()).with_columns(
            group_label=tables.peer_group_label(ctx)
        )
        with st.expander(ctx.t("profile.peer_table_title")):
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
    fw = ctx.framework
    reported = set(values["indicator_code"].to_list())
    in_scope = set(ctx.indicator_codes)
    missing = [c for c in fw.required_indicators if c not in reported and c in in_scope]
    if values.is_empty():
        widgets.empty(ctx, "profile.no_values", period=period)
    else:
        table = values.with_columns(
            name=pl.col("indicator_code").map_elements(ctx.indicator_name, return_dtype=pl.String),
            unit=pl.col("indicator_code").map_elements(ctx.unit_name, return_dtype=pl.String),
            normalised_100=pl.col("normalised") * 100,
            weights=pl.col("indicator_code").map_elements(ctx.weights_text, return_dtype=pl.String),
        )
        tables.table(
            ctx,
            table,
            {
                "indicator_code": Col(ctx.t("common.code")),
                "name": Col(ctx.t("common.indicator")),
                "value": Col(ctx.t("profile.raw_value"), "num2"),
                "unit": Col(ctx.t("common.unit")),
                "normalised_100": Col(ctx.t("profile.normalised"), "num1"),
                "weights": Col(ctx.t("profile.weights")),
                "flagged": Col(ctx.t("profile.flagged"), "bool"),
            },
            key="profile_indicators",
            download=f"athar_{org_code}_{period}_indicators.csv",
        )
    if missing:
        st.markdown(ctx.tn("profile.missing_indicators", len(missing)), unsafe_allow_html=True)
        st.caption(fmt.join_list([f"{c} {ctx.indicator_name(c)}" for c in missing], ctx.lang))


def _quality(ctx: PageContext, scores: pl.DataFrame, period: str) -> None:
    st.subheader(ctx.t("profile.quality_title"))
    rows = scores.filter(pl.col("period") == period).with_columns(
        label=tables.labels(ctx.principle_label, pl.col("principle"))
    )
    tables.table(
        ctx,
        rows,
        {
            "label": Col(ctx.t("common.principle")),
            "grade": Col(ctx.t("quality.grade")),
            "completeness": Col(ctx.t("quality.completeness"), "pct"),
            "grade_completeness": Col(ctx.t("quality.grade_completeness")),
            "timeliness_days": Col(ctx.t("common.median_days"), "int"),
            "grade_timeliness": Col(ctx.t("quality.grade_timeliness")),
            "consistency_flags": Col(ctx.t("quality.flags"), "int"),
            "grade_consistency": Col(ctx.t("quality.grade_consistency")),
            "evidence": Col(ctx.t("quality.evidence"), "pct"),
            "grade_evidence": Col(ctx.t("quality.grade_evidence")),
        },
        key="profile_quality",
    )
    st.caption(ctx.t("profile.quality_caption"))


def _trends(ctx: PageContext, org_code: str, scores: pl.DataFrame) -> None:
    st.subheader(ctx.t("profile.trends_title"))
    trends = ctx.q(profile_reads.org_trends, ctx.run_id, org_code).filter(pl.col("indicator_code").is_null())
    series = ctx.series_codes
    cols = st.columns(len(series))
    for col, code in zip(cols, series, strict=True):
        history = scores.filter(pl.col("principle").eq_missing(code)).sort("period")
        values = [v for v in history["score"].to_list() if v is not None]
        trend = trends.filter(pl.col("principle").eq_missing(code))
        with col:
            if trend.is_empty():
                widgets.metric(ctx, ctx.principle_label(code), ctx.t("common.not_available"))
                continue
            row = trend.row(0, named=True)
            latest = history["score"][-1] if history.height else None
            widgets.metric(
                ctx,
                ctx.principle_label(code),
                ctx.score(latest),
                row["slope"] if row["trend"] != "insufficient_data" else None,
                help=ctx.t("profile.trend_help"),
                chart_data=values or None,
            )
            st.caption(ctx.t(f"trends.{row['trend']}"))
            if row["sustained"]:
                st.markdown(widgets.badge(ctx.t("trends.sustained_badge")), unsafe_allow_html=True)


def _method_card(ctx: PageContext, org_code: str, period: str) -> None:
    st.subheader(ctx.t("profile.method_card_title"))
    principle = pickers.principle_select(ctx, key="profile_card_principle")
    reads = method_reads.card_reads(ctx.store, ctx.viewer, ctx.run_id, org_code, period, principle, ctx.lang)
    card = card_or_none(reads)  # built from the viewer's scoped reads only
    if card is None:
        widgets.empty(ctx, "profile.no_card")
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
        widgets.empty(ctx, "profile.no_history")
        return
    tables.submission_log(
        ctx, log, key="profile_history", download=f"athar_{org_code}_submissions.csv", with_org=False
    )


def render(ctx: PageContext) -> None:
    st.title(ctx.t("profile.title"))
    if ctx.run_id is None or not ctx.periods:
        widgets.empty(ctx, "common.no_run")
        return
    left, right = st.columns([3, 1])
    with left:
        org_code = pickers.org_select(ctx)
    with right:
        period = pickers.period_select(ctx)
    if org_code is None:
        widgets.empty(ctx, "common.no_organisation")
        return
    scores = _header(ctx, org_code, period)
    if scores.is_empty():
        widgets.empty(ctx, "profile.no_scores", period=period)
        _history(ctx, org_code)
        return
    _composite(ctx, scores, period, pickers.previous_period(ctx, period))
    _radar(ctx, scores, org_code, period)
    _indicators(ctx, org_code, period)
    _quality(ctx, scores, period)
    _trends(ctx, org_code, scores)
    _method_card(ctx, org_code, period)
    _history(ctx, org_code)


if __name__ == "__main__":
    render(page_context())
