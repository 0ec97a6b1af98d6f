"""Targets and baselines: the optional ``target`` and ``baseline`` cells read as numbers.

A long-layout file may give, on any row, the organisation's target for that indicator and its
baseline (the level before the action). Each is read like a value (decimal commas, Arabic-Indic
digits…) and judged against the indicator's range; a cell that is not a number or out of range is
refused with the number parser's code (``not_a_number``…) or ``out_of_range``, under the column's
header as written and the row Excel shows. The rows get ``target`` and ``baseline`` as numbers.
A wide file (one column per indicator) has no place for them: its ``target`` and ``baseline`` stay empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ingest.columns import TARGET_COLUMNS
from ingest.issues import IssueCode
from ingest.normalise import parse_numbers
from ingest.rules.codes import RowCheck
from ingest.rules.indicators import IndicatorFacts

if TYPE_CHECKING:
    from ingest.rules.layout import Layout

_NUMBER_PROBLEMS = (IssueCode.NOT_A_NUMBER, IssueCode.EXCEL_ERROR, IssueCode.SCIENTIFIC_NOTATION,
                    IssueCode.MIXED_DIGITS, IssueCode.AMBIGUOUS_NUMBER)


def check_targets(check: RowCheck, layout: Layout, facts: IndicatorFacts) -> None:
    """Parse and check every target and baseline cell; replace the texts by numbers."""
    absent = [name for name in TARGET_COLUMNS if name not in layout.columns or layout.wide]
    if absent:  # (the usual file has neither: one query for both)
        check.table = check.table.with_columns([pl.lit(None, pl.Float64).alias(name) for name in absent])
    for name in TARGET_COLUMNS:
        if name in absent:
            continue
        parsed = parse_numbers(check.table.get_column(name)).select(
            pl.col("number").alias("__t_number"), pl.col("problem").alias("__t_problem"))
        check.table = check.table.with_columns(parsed)
        header = check.header(name)
        problem = pl.col("__t_problem")
        for code in _NUMBER_PROBLEMS:
            check.add(problem == code.value, code, header, pl.col(name))
        number = pl.col("__t_number")
        out_of_range = pl.col("__ind_known") & number.is_not_null() & (
            (number < pl.col("__low")) | (number > pl.col("__high")))
        check.add(out_of_range, IssueCode.OUT_OF_RANGE, header, pl.col(name), facts.fact("range_text", pl.String()))
        check.table = check.table.with_columns(number.alias(name)).drop("__t_number", "__t_problem")
