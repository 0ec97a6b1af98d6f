"""Compare: organisations or peer groups, with ranks shown as intervals, never as a bare order.

The steering committee (and a funder, within its link) compares organisations: ranking with
the 5–95 % interval from the run's Monte Carlo over weights, normalisations and aggregation, a
heatmap organisations × principles and their indicators side by side. A member compares its
own organisation with anonymised peer groups (five or more organisations).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, empty, pickers, review_labels, tables, whatif_view, widgets
from dashboard.cells import Col, unit_code
from dashboard.context import PageContext, page_context
from dashboard.empty import Why
from dashboard.lookup import labelled
from framework.model import UnitKind
from store.reads import compare as compare_reads
from store.reads import profile as profile_reads

FILTERS = ("region", "kind", "size_band", "thematic_area")
GROUPINGS = ("region", "kind", "size_band", "thematic_area")


def _group_options(ctx: PageContext) -> str:
    return st.radio(
        ctx.t("compare.group_by"),
        GROUPINGS,
        horizontal=True,
        key="compare_group_by",
        format_func=lambda g: ctx.t(f"groups.{g}"),
    )


def _filtered_orgs(ctx: PageContext, scores: pl.DataFrame) -> pl.DataFrame:
    """Organisation filters by peer-group attributes (on rows the viewer may already see)."""
    orgs = scores.select("org_code", "name", "kind", "region", "size_band", "thematic_areas").unique(
        "org_code"
    )
    cols = st.columns(len(FILTERS))
    for col, by in zip(cols, FILTERS, strict=True):
        if by == "thematic_area":
            values = sorted({v for vs in orgs["thematic_areas"].to_list() if vs for v in vs})
        else:
            values = sorted(v for v in orgs[by].unique().to_list() if v)
        with col:
            chosen = widgets.multiselect(
                ctx,
                ctx.t(f"groups.{by}"),
                values,
                key=f"compare_filter_{by}",
                placeholder=ctx.t("common.all"),
                format_func=lambda v, by=by: ctx.group_label(by, v),
            )
        if chosen:
            if by == "thematic_area":
                orgs = orgs.filter(pl.col("thematic_areas").list.eval(pl.element().is_in(chosen)).list.any())
            else:
                orgs = orgs.filter(pl.col(by).is_in(chosen))
    return orgs


def _shown_count(ctx: PageContext, ranked: int) -> int:
    """How many organisations the ranking shows (5 to 100, 25 at first): a select slider over the counts,
    written as the page writes numbers (Streamlit's own slider writes Latin digits on an Arabic page set to
    Arabic-Indic digits)."""
    counts = list(range(5, max(5, min(100, ranked)) + 1))
    if st.session_state.get("compare_top") not in counts:
        st.session_state["compare_top"] = min(25, ranked)
    return st.select_slider(ctx.t("compare.show_top"), counts, format_func=ctx.num, key="compare_top")


def _ranking(ctx: PageContext, composite: pl.DataFrame, period: str) -> None:
    st.subheader(ctx.t("compare.ranking_title"))
    ranked = composite.filter(pl.col("median_rank").is_not_null()).sort(
        "median_rank", "nominal_rank", "org_code"
    )
    if ranked.is_empty():
        empty.show(ctx, Why.NO_DATA, empty.subject(ctx, "ranks", period=period))
        return
    limit = _shown_count(ctx, ranked.height) if ranked.height > 5 else ranked.height
    shown = ranked.head(limit)
    labels = [
        f"{c} · {n}"[:48] for c, n in zip(shown["org_code"].to_list(), shown["name"].to_list(), strict=True)
    ]
    figure = charts.rank_intervals(
        labels,
        shown["nominal_rank"].to_list(),
        shown["median_rank"].to_list(),
        shown["rank_p05"].to_list(),
        shown["rank_p95"].to_list(),
        ctx.t("compare.ranking_chart", period=period),
        ctx.t("compare.rank_axis", count=ctx.num(shown["ranked_count"].max())),
        ctx.t("compare.nominal_rank"),
        ctx.t("compare.rank_interval"),
        ctx.lang,
    )
    charts.with_data(
        ctx,
        figure,
        ranked,
        {
            "name": Col(ctx.t("common.organisation"), width="medium"),
            "score": Col(ctx.t("common.composite"), "score", "small", full=True),
            "nominal_rank": Col(ctx.t("compare.nominal_rank"), "int", "small"),
            "rank_p05": Col(ctx.t("compare.rank_p05"), "int", "small"),
            "rank_p95": Col(ctx.t("compare.rank_p95"), "int", "small"),
            "ranked_count": Col(ctx.t("compare.ranked_count"), "int", "small"),
            "org_code": Col(ctx.t("common.code"), width="small"),
        },
        export_only={"median_rank": Col(ctx.t("compare.median_rank"), "num1")},
        key="compare_ranking",
        file_name=f"athar_ranking_{period}.csv",
        caption=ctx.t("compare.ranking_caption"),
    )


def _heatmap(ctx: PageContext, scores: pl.DataFrame, orgs: list[str], period: str) -> None:
    st.subheader(ctx.t("compare.heatmap_title"))
    codes = ctx.series_codes
    wide = (
        scores.filter(pl.col("org_code").is_in(orgs))
        .with_columns(column=pl.col("principle").fill_null("composite"))
        .pivot("column", index=["org_code", "name"], values="score", aggregate_function="first")
    )
    columns = ["composite" if c is None else c for c in codes]
    for name in columns:
        if name not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.Float64).alias(name))
    order = {c: n for n, c in enumerate(orgs)}
    wide = wide.sort(pl.col("org_code").replace_strict(order, default=len(order)))
    figure = charts.heatmap(
        [list(r) for r in wide.select(columns).rows()],
        [ctx.principle_label(c) if c else ctx.t("common.composite") for c in codes],
        [f"{c} · {n}"[:40] for c, n in zip(wide["org_code"].to_list(), wide["name"].to_list(), strict=True)],
        ctx.t("compare.heatmap_chart", period=period),
        ctx.t("common.score"),
        ctx.lang,
    )
    charts.with_data(
        ctx,
        figure,
        wide,
        {
            "org_code": Col(ctx.t("common.code")),
            "name": Col(ctx.t("common.organisation")),
            **{c: Col(ctx.principle_label(None if c == "composite" else c), "score") for c in columns},
        },
        key="compare_heatmap",
        file_name=f"athar_heatmap_{period}.csv",
    )


def _indicators_side_by_side(ctx: PageContext, orgs: pl.DataFrame, period: str, default: list[str]) -> None:
    st.subheader(ctx.t("compare.indicators_title"))
    names = dict(zip(orgs["org_code"].to_list(), orgs["name"].to_list(), strict=True))
    chosen = widgets.multiselect(
        ctx,
        ctx.t("compare.pick_orgs"),
        list(names),
        default=[c for c in default if c in names][:4],
        placeholder=ctx.t("common.choose"),
        max_selections=8,
        key="compare_side_orgs",
        format_func=lambda c: f"{c} — {names[c]}",
    )
    if not chosen:
        empty.hint(ctx, "compare.pick_orgs_hint")
        return
    values = ctx.q(compare_reads.indicator_values, ctx.run_id, period, tuple(sorted(chosen)))
    if values.is_empty():
        empty.show(ctx, Why.NO_DATA, empty.subject(ctx, "values_period", period=period))
        return
    wide = values.pivot("org_code", index="indicator_code", values="value", aggregate_function="first")
    wide = wide.with_columns(*_indicator_columns(ctx, wide))
    columns = {"name": Col(ctx.t("common.indicator"), width="medium")}
    columns |= {c: Col(c, "measure", "small", unit="unit_code") for c in chosen if c in wide.columns}
    columns |= {"unit": Col(ctx.t("common.unit"), width="small")}
    tables.table(ctx, wide, columns, key="compare_side_table", download=f"athar_indicators_{period}.csv")


def _indicator_columns(ctx: PageContext, frame: pl.DataFrame) -> list[pl.Series]:
    """An indicator table's row labels: "R01 · name", the unit's name and its code (precision)."""
    return [
        labelled(frame, "indicator_code", ctx.indicator_label).alias("name"),
        labelled(frame, "indicator_code", ctx.unit_name).alias("unit"),
        labelled(frame, "indicator_code", lambda c: unit_code(ctx, c)).alias("unit_code"),
    ]


def _group_view(ctx: PageContext, period: str) -> None:
    """Peer groups side by side (medians and quartiles; groups below the minimum size left out)."""
    by = _group_options(ctx)
    groups = ctx.q(compare_reads.group_scores, ctx.run_id, period, by)
    if groups.is_empty():
        empty.group_too_small(ctx)
        return
    groups = groups.with_columns(
        group_label=labelled(groups, "group_value", lambda v: ctx.group_label(by, v)),
        label=labelled(groups, "principle", ctx.principle_label, nulls=True),
    )
    composite = (
        groups.filter(pl.col("principle").is_null())
        if ctx.viewer.principles is None
        else groups.filter(pl.col("principle") == ctx.principle_codes[0])
    )
    figure = charts.quartile_boxes(
        [charts.wrap_label(g) for g in composite["group_label"].to_list()],
        composite["q1"].to_list(),
        composite["median"].to_list(),
        composite["q3"].to_list(),
        None,
        None,
        ctx.t("compare.groups_chart", name=composite["label"][0] if composite.height else "", period=period),
        ctx.t("common.score_axis"),
        ctx.lang,
    )
    charts.with_data(
        ctx,
        figure,
        groups,
        {
            "group_label": Col(ctx.t("common.group")),
            "label": Col(ctx.t("common.principle")),
            **tables.quartile_columns(ctx),
        },
        key="compare_groups",
        file_name=f"athar_groups_{by}_{period}.csv",
        caption=ctx.t("compare.groups_caption"),
    )
    codes = ctx.series_codes
    values = groups.with_columns(column=pl.col("principle").fill_null("composite")).pivot(
        "column", index="group_label", values="median", aggregate_function="first"
    )
    columns = ["composite" if c is None else c for c in codes]
    for name in columns:
        if name not in values.columns:
            values = values.with_columns(pl.lit(None, pl.Float64).alias(name))
    figure = charts.heatmap(
        [list(r) for r in values.select(columns).rows()],
        [ctx.principle_label(c) for c in codes],
        values["group_label"].to_list(),
        ctx.t("compare.groups_heatmap", period=period),
        ctx.t("common.median_score"),
        ctx.lang,
    )
    charts.show(figure, key="compare_groups_heatmap")
    yes_no = tuple(i.code for i in ctx.framework.indicators if ctx.framework.unit_of(i.code).kind is UnitKind.BOOLEAN)
    indicators = ctx.q(compare_reads.group_indicators, ctx.run_id, period, by, yes_no)
    if indicators.height:
        indicators = indicators.with_columns(
            group_label=labelled(indicators, "group_value", lambda v: ctx.group_label(by, v))
        )
        wide = indicators.pivot("group_label", index="indicator_code", values="median", aggregate_function="first")
        wide = wide.with_columns(*_indicator_columns(ctx, wide))
        group_columns = [c for c in wide.columns if c not in ("indicator_code", "name", "unit", "unit_code")]
        st.markdown(f"**{ctx.t('compare.group_indicators_title')}**")
        tables.table(
            ctx,
            wide,
            {
                "name": Col(ctx.t("common.indicator"), width="medium"),
                **{c: Col(c, "measure", "small", unit="unit_code", full=True, network=True) for c in group_columns},
                "unit": Col(ctx.t("common.unit"), width="small"),
            },
            key="compare_group_indicators",
            download=f"athar_group_indicators_{by}_{period}.csv",
        )


def _member_view(ctx: PageContext, period: str) -> None:
    """Own organisation against its anonymised peer groups."""
    org = ctx.viewer.org_code
    own = ctx.q(profile_reads.org_scores, ctx.run_id, org).filter(pl.col("period") == period)
    composite = own.filter(pl.col("principle").is_null())
    st.subheader(ctx.t("compare.member_rank_title"))
    review_labels.scores_note(ctx, period, [org])
    if composite.height and composite["rank_p05"][0] is not None:
        row = composite.row(0, named=True)
        st.markdown(widgets.composite_rank_sentence(ctx, row, period), unsafe_allow_html=True)
    else:
        empty.show(ctx, Why.INSUFFICIENT_COVERAGE, empty.subject(ctx, "own_rank", period=period))
    st.subheader(ctx.t("compare.member_peers_title"))
    peers = ctx.q(profile_reads.peer_groups, ctx.run_id, period, org)
    if peers.is_empty():
        empty.group_too_small(ctx, "peer_group", period=period)
    else:
        principle = pickers.principle_select(ctx, key="compare_member_principle")
        rows = peers.filter(pl.col("principle").eq_missing(principle))
        rows = rows.with_columns(group_label=tables.peer_group_label(ctx, rows))
        own_score = own.filter(pl.col("principle").eq_missing(principle))
        mine = own_score["score"][0] if own_score.height else None
        figure = charts.quartile_boxes(
            [charts.wrap_label(g) for g in rows["group_label"].to_list()],
            rows["q1"].to_list(),
            rows["median"].to_list(),
            rows["q3"].to_list(),
            None,
            None,
            ctx.t("compare.member_peers_chart", name=ctx.principle_label(principle), period=period),
            ctx.t("common.score_axis"),
            ctx.lang,
            own=[mine] * rows.height,
            own_name=ctx.t("common.your_organisation"),
        )
        charts.with_data(
            ctx,
            figure,
            rows,
            {
                "group_label": Col(ctx.t("common.group")),
                **tables.quartile_columns(ctx),
                "percentile": Col(ctx.t("profile.percentile"), "num1"),
            },
            key="compare_member_peers",
            file_name=f"athar_peers_{period}.csv",
            caption=ctx.t("compare.member_caption"),
        )
    st.subheader(ctx.t("compare.groups_title"))
    _group_view(ctx, period)


def render(ctx: PageContext) -> None:
    st.title(ctx.t("compare.title"))
    if ctx.run_id is None or not ctx.periods:
        empty.show(ctx, Why.NOT_SCORED, empty.subject(ctx, "scores"), step="score")
        return
    head, pick = st.columns([3, 1])
    with pick:
        period = pickers.period_select(ctx)
    _views(ctx, head, period)
    whatif_view.render(ctx, period)  # after the published figures: a simulation, never the page's subject


def _views(ctx: PageContext, head, period: str) -> None:
    if ctx.viewer.role == "member":
        _member_view(ctx, period)
        return
    with head:
        mode = st.radio(
            ctx.t("compare.mode"),
            ["orgs", "groups"],
            horizontal=True,
            key="compare_mode",
            format_func=lambda m: ctx.t(f"compare.mode_{m}"),
        )
    if mode == "groups":
        _group_view(ctx, period)
        return
    scores = ctx.q(compare_reads.period_scores, ctx.run_id, period, ctx.lang)
    if scores.is_empty():
        empty.show(
            ctx, Why.NO_DATA, empty.subject(ctx, "scores_period", period=period), step="upload_or_score"
        )
        return
    orgs = _filtered_orgs(ctx, scores)
    chosen = set(orgs["org_code"].to_list())
    composite = scores.filter(pl.col("principle").is_null() & pl.col("org_code").is_in(chosen))
    st.caption(ctx.tn("compare.selection", len(chosen)))
    review_labels.scores_note(ctx, period, sorted(chosen))
    if ctx.viewer.principles is None:
        _ranking(ctx, composite, period)
    ordered = composite.sort("median_rank", "nominal_rank", "org_code", nulls_last=True)["org_code"].to_list()
    ordered += sorted(chosen - set(ordered))
    limit = st.session_state.get("compare_top", 25)
    _heatmap(ctx, scores, ordered[: max(limit, 5)], period)
    _indicators_side_by_side(ctx, orgs, period, ordered[:3])


if __name__ == "__main__":
    render(page_context())
