"""Counting rules (flow, stock, unique to date): declared per indicator, followed by scoring,
the method card and the template, and the network's reach shown as a range."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from framework_hash import copy_without_later_fields, hash_without_later_fields

from framework.model import DEFAULT_FRAMEWORK_DIR, Counting, FrameworkError, TimeAggregation, load_framework


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "fw"
    shutil.copytree(DEFAULT_FRAMEWORK_DIR, target)
    return target


def _edit_indicators(directory: Path, old: str, new: str) -> None:
    path = directory / "indicators.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# -- the framework -----------------------------------------------------------------------------
def test_every_count_of_the_default_catalogue_declares_its_counting_rule() -> None:
    framework = load_framework()
    for indicator in framework.indicators:
        kind = framework.unit_of(indicator.code).kind.value
        if indicator.derived or kind in ("percent", "boolean"):
            assert indicator.counting is None, indicator.code
        else:
            assert indicator.counting is not None, indicator.code
    rules = {i.code: i.counting for i in framework.indicators}
    assert rules["R01"] is Counting.UNIQUE_TO_DATE
    assert rules["J01"] is Counting.FLOW and rules["S02"] is Counting.FLOW and rules["P05"] is Counting.FLOW
    assert rules["P04"] is Counting.STOCK and rules["S05"] is Counting.STOCK and rules["C01"] is Counting.STOCK


def test_unique_beneficiaries_are_never_summed_over_periods() -> None:
    r01 = load_framework().indicator_by_code["R01"]
    assert r01.aggregation is TimeAggregation.LAST


def test_a_counting_rule_that_contradicts_the_aggregation_is_a_typed_problem_in_three_languages(
    tmp_path: Path,
) -> None:
    directory = _copy(tmp_path)
    _edit_indicators(directory, 'aggregation = "last"\ncounting = "unique_to_date"',
                     'aggregation = "sum"\ncounting = "unique_to_date"')
    with pytest.raises(FrameworkError) as caught:
        load_framework(directory)
    (problem,) = caught.value.problems
    assert problem.code == "counting_contradicts_aggregation"
    assert "R01" in problem.text("fr") and "'last'" in problem.text("fr") and "'sum'" in problem.text("fr")
    assert "R01" in problem.text("ar") and "قاعدة العدّ" in problem.text("ar")
    assert problem.text("en").endswith("needs aggregation = 'last', not 'sum'")


def test_a_counting_rule_on_a_percentage_is_a_typed_problem(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit_indicators(directory, 'aggregation = "wmean"\nweight_by = "R01"',
                     'aggregation = "wmean"\ncounting = "flow"\nweight_by = "R01"')
    with pytest.raises(FrameworkError) as caught:
        load_framework(directory)
    codes = {p.code for p in caught.value.problems}
    assert "counting_contradicts_aggregation" in codes or "counting_needs_amount" in codes


def test_an_indicator_that_declares_only_its_counting_rule_gets_the_matching_aggregation(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    tail = 'transform = "log"\ngoalposts = [1, 500]\nweights = { P1 = 0.5, P2 = 0.5 }\nsdg = ["8.5"]'
    _edit_indicators(directory, f'aggregation = "sum"\ncounting = "flow"\n{tail}', f'counting = "stock"\n{tail}')
    assert load_framework(directory).indicator_by_code["J06"].aggregation is TimeAggregation.LAST


def test_a_framework_file_without_counting_rules_keeps_its_hash(tmp_path: Path) -> None:
    framework = load_framework(copy_without_later_fields(tmp_path / "framework"))
    assert all(i.counting is None for i in framework.indicators)
    assert framework.content_hash == hash_without_later_fields(framework)
    assert load_framework().content_hash != framework.content_hash  # declaring counting rules is a new version


# -- a small network, loaded and scored for real ------------------------------------------------
CAS, RBT = "ASS-CAS-001", "ASS-RBT-014"
#: Distinct people since 1 January, quarter by quarter (running totals, as the template asks).
R01_TO_DATE = {CAS: (100, 180, 250, 300), RBT: (50, 90, 120, 200)}


def _csv(rows: list[tuple], header: str = "org_code,indicator_code,period,value") -> bytes:
    return ("\n".join([header, *(",".join(str(c) for c in r) for r in rows)]) + "\n").encode()


def _load(store, framework, data: bytes, name: str):
    from ingest.pipeline import load_file

    result = load_file(store, data, name, framework=framework)
    assert result.status == "accepted", result.summary("en")
    return result


def _score(store, framework) -> int:
    from metrics.run import score_store

    return score_store(store, framework, actor="cli:test")[0]


@pytest.fixture
def two_orgs_quarterly(sample_orgs_store, framework):
    rows = [(org, "R01", f"2024-Q{q + 1}", v) for org, values in R01_TO_DATE.items() for q, v in enumerate(values)]
    rows += [(org, "R02", f"2024-Q{q + 1}", 55) for org in R01_TO_DATE for q in range(4)]
    _load(sample_orgs_store, framework, _csv(rows), "r01.csv")
    return sample_orgs_store


def test_unique_beneficiaries_reported_quarterly_score_their_latest_value_not_the_sum_of_quarters(
    two_orgs_quarterly, framework
) -> None:
    run_id = _score(two_orgs_quarterly, framework)
    values = dict(two_orgs_quarterly.query(
        "SELECT org_code, value FROM score_indicators WHERE run_id = ? AND indicator_code = 'R01' AND period = '2024'",
        [run_id],
    ).rows())
    assert values == {CAS: 300.0, RBT: 200.0}  # not 830 and 460, the sums of the quarters


def test_network_reach_ranges_from_the_largest_organisation_to_the_sum_of_their_latest_values(
    two_orgs_quarterly, framework
) -> None:
    from metrics.reach import reach_range
    from store.reads.overview import network_summary
    from store.viewer import Viewer

    run_id = _score(two_orgs_quarterly, framework)
    summary = network_summary(two_orgs_quarterly, Viewer.steering(), run_id, "2024", "R01")
    reach = reach_range(summary["beneficiaries"], summary["beneficiaries_largest"], summary["beneficiaries_shared"])
    assert (reach.low, reach.high) == (300.0, 500.0)
    assert not reach.deduplicated


def test_a_declared_overlap_narrows_the_reach_range(two_orgs_quarterly, framework) -> None:
    from dashboard.screens.overview import reach_sentence
    from metrics.reach import reach_range
    from store.reads.overview import network_summary
    from store.viewer import Viewer

    header = "org_code,indicator_code,period,value,shared_with,shared_count"
    _load(two_orgs_quarterly, framework, _csv([(CAS, "R01", "2024-Q4", 300, RBT, 80)], header), "shared.csv")
    run_id = _score(two_orgs_quarterly, framework)
    summary = network_summary(two_orgs_quarterly, Viewer.steering(), run_id, "2024", "R01")
    reach = reach_range(summary["beneficiaries"], summary["beneficiaries_largest"], summary["beneficiaries_shared"])
    assert (reach.low, reach.high) == (420.0, 500.0)  # 500 people counted, 80 of them by both
    assert reach_sentence(reach, "fr").startswith("Entre 420 et 500 personnes distinctes")
    assert "80" in reach_sentence(reach, "en") and "shared beneficiaries" in reach_sentence(reach, "en")
    # A later file restating the overlap replaces it; the lower bound never passes the larger organisation.
    _load(two_orgs_quarterly, framework, _csv([(CAS, "R01", "2024-Q4", 300, RBT, 290)], header), "shared2.csv")
    run_id = _score(two_orgs_quarterly, framework)
    summary = network_summary(two_orgs_quarterly, Viewer.steering(), run_id, "2024", "R01")
    assert summary["beneficiaries_shared"] == 200.0  # capped at the smaller organisation's 200 people
    low = reach_range(summary["beneficiaries"], summary["beneficiaries_largest"], summary["beneficiaries_shared"]).low
    assert low == 300.0


def test_an_overlap_with_an_unknown_organisation_is_refused_naming_line_and_column(
    sample_orgs_store, framework
) -> None:
    from ingest.issues import render_report
    from ingest.pipeline import load_file

    data = _csv([(CAS, "R01", "2024-Q1", 100, "ASS-XXX-999", 30), (CAS, "R03", "2024-Q1", 10, "", "")],
                "org_code,indicator_code,period,value,partagé avec,nombre partagé")
    result = load_file(sample_orgs_store, data, "overlap.csv", framework=framework)
    assert result.status == "rejected"
    report = render_report(result.issues, "fr").filter(pl.col("code") == "shared_with_unknown")
    assert report.select("line", "column", "value").rows() == [(2, "partagé avec", "ASS-XXX-999")]
    assert "ASS-XXX-999" in report["message"][0] and "n'est pas une organisation membre" in report["message"][0]
    assert sample_orgs_store.scalar("SELECT count(*) FROM shared_beneficiaries") == 0


def test_the_method_card_says_in_words_how_each_indicator_is_counted(two_orgs_quarterly, framework) -> None:
    from metrics.method_card import build_card, render
    from metrics.run import card_reads

    run_id = _score(two_orgs_quarterly, framework)
    cards = {lang: render(build_card(card_reads(two_orgs_quarterly, run_id, CAS, "2024", "P2", lang)), lang)
             for lang in ("fr", "ar", "en")}
    r01 = {lang: next(line for line in card.splitlines() if "R01" in line) for lang, card in cards.items()}
    assert "uniques à date" in r01["fr"] and "jamais la somme des trimestres" in r01["fr"]
    assert "unique to date" in r01["en"] and "never the sum of quarters" in r01["en"]
    assert "فريدون حتى تاريخه" in r01["ar"]
    assert "somme sur la période" not in r01["fr"]


# -- the template -------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["fr", "ar", "en"])
def test_the_template_tells_members_how_to_count_each_indicator(tmp_path: Path, lang: str) -> None:
    import openpyxl

    from i18n import t
    from ingest.template import write_template

    path = write_template(load_framework(), CAS, "2025", lang, "xlsx", tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    instructions = book[t("template.instructions_sheet", lang)]
    cells = [str(c.value) for row in instructions.iter_rows() for c in row if c.value is not None]
    assert t("counting.how_unique_to_date", lang) in cells and t("counting.how_flow", lang) in cells
    unique_row = cells.index(t("counting.name_unique_to_date", lang))
    assert "R01" in cells[unique_row + 1].split(", ") and "J01" not in cells[unique_row + 1].split(", ")
    data = book[t("template.data_sheet", lang)]
    messages = {str(v.sqref): v.prompt or "" for v in data.data_validations.dataValidation}
    rule = t("counting.rule_hint", lang, rule=t("counting.name_unique_to_date", lang))
    assert any(rule in message for message in messages.values())


def test_the_method_page_lists_the_counting_rules_and_why_reach_is_a_range() -> None:
    from dashboard.method_text import sections
    from i18n import t

    for lang in ("fr", "ar", "en"):
        found = [s for s in sections(load_framework(), lang, "year") if s.title == t("dashboard.counting.method_title", lang)]
        assert len(found) == 1, lang
        body = found[0].body
        unique_line = next(line for line in body.splitlines() if t("counting.card_unique_to_date", lang) in line)
        assert "R01" in unique_line and "J01" not in unique_line
        assert t("dashboard.counting.method_reach", lang) in body


def test_members_get_the_mean_per_organisation_as_the_minimum_never_one_organisations_figure(
    sample_orgs_store, framework
) -> None:
    from dashboard.screens.overview import reach_sentence
    from metrics.reach import reach_range
    from store.reads.overview import network_summary
    from store.viewer import Viewer

    orgs = sample_orgs_store.query("SELECT code FROM organizations ORDER BY code")["code"].to_list()
    assert len(orgs) == 5  # a group just large enough for a member to see its aggregate
    reached = dict(zip(orgs, (100, 200, 300, 400, 1000), strict=True))
    _load(sample_orgs_store, framework, _csv([(o, "R01", "2024-Q4", v) for o, v in reached.items()]), "five.csv")
    run_id = _score(sample_orgs_store, framework)
    steering = network_summary(sample_orgs_store, Viewer.steering(), run_id, "2024", "R01")
    member = network_summary(sample_orgs_store, Viewer.member(orgs[0]), run_id, "2024", "R01")
    assert steering["beneficiaries_largest"] == 1000.0  # the committee sees organisations one by one
    assert member["beneficiaries"] == 2000.0 and member["beneficiaries_largest"] == 400.0  # never the 1000
    reach = reach_range(member["beneficiaries"], member["beneficiaries_largest"], 0, "mean")
    assert (reach.low, reach.high) == (400.0, 2000.0)
    assert "moyenne par organisation" in reach_sentence(reach, "fr")
