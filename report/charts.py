"""The card's charts, drawn by Plotly and exported to PNG by Plotly's own exporter (Kaleido).

Kaleido starts a headless Chromium for its first image (about 2.5 s); :func:`warm` starts one
server per process and keeps it (about 0.2 s an image after), stopped at exit. PNG at scale 2
rather than SVG: WeasyPrint draws SVG text itself, without the Arabic shaping Chromium does.
The colours are the dashboard's (``dashboard.charts.PALETTE``, checked equal by a test); this
package builds its own figures and never imports the dashboard.
"""

from __future__ import annotations

import atexit
import base64
import threading
import warnings

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

#: The dashboard's palette (``dashboard.charts.PALETTE``).
PALETTE = ("#1f6f8b", "#e07a1f", "#4c9a2a", "#9b3d8c", "#c23b22", "#6b6b6b", "#2a9d8f")
FONT = "Noto Sans, Noto Sans Arabic, sans-serif"
ARABIC_FONT = "Noto Naskh Arabic, Noto Sans Arabic, sans-serif"
WIDTH, SCALE = 720, 2
_lock = threading.Lock()
_started = False


def warm() -> None:
    """Start Kaleido's Chromium once for this process (stopped at exit)."""
    global _started
    with _lock:
        if _started:
            return
        import kaleido

        kaleido.start_sync_server(silence_warnings=True)
        atexit.register(kaleido.stop_sync_server, silence_warnings=True)
        _started = True


def png_data_uri(figure: go.Figure, height: int) -> str:
    """The figure as a ``data:image/png`` URI for the HTML (the exporter kept warm)."""
    warm()
    with warnings.catch_warnings():  # Plotly warns that Chromium options go unused with a warm server
        warnings.simplefilter("ignore", UserWarning)
        png = figure.to_image(format="png", width=WIDTH, height=height, scale=SCALE)
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _layout(figure: go.Figure, rtl: bool, height: int) -> go.Figure:
    figure.update_layout(
        height=height,
        width=WIDTH,
        margin={"l": 10, "r": 10, "t": 36, "b": 10},
        font={"family": ARABIC_FONT if rtl else FONT, "size": 13},
        paper_bgcolor="white",
        plot_bgcolor="white",
        showlegend=False,
    )
    figure.update_xaxes(gridcolor="#e6e6e6", zeroline=False)
    figure.update_yaxes(automargin=True)
    return figure


def scores_and_ranks(
    principles: pl.DataFrame, titles: tuple[str, str], rtl: bool, labels: list[str]
) -> go.Figure:
    """Each principle's score (0–100) beside its rank with the 90 % rank interval; mirrored in
    Arabic (scores on the right, axes reversed, labels on the right)."""
    score_col, rank_col = (2, 1) if rtl else (1, 2)
    ordered = (titles[1], titles[0]) if rtl else titles
    figure = make_subplots(rows=1, cols=2, subplot_titles=ordered, horizontal_spacing=0.08)
    ranked = principles.with_columns(
        low=pl.col("nominal_rank") - pl.col("rank_p05"), high=pl.col("rank_p95") - pl.col("nominal_rank")
    )
    figure.add_trace(
        go.Bar(x=principles["score"].to_list(), y=labels, orientation="h", marker_color=PALETTE[0]), 1, score_col
    )
    figure.add_trace(
        go.Scatter(
            x=ranked["nominal_rank"].to_list(),
            y=labels,
            mode="markers",
            marker={"symbol": "diamond", "size": 11, "color": PALETTE[1]},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": ranked["high"].to_list(),
                "arrayminus": ranked["low"].to_list(),
                "color": PALETTE[1],
                "thickness": 2,
            },
        ),
        1,
        rank_col,
    )
    count = principles["ranked_count"].max() or 1
    figure.update_xaxes(range=[100, 0] if rtl else [0, 100], row=1, col=score_col)
    # rank 1 (the best) towards the scores' high end: right in French, left in Arabic
    figure.update_xaxes(range=[0.5, count + 0.5] if rtl else [count + 0.5, 0.5], row=1, col=rank_col)
    figure.update_yaxes(autorange="reversed")
    figure.update_yaxes(side="right" if rtl else "left", row=1, col=score_col)
    figure.update_yaxes(showticklabels=False, row=1, col=rank_col)
    figure.update_annotations(font_size=13)
    return _layout(figure, rtl, 70 + 30 * len(labels))


def trend(history: pl.DataFrame, names: dict[str | None, str], title: str, rtl: bool) -> go.Figure:
    """Composite and principle scores over the complete periods (one line each)."""
    figure = go.Figure()
    for n, (code, name) in enumerate(names.items()):
        rows = history.filter(pl.col("principle").eq_missing(code)).sort("period")
        figure.add_trace(
            go.Scatter(
                x=rows["period"].to_list(),
                y=rows["score"].to_list(),
                name=name,
                mode="lines+markers",
                line={"color": PALETTE[n % len(PALETTE)], "width": 3 if code is None else 1.5,
                      "dash": "solid" if code is None else "dot"},
            )
        )
    _layout(figure, rtl, 300)
    figure.update_layout(
        title={"text": title, "x": 1 if rtl else 0, "xanchor": "right" if rtl else "left"},
        showlegend=True,
        legend={"orientation": "h", "y": -0.15, "x": 1 if rtl else 0, "xanchor": "right" if rtl else "left"},
    )
    figure.update_xaxes(type="category", autorange="reversed" if rtl else True)
    figure.update_yaxes(range=[0, 100], side="right" if rtl else "left")
    return figure
