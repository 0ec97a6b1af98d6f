"""Numbers and periods as members write them."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from framework.periods import period_status
from ingest.normalise import parse_numbers, parse_periods


def numbers(*texts: str | None) -> list[tuple[float | None, str | None]]:
    out = parse_numbers(pl.Series(list(texts), dtype=pl.String))
    return list(zip(out["number"].to_list(), out["problem"].to_list(), strict=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1250", 1250.0),
        ("87.5", 87.5),
        ("-3", -3.0),
        ("+4", 4.0),
        ("0", 0.0),
        ("1\u00a0234\u00a0567,89", 1234567.89),
        ("1\u202f234\u202f567,89", 1234567.89),
        ("1 234", 1234.0),
        ("3\u2009420,75", 3420.75),
        ("1.234.567,89", 1234567.89),
        ("1,234,567.89", 1234567.89),
        ("١٢٥٠", 1250.0),
        ("٨٧٫٥", 87.5),
        ("١٬٢٣٤٬٥٦٧٫٨٩", 1234567.89),
        ("۸۷.۵", 87.5),
        ("۱۵۰۰۰", 15000.0),
        ("\u200f١٢٥٠\u200f", 1250.0),
        ("87,5 %", 87.5),
        ("0,125", 0.125),
    ],
)
def test_number_notations_excel_produces(text: str, expected: float) -> None:
    (value, problem), _ = numbers(text, "1,5")  # "1,5" gives the file its decimal comma evidence
    assert problem is None
    assert value == pytest.approx(expected)


def test_decimal_comma_in_french_excel_file() -> None:
    assert numbers("87,5", "3420,75", "1250") == [(87.5, None), (3420.75, None), (1250.0, None)]


def test_lone_separator_with_three_digits_follows_the_files_evidence() -> None:
    assert numbers("1,234", "87,5")[0] == (1.234, None)  # French file: comma is the decimal separator
    assert numbers("1.250", "87,5")[0] == (1250.0, None)  # ... so a point groups thousands
    assert numbers("1,250", "87.5")[0] == (1250.0, None)  # English file: comma groups thousands
    assert numbers("1.234", "87.5")[0] == (1.234, None)


@pytest.mark.parametrize(
    "texts",
    [("87.5", "12.500"), ("3.5", "450.000"), ("87,5", "12,500"), ("87,5", "1,250"), ("1.250", "87.5"),
     ("87.5", "-12.500"), ("87.5", "12.500 %"), ("87,5", "1،250"), ("٨٧.٥", "١٢.٥٠٠")],
)
def test_the_files_decimal_separator_before_three_digits_ending_in_0_is_ambiguous(texts: tuple[str, str]) -> None:
    """``12.500`` DH next to ``87.5`` %: thousands grouped with a point (12 500), not 12.5 — a decimal
    is not written with a trailing 0. Refused on both paths (ASCII digits and points only, or not)."""
    suspicious = texts[1] if texts[0][-1] != "0" else texts[0]
    parsed = dict(zip(texts, numbers(*texts), strict=True))
    assert parsed[suspicious] == (None, "ambiguous_number")
    assert dict(zip(texts, numbers(*texts, "1 250"), strict=False))[suspicious] == (None, "ambiguous_number")


def test_three_decimals_ending_in_0_follow_a_file_that_pads_its_decimals_to_three_places() -> None:
    assert numbers("0.500", "12.500", "87.5") == [(0.5, None), (12.5, None), (87.5, None)]
    assert numbers("1250.750", "450.000")[1] == (450.0, None)
    assert numbers("0,500", "12,500") == [(0.5, None), (12.5, None)]
    # Two places (0.50) is not three: 12.500 is still what 12 500 looks like.
    assert numbers("0.50", "12.500")[1] == (None, "ambiguous_number")


def test_grouping_of_the_other_separator_is_unchanged() -> None:
    """Only the file's decimal separator is in doubt: 12.500 in a decimal-comma file groups thousands."""
    assert numbers("87,5", "12.500") == [(87.5, None), (12500.0, None)]
    assert numbers("87.5", "12,500") == [(87.5, None), (12500.0, None)]
    assert numbers("87.5", "1.250.000", "12.345") == [(87.5, None), (1250000.0, None), (12.345, None)]


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (("87،5",), [87.5]),
        (("1 250 000،00",), [1250000.0]),
        (("١ ٢٥٠ ٠٠٠،٠٠",), [1250000.0]),
        (("٨٧،٥ ٪",), [87.5]),
        (("1،250،000",), [1250000.0]),
        (("1.250.000،5",), [1250000.5]),
        (("1،250", "87.5"), [1250.0, 87.5]),  # an English file: the comma groups thousands
        (("0،125", "12"), [0.125, 12.0]),
    ],
)
def test_the_arabic_comma_reads_as_a_comma(texts: tuple[str, ...], expected: list[float]) -> None:
    """U+060C is what the comma key of an Arabic keyboard types."""
    assert numbers(*texts) == [(value, None) for value in expected]


@pytest.mark.parametrize("texts", [("1،250",), ("1،250", "12"), ("1،250", "87،5", "87.5")])
def test_the_arabic_comma_is_as_ambiguous_as_a_comma(texts: tuple[str, ...]) -> None:
    assert numbers(*texts)[0] == (None, "ambiguous_number")


@pytest.mark.parametrize("text", ["1,250", "1.250"])
def test_ambiguous_number_without_evidence_is_rejected_not_guessed(text: str) -> None:
    assert numbers(text, "12") [0] == (None, "ambiguous_number")


@pytest.mark.parametrize("text", ["N/A", "=1+1", "12a", "inf", "nan", "1 23", "1,23,4", "--3", "12..5", "%", "#12",
                                  "# N/A", "e5", "1e", "E+05"])
def test_not_a_number(text: str) -> None:
    assert numbers(text)[0] == (None, "not_a_number")


@pytest.mark.parametrize("text", ["#N/A", "#n/a", "#NA", "#DIV/0!", "#VALUE!", "#VALEUR!", "#REF!", "#NAME?", "#NOM?",
                                  "#NUM!", "#NOMBRE!", "#NULL!", "#NUL!", "#SPILL!", "#CALC!", "###", "##########",
                                  "Err:502", " #DIV/0! "])
def test_what_excel_shows_instead_of_a_value_has_its_own_code(text: str) -> None:
    assert numbers(text)[0] == (None, "excel_error")


@pytest.mark.parametrize("text", ["1e5", "1,23457E+11", "1.5E-03", "-2E+06", "١٫٢E+٠٣", "3E5"])
def test_scientific_notation_is_refused_with_its_own_code(text: str) -> None:
    """Excel writes a number in scientific notation when it does not fit: the text is rounded."""
    assert numbers(text)[0] == (None, "scientific_notation")


@pytest.mark.parametrize("text", ["12٣", "۱2", "١۲"])
def test_a_number_mixing_digit_scripts_is_rejected(text: str) -> None:
    assert numbers(text)[0] == (None, "mixed_digits")


def test_percent_sign_is_reported_as_a_flag() -> None:
    out = parse_numbers(pl.Series(["87,5 %", "87.5%", "٨٧٫٥٪", "12"]))
    assert out["percent"].to_list() == [True, True, True, False]
    assert out["number"].to_list() == [87.5, 87.5, 87.5, 12.0]


def test_empty_cells_give_no_number_and_no_problem() -> None:
    assert numbers(None, "", "  ", "5") == [(None, None), (None, None), (None, None), (5.0, None)]


def period(text: str) -> dict:
    return parse_periods(pl.Series([text])).row(0, named=True)


@pytest.mark.parametrize(
    ("text", "label", "granularity", "start", "end"),
    [
        ("2024", "2024", "year", date(2024, 1, 1), date(2024, 12, 31)),
        ("2024-Q1", "2024-Q1", "quarter", date(2024, 1, 1), date(2024, 3, 31)),
        ("Q2 2024", "2024-Q2", "quarter", date(2024, 4, 1), date(2024, 6, 30)),
        ("T3 2024", "2024-Q3", "quarter", date(2024, 7, 1), date(2024, 9, 30)),
        ("2024-T4", "2024-Q4", "quarter", date(2024, 10, 1), date(2024, 12, 31)),
        ("t4 2024", "2024-Q4", "quarter", date(2024, 10, 1), date(2024, 12, 31)),
        ("2024-S1", "2024-S1", "semester", date(2024, 1, 1), date(2024, 6, 30)),
        ("S2 2024", "2024-S2", "semester", date(2024, 7, 1), date(2024, 12, 31)),
        ("2024-03", "2024-03", "month", date(2024, 3, 1), date(2024, 3, 31)),
        ("03/2024", "2024-03", "month", date(2024, 3, 1), date(2024, 3, 31)),
        ("2/2024", "2024-02", "month", date(2024, 2, 1), date(2024, 2, 29)),
        ("٢٠٢٤-Q١", "2024-Q1", "quarter", date(2024, 1, 1), date(2024, 3, 31)),
        ("۲۰۲۴", "2024", "year", date(2024, 1, 1), date(2024, 12, 31)),
        ("T1 ٢٠٢٤", "2024-Q1", "quarter", date(2024, 1, 1), date(2024, 3, 31)),
        ("T 1 2024", "2024-Q1", "quarter", date(2024, 1, 1), date(2024, 3, 31)),
        ("Q 3 - 2024", "2024-Q3", "quarter", date(2024, 7, 1), date(2024, 9, 30)),
        ("1S 2024", "2024-S1", "semester", date(2024, 1, 1), date(2024, 6, 30)),
        ("2s-2024", "2024-S2", "semester", date(2024, 7, 1), date(2024, 12, 31)),
        ("2T 2024", "2024-Q2", "quarter", date(2024, 4, 1), date(2024, 6, 30)),
        ("S1-24", "2024-S1", "semester", date(2024, 1, 1), date(2024, 6, 30)),
        ("Q1 24", "2024-Q1", "quarter", date(2024, 1, 1), date(2024, 3, 31)),
        ("T4/23", "2023-Q4", "quarter", date(2023, 10, 1), date(2023, 12, 31)),
        ("H2 25", "2025-S2", "semester", date(2025, 7, 1), date(2025, 12, 31)),
        ("2 024", "2024", "year", date(2024, 1, 1), date(2024, 12, 31)),
        ("2\u00a0024", "2024", "year", date(2024, 1, 1), date(2024, 12, 31)),
        ("2\u202f024", "2024", "year", date(2024, 1, 1), date(2024, 12, 31)),
        ("٢ ٠٢٤", "2024", "year", date(2024, 1, 1), date(2024, 12, 31)),
        ("۱S ۲۰۲۴", "2024-S1", "semester", date(2024, 1, 1), date(2024, 6, 30)),
        ("Q١ ٢٤", "2024-Q1", "quarter", date(2024, 1, 1), date(2024, 3, 31)),
    ],
)
def test_period_notations(text: str, label: str, granularity: str, start: date, end: date) -> None:
    assert period(text) == {
        "text": text, "period": label, "granularity": granularity, "period_start": start, "period_end": end,
    }


@pytest.mark.parametrize(
    ("text", "label"),
    [("mars-24", "2024-03"), ("Mars 2024", "2024-03"), ("févr.-24", "2024-02"), ("Sept 2023", "2023-09"),
     ("déc. 2025", "2025-12"), ("March 2024", "2024-03"), ("مارس 2024", "2024-03"), ("أغسطس ٢٠٢٤", "2024-08"),
     ("غشت 2024", "2024-08"), ("01/03/2024", "2024-03"), ("1/11/2024", "2024-11"), ("2024-03-01", "2024-03")],
)
def test_months_as_excel_displays_them(text: str, label: str) -> None:
    """French, English and Moroccan Arabic month names, and the first-of-month dates Excel makes of ``03/2024``."""
    assert period(text)["period"] == label


@pytest.mark.parametrize(
    ("text", "label"),
    [("1er trimestre 2024", "2024-Q1"), ("2ème trimestre 2024", "2024-Q2"), ("Troisième trimestre 2024", "2024-Q3"),
     ("4e trim. 2024", "2024-Q4"), ("trimestre 2 - 2024", "2024-Q2"), ("premier semestre 2024", "2024-S1"),
     ("2nd semestre de l’année 2024", "2024-S2"), ("1er trimestre de 2024", "2024-Q1"), ("first quarter 2024", "2024-Q1"),
     ("third quarter of 2024", "2024-Q3"), ("second half 2024", "2024-S2"), ("الربع الأول 2024", "2024-Q1"),
     ("الربع الثاني من سنة 2024", "2024-Q2"), ("الفصل الثالث ٢٠٢٤", "2024-Q3"), ("الأسدس الأول 2024", "2024-S1"),
     ("الأسدس الثاني من سنة 2024", "2024-S2"), ("النصف الأول 2024", "2024-S1"), ("Exercice 2024", "2024"),
     ("Année 2024", "2024"), ("سنة 2024", "2024"), ("Year 2024", "2024"),
     # the year first, as in a right-to-left cell or a sheet sorted by year
     ("2024 1er trimestre", "2024-Q1"), ("2024 - 2ème semestre", "2024-S2"), ("2024 trimestre 3", "2024-Q3"),
     ("2024 الربع الأول", "2024-Q1"), ("2024 الأسدس الثاني", "2024-S2"), ("٢٠٢٤ الفصل الثالث", "2024-Q3"),
     ("۲۰۲۴ الربع الرابع", "2024-Q4"), ("2021 سنة", "2021"), ("٢٠٢١ سنة", "2021"), ("2024 Exercice", "2024")],
)
def test_periods_written_in_words(text: str, label: str) -> None:
    """What people type in a hand-made sheet, in French, English or Arabic."""
    assert period(text)["period"] == label


@pytest.mark.parametrize("text", ["15/03/2024", "2024-03-15", "5e trimestre 2024", "3e semestre 2024", "الربع الخامس 2024",
                                  "trimestre 2024", "1er mois 2024", "premier 2024", "Mardi 2024", "mars", "2024-Q5", "2024-S3", "2024-13", "13/2024", "24", "Q1", "2024-Q1-X", "abc", "1850",
                                  # school and fiscal years, weeks: not a reporting period
                                  "2024/2025", "2023-2024", "Année scolaire 2023-2024", "2024-W12", "S12 2024",
                                  # a two-digit year only after a quarter or semester, with a separator
                                  "03/24", "24-03", "Q124", "24 Q1", "2024 24", "Q5 24", "S3-24", "3S 2024",
                                  "5T 2024", "T1 2 4", "٢٤",
                                  # a grouping space in a year only: not in any number
                                  "12 024", "1 250", "20 24", "2 0244", "2024 الربع الخامس", "2024 سنة 2025"])
def test_invalid_periods(text: str) -> None:
    assert period(text)["period"] is None


def test_period_status_future_and_in_progress() -> None:
    frame = parse_periods(pl.Series(["2027", "2026-Q4", "2026-Q3"]))
    status = frame.select(
        "text", status=period_status(pl.col("period_start"), pl.col("period_end"), date(2026, 11, 29))
    )
    assert dict(status.iter_rows()) == {"2027": "future", "2026-Q4": "in_progress", "2026-Q3": None}


def test_a_fraction_without_its_zero_reads_the_same_on_both_paths() -> None:
    assert numbers(".5")[0] == (0.5, None)  # the plain path (a cast)
    assert numbers(".5", "1 250") == [(0.5, None), (1250.0, None)]  # the general path
    assert numbers(",5", "-,25")[:2] == [(0.5, None), (-0.25, None)]
