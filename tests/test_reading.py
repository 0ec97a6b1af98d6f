"""Arabic and French that read right: bidi isolation of parameters, CLDR lists, plurals and
percentages, catalogue strings that never hand-write a number format, chart titles and grid numbers
that keep their direction, and no English from Streamlit's own widgets (issue 12, "reading")."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

import i18n
from dashboard import charts, method_text
from dashboard.cells import LRM, formatter
from dashboard.context import PageContext
from dashboard.style import css_for
from framework.model import load_framework
from i18n import formatting as fmt
from i18n import t, tn
from i18n.bidi import LRI, PDI, RLI, isolate_param, strip_isolates

NNBSP = "\u202f"
NBSP = "\u00a0"


def _ctx(lang: str) -> PageContext:
    return PageContext(store=None, viewer=None, lang=lang, version=(), run=None)


# -- bidi -------------------------------------------------------------------------------------
def test_a_rank_reads_eleven_out_of_thirty_five_in_arabic() -> None:
    """Without isolation the browser shows "… أصل 35 11"; each number is its own island."""
    assert t("dashboard.profile.rank_value", "ar", rank=11, count=35) == f"{LRI}11{PDI} من أصل {LRI}35{PDI}"
    assert t("dashboard.profile.rank_value", "fr", rank=11, count=35) == "11 sur 35"


def test_a_negative_change_keeps_its_sign_in_front_inside_arabic_text() -> None:
    text = t("dashboard.profile.rank_value", "ar", rank=fmt.signed(-15, "ar", 0), count=35)
    assert f"{LRI}-15{PDI}" in text


def test_codes_and_latin_names_are_isolated_but_arabic_and_markup_are_not() -> None:
    assert isolate_param("ASS-CAS-001", "ar") == f"{LRI}ASS-CAS-001{PDI}"
    assert isolate_param("Theil–Sen", "ar") == f"{LRI}Theil–Sen{PDI}"
    assert isolate_param("الدار البيضاء", "ar") == "الدار البيضاء"
    assert isolate_param("<bdi>12</bdi>", "ar") == "<bdi>12</bdi>"
    assert isolate_param(f"{LRI}12{PDI}", "ar") == f"{LRI}12{PDI}"  # never twice
    assert isolate_param("ASS-CAS-001", "fr") == "ASS-CAS-001"


def test_a_range_is_one_left_to_right_island_in_arabic() -> None:
    assert fmt.number_range(0, 100, "ar") == f"{LRI}0 – 100{PDI}"
    assert fmt.number_range(0, 100, "fr") == "0 – 100"


def test_chart_titles_and_axis_titles_are_right_to_left_islands_in_arabic() -> None:
    """Plotly draws left to right: "النقطة حسب الجهة، 2025" would end "2025 ،…"."""
    fig = go.Figure(go.Bar(x=[1], y=[2]))
    fig.update_yaxes(title="النقطة (0–100)")
    charts.finish(fig, "المؤشر المركب، 2025", "ar")
    assert fig.layout.title.text == f"<b>{RLI}المؤشر المركب، 2025{PDI}</b>"  # bold, as Streamlit's theme drew it
    assert fig.layout.yaxis.title.text == f"{RLI}النقطة (0–100){PDI}"
    french = charts.finish(go.Figure(), "Indice composite, 2025", "fr")
    assert french.layout.title.text == "<b>Indice composite, 2025</b>"


def test_grid_numbers_keep_their_sign_in_front_in_arabic() -> None:
    """The data grid draws Arabic right to left on a canvas: "-5,9" would show as "5,9-"."""
    assert formatter("num1", _ctx("ar"))(-5.9) == f"{LRM}-5,9"
    assert formatter("pct", _ctx("ar"))(0.45) == f"{LRM}45%"
    assert formatter("int", _ctx("ar"))(3) == "3"  # nothing to reorder: left as it is
    assert formatter("num1", _ctx("fr"))(-5.9) == "-5,9"
    assert formatter("text", _ctx("ar"))("P2") == "P2"


# -- lists, plurals, counts, percentages ---------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fr", "santé, éducation et emploi"), ("en", "santé, éducation and emploi"), ("ar", "صحة، تعليم وتشغيل")],
)
def test_lists_are_joined_as_each_language_writes_them(lang: str, expected: str) -> None:
    items = ["صحة", "تعليم", "تشغيل"] if lang == "ar" else ["santé", "éducation", "emploi"]
    assert fmt.join_list(items, lang) == expected


def test_an_arabic_list_of_codes_uses_the_arabic_comma_and_isolates_each_code() -> None:
    assert fmt.join_list(["P1", "P2", "P5"], "ar") == f"{LRI}P1{PDI}، {LRI}P2{PDI} و{LRI}P5{PDI}"
    assert fmt.join_list([], "ar") == "" and fmt.join_list(["وحيد"], "ar") == "وحيد"


def test_the_method_page_lists_principles_with_the_arabic_comma() -> None:
    body = method_text.sections(load_framework(), "ar", "year")[0].body
    assert "، " in body and not re.search(r"[”»], ", body)


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "لا أخطاء"), (1, "خطأ واحد"), (2, "خطآن"), (3, "3 أخطاء"), (12, "12 خطأً"), (100, "100 خطأ")],
)
def test_arabic_error_counts_take_the_six_cldr_plural_forms(count: int, expected: str) -> None:
    """"12 أخطاء" was wrong: 11 to 99 take the singular accusative, 100 the singular genitive."""
    assert strip_isolates(tn("report.errors", count, "ar")) == expected


def test_arabic_value_counts_never_agree_wrongly_with_their_number() -> None:
    """"3 قيمة" was wrong: the report now says how many values without an agreeing noun."""
    assert strip_isolates(t("report.checked", "ar", rows=3)) == "صالح — عدد القيم: 3"


def test_counts_are_grouped_as_the_language_writes_them() -> None:
    assert tn("report.errors", 1250, "fr") == f"1{NNBSP}250 erreurs"
    assert tn("report.errors", 1250, "en") == "1,250 errors"


@pytest.mark.parametrize(
    ("lang", "expected"), [("fr", f"(5{NBSP}%–95{NBSP}%)"), ("en", "(5%–95%)"), ("ar", f"(من {LRI}5%{PDI} إلى {LRI}95%{PDI})")]
)
def test_fixed_percentages_in_catalogue_strings_are_formatted_per_language(lang: str, expected: str) -> None:
    assert t("dashboard.profile.rank_interval", lang).endswith(expected)


HAND_WRITTEN_PERCENT = re.compile(r"\d\s*[%٪]|[%٪]\s*\d")
HAND_FORMATTED_NUMBER = re.compile(r"\d[.,]\d|\d[ \u00a0\u202f]\d{3}\b")
#: Strings that show what a member types in a cell ("87,5 ou 87.5"): literal on purpose.
TYPED_EXAMPLES = (
    "ingest.", "template.",
    # identifiers the committee types in the IRIS+/SDG mapping editor (SDG target 1.2, IRIS+ PI4060)
    "framework.problem.vocab_sdg_malformed", "dashboard.vocab.edit_caption", "dashboard.vocab.sdg_help",
)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_no_catalogue_string_hand_writes_a_percentage_or_a_number_format(lang: str) -> None:
    """Percentages go through ``{pct_N}`` or a formatted parameter, numbers through the formatter."""
    percents = {k: v for k, v in i18n.catalogue(lang).items() if HAND_WRITTEN_PERCENT.search(v)}
    assert percents == {}
    numbers = {
        k: v
        for k, v in i18n.catalogue(lang).items()
        if HAND_FORMATTED_NUMBER.search(v) and not k.startswith(TYPED_EXAMPLES)
    }
    assert numbers == {}


# -- Streamlit's own English --------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_file_uploader_text_comes_from_the_catalogue(lang: str) -> None:
    css = css_for(lang)
    assert t("reading.uploader_button", lang) in css
    assert "50" in strip_isolates(css.split("stFileUploaderDropzoneInstructions")[-1])
    assert "visibility: hidden" in css


def test_a_collapsed_arabic_sidebar_is_hidden_not_slid_over_the_page() -> None:
    assert '[data-testid="stSidebar"][data-collapsed="true"]' in css_for("ar")
    assert '[data-testid="stSidebar"][data-collapsed="true"]' not in css_for("fr")


def _widgets_app() -> None:
    import streamlit as st

    from dashboard import widgets
    from dashboard.context import PageContext

    lang = st.query_params.get("lang", "fr")
    ctx = PageContext(store=None, viewer=None, lang=lang, version=(), run=None)
    widgets.multiselect(ctx, "x", ["a", "b", "c"], key="m")
    st.date_input("d", format=widgets.DATE_FORMAT, key="d")


@pytest.mark.parametrize("lang", ["fr", "ar", "en"])
def test_multiselects_have_a_translated_placeholder_and_no_english_select_all(lang: str) -> None:
    at = AppTest.from_function(_widgets_app)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    proto = at.multiselect(key="m").proto
    assert proto.placeholder == t("reading.choose", lang)
    assert proto.select_all == 0  # Streamlit's "Select all" / "Select N matches" entries are off
    assert at.date_input(key="d").proto.format == "DD/MM/YYYY"
