"""Shared Plotly builders: every chart has a title, axis titles with units, locale separators.

Pages pass plain lists (already translated labels); builders know nothing about the store.
For Arabic, charts stay left-to-right inside (Plotly has no RTL) but mirror where it reads
naturally: time and value axes run right to left, category axes sit on the right, titles and
legends are right-aligned (:func:`finish`, :func:`mirror`).

Pages show a figure with :func:`show` (the app's Plotly config: offline base map, no logo) or
:func:`with_data` (the chart, then the table it was drawn from and its exports). The builders are
pure and their figures are kept per process (``dashboard.figure_memo``): a figure returned here is
shared and is never changed after it is built. Each leaves with margins that already fit its labels,
legend and colour bar (``dashboard.chart_margins``), so the browser draws it once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import chart_margins, chart_theme
from dashboard.cells import Col
from dashboard.chart_margins import fitted
from dashboard.context import STATIC_URL, PageContext
from dashboard.figure_memo import memoised
from dashboard.folds import folded
from dashboard.tables import table
from i18n import RTL_LANGUAGES
from i18n import formatting as fmt
from i18n.bidi import right_to_left

FONT = "Source Sans, Noto Sans, Noto Sans Arabic, Noto Naskh Arabic, sans-serif"
#: Plotly's ``layout.separators``: decimal mark then thousands separator.
SEPARATORS = {"fr": ",\u202f", "en": ".,", "ar": ",."}
PALETTE = ("#1f6f8b", "#e07a1f", "#4c9a2a", "#9b3d8c", "#c23b22", "#6b6b6b", "#2a9d8f")
TREND_COLOURS = {
    "improving": "#2e7d32",
    "stable": "#9e9e9e",
    "declining": "#c62828",
    "insufficient_data": "#cfd8dc",
}
#: Fill patterns of the trend statuses (the legend also carries ▲ ■ ▼ ○): not colour alone.
TREND_PATTERNS = {"improving": "/", "stable": "", "declining": "\\", "insufficient_data": "."}
GRADE_COLOURS = {"A": "#2e7d32", "B": "#7cb342", "C": "#f9a825", "D": "#c62828"}
SCORE_SCALE = "Viridis"
NO_DATA = "#e0e0e0"
#: ``st.plotly_chart`` config: base layers served by the app (no CDN), no Plotly logo, and no
#: client-side "download as PNG" (the modebar's camera): an image saved in the browser would skip the
#: checked, audited export path; chart images come with the report card (PDF) instead.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "topojsonURL": STATIC_URL,
    "responsive": True,
    "modeBarButtonsToRemove": ["toImage"],
}


def show(figure: go.Figure, *, key: str) -> None:
    """A figure across the page's width, with the app's Plotly config; the theme is the figure's own
    (:func:`finish`, ``dashboard.chart_theme``), so Streamlit adds none."""
    st.plotly_chart(figure, config=PLOTLY_CONFIG, key=key, width="stretch", theme=None)


def with_data(
    ctx: PageContext,
    figure: go.Figure,
    frame: pl.DataFrame,
    columns: dict[str, Col],
    *,
    key: str,
    file_name: str,
    caption: str | None = None,
    export_only: dict[str, Col] | None = None,
) -> None:
    """A chart, then (folded) the table it was drawn from and its CSV and XLSX downloads
    (``export_only``: secondary columns kept in the downloads, off the screen). The table is
    built only once the fold is opened (its state: ``fold_{key}``, :func:`dashboard.folds.folded`)."""
    show(figure, key=key)
    if caption:
        st.caption(caption)
    box = folded(ctx.t("common.data_behind_chart"), key=key)
    with box:
        if box.open:
            table(ctx, frame, columns, key=f"{key}_table", download=file_name, export_only=export_only)


def _clean(values: Sequence[float | None]) -> list[float | None]:
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in values]


def finish(fig: go.Figure, title: str, lang: str, *, height: int = 380, mirror_x: bool = False) -> go.Figure:
    """Title, fonts, separators and (Arabic) mirroring shared by every chart, over the look of
    Streamlit's chart theme (``dashboard.chart_theme``: the figure carries it, no template)."""
    rtl = lang in RTL_LANGUAGES
    # A long title on one line ran off the chart's edge on a phone: it wraps to fit 320 px, and the
    # top margin grows by a line for each more line (builders that set their own top keep the room).
    title_lines = chart_margins.wrapped(title, chart_margins.NARROW_LINE, chart_theme.TITLE_SIZE, bold=True)
    fig.layout.template = chart_theme.TEMPLATE  # replaces Streamlit's (update_layout would merge)
    fig.update_layout(
        # The title at the top edge and the legend resting on the plot, both in pixels: a legend
        # placed a fraction of the plot's height above it climbs into the title on tall charts.
        title={
            "text": chart_theme.bold("<br>".join(right_to_left(line, lang) for line in title_lines)),
            "x": 0.99 if rtl else 0.01,
            "xanchor": "right" if rtl else "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            # Plotly lifts a title of several lines by their added height from its top anchor: pushed
            # back down by as much, the lines stay inside the chart (the top margin grew to hold them).
            "pad": {"t": 12 + chart_margins.TITLE_LIFT * (len(title_lines) - 1)},
        },
        font={"family": FONT},
        separators=SEPARATORS.get(lang, ".,"),
        height=height,
        margin={"l": 10, "r": 10, "t": 90 + chart_margins.TITLE_LINE * (len(title_lines) - 1), "b": 10},
        legend={
            "orientation": "h",
            "y": 1,
            "yanchor": "bottom",
            "x": 1 if rtl else 0,
            "xanchor": "right" if rtl else "left",
        },
    )
    for axis in fig.select_xaxes():  # a long horizontal axis title wraps too (the vertical one has the height)
        if axis.title.text and "<br>" not in axis.title.text:
            axis.title.text = "<br>".join(chart_margins.wrapped(axis.title.text, chart_margins.NARROW_LINE, 14))
    if rtl:  # axis and colour-bar titles are Arabic sentences inside a left-to-right drawing
        for axis in (*fig.select_xaxes(), *fig.select_yaxes()):
            if axis.title.text:
                axis.title.text = "<br>".join(right_to_left(line, lang) for line in axis.title.text.split("<br>"))
    if mirror_x:
        mirror(fig, lang)
    return fig


def mirror(fig: go.Figure, lang: str) -> go.Figure:
    """Arabic: the horizontal axis runs right to left and the vertical axis sits on the right."""
    if lang in RTL_LANGUAGES:
        fig.update_xaxes(autorange="reversed")
        fig.update_yaxes(side="right")
    return fig


@memoised
@fitted
def quartile_boxes(
    labels: Sequence[str],
    q1: Sequence[float],
    median: Sequence[float],
    q3: Sequence[float],
    lower: Sequence[float] | None,
    upper: Sequence[float] | None,
    title: str,
    y_title: str,
    lang: str,
    own: Sequence[float | None] | None = None,
    own_name: str = "",
) -> go.Figure:
    """Boxes from precomputed quartiles (no individual score ever reaches the browser)."""
    fig = go.Figure(
        go.Box(
            x=list(labels),
            q1=list(q1),
            median=list(median),
            q3=list(q3),
            lowerfence=list(lower if lower is not None else q1),
            upperfence=list(upper if upper is not None else q3),
            marker_color=PALETTE[0],
            name="",
            showlegend=False,
        )
    )
    if own is not None:
        fig.add_trace(
            go.Scatter(
                x=list(labels),
                y=_clean(own),
                mode="markers",
                name=own_name,
                marker={"symbol": "diamond", "size": 12, "color": PALETTE[1]},
            )
        )
    fig.update_yaxes(title=y_title, range=[0, 100])
    fig.update_xaxes(tickangle=0)
    return finish(fig, title, lang, mirror_x=True)


@memoised
@fitted
def histogram_bars(
    starts: Sequence[float],
    counts: Sequence[int],
    width: float,
    title: str,
    x_title: str,
    y_title: str,
    lang: str,
) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=[s + width / 2 for s in starts],
            y=list(counts),
            width=[width * 0.95] * len(starts),
            marker_color=PALETTE[0],
        )
    )
    fig.update_xaxes(title=x_title, range=[0, 100], dtick=width)
    fig.update_yaxes(title=y_title, rangemode="tozero")
    return finish(fig, title, lang, mirror_x=True)


@memoised
@fitted
def choropleth(
    geojson: dict | str,
    codes: Sequence[str],
    values: Sequence[float | None],
    names: Sequence[str],
    value_text: Sequence[str],
    all_codes: Sequence[str],
    all_names: Sequence[str],
    title: str,
    colour_title: str,
    no_data_text: str,
    lang: str,
) -> go.Figure:
    """Regions coloured by value; regions without one are drawn grey so the country stays whole."""
    shown = set(codes)
    missing = [(c, n) for c, n in zip(all_codes, all_names, strict=True) if c not in shown]
    fig = go.Figure()
    if missing:
        fig.add_trace(
            go.Choropleth(
                geojson=geojson,
                featureidkey="id",
                locations=[c for c, _ in missing],
                z=[0] * len(missing),
                colorscale=[[0, NO_DATA], [1, NO_DATA]],
                showscale=False,
                text=[n for _, n in missing],
                hovertemplate="%{text}<br>" + no_data_text + "<extra></extra>",
                marker_line_color="white",
            )
        )
    if codes:
        fig.add_trace(
            go.Choropleth(
                geojson=geojson,
                featureidkey="id",
                locations=list(codes),
                z=_clean(values),
                colorscale=SCORE_SCALE,
                colorbar={"title": {"text": colour_title}},
                text=list(names),
                customdata=list(value_text),
                hovertemplate="%{text}<br>%{customdata}<extra></extra>",
                marker_line_color="white",
            )
        )
    fig.update_geos(fitbounds="locations", visible=False)
    return finish(fig, title, lang, height=480)


#: Fewer principles than this in view: bars, not a radar (two axes make a line, one a point).
RADAR_MIN_AXES = 3


def _gap_labels(axes: Sequence[str], values: Sequence[float | None], gap_label: str) -> list[str]:
    """Axis labels, with ``gap_label`` on each axis the first series has no value for."""
    return [a if v is not None else f"{a} — {gap_label}" for a, v in zip(axes, _clean(values), strict=True)]


@memoised
@fitted
def radar(
    axes: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    lang: str,
    *,
    gap_label: str = "",
    value_title: str = "",
) -> go.Figure:
    """Principle scores on a radar (0–100), one polygon per series (own, peer median…).

    A principle without a value is a gap, never a point: the line breaks there (no
    ``connectgaps``, no fill across it) and its axis says ``gap_label``. With fewer than
    :data:`RADAR_MIN_AXES` axes, :func:`principle_bars` instead.
    """
    if len(axes) < RADAR_MIN_AXES:
        return principle_bars(axes, series, title, lang, gap_label=gap_label, value_title=value_title)
    labels = _gap_labels(axes, series[0][1], gap_label) if series else list(axes)
    fig = go.Figure()
    closed_axes = [*labels, labels[0]] if labels else []
    for n, (name, values) in enumerate(series):
        vals = _clean(values)
        whole = all(v is not None for v in vals)
        fig.add_trace(
            go.Scatterpolar(
                r=[*vals, vals[0]] if vals else [],
                theta=closed_axes,
                name=name,
                mode="lines+markers",
                fill="toself" if n == 0 and whole else None,
                line={"color": PALETTE[n % len(PALETTE)], "dash": "solid" if n == 0 else "dash"},
                connectgaps=False,
            )
        )
    fig.update_polars(
        radialaxis={"range": [0, 100]},
        angularaxis={
            "direction": "counterclockwise" if lang in RTL_LANGUAGES else "clockwise",
            # Plotly clips angular labels at the figure's edge: on a phone (390 px) a principle's full
            # name ran off both sides. Wrapped to short lines, inside side margins that hold them.
            "tickmode": "array",
            "tickvals": labels,
            "ticktext": [wrap_label(label, RADAR_LABEL_CHARS) for label in labels],
            "tickfont": {"size": 11},
        },
    )
    fig = finish(fig, title, lang, height=460)
    fig.update_layout(margin={"l": RADAR_SIDE_MARGIN, "r": RADAR_SIDE_MARGIN, "b": 40})
    return fig


#: Room each side of the radar for its wrapped labels (about 14 characters at 11 px).
RADAR_SIDE_MARGIN = 80
RADAR_LABEL_CHARS = 14


@memoised
@fitted
def principle_bars(
    axes: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    lang: str,
    *,
    gap_label: str = "",
    value_title: str = "",
) -> go.Figure:
    """The radar's data as grouped horizontal bars (0–100): a missing value is no bar, and says so."""
    labels = _gap_labels(axes, series[0][1], gap_label) if series else list(axes)
    fig = go.Figure()
    for n, (name, values) in enumerate(series):
        fig.add_trace(
            go.Bar(
                y=labels,
                x=_clean(values),
                name=name,
                orientation="h",
                marker_color=PALETTE[n % len(PALETTE)],
                marker_pattern_shape="" if n == 0 else "/",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title=value_title, range=[100, 0] if lang in RTL_LANGUAGES else [0, 100])
    fig.update_yaxes(autorange="reversed", type="category", side="right" if lang in RTL_LANGUAGES else "left")
    return finish(fig, title, lang, height=max(260, 60 * len(axes) * max(1, len(series)) + 120))


@memoised
@fitted
def rank_intervals(
    labels: Sequence[str],
    nominal: Sequence[float | None],
    median: Sequence[float | None],
    low: Sequence[float | None],
    high: Sequence[float | None],
    title: str,
    x_title: str,
    nominal_name: str,
    interval_name: str,
    lang: str,
) -> go.Figure:
    """Ranks with their 5–95 % interval: the honest answer to "who is first"."""
    med = _clean(median)
    lo = _clean(low)
    hi = _clean(high)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            y=list(labels),
            x=med,
            mode="markers",
            name=interval_name,
            marker={"color": PALETTE[0], "size": 9},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [None if h is None or m is None else h - m for h, m in zip(hi, med, strict=True)],
                "arrayminus": [
                    None if lw is None or m is None else m - lw for lw, m in zip(lo, med, strict=True)
                ],
                "thickness": 2,
                "width": 4,
            },
        )
    )
    fig.add_trace(
        go.Scatter(
            y=list(labels),
            x=_clean(nominal),
            mode="markers",
            name=nominal_name,
            marker={"symbol": "line-ns-open", "size": 14, "color": PALETTE[1]},
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title=x_title, rangemode="tozero")
    return finish(fig, title, lang, height=max(320, 28 * len(labels) + 120), mirror_x=True)


@memoised
@fitted
def heatmap(
    z: Sequence[Sequence[float | None]],
    x: Sequence[str],
    y: Sequence[str],
    title: str,
    colour_title: str,
    lang: str,
    *,
    zmin: float = 0,
    zmax: float = 100,
    text_digits: int = 0,
) -> go.Figure:
    rows = [_clean(r) for r in z]
    text = [
        ["" if v is None else fmt.number(v, lang, text_digits) for v in r]
        for r in rows
    ]
    fig = go.Figure(
        go.Heatmap(
            z=rows,
            x=list(x),
            y=list(y),
            zmin=zmin,
            zmax=zmax,
            colorscale=SCORE_SCALE,
            text=text,
            texttemplate="%{text}",
            # The colour scale under the plot, across it: beside the long row names it took the
            # width a phone's chart needs for its cells (and the wide screen a second drawing).
            colorbar={
                "title": {"text": colour_title, "side": "top"},
                "orientation": "h",
                "thickness": HEATMAP_BAR_THICKNESS,
                "len": 0.6,
                "x": 0.5,
                "xanchor": "center",
                "y": 0,
                "yanchor": "top",
            },
            hoverongaps=False,
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", side="top")
    fig = finish(fig, title, lang, height=max(300, 26 * len(y) + 270), mirror_x=True)  # 70 px: the scale
    fig.update_layout(margin={"t": fig.layout.margin.t + 60})  # the column labels sit on top
    return fig


HEATMAP_BAR_THICKNESS = 14


@memoised
@fitted
def lines(
    series: Sequence[tuple[str, Sequence[str], Sequence[float | None]]],
    title: str,
    x_title: str,
    y_title: str,
    lang: str,
    *,
    band: tuple[Sequence[str], Sequence[float | None], Sequence[float | None], str] | None = None,
    y_range: tuple[float, float] | None = None,
    partial: tuple[Sequence[str], str] | None = None,
) -> go.Figure:
    """Time series (x = period labels); ``band`` shades an interquartile range; ``partial`` (periods,
    label) draws those periods' points apart — open markers on a dotted line, named with the label —
    so a period still running never reads as one more point of the trend."""
    fig = go.Figure()
    if band is not None:
        periods, low, high, band_name = band
        fig.add_trace(
            go.Scatter(
                x=list(periods),
                y=_clean(high),
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=list(periods),
                y=_clean(low),
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(31,111,139,0.15)",
                name=band_name,
                hoverinfo="skip",
            )
        )
    running = set(partial[0]) if partial else set()
    for n, (name, periods, values) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        points = list(zip(periods, _clean(values), strict=True))
        done = [(x, None if x in running else y) for x, y in points]
        fig.add_trace(
            go.Scatter(
                x=[x for x, _ in done],
                y=[y for _, y in done],
                mode="lines+markers",
                name=name,
                legendgroup=name,
                line={"color": colour},
                connectgaps=False,
            )
        )
        if running & set(periods):
            _partial_points(fig, points, running, f"{name} ({partial[1]})", colour, name)
    fig.update_xaxes(title=x_title, type="category")
    fig.update_yaxes(title=y_title, range=list(y_range) if y_range else None, rangemode="tozero")
    fig = finish(fig, title, lang, mirror_x=True)
    side_legend(fig, lang)
    return fig


def _partial_points(
    fig: go.Figure, points: list[tuple[str, float | None]], running: set[str], name: str, colour: str, group: str
) -> None:
    """A series' partial periods, joined by a dotted line to its last complete point."""
    first = next(n for n, (x, _) in enumerate(points) if x in running)
    before = [p for p in points[:first] if p[1] is not None][-1:]
    tail = before + [p for p in points[first:] if p[0] in running]
    fig.add_trace(
        go.Scatter(
            x=[x for x, _ in tail],
            y=[y for _, y in tail],
            mode="lines+markers",
            name=name,
            legendgroup=group,
            line={"color": colour, "dash": "dot"},
            marker={"symbol": ["circle" if x not in running else "circle-open" for x, _ in tail], "size": 9},
            connectgaps=False,
        )
    )


def side_legend(fig: go.Figure, lang: str, *, width: int = 26) -> go.Figure:
    """The legend as a column beside the plot, away from the value axis: right of the plot left
    to right, left of it in Arabic (where time runs right to left and the value axis is on the right).

    A legend above the plot wraps into several rows when names are long (principles) and the
    rows climb into the title; beside the plot it only takes width, so the top margin can shrink
    to the title's. Long names are wrapped to about ``width`` characters so a narrow chart keeps
    its plot.
    """
    rtl = lang in RTL_LANGUAGES
    for trace in fig.data:
        if trace.name and "<br>" not in trace.name:
            trace.name = wrap_label(trace.name, width)
    fig.update_layout(
        legend={
            "orientation": "v",
            "y": 1,
            "yanchor": "top",
            "x": -0.02 if rtl else 1.02,
            "xanchor": "right" if rtl else "left",
            "valign": "top",
            "tracegroupgap": 4,
        },
        margin={"t": fig.layout.margin.t - 30},  # no legend row above the plot
    )
    return fig


def wrap_label(text: str, width: int = 18) -> str:
    """Break a label into lines of about ``width`` characters (Plotly reads ``<br>``)."""
    return "<br>".join(chart_margins.greedy_lines(text, lambda line: len(line) <= width))


@memoised
@fitted
def stacked_bars(
    categories: Sequence[str],
    stacks: Sequence[tuple[str, Sequence[float], str]],
    title: str,
    value_title: str,
    lang: str,
    *,
    horizontal: bool = True,
    patterns: Sequence[str] | None = None,
) -> go.Figure:
    """``stacks``: (name, values per category, colour); ``patterns``: a fill pattern per stack
    (Plotly's ``pattern.shape``), so that stacks are told apart without colour too."""
    fig = go.Figure()
    for i, (name, values, colour) in enumerate(stacks):
        marker = {"color": colour}
        if patterns and patterns[i]:
            # White hatching over the stack's colour: without ``bgcolor`` Plotly leaves the pattern's
            # ground transparent, and white lines on a white page drew the stack invisible.
            marker["pattern"] = {"shape": patterns[i], "fgcolor": "#ffffff", "bgcolor": colour, "size": 6}
        if horizontal:
            fig.add_trace(go.Bar(y=list(categories), x=list(values), name=name, orientation="h", marker=marker))
        else:
            fig.add_trace(go.Bar(x=list(categories), y=list(values), name=name, marker=marker))
    fig.update_layout(barmode="stack", legend={"traceorder": "normal"})
    if horizontal:
        fig.update_xaxes(title=value_title, rangemode="tozero")
        fig.update_yaxes(autorange="reversed", type="category")
        return finish(fig, title, lang, height=max(300, 40 * len(categories) + 140), mirror_x=True)
    fig.update_yaxes(title=value_title, rangemode="tozero")
    fig.update_xaxes(type="category")
    return finish(fig, title, lang, mirror_x=True)


@memoised
@fitted
def bars(
    labels: Sequence[str],
    values: Sequence[float | None],
    title: str,
    value_title: str,
    lang: str,
    *,
    value_range: tuple[float, float] | None = None,
    colours: Sequence[str] | None = None,
) -> go.Figure:
    """Horizontal bars, one per label."""
    fig = go.Figure(
        go.Bar(
            y=list(labels),
            x=_clean(values),
            orientation="h",
            marker_color=list(colours) if colours else PALETTE[0],
        )
    )
    fig.update_xaxes(title=value_title, range=list(value_range) if value_range else None)
    fig.update_yaxes(autorange="reversed", type="category")
    fig = finish(fig, title, lang, height=max(260, 34 * len(labels) + 120))
    if lang in RTL_LANGUAGES:
        fig.update_xaxes(autorange="reversed" if value_range is None else None)
        if value_range is not None:
            fig.update_xaxes(range=[value_range[1], value_range[0]])
        fig.update_yaxes(side="right")
    return fig


@memoised
@fitted
def sunburst(
    ids: Sequence[str],
    labels: Sequence[str],
    parents: Sequence[str],
    values: Sequence[float],
    title: str,
    lang: str,
) -> go.Figure:
    """A tree of shares (the framework's effective weights); parents add up their children."""
    fig = go.Figure(
        go.Sunburst(
            ids=list(ids),
            labels=list(labels),
            parents=list(parents),
            values=list(values),
            branchvalues="remainder",
            hovertemplate="%{label}<br>%{percentRoot:.1%}<extra></extra>",
            maxdepth=-1,
        )
    )
    return finish(fig, title, lang, height=520)
