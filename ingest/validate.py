"""Validation, vectorised: a table of text cells in, canonical rows and every problem out.

The rules live in ``ingest.rules``, one module per family (layout, shape, not-data lines, codes,
organisations, indicators, periods, values, breakdowns, duplicates); this module runs them in
order. Each rule is a Polars expression over the whole table producing issue rows (see
``ingest.issues``); no rule stops at the first problem, so the uploader gets the full list at
once. Rules that depend on another cell being valid skip rows where it is not (an unknown
indicator is reported once, not again as a unit or range problem), and a row with the wrong
number of cells is reported only as such, since its cells may be shifted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import polars as pl

from framework.model import BREAKDOWN_COLUMNS, Framework
from ingest.collect import collect
from ingest.issues import IssueCode, empty_issues
from ingest.rules.breakdowns import check_breakdowns
from ingest.rules.codes import RowCheck, concat_issues, encode, excel_error_alone, excel_errors_in_codes
from ingest.rules.duplicates import KeyPart, check_duplicates
from ingest.rules.indicators import check_indicators
from ingest.rules.layout import Layout, canonical_table, map_headers, second_header_line
from ingest.rules.not_data import drop_rows_that_are_not_data, drop_rows_without_observation
from ingest.rules.organisations import check_organisations, organisations_of, store_registered_spelling
from ingest.rules.overlaps import check_overlaps
from ingest.rules.parts import check_parts, indicators_compared
from ingest.rules.periods import check_periods
from ingest.rules.shape import (
    columns_outside_the_layout,
    decimal_commas_taken_for_delimiters,
    short_rows_of_optional_cells,
)
from ingest.rules.targets import check_targets
from ingest.rules.values import check_values

#: Schema of the canonical rows handed to the commit step.
CLEAN_SCHEMA: dict[str, pl.DataType] = {
    "line": pl.Int64(),
    "org_code": pl.String(),
    "indicator_code": pl.String(),
    "period": pl.String(),
    "granularity": pl.String(),
    "period_start": pl.Date(),
    "period_end": pl.Date(),
    "value": pl.Float64(),
    "unit": pl.String(),
    **{name: pl.String() for name in BREAKDOWN_COLUMNS},
    "source": pl.String(),
    "notes": pl.String(),
    "shared_with": pl.String(),
    "shared_count": pl.Float64(),
    "programme": pl.String(),
    "target": pl.Float64(),
    "baseline": pl.Float64(),
}


@dataclass(frozen=True)
class ValidationContext:
    """What a file is checked against."""

    framework: Framework
    known_orgs: frozenset[str] | None  # None: organisations are not checked (``check`` without a database)
    member_org: str | None = None  # set when a member uploads for its own organisation
    today: date | None = None
    delimiter: str | None = None  # a text file's cell delimiter (None: a workbook)
    #: The values already stored for some organisations and periods (``org_code``, ``period``; a pair
    #: may repeat) and indicators, each with its ``line`` and ``file`` (None: nothing is stored, as
    #: ``check`` without a database). The caller that holds the database passes the read
    #: (``store.submissions.stored_values``).
    stored_values: Callable[[pl.DataFrame, tuple[str, ...]], pl.DataFrame] | None = None


@dataclass(frozen=True)
class Validation:
    rows: pl.DataFrame  # CLEAN_SCHEMA; meaningful only when there is no error
    issues: pl.DataFrame  # ISSUE_SCHEMA
    skipped_rows: int  # template rows left without a value
    org_codes: tuple[str, ...] | None = None  # the organisations of ``rows`` (None: not worked out)

    @property
    def has_errors(self) -> bool:
        return bool((self.issues["severity"] == "error").any())


def _has_error(issues: pl.DataFrame) -> bool:
    return bool((issues["severity"] == "error").any())


def _refused(issues: list[pl.DataFrame], skipped: int = 0) -> Validation:
    return Validation(pl.DataFrame(schema=CLEAN_SCHEMA), concat_issues(issues), skipped)


def validate_table(
    frame: pl.DataFrame, headers: list[str], read_issues: pl.DataFrame, ctx: ValidationContext
) -> Validation:
    """Check a read table; ``frame`` has text columns ``c0..`` and ``__line``."""
    today = ctx.today or date.today()
    if not headers and _has_error(read_issues):
        # The file could not be read as a table at all: that is the one problem to report, not
        # every column it then lacks.
        return _refused([read_issues])
    layout, header_issues = map_headers(headers, ctx)
    if frame.height:
        header_issues = columns_outside_the_layout(frame, headers, layout, ctx.framework, header_issues)
    if _has_error(header_issues) or _has_error(read_issues) and frame.is_empty():
        return _refused([read_issues, header_issues])
    # One chunk per column, copied once here: the parser hands over dozens, every kernel below
    # would run per chunk, and a column built with other chunks makes Polars realign (copy) the
    # whole table at some later step anyway.
    frame = frame.rechunk()
    if layout.wide and frame.height:
        frame, layout = second_header_line(frame, layout, ctx.framework)
    read_issues = short_rows_of_optional_cells(read_issues, layout)
    issues = [read_issues, header_issues]
    if ctx.delimiter == ",":
        issues.append(decimal_commas_taken_for_delimiters(frame, headers, layout))
    shifted = read_issues.filter(pl.col("code") == IssueCode.WRONG_CELL_COUNT.value)["line"] if read_issues.height \
        else None  # (the usual file has no read issue: nothing to look for)
    table = canonical_table(frame, layout, ctx)
    if shifted is not None and shifted.len():
        table = table.filter(~pl.col("__line").is_in(shifted.implode()))
    table, skipped, remarks, nothing_left = drop_rows_without_observation(table, read_issues, layout)
    issues += remarks
    if nothing_left:
        return _refused(issues, skipped)
    table, row_issues, org_codes = _check_rows(table, layout, ctx, today)
    issues.append(_formula_not_empty(row_issues, read_issues))
    rows = _clean_rows(table)
    issues.append(_parts_within_totals(rows, issues, ctx))
    return Validation(rows, concat_issues(issues), skipped, org_codes)


def _parts_within_totals(rows: pl.DataFrame, issues: list[pl.DataFrame], ctx: ValidationContext) -> pl.DataFrame:
    """Parts within totals (``ingest.rules.parts``), on the rows without an error, in the file and
    against the stored values of their organisations and periods."""
    errors = pl.concat([f.filter(pl.col("severity") == "error") for f in issues if f.height] or [empty_issues()])
    if errors["line"].null_count():  # a problem with the whole file or its header: rows are not read
        return empty_issues()
    if errors.height:
        rows = rows.join(errors.select("line").unique(), on="line", how="anti")
    stored = None
    if ctx.stored_values is not None and rows.height and (wanted := indicators_compared(ctx.framework)):
        stored = ctx.stored_values(rows.select("org_code", "period"), wanted)
    return check_parts(rows, stored, ctx.framework)


def _formula_not_empty(row_issues: pl.DataFrame, read_issues: pl.DataFrame) -> pl.DataFrame:
    """A formula without a saved value is the problem, not the empty cell it left."""
    if not (read_issues.height and row_issues.height):
        return row_issues
    formulas = read_issues.filter(pl.col("code") == IssueCode.FORMULA_WITHOUT_VALUE.value)
    if not formulas.height:
        return row_issues
    empty = formulas.select("line", "column", code=pl.lit(IssueCode.EMPTY_REQUIRED.value))
    return row_issues.join(empty, on=["line", "column", "code"], how="anti", nulls_equal=True)


def _clean_rows(table: pl.DataFrame) -> pl.DataFrame:
    """The checked table in ``CLEAN_SCHEMA``."""
    return table.lazy().select(
        pl.col("__line").alias("line"),
        pl.col("org_code"),
        pl.col("indicator_code"),
        pl.col("period_label").alias("period"),
        "granularity",
        "period_start",
        "period_end",
        pl.col("number").alias("value"),
        pl.col("unit_code").alias("unit"),
        *BREAKDOWN_COLUMNS,
        "source",
        "notes",
        "shared_with",
        "shared_count",
        "programme",
        "target",
        "baseline",
    ).cast(CLEAN_SCHEMA).pipe(collect)


@lru_cache(maxsize=4)
def _registry_lookups(known_orgs: frozenset[str]) -> tuple[list[str], dict[str, str]]:
    """The registered codes sorted, and by their upper case: worked out once per registry, not per
    file (a command loading thousands of files passes the same registry to each)."""
    return sorted(known_orgs), {o.upper(): o for o in known_orgs}


def _check_rows(
    table: pl.DataFrame, layout: Layout, ctx: ValidationContext, today: date
) -> tuple[pl.DataFrame, pl.DataFrame, tuple[str, ...]]:
    """Every row rule, in order. Rules about a code (organisation, indicator, period, unit,
    breakdown) are decided once per distinct text, and only when some text breaks one are its
    rows looked for."""
    fw = ctx.framework
    breakdowns = [b for b in BREAKDOWN_COLUMNS if b in layout.columns]
    expected = {"indicator_code": [i.code for i in fw.indicators]}
    known = None
    if ctx.known_orgs is not None:
        expected["org_code"], known = _registry_lookups(ctx.known_orgs)
    table, codes = encode(table, ["org_code", "indicator_code", "period", "unit", *breakdowns], expected)
    registered = {"org_code": set(known or ()), "indicator_code": {i.code.upper() for i in fw.indicators}}
    table, not_data = drop_rows_that_are_not_data(table, layout, codes, registered)
    check = RowCheck(table, layout.headers, codes, list(not_data))
    excel_errors = excel_errors_in_codes(check, ["org_code", "indicator_code", "period", "unit", *breakdowns])
    orgs = check_organisations(check, ctx.member_org, known)
    indicators = check_indicators(check, fw)
    period_ids = check_periods(check, layout, today)
    check_values(check, layout, fw, indicators)
    check_overlaps(check, known)
    check_targets(check, layout, indicators)
    key_parts = [orgs.key_part(), indicators.key_part(), KeyPart(codes["period"], period_ids)]
    key_parts += check_breakdowns(check, fw, breakdowns)
    # Organisation codes take their registered spelling once every rule has read them.
    spelling = store_registered_spelling(check, orgs)
    check_duplicates(check, key_parts)
    org_codes = organisations_of(check, orgs, spelling)
    issues = concat_issues(check.found)
    if excel_errors:
        issues = excel_error_alone(issues)
    return check.table, issues, org_codes
