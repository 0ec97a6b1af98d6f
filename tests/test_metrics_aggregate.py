"""From observations to one value per organisation, indicator and run period (hand-checked cases)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from framework.model import framework_from_dict
from framework.periods import period_bounds, period_key, period_label
from metrics.aggregate import indicator_cube

NAMES = {"fr": "x", "ar": "س", "en": "x"}


def _ind(code: str, aggregation: str, unit: str = "count", **extra) -> dict:
    return {"code": code, "name": NAMES, "unit": unit, "aggregation": aggregation, **extra}


FW = framework_from_dict(
    {
        "meta": {"name": NAMES},
        "principles": [{"code": "A", "name": NAMES}],
        "indicators": [
            _ind("people", "sum", goalposts=[0, 100], weights={"A": 1}),
            _ind("rate", "wmean", unit="pct", weight_by="people", goalposts=[0, 100], weights={"A": 1}),
            _ind("avg", "mean", unit="pct", goalposts=[0, 100], weights={"A": 1}),
            _ind("staff", "last", goalposts=[0, 100], weights={"A": 1}),
            _ind("peak", "max", goalposts=[0, 100], weights={"A": 1}),
            _ind("budget", "sum"),
            _ind(
                "cost",
                "ratio",
                numerator="budget",
                denominator="people",
                direction="down",
                goalposts=[0, 100],
                weights={"A": 1},
            ),
        ],
        "units": [
            {"code": "count", "kind": "decimal", "name": {"fr": "nb", "ar": "عدد", "en": "count"}},
            {
                "code": "pct",
                "kind": "percent",
                "name": {"fr": "%", "ar": "٪", "en": "pct"},
                "min": 0,
                "max": 100,
            },
        ],
    }
)


def obs(*rows: tuple, **breakdowns: list) -> pl.DataFrame:
    """Observation rows (org, indicator, period label, value[, sex[, area]])."""
    records = []
    for row in rows:
        org, ind, label, value, *rest = row
        granularity, start, end = period_bounds(label)
        records.append(
            {
                "org_code": org,
                "indicator_code": ind,
                "granularity": granularity,
                "period_start": start,
                "period_end": end,
                "value": float(value),
                "sex": rest[0] if rest else None,
                "area": rest[1] if len(rest) > 1 else None,
            }
        )
    return pl.DataFrame(records, schema_overrides={"sex": pl.String, "area": pl.String})


def value(cube, org: str, ind: str, label: str) -> float:
    p = period_key(label, cube.granularity)
    return float(
        cube.values[cube.orgs.index(org), list(cube.period_keys).index(p), cube.indicators.index(ind)]
    )


def test_each_time_rule_on_quarters() -> None:
    frame = obs(
        *[("o", "people", f"2024-Q{q}", v) for q, v in zip((1, 2, 3, 4), (10, 20, 30, 40), strict=True)],
        *[("o", "rate", f"2024-Q{q}", v) for q, v in zip((1, 2, 3, 4), (50, 50, 100, 0), strict=True)],
        *[("o", "avg", f"2024-Q{q}", v) for q, v in zip((1, 2, 3, 4), (10, 20, 30, 60), strict=True)],
        ("o", "staff", "2024-Q3", 7),
        ("o", "staff", "2024-Q1", 5),
        ("o", "staff", "2024-Q2", 9),
        ("o", "peak", "2024-Q1", 3),
        ("o", "peak", "2024-Q2", 8),
        ("o", "peak", "2024-Q4", 4),
    )
    cube = indicator_cube(frame, FW, "year")
    assert value(cube, "o", "people", "2024") == 100
    # wmean = Σ rate·people / Σ people = (500 + 1000 + 3000 + 0) / 100
    assert value(cube, "o", "rate", "2024") == pytest.approx(45.0)
    assert value(cube, "o", "avg", "2024") == pytest.approx(30.0)
    assert value(cube, "o", "staff", "2024") == 7  # the latest quarter reported (Q3), not the largest
    assert value(cube, "o", "peak", "2024") == 8
    assert cube.counts[0, 0, cube.indicators.index("people")] == 4


def test_wmean_without_weights_falls_back_to_known_weights_then_equal_weights() -> None:
    frame = obs(
        ("a", "rate", "2024-Q1", 10),
        ("a", "rate", "2024-Q2", 40),  # no weights at all → plain mean
        ("b", "rate", "2024-Q1", 10),
        ("b", "rate", "2024-Q2", 40),
        ("b", "people", "2024-Q1", 30),
    )
    cube = indicator_cube(frame, FW, "year")
    assert value(cube, "a", "rate", "2024") == pytest.approx(25.0)
    # b: Q2's missing weight takes the mean of the known ones (30) → equal weights again
    assert value(cube, "b", "rate", "2024") == pytest.approx(25.0)


def test_annual_total_and_quarters_of_the_same_year_are_not_counted_twice() -> None:
    frame = obs(("o", "people", "2024", 100), ("o", "people", "2024-Q1", 60), ("o", "people", "2024-Q2", 70))
    cube = indicator_cube(frame, FW, "year")
    assert value(cube, "o", "people", "2024") == 100


def test_finer_runs_use_finer_observations_and_leave_coarser_ones_out() -> None:
    frame = obs(
        ("o", "people", "2024", 999),
        ("o", "people", "2024-01", 1),
        ("o", "people", "2024-02", 2),
        ("o", "people", "2024-05", 5),
        ("o", "people", "2024-Q3", 30),
    )
    quarters = indicator_cube(frame, FW, "quarter")
    assert [period_label(int(k), "quarter") for k in quarters.period_keys] == [
        "2024-Q1",
        "2024-Q2",
        "2024-Q3",
    ]
    assert value(quarters, "o", "people", "2024-Q1") == 3 and value(quarters, "o", "people", "2024-Q2") == 5
    semesters = indicator_cube(frame, FW, "semester")
    assert (
        value(semesters, "o", "people", "2024-S1") == 8 and value(semesters, "o", "people", "2024-S2") == 30
    )


def test_total_row_wins_over_its_breakdown() -> None:
    frame = obs(
        ("o", "people", "2024", 100), ("o", "people", "2024", 45, "F"), ("o", "people", "2024", 50, "M")
    )
    assert value(indicator_cube(frame, FW, "year"), "o", "people", "2024") == 100


def test_breakdown_rows_roll_up_once_without_a_total() -> None:
    frame = obs(
        ("o", "people", "2024", 40, "F"),
        ("o", "people", "2024", 60, "M"),
        # the same people again by area: must not be added a second time
        ("o", "people", "2024", 30, None, "rural"),
        ("o", "people", "2024", 70, None, "urban"),
        # and by sex × area: a finer breakdown of the same people
        ("o", "people", "2024", 10, "F", "rural"),
    )
    assert value(indicator_cube(frame, FW, "year"), "o", "people", "2024") == 100


def test_rates_by_breakdown_are_weighted_by_the_matching_counts() -> None:
    frame = obs(
        ("o", "rate", "2024", 80, "F"),
        ("o", "rate", "2024", 20, "M"),
        ("o", "people", "2024", 30, "F"),
        ("o", "people", "2024", 10, "M"),
    )
    cube = indicator_cube(frame, FW, "year")
    assert value(cube, "o", "rate", "2024") == pytest.approx((80 * 30 + 20 * 10) / 40)
    assert value(cube, "o", "people", "2024") == 40


def test_ratio_is_computed_after_aggregation_and_missing_when_undefined() -> None:
    frame = obs(
        ("o", "budget", "2024-Q1", 1000),
        ("o", "budget", "2024-Q2", 3000),
        ("o", "people", "2024-Q1", 10),
        ("o", "people", "2024-Q2", 90),
        ("z", "budget", "2024", 500),
        ("z", "people", "2024", 0),
        ("n", "budget", "2024", 500),
    )
    cube = indicator_cube(frame, FW, "year")
    # 4000 / 100 = 40 (the mean of the quarterly ratios would be (100 + 33.3) / 2)
    assert value(cube, "o", "cost", "2024") == pytest.approx(40.0)
    assert math.isnan(value(cube, "z", "cost", "2024")) and math.isnan(value(cube, "n", "cost", "2024"))


def test_unknown_indicators_and_empty_input() -> None:
    frame = obs(("o", "people", "2024", 1))
    extra = pl.concat([frame, frame.with_columns(indicator_code=pl.lit("nope"))])
    cube = indicator_cube(extra, FW, "year")
    assert cube.orgs == ("o",) and np.count_nonzero(~np.isnan(cube.values)) == 1
    empty = indicator_cube(frame.clear(), FW, "year")
    assert empty.orgs == () and empty.values.size == 0
