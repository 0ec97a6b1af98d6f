"""The uploaded file given back with one more column holding each line's problems.

Built from the table the check already read (no second read of the bytes); every cell Athar
writes goes through ``ingest.safe_write``.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import polars as pl

from ingest import read as reading
from ingest import safe_write
from ingest.template import MIME

_log = logging.getLogger(__name__)


def annotated_copy(
    data: bytes, file_name: str, report: pl.DataFrame, error_header: str, *, raw: reading.RawTable | None = None
) -> bytes | None:
    """The upload with an error column; ``raw`` is the table the check read (read here when absent).

    An XLSX upload comes back as the same workbook (the sheet that was read gets the column after
    its last one); a CSV or text upload as a CSV in its own delimiter (UTF-8 with BOM, every cell
    quoted). ``report`` is a rendered report (``line``, ``column``, ``message``, ``hint``).
    Problems of the file or its header go into the new column's header so every data row stays
    on its Excel line; cells are quote-prefixed when a spreadsheet could run them (OWASP).
    None when the file could not be read as a table at all.
    """
    if raw is None:
        limits = reading.Limits()
        raw = reading.read_table(data, file_name, max_bytes=limits.max_bytes, max_rows=limits.max_rows)
    if raw.frame.is_empty():
        return None
    below = pl.col("line").is_not_null() & (pl.col("line") > raw.header_line)
    per_line = (
        report.filter(below)
        .with_columns(
            text=pl.concat_str(
                [pl.col("column").fill_null(""), pl.lit(": "), pl.col("message"), pl.lit(" → "), pl.col("hint")]
            ).str.strip_chars_start(": ")
        )
        .group_by("line")
        .agg(pl.col("text").str.join(" | "))
    )
    file_level = report.filter(~below)["message"].to_list()
    header_cell = error_header + (" — " + " | ".join(file_level) if file_level else "")
    if raw.file_format == "xlsx":
        return _annotated_workbook(data, raw.sheet, raw.header_line, per_line.sort("line"), header_cell)
    cells = [c for c in raw.frame.columns if c != "__line"]
    rows = raw.frame.join(per_line, left_on="__line", right_on="line", how="left").sort("__line")
    delimiter = raw.delimiter if raw.delimiter in (",", ";", "\t", "|") else ","
    return safe_write.csv_frame_bytes([*raw.headers, header_cell], rows.select([*cells, "text"]), delimiter)


def _annotated_workbook(
    data: bytes, sheet_name: str | None, header_line: int, per_line: pl.DataFrame, header_cell: str
) -> bytes | None:
    """The uploaded workbook, unchanged but for the error column on the sheet that was read."""
    from openpyxl import load_workbook
    from openpyxl.styles import Font

    try:
        book = load_workbook(io.BytesIO(data))
        sheet = book[sheet_name] if sheet_name in book.sheetnames else book.worksheets[0]
    except Exception:  # noqa: BLE001 — read once already; a workbook openpyxl cannot rewrite gets no copy
        _log.exception("annotating %r failed", sheet_name)
        return None
    column = sheet.max_column + 1
    safe_write.set_text(sheet.cell(header_line, column), header_cell)
    sheet.cell(header_line, column).font = Font(bold=True)
    for line, text in per_line.iter_rows():
        safe_write.set_text(sheet.cell(line, column), text)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def annotated_name(file_name: str, suffix: str) -> str:
    """The annotated copy's name: the upload's, suffixed, in the upload's format (xlsx, txt or csv)."""
    extension = Path(file_name).suffix.lower().lstrip(".")
    return f"{Path(file_name).stem}_{suffix}.{extension if extension in ('xlsx', 'txt') else 'csv'}"


def annotated_mime(file_name: str) -> str:
    """The MIME type of :func:`annotated_name`'s file."""
    return MIME[annotated_name(file_name, "x").rsplit(".", 1)[-1]]
