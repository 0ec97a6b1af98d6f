"""Upload helpers, pure and testable: the template as bytes, the file annotated with its errors,
and the preview of what a validated file would change.
"""

from __future__ import annotations

import io
import logging
import tempfile
from pathlib import Path

import polars as pl
from openpyxl.styles import Font

from framework.model import Framework
from ingest import safe_write
from ingest.pipeline import Limits
from ingest.read import read_table
from ingest.template import TemplateFormat, write_template
from store.reads.common import BREAKDOWN_KEYS

_log = logging.getLogger(__name__)

MIME = {
    "csv": "text/csv",
    "txt": "text/plain",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def template_bytes(framework: Framework, org_code: str, period: str, lang: str, fmt: TemplateFormat) -> bytes:
    """The ready-to-fill template, written by ``ingest.template`` to a temporary file."""
    with tempfile.TemporaryDirectory(prefix="athar-template-") as tmp:
        path = write_template(framework, org_code, period, lang, fmt, Path(tmp) / f"template.{fmt}")
        return path.read_bytes()


def annotated_copy(data: bytes, file_name: str, report: pl.DataFrame, error_header: str) -> bytes | None:
    """The uploaded file given back with one more column holding each line's problems.

    An XLSX upload comes back as the same workbook (the sheet that was read gets the column after
    its last one); a CSV or text upload as a CSV in its own delimiter (UTF-8 with BOM, every cell
    quoted). ``report`` is a rendered report (``line``, ``column``, ``message``, ``hint``).
    Problems of the file or its header go into the new column's header so every data row stays
    on its Excel line. Every cell Athar writes goes through ``ingest.safe_write`` (quote-prefixed
    when a spreadsheet could run it as a formula, OWASP). None when the file could not be read as
    a table at all.
    """
    raw = read_table(data, file_name, max_bytes=Limits().max_bytes, max_rows=Limits().max_rows)
    if raw.frame.is_empty():
        return None
    below = pl.col("line").is_not_null() & (pl.col("line") > raw.header_line)
    per_line = (
        report.filter(below)
        .with_columns(
            text=pl.concat_str(
                [
                    pl.col("column").fill_null(""),
                    pl.lit(": "),
                    pl.col("message"),
                    pl.lit(" → "),
                    pl.col("hint"),
                ]
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


def breakdown_text(frame: pl.DataFrame) -> pl.Expr:
    """``sex=F, area=rural`` from the breakdown columns (empty for a total)."""
    parts = [
        pl.when(pl.col(k).is_not_null()).then(pl.lit(f"{k}=") + pl.col(k)).otherwise(None)
        for k in BREAKDOWN_KEYS
        if k in frame.columns
    ]
    return pl.concat_str(parts, separator=", ", ignore_nulls=True) if parts else pl.lit("")


def preview(rows: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
    """What would be stored, beside the current value for the same key: new, changed or unchanged."""
    keys = ["org_code", "indicator_code", "period", *BREAKDOWN_KEYS]
    now = (
        current.select(*keys, "current_value", "current_submission")
        if current.height
        else pl.DataFrame(
            schema={
                **{k: pl.String for k in keys},
                "current_value": pl.Float64,
                "current_submission": pl.Int64,
            }
        )
    )
    joined = rows.join(now, on=keys, how="left", nulls_equal=True)
    return joined.with_columns(
        breakdown=breakdown_text(joined),
        change=pl.when(pl.col("current_value").is_null())
        .then(pl.lit("new"))
        .when(pl.col("current_value") == pl.col("value"))
        .then(pl.lit("unchanged"))
        .otherwise(pl.lit("changed")),
        difference=pl.col("value") - pl.col("current_value"),
    ).sort("line")


