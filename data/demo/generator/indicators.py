"""Which indicators each organisation reports, and how often (quarterly or once a year)."""

from __future__ import annotations

import random

from framework.model import Counting, Framework

from .orgs import Org

THEME_INDICATORS: dict[str, tuple[str, ...]] = {
    "education": ("R06", "E01", "E02", "E03"),
    "employment": ("J01", "J02", "J03"),
    "health": ("H01",),
    "disability": ("R03",),
    "rural": ("R04", "R07"),
    "women": ("J04", "J05", "E05"),
    "youth": ("R06", "J03"),
}
CORE = ("R01", "R02", "S02", "S05")
OPTIONAL = ("R05", "P01", "P02", "P03", "P04", "P05", "C01", "C02", "C03", "C04", "S03", "S04")
OPTIONAL_COUNT = {"small": (2, 4), "medium": (4, 7), "large": (7, 11)}
#: indicator → the one it is weighted by or derived from, which must then be reported too
NEEDS = {
    "J02": "J01",
    "J03": "J01",
    "J05": "J04",
    "E02": "E01",
    "E03": "E01",
    "E04": "E01",
    "J06": "R03",
    "H02": "R03",
    "P05": "P04",
}


def indicator_set(org: Org, rng: random.Random, framework: Framework) -> list[str]:
    """A plausible subset of the catalogue for the organisation's thematic areas."""
    chosen = set(CORE)
    for theme in org.thematic_areas:
        chosen.update(THEME_INDICATORS[theme])
    if "disability" in org.thematic_areas:
        chosen.update(
            {"education": "E04", "employment": "J06", "health": "H02"}[t]
            for t in org.thematic_areas
            if t in ("education", "employment", "health")
        )
    if "rural" in org.thematic_areas and "employment" in org.thematic_areas:
        chosen.update(("J04", "J05"))
    low, high = OPTIONAL_COUNT[org.size_band]
    chosen.update(rng.sample(OPTIONAL, rng.randint(low, high)))
    if org.size_band != "small" or rng.random() < 0.5:
        chosen.add("S04")
    for code in list(chosen):
        if code in NEEDS:
            chosen.add(NEEDS[code])
    order = [ind.code for ind in framework.indicators if not ind.derived]
    return [code for code in order if code in chosen]


def is_annual(framework: Framework, code: str) -> bool:
    """Stocks (aggregation last) and the budget are reported once a year, the rest by quarter
    (unique-to-date counts too, as running totals since 1 January)."""
    indicator = framework.indicator_by_code[code]
    if indicator.counting is Counting.UNIQUE_TO_DATE:
        return False
    return code == "S02" or indicator.aggregation.value == "last"
