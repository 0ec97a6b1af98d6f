"""Sustainable impact: does it last? Trends, persistence, follow-up outcomes, progress to targets.

Everything here is read from the run's ``score_trends`` and ``score_indicators`` (Theil–Sen
trends, persistence, the *sustained* flag, progress), computed by ``metrics.sustainability``.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, empty, expectations_view, pickers, tables, widgets
from dashboard.cells import Col, trend_text, unit_code
from dashboard.context import PageContext, page_context
from dashboard.empty import Why
from dashboard.lookup import labelled
from framework.model import UnitKind
from i18n import formatting as fmt
from store.reads import profile as profile_reads
from store.reads import sustainability as sustainability_reads

TRENDS = ("improving", "stable", "declining", "insufficient_data")


def _who(ctx: PageContext) -> str | None:
    """An organisation (members: their own) or the network (None)."""
    if ctx.viewer.role == "member":
        own = st.radio(
            ctx.t("sustainability.scope"),
            ["own", "network"],
            horizontal=True,
            key="sust_scope",
            format_func=lambda s: ctx.t(f"sustainability.scope_{s}"),
        )
        return ctx.viewer.org_code if own == "own" else None
    return pickers.org_select(ctx, key="sust_org", allow_network=True)


def _partial(ctx: PageContext) -> tuple[list[str], str] | None:
    """The run's partial periods and their label, for the series charts (None: every period is complete)."""
    running = ctx.period_states.filter(~pl.col("complete"))["period"].to_list()
    return (running, ctx.t("trends2.partial_point")) if running else None


def _complete_only(ctx: PageContext) -> str:
    """The sentence saying trends leave the partial periods out ('' when every period is complete)."""
    partial = _partial(ctx)
    return " " + ctx.t("trends2.complete_only", periods=fmt.join_list(partial[0], ctx.lang)) if partial else ""


def _trend_counts(ctx: PageContext) -> None:
    st.subheader(ctx.t("sustainability.counts_title"))
    summary = ctx.q(sustainability_reads.trend_summary, ctx.run_id)
    if summary.is_empty():
        empty.group_too_small(ctx)
        return
    summary = summary.with_columns(label=labelled(summary, "principle", ctx.principle_label, nulls=True))
    stacks = [(trend_text(name, ctx), summary[name].to_list(), charts.TREND_COLOURS[name]) for name in TRENDS]
    figure = charts.stacked_bars(
        summary["label"].to_list(),
        stacks,
        ctx.t("sustainability.counts_chart"),
        ctx.t("common.organisations_axis"),
        ctx.lang,
        patterns=[charts.TREND_PATTERNS[name] for name in TRENDS],
    )
    settings = ctx.framework.meta.sustainability
    charts.with_data(
        ctx,
        figure,
        summary,
        {
            "label": Col(ctx.t("common.principle")),
            **{name: Col(trend_text(name, ctx), "int") for name in TRENDS},
            "sustained": Col(ctx.t("trends.sustained_badge"), "int"),
            "median_persistence": Col(ctx.t("sustainability.median_persistence"), "pct"),
        },
        key="sust_counts",
        file_name="athar_trends.csv",
        caption=ctx.t(
            "sustainability.counts_caption",
            band=ctx.num(settings.stable_band, 1),
            periods=settings.trend_periods,
            threshold=ctx.num(settings.persistence_threshold),
            sustained=settings.sustained_periods,
        )
        + " "
        + ctx.t("tables.trend_method", page=ctx.t("nav.method"))
        + _complete_only(ctx),
    )


def _principle_series(ctx: PageContext, org: str | None) -> None:
    st.subheader(ctx.t("sustainability.series_title"))
    frame = ctx.q(sustainability_reads.score_series, ctx.run_id, org)
    if frame.is_empty():
        empty.show(ctx, Why.NO_DATA, empty.subject(ctx, "series"))
        return
    value = "score" if org is not None else "median"
    frame = frame.with_columns(label=labelled(frame, "principle", ctx.principle_label, nulls=True))
    series = []
    for code in ctx.series_codes:
        part = frame.filter(pl.col("principle").eq_missing(code)).sort("period")
        if part.height:
            series.append((ctx.principle_label(code), part["period"].to_list(), part[value].to_list()))
    title = ctx.t("sustainability.series_chart_org" if org else "sustainability.series_chart_network")
    figure = charts.lines(
        series, title, ctx.t("common.period"), ctx.t("common.score_axis"), ctx.lang, y_range=(0, 100),
        partial=_partial(ctx),
    )
    columns = {"period": Col(ctx.t("common.period")), "label": Col(ctx.t("common.principle"))}
    columns |= (
        {"score": Col(ctx.t("common.score"), "score"), "coverage": Col(ctx.t("common.coverage"), "pct")}
        if org
        else {
            **tables.quartile_columns(ctx),
        }
    )
    frame = frame.with_columns(period=labelled(frame, "period", ctx.period_label, nulls=True))
    charts.with_data(ctx, figure, frame, columns, key="sust_series", file_name="athar_principle_series.csv")


def _badges(ctx: PageContext, org: str) -> None:
    st.subheader(ctx.t("sustainability.badges_title"))
    trends = ctx.q(profile_reads.org_trends, ctx.run_id, org).filter(pl.col("indicator_code").is_null())
    if trends.is_empty():
        empty.show(ctx, Why.NO_DATA, empty.subject(ctx, "series"))
        return
    cols = st.columns(len(ctx.series_codes))
    for col, code in zip(cols, ctx.series_codes, strict=True):
        row = trends.filter(pl.col("principle").eq_missing(code))
        with col:
            st.markdown(f"**{ctx.principle_label(code)}**")
            if row.is_empty():
                st.caption(ctx.t("common.not_available"))
                continue
            r = row.row(0, named=True)
            st.markdown(trend_text(r["trend"], ctx))
            st.caption(
                ctx.tn(
                    "sustainability.persistence_value",
                    r["current_run"],
                    share=ctx.pct(r["persistence"]),
                    run=ctx.num(r["current_run"]),
                )
            )
            if r["sustained"]:
                st.markdown(widgets.badge(ctx.t("trends.sustained_badge")), unsafe_allow_html=True)


def _indicator_series(
    ctx: PageContext, org: str | None, code: str, *, key: str, title: str | None = None
) -> None:
    unit = ctx.unit_name(code)
    network = ctx.q(sustainability_reads.indicator_series, ctx.run_id, code)
    own = ctx.q(sustainability_reads.indicator_series, ctx.run_id, code, org) if org else None
    if network.is_empty() and (own is None or own.is_empty()):
        empty.show(
            ctx, Why.NO_DATA, empty.subject(ctx, "indicator_series", code=code, name=ctx.indicator_name(code))
        )
        return
    series = []
    if own is not None and own.height:
        series.append(
            (
                ctx.t("common.your_organisation") if ctx.viewer.role == "member" else org,
                own["period"].to_list(),
                own["value"].to_list(),
            )
        )
    band = None
    yes_no = code in ctx.framework.indicator_by_code and ctx.framework.unit_of(code).kind is UnitKind.BOOLEAN
    if network.height and yes_no:  # the share of organisations answering yes, never a median of 0 and 1
        shares = [None if v is None else v * 100 for v in network["share_yes"].to_list()]  # in % points
        series = [(ctx.t("trends2.share_yes"), network["period"].to_list(), shares)]
    elif network.height:
        series.append(
            (ctx.t("sustainability.network_median"), network["period"].to_list(), network["median"].to_list())
        )
        band = (
            network["period"].to_list(),
            network["q1"].to_list(),
            network["q3"].to_list(),
            ctx.t("sustainability.network_iqr"),
        )
    figure = charts.lines(
        series,
        title or f"{code} · {ctx.indicator_name(code)}",
        ctx.t("common.period"),
        f"{ctx.t('trends2.share_yes')} (%)" if yes_no else f"{ctx.indicator_name(code)} ({unit})",
        ctx.lang,
        band=band,
        partial=_partial(ctx),
    )
    table = network.select("period", "n", "q1", "median", "q3", "share_yes", "yes")
    if own is not None and own.height:
        table = table.join(
            own.select("period", own_value="value"), on="period", how="full", coalesce=True
        ).sort("period")
    table = table.with_columns(unit_code=pl.lit(unit_code(ctx, code), dtype=pl.String))
    # The network's median of a count is a count; a yes/no's network figure is the share of "yes".
    columns = {"period": Col(ctx.t("common.period"))}
    if "own_value" in table.columns:
        columns["own_value"] = Col(ctx.t("sustainability.own_value", unit=unit), "measure", unit="unit_code")
    columns |= (
        {
            "share_yes": Col(ctx.t("trends2.share_yes"), "pct", full=True),
            "yes": Col(ctx.t("trends2.orgs_yes"), "int"),
            "n": Col(ctx.t("common.organisations_n"), "int"),
        }
        if yes_no
        else {
            "median": Col(ctx.t("common.median"), "measure", unit="unit_code", full=True),
            "q1": Col(ctx.t("common.q1"), "measure", unit="unit_code", full=True),
            "q3": Col(ctx.t("common.q3"), "measure", unit="unit_code", full=True),
            "n": Col(ctx.t("common.organisations_n"), "int"),
        }
    )
    table = table.with_columns(period=labelled(table, "period", ctx.period_label, nulls=True))
    charts.with_data(ctx, figure, table, columns, key=key, file_name=f"athar_{code}_series.csv")


def _follow_up(ctx: PageContext, org: str | None) -> None:
    # A link for some principles only shows the follow-up indicators serving one of them.
    follow_up = [
        c for c in ctx.roles.follow_up if c in ctx.indicator_codes or c not in ctx.framework.indicator_by_code
    ]
    if not follow_up:
        return
    st.subheader(ctx.t("sustainability.follow_up_title"))
    st.caption(ctx.t("sustainability.follow_up_caption"))
    cols = st.columns(len(follow_up))
    for col, code in zip(cols, follow_up, strict=True):
        with col:
            if code not in ctx.framework.indicator_by_code:
                empty.show(ctx, Why.NO_DATA, empty.subject(ctx, "indicator_series", code=code, name=code))
                continue
            _indicator_series(
                ctx,
                org,
                code,
                key=f"sust_follow_{code}",
                title=ctx.t(f"sustainability.follow_up_{code}", name=ctx.indicator_name(code)),
            )


def _progress(ctx: PageContext, org: str | None) -> None:
    st.subheader(ctx.t("sustainability.targets_title"))
    with_target = [i for i in ctx.framework.indicators if i.target is not None]
    if not with_target:
        empty.show(ctx, Why.NO_DATA, empty.subject(ctx, "targets"), step="targets")
        return
    rows = ctx.q(sustainability_reads.target_progress, ctx.run_id, ctx.lang, org)
    if rows.is_empty():
        empty.show(ctx, Why.NO_DATA, empty.subject(ctx, "progress"))
        return
    rows = rows.with_columns(
        indicator=labelled(rows, "indicator_code", ctx.indicator_label),
        unit_code=labelled(rows, "indicator_code", lambda c: unit_code(ctx, c)),
        target=labelled(rows, "indicator_code", lambda c: (
            ctx.framework.indicator_by_code[c].target if c in ctx.framework.indicator_by_code else None
        ), dtype=pl.Float64),
    )
    if org is not None:
        figure = charts.bars(
            rows["indicator"].to_list(),
            [p * 100 for p in rows["progress"].to_list()],
            ctx.t("sustainability.targets_chart"),
            ctx.t("sustainability.progress_axis"),
            ctx.lang,
            value_range=(-100, 100),
        )
        charts.show(figure, key="sust_progress_chart")
    columns = {
        "indicator": Col(ctx.t("common.indicator"), width="medium"),
        "progress": Col(ctx.t("sustainability.progress"), "pct", "small", full=True),
        "target": Col(ctx.t("sustainability.target"), "measure", "small", unit="unit_code"),
        "last_period": Col(ctx.t("common.period"), width="small"),
    }
    extra = None
    if org is None and ctx.viewer.role != "member":
        columns = {"name": Col(ctx.t("common.organisation"), width="medium"), **columns}
        extra = {"org_code": Col(ctx.t("common.code"))}
    tables.table(ctx, rows, columns, key="sust_progress", download="athar_targets.csv", export_only=extra)


def render(ctx: PageContext) -> None:
    st.title(ctx.t("sustainability.title"))
    if ctx.run_id is None or not ctx.periods:
        empty.show(ctx, Why.NOT_SCORED, empty.subject(ctx, "scores"), step="score")
        return
    org = _who(ctx)
    # Trends and persistence span every period of the run: a link limited to some periods gets none.
    trends = ctx.viewer.periods is None
    if trends:
        _trend_counts(ctx)
    else:
        empty.note(ctx, Why.OUT_OF_SCOPE, "sustainability.trends_out_of_scope")
    _principle_series(ctx, org)
    if org is not None and trends:
        _badges(ctx, org)
    options = ctx.indicator_codes
    if not options:
        if trends:
            _progress(ctx, org)
        _org_targets(ctx, org)
        return
    st.subheader(ctx.t("sustainability.indicator_title"))
    pickers.remember("sust_indicator", options)
    code = st.selectbox(
        ctx.t("common.indicator"),
        options,
        key="sust_indicator",
        format_func=ctx.indicator_label,
    )
    _indicator_series(ctx, org, code, key="sust_indicator_chart")
    _follow_up(ctx, org)
    if trends:
        _progress(ctx, org)
    _org_targets(ctx, org)


def _org_targets(ctx: PageContext, org: str | None) -> None:
    """Each organisation's own targets and baselines (from its files or the committee), as progress."""
    st.subheader(expectations_view.text(ctx, "sustainability_heading"))
    expectations_view.progress_table(ctx, org, key="sust_org_targets")


if __name__ == "__main__":
    render(page_context())
