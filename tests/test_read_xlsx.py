"""Reading stage, Excel workbooks: sheet choice, hidden sheets, cell conversion, formulas, zip bombs."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from openpyxl import Workbook

from ingest.read import RawTable, read_table
from ingest.xlsx import (
    DATA_SHEET_NAMES,
    cell_text,
    date_parts,
    date_text,
    format_info,
    number_text,
    percent_text,
    unescape_text,
)

HEADER = ["org_code", "indicator_code", "period", "value", "unit", "notes"]
ROW = ["ASS-CAS-001", "R01", "2024-Q1", 1250, "personnes", "ok"]


def workbook_bytes(sheets: dict[str, list[list]], states: dict[str, str] | None = None) -> bytes:
    """A workbook written by openpyxl (formulas get no cached value, as with any script)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        sheet.sheet_state = (states or {}).get(title, "visible")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read(data: bytes, name: str = "book.xlsx", **options) -> RawTable:
    return read_table(data, name, **options)


def codes(table: RawTable) -> list[str]:
    return table.issues["code"].to_list()


# -- cell conversion ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1250.0, "1250"),
        (87.5, "87.5"),
        (3420.75, "3420.75"),
        (1234567.89, "1234567.89"),
        (0.1 + 0.2, "0.3"),
        (574.99999999999989, "575"),  # =F10*F11, as the file caches it
        (3.0000000000000004, "3"),  # =0.1*3*10
        (1 / 3, "0.333333333333333"),
        (100000000000000.5, "100000000000001"),  # halves away from zero, as Excel
        (123456789012345678.0, "123456789012346000"),
        (1e16, "10000000000000000"),
        (1.5e-7, "0.00000015"),
        (-0.0, "0"),
        (42, "42"),
    ],
)
def test_numbers_become_excels_15_digits_as_shortest_text(value: float, text: str) -> None:
    assert number_text(value) == text


def test_percent_cells_show_the_value_as_excel_displays_it() -> None:
    assert percent_text(0.875) == "87.5%"
    assert percent_text(0.423) == "42.3%"  # not 42.300000000000004%
    assert percent_text(1) == "100%"
    assert cell_text(0.875, "0.0%") == "87.5%"
    assert cell_text(0.875, "General") == "0.875"
    assert cell_text(0.87499999999999986, "0%") == "87.5%"  # 15 digits first, as Excel shows it
    assert percent_text(0.30000000000000004) == "30%"


def test_dates_become_month_or_iso_day() -> None:
    assert date_text(datetime(2024, 3, 1)) == "2024-03"
    assert date_text(date(2024, 3, 1)) == "2024-03"
    assert date_text(datetime(2024, 3, 15)) == "2024-03-15"
    assert date_text(datetime(2024, 3, 1, 14, 30)) == "2024-03-01"


@pytest.mark.parametrize(
    ("number_format", "parts"),
    [
        ("yyyy", "y"),
        ("[$-fr-FR]yyyy", "y"),
        ('"Année "yyyy', "y"),
        ("\\A\\n\\n\\é\\e yyyy", "y"),
        ("[Red]yyyy;@", "y"),
        ("mmm-yy", "my"),
        ("mm/yyyy", "my"),
        ("[$-40C]mmmm yyyy", "my"),
        ("dd/mm/yyyy", "dmy"),
        ("yyyy-mm-dd hh:mm:ss", "dmy"),
        ("h:mm AM/PM", ""),
        ("[h]:mm", ""),
        ("[mm]:ss", ""),
        ("General", ""),
        (None, ""),
    ],
)
def test_date_formats_show_year_month_or_day(number_format: str | None, parts: str) -> None:
    assert date_parts(number_format) == frozenset(parts)


def test_dates_become_the_period_their_format_shows() -> None:
    for number_format in ("yyyy", "[$-fr-FR]yyyy", '"Année "yyyy'):
        assert cell_text(datetime(2024, 1, 1), number_format) == "2024", number_format
        assert cell_text(datetime(2024, 7, 14), number_format) == "2024", number_format
    for number_format in ("mmm-yy", "mm/yyyy", "mmmm yyyy"):
        assert cell_text(datetime(2024, 3, 1), number_format) == "2024-03", number_format
    assert cell_text(datetime(2024, 3, 1), "dd/mm/yyyy") == "2024-03"
    assert cell_text(datetime(2024, 3, 15), "dd/mm/yyyy") == "2024-03-15"
    assert cell_text(datetime(2024, 3, 1, 14, 30), "dd/mm/yyyy hh:mm") == "2024-03-01"


def test_durations_and_times_of_day_become_hours() -> None:
    assert cell_text(timedelta(days=142, hours=12, minutes=45), "[h]:mm") == "3420.75"
    assert cell_text(time(12, 30), "hh:mm") == "12.5"
    assert cell_text(time(8, 30)) == "8.5"
    assert cell_text(time(8, 20)) == "8.33333333333333"
    assert cell_text(timedelta(minutes=-90)) == "-1.5"
    assert cell_text(datetime(2024, 3, 15, 12, 30), "yyyy-mm-dd hh:mm") == "2024-03-15"  # a date with a time


def test_booleans_and_text_numbers() -> None:
    assert (cell_text(True), cell_text(False)) == ("1", "0")
    assert cell_text("1 250,5") == "1 250,5"
    assert cell_text(None) == ""


def test_workbook_cells_are_converted_on_read(tmp_path: Path) -> None:
    path = tmp_path / "types.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Feuil1")
    percent = book.add_format({"num_format": "0.0%"})
    month = book.add_format({"num_format": "mm/yyyy"})
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["A", "E03", "2024-Q1"])
    sheet.write_number(1, 3, 0.875, percent)
    sheet.write_row(1, 4, ["%", "taux"])
    sheet.write_row(2, 0, ["B", "R01"])
    sheet.write_datetime(2, 2, datetime(2024, 3, 1), month)
    sheet.write_number(2, 3, 1250.0)
    sheet.write_row(2, 4, ["personnes", True])
    sheet.write_row(3, 0, ["C", "R01", "2024", "0087,50", "personnes", 12])
    book.close()
    table = read(path.read_bytes())
    assert (table.file_format, table.encoding, table.delimiter, table.sheet) == ("xlsx", None, None, "Feuil1")
    assert table.frame.drop("__line").rows() == [
        ("A", "E03", "2024-Q1", "87.5%", "%", "taux"),
        ("B", "R01", "2024-03", "1250", "personnes", "1"),
        ("C", "R01", "2024", "0087,50", "personnes", "12"),
    ]
    assert table.issues.is_empty()


def test_date_and_time_cells_are_read_as_their_format_shows(tmp_path: Path) -> None:
    """What openpyxl makes of each format (date, time, timedelta), then the text given for it."""
    path = tmp_path / "dates.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Feuil1")
    cells = [
        ("yyyy", datetime(2024, 1, 1), "2024"),
        ("[$-fr-FR]yyyy", datetime(2024, 1, 1), "2024"),
        ('"Année "yyyy', datetime(2024, 6, 30), "2024"),
        ("mmm-yy", datetime(2024, 3, 1), "2024-03"),
        ("mm/yyyy", datetime(2024, 3, 1), "2024-03"),
        ("dd/mm/yyyy", datetime(2024, 3, 15), "2024-03-15"),
        ("yyyy-mm-dd hh:mm", datetime(2024, 3, 15, 12, 30), "2024-03-15"),
        ("[h]:mm", timedelta(hours=3420, minutes=45), "3420.75"),
        ("hh:mm", time(12, 30), "12.5"),
    ]
    sheet.write_row(0, 0, ["format", "value"])
    for row, (number_format, value, _) in enumerate(cells, start=1):
        sheet.write_string(row, 0, number_format)
        sheet.write_datetime(row, 1, value, book.add_format({"num_format": number_format}))
    book.close()
    table = read(path.read_bytes())
    assert table.frame.drop("__line").rows() == [(f, text) for f, _, text in cells]


def test_year_and_hours_cells_are_accepted_as_typed(tmp_path: Path, framework) -> None:
    """A year formatted ``yyyy`` is the year, a duration ``[h]:mm`` is hours of an hours indicator."""
    from ingest.pipeline import check_file

    path = tmp_path / "hours.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Data")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["ASS-CAS-001", "P05"])
    sheet.write_datetime(1, 2, datetime(2024, 1, 1), book.add_format({"num_format": "yyyy"}))
    sheet.write_datetime(1, 3, timedelta(hours=3420, minutes=45), book.add_format({"num_format": "[h]:mm"}))
    sheet.write_row(1, 4, ["heures", "ok"])
    book.close()
    result, validation = check_file(path.read_bytes(), "hours.xlsx", framework=framework)
    assert result.status == "valid", result.report("fr").rows()
    assert validation.rows.select("period", "value").rows() == [("2024", 3420.75)]


# -- formulas ----------------------------------------------------------------------------------
def test_formula_without_cached_value_is_reported_and_left_empty() -> None:
    data = workbook_bytes({"Données": [HEADER, ["A", "R01", "2024", "=2*3", "personnes", "ok"]]})
    table = read(data)
    issue = table.issues.row(0, named=True)
    assert (issue["code"], issue["line"], issue["column"], issue["value"]) == (
        "formula_without_value",
        2,
        "value",
        "=2*3",
    )
    assert table.frame["c3"].to_list() == [""]


def test_formula_with_cached_value_gives_that_value(tmp_path: Path) -> None:
    path = tmp_path / "cached.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Data")
    percent = book.add_format({"num_format": "0%"})
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["A", "R01", "2024"])
    sheet.write_formula(1, 3, "=1000+250", None, 1250)
    sheet.write_row(1, 4, ["personnes"])
    sheet.write_formula(1, 5, '="note "&"ok"', None, "note ok")
    sheet.write_row(2, 0, ["B", "E03", "2024"])
    sheet.write_formula(2, 3, "=7/8", percent, 0.875)
    sheet.write_row(2, 4, ["%", "x"])
    book.close()
    table = read(path.read_bytes())
    assert table.issues.is_empty()
    assert table.frame.drop("__line").rows() == [
        ("A", "R01", "2024", "1250", "personnes", "note ok"),
        ("B", "E03", "2024", "87.5%", "%", "x"),
    ]


def test_formula_float_noise_is_read_as_excel_shows_it(tmp_path: Path, framework) -> None:
    """Excel caches 17 digits (574.99999999999989) but shows 575: an integer indicator accepts it."""
    from ingest.pipeline import check_file

    path = tmp_path / "noise.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Data")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["ASS-CAS-001", "R01", "2024"])
    sheet.write_formula(1, 3, "=F10*F11", None, 574.99999999999989)
    sheet.write_row(1, 4, ["personnes", "ok"])
    sheet.write_row(2, 0, ["ASS-CAS-001", "E03", "2024"])
    sheet.write_formula(2, 3, "=7/8", book.add_format({"num_format": "0%"}), 0.87499999999999986)
    sheet.write_row(2, 4, ["%", "ok"])
    sheet.write_row(3, 0, ["ASS-CAS-001", "P05", "2024"])
    sheet.write_formula(3, 3, "=0.1*3*10", None, 3.0000000000000004)
    sheet.write_row(3, 4, ["heures", "ok"])
    book.close()
    assert read(path.read_bytes()).frame["c3"].to_list() == ["575", "87.5%", "3"]
    result, validation = check_file(path.read_bytes(), "noise.xlsx", framework=framework)
    assert result.status == "valid", result.report("fr").rows()
    assert validation.rows["value"].to_list() == [575, 87.5, 3]


# -- sheets ------------------------------------------------------------------------------------
def test_hidden_sheets_are_never_read_even_when_named_like_the_data_sheet() -> None:
    data = workbook_bytes(
        {"Données": [HEADER, ["SECRET", "R01", "2024", 1, "x", "brouillon"]], "Feuil1": [HEADER, ROW]},
        states={"Données": "hidden"},
    )
    table = read(data)
    assert table.sheet == "Feuil1"
    assert table.frame["c0"].to_list() == ["ASS-CAS-001"]


def test_very_hidden_sheet_alone_means_no_sheet() -> None:
    data = workbook_bytes({"Vide": [], "Cachée": [HEADER, ROW]}, states={"Cachée": "veryHidden"})
    table = read(data)
    assert codes(table) == ["xlsx_no_sheet"]
    assert table.frame.is_empty()


@pytest.mark.parametrize("name", DATA_SHEET_NAMES + ("données", " DATA "))
def test_a_visible_sheet_named_like_the_template_data_sheet_wins(name: str) -> None:
    data = workbook_bytes({"Notice": [HEADER, ["lisez-moi"]], name: [HEADER, ROW]})
    assert read(data).sheet == name


def test_several_candidate_sheets_are_an_error() -> None:
    data = workbook_bytes({"2023": [HEADER, ROW], "2024": [HEADER, ROW]})
    table = read(data)
    issue = table.issues.row(0, named=True)
    assert (issue["code"], issue["value"], issue["expected"]) == (
        "xlsx_several_sheets",
        "2023, 2024",
        "Données",
    )
    assert table.frame.is_empty()


def test_the_one_sheet_with_recognised_headers_wins_over_notes() -> None:
    data = workbook_bytes(
        {"Notice": [["Mode d'emploi"], ["Remplir la feuille suivante"]], "Saisie": [HEADER, ROW]}
    )
    assert read(data).sheet == "Saisie"


def test_header_is_the_first_non_empty_row_and_lines_are_excel_rows() -> None:
    rows = [[], [], HEADER, ROW, [], [None, None, None], ROW]
    table = read(workbook_bytes({"Feuil1": rows}))
    assert table.headers == HEADER
    assert table.frame["__line"].to_list() == [4, 7]


def test_trailing_empty_header_columns_are_dropped_but_data_columns_kept() -> None:
    table = read(workbook_bytes({"Feuil1": [[*HEADER, None, None, ""], [*ROW, None, "oops"], ROW]}))
    assert table.headers == [*HEADER, "", ""]
    assert table.frame["c7"].to_list() == ["oops", ""]


def test_workbook_with_a_csv_name_is_still_a_workbook() -> None:
    table = read(workbook_bytes({"Feuil1": [HEADER, ROW]}), "export.csv")
    assert table.file_format == "xlsx" and table.frame.height == 1


def test_header_only_sheet_has_no_data_rows() -> None:
    assert codes(read(workbook_bytes({"Feuil1": [HEADER]}))) == ["no_data_rows"]


def test_too_many_rows_in_a_sheet() -> None:
    table = read(workbook_bytes({"Feuil1": [HEADER] + [ROW] * 12}), max_rows=10)
    assert codes(table) == ["too_many_rows"]


# -- damaged archives --------------------------------------------------------------------------
def bomb(member_size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * member_size)
    return buffer.getvalue()


def test_zip_bomb_by_compression_ratio_is_refused() -> None:
    data = bomb(8 * 2**20)
    assert len(data) < 100_000
    table = read(data)
    assert codes(table) == ["xlsx_invalid"]
    assert table.issues["value"][0].endswith(":1")


def test_zip_bomb_by_total_size_is_refused() -> None:
    table = read(bomb(300_000), max_bytes=10_000)
    assert codes(table) == ["xlsx_invalid"]


def test_workbook_openpyxl_cannot_open_is_invalid() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "not xml at all <<<")
    assert codes(read(buffer.getvalue())) == ["xlsx_invalid"]


def test_formula_whose_cached_value_is_an_error_is_reported_as_such(tmp_path: Path, framework) -> None:
    """Excel keeps #DIV/0! as the formula's value: the report says so, at the row Excel shows."""
    from ingest.pipeline import check_file

    path = tmp_path / "errors.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Data")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["ASS-CAS-001", "R01", "2024", 1250, "personnes", "ok"])
    sheet.write_row(2, 0, ["ASS-CAS-001", "E03", "2024"])
    sheet.write_formula(2, 3, "=A1/0", None, "#DIV/0!")
    sheet.write_row(2, 4, ["%", "x"])
    book.close()
    result, _ = check_file(path.read_bytes(), "errors.xlsx", framework=framework)
    assert result.issues.select("line", "column", "code", "value").rows() == [(3, "value", "excel_error", "#DIV/0!")]
    assert "Excel" in result.report("fr")["message"][0]


def test_a_password_protected_workbook_says_so() -> None:
    """Excel wraps an encrypted workbook in an OLE2 file whose directory names an EncryptedPackage stream."""
    data = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptionInfo".encode("utf-16-le") + bytes(50)
            + "EncryptedPackage".encode("utf-16-le") + bytes(2000))
    table = read(data, "budget 2024.xlsx")
    assert codes(table) == ["encrypted_workbook"] and table.file_format == "xlsx"


def test_a_file_that_is_not_a_table_gets_one_error_not_every_missing_column(framework) -> None:
    from ingest.pipeline import check_file

    for data, name, code in [(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(3000), "old.xls", "unsupported_format"),
                             (b"%PDF-1.7 rapport", "rapport.pdf", "unsupported_format"), (b"", "vide.csv", "empty_file")]:
        result, _ = check_file(data, name, framework=framework)
        assert result.issues["code"].to_list() == [code], name


# -- number formats: literal %, hidden zeros, durations, numbers shown as dates ------------------
def patched(data: bytes, member: str, edit) -> bytes:
    """The workbook with one XML part rewritten (what openpyxl or xlsxwriter cannot write)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            part = source.read(item.filename)
            if item.filename == member or (callable(member) and member(item.filename)):
                part = edit(part.decode("utf-8")).encode("utf-8")
            target.writestr(item, part)
    return buffer.getvalue()


def formatted_book(rows: list[list], formats: dict[str, str], title: str = "Données", **sheet_options) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for coordinate, number_format in formats.items():
        sheet[coordinate].number_format = number_format
    for name, value in sheet_options.items():
        setattr(sheet.sheet_view, name, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("number_format", "text"),
    [
        ('0.0"%"', "0.5"),
        ('0.0" %"', "0.5"),
        ("0.0\\ \\%", "0.5"),
        ("0\\%", "0.5"),
        ('"%"0.0', "0.5"),
        ("0.0%", "50%"),
        ("[Red]0.0%", "50%"),
        ('0%;-0%;"-"', "50%"),
        ("[$-fr-FR]0.0 %", "50%"),
    ],
)
def test_only_a_percent_sign_that_is_not_a_literal_scales_the_number(number_format: str, text: str) -> None:
    """Excel multiplies by 100 for an unquoted, unescaped % only: ``0.0" %"`` shows 0.5 as "0.5 %"."""
    assert cell_text(0.5, number_format) == text


def test_literal_percent_formats_in_a_workbook_keep_the_number_typed() -> None:
    data = formatted_book(
        [
            ["org_code", "period", "E02", "J02", "E03"],
            ["ASS-CAS-001", "2024", 0.8, 3.5, 0.875],
        ],
        {"C2": '0.0" %"', "D2": "0.0\\ \\%", "E2": "0.0%"},
    )
    assert read(data).frame.drop("__line").rows() == [("ASS-CAS-001", "2024", "0.8", "3.5", "87.5%")]


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (0, "# ##0;-# ##0;", ""),
        (0, "0;-0;;@", ""),
        (0.0, '0.0;-0.0;"";@', ""),
        (0, "0;-0;[Red]", ""),
        (0, '0;-0;"-"', "0"),  # the zero section shows a dash: a zero
        (0, "0;-0", "0"),
        (0, "0%;-0%;", ""),
        (5, "# ##0;-# ##0;", "5"),
        (-5, "0;-0;;@", "-5"),
        ("texte", "0;-0;;@", "texte"),
    ],
)
def test_a_zero_the_format_does_not_display_is_an_empty_cell(value, number_format: str, text: str) -> None:
    assert cell_text(value, number_format) == text


def test_zeros_of_a_sheet_that_hides_them_are_empty_cells_and_their_rows_blank(tmp_path: Path) -> None:
    """Options → "Afficher un zéro dans les cellules qui ont une valeur nulle" off: 0 shows nothing."""
    path = tmp_path / "zeros.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Données")
    sheet.hide_zero()
    sheet.write_row(0, 0, ["org_code", "period", "R01", "R03", "E03"])
    sheet.write_row(1, 0, ["ASS-CAS-001", "2024-Q1", 1250, 0])
    sheet.write_formula(1, 4, "=Calc!B2", None, 0)
    for row in range(2, 5):  # rows of formulas whose result is 0: blank on screen
        sheet.write_formula(row, 2, f"=Calc!B{row + 1}", None, 0)
    book.close()
    table = read(path.read_bytes())
    assert table.frame.drop("__line").rows() == [("ASS-CAS-001", "2024-Q1", "1250", "", "")]
    assert table.issues.is_empty()


def test_zeros_hidden_by_their_format_are_empty_and_rows_of_them_ignored(tmp_path: Path) -> None:
    path = tmp_path / "zero_format.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Données")
    hidden = book.add_format({"num_format": "0;-0;;@"})
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["ASS-CAS-001", "R01", "2024-Q1"])
    sheet.write_formula(1, 3, "=G2+H2", hidden, 1250)
    sheet.write_row(1, 4, ["personnes"])
    sheet.write_row(2, 0, ["ASS-CAS-001", "R03", "2024-Q1"])
    sheet.write_number(2, 3, 0, book.add_format({"num_format": "# ##0;-# ##0;"}))
    sheet.write_row(2, 4, ["personnes", "pas encore collecté"])
    for row in range(3, 6):
        sheet.write_formula(row, 3, f"=G{row + 1}+H{row + 1}", hidden, 0)
    book.close()
    table = read(path.read_bytes())
    assert table.frame.drop("__line").rows() == [
        ("ASS-CAS-001", "R01", "2024-Q1", "1250", "personnes", ""),
        ("ASS-CAS-001", "R03", "2024-Q1", "", "personnes", "pas encore collecté"),
    ]
    assert table.issues.is_empty()


@pytest.mark.parametrize(
    ("number_format", "duration"),
    [
        ("hh:mm", True),
        ("h:mm", True),
        ("[h]:mm", True),
        ("h:mm:ss", True),
        ("mm:ss", True),
        ("[mm]:ss", True),
        ("[mm]", True),
        ("[$-fr-FR]hh:mm", True),
        ("h:mm AM/PM", True),
        ("dd/mm/yyyy hh:mm", False),
        ("mmm-yy", False),
        ("mm", False),
        ("0.00", False),
    ],
)
def test_formats_with_only_time_parts_are_durations(number_format: str, duration: bool) -> None:
    assert format_info(number_format).duration is duration


def test_durations_beyond_a_day_in_hh_mm_are_hours_not_dates() -> None:
    """openpyxl makes a date of 142.53125 in ``hh:mm`` (1900-05-21 12:45); the cell holds hours."""
    from openpyxl.utils.datetime import MAC_EPOCH, from_excel

    assert cell_text(from_excel(142.53125), "hh:mm") == "3420.75"
    assert cell_text(from_excel(1.25), "h:mm") == "30"
    assert cell_text(from_excel(59.5), "[$-fr-FR]h:mm") == "1428"  # before Excel's 29 February 1900
    assert cell_text(from_excel(61), "h:mm") == "1464"
    assert cell_text(from_excel(142.53125, MAC_EPOCH), "hh:mm", epoch=MAC_EPOCH) == "3420.75"


def test_hours_typed_in_an_hh_mm_column_are_read_as_hours(framework) -> None:
    from ingest.pipeline import check_file

    data = formatted_book(
        [
            HEADER,
            ["ASS-CAS-001", "P05", "2024-Q1", timedelta(hours=3420, minutes=45), "heures", ""],
            ["ASS-CAS-001", "P05", "2024-Q2", timedelta(hours=30), "heures", ""],
            ["ASS-CAS-001", "P05", "2024-Q3", timedelta(hours=7, minutes=30), "heures", ""],
        ],
        {"D2": "hh:mm", "D3": "h:mm", "D4": "hh:mm"},
    )
    assert read(data).frame["c3"].to_list() == ["3420.75", "30", "7.5"]
    result, validation = check_file(data, "hours.xlsx", framework=framework)
    assert result.status == "valid", result.report("fr").rows()
    assert validation.rows["value"].to_list() == [3420.75, 30, 7.5]


def test_a_number_typed_in_a_date_cell_is_reported_with_the_number_typed() -> None:
    """2024 typed in a ``mmm-yy`` cell shows "juil.-05": never the period 1905-07.

    Needs the ``number_as_date`` code in ingest/issues.py and the catalogues."""
    data = formatted_book(
        [
            HEADER,
            ["ASS-CAS-001", "S02", 2024, 850000, "MAD", ""],
            ["COO-AGD-021", "S02", 2023, 900000, "MAD", ""],
            ["COO-AGD-021", "S02", datetime(2024, 3, 1), 900000, "MAD", ""],
        ],
        {"C2": "mmm-yy", "C3": "yyyy", "C4": "mmm-yy"},
    )
    table = read(data)
    assert table.frame["c2"].to_list() == ["2024", "2023", "2024-03"]
    assert table.issues.select("line", "column", "code", "value", "expected").rows() == [
        (2, "period", "number_as_date", "1905-07", "2024"),
        (3, "period", "number_as_date", "1905", "2023"),
    ]


def test_dates_from_1910_on_and_durations_are_not_numbers_typed_as_dates() -> None:
    data = formatted_book(
        [HEADER, ["ASS-CAS-001", "P05", datetime(1910, 1, 1), 2, "heures", ""]],
        {"C2": "dd/mm/yyyy", "D2": "[h]:mm"},
    )
    table = read(data)
    assert table.issues.is_empty()
    assert table.frame.drop("__line").rows() == [("ASS-CAS-001", "P05", "1910-01", "48", "heures", "")]


# -- formulas whose result is the empty string ---------------------------------------------------
@pytest.mark.parametrize("empty", ["<v></v>", "<v/>", ""])
def test_a_formula_whose_cached_result_is_empty_text_is_an_empty_cell(tmp_path: Path, empty: str) -> None:
    """Excel and LibreOffice save ``=IF(G3="";"";G3*1)`` on an unused row as ``t="str"`` with an empty
    value: it was calculated, the cell is empty. A formula with no cached value at all (no ``t="str"``)
    stays ``formula_without_value``."""
    path = tmp_path / "empty_text.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Données")
    sheet.write_row(0, 0, [*HEADER, "saisie"])
    sheet.write_row(1, 0, ["ASS-CAS-001", "R01", "2024-Q1"])
    sheet.write_formula(1, 3, '=IF(G2="","",G2*1)', None, 1250)
    sheet.write_row(1, 4, ["personnes", None, 1250])
    for row in range(2, 5):
        sheet.write_formula(row, 3, f'=IF(G{row + 1}="","",G{row + 1}*1)', None, "")
    sheet.write_formula(5, 5, '=IF(D2>10000,"ok","")', None, "")
    book.close()

    def excel_style(xml: str) -> str:
        return re.sub(r'<c r="([DF][3-6])"><f>([^<]*)</f><v></v></c>', rf'<c r="\1" t="str"><f>\2</f>{empty}</c>', xml)

    data = patched(path.read_bytes(), "xl/worksheets/sheet1.xml", excel_style)
    assert zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").count(b't="str"') == 4
    table = read(data)
    assert table.issues.filter(pl.col("code") == "formula_without_value").is_empty()
    assert table.frame.drop("__line").rows() == [("ASS-CAS-001", "R01", "2024-Q1", "1250", "personnes", "", "1250")]
    untouched = read(path.read_bytes())  # as xlsxwriter wrote it: no t="str", so no cached result
    assert set(codes(untouched)) == {"formula_without_value"}


# -- text: Excel's _xHHHH_ escapes ---------------------------------------------------------------
def test_excel_escapes_in_text_are_undone() -> None:
    assert unescape_text("ligne1_x000D_\nligne2") == "ligne1\nligne2"
    assert unescape_text("R03_x000D_") == "R03\r"
    assert unescape_text("_x005F_x000D_") == "_x000D_"  # an escaped underscore: the text "_x000D_"
    assert unescape_text("a_x0009_b") == "a\tb"
    assert unescape_text("x_xD83D__xDE00_") == "x\U0001f600"
    assert unescape_text("_xD800_") == "_xD800_"  # half a character is left as written
    assert unescape_text("tax_rate x000D") == "tax_rate x000D"
    assert cell_text("Registre_x000D_\n") == "Registre\n"


def test_excel_escapes_are_undone_in_shared_and_inline_strings(tmp_path: Path) -> None:
    path = tmp_path / "escapes.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Données")
    sheet.write_row(0, 0, [*HEADER, "source"])
    sheet.write_row(1, 0, ["ASS-CAS-001", "R01", "2024-Q1", 1250, "personnes", "ligne1 ligne2", "fiche LITERAL"])
    sheet.write_row(2, 0, ["ASS-CAS-001", "R03", "2024-Q1", "35", "personnes", "", "Registre"])
    book.close()

    def excel_escapes(xml: str) -> str:
        return (xml.replace(">ASS-CAS-001<", ">ASS-CAS-001_x000D_\n<")
                .replace(">ligne1 ligne2<", ">ligne1_x000D_\nligne2<")
                .replace(">fiche LITERAL<", ">fiche _x005F_x000D_<")
                .replace(">R03<", ">R03_x000D_<").replace(">35<", ">35_x000D_\n<"))

    table = read(patched(path.read_bytes(), "xl/sharedStrings.xml", excel_escapes))
    assert table.frame.drop("__line").rows() == [
        ("ASS-CAS-001\n", "R01", "2024-Q1", "1250", "personnes", "ligne1\nligne2", "fiche _x000D_"),
        ("ASS-CAS-001\n", "R03\r", "2024-Q1", "35\n", "personnes", "", "Registre"),
    ]
    inline = read(workbook_bytes({"Feuil1": [HEADER, ["ASS-CAS-001", "R01", "2024", 5, "personnes", "a_x000D_\nb"]]}))
    assert inline.frame["c5"].to_list() == ["a\nb"]


def test_excel_escapes_in_keys_are_read_as_excel_shows_them(tmp_path: Path, framework) -> None:
    from ingest.pipeline import check_file

    path = tmp_path / "keys.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Données")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["ASS-CAS-001", "R01", "2024-Q1", 1250, "personnes", "x"])
    book.close()
    data = patched(path.read_bytes(), "xl/sharedStrings.xml", lambda xml: xml.replace(">ASS-CAS-001<", ">ASS-CAS-001_x000D_\n<"))
    result, validation = check_file(data, "keys.xlsx", framework=framework)
    assert result.status == "valid", result.report("fr").rows()
    assert validation.rows["org_code"].to_list() == ["ASS-CAS-001"]


# -- sheet choice ----------------------------------------------------------------------------
def test_a_titled_data_sheet_is_chosen_over_a_read_me_sheet() -> None:
    data = workbook_bytes({
        "Lisez-moi": [["Lisez-moi"], ["Remplissez la feuille Saisie puis déposez le fichier."]],
        "Saisie": [["Rapport trimestriel — Association Casa Solidarité"], [], HEADER, ROW],
    })
    table = read(data)
    assert (table.sheet, table.headers, table.frame["__line"].to_list()) == ("Saisie", HEADER, [4])


@pytest.mark.parametrize(
    "other",
    [
        [["Code indicateur", "Libellé", "Unité"], ["R01", "Bénéficiaires directs uniques", "personnes"]],
        [["indicator_code", "period", "Somme de value"], ["R01", "2024-Q1", 1250], ["Total général", None, 1250]],
    ],
    ids=["indicator list", "pivot table"],
)
def test_a_reference_or_pivot_sheet_does_not_compete_with_the_data_sheet(other: list[list]) -> None:
    for sheets in ({"Référence": other, "Feuil1": [HEADER, ROW]}, {"Feuil1": [HEADER, ROW], "Référence": other}):
        table = read(workbook_bytes(sheets))
        assert table.sheet == "Feuil1" and codes(table) == [], sheets.keys()


@pytest.mark.parametrize(
    ("sheets", "named"),
    [
        ({"Données": [HEADER, ROW], "Données (2)": [HEADER, ["ASS-CAS-001", "R01", "2024-Q2", 1400, "personnes", ""]]},
         "Données, Données (2)"),
        ({"Données": [HEADER], "Feuil2": [HEADER, ROW]}, "Données, Feuil2"),
        ({"Données": [HEADER, ["ASS-CAS-001", "R01", "2024-Q1", None, "personnes"]],
          "Données (2)": [HEADER, ["ASS-CAS-001", "R01", "2024-Q1", 1250, "personnes"]]}, "Données, Données (2)"),
    ],
    ids=["excel copy", "header only", "template without values"],
)
def test_the_data_sheet_name_does_not_silently_win_over_another_sheet_of_data(sheets: dict, named: str) -> None:
    table = read(workbook_bytes(sheets))
    issue = table.issues.row(0, named=True)
    assert (codes(table), issue["value"], issue["expected"]) == (["xlsx_several_sheets"], named, "Données")


def test_the_data_sheet_still_wins_over_notes_and_hidden_copies() -> None:
    data = workbook_bytes(
        {"Données": [HEADER, ROW], "Instructions": [["Mode d'emploi"], ["Organisation", "ASS-CAS-001"]],
         "Ancien": [HEADER, ROW]},
        states={"Ancien": "hidden"},
    )
    table = read(data)
    assert table.sheet == "Données" and codes(table) == []


# -- workbook kinds --------------------------------------------------------------------------
def test_a_strict_open_xml_workbook_is_an_unsupported_format(tmp_path: Path) -> None:
    """Excel's "Classeur Open XML Strict": another namespace, which openpyxl does not read."""
    path = tmp_path / "strict.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Données").write_row(0, 0, HEADER)
    book.close()

    def strict(xml: str) -> str:
        return (xml.replace("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                            "http://purl.oclc.org/ooxml/spreadsheetml/main")
                .replace("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                         "http://purl.oclc.org/ooxml/officeDocument/relationships")
                .replace("<workbook xmlns", '<workbook conformance="strict" xmlns'))

    table = read(patched(path.read_bytes(), lambda name: name.endswith((".xml", ".rels")), strict), "rapport.xlsx")
    assert codes(table) == ["unsupported_format"] and table.file_format == "xlsx"
    assert "Strict" in table.issues["value"][0]


# -- hidden columns ----------------------------------------------------------------------------
def with_columns_xml(data: bytes, cols: str) -> bytes:
    """The workbook's first sheet with ``<cols>`` replaced by ``cols`` (Excel's own XML for hidden
    columns and collapsed outline groups)."""

    def edit(xml: str) -> str:
        xml = re.sub(r"<cols>.*?</cols>", "", xml, flags=re.DOTALL)
        return xml.replace("<sheetData", cols + "<sheetData", 1)

    return patched(data, "xl/worksheets/sheet1.xml", edit)


def hidden_column_book(rows: list[list], hidden: str, title: str = "Données") -> bytes:
    """A sheet whose columns ``hidden`` ("D" or "D:E") are hidden, as Excel writes it."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    first, _, last = hidden.partition(":")
    sheet.column_dimensions.group(first, last or first, hidden=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def check(data: bytes, framework, name: str = "rapport.xlsx"):
    from ingest.pipeline import check_file

    return check_file(data, name, framework=framework)


def test_a_hidden_column_of_old_values_is_not_imported_the_visible_one_is(framework) -> None:
    """The reviewer's case: "Valeur" hidden (old figures), the corrected figures in the visible
    column next to it. Only what Excel shows is read; the hidden column is reported once."""
    data = hidden_column_book(
        [["org_code", "indicator_code", "period", "Valeur (ancienne)", "Valeur", "unit"],
         ["ASS-CAS-001", "R01", "2024-Q1", 1100, 1250, "personnes"],
         ["ASS-CAS-001", "E03", "2024-Q1", 80, 87.5, "%"]],
        "D",
    )
    assert b'hidden="1"' in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    result, validation = check(data, framework)
    assert result.status == "valid"
    assert result.issues.select("line", "column", "code", "severity", "value").rows() == [
        (1, "Valeur (ancienne)", "hidden_column", "warning", "D")
    ]
    assert validation.rows.select("indicator_code", "value").rows() == [("R01", 1250.0), ("E03", 87.5)]


def test_a_hidden_value_column_is_not_read_even_when_it_is_the_only_one_so_named(framework) -> None:
    """c07 with a visible column of no known name: the hidden "Valeur" holds the old figures, the
    visible "Valeur révisée" is not recognised. The hidden figures are never imported: the file lacks
    its value column."""
    data = hidden_column_book(
        [["org_code", "indicator_code", "period", "Valeur", "Valeur révisée", "unit"],
         ["ASS-CAS-001", "R01", "2024-Q1", 1100, 1250, "personnes"],
         ["ASS-CAS-001", "E03", "2024-Q1", 80, 87.5, "%"]],
        "D",
    )
    result, validation = check(data, framework)
    assert result.status == "rejected" and validation.rows.height == 0
    found = result.issues.select("column", "code", "value").rows()
    assert ("value", "missing_column", None) in found
    assert ("Valeur", "hidden_column", "D") in found
    assert [code for _, code, _ in found].count("hidden_column") == 1


def test_the_table_is_read_as_if_hidden_columns_were_empty() -> None:
    """Header and every row lose the hidden cells (kept as empty cells, so that positions and letters
    stay Excel's); a row with something only in a hidden column is a blank row."""
    data = hidden_column_book(
        [HEADER[:3] + ["Ancienne valeur"] + HEADER[3:],
         ROW[:3] + [1100] + ROW[3:],
         [None, None, None, "brouillon"]],
        "D",
    )
    table = read(data)
    assert table.headers == ["org_code", "indicator_code", "period", "", "value", "unit", "notes"]
    assert table.frame.drop("__line").rows() == [("ASS-CAS-001", "R01", "2024-Q1", "", "1250", "personnes", "ok")]
    assert table.issues.select("column", "code", "value").rows() == [("Ancienne valeur", "hidden_column", "D")]


def test_a_hidden_empty_helper_column_is_silently_ignored(framework) -> None:
    """Nothing in it (no header, no cell): nothing to say. Nor about the columns hidden to the right
    of the table (Excel writes ``min="8" max="16384"`` when all of them are)."""
    book = workbook_bytes({"Données": [HEADER[:3] + [None] + HEADER[3:], ROW[:3] + [None] + ROW[3:]]})
    data = with_columns_xml(
        book,
        '<cols><col min="4" max="4" width="2" hidden="1" customWidth="1"/>'
        '<col min="8" max="16384" width="9" hidden="1"/></cols>',
    )
    result, validation = check(data, framework)
    assert result.status == "valid" and result.issues.height == 0, result.issues.rows()
    assert validation.rows.select("value").rows() == [(1250.0,)]


def test_a_hidden_helper_formula_column_is_not_a_second_period_column(tmp_path: Path, framework) -> None:
    """A hidden ``Mois`` (=MONTH(…)) beside the visible ``Période``: not a duplicate period column,
    and its formulas are not read."""
    path = tmp_path / "mois.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Données")
    sheet.write_row(0, 0, ["org_code", "indicator_code", "Période", "Mois", "value", "unit"])
    for row, (period, month, value) in enumerate([("2024-Q1", 3, 1250), ("2024-Q2", 6, 1300)], start=1):
        sheet.write_row(row, 0, ["ASS-CAS-001", "R01", period])
        sheet.write_formula(row, 3, "=MONTH(TODAY())", None, month)
        sheet.write_row(row, 4, [value, "personnes"])
    sheet.set_column(3, 3, None, None, {"hidden": True})
    book.close()
    result, validation = check(path.read_bytes(), framework)
    assert result.status == "valid"
    assert result.issues.select("column", "code", "value").rows() == [("Mois", "hidden_column", "D")]
    assert validation.rows.select("period", "value").rows() == [("2024-Q1", 1250.0), ("2024-Q2", 1300.0)]


def test_columns_of_a_collapsed_outline_group_are_hidden_too(framework) -> None:
    """Excel writes a collapsed group's columns ``hidden="1"`` with their ``outlineLevel``, and the
    summary column after them ``collapsed="1"`` (that one is visible)."""
    rows = [["org_code", "indicator_code", "period", "Valeur", "Femmes", "Valeur", "unit"],
            ["ASS-CAS-001", "R01", "2024-Q1", 1300, 700, 1250, "personnes"]]
    data = with_columns_xml(
        workbook_bytes({"Données": rows}),
        '<cols><col min="4" max="5" width="9.140625" hidden="1" customWidth="1" outlineLevel="1"/>'
        '<col min="6" max="6" width="12" customWidth="1" collapsed="1"/></cols>',
    )
    result, validation = check(data, framework)
    assert result.status == "valid", result.issues.rows()
    assert sorted(result.issues.select("value", "column", "code").rows()) == [
        ("D", "Valeur", "hidden_column"), ("E", "Femmes", "hidden_column")
    ]
    assert validation.rows.select("value").rows() == [(1250.0,)]


@pytest.mark.parametrize(
    "cols",
    [
        "<cols><col min='3' max='3' hidden='true'/></cols>",
        '<x:cols xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<x:col min="3" max="3" hidden="1" width="0"/></x:cols>',
        '<cols><col min="1" max="2" width="14" customWidth="1"/><col min="3" max="3" hidden="1"/>'
        '<col min="4" max="7" width="10" hidden="0"/></cols>',
    ],
    ids=["single quotes, true", "prefixed", "among visible columns"],
)
def test_hidden_columns_are_read_from_any_spelling_of_the_xml(cols: str) -> None:
    rows = [HEADER[:2] + ["Ancien"] + HEADER[2:], ROW[:2] + ["x"] + ROW[2:]]
    data = with_columns_xml(workbook_bytes({"Données": rows}), cols)
    table = read(data)
    assert ("Ancien", "hidden_column", "C") in table.issues.select("column", "code", "value").rows()
    assert table.frame["c2"].to_list() == [""]


def test_letters_in_messages_are_excels_for_columns_after_a_hidden_one(framework) -> None:
    """A hidden column keeps its place: the unnamed column after it is still named by its own
    letter (E), and a hidden column without a header by its letter (H)."""
    rows = [["org_code", "indicator_code", "Commentaire interne", "period", None, "value", "unit", None],
            ["ASS-CAS-001", "R01", "à revoir", "2024-Q1", "1250", 1250, "personnes", "brouillon"]]
    data = with_columns_xml(
        workbook_bytes({"Données": rows}),
        '<cols><col min="3" max="3" hidden="1"/><col min="8" max="8" hidden="1"/></cols>',
    )
    result, _ = check(data, framework)
    found = result.issues.select("line", "column", "code", "value").rows()
    assert (2, "E", "unnamed_column", "1250") in found
    assert (1, "Commentaire interne", "hidden_column", "C") in found
    assert (1, "H", "hidden_column", "H") in found
    assert len(found) == 3, found


def test_hidden_rows_are_still_read() -> None:
    """Only columns: rows hidden (or in a collapsed group) are read, as before."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Données"
    for row in [HEADER, ROW, ROW[:2] + ["2024-Q2"] + ROW[3:]]:
        sheet.append(row)
    sheet.row_dimensions[3].hidden = True
    buffer = io.BytesIO()
    book.save(buffer)
    table = read(buffer.getvalue())
    assert table.frame["__line"].to_list() == [2, 3] and codes(table) == []


def test_a_hidden_code_column_no_visible_column_replaces_is_read(framework) -> None:
    """A template whose pre-filled org_code column is hidden; a hidden value column stays unread."""
    data = hidden_column_book(
        [["org_code", "indicator_code", "period", "value", "unit"],
         ["ASS-CAS-001", "R01", "2024-Q1", 1250, "personnes"]],
        "A",
    )
    result, validation = check(data, framework)
    assert result.status == "valid" and result.issues.is_empty()
    assert validation.rows.select("org_code", "value").rows() == [("ASS-CAS-001", 1250.0)]
    beside_names = hidden_column_book(
        [["org_code", "Code indicateur", "Nom de l'indicateur", "period", "value"],
         ["ASS-CAS-001", "R01", "Bénéficiaires directs uniques", "2024-Q1", 1250]],
        "B",
    )
    result, validation = check(beside_names, framework)
    assert result.status == "valid" and validation.rows["indicator_code"].to_list() == ["R01"]


def test_an_example_sheet_beside_the_data_sheet_is_no_competitor_and_a_year_date_in_annee_is_the_year(framework) -> None:
    book = Workbook()
    data = book.active
    data.title = "Données"
    example = book.create_sheet("Exemple")
    for sheet in (data, example):
        sheet.append(["org_code", "indicator_code", "Année", "value"])
        sheet.append(["ASS-CAS-001", "R01", datetime(2024, 1, 1), 1250])
        sheet["C2"].number_format = "dd/mm/yyyy"
    buffer = io.BytesIO()
    book.save(buffer)
    result, validation = check(buffer.getvalue(), framework)
    assert result.status == "valid" and result.sheet == "Données"
    assert validation.rows.select("period", "value").rows() == [("2024", 1250.0)]
