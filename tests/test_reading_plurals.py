"""Arabic nouns that agree with a number that varies (issue 12, "reading2"): days, periods, events,
organisations and rows take the CLDR form of their count (one, two, few 3–10, many 11–99, other
100…), or the sentence gives the count after a colon so that no noun has to agree with it."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from streamlit.elements.lib.options_selector_utils import _SELECT_WIDGET_FILTER_MODE_PROTO_MAP

import i18n
from dashboard import method_text
from dashboard.context import PageContext
from framework.groups import MIN_GROUP
from framework.model import load_framework
from i18n import t, tn
from i18n.bidi import strip_isolates
from metrics import method_card

COUNTS = (1, 2, 3, 11, 90, 100)

#: The noun form each count takes, per noun, as the sentence uses it (nominative or after a verb / « من »).
DAYS = {1: "يوم واحد", 2: "يومان", 3: "3 أيام", 11: "11 يومًا", 90: "90 يومًا", 100: "100 يوم"}
DAYS_OBJECT = {1: "يومًا واحدًا", 2: "يومين", 3: "3 أيام", 11: "11 يومًا", 90: "90 يومًا", 100: "100 يوم"}
PERIODS = {1: "فترة واحدة", 2: "فترتين", 3: "3 فترات", 11: "11 فترةً", 90: "90 فترةً", 100: "100 فترة"}
EVENTS = {1: "أحدث حدث؛", 2: "أحدث حدثين؛", 3: "أحدث 3 أحداث؛", 11: "أحدث 11 حدثًا؛", 90: "أحدث 90 حدثًا؛", 100: "أحدث 100 حدث؛"}
ORGS = {1: "من منظمة واحدة", 2: "من منظمتين", 3: "من 3 منظمات", 11: "من 11 منظمةً", 90: "من 90 منظمةً", 100: "من 100 منظمة"}
ROWS = {1: "أول سطر من", 2: "أول سطرين من", 3: "أول 3 أسطر من", 11: "أول 11 سطرًا من", 90: "أول 90 سطرًا من", 100: "أول 100 سطر من"}

COUNTED = [
    ("method.days", {}, DAYS),
    ("method.trend", {"trend": "x", "slope": "1", "persistence": "1", "threshold": "1", "sustained": ""}, PERIODS),
    ("dashboard.overview.on_time_rule", {}, DAYS_OBJECT),
    ("dashboard.quality.grades_caption", {}, DAYS_OBJECT),
    ("dashboard.links.expiry_help", {}, DAYS),
    ("dashboard.audit.utc_note", {}, EVENTS),
    ("dashboard.method.peers", {}, ORGS),
    ("dashboard.common.rows_shown", {"total": "500"}, ROWS),
]


def _ar(text: str) -> str:
    return strip_isolates(text)


@pytest.mark.parametrize("count", COUNTS)
@pytest.mark.parametrize(("key", "params", "forms"), COUNTED, ids=[k for k, _, _ in COUNTED])
def test_arabic_counted_sentences_give_the_noun_the_form_of_its_number(key, params, forms, count) -> None:
    text = _ar(tn(key, count, "ar", **params))
    assert forms[count] in text, text
    wrong = {form for n, form in forms.items() if form not in forms[count] and n != count}
    assert not [w for w in wrong if w in text], text


@pytest.mark.parametrize(("key", "params", "forms"), COUNTED, ids=[k for k, _, _ in COUNTED])
def test_french_and_english_counted_sentences_are_singular_for_one_and_plural_for_ninety(key, params, forms) -> None:
    assert "jours" not in tn(key, 1, "fr", **params) and "périodes sur" not in tn(key, 1, "fr", **params)
    assert re.search(r"jours|périodes|événements|organisations|lignes", tn(key, 90, "fr", **params))
    assert re.search(r"days|periods|events|organisations|rows", tn(key, 90, "en", **params))


@pytest.mark.parametrize("count", COUNTS)
def test_the_method_card_writes_the_median_delay_and_the_trend_periods_in_the_form_of_their_number(count) -> None:
    score = {"grade": "B", "timeliness_days": float(count), "completeness": 0.9, "grade_completeness": "A",
             "grade_timeliness": "B", "consistency_flags": 0, "grade_consistency": "A", "evidence": 0.5,
             "grade_evidence": "C"}
    assert DAYS[count] in _ar(method_card._quality_lines(score, "ar")[0])
    card = SimpleNamespace(
        trend={"trend": "improving", "n_periods": count, "slope": 1.2, "persistence": 0.5, "sustained": False},
        framework=load_framework(),
    )
    assert f"على {PERIODS[count]}" in _ar(method_card._trend_lines(card, "ar")[0])


def test_the_method_page_states_the_peer_group_minimum_with_the_noun_of_its_number() -> None:
    bodies = [_ar(s.body) for s in method_text.sections(load_framework(), "ar", "year")]
    assert MIN_GROUP == 5 and any("لمجموعات من 5 منظمات على الأقل" in body for body in bodies)


@pytest.mark.parametrize("count", COUNTS)
def test_dashboard_counted_strings_agree_through_the_page_context(count) -> None:
    ctx = PageContext(store=None, viewer=None, lang="ar", version=(), run=None)
    assert ROWS[count] in _ar(ctx.tn("common.rows_shown", count, total=ctx.num(500)))
    assert EVENTS[count] in _ar(ctx.tn("audit.utc_note", count))


@pytest.mark.parametrize("count", COUNTS)
def test_reworded_arabic_sentences_give_the_count_after_a_colon_not_an_agreeing_noun(count) -> None:
    assert _ar(t("access.errors.expiry_too_far", "ar", days=count)) == f"أقصى مدة لصلاحية الرابط، بالأيام: {count}."
    assert _ar(t("access.errors.password_too_short", "ar", minimum=count)).endswith(f"عن {count}.")
    assert f"عدد الأحرف {count}؛" in _ar(t("ingest.cell_too_long.message", "ar", value=count, expected=10))
    assert _ar(t("counting.reach_sentence", "ar", low=count, high=count)).startswith(f"عدد الأشخاص المختلفين بين {count}")
    line = _ar(t("method.rank_nominal", "ar", rank=1, count=count))
    assert f"من أصل {count} (" in line


#: Nouns that agree with a number in Arabic: a catalogue string that writes one right after a
#: ``{placeholder}`` is only right for some numbers, unless it is a counted message's own form.
_AGREEING = re.compile(
    r"\{(\w+)\}\s+(يومًا|يوما|أيام|يوم|فترات|فترةً|فترة|أسطر|سطرًا|سطر|حدث|أحداث|حدثًا|منظمات|منظمةً|منظمة|"
    r"مؤشرًا|مؤشرات|حرفًا|أحرف|شخصًا|أشخاص|مستفيدًا|قيم|قيمة)\b"
)


def test_no_arabic_string_agrees_a_noun_with_a_number_it_cannot_know() -> None:
    ar = i18n.catalogue("ar")
    offenders = []
    for key, text in ar.items():
        if key.rpartition(".")[0] + ".other" in ar:  # a counted message: each form is written for its numbers
            continue
        for match in _AGREEING.finditer(text):
            # ``{min}`` is MIN_GROUP (5): « 5 منظمات » is its right form, checked below.
            if match.group(1) == "min" and match.group(2) == "منظمات":
                continue
            offenders.append(f"{key}: {match.group(0)}")
    assert not offenders, offenders
    assert i18n.plural_form(MIN_GROUP, "ar") == "few", "the {min} منظمات strings assume 3 to 10 organisations"


# -- Streamlit's own English: "No results" and the calendar's month names ------------------------
def _date_app() -> None:
    from datetime import date

    import streamlit as st

    from dashboard import widgets
    from dashboard.context import PageContext

    ctx = PageContext(store=None, viewer=None, lang=st.query_params.get("lang", "fr"), version=(), run=None)
    widgets.date_select(ctx, "d", first=date(2026, 12, 7), last=date(2027, 3, 6), value=date(2027, 1, 5), key="d")


@pytest.mark.parametrize(("lang", "shown"), [("fr", "5 janvier 2027"), ("ar", "5 يناير 2027"), ("en", "5 January 2027")])
def test_the_date_picker_lists_dates_written_in_the_readers_language_without_typing(lang: str, shown: str) -> None:
    from datetime import date

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_date_app)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception and not at.date_input
    box = at.selectbox(key="d")
    assert box.value == date(2027, 1, 5) and len(box.options) == 90
    assert strip_isolates(box.options[box.index]) == shown
    assert box.proto.filter_mode == _SELECT_WIDGET_FILTER_MODE_PROTO_MAP[None]  # typing off: no "No results"


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_an_empty_dropdown_says_no_match_in_the_readers_language_not_no_results(lang: str) -> None:
    from dashboard.style import css_for

    css = css_for(lang)
    assert '[role="listbox"][data-empty="true"] [role="option"] > span { visibility: hidden;' in css
    assert f'content: "{t("reading2.no_match", lang)}"' in css


@pytest.mark.parametrize(("lang", "first"), [("fr", "34"), ("ar", "\u200f")])
def test_coverage_and_grade_read_in_the_languages_direction(lang: str, first: str) -> None:
    """Under a right-to-left label, "34% · C" must put the coverage on the right: a right-to-left mark
    starts the Arabic value (the metric takes its direction from its first strong letter)."""
    text = t("reading2.coverage_grade_value", lang, coverage="34", grade="C")
    assert text.startswith(first) and text.index("34") < text.index("C")


def test_radar_labels_are_wrapped_inside_side_margins_so_a_phone_does_not_clip_them() -> None:
    from dashboard import charts

    axes = ["P1 · Dignité et autonomisation", "P4 · Coopération, innovation et apprentissage collectif", "P3", "P5"]
    fig = charts.radar(axes, [("org", [60.0, 70.0, 50.0, 80.0])], "t", "fr")
    angular = fig.layout.polar.angularaxis
    assert list(angular.tickvals) == axes  # the full names stay the categories (hover, tests)
    assert all(max(len(line) for line in text.split("<br>")) <= charts.RADAR_LABEL_CHARS + 4 for text in angular.ticktext)
    assert angular.ticktext[1] == "P4 ·<br>Coopération,<br>innovation et<br>apprentissage<br>collectif"
    assert fig.layout.margin.l >= charts.RADAR_SIDE_MARGIN and fig.layout.margin.r >= charts.RADAR_SIDE_MARGIN
