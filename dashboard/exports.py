"""CSV and XLSX exports of a table, and download buttons that check access again at click time.

Every cell goes through ``ingest.safe_write``, the one neutralising writer: text (header
included) is quoted or written as text, never run by a spreadsheet as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from itertools import chain

import polars as pl
import streamlit as st

from dashboard.cells import Col, display
from dashboard.context import PageContext
from ingest import safe_write
from ingest.template import CSV_DELIMITERS

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_cell(value: object, col: Col, ctx: PageContext) -> object:
    """What :func:`to_csv` hands the writer: numbers as numbers (percentages in points), the rest
    as the text a person reads in the table."""
    if value is None:
        return None
    if isinstance(value, bool) or col.kind in ("text", "code", "list", "date", "datetime"):
        return display(value, col.kind, ctx) if col.kind == "list" else str(value)
    if isinstance(value, int | float):
        return value * 100 if col.kind in ("pct", "pct1") else value
    return str(value)


def to_csv(ctx: PageContext, frame: pl.DataFrame, columns: dict[str, Col]) -> bytes:
    """CSV as the user's Excel opens it: BOM, ``;`` and decimal comma in fr/ar; every text cell,
    header included, quoted and neutralised by ``ingest.safe_write``."""
    cols = list(columns.values())
    rows = (
        [_csv_cell(v, col, ctx) for v, col in zip(row, cols, strict=True)]
        for row in frame.select(list(columns)).iter_rows()
    )
    decimal = "," if ctx.lang in ("fr", "ar") else "."
    header = [col.label for col in cols]
    return safe_write.csv_bytes(chain([header], rows), CSV_DELIMITERS.get(ctx.lang, ","), decimal=decimal)


def to_xlsx(ctx: PageContext, frame: pl.DataFrame, columns: dict[str, Col]) -> bytes:
    """XLSX of the same rows: numbers stay numbers, text (header included) is written as text by
    ``ingest.safe_write``, never a formula, quote-prefixed when a spreadsheet could run it."""
    out = io.BytesIO()
    book = safe_write.xlsx_workbook(out, in_memory=True)
    text = safe_write.XlsxText(book)
    sheet = book.add_worksheet("Athar")
    if ctx.rtl:
        sheet.right_to_left()
    dated = book.add_format({"num_format": "yyyy-mm-dd"})
    stamped = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    percent = book.add_format({"num_format": "0.0%"})
    text.write_row(sheet, 0, 0, [col.label for col in columns.values()], {"bold": True})
    for i, row in enumerate(frame.select(list(columns)).iter_rows(), start=1):
        for j, (value, col) in enumerate(zip(row, columns.values(), strict=True)):
            if value is None or (isinstance(value, float) and value != value):
                continue
            if isinstance(value, bool):
                text.write(sheet, i, j, ctx.t("common.yes") if value else ctx.t("common.no"))
            elif isinstance(value, int | float) and col.kind not in ("text", "code"):
                sheet.write_number(i, j, float(value), percent if col.kind in ("pct", "pct1") else None)
            elif isinstance(value, datetime):
                sheet.write_datetime(i, j, value, stamped)
            elif isinstance(value, date):
                sheet.write_datetime(i, j, datetime(value.year, value.month, value.day), dated)
            else:
                text.write(sheet, i, j, display(value, col.kind, ctx) if col.kind == "list" else value)
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


def download(
    ctx: PageContext,
    label: str,
    make: Callable[[], bytes | str],
    file_name: str,
    mime: str,
    *,
    key: str,
    **kwargs,
) -> None:
    """A download button whose data is produced at click time, after access is checked again."""
    from dashboard.access import guarded

    data = make
    if ctx.identity is not None:
        data = guarded(ctx.store, ctx.identity, file_name, make, ctx.t("access.download_refused"))
    st.download_button(label, data=data, file_name=file_name, mime=mime, key=key, on_click="ignore", **kwargs)


def csv_download(
    ctx: PageContext, frame: pl.DataFrame, columns: dict[str, Col], file_name: str, *, key: str
) -> None:
    """CSV and XLSX exports of ``frame`` (all its rows; the viewer's scope was applied by the read)."""
    with st.container(horizontal=True, gap="small"):
        download(
            ctx,
            ctx.t("common.download_csv"),
            lambda: to_csv(ctx, frame, columns),
            file_name,
            "text/csv",
            key=key,
            icon=":material/download:",
        )
        download(
            ctx,
            ctx.t("common.download_xlsx"),
            lambda: to_xlsx(ctx, frame, columns),
            file_name.removesuffix(".csv") + ".xlsx",
            XLSX_MIME,
            key=f"{key}_xlsx",
            icon=":material/table_view:",
        )
