"""Reading stage, quotes that never close: Excel and the csv module read the rest of the file into
the cell, so the rows after it would vanish silently; it is an ``unclosed_quote`` error instead."""

from __future__ import annotations

import polars as pl

from ingest.pipeline import check_file
from ingest.read import MAX_CELL_CHARS, WARNING_VALUE_CHARS, RawTable, read_table

HEADER = ["org_code", "indicator_code", "period", "value", "unit", "notes"]


def csv_bytes(lines: list[str], newline: str = "\r\n", encoding: str = "utf-8") -> bytes:
    return (newline.join(lines) + newline).encode(encoding)


def issues(table: RawTable) -> list[tuple]:
    return table.issues.select("code", "line", "column", "severity").rows()


def test_quote_opened_in_a_note_and_never_closed_is_an_error() -> None:
    data = (
        b"org_code;indicator_code;period;value;unit;notes\n"
        b'ASS-CAS-001;R01;2024-Q1;600;personnes;"Bonjour sans fin\n'
        b"ASS-CAS-001;R03;2024-Q1;64;personnes;y\n"
        b"ASS-CAS-001;R05;2024-Q1;5;personnes;z\n"
    )
    table = read_table(data, "f.csv")
    assert table.frame.height == 1  # read as Excel reads it: the rest of the file is in the cell
    assert table.frame["c5"][0].startswith("Bonjour sans fin\nASS-CAS-001;R03")
    assert issues(table) == [("unclosed_quote", 2, "notes", "error")]
    value = table.issues["value"][0]
    assert value.startswith("Bonjour sans fin↵ASS-CAS-001;R03;2024-Q1;64;personnes;y↵")
    assert len(value) == WARNING_VALUE_CHARS and value.endswith("…") and "\n" not in value


def test_a_well_formed_quote_on_the_last_line_does_not_close_it() -> None:
    lines = [
        ",".join(HEADER),
        'ASS-CAS-001,R01,2024-Q1,600,personnes,"il dit ""oui',
        "ASS-CAS-001,R03,2024-Q1,64,personnes,x",
        'ASS-CAS-001,R05,2024-Q1,5,personnes,"y"',
    ]
    table = read_table(csv_bytes(lines, encoding="cp1252"), "f.csv")
    assert table.frame.height == 1
    assert issues(table) == [("unclosed_quote", 2, "notes", "error")]
    assert table.issues["value"][0].startswith('il dit "oui↵ASS-CAS-001,R03')


def test_unclosed_quote_in_a_middle_column_is_one_error_at_its_excel_line() -> None:
    lines = [
        "Organisation;Indicateur;Période;Valeur;Unité;Remarques",
        "ASS-CAS-001;R01;2024-Q1;600;personnes;ok",
        "",
        'ASS-CAS-001;R03;"2024-Q1;64;personnes;trop court',
        "ASS-CAS-001;R05;2024-Q1;5;personnes;z",
    ]
    table = read_table(csv_bytes(lines, encoding="cp1252"), "f.csv")
    assert table.frame["__line"].to_list() == [2, 4]
    # the record has 3 cells, not 6: a consequence of the quote, not a second mistake
    assert issues(table) == [("unclosed_quote", 4, "Période", "error")]
    assert table.issues["value"][0] == "2024-Q1;64;personnes;trop court↵ASS-CAS-001;R05;2024-Q1;5;p…"


def test_swallowed_text_longer_than_a_cell_is_still_one_error() -> None:
    rows = [f"ASS-CAS-001,R01,2024-Q1,{i},personnes,note {i}" for i in range(MAX_CELL_CHARS // 20)]
    lines = [",".join(HEADER), 'ASS-CAS-001,R01,2024-Q1,1,personnes,"début', *rows]
    table = read_table(csv_bytes(lines), "f.csv")
    assert len(table.frame["c5"][0]) > MAX_CELL_CHARS
    assert issues(table) == [("unclosed_quote", 2, "notes", "error")]


def test_the_file_is_rejected(framework) -> None:
    lines = [
        ";".join(HEADER),
        "ASS-CAS-001;R01;2024-Q1;1250;personnes;ok",
        'ASS-CAS-001;R01;2024-Q2;600;personnes;"Bonjour sans fin',
        "ASS-CAS-001;R03;2024-Q1;64;personnes;y",
    ]
    result, _ = check_file(csv_bytes(lines), "f.csv", framework=framework)
    assert result.status == "rejected"
    errors = result.issues.filter(pl.col("severity") == "error")
    assert errors.select("code", "line").rows() == [("unclosed_quote", 3)]


def test_a_last_cell_open_to_the_end_without_a_further_line_is_read_as_excel_reads_it() -> None:
    for tail in ['"note sans fin', '"note sans fin\r\n', '"note sans fin\r\n\r\n  \r\n', '"note ""sans"" fin']:
        data = (",".join(HEADER) + "\r\nA,R01,2024,1,x,ok\r\nB,R01,2024,2,x," + tail).encode()
        table = read_table(data, "f.csv")
        assert table.issues.is_empty(), tail
        assert table.frame["__line"].to_list() == [2, 3]


def test_closed_multi_line_cells_are_not_unclosed_quotes() -> None:
    stray_then_multi_line = [",".join(HEADER), 'A,R01,2024,1,x,écran 5" large', 'B,R01,2024,2,x,"Ligne 1', 'Ligne 2"']
    space_after_close = [",".join(HEADER), 'A,R01,2024,1,x,"Ligne 1', 'Ligne 2" ']
    closed_then_fields = [",".join(HEADER) + ",extra", 'A,R01,2024,1,x,"Ligne 1', 'Ligne ""2""",fin']
    for lines in (stray_then_multi_line, space_after_close, closed_then_fields):
        table = read_table(csv_bytes(lines), "f.csv")
        assert table.issues.is_empty(), lines
    assert read_table(csv_bytes(closed_then_fields), "f.csv").frame["c5"][0] == 'Ligne 1\nLigne "2"'


def test_a_quote_closed_by_a_later_cell_catches_the_rows_between_and_is_an_error() -> None:
    """The record still has the right number of cells, so only the rows inside its text tell."""
    opened = ["org_code;indicator_code;period;value;unit;notes", 'ASS-CAS-001;R01;2024;10;personnes;"sans fin',
              "ASS-CAS-001;R01;2023;11;personnes;ok"]
    by_a_later_cell = [*opened, 'ASS-CAS-001;R01;2022;12;personnes;"autre"', "ASS-CAS-001;R01;2021;13;personnes;ok"]
    by_a_bare_quote = [*opened, 'ASS-CAS-001;R01;2022;12;personnes;"', "ASS-CAS-001;R01;2021;13;personnes;ok"]
    short_rows = [line.removesuffix(";ok") if "2023" in line else line for line in by_a_bare_quote]
    for lines in (by_a_later_cell, by_a_bare_quote, short_rows):
        table = read_table(csv_bytes(lines, newline="\n"), "f.csv")
        assert table.frame.height == 2, lines  # read as Excel reads it
        assert issues(table) == [("rows_in_cell", 2, "notes", "error")], lines
        assert table.issues["expected"][0] == "2"
        assert table.issues["value"][0].startswith("sans fin↵ASS-CAS-001;R01;2023;11;personnes")


def test_a_note_over_several_lines_with_a_few_delimiters_is_text() -> None:
    lines = [",".join(HEADER), 'A,R01,2024,1,x,"Voir le rapport,', 'annexe 2, page 4"', "B,R01,2024,2,x,ok"]
    table = read_table(csv_bytes(lines), "f.csv")
    assert table.issues.is_empty()
    assert table.frame["c5"][0] == "Voir le rapport,\nannexe 2, page 4"


def test_an_address_or_a_list_over_several_lines_is_text_even_in_a_narrow_file() -> None:
    """Its lines may hold as many delimiters as a row, but do not start like the file's rows."""
    lines = ["indicator_code;period;value;notes", 'R01;2024;1250;"Siège : 12 rue Ibn Sina', 'Quartier Maarif; Casablanca; 20330"',
             'C01;2024;4;"Partenaires :', 'INDH; Commune; AREF; Entraide nationale"']
    table = read_table(csv_bytes(lines), "f.csv")
    assert table.issues.is_empty() and table.frame.height == 2
