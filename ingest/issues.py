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
from ingest.rules.part_texts import detail_params


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Level(StrEnum):
    """Where a problem sits: the whole file, the header, a line, or one cell."""

    FILE = "file"
    HEADER = "header"
    ROW = "row"
    CELL = "cell"


class IssueCode(StrEnum):
    """Every code a report may contain: its stable text (the value, the same in the JSON report, the
    database and the catalogues), its level, its severity and the parameters its message and hint
    use (``{column}``, ``{value}``, ``{expected}``). Adding a code means adding its
    ``ingest.<code>.message`` and ``ingest.<code>.hint`` in fr, ar and en with exactly those
    placeholders (a test checks it)."""

    level: Level
    severity: Severity
    params: tuple[str, ...]

    def __new__(cls, value: str, level: Level, severity: Severity, params: tuple[str, ...]) -> IssueCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.level = level
        member.severity = severity
        member.params = params
        return member

    # the file as a whole
    EMPTY_FILE = "empty_file", Level.FILE, Severity.ERROR, ()
    FILE_TOO_LARGE = "file_too_large", Level.FILE, Severity.ERROR, ("value", "expected")
    UNSUPPORTED_FORMAT = "unsupported_format", Level.FILE, Severity.ERROR, ("value",)
    BINARY_FILE = "binary_file", Level.FILE, Severity.ERROR, ()
    ENCRYPTED_WORKBOOK = "encrypted_workbook", Level.FILE, Severity.ERROR, ()
    UNDECODABLE_TEXT = "undecodable_text", Level.FILE, Severity.ERROR, ()
    NOT_A_TABLE = "not_a_table", Level.FILE, Severity.ERROR, ()
    NO_DATA_ROWS = "no_data_rows", Level.FILE, Severity.ERROR, ()
    TOO_MANY_ROWS = "too_many_rows", Level.FILE, Severity.ERROR, ("value", "expected")
    XLSX_INVALID = "xlsx_invalid", Level.FILE, Severity.ERROR, ("value",)
    DAMAGED_WORKBOOK = "damaged_workbook", Level.FILE, Severity.ERROR, ("value",)
    XLSX_NO_SHEET = "xlsx_no_sheet", Level.FILE, Severity.ERROR, ()
    XLSX_SEVERAL_SHEETS = "xlsx_several_sheets", Level.FILE, Severity.ERROR, ("value", "expected")
    TEXT_QUESTION_MARKS = "text_question_marks", Level.FILE, Severity.WARNING, ("value",)
    TEXT_MOJIBAKE = "text_mojibake", Level.FILE, Severity.WARNING, ("value",)
    # header
    MISSING_COLUMN = "missing_column", Level.HEADER, Severity.ERROR, ("column", "expected")
    DUPLICATE_COLUMN = "duplicate_column", Level.HEADER, Severity.ERROR, ("column", "value")
    UNKNOWN_COLUMN = "unknown_column", Level.HEADER, Severity.WARNING, ("column", "expected")
    UNNAMED_COLUMN = "unnamed_column", Level.HEADER, Severity.ERROR, ("column", "value")
    STRAY_CELLS = "stray_cells", Level.HEADER, Severity.WARNING, ("column", "value")
    HIDDEN_COLUMN = "hidden_column", Level.HEADER, Severity.WARNING, ("column", "value")
    BREAKDOWN_LIKE_COLUMN = "breakdown_like_column", Level.HEADER, Severity.ERROR, ("column", "expected")
    SCALED_COLUMN = "scaled_column", Level.HEADER, Severity.ERROR, ("column", "value")
    PLANNED_COLUMN = "planned_column", Level.HEADER, Severity.WARNING, ("column",)
    # rows and cells
    WRONG_CELL_COUNT = "wrong_cell_count", Level.ROW, Severity.ERROR, ("value", "expected")
    UNCLOSED_QUOTE = "unclosed_quote", Level.ROW, Severity.ERROR, ("value",)
    DECIMAL_COMMA_SPLIT = "decimal_comma_split", Level.CELL, Severity.ERROR, ("value",)
    PERIOD_KIND_MISMATCH = "period_kind_mismatch", Level.CELL, Severity.ERROR, ("column", "value", "expected")
    NOTE_ROW = "note_row", Level.ROW, Severity.WARNING, ("value",)
    NUMBER_AS_DATE = "number_as_date", Level.CELL, Severity.ERROR, ("column", "value", "expected")
    JANUARY_OR_YEAR = "january_or_year", Level.CELL, Severity.WARNING, ("value", "expected")
    ROWS_IN_CELL = "rows_in_cell", Level.CELL, Severity.ERROR, ("value", "expected")
    FORMULA_WITHOUT_VALUE = "formula_without_value", Level.CELL, Severity.ERROR, ("value",)
    CELL_TOO_LONG = "cell_too_long", Level.CELL, Severity.ERROR, ("value", "expected")
    EMPTY_REQUIRED = "empty_required", Level.CELL, Severity.ERROR, ("column",)
    UNKNOWN_ORG = "unknown_org", Level.CELL, Severity.ERROR, ("value", "expected")
    OTHER_ORG = "other_org", Level.CELL, Severity.ERROR, ("value", "expected")
    SHARED_WITH_UNKNOWN = "shared_with_unknown", Level.CELL, Severity.ERROR, ("column", "value")
    SHARED_WITH_ITSELF = "shared_with_itself", Level.CELL, Severity.ERROR, ("column", "value")
    SHARED_COUNT_INVALID = "shared_count_invalid", Level.CELL, Severity.ERROR, ("column", "value", "expected")
    PROGRAMME_INVALID = "programme_invalid", Level.CELL, Severity.ERROR, ("column", "value")
    UNKNOWN_INDICATOR = "unknown_indicator", Level.CELL, Severity.ERROR, ("value", "expected")
    DERIVED_INDICATOR = "derived_indicator", Level.CELL, Severity.ERROR, ("value", "expected")
    NOT_A_NUMBER = "not_a_number", Level.CELL, Severity.ERROR, ("value",)
    EXCEL_ERROR = "excel_error", Level.CELL, Severity.ERROR, ("value",)
    SCIENTIFIC_NOTATION = "scientific_notation", Level.CELL, Severity.ERROR, ("value",)
    MIXED_DIGITS = "mixed_digits", Level.CELL, Severity.ERROR, ("value",)
    AMBIGUOUS_NUMBER = "ambiguous_number", Level.CELL, Severity.ERROR, ("value",)
    OUT_OF_RANGE = "out_of_range", Level.CELL, Severity.ERROR, ("value", "expected")
    NOT_INTEGER = "not_integer", Level.CELL, Severity.ERROR, ("value", "expected")
    UNIT_MISMATCH = "unit_mismatch", Level.CELL, Severity.ERROR, ("value", "expected")
    INVALID_PERIOD = "invalid_period", Level.CELL, Severity.ERROR, ("value",)
    FUTURE_PERIOD = "future_period", Level.CELL, Severity.ERROR, ("value",)
    PERIOD_IN_PROGRESS = "period_in_progress", Level.CELL, Severity.WARNING, ("value", "expected")
    PERCENT_AS_FRACTION = "percent_as_fraction", Level.CELL, Severity.WARNING, ("value", "expected")
    INVALID_BREAKDOWN = "invalid_breakdown", Level.CELL, Severity.ERROR, ("column", "value", "expected")
    DUPLICATE_KEY = "duplicate_key", Level.ROW, Severity.ERROR, ("expected",)
    REPEATED_HEADER = "repeated_header", Level.ROW, Severity.WARNING, ()
    TOTAL_ROW = "total_row", Level.ROW, Severity.WARNING, ("value",)
    # parts within totals (ingest.rules.parts): ``expected`` holds both sides, see ingest.rules.part_texts
    PART_ABOVE_WHOLE = "part_above_whole", Level.ROW, Severity.ERROR, (
        "part", "part_value", "part_line", "whole", "whole_value", "whole_line", "cell")
    PART_ABOVE_STORED_WHOLE = "part_above_stored_whole", Level.ROW, Severity.ERROR, (
        "part", "part_value", "part_line", "whole", "whole_value", "whole_line", "whole_file", "org", "period",
        "cell")
    WHOLE_BELOW_STORED_PART = "whole_below_stored_part", Level.ROW, Severity.ERROR, (
        "part", "part_value", "part_line", "part_file", "whole", "whole_value", "whole_line", "org", "period",
        "cell")
    BREAKDOWN_ABOVE_TOTAL = "breakdown_above_total", Level.ROW, Severity.ERROR, (
        "indicator", "dimension", "cells", "sum", "total", "total_where", "cell")
    # narratives (ingest.narratives): a Récit sheet, narrative rows or the form's text areas
    NARRATIVE_UNKNOWN_PRINCIPLE = "narrative_unknown_principle", Level.CELL, Severity.ERROR, ("column", "value", "expected")
    NARRATIVE_EMPTY_TEXT = "narrative_empty_text", Level.CELL, Severity.ERROR, ("column",)
    NARRATIVE_TOO_LONG = "narrative_too_long", Level.CELL, Severity.ERROR, ("column", "value", "expected")
    NARRATIVE_BAD_URL = "narrative_bad_url", Level.CELL, Severity.ERROR, ("column", "value")
    NARRATIVE_BAD_LANGUAGE = "narrative_bad_language", Level.CELL, Severity.ERROR, ("column", "value", "expected")
    NARRATIVE_NO_LANGUAGE = "narrative_no_language", Level.CELL, Severity.ERROR, ("column", "expected")
    NARRATIVE_DUPLICATE = "narrative_duplicate", Level.ROW, Severity.ERROR, ("column", "value", "expected")
    NARRATIVE_OTHER_ORG = "narrative_other_org", Level.CELL, Severity.ERROR, ("column", "value", "expected")
    NARRATIVE_BAD_PERIOD = "narrative_bad_period", Level.CELL, Severity.ERROR, ("column", "value", "expected")
    # organisation registry files
    INVALID_VALUE = "invalid_value", Level.CELL, Severity.ERROR, ("column", "value", "expected")
    DUPLICATE_ORG = "duplicate_org", Level.ROW, Severity.ERROR, ("value", "expected")
    UNKNOWN_THEME = "unknown_theme", Level.CELL, Severity.ERROR, ("column", "value", "expected")


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

    code: IssueCode
    line: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None

    def as_row(self) -> dict[str, object]:
        code = IssueCode(self.code)
        return {
            "line": self.line,
            "column": self.column,
            "code": code.value,
            "severity": code.severity.value,
            "value": self.value,
            "expected": self.expected,
        }


def issues_frame(issues: list[Issue] | tuple[Issue, ...] = ()) -> pl.DataFrame:
    """A report frame from a few scalar issues (file- or header-level)."""
    if not issues:  # (the usual header: nothing to report, and a frame from rows costs as one from a schema)
        return empty_issues()
    return pl.DataFrame([i.as_row() for i in issues], schema=ISSUE_SCHEMA, orient="row")


def empty_issues() -> pl.DataFrame:
    """A new empty report frame (cleared from one made once: building a frame from its schema costs
    a hundred times more, and a file's check asks for several)."""
    return _NO_ISSUES.clear()


_NO_ISSUES = pl.DataFrame(schema=ISSUE_SCHEMA)


def cell_issues(
    rows: pl.DataFrame,
    code: IssueCode,
    column: str | None,
    value: pl.Expr | None = None,
    expected: pl.Expr | str | None = None,
) -> pl.DataFrame:
    """Vectorised: one issue per row of ``rows`` (which must carry ``__line``)."""
    code = IssueCode(code)
    expected_expr = pl.lit(expected, pl.String) if expected is None or isinstance(expected, str) else expected
    return rows.select(
        pl.col("__line").cast(pl.Int64).alias("line"),
        pl.lit(column, pl.String).alias("column"),
        pl.lit(code.value, pl.String).alias("code"),
        pl.lit(code.severity.value, pl.String).alias("severity"),
        (value if value is not None else pl.lit(None, pl.String)).cast(pl.String).alias("value"),
        expected_expr.cast(pl.String).alias("expected"),
    )


def sort_issues(frame: pl.DataFrame) -> pl.DataFrame:
    """File-level first, then by line; errors before warnings on the same line."""
    return frame.sort(["line", "severity", "column"], nulls_last=False)


def _params(code: str, lang: str, value: str | None, expected: str | None, column: str | None) -> dict[str, str]:
    """What a template may use: the issue's value, expected and column, and for the part-within-total
    problems the words of both sides (``ingest.rules.part_texts``)."""
    return {"value": value or "", "expected": expected or "", "column": column or "",
            **detail_params(code, expected, lang)}


def render_message(code: str, lang: str, value: str | None, expected: str | None, column: str | None) -> str:
    return t(f"ingest.{code}.message", lang, **_params(code, lang, value, expected, column))


def render_hint(code: str, lang: str, value: str | None, expected: str | None, column: str | None) -> str:
    """The hint of ``code``; its ``hint_suggestion`` variant when there is one and a suggestion
    (``expected``) to make ("did you mean R01?")."""
    key = f"ingest.{code}.hint_suggestion"
    if not expected or key not in catalogue(lang):
        key = f"ingest.{code}.hint"
    return t(key, lang, **_params(code, lang, value, expected, column))


def render_report(frame: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Add ``message`` and ``hint`` in ``lang``. Runs once per distinct issue, not per row."""
    keys = frame.select("code", "value", "expected", "column").unique()
    rows = keys.rows()  # rendered here, in this thread: never Python inside Polars (see dashboard/lookup.py)
    texts = keys.with_columns(
        pl.Series("message", [render_message(c, lang, v, e, col) for c, v, e, col in rows], dtype=pl.String),
        pl.Series("hint", [render_hint(c, lang, v, e, col) for c, v, e, col in rows], dtype=pl.String),
    )
    return frame.join(texts, on=["code", "value", "expected", "column"], how="left", nulls_equal=True)
