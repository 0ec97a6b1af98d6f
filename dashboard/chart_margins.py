"""Each chart's margins worked out on the server from its own content, so Plotly draws it once.

Plotly's axis ``automargin`` (on in ``dashboard.chart_theme``) measures the tick labels after a first
drawing and, when they, an axis title, the legend or a colour bar overflow the figure's margins,
draws the whole chart a second time with wider ones: about half of each chart's drawing time in a
page switch (issue 15). :func:`fit` sets the margins before the chart leaves the server, from what
the figure holds — category labels (long organisation and indicator names, French, Arabic or
English), numeric tick labels, axis titles, the legend, the colour bar — measured with
:func:`text_width`, a per-character estimate of the fonts in use (Source Sans; Arabic falls back to
Noto), a few pixels generous. Plotly then finds them wide enough and draws once; the margins come
out as automargin's own (same look). ``automargin`` stays on as a safety net: where a label is
wider than estimated, or a phone's narrow plot makes Plotly tilt a row of labels further, it still
gets its room (with the second drawing, only then).

The constants are Plotly's (plotly.js 4.1, Streamlit 1.67) as measured in Chromium on Athar's
charts: a vertical axis needs its widest tick label + 19 px (+ 7 px of tick marks on a heatmap,
+ 34 px for a title), a horizontal one 35 px (+ 30 px for a title); a legend or colour bar beside
the plot its width + 10 px, plus the 2 % of the plot's width it stands off (at most 20 px).
Pure layout arithmetic: no data, no query.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, TypeVar

import plotly.graph_objects as go

#: Advance widths of printable ASCII (space to ``~``) in Source Sans, hundredths of the font size
#: (Chromium's ``measureText``). Accented letters take their base letter's width.
_ASCII = (
    20, 29, 43, 50, 50, 82, 61, 25, 30, 30, 42, 50, 25, 31, 25, 35, 50, 50, 50, 50, 50, 50, 50, 50,
    50, 50, 25, 25, 50, 50, 50, 42, 85, 54, 59, 57, 61, 53, 49, 62, 65, 26, 48, 58, 49, 73, 65, 66,
    57, 66, 57, 53, 54, 64, 51, 79, 51, 48, 54, 30, 35, 30, 50, 50, 54, 50, 55, 46, 55, 50, 29, 50,
    54, 25, 25, 49, 25, 83, 55, 54, 55, 55, 35, 42, 34, 54, 47, 72, 45, 47, 42, 30, 24, 30, 50,
)
_OTHER = {"—": 80, "–": 48, "…": 95, "’": 25, "«": 43, "»": 43, "·": 25, "œ": 84, "\u202f": 12, "\u00a0": 20}
#: Arabic letters U+0621–U+064A alone (Noto Sans Arabic), hundredths of the font size; joined in a
#: word they take :data:`_JOINED` of that (0.73–0.80 on Athar's labels, measured).
_ARABIC = (
    41, 23, 23, 45, 24, 76, 24, 99, 40, 99, 99, 64, 64, 64, 48, 48, 37, 37, 121, 121, 131, 131, 79, 79,
    51, 51, 88, 88, 76, 76, 76, 27, 98, 77, 88, 69, 48, 68, 40, 45, 76, 76,
)
_JOINED = 0.8
_ARABIC_OTHER = 45
_UNKNOWN = 60
_BOLD = 1.08
#: Isolates and marks that take no room (``i18n.bidi``: U+2066–U+2069, U+200E/F, U+061C).
_ZERO = {"\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c", "\u200b"}
_TAG = re.compile(r"<(?!br\b)[^>]*>", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)

TICK_SIZE = 12
TITLE_SIZE = 14
LINE_HEIGHT = 16
#: An axis' tick labels beside the plot, and what its title adds (Plotly, measured).
Y_LABEL_GAP = 19
Y_TITLE = 34
X_LABELS = 35
X_TITLE = 30
HEATMAP_TICKS = 7
#: A legend or colour bar stands 0.02 of the plot's width off it: at most this on a 980 px chart.
STAND_OFF = 20
BESIDE_GAP = 10
LEGEND_SYMBOL = 40
LEGEND_ROW = 19
COLOUR_BAR = 30 + 3 + 18  # thickness, tick gap, padding: 69 px with 0–100
#: Plotly pads each push by the figure's smallest margin, at most 12 px; the constants above were
#: measured with 10 px margins, and fitted margins are all wider than 12.
PUSH_PAD = 2
#: The widest a title or an axis title may run on one line: a chart on a phone (390 px) is 358 px wide.
NARROW_LINE = 320
#: What each more line of a chart title adds to the top margin (16 px bold, Plotly's line height).
TITLE_LINE = 22
#: How far Plotly lifts a title above its top anchor for each line after the first (measured).
TITLE_LIFT = 17
#: The most the side margins may take together: a phone's chart (358 px) keeps a 48 px plot. Wider
#: needs (a heatmap's long row names and its colour bar) are scaled down to it as Plotly scales its
#: own pushes; on a wide screen automargin then widens them (the second drawing, for those charts only).
MAX_SIDES = 358 - 48
#: The width a chart is laid out for when a row of labels must be judged (the main column at 1440 px).
ASSUMED_WIDTH = 980


def _char_width(char: str) -> int:
    code = ord(char)
    if 32 <= code < 127:
        return _ASCII[code - 32]
    if char in _ZERO or unicodedata.combining(char):
        return 0
    if char in _OTHER:
        return _OTHER[char]
    if 0x0621 <= code <= 0x064A:
        return round(_ARABIC[code - 0x0621] * _JOINED)
    if 0x0600 <= code <= 0x06FF or 0xFB50 <= code <= 0xFEFF:
        return _ARABIC_OTHER
    base = unicodedata.normalize("NFD", char)[0]
    return _ASCII[ord(base) - 32] if 32 <= ord(base) < 127 else _UNKNOWN


def lines_of(text: str | None) -> list[str]:
    """The lines Plotly draws for ``text``: ``<br>`` breaks, other tags dropped."""
    if not text:
        return []
    return _BREAK.split(_TAG.sub("", str(text)))


def text_width(text: str | None, size: float = TICK_SIZE, *, bold: bool = False) -> float:
    """Estimated width in pixels of ``text`` (its widest line) at ``size`` px."""
    widest = max((sum(_char_width(c) for c in line) for line in lines_of(text)), default=0)
    return widest * size / 100 * (_BOLD if bold else 1)


def greedy_lines(text: str, fits: Callable[[str], bool]) -> list[str]:
    """``text`` broken between words, each line taking words while ``fits`` holds (a word that does
    not fit alone stays whole on its own line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and fits(f"{lines[-1]} {word}"):
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def wrapped(text: str, max_width: float, size: float = TICK_SIZE, *, bold: bool = False) -> list[str]:
    """``text`` broken between words into lines no wider than ``max_width`` px."""
    return greedy_lines(text, lambda line: text_width(line, size, bold=bold) <= max_width) or [text]


def text_height(text: str | None, line: float = LINE_HEIGHT) -> float:
    return len(lines_of(text)) * line


def _category(values: Any) -> bool:
    return values is not None and len(values) > 0 and any(isinstance(v, str) for v in values)


def _numbers(values: Any) -> list[float]:
    if values is None:
        return []
    return [abs(float(v)) for v in values if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)]


def numeric_tick_width(largest: float, size: float = TICK_SIZE) -> float:
    """The widest tick label of a value axis reaching ``largest`` (its top tick, within the 5 % Plotly
    pads a range with): its digits and a thousands separator per three (12 000, 12,000)."""
    digits = len(str(int(largest * 1.1))) if largest >= 1 else 3  # 0.5 or 0.25 is as wide as 100
    return (digits * 50 + (digits - 1) // 3 * 20) * size / 100


class _Axis:
    """What one axis of a figure shows: category labels or the largest value, and its title."""

    def __init__(self, fig: go.Figure, letter: str) -> None:
        layout = getattr(fig.layout, f"{letter}axis")
        self.layout = layout
        self.title = layout.title.text if layout.title else None
        values = [getattr(t, letter, None) for t in fig.data if t.type in ("bar", "scatter", "box", "heatmap")]
        values = [v for v in values if v is not None]
        self.kind = "category" if layout.type == "category" or any(_category(v) for v in values) else "linear"
        if layout.ticktext:
            self.labels = [str(v) for v in layout.ticktext]
        else:
            self.labels = [str(x) for v in values if _category(v) for x in v]
        largest = [n for v in values for n in _numbers(v)] + _numbers(layout.range)
        largest += [n for t in fig.data for n in _error_reach(t, letter)]
        self.largest = max(largest, default=100.0)
        self.heatmap = any(t.type == "heatmap" for t in fig.data)

    def label_width(self) -> float:
        if self.kind == "category":
            return max((text_width(label) for label in self.labels), default=0.0)
        return numeric_tick_width(self.largest)

    def label_height(self) -> float:
        if self.kind == "category":
            return max((text_height(label) for label in self.labels), default=LINE_HEIGHT)
        return LINE_HEIGHT

    def title_room(self, room: int) -> float:
        return room * len(lines_of(self.title)) if self.title else 0.0


def _error_reach(trace: Any, letter: str) -> list[float]:
    """The far end of a trace's error bars along ``letter`` (a rank interval's high end)."""
    error = getattr(trace, f"error_{letter}", None)
    values = getattr(trace, letter, None)
    if error is None or error.array is None or values is None:
        return []
    return [abs(float(v)) + float(e) for v, e in zip(values, error.array, strict=False) if v is not None and e is not None]


def _vertical_axis_room(axis: _Axis) -> float:
    room = axis.label_width() + Y_LABEL_GAP + axis.title_room(Y_TITLE)
    return room + (HEATMAP_TICKS if axis.heatmap else 0)


def _tilted(axis: _Axis, plot_width: float) -> bool:
    """Plotly tilts a row of category labels by 30° when they would touch at this width."""
    count = max(1, len(set(axis.labels)))
    return axis.kind == "category" and axis.label_width() + 8 > plot_width / count


def _horizontal_axis_room(axis: _Axis, plot_width: float) -> float:
    if _tilted(axis, plot_width):
        labels = axis.label_width() * 0.5 + axis.label_height() * 0.87
    else:
        labels = axis.label_height()
    room = labels + X_LABELS - LINE_HEIGHT + axis.title_room(X_TITLE)
    return room + (HEATMAP_TICKS if axis.heatmap else 0)


def _edge_room(axis: _Axis, plot_width: float, reversed_: bool) -> tuple[float, float]:
    """How far a horizontal axis' end labels stick out left and right of the plot: half their width,
    or, tilted by 30°, the left end label's slant (it leans left from its tick), the right one none;
    on a reversed (Arabic) axis Plotly measured half the widest label on the left."""
    if _tilted(axis, plot_width) and axis.labels:
        if reversed_:
            return axis.label_width() / 2 + 10, 10
        column = plot_width / max(1, len(set(axis.labels)))
        return max(0.0, text_width(axis.labels[0]) * 0.87 - column / 2) + 10, 10
    room = _edge_half(axis)
    return room, room


def _edge_half(axis: _Axis) -> float:
    if axis.kind == "category":
        ends = [axis.labels[0], axis.labels[-1]] if axis.labels else []
        return max((text_width(label) / 2 - 20 for label in ends), default=0.0) + 10
    end = max(_numbers(axis.layout.range), default=0.0)
    if end >= 10 and end % 10 ** (len(str(int(end))) - 1) == 0:  # a range ending on a labelled tick (0–100)
        return numeric_tick_width(end / 1.1) / 2 + 10
    return 13


def legend_width(fig: go.Figure) -> float:
    names = [t.name for t in fig.data if t.name and t.showlegend is not False]
    return max((text_width(n) for n in names), default=0.0) + LEGEND_SYMBOL


def legend_height(fig: go.Figure) -> float:
    names = [t.name for t in fig.data if t.name and t.showlegend is not False]
    return sum(text_height(n, LEGEND_ROW) + 4 for n in names) + 10


def _legend_shown(fig: go.Figure) -> bool:
    named = [t for t in fig.data if t.name and t.showlegend is not False]
    return fig.layout.showlegend is not False and (len(named) > 1 or any(t.showlegend for t in named))


def _colour_bars(fig: go.Figure, orientation: str) -> list[Any]:
    bars = [getattr(t, "colorbar", None) for t in fig.data if getattr(t, "showscale", None) is not False]
    return [b for b in bars if b is not None and (b.orientation or "v") == orientation]


def colour_bar_height(fig: go.Figure) -> float:
    """A colour bar lying under the plot: its bar, tick labels, title and Plotly's padding."""
    heights = [(b.thickness or 30) + LINE_HEIGHT + (text_height(b.title.text, 18) if b.title else 0) + 3 * BESIDE_GAP + 2
               for b in _colour_bars(fig, "h")]
    return max(heights, default=0.0)


def colour_bar_width(fig: go.Figure) -> float:
    """The widest colour bar beside the plot: its tick labels (0–100) or its title, whichever is wider."""
    widths = []
    for bar in _colour_bars(fig, "v"):
        title = bar.title.text if bar.title else None
        widths.append(max(COLOUR_BAR + numeric_tick_width(100), text_width(title, TITLE_SIZE) + 18))
    return max(widths, default=0.0)


def needed(fig: go.Figure) -> dict[str, float]:
    """The margins (l, r, t, b) the figure's labels, titles, legend and colour bar need."""
    need = {"l": 0.0, "r": 0.0, "t": 0.0, "b": 0.0}
    cartesian = any(t.type in ("bar", "scatter", "box", "heatmap") for t in fig.data)
    beside = 0.0
    if _legend_shown(fig) and fig.layout.legend.orientation == "v":
        beside = legend_width(fig) + BESIDE_GAP + STAND_OFF
    bar = colour_bar_width(fig)
    if bar:
        beside = max(beside, bar + BESIDE_GAP + STAND_OFF)
    beside_side = "l" if _beside_left(fig) else "r"
    need[beside_side] = beside
    need["b"] = colour_bar_height(fig)
    if not cartesian:
        return need
    x, y = _Axis(fig, "x"), _Axis(fig, "y")
    y_side = "r" if fig.layout.yaxis.side == "right" else "l"
    need[y_side] = max(need[y_side], _vertical_axis_room(y))
    plot_width = ASSUMED_WIDTH - need["l"] - need["r"]
    x_side = "t" if fig.layout.xaxis.side == "top" else "b"
    need[x_side] = max(need[x_side], _horizontal_axis_room(x, plot_width))
    left, right = _edge_room(x, plot_width, fig.layout.xaxis.autorange == "reversed")
    need["l"], need["r"] = max(need["l"], left), max(need["r"], right)
    if y.kind == "linear":  # the end labels stick out half a line above and below
        need["t"], need["b"] = max(need["t"], 18), max(need["b"], 18)
    if beside:
        plot_height = (fig.layout.height or 380) - need["t"] - need["b"]
        need["b"] = max(need["b"], legend_height(fig) - plot_height + need["b"])
    return need


def _beside_left(fig: go.Figure) -> bool:
    """A side legend or colour bar anchored right of a point left of the plot (Arabic)."""
    legend = fig.layout.legend
    if legend.orientation == "v" and legend.x is not None and legend.x < 0:
        return True
    return any(getattr(getattr(t, "colorbar", None), "x", None) is not None and t.colorbar.x < 0 for t in fig.data)


def fit(fig: go.Figure) -> go.Figure:
    """Each margin widened to what the figure's content needs (never narrowed), in whole pixels."""
    margin = fig.layout.margin
    need = needed(fig)
    sides = need["l"] + need["r"] + 2 * PUSH_PAD
    if sides > MAX_SIDES:
        need["l"], need["r"] = need["l"] * MAX_SIDES / sides, need["r"] * MAX_SIDES / sides
    fig.update_layout(
        margin={
            side: max(getattr(margin, side) or 0, math.ceil(need[side] + PUSH_PAD) if need[side] else 0)
            for side in ("l", "r", "t", "b")
        }
    )
    return fig


F = TypeVar("F", bound=Callable[..., Any])


def fitted(builder: F) -> F:
    """``builder`` whose figure leaves with margins that fit its content (:func:`fit`)."""

    @wraps(builder)
    def build(*args: Any, **kwargs: Any) -> Any:
        return fit(builder(*args, **kwargs))

    return build  # type: ignore[return-value]


def widest(labels: Sequence[str], size: float = TICK_SIZE) -> float:
    """The widest of ``labels`` at ``size`` px (tests and pages)."""
    return max((text_width(label, size) for label in labels), default=0.0)
