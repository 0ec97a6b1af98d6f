"""Overview: the network in one screen for the chosen period.

Organisations and beneficiaries reached, submissions on time / late / missing, principle
scores with their distribution, a map of the twelve regions, and what changed since the
previous period. Members see the network only through aggregates (groups of five or more).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, empty, pickers, review_labels, sdg_panel, tables, widgets
from dashboard.cells import Col, display, indicator_kind
from dashboard.context import GEOJSON_FILE, STATIC_URL, PageContext, page_context, region_names
from dashboard.empty import Why
from dashboard.folds import folded
from dashboard.lookup import labelled
from framework.model import TimeAggregation, UnitKind
from i18n import formatting as fmt
from i18n import t
from metrics.reach import Reach, reach_range, with_low_bound
from store.reads import overview as overview_reads
from store.reads import profile as profile_reads

GEOJSON_URL = STATIC_URL + GEOJSON_FILE.name


def deadline_days(ctx: PageContext) -> float:
    """On time = median delay within the framework's grade-A timeliness threshold."""
    return float(ctx.framework_in_use.meta.quality.timeliness_days[0])


def _headline(ctx: PageContext, period: str, previous: str | None) -> None:
    reach = ctx.roles.beneficiaries
    summary = ctx.q(overview_reads.network_summary, ctx.run_id, period, reach)
    before = ctx.q(overview_reads.network_summary, ctx.run_id, previous, reach) if previous else None
    dist = ctx.q(overview_reads.score_distribution, ctx.run_id, period)
    composite = dist.filter(pl.col("principle").is_null())
    dist_before = ctx.q(overview_reads.score_distribution, ctx.run_id, previous) if previous else None
    composite_before = dist_before.filter(pl.col("principle").is_null()) if dist_before is not None else None
    a, b, c, d = st.columns(4)
    with a:
        _organisations_count(ctx, summary["organisations"])
    with b:
        widgets.change_metric(
            ctx,
            ctx.t("overview.reporting"),
            ctx.num(summary["reporting"]),
            None
            if not before or before["reporting"] is None or summary["reporting"] is None
            else summary["reporting"] - before["reporting"],
            previous,
            unit=None,
            digits=0,
            help=ctx.t("overview.reporting_help", period=period),
        )
    with c:
        _reach(ctx, summary, before, previous)
    with d:
        _composite_median(ctx, composite, composite_before, previous)


def _organisations_count(ctx: PageContext, count: int | None) -> None:
    """What the count counts: the link's organisations for a funder, the whole network otherwise."""
    key = "organisations_link" if ctx.viewer.role == "funder" else "organisations_network"
    widgets.metric(ctx, ctx.t(f"states.count.{key}"), ctx.num(count), help=ctx.t(f"states.count.{key}_help"))


def _composite_median(
    ctx: PageContext, composite: pl.DataFrame, composite_before: pl.DataFrame | None, previous: str | None
) -> None:
    """The composite median, or why a link limited to some principles has none."""
    label = ctx.t("overview.composite_median")
    if ctx.viewer.principles is not None:
        widgets.metric(
            ctx,
            label,
            ctx.t("states.out_of_scope_short"),
            help=ctx.t("states.count.composite_median_out_of_scope"),
        )
        return
    median = composite["median"][0] if composite.height else None
    median_before = (
        composite_before["median"][0] if composite_before is not None and composite_before.height else None
    )
    widgets.change_metric(
        ctx,
        label,
        ctx.score(median),
        None if median is None or median_before is None else median - median_before,
        previous,
        help=ctx.t("overview.composite_median_help"),
    )


def _reach_of(ctx: PageContext, summary: dict | None) -> Reach | None:
    if not summary:
        return None
    basis = "largest" if ctx.viewer.min_group <= 1 else "mean"  # as the read gives it (store.reads.overview)
    return reach_range(
        summary["beneficiaries"], summary.get("beneficiaries_largest"), summary.get("beneficiaries_shared"), basis,
        summary.get("beneficiaries_programmes"),
    )


def _reach(ctx: PageContext, summary: dict, before: dict | None, previous: str | None) -> None:
    """People reached as a range (largest organisation or deduplicated estimate – plain sum), with the
    sentence saying which bound is which; the change compares the sums, and says so."""
    code = ctx.roles.beneficiaries
    reach, reach_before = _reach_of(ctx, summary), _reach_of(ctx, before)
    change = None if reach is None or reach_before is None else reach.high - reach_before.high
    widgets.change_metric(
        ctx,
        ctx.t("overview.beneficiaries"),
        fmt.DASH if reach is None else fmt.number_range(reach.low, reach.high, ctx.lang),
        change,
        previous,
        unit=None,
        digits=0,
        help=ctx.t("overview.beneficiaries_help", name=ctx.indicator_name(code) if code else "–")
        + (" " + t("counting.reach_change", ctx.lang, previous=previous) if previous else ""),
    )
    if reach is not None:
        st.caption(reach_sentence(reach, ctx.lang))


def reach_sentence(reach: Reach, lang: str) -> str:
    """Which bound is which, in words (fr/ar/en)."""
    low, high = fmt.isolate(fmt.number(reach.low, lang), lang), fmt.isolate(fmt.number(reach.high, lang), lang)
    suffix = "" if reach.basis == "largest" else "_mean"
    if reach.deduplicated:
        return t(f"counting.reach_sentence_overlap{suffix}", lang, low=low, high=high,
                 shared=fmt.isolate(fmt.number(reach.deducted, lang), lang),
                 largest=fmt.isolate(fmt.number(reach.largest, lang), lang))
    return t(f"counting.reach_sentence{suffix}", lang, low=low, high=high)


def _status_labels(ctx: PageContext, period: str) -> dict[str, str]:
    """On time / late / missing; before a period's deadline, not reported yet is not "missing"."""
    labels = {status: ctx.t(f"status.{status}") for status in ("on_time", "late", "missing")}
    state = ctx.period_state(period)
    if state is not None and state["deadline"] >= ctx.today:
        labels["missing"] = ctx.t("periods.not_yet", deadline=ctx.date(state["deadline"]))
    return labels


def _submissions(ctx: PageContext, period: str) -> None:
    st.subheader(ctx.t("overview.submissions_title", period=period))
    days = deadline_days(ctx)
    counts = ctx.q(overview_reads.submission_status_counts, ctx.run_id, period, days)
    if counts is None:
        empty.group_too_small(ctx, "submission_counts", period=period)
        return
    labels = _status_labels(ctx, period)
    cols = st.columns(3)
    for col, status in zip(cols, ("on_time", "late", "missing"), strict=True):
        with col:
            widgets.metric(ctx, labels[status], ctx.num(counts[status]))
    st.caption(ctx.tn("overview.on_time_rule", days))
    rows = ctx.q(overview_reads.submission_status, ctx.run_id, period, days, ctx.lang)
    if ctx.viewer.role == "member":
        mine = rows.filter(pl.col("org_code") == ctx.viewer.org_code)
        if mine.height:
            status = mine["status"][0]
            st.markdown(ctx.t("overview.own_status", status=labels[status]))
            if status == "missing":
                empty.show(
                    ctx, Why.NO_DATA, empty.subject(ctx, "own_declaration", period=period), step="upload"
                )
        return
    late = rows.filter(pl.col("status") != "on_time").with_columns(
        status_label=pl.col("status").replace_strict(labels, default=None)
    )
    box = folded(ctx.t("overview.late_missing_list", count=ctx.num(late.height)), key="overview_late")
    with box:
        if not box.open:  # built only once opened (dashboard.folds)
            return
        tables.table(
            ctx,
            late,
            {
                "org_code": Col(ctx.t("common.code")),
                "name": Col(ctx.t("common.organisation")),
                "status_label": Col(ctx.t("common.status")),
                "timeliness_days": Col(ctx.t("common.median_days"), "int"),
            },
            key="overview_late",
            download=f"athar_submissions_{period}.csv",
        )


def _scores(ctx: PageContext, period: str) -> None:
    st.subheader(ctx.t("overview.scores_title"))
    dist = ctx.q(overview_reads.score_distribution, ctx.run_id, period)
    if dist.is_empty():
        empty.show(
            ctx, Why.NO_DATA, empty.subject(ctx, "scores_period", period=period), step="upload_or_score"
        )
        return
    dist = dist.with_columns(label=labelled(dist, "principle", ctx.principle_label, nulls=True))
    own = None
    if ctx.viewer.role == "member":
        mine = ctx.q(profile_reads.org_scores, ctx.run_id, ctx.viewer.org_code).filter(
            pl.col("period") == period
        )
        own_by = {p: s for p, s in zip(mine["principle"].to_list(), mine["score"].to_list(), strict=True)}
        own = [own_by.get(p) for p in dist["principle"].to_list()]
    members = ctx.viewer.role == "member"
    figure = charts.quartile_boxes(
        [p or ctx.t("common.composite") for p in dist["principle"].to_list()],
        dist["q1"].to_list(),
        dist["median"].to_list(),
        dist["q3"].to_list(),
        None if members else dist["min"].to_list(),
        None if members else dist["max"].to_list(),
        ctx.t("overview.distribution_chart", period=period),
        ctx.t("common.score_axis"),
        ctx.lang,
        own=own,
        own_name=ctx.t("common.your_organisation"),
    )
    left, right = st.columns(2)
    with left:
        charts.with_data(
            ctx,
            figure,
            dist,
            {
                "label": Col(ctx.t("common.principle")),
                **tables.quartile_columns(ctx),
                "insufficient": Col(ctx.t("common.insufficient_n"), "int"),
            },
            key="overview_distribution",
            file_name=f"athar_scores_{period}.csv",
            caption=ctx.t(
                "overview.distribution_caption_member" if members else "overview.distribution_caption"
            ),
        )
    with right:
        bins = ctx.q(overview_reads.score_histogram, ctx.run_id, period, None, 10)
        if bins.is_empty():
            why = Why.OUT_OF_SCOPE if ctx.viewer.principles is not None else Why.BELOW_THRESHOLD
            empty.show(ctx, why, empty.subject(ctx, "composite_bands"))
        else:
            figure = charts.histogram_bars(
                bins["bin"].to_list(),
                bins["n"].to_list(),
                10,
                ctx.t("overview.histogram_chart"),
                ctx.t("common.score_axis"),
                ctx.t("common.organisations_axis"),
                ctx.lang,
            )
            charts.with_data(
                ctx,
                figure,
                bins,
                {
                    "bin": Col(ctx.t("common.score_band_from"), "int"),
                    "n": Col(ctx.t("common.organisations_n"), "int"),
                },
                key="overview_histogram",
                file_name=f"athar_composite_bands_{period}.csv",
            )


def _map_measure(ctx: PageContext) -> tuple[str, str | None]:
    """('principle', code|None) or ('indicator', code), chosen by the user."""
    kind = st.radio(
        ctx.t("overview.map_measure"),
        ["principle", "indicator"],
        horizontal=True,
        key="map_kind",
        format_func=lambda k: ctx.t(f"overview.map_kind_{k}"),
    )
    if kind == "principle":
        return "principle", pickers.principle_select(ctx, key="map_principle")
    options = ctx.indicator_codes
    if not options:
        return "principle", pickers.principle_select(ctx, key="map_principle")
    pickers.remember("map_indicator", options)
    return "indicator", st.selectbox(
        ctx.t("common.indicator"),
        options,
        key="map_indicator",
        format_func=ctx.indicator_label,
    )


def _indicator_how(ctx: PageContext, code: str) -> str:
    """Counts add up across organisations; rates and ratios are summarised by their median; a yes/no
    by the share of organisations answering yes."""
    indicator = ctx.framework.indicator_by_code[code]
    unit = ctx.framework.unit_of(code)
    if unit.kind is UnitKind.BOOLEAN:
        return "share"
    summable = indicator.aggregation in (TimeAggregation.SUM, TimeAggregation.LAST, TimeAggregation.MAX)
    return "sum" if summable and unit.kind in (UnitKind.INTEGER, UnitKind.DECIMAL) else "median"


def _counts_people(ctx: PageContext, code: str) -> bool:
    """Whole-number counts with a counting rule (people, households, partnerships): two members may count
    the same ones, so their sum is only an upper bound."""
    indicator = ctx.framework.indicator_by_code[code]
    return indicator.counting is not None and ctx.framework.unit_of(code).kind is UnitKind.INTEGER


def _map(ctx: PageContext, period: str) -> None:
    st.subheader(ctx.t("overview.map_title"))
    kind, code = _map_measure(ctx)
    if kind == "principle":
        frame = ctx.q(overview_reads.region_scores, ctx.run_id, period, code)
        colour_title = ctx.t("common.median_score")
        title = ctx.t("overview.map_chart_principle", name=ctx.principle_label(code), period=period)
        value_text = [ctx.score(v) for v in frame["value"].to_list()]
        value_col = Col(colour_title, "score")
    else:
        how = _indicator_how(ctx, code)
        frame = ctx.q(overview_reads.region_indicator, ctx.run_id, period, code, how)
        unit = ctx.unit_name(code)
        colour_title = unit
        key = "trends2.map_chart_share" if how == "share" else f"overview.map_chart_indicator_{how}"
        title = ctx.t(key, name=ctx.indicator_name(code), period=period, unit=unit)
        kind = indicator_kind(ctx, code)  # a count without decimals, a yes/no as the share of "yes"
        if how == "share":
            kind, colour_title = "yesshare", ctx.t("trends2.share_yes")
        value_text = [
            display(v, kind, ctx) + ("" if kind in ("share", "yesno", "yesshare") else f" {unit}") for v in frame["value"].to_list()
        ]
        value_col = Col(colour_title, kind, full=True)
        if how == "sum" and _counts_people(ctx, code):  # people may be counted by two members: a range
            frame = with_low_bound(frame)
            value_text = [f"{fmt.number_range(lo, hi, ctx.lang)} {unit}"
                          for lo, hi in zip(frame["low"].to_list(), frame["value"].to_list(), strict=True)]
            value_col = Col(ctx.t("counting.map_high"), kind, full=True)
    names = region_names()
    all_codes = sorted(names)
    frame = frame.with_columns(region_name=labelled(frame, "region", ctx.region_name))
    figure = charts.choropleth(
        GEOJSON_URL,
        frame["region"].to_list(),
        frame["value"].to_list(),
        frame["region_name"].to_list(),
        value_text,
        all_codes,
        [ctx.region_name(c) for c in all_codes],
        title,
        colour_title,
        ctx.t("overview.map_no_data"),
        ctx.lang,
    )
    charts.with_data(
        ctx,
        figure,
        frame,
        {
            "region": Col(ctx.t("common.code")),
            "region_name": Col(ctx.t("common.region")),
            "n": Col(ctx.t("common.organisations_n"), "int"),
            **({"low": Col(ctx.t("counting.map_low"), "int")} if "low" in frame.columns else {}),
            "value": value_col,
        },
        key="overview_map",
        file_name=f"athar_regions_{period}.csv",
        caption=ctx.t(
            "overview.map_caption_member" if ctx.viewer.role == "member" else "overview.map_caption"
        ),
    )
    if "low" in frame.columns:
        st.caption(ctx.t("counting.map_range_caption"))
    st.markdown(
        f'<div class="athar-attribution">{ctx.t("common.osm_attribution")}</div>', unsafe_allow_html=True
    )


def _changes(ctx: PageContext, period: str, previous: str | None) -> None:
    if previous is None:
        st.subheader(ctx.t("states.changes.title_first", period=period))
        empty.show(ctx, Why.NO_EARLIER_PERIOD, empty.subject(ctx, "changes"), period=period)
        return
    st.subheader(ctx.t("states.changes.title", period=period, previous=previous))
    band = ctx.framework.meta.sustainability.stable_band
    changes = ctx.q(overview_reads.principle_changes, ctx.run_id, period, previous, band)
    if changes.is_empty():
        empty.group_too_small(ctx, "changes")
        return
    changes = changes.with_columns(label=labelled(changes, "principle", ctx.principle_label, nulls=True))
    cols = st.columns(len(changes))
    for col, row in zip(cols, changes.iter_rows(named=True), strict=True):
        with col:
            widgets.change_metric(
                ctx,
                row["label"],
                ctx.score(row["median_now"]),
                row["change"],
                previous,
                help=ctx.t("overview.change_help", previous=previous),
            )
    tables.table(
        ctx,
        changes,
        {
            "label": Col(ctx.t("common.principle")),
            "median_before": Col(ctx.t("overview.median_in", period=previous), "score"),
            "median_now": Col(ctx.t("overview.median_in", period=period), "score"),
            "change": Col(ctx.t("common.change_points"), "change", full=True),
            "improved": Col(ctx.t("overview.improved_n", band=ctx.num(band, 1)), "int"),
            "declined": Col(ctx.t("overview.declined_n", band=ctx.num(band, 1)), "int"),
        },
        key="overview_changes",
        download=f"athar_changes_{previous}_{period}.csv",
    )
    if ctx.viewer.role != "member":
        movers = ctx.q(overview_reads.org_changes, ctx.run_id, period, previous, ctx.lang, 10)
        if movers.height:
            st.markdown(f"**{ctx.t('overview.movers_title')}**")
            tables.table(
                ctx,
                movers,
                {
                    "name": Col(ctx.t("common.organisation"), width="medium"),
                    "now": Col(period, "score"),
                    "before": Col(previous, "score"),
                    "change": Col(ctx.t("common.change_points"), "change"),
                    "org_code": Col(ctx.t("common.code"), width="small"),
                },
                key="overview_movers",
            )


def render(ctx: PageContext) -> None:
    st.title(ctx.t("overview.title"))
    if ctx.run_id is None or not ctx.periods:
        empty.show(ctx, Why.NOT_SCORED, empty.subject(ctx, "scores"), step="score")
        return
    head, pick = st.columns([3, 1])
    with pick:
        period = pickers.period_select(ctx)
    previous, withheld = pickers.comparable_previous(ctx, period)
    with head:
        st.caption(
            ctx.t(
                "overview.subtitle",
                period=ctx.period_label(period),
                run=ctx.run_id,
                date=ctx.date(ctx.run["created_at"]),
            )
        )
    review_labels.scores_note(ctx, period)
    _headline(ctx, period, previous)
    _submissions(ctx, period)
    _scores(ctx, period)
    _map(ctx, period)
    sdg_panel.overview_panel(ctx, period)
    if withheld is None:
        _changes(ctx, period, previous)
    else:
        _changes_withheld(ctx, period, withheld)


def _changes_withheld(ctx: PageContext, period: str, note: str) -> None:
    """No changes between a partial period and another one: say why instead of showing a fall."""
    st.subheader(ctx.t("overview.changes_title", period=period, previous=pickers.previous_period(ctx, period)))
    st.info(note, icon=":material/schedule:")


if __name__ == "__main__":
    render(page_context())
