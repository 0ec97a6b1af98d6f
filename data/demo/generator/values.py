"""The values: each organisation's hidden profile and the rows it draws from it, year by year."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from framework.model import Counting, Framework

from .indicators import is_annual
from .orgs import Org
from .plan import QUARTERS, YEARS

R01_RANGE = {"small": (40, 300), "medium": (400, 2500), "large": (5000, 20000)}
COST_PER_BENEFICIARY = {"small": (900, 3000), "medium": (1200, 4000), "large": (1500, 5000)}
FTE_RANGE = {"small": (0.5, 3.0), "medium": (4.0, 20.0), "large": (25.0, 150.0)}
VOLUNTEERS = {"small": (5, 30), "medium": (20, 120), "large": (80, 600)}
PARTNERS = {"small": (1, 5), "medium": (3, 10), "large": (6, 20)}
GROWTH = {"improving": (0.15, 0.3), "declining": (-0.25, -0.12), "stable": (-0.03, 0.03)}
SEASON = (0.24, 0.22, 0.18, 0.36)  # Ramadan and summer are quieter, the school year ends strong


@dataclass
class Profile:
    """An organisation's hidden truth: level, growth and the shares that tie indicators together."""

    r01: float
    growth: float
    share: dict[str, float]
    rate: dict[str, float]
    stock: dict[str, float]
    cost: float


def make_profile(org: Org, rng: random.Random) -> Profile:
    themes, size = org.thematic_areas, org.size_band
    u = rng.uniform
    women_led = "women" in themes
    share = {
        "R03": (
            u(0.6, 0.9)
            if themes[0] == "disability"
            else u(0.2, 0.45)
            if "disability" in themes
            else u(0.02, 0.1)
        ),
        "R05": u(0.3, 0.8),
        "R06": u(0.5, 0.9) if {"education", "youth"} & set(themes) else u(0.1, 0.4),
        "R07": u(0.18, 0.28),
        "E05": u(0.05, 0.25),
        "J01": u(0.3, 0.7) if "employment" in themes else u(0.1, 0.3),
        "J03": u(0.3, 0.7),
        "J04": u(0.05, 0.15),
        "J06": u(0.05, 0.15),
        "H01": u(0.6, 1.0) if "health" in themes else u(0.3, 0.6),
        "H02": u(0.3, 1.0),
        "F": u(0.7, 0.92) if women_led else u(0.36, 0.64),
        "rural": u(0.6, 0.95) if "rural" in themes else u(0.05, 0.4),
    }
    rate = {
        "E02": u(3, 15),
        "E03": u(70, 92),
        "J02": u(25, 65),
        "J05": u(50, 85),
        "P01": u(20, 80),
        "P02": u(70, 92),
        "C03": u(10, 60),
        "S03": rng.choice((25.0, 33.3, 50.0, 66.7, 75.0, 100.0)),
    }
    stock = {
        "E01": u(0.3, 0.7),
        "E04": u(0.05, 0.2) if "disability" in themes else u(0.01, 0.04),
        "P03": rng.randint(0, 8),
        "P04": rng.randint(*VOLUNTEERS[size]),
        "C01": rng.randint(*PARTNERS[size]),
        "S05": u(*FTE_RANGE[size]),
        "S04": 1.0 if size == "large" or rng.random() < 0.5 else 0.0,
        "hours": u(40, 120),
    }
    growth = u(*GROWTH[org.spec.trend])
    low, high = R01_RANGE[size]
    r01 = u(low, high / (1 + growth) ** 2) if growth > 0 else u(low / (1 + growth) ** 2, high)
    return Profile(
        r01=r01, growth=growth, share=share, rate=rate, stock=stock, cost=u(*COST_PER_BENEFICIARY[size])
    )


def split(total: int, weights: Iterable[float]) -> list[int]:
    """Whole numbers summing exactly to ``total`` (largest remainder)."""
    weights = list(weights)
    raw = [total * w / sum(weights) for w in weights]
    parts = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[: total - sum(parts)]:
        parts[i] += 1
    return parts


def clip_rate(value: float) -> float:
    return round(min(100.0, max(0.0, value)), 1)


@dataclass(frozen=True)
class Row:
    """One line of a submission, as the organisation meant it (before any file formatting)."""

    org: str
    indicator: str
    period: str
    value: float | int | str
    sex: str | None = None
    area: str | None = None
    note: str = ""
    source: str = ""
    unit: str | None = None  # the unit code, when the indicator is not in the framework

    @property
    def key(self) -> tuple[str, str, str, str | None, str | None]:
        return self.org, self.indicator, self.period, self.sex, self.area


SEX_BREAKDOWN_ORGS = {1, 8, 21, 26}  # give R01 as F and M rows
AREA_BREAKDOWN_ORGS = {15: "R01", 39: "R01", 24: "H01"}  # give that indicator as urban and rural rows


def year_rows(
    org: Org,
    number: int,
    year: int,
    indicators: list[str],
    profile: Profile,
    rng: random.Random,
    framework: Framework,
) -> list[Row]:
    """Every value the organisation has for one year: quarterly flows and rates, annual stocks."""
    t = year - YEARS[0]
    r01_year = max(12, round(profile.r01 * (1 + profile.growth) ** t * rng.gauss(1, 0.04)))
    season = [s * rng.uniform(0.8, 1.2) for s in SEASON]
    r01_q = split(r01_year, season)
    drift = {"improving": 3.0, "declining": -3.0, "stable": 0.0}[org.spec.trend] * t
    quarters: list[tuple[dict[str, float | int], int, int]] = []
    for q, r01 in zip(QUARTERS, r01_q, strict=True):
        female = round(r01 * min(0.97, max(0.03, rng.gauss(profile.share["F"], 0.03))))
        rural = round(r01 * min(0.98, max(0.02, rng.gauss(profile.share["rural"], 0.03))))
        j01 = round(r01 * profile.share["J01"] * rng.uniform(0.85, 1.15))
        r03 = round(r01 * profile.share["R03"] * rng.uniform(0.85, 1.15))
        j04 = (
            round(j01 * profile.share["J04"] * rng.uniform(0.7, 1.3))
            if "J01" in indicators
            else round(r01 * 0.04 * rng.uniform(0.5, 1.5))
        )
        values: dict[str, float | int] = {
            "R01": r01,
            "R02": clip_rate(100 * female / r01) if r01 else 0.0,
            "R03": min(r03, r01),
            "R04": clip_rate(100 * rural / r01) if r01 else 0.0,
            "R05": round(r01 * profile.share["R05"] * rng.uniform(0.9, 1.1)),
            "R06": min(r01, round(r01 * profile.share["R06"] * rng.uniform(0.9, 1.1))),
            "R07": round(r01 * profile.share["R07"] * rng.uniform(0.9, 1.1)),
            "E05": round(r01 * profile.share["E05"] * rng.uniform(0.7, 1.3)),
            "J01": j01,
            "J03": round(j01 * profile.share["J03"] * rng.uniform(0.85, 1.15)),
            "J04": j04,
            "J06": round(r03 * profile.share["J06"] * rng.uniform(0.5, 1.5)),
            "H01": min(r01, round(r01 * profile.share["H01"] * rng.uniform(0.9, 1.1))),
            "H02": round(r03 * profile.share["H02"] * rng.uniform(0.7, 1.3)),
            "P05": round(
                profile.stock["P04"] * profile.stock["hours"] * SEASON[q - 1] * rng.uniform(0.8, 1.2), 1
            ),
            "C02": rng.choices(
                (0, 1, 2, 3), weights=(5, 4, 2, 1) if org.size_band != "large" else (2, 4, 3, 2)
            )[0],
            "C04": rng.choices((0, 1, 2), weights=(6, 3, 1) if org.size_band != "large" else (3, 4, 2))[0],
        }
        for code, base in profile.rate.items():
            sign = -1 if code == "E02" else 1
            values[code] = clip_rate(base + sign * drift + rng.gauss(0, 2.5)) if code != "S03" else base
        quarters.append((values, female, rural))
    rows: list[Row] = []
    for q, (values, female, rural) in zip(QUARTERS, _to_date(quarters, framework), strict=True):
        for code in indicators:
            if not is_annual(framework, code):
                rows.extend(_maybe_breakdown(org, number, code, f"{year}-Q{q}", values[code], values["R01"], female, rural))
    rows.extend(_annual_rows(org, year, indicators, profile, r01_year, t, rng))
    return rows


def _to_date(
    quarters: list[tuple[dict[str, float | int], int, int]], framework: Framework
) -> list[tuple[dict[str, float | int], int, int]]:
    """Unique-to-date counts as members report them: distinct people since 1 January, so each quarter
    gives the running total (it never falls within a year, and Q4 is the year's figure)."""
    cumulative = {i.code for i in framework.indicators if i.counting is Counting.UNIQUE_TO_DATE}
    totals: dict[str, float] = {}
    female_to_date = rural_to_date = 0
    out = []
    for values, female, rural in quarters:
        female_to_date += female
        rural_to_date += rural
        running = dict(values)
        for code in cumulative & values.keys():
            totals[code] = totals.get(code, 0) + values[code]
            running[code] = totals[code]
        out.append((running, female_to_date, rural_to_date))
    return out


def _maybe_breakdown(
    org: Org, number: int, code: str, period: str, value: float, total: int, female: int, rural: int
) -> list[Row]:
    """A total row, or only breakdown rows (F/M or urban/rural) for the organisations that give them."""
    if code == "R01" and number in SEX_BREAKDOWN_ORGS:
        return [
            Row(org.code, code, period, female, sex="F"),
            Row(org.code, code, period, int(value) - female, sex="M"),
        ]
    if AREA_BREAKDOWN_ORGS.get(number) == code:
        rural_n = rural if code == "R01" else round(int(value) * rural / max(1, total))
        return [
            Row(org.code, code, period, int(value) - rural_n, area="urban"),
            Row(org.code, code, period, rural_n, area="rural"),
        ]
    return [Row(org.code, code, period, value)]


def _annual_rows(
    org: Org, year: int, indicators: list[str], profile: Profile, r01_year: int, t: int, rng: random.Random
) -> list[Row]:
    stock, growth = profile.stock, profile.growth
    e01 = round(r01_year * stock["E01"] * rng.uniform(0.9, 1.1))
    s04 = stock["S04"] if org.spec.trend != "improving" or t == 0 else 1.0
    values: dict[str, float | int] = {
        "E01": e01,
        "E04": min(e01, round(e01 * stock["E04"] * rng.uniform(0.8, 1.2))),
        "P03": max(0, min(10, int(stock["P03"]) + (t if org.spec.trend == "improving" else 0))),
        "P04": max(1, round(stock["P04"] * (1 + growth / 2) ** t * rng.uniform(0.9, 1.1))),
        "C01": max(0, min(20, round(stock["C01"] * (1 + growth) ** t))),
        "S02": round(r01_year * profile.cost * rng.uniform(0.9, 1.1), 2),
        "S04": int(s04),
        "S05": round(max(0.5, stock["S05"] * (1 + growth / 2) ** t * rng.uniform(0.95, 1.05)) * 2) / 2,
    }
    return [Row(org.code, code, str(year), values[code]) for code in indicators if code in values]
