"""Upload helpers, pure and testable: the template as bytes, the file annotated with its errors,
and the preview of what a validated file would change.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import polars as pl

from dashboard.ui import safe_cell
from framework.model import Framework
from ingest.pipeline import Limits
from ingest.read import read_table
from ingest.template import CSV_DELIMITERS, TemplateFormat, write_template
from store.views import BREAKDOWN_KEYS

MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def template_bytes(framework: Framework, org_code: str, period: str, lang: str, fmt: TemplateFormat) -> bytes:
    """The ready-to-fill template, written by ``ingest.template`` to a temporary file."""
    with tempfile.TemporaryDirectory(prefix="athar-template-") as tmp:
        path = write_template(framework, org_code, period, lang, fmt, Path(tmp) / f"template.{fmt}")
        return path.read_bytes()


def annotated_copy(data: bytes, file_name: str, report: pl.DataFrame, error_header: str) -> bytes | None:
    """The uploaded table with one more column holding each line's problems (CSV, UTF-8 with BOM).

    ``report`` is a rendered report (``line``, ``column``, ``message``, ``hint``). Problems of
    the file or its header (no line, or line 1) go into the new column's header so every data
    row stays on its Excel line. Every cell is written quote-prefixed when it starts with
    ``= + - @`` or a tab / line break, so no spreadsheet runs it as a formula (OWASP).
    Returns None when the file could not be read as a table at all.
    """
    raw = read_table(data, file_name, max_bytes=Limits().max_bytes, max_rows=Limits().max_rows)
    if raw.frame.is_empty():
        return None
    per_line = (
        report.filter(pl.col("line").is_not_null() & (pl.col("line") > 1))
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
    file_level = report.filter(pl.col("line").is_null() | (pl.col("line") <= 1))["message"].to_list()
    header_cell = error_header + (" — " + " | ".join(file_level) if file_level else "")
    cells = [c for c in raw.frame.columns if c != "__line"]
    rows = raw.frame.join(per_line, left_on="__line", right_on="line", how="left").sort("__line")
    delimiter = raw.delimiter if raw.delimiter in (",", ";", "\t", "|") else ","
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in raw.headers] + [safe_cell(header_cell)])
    for row in rows.select([*cells, "text"]).iter_rows():
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def annotated_name(file_name: str, suffix: str) -> str:
    return f"{Path(file_name).stem}_{suffix}.csv"


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


def csv_delimiter(lang: str) -> str:
    return CSV_DELIMITERS.get(lang, ",")
