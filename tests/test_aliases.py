"""Units and breakdown values as members write them (data/framework/units.toml, breakdowns.toml),
and the readings of numbers and periods end to end through the validator."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from framework.vocabulary import fold
from ingest.issues import empty_issues
from ingest.validate import ValidationContext, validate_table

ORGS = frozenset({"ASS-CAS-001"})
TODAY = date(2026, 11, 29)
HEADER = ["org_code", "indicator_code", "period", "value", "unit", "sex", "disability", "area", "region"]


def run(framework, rows: list[list[str | None]], headers: list[str] = HEADER):
    frame = pl.DataFrame(
        {**{f"c{i}": [r[i] if i < len(r) else None for r in rows] for i in range(len(headers))},
         "__line": list(range(2, len(rows) + 2))},
        schema={**{f"c{i}": pl.String for i in range(len(headers))}, "__line": pl.Int64},
    )
    ctx = ValidationContext(framework=framework, known_orgs=ORGS, member_org=None, today=TODAY)
    return validate_table(frame, headers, empty_issues(), ctx)


def codes(result) -> list[tuple[int | None, str]]:
    return [(r["line"], r["code"]) for r in result.issues.iter_rows(named=True)]


@pytest.mark.parametrize(
    ("alias", "unit"),
    [("bénéficiaire", "persons"), ("Beneficiaire", "persons"), ("bénéficiaires", "persons"), ("مستفيدين", "persons"),
     ("participants", "persons"), ("Participant", "persons"), ("Dh.", "MAD"), ("DH.", "MAD"), ("dhs.", "MAD"),
     ("taux (%)", "percent"), ("Taux (%)", "percent"), ("en %", "percent"), ("في المئة", "percent"),
     ("في المائة", "percent"), ("familles", "households"), ("Famille", "households"),
     # unchanged: "nombre" is the count unit, never persons
     ("Nombre", "count"), ("nb", "count"), ("عدد", "count")],
)
def test_unit_aliases(framework, alias: str, unit: str) -> None:
    assert framework.unit_alias_table()[fold(alias)] == unit


@pytest.mark.parametrize(
    ("column", "alias", "code"),
    [("area", "القروي", "rural"), ("area", "قروي", "rural"), ("area", "الحضري", "urban"), ("area", "حضري", "urban"),
     ("disability", "avec", "yes"), ("disability", "Avec", "yes"), ("disability", "sans", "no"),
     ("disability", "Sans", "no"), ("disability", "avec handicap", "yes"),
     ("region", "MA06", "MA-06"), ("region", "MA 06", "MA-06"), ("region", "MA-06", "MA-06"), ("region", "MA6", "MA-06"),
     ("region", "ma10", "MA-10"), ("region", "MA 12", "MA-12"), ("region", "MA01", "MA-01"),
     ("region", "Région Casablanca-Settat", "MA-06"), ("region", "Région de Casablanca-Settat", "MA-06"),
     ("region", "Region Casa-Settat", "MA-06"), ("region", "جهة الدار البيضاء - سطات", "MA-06"),
     ("region", "Région de l’Oriental", "MA-02"), ("region", "Région Oriental", "MA-02"), ("region", "جهة الشرقية", "MA-02"), ("region", "الجهة الشرقية", "MA-02"),
     ("region", "Région de Fès-Meknès", "MA-03"), ("region", "Région Draa Tafilalet", "MA-08"),
     ("region", "Région de Laâyoune-Sakia El Hamra", "MA-11"), ("region", "Région Dakhla-Oued Eddahab", "MA-12"),
     ("region", "جهة سوس ماسة", "MA-09"), ("region", "Région de Guelmim-Oued Noun", "MA-10")],
)
def test_breakdown_aliases(framework, column: str, alias: str, code: str) -> None:
    assert framework.breakdown_alias_table(column)[fold(alias)] == code


def test_every_region_is_named_with_its_prefix_and_its_code_without_hyphen(framework) -> None:
    table = framework.breakdown_alias_table("region")
    for code in framework.breakdowns["region"].values:
        assert table[fold(code.replace("-", ""))] == code
        assert sum(1 for alias, c in table.items() if c == code and alias.startswith("region ")) >= 2, code
        assert any(c == code and alias.startswith("جهة ") for alias, c in table.items()), code


def test_no_alias_names_two_codes(framework) -> None:
    """Within a breakdown column, and across units (the framework refuses the latter at load)."""
    for name, breakdown in framework.breakdowns.items():
        owners: dict[str, set[str]] = {}
        for code, aliases in breakdown.aliases.items():
            for alias in (*aliases, code):
                owners.setdefault(fold(alias), set()).add(code)
        for value in breakdown.values:
            owners.setdefault(fold(value), set()).add(value)
        assert {a: c for a, c in owners.items() if len(c) > 1} == {}, name


def test_units_and_breakdowns_as_typed_load_through_the_validator(framework) -> None:
    rows = [
        ["ASS-CAS-001", "R01", "2023-01", "1", "bénéficiaire"],
        ["ASS-CAS-001", "R01", "2023-02", "1", "participants"],
        ["ASS-CAS-001", "R01", "2023-03", "1", "مستفيدين"],
        ["ASS-CAS-001", "R07", "2023-01", "1", "familles"],
        ["ASS-CAS-001", "S02", "2023-01", "1", "Dh."],
        ["ASS-CAS-001", "E03", "2023-01", "87", "taux (%)"],
        ["ASS-CAS-001", "E03", "2023-02", "87", "en %"],
        ["ASS-CAS-001", "E03", "2023-03", "87", "في المئة"],
        ["ASS-CAS-001", "R01", "2023-04", "1", "", "", "Avec"],
        ["ASS-CAS-001", "R01", "2023-04", "1", "", "", "Sans"],
        ["ASS-CAS-001", "R01", "2023-05", "1", "", "", "", "القروي"],
        ["ASS-CAS-001", "R01", "2023-05", "1", "", "", "", "الحضري"],
        ["ASS-CAS-001", "R01", "2023-06", "1", "", "", "", "", "MA06"],
        ["ASS-CAS-001", "R01", "2023-06", "1", "", "", "", "", "Région Souss-Massa"],
        ["ASS-CAS-001", "R01", "2023-06", "1", "", "", "", "", "جهة مراكش آسفي"],
    ]
    result = run(framework, rows)
    assert codes(result) == []
    assert result.rows.select("disability", "area", "region").rows()[-7:] == [
        ("yes", None, None), ("no", None, None), (None, "rural", None), (None, "urban", None),
        (None, None, "MA-06"), (None, None, "MA-09"), (None, None, "MA-07"),
    ]


def test_nombre_fits_a_count_of_people_but_not_a_percentage_or_an_amount(framework) -> None:
    """French sheets write "Nombre" as the unit of any count; it is %, MAD or hours it must not pass for."""
    assert codes(run(framework, [["ASS-CAS-001", "R01", "2023-01", "1", "Nombre"]])) == []
    result = run(framework, [["ASS-CAS-001", "E03", "2023-01", "80", "Nombre"],
                             ["ASS-CAS-001", "S02", "2023-01", "8000", "nb"]])
    assert codes(result) == [(2, "unit_mismatch"), (3, "unit_mismatch")]


def test_periods_as_typed_load_through_the_validator(framework) -> None:
    texts = ["1S 2023", "S2-23", "Q1 24", "T 2 2024", "2024 3ème trimestre", "2024 الربع الرابع", "2021 سنة", "2 022",
             "٢\u00a0٠٢٠"]
    rows = [["ASS-CAS-001", "R01", text, "1"] for text in texts]
    result = run(framework, rows, HEADER[:4])
    assert codes(result) == []
    assert result.rows["period"].to_list() == ["2023-S1", "2023-S2", "2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4",
                                               "2021", "2022", "2020"]


@pytest.mark.parametrize("text", ["2024/2025", "2023-2024", "2024-W12", "24"])
def test_school_years_weeks_and_bare_two_digit_numbers_stay_invalid(framework, text: str) -> None:
    result = run(framework, [["ASS-CAS-001", "R01", text, "1"]], HEADER[:4])
    assert codes(result) == [(2, "invalid_period")]


@pytest.mark.parametrize(("percent", "amount"), [("87.5", "12.500"), ("87,5", "12,500"), ("3.5", "450.000")])
def test_thousands_grouped_with_the_files_decimal_separator_are_refused_not_misread(
    framework, percent: str, amount: str
) -> None:
    """``12.500`` DH next to ``87.5`` % was stored as 12.5 MAD."""
    result = run(framework, [["ASS-CAS-001", "E03", "2024", percent, "%"], ["ASS-CAS-001", "S02", "2024", amount, "DH"]],
                 HEADER[:5])
    assert codes(result) == [(3, "ambiguous_number")]
    assert result.has_errors  # nothing is stored


def test_arabic_comma_as_decimal_separator_through_the_validator(framework) -> None:
    result = run(framework, [["ASS-CAS-001", "E03", "2024", "87،5", "%"],
                             ["ASS-CAS-001", "S02", "2024", "1 250 000،00", "درهم"]], HEADER[:5])
    assert codes(result) == []
    assert result.rows["value"].to_list() == [87.5, 1250000.0]
