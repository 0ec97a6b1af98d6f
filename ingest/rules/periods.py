"""Periods: the period column's header and cells.

The header side (used by ``ingest.rules.layout``): a period split over a year column and a
quarter, semester or month column, and the kind of period a single column's header announces.
The cell side: each distinct text parsed once (``ingest.normalise.parse_periods``) and judged
against today.

Emits ``empty_required``, ``invalid_period``, ``period_kind_mismatch`` (``Trimestre`` holding a
month), ``january_or_year`` (01/01/2024: January, or the year?), ``future_period`` and
``period_in_progress``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

import polars as pl

from framework.model import fold
from framework.periods import period_status
from ingest.columns import without_precision
from ingest.issues import IssueCode
from ingest.normalise import parse_periods
from ingest.rules.codes import RowCheck, as_written, id_counter

if TYPE_CHECKING:
    from ingest.rules.layout import Layout


_YEAR_HEADERS = frozenset(fold(h) for h in ("année", "annee", "year", "exercice", "السنة", "العام", "سنة"))
_PART_HEADERS = {
    **{fold(h): "Q" for h in ("trimestre", "quarter", "الفصل", "الربع", "الثلاثي")},
    **{fold(h): "S" for h in ("semestre", "semester", "الأسدس", "السداسي")},
    **{fold(h): "M" for h in ("mois", "month", "الشهر")},
}


#: A period cell written as a full date (day, month and year).
FULL_DATE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{4}-\d{1,2}-\d{1,2}")
KIND_EXAMPLE = {"year": "2024", "quarter": "2024-T1", "semester": "2024-S1", "month": "2024-03"}
_PART_KINDS = {"Q": "quarter", "S": "semester", "M": "month"}


def period_kind_named_by(layout: Layout) -> str | None:
    """The kind of period a single period column's header announces (``Trimestre``: quarters), if any."""
    if layout.period_part is not None or "period" not in layout.headers:
        return None
    name = without_precision(fold(layout.headers["period"]))
    if name in _YEAR_HEADERS:
        return "year"
    part = _PART_HEADERS.get(name)
    return _PART_KINDS[part] if part else None


def period_over_two_columns(headers: list[str], positions: list[int]) -> tuple[int, str] | None:
    """French sheets often split the period: ``Année`` and ``Trimestre`` (or semester, month)
    columns. The position and kind of the second one when exactly that is the case."""
    if len(positions) != 2:
        return None
    names = [without_precision(fold(headers[p])) for p in positions]
    for year, part in ((0, 1), (1, 0)):
        if names[year] in _YEAR_HEADERS and names[part] in _PART_HEADERS:
            return positions[part], _PART_HEADERS[names[part]]
    return None


def joined_period(year: pl.Expr, part: pl.Expr, kind: str) -> pl.Expr:
    """One period text from a year cell and a quarter/semester/month cell: ``2024`` + ``T1`` →
    ``T1 2024``, ``2024`` + ``3`` (a quarter column) → ``2024-Q3``, ``2024`` + ``mars`` → ``mars 2024``;
    an empty second cell leaves the year (the file then mixes years and quarters, as it may)."""
    year, part = year.str.strip_chars(), part.str.strip_chars()
    number = part.str.contains(r"^[0-9\u0660-\u0669\u06f0-\u06f9]{1,2}$")
    # "03" in a quarter column is the third quarter; "3" in a month column is March.
    digits = part.str.zfill(2) if kind == "M" else part.str.replace(r"^[0\u0660\u06f0](.)$", "$1")
    numbered = year + pl.lit("-" if kind == "M" else f"-{kind}") + digits
    return (
        pl.when(part.is_null() | (part == "")).then(year)
        .when(number).then(numbered)
        # a part that already holds its year (a date shown "mars", 03/2024, févr.-24, T1 2024) is the period
        .when(part.str.contains(r"[0-9\u0660-\u0669\u06f0-\u06f9]{4}|[-/.][0-9]{2}$")).then(part)
        .otherwise(part + " " + year)
    )


def check_periods(check: RowCheck, layout: Layout, today: date) -> list[int | None]:
    """The period rules, and the canonical period (label, granularity, bounds) of every row.
    Returns the id of each distinct text's period (the duplicate key's part)."""
    periods = check.codes["period"]
    parsed = parse_periods(pl.Series(periods.texts, dtype=pl.String))
    parsed = parsed.with_columns(state=period_status(pl.col("period_start"), pl.col("period_end"), today))
    by_text = {row["text"]: row for row in parsed.iter_rows(named=True)}
    period_rows = [by_text[text] for text in periods.texts]
    period_id = id_counter()
    period_ids = [period_id(row["period"]) for row in period_rows]
    period_col = check.header("period")
    check.add_missing("period", IssueCode.EMPTY_REQUIRED, period_col)
    if invalid := periods.where(lambda i: period_rows[i]["period"] is None):
        check.add(periods.rows_in(invalid), IssueCode.INVALID_PERIOD, period_col, pl.col("period"), known=periods.exact)
    kind = period_kind_named_by(layout)
    januaries = periods.where(lambda i: period_rows[i]["granularity"] == "month" and period_rows[i]["period"].endswith("-01"))
    if kind == "year":  # 01/01/2024 (or a workbook's date cell, 2024-01) in an "Année" column is the year
        for i in januaries:
            year = parse_periods(pl.Series([period_rows[i]["period"][:4]])).with_columns(
                state=period_status(pl.col("period_start"), pl.col("period_end"), today)).row(0, named=True)
            period_rows[i] = {**year, "text": periods.texts[i]}
            period_ids[i] = period_id(year["period"])
    if kind is not None and (
        other := periods.where(lambda i: period_rows[i]["granularity"] not in (None, kind, "year"))
    ):  # "Trimestre" holding 01/04/2024 (a month), "Année" holding 2024-Q1; a year fits any column
        check.add(periods.rows_in(other), IssueCode.PERIOD_KIND_MISMATCH, period_col, pl.col("period"),
                  KIND_EXAMPLE[kind], known=periods.exact)
    if kind not in ("month", "year") and (january := [i for i in januaries if FULL_DATE.search(periods.texts[i])]):
        # 01/01/2024: Excel's reading of "01/2024" typed in a cell, or a year written as a date?
        check.add(periods.rows_in(january), IssueCode.JANUARY_OR_YEAR, period_col, pl.col("period"),
                  periods.fact([row["period"] for row in period_rows], pl.String()), known=periods.exact)
    if future := periods.where(lambda i: period_rows[i]["state"] == "future"):
        check.add(periods.rows_in(future), IssueCode.FUTURE_PERIOD, period_col, pl.col("period"), known=periods.exact)
    if in_progress := periods.where(lambda i: period_rows[i]["state"] == "in_progress"):
        ends = periods.fact([row["period_end"] for row in period_rows], pl.Date())
        check.add(periods.rows_in(in_progress), IssueCode.PERIOD_IN_PROGRESS, period_col, pl.col("period"),
                  ends.cast(pl.String), known=periods.exact)
    labels = [row["period"] for row in period_rows]
    table = check.table
    check.table = table.with_columns(
        period_label=pl.col("period") if as_written(table, periods, labels) else periods.fact(labels, pl.String()),
        granularity=periods.fact([row["granularity"] for row in period_rows], pl.String()),
        period_start=periods.fact([row["period_start"] for row in period_rows], pl.Date()),
        period_end=periods.fact([row["period_end"] for row in period_rows], pl.Date()),
    )
    return period_ids
