"""The stacked bars (sustainability's organisations by trend and principle): every stack visible."""

from __future__ import annotations

import pytest

from dashboard import charts

TRENDS = ("improving", "stable", "declining", "insufficient_data")


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_hatched_stack_is_drawn_in_its_colour_under_the_white_hatching(lang: str) -> None:
    stacks = [(name, [1.0, 2.0], charts.TREND_COLOURS[name]) for name in TRENDS]
    figure = charts.stacked_bars(["P1", "P2"], stacks, "Piles", "n", lang,
                                 patterns=[charts.TREND_PATTERNS[name] for name in TRENDS])
    for trace, name in zip(figure.data, TRENDS, strict=True):
        pattern = trace.marker.pattern
        if charts.TREND_PATTERNS[name]:
            assert pattern.shape == charts.TREND_PATTERNS[name]
            assert pattern.fgcolor == "#ffffff"
            assert pattern.bgcolor == charts.TREND_COLOURS[name]  # not a transparent ground: white on white
        else:
            assert not pattern.shape and trace.marker.color == charts.TREND_COLOURS[name]


def test_the_trend_colours_tell_the_stacks_apart_from_the_white_page() -> None:
    colours = [charts.TREND_COLOURS[name].lower() for name in TRENDS]
    assert len(set(colours)) == len(colours)
    assert not {"#ffffff", "#fff", "white"} & set(colours)
