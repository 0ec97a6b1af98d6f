"""One indicator across the network (Open SDG / Our World in Data style).

The network's series over the run's periods (``metrics.network`` says which figure: never a sum
of people across organisations), the SDG targets and IRIS+ metric the framework maps it to, and
its breakdowns as charts with translated labels. Every value a non-committee viewer gets has
been through small-cell suppression (``framework.disclosure``, applied by the reads themselves):
hidden cells read "< 5" or "masqué", never 0.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, empty, pickers, tables
from dashboard.cells import Col
from dashboard.context import PageContext, page_context
from dashboard.empty import Why
from framework.groups import MIN_GROUP
from framework.model import BREAKDOWN_COLUMNS, Indicator, UnitKind
from i18n import formatting as fmt
from metrics.network import breakdowns_add_up, counts_people, network_statistic
from store.reads import indicator as indicator_reads


def _choose(ctx: PageContext) -> Indicator | None:
    codes = ctx.indicator_codes
    if not codes:
        empty.note(ctx, Why.OUT_OF_SCOPE, "indicator.no_indicator")
        return None
    pickers.remember("ind_code", codes)
    code = st.selectbox(
        ctx.t("indicator.choose"),
        codes,
        key="ind_code",
        format_func=ctx.indicator_label,
    )
    return ctx.framework.indicator_by_code.get(code)


def _list(ctx: PageContext, items: list[str]) -> str:
    """Period labels as a list in the reader's language (Arabic comma, each label kept left to right)."""
    return ("، " if ctx.rtl else ", ").join(fmt.isolate(item, ctx.lang) for item in items)


def _described(ctx: PageContext, key: str, code: str) -> str:
    """A target's or metric's plain description from the catalogue (its code for a mapping it lacks)."""
    try:
        return ctx.t(f"indicator.{key}.{code}")
    except KeyError:
        return fmt.isolate(code, ctx.lang)


def _frameworks(ctx: PageContext, indicator: Indicator) -> None:
    st.subheader(ctx.t("indicator.frameworks_title"))
    left, right = st.columns(2)
    with left:
        if not indicator.sdg:
            st.caption(ctx.t("indicator.no_sdg"))
        for target in indicator.sdg:
            st.markdown(f"**{ctx.t('indicator.sdg', code=fmt.isolate(target, ctx.lang))}**")
            st.caption(_described(ctx, "sdg_targets", target))
    with right:
        if indicator.iris is None:
            st.caption(ctx.t("indicator.no_iris"))
        else:
            st.markdown(f"**{ctx.t('indicator.iris', code=fmt.isolate(indicator.iris, ctx.lang))}**")
            st.caption(_described(ctx, "iris_metrics", indicator.iris))


def _series(ctx: PageContext, indicator: Indicator) -> None:
    st.subheader(ctx.t("indicator.series_title"))
    unit = ctx.framework.unit_of(indicator.code)
    frame = ctx.q(
        indicator_reads.network_series,
        ctx.run_id,
        indicator.code,
        indicator.weight_by,
        indicator.numerator,
        indicator.denominator,
    )
    if frame.is_empty():
        empty.group_too_small(ctx)
        return
    statistic = network_statistic(indicator, unit)
    if unit.kind is UnitKind.BOOLEAN:  # the share of organisations answering yes: no quartiles of 0 and 1
        _yes_no_series(ctx, indicator, frame)
        return
    label = ctx.t(f"indicator.statistic_{statistic}")
    periods = frame["period"].to_list()
    figure = charts.lines(
        [(label, periods, frame[statistic].to_list())],
        ctx.t("indicator.series_chart", name=ctx.indicator_name(indicator.code)),
        ctx.t("common.period"),
        unit.name.get(ctx.lang),
        ctx.lang,
        band=(periods, frame["q1"].to_list(), frame["q3"].to_list(), ctx.t("indicator.band")),
    )
    frame = frame.with_columns(
        status=pl.when(pl.col("suppressed")).then(pl.lit(ctx.t("indicator.hidden_other"))).otherwise(None)
    )
    kind = "pct" if unit.kind.value == "percent" else "num1"
    if kind == "pct":  # stored in points, shown as percentages
        frame = frame.with_columns(pl.col(c) / 100 for c in dict.fromkeys(("q1", "median", "q3", statistic)))
    columns = {
        "period": Col(ctx.t("common.period")),
        "n": Col(ctx.t("indicator.orgs"), "int"),
        statistic: Col(label, kind),
        "q1": Col("Q1", kind),
        "median": Col(ctx.t("indicator.statistic_median"), kind),
        "q3": Col("Q3", kind),
        "status": Col(ctx.t("indicator.status")),
    }
    caption = ctx.t("indicator.people_caption") if counts_people(indicator) else None
    hidden = frame.filter(pl.col("suppressed"))["period"].to_list()
    if hidden:
        extra = ctx.t("indicator.hidden_series", periods=_list(ctx, hidden), min=MIN_GROUP)
        caption = f"{caption} {extra}" if caption else extra
    charts.with_data(
        ctx, figure, frame, columns, key="ind_series", file_name="athar_indicator_series.csv", caption=caption
    )


def _yes_no_series(ctx: PageContext, indicator: Indicator, frame: pl.DataFrame) -> None:
    """A yes/no indicator's network series: the share of organisations answering yes, and how many."""
    label = ctx.t("trends2.share_yes")
    figure = charts.lines(
        [(label, frame["period"].to_list(), [None if v is None else v * 100 for v in frame["mean"].to_list()])],
        ctx.t("indicator.series_chart", name=ctx.indicator_name(indicator.code)),
        ctx.t("common.period"),
        f"{label} (%)",
        ctx.lang,
        y_range=(0, 100),
    )
    frame = frame.with_columns(
        status=pl.when(pl.col("suppressed")).then(pl.lit(ctx.t("indicator.hidden_other"))).otherwise(None)
    )
    columns = {
        "period": Col(ctx.t("common.period")),
        "mean": Col(label, "pct", full=True),
        "yes": Col(ctx.t("trends2.orgs_yes"), "int"),
        "n": Col(ctx.t("indicator.orgs"), "int"),
        "status": Col(ctx.t("indicator.status")),
    }
    charts.with_data(ctx, figure, frame, columns, key="ind_series", file_name="athar_indicator_series.csv")


def category_label(ctx: PageContext, dimension: str, category: str | None) -> str:
    """A breakdown value as people read it (``Femmes et filles``, a region's name), never ``sex=F``."""
    if category is None:
        return ctx.t("indicator.total")
    if dimension == "region":
        return ctx.region_name(category)
    try:
        return ctx.t(f"indicator.categories.{dimension}_{category}")
    except KeyError:
        return fmt.isolate(category, ctx.lang)


def _labelled(ctx: PageContext, cells: pl.DataFrame) -> pl.DataFrame:
    """Translated labels, the note of hidden cells and each cell's share of its breakdown's total."""
    pairs = cells.select("dimension", "category").unique()
    names = pairs.with_columns(
        dimension_label=pl.Series(
            [ctx.t(f"indicator.dimensions.{d}") for d in pairs["dimension"]], dtype=pl.String
        ),
        category_label=pl.Series(
            [category_label(ctx, d, c) for d, c in pairs.iter_rows()], dtype=pl.String
        ),
    )
    total = (
        pl.col("people").filter(pl.col("category").is_null()).first().over("period", "dimension")
    )
    return cells.join(names, on=["dimension", "category"], how="left", nulls_equal=True).with_columns(
        note=pl.when(pl.col("reason") == "people")
        .then(pl.lit(ctx.t("indicator.hidden_people")))
        .when(pl.col("suppressed"))
        .then(pl.lit(ctx.t("indicator.hidden_other"))),
        share=pl.when(pl.col("category").is_not_null()).then(pl.col("people") / total),
    )


def _breakdown_chart(ctx: PageContext, indicator: Indicator, part: pl.DataFrame, period: str) -> None:
    dimension = part["dimension"][0]
    cells = part.filter(pl.col("category").is_not_null())
    if cells["suppressed"].all():
        empty.note(ctx, Why.BELOW_THRESHOLD, "indicator.all_hidden", min=MIN_GROUP)
        return
    labels = [
        f"{name} ({note})" if note else name for name, note in cells.select("category_label", "note").iter_rows()
    ]
    figure = charts.bars(
        labels,
        cells["people"].to_list(),
        ctx.t(
            "indicator.breakdown_chart",
            name=ctx.indicator_name(indicator.code),
            dimension=ctx.t(f"indicator.dimensions.{dimension}"),
            period=period,
        ),
        ctx.unit_name(indicator.code),
        ctx.lang,
    )
    charts.show(figure, key=f"ind_breakdown_{dimension}")


def _breakdowns(ctx: PageContext, indicator: Indicator) -> None:
    st.subheader(ctx.t("indicator.breakdowns_title"))
    unit = ctx.framework.unit_of(indicator.code)
    if not breakdowns_add_up(unit):
        st.caption(ctx.t("indicator.breakdowns_counts_only"))
        return
    granularity = (ctx.run or {}).get("granularity") or "year"
    cells = ctx.q(
        indicator_reads.breakdown_cells, ctx.run_id, indicator.code, granularity, indicator.aggregation.value
    )
    if cells.is_empty():
        empty.note(ctx, Why.NO_DATA, "indicator.breakdowns_none")
        return
    cells = _labelled(ctx, cells)
    periods = sorted(cells["period"].unique().to_list(), reverse=True)
    pickers.remember("ind_period", periods)
    period = st.selectbox(ctx.t("indicator.breakdowns_period"), periods, key="ind_period")
    st.caption(ctx.t("indicator.breakdowns_caption"))
    shown = cells.filter(pl.col("period") == period)
    for dimension in BREAKDOWN_COLUMNS:
        part = shown.filter(pl.col("dimension") == dimension)
        if not part.is_empty():
            _breakdown_chart(ctx, indicator, part, period)
    st.caption(ctx.t("indicator.suppression_note", min=MIN_GROUP))
    with st.expander(ctx.t("indicator.all_cells")):
        tables.table(
            ctx,
            cells,
            {
                "period": Col(ctx.t("common.period")),
                "dimension_label": Col(ctx.t("indicator.dimension")),
                "category_label": Col(ctx.t("indicator.category")),
                "people": Col(ctx.t("indicator.people"), "int"),
                "note": Col(ctx.t("indicator.status")),
                "share": Col(ctx.t("indicator.share"), "pct"),
                "orgs": Col(ctx.t("indicator.orgs"), "int"),
            },
            key="ind_cells",
            download="athar_indicator_breakdowns.csv",
        )


def render(ctx: PageContext) -> None:
    st.title(ctx.t("indicator.title"))
    st.caption(ctx.t("indicator.intro"))
    if ctx.run_id is None:
        empty.note(ctx, Why.NOT_SCORED, "indicator.no_run")
        return
    indicator = _choose(ctx)
    if indicator is None:
        return
    periods = _list(ctx, ctx.periods) or fmt.DASH
    st.caption(ctx.t("indicator.unit", unit=ctx.unit_name(indicator.code), periods=periods))
    _frameworks(ctx, indicator)
    _series(ctx, indicator)
    _breakdowns(ctx, indicator)


render(page_context())
