"""The in-app form as a file: the lines a form offers, and what a member typed there as the CSV a
filled-in template would be.

One source of truth: the form's values are written as the template's CSV (same columns, the
language's delimiter, units in words) and go through ``ingest.pipeline`` like an uploaded file, so
a value the form refuses is refused with the very message a file gets, and one the form accepts is
stored, superseded and audited exactly as a file's. Each form line has a fixed position in that
CSV, so the report's ``line`` (header = line 1) points back to the field.
"""

from __future__ import annotations

import polars as pl

from framework.model import Framework, UnitKind
from framework.periods import due_period, period_bounds
from ingest import safe_write
from ingest.template import CSV_DELIMITERS

#: The breakdown the form offers under counts, when the framework declares it complete (its values
#: cover everyone, so parts add up to at most the total). One, so the form stays short on a phone;
#: other breakdowns still come by file.
FORM_BREAKDOWN = "sex"
#: The columns of the CSV a form gives (a subset of the template's, plus the breakdown).
FORM_COLUMNS: tuple[str, ...] = (
    "org_code",
    "indicator_code",
    "period",
    "value",
    "unit",
    FORM_BREAKDOWN,
    "notes",
    "source",
)
#: What a person types on a form line.
ENTRY_COLUMNS: tuple[str, ...] = ("value", "notes", "source")
LINE_SCHEMA = {"field": pl.String(), "indicator_code": pl.String(), FORM_BREAKDOWN: pl.String()}


def form_lines(framework: Framework, expected: list[str]) -> pl.DataFrame:
    """The form's lines: field (a stable widget key), indicator_code, sex (null on the total line).

    ``expected``: the organisation's expected indicators (``metrics.expectations``), shown in the
    framework's order. A count (a whole-number unit) gets a line per value of the form's breakdown
    under its total, when the framework declares that breakdown complete.
    """
    wanted = set(expected)
    order = [i.code for i in framework.indicators if i.code in wanted and not i.derived]
    counts = [c for c in order if framework.unit_of(c).kind is UnitKind.INTEGER]
    values = (
        framework.breakdowns[FORM_BREAKDOWN].values if FORM_BREAKDOWN in framework.complete_breakdowns else ()
    )
    totals = pl.DataFrame(
        {"indicator_code": order, FORM_BREAKDOWN: [None] * len(order)},
        schema={"indicator_code": pl.String(), FORM_BREAKDOWN: pl.String()},
    )
    parts = pl.DataFrame({"indicator_code": counts}, schema={"indicator_code": pl.String()}).join(
        pl.DataFrame({FORM_BREAKDOWN: list(values)}, schema={FORM_BREAKDOWN: pl.String()}), how="cross"
    )
    rank = {code: n for n, code in enumerate(order)}
    lines = pl.concat([totals, parts]).with_columns(
        rank=pl.col("indicator_code").replace_strict(rank, return_dtype=pl.Int64),
        field=pl.col("indicator_code") + pl.lit("__") + pl.col(FORM_BREAKDOWN).fill_null("total"),
    )
    return lines.sort("rank", pl.col(FORM_BREAKDOWN).is_not_null(), FORM_BREAKDOWN).select(LINE_SCHEMA.keys())


def previous_period(period: str) -> str:
    """The period before ``period``, of the same granularity (the form's reference values)."""
    granularity, start, _ = period_bounds(period)
    return due_period(start, granularity)


def form_file(
    framework: Framework, lines: pl.DataFrame, entries: pl.DataFrame, org_code: str, period: str, lang: str
) -> tuple[bytes, pl.DataFrame]:
    """The CSV a filled template would be, and which report line is which field.

    ``entries``: field, value, notes, source as typed (text; blank = nothing typed). A line with
    nothing typed is left out, as a member leaves a template row empty; everything else is written
    as typed, so a word in a number reaches the validation as it would from a file. Returns the
    bytes and a frame (line, field) — header = line 1, the first value line 2.
    """
    typed = (
        lines.join(entries, on="field", how="left")
        .with_columns(pl.col(c).cast(pl.String).str.strip_chars().replace("", None) for c in ENTRY_COLUMNS)
        .filter(pl.any_horizontal(pl.col(c).is_not_null() for c in ENTRY_COLUMNS))
    )
    units = {i.code: framework.unit_of(i.code).name.get(lang) for i in framework.indicators}
    table = typed.with_columns(
        org_code=pl.lit(org_code),
        period=pl.lit(period),
        unit=pl.col("indicator_code").replace_strict(units, return_dtype=pl.String),
    ).select(FORM_COLUMNS)
    data = safe_write.csv_frame_bytes(FORM_COLUMNS, table, CSV_DELIMITERS[lang])
    positions = typed.select(pl.int_range(2, typed.height + 2, dtype=pl.Int64).alias("line"), "field")
    return data, positions


def form_file_name(org_code: str, period: str) -> str:
    """How a form's submission is named in the submissions log and the audit (a CSV, like a file)."""
    return f"form_{org_code}_{period}.csv"
