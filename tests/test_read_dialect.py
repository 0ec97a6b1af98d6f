"""Reading stage, text tables: delimiter, quoting, header, cell counts, blank rows and line numbers."""

from __future__ import annotations

import polars as pl
import pytest

import ingest.csv_parser as parser_module
from ingest.dialect import detect_dialect
from ingest.read import MAX_CELL_CHARS, RawTable, read_table

HEADER = ["org_code", "indicator_code", "period", "value", "unit", "notes"]


def csv_bytes(lines: list[str], newline: str = "\r\n", encoding: str = "utf-8") -> bytes:
    return (newline.join(lines) + newline).encode(encoding)


def read(lines: list[str], **options) -> RawTable:
    return read_table(csv_bytes(lines), "f.csv", **options)


def cells(table: RawTable) -> list[tuple]:
    return table.frame.drop("__line").rows()


def lines(table: RawTable) -> list[int]:
    return table.frame["__line"].to_list()


def issues(table: RawTable) -> list[tuple]:
    return table.issues.select("code", "line", "value", "expected").rows()


# -- delimiter ---------------------------------------------------------------------------------
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_detected(delimiter: str) -> None:
    rows = [
        delimiter.join(HEADER),
        delimiter.join(["ASS-CAS-001", "R01", "2024-Q1", "1250", "personnes", "ok"]),
    ]
    table = read(rows)
    assert table.delimiter == delimiter
    assert table.headers == HEADER
    assert cells(table) == [("ASS-CAS-001", "R01", "2024-Q1", "1250", "personnes", "ok")]
    assert table.issues.is_empty()


def test_semicolon_file_with_decimal_commas_is_not_read_on_commas() -> None:
    table = read([";".join(HEADER), "A;R01;2024;87,5;%;un, deux, trois", "B;R01;2024;3420,75;heures;x"])
    assert table.delimiter == ";"
    assert table.frame["c3"].to_list() == ["87,5", "3420,75"]


def test_comma_file_with_unquoted_semicolons_in_notes_is_read_on_commas() -> None:
    table = read(
        [",".join(HEADER), "A,R01,2024,64,personnes,dont PSH; quartier Sidi Moumen", "B,R01,2024,1,x,y"]
    )
    assert table.delimiter == ","
    assert table.frame["c5"][0] == "dont PSH; quartier Sidi Moumen"


def test_the_sniffer_is_not_fooled_by_a_tab_inside_a_comma_file() -> None:
    table = read([",".join(HEADER), "A,R01,2024,1,x,\t=1+1", "B,R01,2024,2,x,a|b"])
    assert table.delimiter == ","
    assert table.frame["c5"].to_list() == ["\t=1+1", "a|b"]


def test_wide_layout_headers_count_as_recognised() -> None:
    dialect = detect_dialect("org_code;period;R01;E03\nA;2024;1,5;2\n", complete=True)
    assert dialect is not None and dialect.delimiter == ";" and dialect.recognised == 4


def test_one_column_without_a_known_header_is_not_a_table() -> None:
    table = read(["Cher partenaire", "Veuillez trouver ci-joint notre rapport", "Cordialement"])
    assert [i[0] for i in issues(table)] == ["not_a_table"]
    assert table.frame.is_empty()


def test_one_recognised_column_is_still_a_table() -> None:
    table = read(["org_code", "ASS-CAS-001"])
    assert table.headers == ["org_code"] and cells(table) == [("ASS-CAS-001",)]


def test_prose_with_commas_is_not_a_table() -> None:
    text = [
        "Bonjour, voici le fichier.",
        "Il manque, je crois, deux lignes, et une colonne.",
        "Merci",
        "A bientôt, X",
    ]
    assert [i[0] for i in issues(read(text))] == ["not_a_table"]


def test_excel_sep_directive_sets_the_delimiter_and_is_not_a_row() -> None:
    table = read(["sep=,", ",".join(HEADER), "A,R01,2024,1,x,y;z"])
    assert table.delimiter == ","
    assert lines(table) == [2]
    assert table.frame["c5"][0] == "y;z"


# -- the Arabic list separator ------------------------------------------------------------------
ARABIC_SEMICOLON = "\u061b"
ARABIC_HEADER = ["رمز الجمعية", "رمز المؤشر", "الفترة", "القيمة", "الوحدة", "ملاحظات"]


@pytest.mark.parametrize("encoding", ["cp1256", "utf-8"])
def test_arabic_list_separator_is_a_delimiter(encoding: str) -> None:
    rows = [
        ARABIC_SEMICOLON.join(ARABIC_HEADER),
        ARABIC_SEMICOLON.join(["ASS-OUJ-030", "P04", "2024", "56", "أشخاص", "جمعية شباب وجدة"]),
        ARABIC_SEMICOLON.join(["FON-FES-007", "J02", "2024-Q3", "42,3", "%", '"التكوين؛ ثم التشغيل"']),
        ARABIC_SEMICOLON.join(["FON-FES-007", "J02", "2024-Q4", "40", "%", "نعم؛ لا; ربما"]),
    ]
    data = csv_bytes(rows, encoding=encoding)
    if encoding == "cp1256":
        assert ARABIC_SEMICOLON.encode("cp1256") == b"\xba"  # one byte here, two in UTF-8
        assert data.count(b"\xba") == sum(row.count(ARABIC_SEMICOLON) for row in rows)
    table = read_table(data, "f.csv")
    assert (table.encoding, table.delimiter) == (encoding, ARABIC_SEMICOLON)
    assert table.headers == ARABIC_HEADER
    assert cells(table) == [
        ("ASS-OUJ-030", "P04", "2024", "56", "أشخاص", "جمعية شباب وجدة"),
        ("FON-FES-007", "J02", "2024-Q3", "42,3", "%", "التكوين؛ ثم التشغيل"),
        ("FON-FES-007", "J02", "2024-Q4", "40", "%", "نعم"),
    ]
    assert issues(table) == [("wrong_cell_count", 4, "7", "6")]
    assert lines(table) == [2, 3, 4]


def test_arabic_list_separator_without_arabic_text_is_read_as_cp1256() -> None:
    # no Arabic letter to tell cp1256 from cp1252: the byte 0xBA is "º" in cp1252, "؛" in cp1256
    rows = [ARABIC_SEMICOLON.join(HEADER), ARABIC_SEMICOLON.join(["A", "R01", "2024", "1,5", "%", "Bénévolat"])]
    table = read_table(csv_bytes(rows, encoding="cp1256"), "f.csv")
    assert (table.encoding, table.delimiter) == ("cp1256", ARABIC_SEMICOLON)
    assert cells(table) == [("A", "R01", "2024", "1,5", "%", "Bénévolat")]
    assert table.issues.is_empty()


def test_arabic_list_separator_inside_notes_does_not_win_over_the_real_delimiter() -> None:
    table = read([";".join(HEADER), "A;R01;2024;1;x;التكوين؛ ثم التشغيل", "B;R01;2024;2;x;نعم؛ لا"])
    assert table.delimiter == ";"
    assert table.frame["c5"].to_list() == ["التكوين؛ ثم التشغيل", "نعم؛ لا"]


def test_arabic_list_separator_reads_the_same_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        ARABIC_SEMICOLON.join(HEADER),
        ARABIC_SEMICOLON.join(["A", "R01", "2024", "1", "x", '"a؛b ""c""\r\nd"']),
        ARABIC_SEMICOLON.join(["B", "R01", "2024", "2", "x"]),
        "",
        ARABIC_SEMICOLON.join(["C", "R01", "2024", "3", "x", 'il dit "oui" hier']),
    ]
    data = csv_bytes(rows)
    fast = read_table(data, "f.csv")
    monkeypatch.setattr(parser_module, "_STAND_INS", ())  # no free byte: the csv module reads it as it is
    exact = read_table(data, "f.csv")
    assert fast.frame.equals(exact.frame)
    assert fast.issues.equals(exact.issues)
    assert fast.frame["c5"].to_list() == ['a؛b "c"\nd', "", 'il dit "oui" hier']
    assert issues(fast) == [("wrong_cell_count", 3, "5", "6")]
    assert lines(fast) == [2, 3, 5]


def test_arabic_sep_directive_is_honoured() -> None:
    table = read([f"sep={ARABIC_SEMICOLON}", ARABIC_SEMICOLON.join(HEADER), "A؛R01؛2024؛1؛x؛y,z"])
    assert table.delimiter == ARABIC_SEMICOLON
    assert lines(table) == [2] and table.frame["c5"][0] == "y,z"


# -- quoting -----------------------------------------------------------------------------------
def test_quoted_delimiters_and_doubled_quotes_stay_in_the_cell() -> None:
    table = read([",".join(HEADER), 'A,R01,2024,1,x,"Bénévolat, Rabat ""centre"""', 'B,R01,2024,2,"",""""'])
    assert cells(table) == [
        ("A", "R01", "2024", "1", "x", 'Bénévolat, Rabat "centre"'),
        ("B", "R01", "2024", "2", "", '"'),
    ]
    assert table.issues.is_empty()


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_quoted_line_break_is_one_row_and_kept_as_lf(newline: str) -> None:
    rows = [",".join(HEADER), f'A,R01,2024,1,x,"Ligne 1{newline}Ligne 2{newline}Ligne 3"', "B,R01,2024,2,x,y"]
    table = read(rows)
    assert table.frame["c5"].to_list() == ["Ligne 1\nLigne 2\nLigne 3", "y"]
    assert lines(table) == [2, 3]


def test_stray_quotes_are_read_as_excel_reads_them() -> None:
    table = read([",".join(HEADER), 'A,R01,2024,1,x,écran 5" large', 'B,R01,2024,2,x,il a dit "oui" hier'])
    assert table.frame["c5"].to_list() == ['écran 5" large', 'il a dit "oui" hier']
    assert table.issues.is_empty()


def test_unclosed_quote_swallows_the_rest_of_the_file_as_excel_does() -> None:
    table = read([",".join(HEADER), 'A,R01,2024,1,x,"jamais fermé', "B,R01,2024,2,x,y"])
    assert cells(table) == [("A", "R01", "2024", "1", "x", "jamais fermé\nB,R01,2024,2,x,y\n")]
    assert lines(table) == [2]
    assert issues(table) == [("unclosed_quote", 2, "jamais fermé↵B,R01,2024,2,x,y↵", None)]  # see test_read_quotes


def test_fast_and_exact_readers_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        "",
        ";".join(HEADER) + ";;",
        'A;R01;2024;1;x;"a;b ""c""\r\nd";;',
        "B;R01;2024;2;x",
        "",
        " ; ;;;;;;",
        'C;R01;2024;3;x;"";;',
        "D;R01;2024;4;x;fin",
        "E;R01;2024;5;x;y;;;surplus",
    ]
    data = csv_bytes(rows)
    fast = read_table(data, "f.csv")
    monkeypatch.setattr(parser_module, "polars_cells", lambda *args: None)
    exact = read_table(data, "f.csv")
    assert fast.frame.equals(exact.frame)
    assert fast.headers == exact.headers
    assert fast.issues.equals(exact.issues)
    assert issues(fast) == [("wrong_cell_count", 4, "5", "6"), ("wrong_cell_count", 9, "9", "6")]
    assert lines(fast) == [3, 4, 7, 8, 9]
    assert fast.frame["c5"][0] == 'a;b "c"\nd'


# -- header and cell counts --------------------------------------------------------------------
def test_excel_leftover_columns_and_rows_are_dropped() -> None:
    table = read([";".join(HEADER) + ";;", "A;R01;2024;1;x;y;;", ";;;;;;;", ";;;;;;;"])
    assert table.headers == HEADER
    assert cells(table) == [("A", "R01", "2024", "1", "x", "y")]
    assert table.issues.is_empty()


def test_a_column_with_data_but_no_header_is_kept() -> None:
    table = read([";".join(HEADER) + ";", "A;R01;2024;1;x;y;oops", "B;R01;2024;1;x;y;"])
    assert table.headers == [*HEADER, ""]
    assert table.frame["c6"].to_list() == ["oops", ""]


def test_empty_cells_beyond_the_header_are_fine() -> None:
    table = read([",".join(HEADER), "A,R01,2024,1,x,y,,,", "B,R01,2024,2,x,y"])
    assert table.issues.is_empty()
    assert table.frame.columns == [f"c{i}" for i in range(6)] + ["__line"]


def test_ragged_rows_both_ways_are_wrong_cell_counts() -> None:
    table = read(
        [",".join(HEADER), "A,R01,2024,1,x,y,surplus", "B,R01,2024", "C,R01,2024,3,x,", "D,R01,2024,4,x,z"]
    )
    assert issues(table) == [("wrong_cell_count", 2, "7", "6"), ("wrong_cell_count", 3, "3", "6")]
    assert table.issues["column"].to_list() == [None, None]
    assert cells(table)[1] == ("B", "R01", "2024", "", "", "")
    assert lines(table) == [2, 3, 4, 5]


def test_a_late_row_wider_than_the_sample_is_caught() -> None:
    rows = (
        [",".join(HEADER)]
        + [f"A,R01,2024,{i},x,note" for i in range(3000)]
        + ["B,R01,2024,9,x,y,,,,,,,,,,late"]
    )
    table = read(rows)
    assert issues(table) == [("wrong_cell_count", 3002, "16", "6")]
    assert table.frame.width == 7


def test_header_only_file_has_no_data_rows() -> None:
    table = read([";".join(HEADER), ";;;;;", ""])
    assert [i[0] for i in issues(table)] == ["no_data_rows"]
    assert table.headers == HEADER and table.frame.is_empty()


# -- blank rows and line numbers ---------------------------------------------------------------
def test_blank_line_in_the_middle_counts_as_an_excel_row() -> None:
    table = read([",".join(HEADER), "A,R01,2024,1,x,y", "", "   ", ",,,,,", "B,R01,2024,2,x,y"])
    assert lines(table) == [2, 6]


def test_leading_blank_rows_push_the_header_down() -> None:
    table = read(["", ";;;;;", ";".join(HEADER), "A;R01;2024;1;x;y"])
    assert table.headers == HEADER
    assert lines(table) == [4]


def test_classic_mac_line_ends_and_missing_final_newline() -> None:
    table = read_table(
        ("\r".join([",".join(HEADER), "A,R01,2024,1,x,y", "B,R01,2024,2,x,z"])).encode(), "f.csv"
    )
    assert lines(table) == [2, 3] and table.frame["c5"].to_list() == ["y", "z"]
    table = read_table(("\n".join([",".join(HEADER), "A,R01,2024,1,x,y"])).encode(), "f.csv")
    assert cells(table) == [("A", "R01", "2024", "1", "x", "y")]


def test_lone_cr_breaks_the_line_as_in_excel() -> None:
    table = read([",".join(HEADER), "A,R01,2024,1,x,y\rB,R01,2024,2,x,z"])
    assert lines(table) == [2, 3] and table.frame["c5"].to_list() == ["y", "z"]


def test_dos_end_of_file_mark_is_not_a_row() -> None:
    table = read_table(csv_bytes([",".join(HEADER), "A,R01,2024,1,x,y"]) + b"\x1a", "f.csv")
    assert lines(table) == [2] and table.issues.is_empty()


def test_cells_are_never_stripped() -> None:
    table = read([",".join(HEADER), " A ,R01, 2024,1 ,x,  y  "])
    assert cells(table) == [(" A ", "R01", " 2024", "1 ", "x", "  y  ")]


# -- limits ------------------------------------------------------------------------------------
def test_cell_longer_than_the_limit_is_reported() -> None:
    table = read(
        [
            ",".join(HEADER),
            "A,R01,2024,1,x," + "é" * (MAX_CELL_CHARS + 1),
            "B,R01,2024,1,x," + "é" * MAX_CELL_CHARS,
        ]
    )
    assert issues(table) == [("cell_too_long", 2, str(MAX_CELL_CHARS + 1), "10000")]
    assert table.issues["column"].to_list() == ["notes"]


def test_too_many_rows_is_refused() -> None:
    table = read([",".join(HEADER)] + [f"A,R01,2024,{i},x,y" for i in range(11)], max_rows=10)
    assert [i[:1] + i[2:] for i in issues(table)] == [("too_many_rows", "11", "10")]
    assert table.frame.is_empty()


def test_issue_frame_has_the_report_schema() -> None:
    from ingest.issues import ISSUE_SCHEMA

    table = read([",".join(HEADER), "A,R01"])
    assert table.issues.schema == pl.Schema(ISSUE_SCHEMA)
    assert table.frame.schema["__line"] == pl.Int64


def test_a_title_block_naming_two_columns_is_not_taken_for_the_header() -> None:
    data = "Association;Al Amal;Année;2024;\r\n;;;;\r\nCode association;Indicateur;Période;Valeur;Unité\r\n" \
           "ASS-CAS-001;R01;2024;1250;personnes\r\n"
    table = read_table(data.encode("utf-8-sig"), "titre.csv")
    assert table.headers == ["Code association", "Indicateur", "Période", "Valeur", "Unité"]
    assert table.frame["__line"].to_list() == [4]
