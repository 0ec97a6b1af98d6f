"""Chart margins worked out on the server (``dashboard.chart_margins``): wide enough for every label,
so Plotly draws each chart once, and no wider than the labels need."""

from __future__ import annotations

import pytest

from dashboard import chart_margins, charts
from i18n.bidi import right_to_left

ORGANISATIONS = [
    "ASS-MEK-025 · Association Sanad",
    "ENT-CAS-006 · Sahel Logistique — programme",
    "FON-RBT-003 · Fondation Tawada",
]
ARABIC_ORGANISATIONS = [
    "ASS-MEK-025 · جمعية سند لفائدة الأشخاص",
    "ENT-CAS-006 · ساحل لوجستيك — البرنامج",
    "FON-RBT-003 · مؤسسة تودة للإدماج",
]
PRINCIPLES = ["P1 · Dignité et droits", "P2 · Inclusion", "P3 · Participation des bénéficiaires"]
#: Widths Chromium measured (``measureText``, the charts' fonts at 100 px) for Arabic labels.
CHROMIUM_ARABIC = {
    "جمعية سند لفائدة الأشخاص في وضعية إعاقة": 1737,
    "المؤشر المركب: الرتبة الوسيطة": 1183,
    "النقاط حسب المبادئ": 829,
    "ساحل لوجستيك — البرنامج": 1057,
    "المستفيدون المباشرون الفريدون": 1260,
}


@pytest.mark.parametrize(("text", "measured"), CHROMIUM_ARABIC.items())
def test_an_arabic_label_is_never_estimated_narrower_than_chromium_draws_it(text: str, measured: int) -> None:
    """Joined letters vary (0.73–0.80 of their lone widths): the estimate errs wide, by 12 % at most."""
    assert measured <= chart_margins.text_width(text, 100) <= measured * 1.12


def test_latin_widths_follow_the_font_and_isolates_take_no_room() -> None:
    assert chart_margins.text_width("iiii") < chart_margins.text_width("MMMM") / 2
    assert chart_margins.text_width("Été") == chart_margins.text_width("Ete")
    assert chart_margins.text_width(right_to_left("النقطة", "ar")) == chart_margins.text_width("النقطة")
    assert chart_margins.text_width("<b>court</b><br>une ligne plus longue") == chart_margins.text_width(
        "une ligne plus longue"
    )


@pytest.mark.parametrize(("lang", "labels", "side"), [("fr", ORGANISATIONS, "l"), ("ar", ARABIC_ORGANISATIONS, "r")])
def test_a_chart_leaves_with_room_for_its_longest_category_label(lang: str, labels: list[str], side: str) -> None:
    """The organisations' names sit beside the plot (right of it in Arabic): the margin on that side
    holds the widest name and Plotly's gap, so automargin has nothing left to grow."""
    figure = charts.rank_intervals(labels, [1, 2, 3], [1, 2, 3], [1, 1, 2], [2, 3, 3], "Rangs", "rang",
                                   "nominal", "intervalle", lang)
    widest = chart_margins.widest(labels)
    assert getattr(figure.layout.margin, side) >= widest + chart_margins.Y_LABEL_GAP
    assert getattr(figure.layout.margin, side) <= widest + chart_margins.Y_LABEL_GAP + 12  # no empty band


def test_a_value_axis_title_and_its_ticks_get_their_room() -> None:
    figure = charts.lines([("s", ["2024", "2025"], [1200.0, 2500.0])], "Lignes", "période", "valeur", "fr")
    assert figure.layout.margin.l >= chart_margins.numeric_tick_width(2500) + 19 + 34
    assert figure.layout.margin.b >= 35 + 30  # tick labels and the axis title under the plot


def test_a_side_legend_and_a_colour_bar_fit_beside_the_plot() -> None:
    legend = charts.lines([(name, ["2024", "2025"], [1.0, 2.0]) for name in PRINCIPLES], "L", "p", "v", "fr")
    assert legend.layout.margin.r >= chart_margins.legend_width(legend) + chart_margins.BESIDE_GAP
    heat = charts.heatmap([[1.0, 2.0, 3.0]] * 3, ["P1", "P2", "P3"], ORGANISATIONS, "Carte", "Complétude (%)", "ar")
    assert heat.layout.margin.b >= chart_margins.colour_bar_height(heat) > 14 + 16  # the scale lies under the plot
    assert heat.layout.margin.r >= chart_margins.widest(ORGANISATIONS) + chart_margins.Y_LABEL_GAP  # names right
    assert heat.layout.margin.l < 100  # no colour bar beside the plot: the column labels' slant only


def test_margins_a_builder_set_are_never_narrowed() -> None:
    radar = charts.radar(PRINCIPLES, [("own", [50.0, 60.0, 70.0])], "Radar", "fr")
    assert (radar.layout.margin.l, radar.layout.margin.r) == (charts.RADAR_SIDE_MARGIN, charts.RADAR_SIDE_MARGIN)


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_long_title_wraps_to_fit_a_phone_and_the_top_margin_makes_room(lang: str) -> None:
    title = "Indice composite : rang médian et intervalle 5 %–95 % des organisations du réseau — 2025"
    short = charts.bars(["a"], [1.0], "Barres", "valeur", lang)
    long = charts.bars(["a"], [1.0], title, "valeur", lang)
    lines = long.layout.title.text.removeprefix("<b>").removesuffix("</b>").split("<br>")
    assert len(lines) >= 2
    assert all(chart_margins.text_width(line, 16, bold=True) <= chart_margins.NARROW_LINE for line in lines)
    assert long.layout.margin.t == short.layout.margin.t + chart_margins.TITLE_LINE * (len(lines) - 1)
    if lang == "ar":  # each line its own right-to-left island
        assert all(line.startswith("\u2067") and line.endswith("\u2069") for line in lines)


def test_a_long_axis_title_wraps_and_the_bottom_margin_holds_both_lines() -> None:
    x_title = "Rang (1 = meilleur, sur les 35 organisations du réseau ayant un indice composite)"
    figure = charts.rank_intervals(ORGANISATIONS, [1, 2, 3], [1, 2, 3], [1, 1, 2], [2, 3, 3], "Rangs", x_title,
                                   "nominal", "intervalle", "fr")
    assert figure.layout.xaxis.title.text.count("<br>") == 1
    assert figure.layout.margin.b >= 35 + 2 * 30


def test_side_margins_leave_a_phone_its_plot_and_automargin_widens_them_on_a_wide_screen() -> None:
    """Row names too long for a phone: both side margins shrink in proportion to leave a 48 px plot
    on a 358 px chart (as Plotly shrinks its own pushes); automargin stays on to widen them where
    the chart is wider."""
    names = [f"{code} · Association pour le développement durable et solidaire numéro {n}"
             for n, code in enumerate(["ASS-MEK-025", "ENT-CAS-006", "FON-RBT-003"])]
    names = [f"{name} — {name}" for name in names]
    bars = charts.rank_intervals(names, [1, 2, 3], [1, 2, 3], [1, 1, 2], [2, 3, 3], "Rangs", "rang", "n", "i", "fr")
    assert bars.layout.margin.l + bars.layout.margin.r <= chart_margins.MAX_SIDES + 6  # whole pixels
    assert bars.layout.margin.l > bars.layout.margin.r  # the names' side keeps the larger share
    assert bars.layout.template.layout.yaxis.automargin is True
