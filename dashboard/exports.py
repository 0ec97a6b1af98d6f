"""CSV and XLSX exports of a table, and download buttons that check access again at click time.

Every cell goes through ``ingest.safe_write``, the one neutralising writer: text (header
included) is quoted or written as text, never run by a spreadsheet as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import date, datetime
from itertools import chain

import polars as pl
import streamlit as st

from dashboard.cells import DIGITS, Col, display, row_kinds
from dashboard.context import PageContext
from dashboard.vocabulary_labels import with_export_column
from ingest import safe_write
from ingest.template import CSV_DELIMITERS

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


_TEXT_KINDS = ("text", "code", "list", "date", "datetime")
_WORD_KINDS = ("yesno", "yesshare", "trend", "bool")


def _shown_number(value: float, kind: str) -> float | int:
    """A number rounded as the table shows it (percentages of kind ``pct`` in points)."""
    points = value * 100 if kind in ("pct", "pct1") else value
    digits = DIGITS.get(kind, 1)
    return int(round(points)) if digits == 0 else round(points, digits)


def _export_cell(value: object, kind: str, ctx: PageContext) -> object:
    """What an export holds for one cell: numbers rounded as on screen, words for yes/no and
    trends, the rest as the text a person reads in the table."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if kind in _WORD_KINDS or isinstance(value, bool):
        return display(value, kind if kind in _WORD_KINDS else "bool", ctx)
    if kind in ("date", "datetime") and isinstance(value, date):
        return value  # XLSX writes a date; CSV its ISO text
    if kind in _TEXT_KINDS:
        return display(value, kind, ctx) if kind == "list" else str(value)
    if isinstance(value, int | float):
        return _shown_number(float(value), kind)
    return str(value)


def _full_cell(value: object, kind: str) -> object:
    """The unrounded value (percentages of kind ``pct`` in points, like the shown column)."""
    if not isinstance(value, int | float) or isinstance(value, bool) or kind in _WORD_KINDS:
        return None
    return value * 100 if kind in ("pct", "pct1") else value


def _iso(value: object) -> object:
    return str(value) if isinstance(value, date) else value


def _export_rows(
    ctx: PageContext, frame: pl.DataFrame, columns: dict[str, Col]
) -> tuple[list[str], Iterator[list[tuple[object, str, bool]]]]:
    """The header (translated; a full-precision column after each ``Col.full``) and the rows, as
    (raw value, the row's kind, whether this is the full-precision cell) per cell."""
    header: list[str] = []
    for col in columns.values():
        header.append(col.label)
        if col.full:
            header.append(ctx.t("tables.full_precision", label=col.label))
    kinds = [row_kinds(ctx, frame, name, col).to_list() for name, col in columns.items()]
    fulls = [col.full for col in columns.values()]

    def rows() -> Iterator[list[tuple[object, str, bool]]]:
        for i, row in enumerate(frame.select(list(columns)).iter_rows()):
            cells: list[tuple[object, str, bool]] = []
            for j, value in enumerate(row):
                cells.append((value, kinds[j][i], False))
                if fulls[j]:
                    cells.append((value, kinds[j][i], True))
            yield cells

    return header, rows()


def _with_vocabulary(
    ctx: PageContext, frame: pl.DataFrame, columns: dict[str, Col], vocabulary: str | None
) -> tuple[pl.DataFrame, dict[str, Col]]:
    """A table of indicators exported in a funder's vocabulary (the link's, or the committee's
    choice) carries the indicators' ``iris_metric`` or ``sdg_targets`` too (issue 14)."""
    vocabulary = vocabulary or ctx.vocabulary
    if vocabulary == "athar" or "indicator_code" not in frame.columns:  # nothing to add: no framework read
        return frame, columns
    frame, column = with_export_column(frame, ctx.framework, vocabulary)
    return frame, columns if column is None else {**columns, column: Col(column, "code")}


def to_csv(
    ctx: PageContext, frame: pl.DataFrame, columns: dict[str, Col], vocabulary: str | None = None
) -> bytes:
    """CSV as the user's Excel opens it: BOM, ``;`` and decimal comma in fr/ar; every text cell,
    header included, quoted and neutralised by ``ingest.safe_write``. Numbers are rounded as the
    table shows them (percentages in points); a ``Col.full`` column is followed by its unrounded value."""
    frame, columns = _with_vocabulary(ctx, frame, columns, vocabulary)
    header, rows = _export_rows(ctx, frame, columns)
    cells = (
        [_iso(_full_cell(v, kind) if full else _export_cell(v, kind, ctx)) for v, kind, full in row] for row in rows
    )
    decimal = "," if ctx.lang in ("fr", "ar") else "."
    return safe_write.csv_bytes(chain([header], cells), CSV_DELIMITERS.get(ctx.lang, ","), decimal=decimal)


def to_xlsx(
    ctx: PageContext, frame: pl.DataFrame, columns: dict[str, Col], vocabulary: str | None = None
) -> bytes:
    """XLSX of the same rows: numbers stay numbers, rounded and formatted as shown (percentages as
    percentages), the full value beside where ``Col.full``; text (header included) is written as
    text by ``ingest.safe_write``, never a formula, quote-prefixed when a spreadsheet could run it."""
    out = io.BytesIO()
    book = safe_write.xlsx_workbook(out, in_memory=True)
    text = safe_write.XlsxText(book)
    sheet = book.add_worksheet("Athar")
    if ctx.rtl:
        sheet.right_to_left()
    dated = book.add_format({"num_format": "yyyy-mm-dd"})
    stamped = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    fixed = {d: book.add_format({"num_format": "0" if d == 0 else "0." + "0" * d}) for d in (0, 1, 2)}
    percent = {d: book.add_format({"num_format": "0%" if d == 0 else "0." + "0" * d + "%"}) for d in (0, 1)}
    frame, columns = _with_vocabulary(ctx, frame, columns, vocabulary)
    header, rows = _export_rows(ctx, frame, columns)
    text.write_row(sheet, 0, 0, header, {"bold": True})
    for i, row in enumerate(rows, start=1):
        for j, (raw, kind, full) in enumerate(row):
            value = _full_cell(raw, kind) if full else _export_cell(raw, kind, ctx)
            if value is None:
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                if kind in ("pct", "pct1"):
                    share = float(raw) if full else round(float(raw), DIGITS[kind] + 2)
                    sheet.write_number(i, j, share, None if full else percent[DIGITS[kind]])
                else:
                    sheet.write_number(i, j, float(value), None if full else fixed.get(DIGITS.get(kind, 1)))
            elif isinstance(value, datetime):
                sheet.write_datetime(i, j, value, stamped)
            elif isinstance(value, date):
                sheet.write_datetime(i, j, datetime(value.year, value.month, value.day), dated)
            else:
                text.write(sheet, i, j, value)
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


def export_vocabulary(ctx: PageContext, frame: pl.DataFrame, *, key: str) -> str | None:
    """The committee's vocabulary for an export of indicators (None: the viewer's own, see ``to_csv``)."""
    if ctx.viewer.role != "steering" or "indicator_code" not in frame.columns:
        return None
    from dashboard.vocabulary_edit import vocabulary_choice

    return vocabulary_choice(ctx, key=key, compact=True)


def csv_download(
    ctx: PageContext, frame: pl.DataFrame, columns: dict[str, Col], file_name: str, *, key: str
) -> None:
    """CSV and XLSX exports of ``frame`` (all its rows; the viewer's scope was applied by the read).

    The committee may export a table of indicators in a funder's vocabulary (a choice beside the buttons)."""
    with st.container(horizontal=True, gap="small"):
        vocabulary = export_vocabulary(ctx, frame, key=f"{key}_vocab")
        download(
            ctx,
            ctx.t("common.download_csv"),
            lambda: to_csv(ctx, frame, columns, vocabulary),
            file_name,
            "text/csv",
            key=key,
            icon=":material/download:",
        )
        download(
            ctx,
            ctx.t("common.download_xlsx"),
            lambda: to_xlsx(ctx, frame, columns, vocabulary),
            file_name.removesuffix(".csv") + ".xlsx",
            XLSX_MIME,
            key=f"{key}_xlsx",
            icon=":material/table_view:",
        )
