"""Dashboard building blocks without a browser: formats, framework edits, method text, bootstrap."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from dashboard.bootstrap import ensure_demo_database
from dashboard.method_text import sections
from dashboard.style import RTL_MARKER, css_for
from dashboard.testing import open_page, start
from framework import edit as framework_edit
from framework.model import FrameworkError, load_framework
from i18n import formatting as fmt
from metrics.run import score_store
from metrics.weights import effective_weights
from store.db import open_store
from store.reads import common as common_reads
from store.registry import adopt_framework
from store.viewer import Viewer


@pytest.fixture(scope="module")
def framework():
    return load_framework()


def test_numbers_per_language(monkeypatch) -> None:
    assert fmt.number(1234567.891, "fr", 2) == "1\u202f234\u202f567,89"
    assert fmt.number(1234567.891, "en", 2) == "1,234,567.89"
    assert fmt.number(1234567.891, "ar", 2) == "1.234.567,89"
    assert fmt.number(-0.04, "fr", 1) == "0,0" and fmt.number(-2.5, "fr", 1) == "-2,5"
    assert (
        fmt.signed(1.26, "fr") == "+1,3"
        and fmt.signed(-1.26, "en") == "-1.3"
        and fmt.signed(0.01, "en") == "0.0"
    )
    # CLDR's spacing: a no-break space before % in French, none in English or Moroccan Arabic.
    assert fmt.percent(0.456, "fr") == "46\xa0%" and fmt.percent(0.456, "en") == "46%"
    assert fmt.percent(0.456, "ar", 1) == "45,6%" and fmt.percent(-0.0004, "fr", 1) == "0,0\xa0%"
    assert fmt.number_range(12, 30.5, "ar", 1) == "\u206612,0 – 30,5\u2069"
    assert fmt.number(None, "fr") == fmt.number(float("nan"), "en") == fmt.DASH
    monkeypatch.setenv("ATHAR_ARABIC_DIGITS", "1")
    assert fmt.number(1250.5, "ar", 1) == "١٬٢٥٠٫٥"


def test_dates_per_language() -> None:
    day = date(2026, 11, 29)
    assert fmt.date_text(day, "fr") == "29 novembre 2026"
    assert fmt.date_text(day, "en") == "29 November 2026"
    assert fmt.date_text(day, "ar") == "29 نونبر 2026"
    assert fmt.datetime_text(datetime(2026, 3, 1, 8, 5), "fr") == "1 mars 2026 08:05"
    assert fmt.isolate("-12", "ar") == "\u2066-12\u2069" and fmt.isolate("12", "fr") == "12"


def test_rtl_css_only_for_arabic() -> None:
    assert RTL_MARKER in css_for("ar") and "direction: rtl" in css_for("ar")
    # the page's layout is right to left for Arabic only; a member's narrative keeps its own direction
    # on any page (an Arabic text on a French page), by its own rule
    for lang in ("fr", "en"):
        layout = "\n".join(line for line in css_for(lang).splitlines() if "st-key-narrtext" not in line)
        assert "direction: rtl" not in layout and RTL_MARKER not in css_for(lang)


def test_effective_weights_add_up_per_principle_and_overall(framework) -> None:
    weights = effective_weights(framework)
    assert weights["effective"].sum() == pytest.approx(1.0)
    for principle in framework.principles:
        part = weights.filter(weights["principle"] == principle.code)
        assert part["share_in_principle"].sum() == pytest.approx(1.0)


def test_an_unchanged_table_is_the_same_version(framework) -> None:
    same = framework_edit.draft(
        framework, framework_edit.principle_table(framework), framework_edit.indicator_table(framework)
    )
    assert same.content_hash == framework.content_hash
    assert framework_edit.differences(framework, same).is_empty()


def test_an_edit_is_a_new_validated_version(framework) -> None:
    principles = framework_edit.principle_table(framework)
    indicators = framework_edit.indicator_table(framework)
    principles.loc[principles["code"] == "P5", "weight"] = 2.0
    indicators.loc[indicators["code"] == "R01", "goalpost_max"] = 30000.0
    indicators.loc[indicators["code"] == "J02", "target"] = 70.0
    indicators.loc[indicators["code"] == "R01", "w_P5"] = 0.0  # removes R01 from P5
    new = framework_edit.draft(framework, principles, indicators)
    assert new.content_hash != framework.content_hash
    assert new.principle_by_code["P5"].weight == 2.0
    assert new.indicator_by_code["R01"].goalposts == (10.0, 30000.0)
    assert "P5" not in new.indicator_by_code["R01"].weights
    assert new.indicator_by_code["J02"].target == 70.0
    changed = set(framework_edit.differences(framework, new)["field"].to_list())
    assert {"weight", "goalposts", "target", "weight P5"} <= changed
    assert framework.principle_by_code["P5"].weight == 1.0  # the original is untouched


def test_an_invalid_edit_lists_its_problems(framework) -> None:
    indicators = framework_edit.indicator_table(framework)
    indicators.loc[indicators["code"] == "R01", "goalpost_min"] = 50000.0
    with pytest.raises(FrameworkError) as raised:
        framework_edit.draft(framework, framework_edit.principle_table(framework), indicators)
    assert any("R01" in problem for problem in raised.value.problems)


def test_adopting_an_edit_keeps_the_old_version_and_rescoring_uses_the_new(demo_db_fresh, framework) -> None:
    store = open_store(demo_db_fresh)
    principles = framework_edit.principle_table(framework)
    principles.loc[principles["code"] == "P1", "weight"] = 3.0
    new = framework_edit.draft(framework, principles, framework_edit.indicator_table(framework))
    assert adopt_framework(store, new, actor="cli:test", source="test")
    versions = common_reads.framework_versions(store, Viewer.steering())
    assert versions.height == 2 and versions["hash"][0] == new.content_hash
    assert common_reads.framework_in_use(store, Viewer.steering())["hash"] == new.content_hash
    run_id, _ = score_store(store, new, actor="cli:test")
    assert common_reads.latest_run(store, Viewer.steering())["framework_hash"] == new.content_hash
    assert run_id == 2


def test_framework_page_recomputes_on_request_only(demo_db_fresh, monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    store = open_store(demo_db_fresh)
    at = open_page(start(demo_db_fresh), "framework")
    assert store.scalar("SELECT count(*) FROM score_runs") == 1  # showing the page computes nothing
    at.button(key="framework_validate").click().run()
    assert any("Aucune modification" in i.value for i in at.info)
    at.button(key="framework_recompute").click().run()
    assert not at.exception
    assert any("Calcul n° 2 enregistré" in s.value for s in at.success)
    assert store.scalar("SELECT count(*) FROM score_runs") == 2


@pytest.mark.parametrize("lang", ["fr", "ar", "en"])
def test_method_text_comes_from_the_framework(framework, lang: str) -> None:
    text = "\n".join(f"{s.title}\n{s.body}" for s in sections(framework, lang, "year", 1))
    assert framework.principles[0].name.get(lang) in text
    assert fmt.number(framework.meta.robustness.draws, lang) in text
    assert "{" not in text  # every placeholder filled


def test_bootstrap_keeps_an_existing_database(tmp_path) -> None:
    existing = tmp_path / "athar.duckdb"
    existing.write_bytes(b"not touched")
    assert ensure_demo_database(existing) is False
    assert existing.read_bytes() == b"not touched"


def test_framework_page_adopts_a_checked_draft_as_a_new_version(
    demo_db_fresh, monkeypatch, framework
) -> None:
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    store = open_store(demo_db_fresh)
    principles = framework_edit.principle_table(framework)
    principles.loc[principles["code"] == "P3", "weight"] = 2.0
    new = framework_edit.draft(framework, principles, framework_edit.indicator_table(framework))
    at = open_page(start(demo_db_fresh), "framework")
    at.session_state["_framework_draft"] = new  # what "Check the changes" leaves after validating
    at.run()
    assert any("Nouvelle version" in m.value for m in at.markdown)
    at.button(key="framework_adopt").click().run()
    assert not at.exception
    # the new version by its number and date, never its hash (issue 12)
    assert any(s.value.startswith("Version n° 2 du ") for s in at.success), [s.value for s in at.success]
    assert not any(new.content_hash[:7] in s.value for s in at.success)
    assert store.scalar("SELECT count(*) FROM framework_versions") == 2
    assert common_reads.framework_in_use(store, Viewer.steering())["hash"] == new.content_hash
    assert store.scalar("SELECT count(*) FROM score_runs") == 1  # adopting does not rescore


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_line_chart_legends_sit_beside_the_plot_away_from_the_value_axis(lang: str) -> None:
    """Above the plot, a legend of six principles wraps into rows that climb into the title."""
    from dashboard import charts

    names = [f"P{n} · Coopération, innovation et apprentissage collectif" for n in range(1, 7)]
    figure = charts.lines(
        [(name, ["2023", "2024", "2025"], [50.0, 55.0, 60.0]) for name in names],
        "Titre",
        "Période",
        "Score",
        lang,
    )
    legend = figure.layout.legend
    assert legend.orientation == "v" and legend.yanchor == "top"
    if lang == "ar":  # time runs right to left and the value axis is on the right: the legend goes left
        assert legend.x < 0 and legend.xanchor == "right" and figure.layout.yaxis.side == "right"
    else:
        assert legend.x > 1 and legend.xanchor == "left"
    assert all(len(line) <= 30 for trace in figure.data for line in trace.name.split("<br>"))


def test_heatmap_colour_scale_lies_under_the_plot_away_from_the_row_labels_in_both_directions() -> None:
    from dashboard import charts

    for lang, right in (("fr", False), ("ar", True)):
        figure = charts.heatmap([[50.0, 60.0]], ["P1", "P2"], ["A"], "Titre", "Score", lang)
        colorbar = figure.data[0].colorbar
        assert colorbar.orientation == "h" and colorbar.y <= 0 and colorbar.yanchor == "top"
        assert figure.layout.margin.b >= colorbar.thickness  # room for the scale under the plot
        assert figure.layout.yaxis.side == ("right" if right else None)


def test_csv_cells_neutralise_formulas_but_numbers_stay_numbers() -> None:
    from ingest.safe_write import neutralise

    assert [neutralise(v) for v in ("=1+1", "+33 6 12", "-2+3+cmd|' /C calc'!A0", "@SUM(1)", "\t=1+1", "ok")] == [
        "'=1+1", "'+33 6 12", "'-2+3+cmd|' /C calc'!A0", "'@SUM(1)", "'\t=1+1", "ok"]
    assert [neutralise(v) for v in (-15, "-15", "+4", "87,5", 1250.0, None)] == ["-15", "-15", "+4", "87,5", "1250.0", ""]


def test_visible_text_leaves_out_widget_and_media_file_ids() -> None:
    """The security scans look for forbidden words in what a page shows; a download's media file id
    is a random uuid4 whose hex digits must not be read as text (they once made '2023' appear)."""
    from streamlit.testing.v1 import AppTest

    from dashboard.testing import visible_text

    def page() -> None:
        import streamlit as st

        st.download_button("Télécharger", data=lambda: b"a;b\n", file_name="x.csv", key="dl")
        st.selectbox("Choix", ["un", "deux"], key="pick")

    at = AppTest.from_function(page).run()
    text = visible_text(at)
    assert "Télécharger" in text and "deux" in text
    proto = str(at.get("download_button")[0].proto)
    ids = re.findall(r'(?:id|deferred_file_id): "([^"]+)"', proto)
    assert ids and not any(i in text for i in ids), (ids, text)
