"""No export cell a spreadsheet could run: headers and index cells included, whatever separator the
spreadsheet splits a CSV on, and in every workbook (issue 10, findings 1 and 2).

Column labels come from data: on Compare → peer groups → thematic area, the table of indicator
medians by group has one column per group value. A registry written before thematic areas were
checked (or edited in the database) may hold ``=1+1`` or ``@SUM(1,1)`` there; the downloads of that
table must still be inert. ``x,=1+1`` in a French (``;``) export and ``x;=1+1`` in an English (``,``)
one must stay whole, quoted cells when Excel splits on the other separator.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook

from dashboard.cells import Col
from dashboard.context import PageContext
from dashboard.exports import to_csv, to_xlsx
from dashboard.testing import open_page, start
from ingest.safe_write import csv_bytes, csv_text, formula_like, neutralise
from store.db import open_store
from store.viewer import Viewer

from .pages_harness import Download, csv_cells_split_by, csv_formula_cells, downloads, export_problems

#: The page over a hostile registry runs on both backends (a DuckDB file, a PostgreSQL copy of the demo);
#: the writers' tests, which open no database, run once.
pytestmark = [pytest.mark.usefixtures("page_downloads"), pytest.mark.backends("duckdb", "postgres")]

LABELS = ("=1+1", "@SUM(1,1)", "+cmd|' /C calc'!A0", "-2+3", " =1+1", "\uff1d1+1")
TEXTS = ("x,=1+1", "x;=1+1", '=HYPERLINK("http://attacker.invalid")', "@SUM(1,1)", "-15", "ok")


def _context(lang: str) -> PageContext:
    return PageContext(store=None, viewer=Viewer.steering(), lang=lang, version=(), run=None)


def _frame() -> tuple[pl.DataFrame, dict[str, Col]]:
    frame = pl.DataFrame(
        {
            "index": list(TEXTS),
            **{f"g{i}": [float(i) - 15.5] * len(TEXTS) for i in range(len(LABELS))},
            "note": list(reversed(TEXTS)),
        }
    )
    columns = {
        "index": Col("=Code"),
        **{f"g{i}": Col(label, "num1") for i, label in enumerate(LABELS)},
        "note": Col("x;=1+1,y"),
    }
    return frame, columns


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_csv_export_header_index_and_data_cells_are_inert_split_on_either_separator(lang: str) -> None:
    frame, columns = _frame()
    data = to_csv(_context(lang), frame, columns)
    assert not csv_formula_cells("f.csv", data)  # split on ";", "," and tab
    own = csv_cells_split_by(data, ";" if lang == "fr" else ",")
    assert own[0] == [csv_text(c.label) for c in columns.values()]  # every label neutralised, one cell
    assert [row[0] for row in own[1:]] == [csv_text(t) for t in TEXTS]  # index cells
    assert [row[-1] for row in own[1:]] == [csv_text(t) for t in reversed(TEXTS)]
    assert csv_text("x,=1+1") == "x,'=1+1" and neutralise("=1+1") == "'=1+1"
    assert own[1][1] == ("-15,5" if lang == "fr" else "-15.5")  # numbers stay numbers


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_xlsx_export_writes_labels_and_text_as_quote_prefixed_strings(lang: str) -> None:
    frame, columns = _frame()
    sheet = load_workbook(io.BytesIO(to_xlsx(_context(lang), frame, columns))).active
    header = [cell for cell in sheet[1]]
    assert [c.value for c in header] == [c.label for c in columns.values()]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert all(c.quotePrefix for c in cells if isinstance(c.value, str) and formula_like(c.value))
    assert header[1].quotePrefix and header[1].data_type == "s"
    assert isinstance(sheet["B2"].value, float)
    assert not export_problems([Download("k", "l", "f.xlsx", "x", to_xlsx(_context(lang), frame, columns))])


def test_one_writer_quotes_every_text_cell_and_leaves_numbers_bare() -> None:
    data = csv_bytes([["a", "x;=1+1", "=1", 12.5, -15, None, True]], ";", decimal=",", bom=False)
    assert data == b'"a";"x;\'=1+1";"\'=1";12,5;-15;;"True"\r\n'


@pytest.fixture(scope="module")
def formula_theme_db(page_db: Path | str) -> Path | str:
    """Every active organisation's thematic area is a formula (``=1+1``, or ``@SUM(1,1)`` and disability),
    as a registry written before the vocabulary check could hold."""
    store = open_store(page_db)
    codes = store.query("SELECT code FROM organizations WHERE active ORDER BY code")["code"].to_list()
    half = len(codes) // 2

    def plant(cur) -> None:
        cur.execute("UPDATE organizations SET thematic_areas = ['=1+1'] WHERE list_contains(?, code)", [codes[:half]])
        cur.execute("UPDATE organizations SET thematic_areas = ['@SUM(1,1)', 'disability'] "
                    "WHERE list_contains(?, code)", [codes[half:]])

    store.write(plant)
    return page_db


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_compare_peer_groups_by_theme_downloads_no_live_header(formula_theme_db: Path, lang: str) -> None:
    at = open_page(start(formula_theme_db, identity="steering", lang=lang), "compare")
    at.radio(key="compare_mode").set_value("groups").run()
    at.radio(key="compare_group_by").set_value("thematic_area").run()
    assert not at.exception, [e.value for e in at.exception]
    files = {f.key: f for f in downloads(at)}
    table_csv, table_xlsx = files["compare_group_indicators_csv"], files["compare_group_indicators_csv_xlsx"]
    header = csv_cells_split_by(table_csv.data, ";" if lang == "fr" else ",")[0]
    assert "'=1+1" in header and "'@SUM(1,1)" in header  # the group values did become column labels
    xlsx_header = [c.value for c in next(load_workbook(io.BytesIO(table_xlsx.data)).active.iter_rows())]
    assert "=1+1" in xlsx_header and "@SUM(1,1)" in xlsx_header
    assert not export_problems(list(files.values())), export_problems(list(files.values()))[:5]
