"""Charts carry the look of Streamlit's chart theme themselves (issue 15: a lighter drawing).

``tests/data/streamlit_plotly_theme.json`` is the layout Streamlit's theme resolved to in Chromium
with this app's theme; the charts' own trimmed template must say the same for everything they use,
every builder must carry it (and no trace styles nor colour scales), and the pages must show the
charts with ``theme=None`` so that Streamlit adds nothing on top.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import streamlit  # noqa: F401  (its Plotly template becomes Plotly's default, as in the app)

from dashboard import chart_theme, charts
from dashboard.testing import open_page, start

RESOLVED = json.loads((Path(__file__).parent / "data" / "streamlit_plotly_theme.json").read_text())["layout"]
#: Parts of Streamlit's layout no Athar chart uses: colour axes and scales (every trace names its
#: own), ternary plots, range selectors; ``title.color``/``subtitleColor`` are no Plotly attributes.
UNUSED = {("coloraxis",), ("colorscale",), ("ternary",), ("xaxis", "rangeselector"), ("title", "color"),
          ("title", "subtitleColor")}
#: What Plotly's Python checks refuse, written as the same colour.
SAME_COLOUR = {"transparent": "rgba(0, 0, 0, 0)"}


def _leaves(tree: dict, path: tuple = ()) -> dict[tuple, object]:
    found: dict[tuple, object] = {}
    for name, value in tree.items():
        here = (*path, name)
        if any(here[: len(u)] == u for u in UNUSED):
            continue
        if isinstance(value, dict):
            found.update(_leaves(value, here))
        else:
            found[here] = SAME_COLOUR.get(value, value) if isinstance(value, str) else value
    return found


def _figures(lang: str) -> dict[str, dict]:
    labels = ["Association Amal pour l'insertion", "Fondation Nour", "Coopérative Tifaout"]
    principles = ["P1 · Dignité", "P2 · Inclusion", "P3 · Participation"]
    built = {
        "radar": charts.radar(principles, [("own", [50.0, 60.0, 70.0])], "Radar", lang),
        "bars": charts.bars(labels, [1.0, 2.0, 3.0], "Barres", "valeur", lang),
        "heatmap": charts.heatmap([[1.0, 2.0, 3.0]] * 3, principles, labels, "Carte", "score", lang),
        "lines": charts.lines([("s", ["2024", "2025"], [1.0, 2.0])], "Lignes", "période", "valeur", lang),
        "ranks": charts.rank_intervals(labels, [1, 2, 3], [1, 2, 3], [1, 1, 2], [2, 3, 3], "Rangs", "rang",
                                       "nominal", "intervalle", lang),
        "stacked": charts.stacked_bars(principles, [("a", [1.0, 2.0, 3.0], "#000000")], "Piles", "n", lang),
        "sunburst": charts.sunburst(["a", "b"], ["A", "B"], ["", "a"], [1.0, 1.0], "Soleil", lang),
    }
    return {name: json.loads(figure.to_json()) for name, figure in built.items()}


def test_the_charts_template_says_what_streamlits_theme_resolved_to() -> None:
    expected = _leaves(RESOLVED)
    ours = _leaves(chart_theme.TEMPLATE["layout"])
    assert ours == expected


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_every_chart_carries_the_trimmed_template_and_a_bold_title(lang: str) -> None:
    for name, figure in _figures(lang).items():
        layout = figure["layout"]
        assert layout["template"] == {"layout": chart_theme.TEMPLATE["layout"]}, name
        assert layout["title"]["text"].startswith("<b>") and layout["title"]["text"].endswith("</b>"), name
        assert layout["font"]["family"] == charts.FONT, name  # Arabic glyphs from the app's fonts
        assert len(json.dumps(layout["template"])) < 1600, name  # Streamlit's own: ~4.9 KB


def test_the_arabic_title_stays_isolated_inside_the_bold() -> None:
    title = _figures("ar")["bars"]["layout"]["title"]
    assert title["text"] == "<b>\u2067Barres\u2069</b>"
    assert (title["x"], title["xanchor"]) == (0.99, "right")


def test_a_chart_page_asks_streamlit_for_no_theme_of_its_own(demo_db) -> None:
    at = open_page(start(demo_db), "compare", folds=False)
    shown = at.get("plotly_chart")
    assert shown
    for chart in shown:
        assert chart.proto.theme == ""
        spec = json.loads(chart.proto.spec)
        assert "data" not in spec["layout"]["template"]
        assert spec["layout"]["template"]["layout"]["xaxis"]["automargin"] is True
