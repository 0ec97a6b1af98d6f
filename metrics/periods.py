"""Run periods: which period of a scoring run an observation falls in, as an integer key and a label.

Keys are consecutive integers within a granularity (year 2024 → 2024, semester 2024-S2 → 4049,
quarter 2024-Q1 → 8096), so the maths works on numbers (gaps, trends) and labels are made once
on the small result. Labels match the canonical ones ingestion stores (``2024``, ``2024-S1``,
``2024-Q3``).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from enum import StrEnum

import polars as pl


class Granularity(StrEnum):
    YEAR = "year"
    SEMESTER = "semester"
    QUARTER = "quarter"


#: Coarse to fine; an observation finer than (or as fine as) the run's granularity can be used.
GRANULARITY_RANK: dict[str, int] = {"year": 0, "semester": 1, "quarter": 2, "month": 3}
_PER_YEAR = {Granularity.YEAR: 1, Granularity.SEMESTER: 2, Granularity.QUARTER: 4}
_MONTHS_PER_PERIOD = {Granularity.YEAR: 12, Granularity.SEMESTER: 6, Granularity.QUARTER: 3}
_SUFFIX = {Granularity.SEMESTER: "S", Granularity.QUARTER: "Q"}
_LABEL = re.compile(r"^(\d{4})(?:-([SQ])([1-4]))?$")


def period_key_expr(granularity: Granularity, start: str = "period_start") -> pl.Expr:
    """The run period holding a sub-period, from the sub-period's start date."""
    g = Granularity(granularity)
    year = pl.col(start).dt.year().cast(pl.Int64)
    if g is Granularity.YEAR:
        return year
    within = (pl.col(start).dt.month().cast(pl.Int64) - 1) // _MONTHS_PER_PERIOD[g]
    return year * _PER_YEAR[g] + within


def period_label_expr(granularity: Granularity, key: str = "period_key") -> pl.Expr:
    """The canonical label of a run period key."""
    g = Granularity(granularity)
    if g is Granularity.YEAR:
        return pl.col(key).cast(pl.String)
    per_year = _PER_YEAR[g]
    return pl.format(
        "{}-{}{}",
        (pl.col(key) // per_year).cast(pl.String),
        pl.lit(_SUFFIX[g]),
        (pl.col(key) % per_year + 1).cast(pl.String),
    )


def period_key(label: str, granularity: Granularity) -> int:
    """Parse a canonical label (``2024``, ``2024-S2``, ``2024-Q1``) of the given granularity."""
    g = Granularity(granularity)
    match = _LABEL.match(label.strip())
    if not match:
        raise ValueError(f"not a period label: {label!r}")
    year, letter, number = int(match.group(1)), match.group(2), match.group(3)
    if g is Granularity.YEAR and letter is None:
        return year
    if letter == _SUFFIX.get(g) and 1 <= int(number) <= _PER_YEAR[g]:
        return year * _PER_YEAR[g] + int(number) - 1
    raise ValueError(f"period {label!r} is not a {g.value}")


def period_label(key: int, granularity: Granularity) -> str:
    g = Granularity(granularity)
    if g is Granularity.YEAR:
        return str(key)
    return f"{key // _PER_YEAR[g]}-{_SUFFIX[g]}{key % _PER_YEAR[g] + 1}"


def usable_granularities(granularity: Granularity) -> list[str]:
    """Observation granularities that fit inside one period of the run (coarser ones cannot be split)."""
    rank = GRANULARITY_RANK[Granularity(granularity).value]
    return [g for g, r in GRANULARITY_RANK.items() if r >= rank]


_ANY_LABEL = re.compile(r"^(\d{4})(?:-(?:([SQ])([1-4])|(\d{2})))?$")


def period_bounds(label: str) -> tuple[str, date, date]:
    """(granularity, first day, last day) of a canonical label: 2024, 2024-S1, 2024-Q3, 2024-03."""
    match = _ANY_LABEL.match(label.strip())
    if not match:
        raise ValueError(f"not a period label: {label!r}")
    year = int(match.group(1))
    if match.group(4):
        first_month, months, granularity = int(match.group(4)), 1, "month"
    elif match.group(2):
        months = 6 if match.group(2) == "S" else 3
        first_month, granularity = (
            (int(match.group(3)) - 1) * months + 1,
            "semester" if months == 6 else "quarter",
        )
    else:
        first_month, months, granularity = 1, 12, "year"
    end_month = first_month + months - 1
    end = date(year + end_month // 12, end_month % 12 + 1, 1) - timedelta(days=1)
    return granularity, date(year, first_month, 1), end
