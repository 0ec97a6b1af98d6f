"""Reading stage, Excel workbooks: sheet choice, hidden sheets, cell conversion, formulas, zip bombs."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
import xlsxwriter
from openpyxl import Workbook

from ingest.read import RawTable, read_table
from ingest.xlsx import DATA_SHEET_NAMES, cell_text, date_parts, date_text, number_text, percent_text

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
