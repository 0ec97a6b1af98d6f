"""The one period grammar: canonical labels, their bounds, run keys, and what is reportable now.

Canonical labels are what the store holds and every surface shows: ``2024``, ``2024-S1``,
``2024-Q3``, ``2024-03``. Ingestion reads the many ways people write a period
(``ingest.normalise.parse_periods``) and turns them into these labels with
:func:`canonical_label_expr`; links, templates and the dashboard check labels with
:func:`parse_label`; metrics map sub-periods to run periods with integer keys — consecutive
within a granularity (year 2024 → 2024, semester 2024-S2 → 4049, quarter 2024-Q1 → 8096) so the
maths works on numbers (gaps, trends) and labels are made once on the small result.
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


#: Any canonical label: a year, a semester, a quarter or a month.
_ANY_LABEL = re.compile(r"^(\d{4})(?:-(?:(S)([12])|(Q)([1-4])|(0[1-9]|1[0-2])))?$")
#: Months in one period of each granularity.
MONTHS_PER: dict[str, int] = {"year": 12, "semester": 6, "quarter": 3, "month": 1}


def parse_label(text: str) -> str | None:
    """The canonical label a person typed in a command or a link form, or None.

    Case and spaces do not matter, and the French ``T`` for a quarter is accepted
    (``2024-t1`` → ``2024-Q1``); anything that is not one canonical label is refused.
    """
    label = text.strip().upper().replace("-T", "-Q")
    return label if _ANY_LABEL.fullmatch(label) else None


def is_label(text: str) -> bool:
    """Whether ``text`` is exactly a canonical label, as the store holds it."""
    return _ANY_LABEL.fullmatch(text) is not None


def period_bounds(label: str) -> tuple[str, date, date]:
    """(granularity, first day, last day) of a canonical label: 2024, 2024-S1, 2024-Q3, 2024-03."""
    match = _ANY_LABEL.match(label.strip())
    if not match:
        raise ValueError(f"not a period label: {label!r}")
    year, _, semester, _, quarter, month = match.groups()
    if month:
        granularity, first_month = "month", int(month)
    elif semester:
        granularity, first_month = "semester", (int(semester) - 1) * 6 + 1
    elif quarter:
        granularity, first_month = "quarter", (int(quarter) - 1) * 3 + 1
    else:
        granularity, first_month = "year", 1
    end_month = first_month + MONTHS_PER[granularity] - 1
    end = date(int(year) + end_month // 12, end_month % 12 + 1, 1) - timedelta(days=1)
    return granularity, date(int(year), first_month, 1), end


def canonical_label_expr(granularity: pl.Expr, year: pl.Expr, sub: pl.Expr) -> pl.Expr:
    """The canonical label of each row's (granularity, year, number within the year), vectorised."""
    return (
        pl.when(granularity == "year").then(year.cast(pl.String))
        .when(granularity == "quarter").then(pl.format("{}-Q{}", year, sub))
        .when(granularity == "semester").then(pl.format("{}-S{}", year, sub))
        .when(granularity == "month").then(pl.format("{}-{}", year, sub.cast(pl.String).str.zfill(2)))
    )


def bounds_expr(granularity: pl.Expr, year: pl.Expr, sub: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """First and last day of each row's period, vectorised (null where the granularity is null)."""
    months = granularity.replace_strict(MONTHS_PER, default=None, return_dtype=pl.Int32)
    start = pl.date(year, (sub - 1) * months + 1, 1)
    return start, start.dt.offset_by(pl.format("{}mo", months)).dt.offset_by("-1d")


def period_status(period_start: pl.Expr, period_end: pl.Expr, today: date) -> pl.Expr:
    """``future`` (not started), ``in_progress`` (not ended) or null for a finished period."""
    return (
        pl.when(period_start > pl.lit(today)).then(pl.lit("future"))
        .when(period_end >= pl.lit(today)).then(pl.lit("in_progress"))
    )


def reportable_periods(today: date, years: int = 2) -> list[str]:
    """Periods a member may report now: started ones of this year and the previous ones, newest first."""
    periods: list[str] = []
    for year in range(today.year, today.year - years, -1):
        quarters = [f"{year}-Q{q}" for q in range(4, 0, -1) if date(year, 3 * q - 2, 1) <= today]
        semesters = [f"{year}-S{s}" for s in (2, 1) if date(year, 6 * s - 5, 1) <= today]
        periods += [str(year), *semesters, *quarters]
    return periods


# -- complete and partial periods ---------------------------------------------------------------
def deadline(label: str, deadline_days: float) -> date:
    """The last day a period may be reported on time: its last day plus the deadline in days."""
    return period_bounds(label)[2] + timedelta(days=int(deadline_days))


def deadline_expr(period: pl.Expr, deadline_days: float) -> pl.Expr:
    """:func:`deadline` of each canonical label, vectorised."""
    short = period.str.len_chars() == 4
    granularity = (
        pl.when(short).then(pl.lit("year"))
        .when(period.str.contains("-S")).then(pl.lit("semester"))
        .when(period.str.contains("-Q")).then(pl.lit("quarter"))
        .otherwise(pl.lit("month"))
    )
    sub = pl.when(short).then(pl.lit(1)).otherwise(period.str.extract(r"-[SQ]?(\d+)$", 1).cast(pl.Int32))
    _, last_day = bounds_expr(granularity, period.str.slice(0, 4).cast(pl.Int32), sub)
    return last_day.dt.offset_by(f"{int(deadline_days)}d")


def period_states(counts: pl.DataFrame, *, today: date, deadline_days: float, share: float) -> pl.DataFrame:
    """``counts`` (period, reporting, expected) with ``deadline`` and ``complete`` added, oldest first.

    The one rule: a period is *complete* when its deadline has passed (``deadline < today``), or
    when at least ``share`` of the members expected to report did; a period nobody in view is
    expected to report is complete by its deadline only. Every page and comparison asks it here.
    """
    enough = (pl.col("expected") > 0) & (pl.col("reporting") >= pl.lit(share) * pl.col("expected"))
    return (
        counts.sort("period")
        .with_columns(deadline=deadline_expr(pl.col("period"), deadline_days))
        .with_columns(complete=(pl.col("deadline") < pl.lit(today)) | enough)
    )


def default_period(states: pl.DataFrame) -> str | None:
    """The period a page opens on: the latest complete one, else (nothing complete yet) the latest."""
    if states.is_empty():
        return None
    complete = states.filter(pl.col("complete"))
    return (complete if complete.height else states).sort("period")["period"][-1]


def due_period(today: date, granularity: str = "year") -> str:
    """The period a member has to report now: the latest of ``granularity`` that has ended by ``today``
    (its deadline is open, or it is the most recent one due); never the period still running."""
    months = MONTHS_PER[granularity]
    index = (today.year * 12 + today.month - 1) // months - 1  # the period before the running one
    year, first_month = divmod(index * months, 12)
    start = date(year, first_month + 1, 1)
    if granularity == "year":
        return str(year)
    if granularity == "month":
        return f"{year}-{start.month:02d}"
    return f"{year}-{_SUFFIX[Granularity(granularity)]}{first_month // months + 1}"


def is_running(label: str, today: date) -> bool:
    """Whether a period has not ended by ``today`` (it cannot be reported in full yet)."""
    return period_bounds(label)[2] >= today


def usual_granularity(granularities: pl.Series, fallback: str = "year") -> str:
    """The granularity a member reports at most often (its stored periods), else ``fallback``."""
    known = granularities.drop_nulls()
    known = known.filter(known.is_in(list(MONTHS_PER)))
    if known.is_empty():
        return fallback
    counts = known.value_counts(sort=True, name="n")
    return str(counts.sort(["n", known.name], descending=[True, False])[known.name][0])
