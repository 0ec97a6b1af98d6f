"""One organisation's uploads: its rows grouped into files, with a sender, a style and a date."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field, replace

from framework.model import Framework

from .indicators import indicator_set
from .notes import MULTILINE_NOTE, annotate
from .orgs import Org
from .plan import (
    ADDED,
    DROPPED,
    LATE_ORGS,
    MISSING_QUARTERS,
    OUTLIERS,
    QUARTERS,
    SEED,
    STEERING_UPLOADS,
    STOPS_IN_2025,
    YEARS,
    period_end,
)
from .styles import Style, style_for
from .values import Row, make_profile, year_rows


@dataclass
class DemoFile:
    """One upload: its rows, how it was saved, who sent it and when, and what should happen."""

    name: str
    org: str
    rows: list[Row]
    style: Style
    uploaded_at: dt.datetime
    uploaded_by: str
    expect: str = "accept"
    purpose: str = "regular"  # regular | correction | rejected | fixed
    content: bytes = field(default=b"", repr=False)


def upload_time(after: dt.date, number: int, rng: random.Random, *, annual: bool = False) -> dt.datetime:
    """Most within 30 days of the period end, annual accounts a bit later, habitual latecomers 60-200 days."""
    if number in LATE_ORGS or rng.random() < 0.05:
        days = rng.randint(60, 200)
    else:
        days = rng.randint(15, 55) if annual else rng.randint(2, 28)
    moment = dt.datetime.combine(after, dt.time(0)) + dt.timedelta(days=days)
    return moment.replace(hour=rng.randint(7, 17), minute=rng.randint(0, 59), second=rng.randint(0, 59))


def file_batches(org: Org, rows: list[Row], year: int) -> list[tuple[str, list[Row], bool]]:
    """How the year's rows are grouped into uploads: by quarter, by half-year or once a year."""
    quarterly = [r for r in rows if "-Q" in r.period]
    annual = [r for r in rows if "-Q" not in r.period]
    if org.size_band == "large":
        batches = [
            (f"{year}-Q{q}", [r for r in quarterly if r.period == f"{year}-Q{q}"], False) for q in QUARTERS
        ]
        return [b for b in batches if b[1]] + [(f"{year}_annuel", annual, True)]
    if org.size_band == "medium":
        first = [r for r in quarterly if r.period[-1] in "12"]
        second = [r for r in quarterly if r.period[-1] in "34"] + annual
        return [(f"{year}_S1", first, False), (f"{year}_S2", second, True)]
    return [(f"{year}", quarterly + annual, True)]


def org_files(org: Org, number: int, framework: Framework) -> list[DemoFile]:
    rng = random.Random(f"{SEED}-{org.code}")
    indicators = indicator_set(org, rng, framework)
    for n, code in ADDED:
        if n == number and code not in indicators:
            indicators.append(code)
    profile = make_profile(org, rng)
    files = []
    for year in YEARS:
        if year == 2025 and number in STOPS_IN_2025:
            continue
        active = [
            c
            for c in indicators
            if DROPPED.get((number, c), 9999) > year and ADDED.get((number, c), 0) <= year
        ]
        rows = year_rows(org, number, year, active, profile, rng, framework)
        rows = [r for r in rows if (number, r.period) not in MISSING_QUARTERS]
        rows = [
            replace(r, value=r.value * 10) if (number, r.indicator, r.period) in OUTLIERS else r for r in rows
        ]
        rows = annotate(rows, org, number, rng)
        if number == 1 and year == 2024:
            rows = [replace(rows[0], note=MULTILINE_NOTE), *rows[1:]]
        style = style_for(number, year, org)
        for label, batch, has_annual in file_batches(org, rows, year):
            if not batch:
                continue
            last = max(period_end(r.period) for r in batch)
            when = upload_time(last, number, rng, annual=has_annual and org.size_band != "small")
            by = "steering:demo" if (number, year) in STEERING_UPLOADS else f"member:{org.code}"
            file_style = replace(style, with_org=True) if by.startswith("steering") else style
            name = f"{year}/{org.code}_{label}.{file_style.ext}"  # under submissions/
            files.append(DemoFile(name, org.code, batch, file_style, when, by))
    return files
