"""The look Streamlit's chart theme gave Athar's Plotly charts, written into each figure.

``st.plotly_chart(theme="streamlit")`` sends Streamlit's Plotly template with every figure and the
browser then merges a second one into it (fonts, greys, grid lines, margins), swaps its colour
placeholders and bolds the title: about 3.6 KB more per figure and a slower drawing (issue 15: a
chart drew in 36–49 ms without it, 59–81 ms with it). Athar's charts are shown with ``theme=None``
carry :data:`TEMPLATE`: the layout that template resolved to with the app's theme
(``.streamlit/config.toml``: light base, text ``#1d2a33``) in Streamlit 1.67, and nothing else —
``tests/data/streamlit_plotly_theme.json`` keeps it as Chromium read it, and a test holds this
module to it. What a builder sets itself wins over it, as it did over Streamlit's.
"""

from __future__ import annotations

from typing import Any

#: Streamlit's faded text (axis ticks and titles, colour-bar text), headings and legend text.
MUTED = "#808495"
HEADING = "#1d2a33"
LEGEND_TEXT = "#262730"
GRID = "#e6eaf1"
BACKGROUND = "#ffffff"
#: The title's font: Streamlit's heading font (the body font of charts is Athar's, ``charts.FONT``).
TITLE_FONT = '"Source Sans", sans-serif'
TITLE_SIZE = 16
#: Streamlit's categorical colours: traces without a colour of their own (the sunburst's sectors).
COLORWAY = (
    "#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d",
    "#7defa1", "#ff8700", "#ffd16a", "#6d3fc0", "#d5dae5",
)


def _axis(standoff: int) -> dict[str, Any]:
    return {
        "zerolinecolor": GRID,
        "gridcolor": GRID,
        "minor": {"gridcolor": GRID},
        "tickcolor": GRID,
        "tickfont": {"color": MUTED, "size": 12},
        "title": {"font": {"color": MUTED, "size": 14}, "standoff": standoff},
        # On, as a safety net: the figures leave with margins that already fit their labels
        # (``dashboard.chart_margins``), so Plotly grows them, with a second drawing, only where
        # an estimate falls short or a phone's plot makes it tilt a row of labels further.
        "automargin": True,
    }


#: Streamlit's template, trimmed to the layout (no trace styles, colour scales, ternary…). A template,
#: not values in the figure's own layout: Plotly reads some of them differently from a template — a
#: ``tickcolor`` or ``gridcolor`` the figure gives turns ticks and grid lines on, one from a template
#: only colours those Plotly draws anyway (a heatmap's ticks, a value axis' grid).
TEMPLATE: dict[str, Any] = {
    "layout": {
        "font": {"color": MUTED, "family": TITLE_FONT, "size": 12, "weight": 400},
        "title": {"font": {"family": TITLE_FONT, "size": TITLE_SIZE, "color": HEADING}, "pad": {"l": 4}, "xanchor": "left", "x": 0},
        "legend": {
            "title": {"font": {"size": 12, "color": MUTED}, "side": "top"},
            "valign": "top",
            "bordercolor": "rgba(0, 0, 0, 0)",  # Streamlit's "transparent", which Plotly's Python checks refuse
            "borderwidth": 0,
            "font": {"size": 12, "color": LEGEND_TEXT},
        },
        "paper_bgcolor": BACKGROUND,
        "plot_bgcolor": BACKGROUND,
        "xaxis": {**_axis(20), "showgrid": False, "zeroline": False},
        "yaxis": {**_axis(24), "ticklabelposition": "outside"},
        "margin": {"pad": 8, "r": 0, "l": 0},
        "hoverlabel": {
            "bgcolor": BACKGROUND,
            "bordercolor": "rgba(29, 42, 51, 0.2)",
            "font": {"color": MUTED, "family": TITLE_FONT, "size": 12},
        },
        "colorway": list(COLORWAY),
    }
}


def bold(title: str) -> str:
    """A chart title as Streamlit's theme showed it: bold."""
    return f"<b>{title}</b>"
