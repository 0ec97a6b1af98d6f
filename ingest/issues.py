"""Validation issues: stable codes, severities, and the report frame every stage appends to.

Modelled on frictionless' typed errors: each problem has a stable ``code`` (the same in the CLI,
the JSON report, the dashboard and the tests), a position (``line`` as Excel shows it, header =
line 1, and ``column`` as written in the file), the offending ``value``, what was ``expected``,
and a message + hint rendered from the fr/ar/en catalogues at display time, never stored text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from i18n import catalogue, t


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


#: Every code a report may contain, with its severity. Adding a code means adding its
#: ``ingest.<code>.message`` and ``ingest.<code>.hint`` in fr, ar and en (a test checks it).
ISSUE_CODES: dict[str, Severity] = {
    # the file as a whole
    "empty_file": Severity.ERROR,
    "file_too_large": Severity.ERROR,
    "unsupported_format": Severity.ERROR,
    "binary_file": Severity.ERROR,
    "encrypted_workbook": Severity.ERROR,
    "undecodable_text": Severity.ERROR,
    "not_a_table": Severity.ERROR,
    "no_data_rows": Severity.ERROR,
    "too_many_rows": Severity.ERROR,
    "xlsx_invalid": Severity.ERROR,
    "damaged_workbook": Severity.ERROR,
    "xlsx_no_sheet": Severity.ERROR,
    "xlsx_several_sheets": Severity.ERROR,
    "text_question_marks": Severity.WARNING,
    "text_mojibake": Severity.WARNING,
    # header
    "missing_column": Severity.ERROR,
    "duplicate_column": Severity.ERROR,
    "unknown_column": Severity.WARNING,
    "unnamed_column": Severity.ERROR,
    "stray_cells": Severity.WARNING,
    "hidden_column": Severity.WARNING,
    "breakdown_like_column": Severity.ERROR,
    # rows and cells
    "wrong_cell_count": Severity.ERROR,
    "unclosed_quote": Severity.ERROR,
    "scaled_column": Severity.ERROR,
    "decimal_comma_split": Severity.ERROR,
    "period_kind_mismatch": Severity.ERROR,
    "note_row": Severity.WARNING,
    "number_as_date": Severity.ERROR,
    "january_or_year": Severity.WARNING,
    "planned_column": Severity.WARNING,
    "rows_in_cell": Severity.ERROR,
    "formula_without_value": Severity.ERROR,
    "cell_too_long": Severity.ERROR,
    "empty_required": Severity.ERROR,
    "unknown_org": Severity.ERROR,
    "other_org": Severity.ERROR,
    "unknown_indicator": Severity.ERROR,
    "derived_indicator": Severity.ERROR,
    "not_a_number": Severity.ERROR,
    "excel_error": Severity.ERROR,
    "scientific_notation": Severity.ERROR,
    "mixed_digits": Severity.ERROR,
    "ambiguous_number": Severity.ERROR,
    "out_of_range": Severity.ERROR,
    "not_integer": Severity.ERROR,
    "unit_mismatch": Severity.ERROR,
    "invalid_period": Severity.ERROR,
    "future_period": Severity.ERROR,
    "period_in_progress": Severity.WARNING,
    "percent_as_fraction": Severity.WARNING,
    "invalid_breakdown": Severity.ERROR,
    "duplicate_key": Severity.ERROR,
    "repeated_header": Severity.WARNING,
    "total_row": Severity.WARNING,
    # organisation registry files
    "invalid_value": Severity.ERROR,
    "duplicate_org": Severity.ERROR,
}

#: Schema of a report frame. ``line`` is null for file-level problems.
ISSUE_SCHEMA: dict[str, pl.DataType] = {
    "line": pl.Int64(),
    "column": pl.String(),
    "code": pl.String(),
    "severity": pl.String(),
    "value": pl.String(),
    "expected": pl.String(),
}


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found outside the vectorised row checks (file- and header-level)."""

    code: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None

    def as_row(self) -> dict[str, object]:
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "severity": ISSUE_CODES[self.code].value,
            "value": self.value,
            "expected": self.expected,
        }


def issues_frame(issues: list[Issue] | tuple[Issue, ...] = ()) -> pl.DataFrame:
    """A report frame from a few scalar issues (file- or header-level)."""
    return pl.DataFrame([i.as_row() for i in issues], schema=ISSUE_SCHEMA, orient="row")


def empty_issues() -> pl.DataFrame:
    return pl.DataFrame(schema=ISSUE_SCHEMA)


def cell_issues(
    rows: pl.DataFrame,
    code: str,
    column: str,
    value: pl.Expr | None = None,
    expected: pl.Expr | str | None = None,
) -> pl.DataFrame:
    """Vectorised: one issue per row of ``rows`` (which must carry ``__line``)."""
    expected_expr = pl.lit(expected, pl.String) if expected is None or isinstance(expected, str) else expected
    return rows.select(
        pl.col("__line").cast(pl.Int64).alias("line"),
        pl.lit(column, pl.String).alias("column"),
        pl.lit(code, pl.String).alias("code"),
        pl.lit(ISSUE_CODES[code].value, pl.String).alias("severity"),
        (value if value is not None else pl.lit(None, pl.String)).cast(pl.String).alias("value"),
        expected_expr.cast(pl.String).alias("expected"),
    )


def sort_issues(frame: pl.DataFrame) -> pl.DataFrame:
    """File-level first, then by line; errors before warnings on the same line."""
    return frame.sort(["line", "severity", "column"], nulls_last=False)


def render_message(code: str, lang: str, value: str | None, expected: str | None, column: str | None) -> str:
    return t(f"ingest.{code}.message", lang, value=value or "", expected=expected or "", column=column or "")


def render_hint(code: str, lang: str, value: str | None, expected: str | None, column: str | None) -> str:
    """The hint of ``code``; its ``hint_suggestion`` variant when there is one and a suggestion
    (``expected``) to make ("did you mean R01?")."""
    key = f"ingest.{code}.hint_suggestion"
    if not expected or key not in catalogue(lang):
        key = f"ingest.{code}.hint"
    return t(key, lang, value=value or "", expected=expected or "", column=column or "")


def render_report(frame: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Add ``message`` and ``hint`` in ``lang``. Runs once per distinct issue, not per row."""
    keys = frame.select("code", "value", "expected", "column").unique()
    texts = keys.with_columns(
        pl.struct(keys.columns)
        .map_elements(
            lambda s: render_message(s["code"], lang, s["value"], s["expected"], s["column"]),
            return_dtype=pl.String,
        )
        .alias("message"),
        pl.struct(keys.columns)
        .map_elements(
            lambda s: render_hint(s["code"], lang, s["value"], s["expected"], s["column"]),
            return_dtype=pl.String,
        )
        .alias("hint"),
    )
    return frame.join(texts, on=["code", "value", "expected", "column"], how="left", nulls_equal=True)
