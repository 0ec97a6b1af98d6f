"""Each validation rule, on small tables: the right code, line and column, nothing stored."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from ingest.issues import empty_issues, render_report
from ingest.validate import Validation, ValidationContext, validate_table

ORGS = frozenset({"ASS-CAS-001", "ASS-RBT-014", "FON-FES-007"})
TODAY = date(2026, 11, 29)
HEADER = ["org_code", "indicator_code", "period", "value", "unit", "notes"]


def run(framework, rows: list[list[str | None]], headers: list[str] = HEADER, *, member: str | None = None,
        orgs: frozenset[str] | None = ORGS) -> Validation:
    width = len(headers)
    frame = pl.DataFrame(
        {**{f"c{i}": [r[i] if i < len(r) else None for r in rows] for i in range(width)},
         "__line": list(range(2, len(rows) + 2))},
        schema={**{f"c{i}": pl.String for i in range(width)}, "__line": pl.Int64},
    )
    ctx = ValidationContext(framework=framework, known_orgs=orgs, member_org=member, today=TODAY)
    return validate_table(frame, headers, empty_issues(), ctx)


def found(result: Validation) -> list[tuple[int | None, str | None, str]]:
    return [(r["line"], r["column"], r["code"]) for r in result.issues.iter_rows(named=True)]


def test_valid_rows_become_canonical_rows(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "R01", "T1 2024", "1 250", "personnes", "ok"],
                             ["ass-cas-001", "e03", "2024-Q1", "87,5", "%", ""]])
    assert found(result) == []
    assert result.rows.select("line", "org_code", "indicator_code", "period", "value", "unit").rows() == [
        (2, "ASS-CAS-001", "R01", "2024-Q1", 1250.0, "persons"),
        (3, "ASS-CAS-001", "E03", "2024-Q1", 87.5, "percent"),
    ]


def test_missing_required_column_names_the_accepted_names(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "R01", "1250"]], ["org_code", "indicator_code", "value"])
    assert found(result) == [(None, "period", "missing_column")]
    assert "Période" in result.issues["expected"][0] or "période" in result.issues["expected"][0]


def test_duplicate_column(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "R01", "2024", "1", "2"]], ["org_code", "indicator_code", "period", "Valeur", "value"])
    assert found(result) == [(None, "value", "duplicate_column")]


def test_unknown_column_is_a_warning_and_the_file_still_passes(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "R01", "2024", "12", "x"]], ["org_code", "indicator_code", "period", "value", "Budget prévu"])
    assert found(result) == [(1, "Budget prévu", "unknown_column")]
    assert not result.has_errors


def test_empty_required_cells(framework) -> None:
    result = run(framework, [["", "R01", "2024", "12"], ["ASS-CAS-001", "", "2024", "12"], ["ASS-CAS-001", "R01", "", "12"],
                             ["ASS-CAS-001", "R01", "2024", "", "", "a note"]])
    assert found(result) == [(2, "org_code", "empty_required"), (3, "indicator_code", "empty_required"),
                             (4, "period", "empty_required"), (5, "value", "empty_required")]


def test_untouched_template_rows_are_skipped_and_counted(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "R01", "2024", "12", "personnes"], ["ASS-CAS-001", "R03", "2024", "", "personnes"]])
    assert found(result) == []
    assert result.skipped_rows == 1 and result.rows.height == 1


def test_unknown_organisation_and_indicator(framework) -> None:
    result = run(framework, [["XXX-NOPE-1", "R01", "2024", "10"], ["ASS-CAS-001", "ZZ9", "2024", "10", "kg"]])
    assert found(result) == [(2, "org_code", "unknown_org"), (3, "indicator_code", "unknown_indicator")]


def test_derived_indicator_cannot_be_submitted(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "S01", "2024", "350", "MAD"]])
    assert found(result) == [(2, "indicator_code", "derived_indicator")]
    assert result.issues["expected"][0] == "S02, R01"


def test_member_upload_fills_its_own_code_and_rejects_other_organisations(framework) -> None:
    headers = ["indicator_code", "period", "value"]
    result = run(framework, [["R01", "2024", "10"]], headers, member="ASS-CAS-001")
    assert found(result) == [] and result.rows["org_code"].to_list() == ["ASS-CAS-001"]
    result = run(framework, [["ASS-CAS-001", "R01", "2024", "10"], ["ASS-RBT-014", "R01", "2024", "10"]], member="ASS-CAS-001")
    assert found(result) == [(3, "org_code", "other_org")]
    assert result.issues["expected"][0] == "ASS-CAS-001"


@pytest.mark.parametrize(
    ("indicator", "value", "unit", "code"),
    [
        ("J01", "N/A", "personnes", "not_a_number"),
        ("J01", "#DIV/0!", "personnes", "excel_error"),
        ("J01", "#VALEUR!", "personnes", "excel_error"),
        ("J01", "########", "personnes", "excel_error"),
        ("S02", "1,23457E+11", "MAD", "scientific_notation"),
        ("J01", "12٣", "personnes", "mixed_digits"),
        ("E03", "142.3", "%", "out_of_range"),
        ("H02", "-15", "unités", "out_of_range"),
        ("R01", "12,5", "personnes", "not_integer"),
        ("R01", "12", "heures", "unit_mismatch"),
        ("R01", "12", "kg", "unit_mismatch"),
        ("R01", "12 %", "", "unit_mismatch"),
        ("S04", "2", "oui/non", "out_of_range"),
    ],
)
def test_value_rules(framework, indicator: str, value: str, unit: str, code: str) -> None:
    result = run(framework, [["ASS-CAS-001", indicator, "2024", value, unit]])
    assert [c for _, _, c in found(result)] == [code]
    assert result.has_errors


def test_yes_no_words_for_a_boolean_indicator(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "S04", "2024", "oui", ""], ["ASS-RBT-014", "S04", "2024", "لا", ""]])
    assert found(result) == [] and result.rows["value"].to_list() == [1.0, 0.0]


def test_percent_sign_on_a_percentage_is_fine(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "E03", "2024", "87,5 %", ""]])
    assert found(result) == [] and result.rows["value"].to_list() == [87.5]


def test_invalid_future_and_in_progress_periods(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "R01", "2024-Q5", "1"], ["ASS-CAS-001", "R01", "2027", "1"],
                             ["ASS-CAS-001", "R01", "2026-Q4", "1"]])
    assert found(result) == [(2, "period", "invalid_period"), (3, "period", "future_period"),
                             (4, "period", "period_in_progress")]
    severities = result.issues["severity"].to_list()
    assert severities == ["error", "error", "warning"]


def test_breakdowns_accept_aliases_and_reject_unknown_values(framework) -> None:
    headers = [*HEADER[:4], "sexe", "milieu", "région"]
    result = run(framework, [["ASS-CAS-001", "R01", "2024", "10", "femmes", "rural", "MA-06"],
                             ["ASS-CAS-001", "R01", "2024", "12", "H", "Urbain", "Casablanca-Settat"],
                             ["ASS-CAS-001", "R03", "2024", "3", "X", "", "MA-13"]], headers)
    assert sorted(found(result)) == [(4, "région", "invalid_breakdown"), (4, "sexe", "invalid_breakdown")]
    good = run(framework, [["ASS-CAS-001", "R01", "2024", "10", "femmes", "rural", "MA-06"],
                           ["ASS-CAS-001", "R01", "2024", "12", "H", "Urbain", "Casablanca-Settat"]], headers)
    assert good.rows.select("sex", "area", "region").rows() == [("F", "rural", "MA-06"), ("M", "urban", "MA-06")]


def test_duplicate_keys_name_the_first_line(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "R01", "2024-Q1", "10"], ["ASS-CAS-001", "R03", "2024-Q1", "2"],
                             ["ASS-CAS-001", "R01", "T1 2024", "11"]])
    assert found(result) == [(4, "indicator_code", "duplicate_key")]
    assert result.issues["expected"].to_list() == ["2"]


def test_same_indicator_with_different_breakdowns_is_not_a_duplicate(framework) -> None:
    headers = [*HEADER[:4], "sex"]
    result = run(framework, [["ASS-CAS-001", "R01", "2024", "10", "F"], ["ASS-CAS-001", "R01", "2024", "12", "M"]], headers)
    assert found(result) == []


def test_wide_layout_one_column_per_indicator(framework) -> None:
    headers = ["Organisation", "Période", "R01", "r03", "E03", "Remarques"]
    result = run(framework, [["ASS-CAS-001", "2024", "1250", "64", "87,5", "x"], ["ASS-RBT-014", "2024", "10", "", "", ""]], headers)
    assert found(result) == []
    assert result.rows.select("line", "org_code", "indicator_code", "value").sort("line", "indicator_code").rows() == [
        (2, "ASS-CAS-001", "E03", 87.5), (2, "ASS-CAS-001", "R01", 1250.0), (2, "ASS-CAS-001", "R03", 64.0),
        (3, "ASS-RBT-014", "R01", 10.0),
    ]
    bad = run(framework, [["ASS-CAS-001", "2024", "N/A", "64", "187", ""]], headers)
    assert sorted(found(bad)) == [(2, "E03", "out_of_range"), (2, "R01", "not_a_number")]


def test_wide_columns_named_by_code_and_label_or_by_full_name(framework) -> None:
    """Hand-made sheets label their indicator columns; a problem names the column as written."""
    headers = ["Organisation", "Année", "R01 - Bénéficiaires directs uniques", "R03 (personnes)",
               "Part de femmes et filles", "نسبة المستفيدين في الوسط القروي", "Total"]
    result = run(framework, [["ASS-CAS-001", "2024", "1250", "64", "52", "30", "1396"]], headers)
    assert result.rows.select("indicator_code", "value").sort("indicator_code").rows() == [
        ("R01", 1250.0), ("R02", 52.0), ("R03", 64.0), ("R04", 30.0)]
    assert found(result) == [(1, "Total", "unknown_column")]
    bad = run(framework, [["ASS-CAS-001", "2024", "N/A", "64", "152", "30", ""]], headers)
    assert sorted(found(bad)) == [(1, "Total", "unknown_column"), (2, "Part de femmes et filles", "out_of_range"),
                                  (2, "R01 - Bénéficiaires directs uniques", "not_a_number")]


def test_two_wide_columns_for_one_indicator_are_an_error(framework) -> None:
    headers = ["Organisation", "Période", "R01", "Bénéficiaires directs uniques"]
    result = run(framework, [["ASS-CAS-001", "2024", "1250", "1300"]], headers)
    assert found(result) == [(None, "R01", "duplicate_column")]
    assert result.issues["value"][0] == "« R01 », « Bénéficiaires directs uniques »"


def test_a_code_followed_by_nothing_but_punctuation_or_inside_a_word_is_not_a_wide_column(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "2024", "12"]], ["Organisation", "Période", "R01X budget"])
    assert found(result)[-1] == (1, "R01X budget", "unknown_column")


def test_organisations_are_not_checked_without_a_registry(framework) -> None:
    result = run(framework, [["ANY-ORG", "R01", "2024", "1"]], orgs=None)
    assert found(result) == []


@pytest.mark.parametrize("lang", ["fr", "ar", "en"])
def test_every_issue_renders_a_message_and_a_hint_in_each_language(framework, lang: str) -> None:
    result = run(framework, [["XXX", "R01", "2024-Q5", "N/A"], ["ASS-CAS-001", "E03", "2024", "101", "kg"]])
    report = render_report(result.issues, lang)
    assert report.height == result.issues.height >= 4
    assert report["message"].str.len_chars().min() > 5 and report["hint"].str.len_chars().min() > 5
    assert not report["message"].str.contains(r"\{").any()


def test_percentages_written_as_fractions_are_flagged(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "E03", "2024", "0.875"], ["ASS-CAS-001", "J02", "2024", "0,42"]])
    assert found(result) == [(2, "value", "percent_as_fraction"), (3, "value", "percent_as_fraction")]
    assert result.issues["expected"].to_list() == ["87.5", "42"] and not result.has_errors
    # Among ordinary percentages, a value strictly between 0 and 1 is still worth a look.
    mixed = run(framework, [["ASS-CAS-001", "E03", "2024", "0.875"], ["ASS-CAS-001", "J02", "2024", "42"]])
    assert found(mixed) == [(2, "value", "percent_as_fraction")] and not mixed.has_errors
    normal = run(framework, [["ASS-CAS-001", "E03", "2024", "87.5"], ["ASS-CAS-001", "J02", "2024", "1"],
                             ["ASS-CAS-RBT", "J02", "2024", "0"]], orgs=None)
    assert found(normal) == []


def test_member_cannot_probe_the_registry(framework) -> None:
    """For a member, a registered and an unregistered foreign code get the same answer."""
    result = run(framework, [["ASS-RBT-014", "R01", "2024", "1"], ["XXX-NOPE-1", "R01", "2024", "1"]],
                 member="ASS-CAS-001")
    assert found(result) == [(2, "org_code", "other_org"), (3, "org_code", "other_org")]


def test_long_file_checked_against_the_expected_codes_gives_the_same_report(framework) -> None:
    """With more rows than registered organisations and framework indicators, the codes are first
    matched against those spellings; a cell written otherwise sends the column back to the general
    lookup, with the same canonical rows and the same issues."""
    periods = [f"{y}-Q{q}" for y in (2023, 2024) for q in range(1, 5)]
    rows = [[org, "R01", period, str(10 + i)] for i, (org, period) in
            enumerate((o, p) for o in sorted(ORGS) for p in periods)]
    rows += [["ASS-CAS-001", "R03", period, "5"] for period in periods]
    rows += [["ASS-CAS-001", "E03", period, "50"] for period in periods]
    rows += [["ASS-CAS-001", "R05", period, "7"] for period in periods]
    rows += [["ASS-CAS-001", "R06", period, "3"] for period in periods]
    assert len(rows) > len(framework.indicators)
    clean = run(framework, rows)
    assert found(clean) == [] and clean.rows.height == len(rows)
    assert clean.rows["org_code"].to_list() == [r[0] for r in rows]
    # the same file with an organisation, an indicator and a period written otherwise
    mixed = [list(r) for r in rows]
    mixed[1][0], mixed[2][1], mixed[3][2] = "ass-cas-001", "r01", "T4 2023"
    result = run(framework, mixed)
    assert found(result) == [] and result.rows.equals(clean.rows)
    # …one of which now repeats line 2 (same organisation, indicator and period), and a copy of line 3
    mixed[4][2] = "T1 2023"
    mixed.append(list(rows[1]))
    result = run(framework, mixed)
    assert found(result) == [(6, "indicator_code", "duplicate_key"), (len(mixed) + 1, "indicator_code", "duplicate_key")]
    assert result.issues["expected"].to_list() == ["2", "3"]
    # unknown codes among many known ones
    unknown = [list(r) for r in rows]
    unknown[5][0], unknown[6][1] = "XXX-NOPE-1", "ZZ9"
    assert found(run(framework, unknown)) == [(7, "org_code", "unknown_org"), (8, "indicator_code", "unknown_indicator")]


def test_a_repeated_header_line_is_skipped_with_a_warning(framework) -> None:
    """Exports pasted one after another repeat the header (as written, in any language)."""
    headers = ["Organisation", "Indicateur", "Période", "Valeur", "Unité", "Remarques"]
    result = run(framework, [["ASS-CAS-001", "R01", "2024", "12"], headers, ["ASS-CAS-001", "R03", "2024", "7"],
                             ["org_code", "indicator_code", "period", "value"], ["ASS-RBT-014", "R01", "2024", "5"]],
                 headers)
    assert found(result) == [(3, "", "repeated_header"), (5, "", "repeated_header")]
    assert result.issues["severity"].unique().to_list() == ["warning"]
    assert result.rows.select("line", "org_code", "indicator_code").rows() == [
        (2, "ASS-CAS-001", "R01"), (4, "ASS-CAS-001", "R03"), (6, "ASS-RBT-014", "R01")]


def test_a_header_word_in_one_cell_only_is_not_a_repeated_header(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "indicator_code", "2024", "12"]])
    assert found(result) == [(2, "indicator_code", "unknown_indicator")]


@pytest.mark.parametrize(
    ("row", "column", "value"),
    [
        (["Total", "", "", "19"], "org_code", "Total"),
        (["", "TOTAL", "", "19"], "indicator_code", "TOTAL"),
        (["ASS-CAS-001", "Total général", "2024", "19"], "indicator_code", "Total général"),
        (["ASS-CAS-001", "R01", "Total 2024", "19"], "period", "Total 2024"),
        (["Sous-total", "R01", "2024", "19"], "org_code", "Sous-total"),
        (["المجموع", "R01", "2024", "19"], "org_code", "المجموع"),
        (["ASS-CAS-001", "الإجمالي", "2024", "19"], "indicator_code", "الإجمالي"),
    ],
)
def test_a_total_line_is_skipped_with_a_warning(framework, row: list[str], column: str, value: str) -> None:
    result = run(framework, [["ASS-CAS-001", "R01", "2024", "12"], ["ASS-RBT-014", "R01", "2024", "7"], row])
    assert result.issues.select("line", "column", "code", "severity", "value").rows() == [
        (4, column, "total_row", "warning", value)]
    assert result.rows["line"].to_list() == [2, 3]
    assert value in render_report(result.issues, "ar")["message"][0]


def test_a_total_line_of_a_member_is_not_another_organisation(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "R01", "2024", "12"], ["TOTAL", "R01", "2024", "12"]], member="ASS-CAS-001")
    assert found(result) == [(3, "org_code", "total_row")]


def test_a_registered_code_that_reads_like_a_total_is_data(framework) -> None:
    result = run(framework, [["TOTAL-MA-01", "R01", "2024", "12"]], orgs=ORGS | {"TOTAL-MA-01"})
    assert found(result) == [] and result.rows["org_code"].to_list() == ["TOTAL-MA-01"]


@pytest.mark.parametrize(
    ("org", "indicator", "org_guess", "indicator_guess"),
    [
        ("ASS-CAS-01", "R1", "ASS-CAS-001", "R01"),
        ("asscas001", "r-01", "ASS-CAS-001", "R01"),
        ("ASS CAS 001", "Bénéficiaires directs unique", "ASS-CAS-001", "R01"),
        ("FON-FES-07", "unique direct beneficiary", "FON-FES-007", "R01"),
        ("XYZ", "QQQ", None, None),
    ],
)
def test_unknown_codes_suggest_the_closest_known_one(framework, org: str, indicator: str, org_guess: str | None,
                                                      indicator_guess: str | None) -> None:
    result = run(framework, [[org, indicator, "2024", "12"]])
    report = render_report(result.issues, "fr").sort("column")
    assert report.select("code", "expected").rows() == [("unknown_indicator", indicator_guess),
                                                         ("unknown_org", org_guess)]
    for hint, guess in zip(report["hint"], (indicator_guess, org_guess), strict=True):
        assert (guess is not None and hint.startswith(f"Vouliez-vous dire {guess} ?")) or (
            guess is None and "Vouliez-vous" not in hint)
    arabic = render_report(result.issues, "ar")["hint"].to_list()
    assert all(("هل تقصد" in hint) == (guess is not None) for hint, guess in zip(
        arabic, result.issues["expected"].to_list(), strict=True))


def test_a_spelling_shared_by_two_codes_suggests_neither() -> None:
    from ingest.suggest import closest, spellings

    known = spellings([("A01", "A01"), ("Accès", "A01"), ("B01", "B01"), ("Accès", "B01")])
    assert closest(["acces", "a 01", "A-01.", "A9", "ZZZ"], known) == [None, "A01", "A01", None, None]


def test_a_derived_indicator_is_never_suggested(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "S1", "2024", "12"]])
    assert result.issues.select("code", "expected").rows() in ([("unknown_indicator", None)],
                                                               [("unknown_indicator", "S02")])
    assert result.issues["expected"][0] != "S01"


def test_a_total_line_never_hides_rows_with_an_empty_key_cell(framework) -> None:
    """Merged cells in Excel leave key cells empty: those rows must still be reported, not dropped."""
    result = run(framework, [["ASS-CAS-001", "R01", "2024", "600"], ["", "R03", "2024", "64"],
                             ["Total", "", "", "664"], ["", "", "", "12"], ["Sous-total", "", "", "5"]])
    assert found(result) == [(3, "org_code", "empty_required"), (4, "org_code", "total_row"),
                             (5, "indicator_code", "empty_required"), (5, "org_code", "empty_required"),
                             (5, "period", "empty_required"), (6, "org_code", "total_row")]


def test_invisible_characters_around_codes_periods_units_and_values_change_nothing(framework) -> None:
    """Arabic Excel and copy-paste leave bidi marks, zero-width spaces and stray BOMs around cells."""
    rlm, lrm, zwsp, bom = "\u200f", "\u200e", "\u200b", "\ufeff"
    result = run(framework, [[f"{rlm}ASS-CAS-001", f"{lrm}R01{lrm}", f"{rlm}2024-Q1", f"1250{zwsp}", f"personnes{zwsp}"],
                             [f"{bom}ASS-RBT-014", "R01", "2024-Q1", "7", "personnes"]])
    assert found(result) == []
    assert result.rows.select("org_code", "indicator_code", "period", "value").rows() == [
        ("ASS-CAS-001", "R01", "2024-Q1", 1250.0), ("ASS-RBT-014", "R01", "2024-Q1", 7.0)]


def test_word_processor_apostrophes_and_dashes_match_like_plain_ones(framework) -> None:
    headers = ["Code de l’organisation", "Code de l’indicateur", "Période", "Valeur", "Région", "Tranche d’âge"]
    result = run(framework, [["ASS-CAS-001", "R01", "2024", "12", "L’Oriental", "15–24"],
                             ["ASS-CAS-001", "R01", "2024", "30", "الدار البيضاء–سطات", "0-14"]], headers)
    assert found(result) == []
    assert result.rows.select("region", "age_band").rows() == [("MA-02", "15-24"), ("MA-06", "0-14")]


@pytest.mark.parametrize(
    ("column", "text", "code"),
    [("sex", "Féminin", "F"), ("sex", "Masculin", "M"), ("age_band", "٠-١٤", "0-14"), ("age_band", "15 à 24 ans", "15-24"),
     ("age_band", "65 سنة فأكثر", "65+"), ("age_band", "أقل من 15 سنة", "0-14"), ("region", "MA-6", "MA-06"),
     ("region", "جهة الشرق", "MA-02"), ("region", "Dakhla-Oued Eddahab", "MA-12"), ("area", "Milieu rural", "rural")],
)
def test_breakdown_values_as_people_write_them(framework, column: str, text: str, code: str) -> None:
    result = run(framework, [["ASS-CAS-001", "R01", "2024", "12", text]], [*HEADER[:4], column])
    assert found(result) == [] and result.rows[column].to_list() == [code]


def test_total_in_a_breakdown_cell_is_the_total_and_wrong_values_are_not_duplicates(framework) -> None:
    headers = [*HEADER[:4], "sexe"]
    result = run(framework, [["ASS-CAS-001", "R01", "2024", "12", "Féminin"], ["ASS-CAS-001", "R01", "2024", "10", "Masculin"],
                             ["ASS-CAS-001", "R01", "2024", "22", "Total"], ["ASS-CAS-001", "R03", "2024", "4", "Ensemble"]],
                 headers)
    assert found(result) == [] and result.rows["sex"].to_list() == ["F", "M", None, None]
    wrong = run(framework, [["ASS-CAS-001", "R01", "2024", "12", "Fem"], ["ASS-CAS-001", "R01", "2024", "10", "Masc"]], headers)
    assert found(wrong) == [(2, "sexe", "invalid_breakdown"), (3, "sexe", "invalid_breakdown")]
    both = run(framework, [["ASS-CAS-001", "R01", "2024", "22", "Total"], ["ASS-CAS-001", "R01", "2024", "22", ""]], headers)
    assert found(both) == [(3, "indicator_code", "duplicate_key")]


def test_cells_under_an_empty_header(framework) -> None:
    """Inside the table they are values shifted or a column left unnamed: an error naming the
    Excel column; to the right of the table, stray notes or totals: a warning."""
    headers = ["org_code", "indicator_code", "period", "", "value", "unit"]
    shifted = run(framework, [["ASS-CAS-001", "R01", "2024", "", "12", "personnes"],
                              ["ASS-CAS-001", "R03", "2024", "1250", "", "personnes"]], headers)
    assert shifted.issues.select("line", "column", "code", "value").rows() == [(3, "D", "unnamed_column", "1250")]
    assert shifted.has_errors
    stray = run(framework, [["ASS-CAS-001", "R01", "2024", "12", "", "", "suite de la note"]], [*HEADER, ""])
    assert stray.issues.select("line", "column", "code", "severity").rows() == [(2, "G", "stray_cells", "warning")]
    assert stray.rows.height == 1


def test_a_breakdown_column_with_a_header_not_recognised_is_an_error(framework) -> None:
    """Otherwise its rows would be stored as totals and replace the real ones."""
    headers = [*HEADER[:4], "Tranche des âges", "Nouveau (1/0)"]
    result = run(framework, [["ASS-CAS-001", "R01", "2024", "300", "15-24", "1"], ["ASS-CAS-001", "R01", "2024", "120", "0-14", "0"]],
                 headers)
    assert found(result) == [(1, "Nouveau (1/0)", "unknown_column"), (1, "Tranche des âges", "breakdown_like_column")]
    assert result.issues.filter(pl.col("code") == "breakdown_like_column")["expected"].to_list() == ["age_band"]


def test_wide_column_of_numbers_naming_no_indicator_is_an_error_with_the_closest_one(framework) -> None:
    headers = ["Organisation", "Période", "R1", "R03", "Total", "Commentaire du coordinateur"]
    result = run(framework, [["ASS-CAS-001", "2024", "1250", "64", "1314", "RAS"]], headers)
    assert result.issues.select("column", "code", "expected").rows() == [
        ("Commentaire du coordinateur", "unknown_column", result.issues["expected"][0]),
        ("R1", "unknown_indicator", "R01"), ("Total", "unknown_column", result.issues["expected"][2])]


def test_long_layout_indicator_written_with_its_label_or_full_name(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "R01 - Bénéficiaires directs uniques", "2024", "12"],
                             ["ASS-CAS-001", "Part de femmes et filles", "2024", "52"],
                             ["ASS-CAS-001", "المستفيدون في وضعية إعاقة", "2024", "3"]])
    assert found(result) == [] and result.rows["indicator_code"].to_list() == ["R01", "R02", "R03"]


@pytest.mark.parametrize("header", ["Valeur\n(réalisé)", "Valeur (MAD)", "Montant [MAD]", "القيمة (درهم)"])
def test_a_header_with_a_precision_in_brackets_names_its_column(framework, header: str) -> None:
    result = run(framework, [["ASS-CAS-001", "R01", "2024", "12"]], [*HEADER[:3], header])
    assert found(result) == [] and result.rows["value"].to_list() == [12.0]


def test_a_formula_without_value_is_reported_once_not_also_as_an_empty_cell(framework) -> None:
    from ingest.issues import Issue, issues_frame

    frame = pl.DataFrame({"c0": ["ASS-CAS-001"], "c1": ["R01"], "c2": ["2024"], "c3": [""], "__line": [2]})
    read_issues = issues_frame([Issue("formula_without_value", line=2, column="value", value="=600+650")])
    ctx = ValidationContext(framework=framework, known_orgs=ORGS, today=TODAY)
    result = validate_table(frame, HEADER[:4], read_issues, ctx)
    assert found(result) == [(2, "value", "formula_without_value")]


@pytest.mark.parametrize(
    ("headers", "cells", "period"),
    [
        (["Année", "Trimestre"], ["2024", "T1"], "2024-Q1"),
        (["Trimestre", "Année"], ["3", "2024"], "2024-Q3"),
        (["Exercice", "Semestre"], ["2024", "2"], "2024-S2"),
        (["Année", "Mois"], ["2024", "mars"], "2024-03"),
        (["السنة", "الفصل"], ["٢٠٢٤", "٢"], "2024-Q2"),
        (["Année", "Trimestre"], ["2024", ""], "2024"),
    ],
)
def test_a_period_split_over_a_year_and_a_quarter_column(framework, headers: list[str], cells: list[str], period: str) -> None:
    result = run(framework, [["ASS-CAS-001", "R01", *cells, "12"]], ["org_code", "indicator_code", *headers, "value"])
    assert found(result) == [] and result.rows["period"].to_list() == [period]


def test_a_split_period_names_both_columns_and_two_period_columns_are_still_a_duplicate(framework) -> None:
    split = run(framework, [["ASS-CAS-001", "R01", "2024", "T5", "12"]],
                ["org_code", "indicator_code", "Année", "Trimestre", "value"])
    assert found(split) == [(2, "Année + Trimestre", "invalid_period")]
    twice = run(framework, [["ASS-CAS-001", "R01", "2024", "2024-Q1", "12"]],
                ["org_code", "indicator_code", "Année", "Période", "value"])
    assert found(twice) == [(None, "period", "duplicate_column")]


def _from_bytes(framework, text: str):
    from ingest.pipeline import validate_bytes

    return validate_bytes(text.encode("utf-8"), "court.csv", framework=framework, known_orgs=ORGS, today=TODAY)[1]


def test_rows_cut_short_after_the_last_required_cell_read_their_missing_cells_as_empty(framework) -> None:
    """Excel writes no delimiter for a row's empty trailing cells after its sixteenth line (KB 77295)."""
    result = _from_bytes(framework, (
        "org_code;indicator_code;period;value;unit;sexe;notes\n"
        "ASS-CAS-001;R01;2024;1 250;personnes;F;ok\n"
        "ASS-CAS-001;R01;2023;30;personnes\n"
        "ASS-CAS-001;R01;2022;40\n"
    ))
    assert found(result) == []
    assert result.rows.select("line", "period", "value", "unit", "sex", "notes").rows() == [
        (2, "2024", 1250.0, "persons", "F", "ok"),
        (3, "2023", 30.0, "persons", None, None),
        (4, "2022", 40.0, "persons", None, None),  # an empty unit is the indicator's
    ]


def test_a_row_cut_before_a_required_cell_or_too_wide_is_still_refused(framework) -> None:
    result = _from_bytes(framework, (
        "org_code;indicator_code;period;value;unit;notes\n"
        "ASS-CAS-001;R01;2024\n"
        "ASS-CAS-001;R02;2024;30;personnes;ok;en trop\n"
        "ASS-CAS-001;R03;2024;40\n"
    ))
    assert found(result) == [(2, None, "wrong_cell_count"), (3, None, "wrong_cell_count")]


def test_a_wide_row_cut_short_leaves_its_last_indicators_unreported(framework) -> None:
    result = _from_bytes(framework, (
        "org_code,period,R01,R02,R03\n"
        "ASS-CAS-001,2024,10,20,3\n"
        "ASS-CAS-001,2023,11\n"
        "ASS-CAS-001\n"
    ))
    assert found(result) == [(4, None, "wrong_cell_count")]


def test_a_scale_in_the_value_header_refuses_the_file(framework) -> None:
    for header in ("Montant (en milliers de DH)", "Valeur [KDH]", "Valeur (millions MAD)", "القيمة (بآلاف الدراهم)"):
        result = _from_bytes(framework, f"org_code;indicator_code;period;{header};unit\nASS-CAS-001;S02;2024;1 250;DH\n")
        assert [(i["line"], i["column"], i["code"]) for i in result.issues.iter_rows(named=True)] == [
            (1, header, "scaled_column")], header
    wide = _from_bytes(framework, "org_code;period;S02 (milliers MAD);R01\nASS-CAS-001;2024;850;12\n")
    assert found(wide) == [(1, "S02 (milliers MAD)", "scaled_column")]
    assert wide.issues["value"][0] == "milliers MAD"


def test_a_planned_column_is_left_out_and_the_achieved_one_is_the_value(framework) -> None:
    result = _from_bytes(framework, "org_code;indicator_code;period;Valeur (cible);Valeur atteinte\n"
                                    "ASS-CAS-001;R01;2024;1500;1250\n")
    assert found(result) == [(1, "Valeur (cible)", "planned_column")]
    assert result.rows["value"].to_list() == [1250.0]
    alone = _from_bytes(framework, "org_code;indicator_code;period;Montant (prévu)\nASS-CAS-001;S02;2024;2000000\n")
    assert (None, "value", "missing_column") in found(alone)


def test_a_unit_in_a_wide_header_is_the_unit_of_its_cells(framework) -> None:
    result = _from_bytes(framework, "org_code;period;R01 (personnes);P05 (en jours);S02 [MAD]\n"
                                    "ASS-CAS-001;2024;12;320;1000\n")
    assert found(result) == [(2, "P05 (en jours)", "unit_mismatch")]
    fine = _from_bytes(framework, "org_code;period;R01 (personnes);P05 (heures)\nASS-CAS-001;2024;12;320\n")
    assert found(fine) == []
    assert fine.rows.select("indicator_code", "unit").rows() == [("R01", "persons"), ("P05", "hours")]


@pytest.mark.parametrize("text", ["R01 Femmes", "R01-F", "R01.1", "R01 (femmes)", "R01 rural",
                                  "R01 - Bénéficiaires en situation de handicap",
                                  "Bénéficiaires en situation de handicap (R01)"])
def test_a_code_followed_by_a_group_a_sub_number_or_another_name_names_no_indicator(framework, text: str) -> None:
    long = _from_bytes(framework, f"org_code;indicator_code;period;value\nASS-CAS-001;{text};2024;600\n")
    assert found(long) == [(2, "indicator_code", "unknown_indicator")], text
    wide = _from_bytes(framework, f"org_code;period;{text};E03\nASS-CAS-001;2024;600;80\n")
    assert wide.has_errors and "R01" not in wide.rows["indicator_code"].to_list(), text


@pytest.mark.parametrize(("text", "code"), [("R01 - Bénéficiaires directs", "R01"), ("R01 (personnes)", "R01"),
                                            ("J04 AGR créées", "J04"), ("R02 femmes", "R02"),
                                            ("P05 Heures de bénévolat (h)", "P05"), ("R01 (réalisé)", "R01")])
def test_a_code_followed_by_its_label_or_unit_still_names_it(framework, text: str, code: str) -> None:
    result = _from_bytes(framework, f"org_code;indicator_code;period;value\nASS-CAS-001;{text};2024;60\n")
    assert found(result) == [] and result.rows["indicator_code"].to_list() == [code]


def test_a_code_column_beside_a_names_column_is_the_one_read(framework) -> None:
    result = _from_bytes(framework, "Association;Code association;Code indicateur;Indicateur;Période;Valeur\n"
                                    "Association Anaruz;ASS-CAS-001;R01;Bénéficiaires directs uniques;2024;1250\n")
    assert found(result) == []
    assert result.rows.select("org_code", "indicator_code", "value").rows() == [("ASS-CAS-001", "R01", 1250.0)]


def test_a_total_of_a_group_is_that_group_and_a_qualified_total_line_needs_an_empty_key(framework) -> None:
    result = _from_bytes(framework, (
        "org_code;indicator_code;period;value;unit;sexe;milieu\n"
        "ASS-CAS-001;R01;2023;600;personnes;Total femmes;\n"
        "ASS-CAS-001;R01;2023;500;personnes;Hommes;Total rural\n"
        ";Total R01;;1100;;;\n"
        "Total général;;;1100;;;\n"
    ))
    assert found(result) == [(4, "indicator_code", "total_row"), (5, "org_code", "total_row")]
    assert result.rows.select("line", "sex", "area").rows() == [(2, "F", None), (3, "M", "rural")]
    observed = _from_bytes(framework, (
        "org_code;indicator_code;period;value\n"
        "ASS-CAS-001;Total bénéficiaires directs (R01);2024;1250\n"
        "ASS-CAS-001;R01;Ensemble 2024;1250\n"
    ))
    assert found(observed) == [(2, "indicator_code", "unknown_indicator"), (3, "period", "total_row")]


def test_an_unquoted_decimal_comma_in_a_comma_separated_file_is_refused(framework) -> None:
    from ingest.pipeline import validate_bytes

    data = b"org_code,indicator_code,period,value,notes\nASS-CAS-001,R01,2024,1250\nASS-CAS-001,E03,2024,87,5\n"
    result = validate_bytes(data, "v.csv", framework=framework, known_orgs=ORGS, today=TODAY)[1]
    assert found(result) == [(3, "value", "decimal_comma_split")]
    assert result.issues["value"][0] == "87,5"
    semicolons = _from_bytes(framework, "org_code;indicator_code;period;value;notes\nASS-CAS-001;E03;2024;87;5\n")
    assert found(semicolons) == []


def test_headers_with_a_required_mark_a_colon_or_in_the_plural(framework) -> None:
    for header in ("Association*;Indicateur *;Période*;Valeur*", "Association :;Indicateur :;Période :;Valeur :",
                   "Associations;Indicateurs;Périodes;Valeurs", "Organisation code;Indicator;Period;Actual"):
        result = _from_bytes(framework, f"{header}\nASS-CAS-001;R01;2024;1250\n")
        assert found(result) == [] and result.rows["value"].to_list() == [1250.0], header


def test_a_member_cell_of_spaces_is_the_members_organisation(framework) -> None:
    from ingest.pipeline import validate_bytes

    data = "org_code;indicator_code;period;value\n ;R01;2024;1250\n\u00a0;R01;2023;1100\n;R01;2022;1000\n"
    result = validate_bytes(data.encode(), "m.csv", framework=framework, known_orgs=ORGS, member_org="ASS-CAS-001",
                            today=TODAY)[1]
    assert found(result) == [] and set(result.rows["org_code"]) == {"ASS-CAS-001"}


@pytest.mark.parametrize(("header", "cell"), [("Trimestre", "2024-04"), ("Année", "2024-03"), ("Année", "T1 2024"),
                                              ("Semestre", "2024-03"), ("Mois", "2024-Q2")])
def test_a_period_of_another_kind_than_its_header_announces_is_refused(framework, header: str, cell: str) -> None:
    result = _from_bytes(framework, f"org_code;indicator_code;{header};value\nASS-CAS-001;S02;{cell};1000\n")
    assert found(result) == [(2, header, "period_kind_mismatch")]


@pytest.mark.parametrize(("header", "cell"), [("Trimestre", "T2 2024"), ("Année", "2024"), ("Période", "2024-04"),
                                              ("Mois (aaaa-mm)", "2024-04")])
def test_a_period_of_the_kind_its_header_announces_is_read(framework, header: str, cell: str) -> None:
    assert found(_from_bytes(framework, f"org_code;indicator_code;{header};value\nASS-CAS-001;S02;{cell};1000\n")) == []


@pytest.mark.parametrize(("headers", "cells", "period"), [
    (["Année", "Trimestre"], ["2024", "03"], "2024-Q3"), (["Année", "Mois"], ["2024", "3"], "2024-03"),
    (["Année", "Mois"], ["2024", "2024-03"], "2024-03"), (["Année", "Semestre"], ["2024", "02"], "2024-S2"),
])
def test_a_split_period_with_padded_numbers_or_a_month_date(framework, headers: list[str], cells: list[str],
                                                             period: str) -> None:
    result = run(framework, [["ASS-CAS-001", "R01", *cells, "12"]], ["org_code", "indicator_code", *headers, "value"])
    assert found(result) == [] and result.rows["period"].to_list() == [period]


def test_a_remark_line_is_skipped_with_a_warning_and_a_wide_row_reports_an_empty_key_once(framework) -> None:
    result = _from_bytes(framework, "org_code;indicator_code;period;value;unit;notes\n"
                                    "ASS-CAS-001;R01;2024;1250;personnes;\n;;;;;NB : chiffres provisoires\n")
    assert found(result) == [(3, "notes", "note_row")] and result.rows.height == 1
    wide = _from_bytes(framework, "org_code;period;R01;R03;E03\n;2024;10;20;30\n")
    assert found(wide) == [(2, "org_code", "empty_required")]


@pytest.mark.parametrize("second", [";;personnes;%;DH", ";;Bénéficiaires directs uniques;Taux de promotion;Budget"])
def test_a_wide_header_on_two_lines_codes_then_units_or_names(framework, second: str) -> None:
    result = _from_bytes(framework, f"Association;Période;R01;E03;S02\n{second}\nASS-CAS-001;2024;1250;87,5;1 750 000\n")
    assert found(result) == []
    assert result.rows.select("line", "indicator_code", "value").rows() == [
        (3, "R01", 1250.0), (3, "E03", 87.5), (3, "S02", 1750000.0)]
    wrong_unit = _from_bytes(framework, "Association;Période;R01;E03\n;;heures;%\nASS-CAS-001;2024;1250;87,5\n")
    assert found(wrong_unit) == [(3, "R01", "unit_mismatch")]


def test_excel_errors_in_code_and_breakdown_cells_are_named_as_such(framework) -> None:
    result = _from_bytes(framework, "org_code;indicator_code;period;value;sexe\nASS-CAS-001;#N/A;2024;12;F\n"
                                    "ASS-CAS-001;R01;2024;12;#N/A\n#REF!;R01;2023;12;\n")
    assert found(result) == [(2, "indicator_code", "excel_error"), (3, "sexe", "excel_error"),
                             (4, "org_code", "excel_error")]


def test_excels_subtotal_lines_written_either_way_are_total_lines(framework) -> None:
    result = _from_bytes(framework, "org_code;indicator_code;period;value\nASS-CAS-001;R01;2024;10\n"
                                    ";R01 Total;;10\nASS-CAS-001;E03;2024;80\n;Total E03;;80\nGrand Total;;;90\n")
    assert found(result) == [(3, "indicator_code", "total_row"), (5, "indicator_code", "total_row"),
                             (6, "org_code", "total_row")]
    assert result.rows["line"].to_list() == [2, 4]


def test_a_duration_as_excel_writes_it_in_a_csv_is_hours_for_an_hours_indicator_only(framework) -> None:
    result = _from_bytes(framework, "org_code;indicator_code;period;value\nASS-CAS-001;P05;2024;3420:45\n"
                                    "ASS-CAS-001;P05;2023;12:30:36\n")
    assert found(result) == [] and result.rows["value"].to_list() == [3420.75, 12.51]
    persons = _from_bytes(framework, "org_code;indicator_code;period;value\nASS-CAS-001;R01;2024;12:00\n")
    assert (2, "value", "unit_mismatch") in found(persons)


def test_a_row_number_column_is_read_for_people_only(framework) -> None:
    wide = _from_bytes(framework, "N°;org_code;period;R01;E03\n1;ASS-CAS-001;2024;10;80\n2;ASS-CAS-001;2023;11;81\n")
    assert found(wide) == [] and wide.rows.height == 4
    long = _from_bytes(framework, "Nº;org_code;indicator_code;period;value\n1;ASS-CAS-001;R01;2024;10\n")
    assert found(long) == [] and long.rows["value"].to_list() == [10.0]


def test_a_first_of_january_date_is_read_as_january_with_a_warning(framework) -> None:
    result = _from_bytes(framework, "org_code;indicator_code;period;value\nASS-CAS-001;S02;01/01/2024;1750000\n"
                                    "ASS-CAS-001;S02;01/03/2024;5000\nASS-CAS-001;S02;2023-01;6000\n")
    assert found(result) == [(2, "period", "january_or_year")]
    assert result.rows["period"].to_list() == ["2024-01", "2024-03", "2023-01"]


@pytest.mark.parametrize("text", ["R01 Nombre de bénéficiaires", "P04 Nombre de bénévoles", "R01 عدد المستفيدين",
                                  "R03 Bénéficiaires handicapés", "R03 PSH", "J02 Taux d'insertion",
                                  "R01 - Total des bénéficiaires", "R04 rural", "J06 PSH en emploi"])
def test_the_words_people_put_after_a_code_keep_naming_it(framework, text: str) -> None:
    from ingest.rules.indicators import indicator_named_by as _indicator_named_by

    assert _indicator_named_by(text, framework) == text.split()[0]


def test_a_year_or_a_plan_word_in_a_header_precision_is_no_scale_nor_plan() -> None:
    from ingest.columns import header_precision, is_planned, is_scaled

    assert not any(is_scaled(header_precision(h)) or is_planned(header_precision(h))
                   for h in ("Valeur (2000)", "Valeur (2024)", "Montant (MAD)", "Valeur (plan d'action 2024)"))
    assert all(is_scaled(header_precision(h)) for h in ("Montant (en 000 DH)", "Montant (x1000 MAD)", "Montant (KDH)"))


def test_what_the_false_positive_review_found_is_read(framework) -> None:
    """Valid files the second review's rules first refused (third review)."""
    def ok(text: str, **rows):
        result = _from_bytes(framework, text)
        assert not result.has_errors, (text, found(result))
        return result

    year = ok("org_code;indicator_code;Année;value\nASS-CAS-001;S02;01/01/2024;1000\n")
    assert year.rows["period"].to_list() == ["2024"] and found(year) == []
    assert found(ok("org_code;indicator_code;Mois;value\nASS-CAS-001;S02;01/01/2024;1000\n")) == []
    assert ok("org_code;indicator_code;Trimestre;value\nASS-CAS-001;S02;2024;1000\n").rows["period"][0] == "2024"
    assert found(ok("org_code;indicator_code;period;value;unit\nASS-CAS-001;E03;2024;80;?\n"
                    "ASS-CAS-001;R01;2024;10;Nombre\n")) == []
    assert found(ok("org_code;indicator_code;Année;Mois;value\nASS-CAS-001;S02;2024;03/2024;1000\n"
                    "ASS-CAS-001;S02;2024;févr.-24;900\n")) == []
    result = ok("org_code;indicator_code;period;Valeur;Résultats;Zones\nASS-CAS-001;R01;2024;10;bon;Casablanca, Médiouna\n")
    assert [c for c in found(result) if c[2] != "unknown_column"] == []
    for header in ("القيمة (الفعلية)", "Valeur (objectif atteint)", "Montant (MD = montant décaissé)", "Valeur (ex : 1000)"):
        ok(f"org_code;indicator_code;period;{header}\nASS-CAS-001;R01;2024;10\n")
    from ingest.pipeline import validate_bytes

    data = b"org_code,indicator_code,period,value,source,notes\nASS-CAS-001,R01,2024,1250,2024,registre\n"
    assert not validate_bytes(data, "c.csv", framework=framework, known_orgs=ORGS, today=TODAY)[1].has_errors


@pytest.mark.parametrize("text", ["R02 (% femmes)", "R04 (% rural)", "R02 % women", "R02 (Part de femmes et filles)",
                                  "R03 Personnes handicapées", "R06 Enfants bénéficiaires", "R01 (hommes et femmes)",
                                  "E01 (filles et garçons)"])
def test_labels_naming_the_indicators_own_subject_or_everyone_keep_naming_it(framework, text: str) -> None:
    from ingest.rules.indicators import indicator_named_by as _indicator_named_by

    assert _indicator_named_by(text, framework) == text.split()[0]


def test_a_bracketed_code_before_its_label_names_the_indicator(framework) -> None:
    from ingest.rules.indicators import indicator_named_by as _indicator_named_by

    assert _indicator_named_by("[R01] Bénéficiaires directs uniques", framework) == "R01"
    assert _indicator_named_by("(J01) Personnes formées", framework) == "J01"
    assert _indicator_named_by("[R01] Femmes", framework) is None
