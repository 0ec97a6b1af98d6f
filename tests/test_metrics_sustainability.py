"""Theil–Sen trends, their classification, persistence and progress toward a target."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from framework.model import SustainabilitySettings, framework_from_dict
from framework.periods import period_bounds
from metrics.scoring import score
from metrics.sustainability import (
    classify,
    complete_periods,
    persistence,
    progress_to_target,
    theil_sen,
    trends,
)

NAN = np.nan
SETTINGS = SustainabilitySettings(
    trend_periods=5, min_trend_periods=3, stable_band=1.0, persistence_threshold=50, sustained_periods=3
)


def test_theil_sen_ignores_one_odd_year() -> None:
    slope, n, last = theil_sen(np.array([[10.0, 12, 14, 100, 18]]), window=5)
    assert slope[0] == pytest.approx(2.0) and n[0] == 5 and last[0] == 4


def test_trend_uses_only_the_last_k_periods_ending_at_the_series_latest() -> None:
    series = np.array([[0.0, 0, 0, 10, 20, 30, NAN], [NAN, NAN, NAN, NAN, 5, NAN, 9]])
    slope, n, last = theil_sen(series, window=3)
    assert slope.tolist() == pytest.approx([10.0, 2.0]) and n.tolist() == [3, 2] and last.tolist() == [5, 6]


def test_classification_with_tolerance_band_and_too_few_periods() -> None:
    labels = classify(np.array([2.0, 0.5, -0.5, -3.0, 5.0, NAN]), np.array([5, 5, 5, 5, 2, 0]), SETTINGS)
    assert labels.tolist() == [
        "improving",
        "stable",
        "stable",
        "declining",
        "insufficient_data",
        "insufficient_data",
    ]


def test_persistence_and_sustained_level() -> None:
    series = np.array([[60.0, 40, 55, 70, 80], [60, 70, 80, 90, 40], [60, 70, NAN, 90, 95]])
    _, _, last = theil_sen(series, 5)
    share, run, sustained = persistence(series, last, SETTINGS)
    assert share.tolist() == pytest.approx([0.8, 0.8, 1.0])
    assert run.tolist() == [3, 0, 2]  # a missing period breaks the run
    assert sustained.tolist() == [True, False, False]


def test_progress_toward_target() -> None:
    raw = np.array([[20.0, 35, 50], [20, 60, 90], [50, 40, 30], [100, 80, 60]])
    target = np.array([80.0, 80, 80, 50])
    _, _, last = theil_sen(raw, 3)
    progress = progress_to_target(raw, target, last, 3)
    # half the gap closed; target passed; moving away; a lower-is-better target: 40 of 50 closed
    assert progress.tolist() == pytest.approx([0.5, 1.0, -2 / 3, 0.8])


def _one_org(values: dict[int, float], orgs: tuple[str, ...] = ("o",)) -> tuple[pl.DataFrame, object]:
    names = {"fr": "x", "ar": "س", "en": "x"}
    fw = framework_from_dict(
        {
            "meta": {"name": names},
            "principles": [{"code": "A", "name": names}],
            "indicators": [
                {
                    "code": "i",
                    "name": names,
                    "unit": "u",
                    "aggregation": "sum",
                    "goalposts": [0, 100],
                    "target": 80,
                    "weights": {"A": 1},
                }
            ],
            "units": [{"code": "u", "kind": "decimal", "name": names}],
        }
    )
    rows = []
    for org in orgs:
        for year, value in values.items():
            _, start, end = period_bounds(str(year))
            rows.append(
                {
                    "org_code": org,
                    "indicator_code": "i",
                    "granularity": "year",
                    "period_start": start,
                    "period_end": end,
                    "value": float(value),
                }
            )
    return pl.DataFrame(rows), fw


def test_trends_frame_covers_principles_composite_and_indicators() -> None:
    rows, fw = _one_org(dict(zip(range(2019, 2024), (40, 50, 60, 70, 75), strict=True)))
    frame = trends(score(rows, fw), fw)
    assert frame.height == 3
    principle = frame.filter(pl.col("principle") == "A").row(0, named=True)
    assert principle["trend"] == "improving" and principle["slope"] == pytest.approx(10.0)
    assert principle["n_periods"] == 5 and principle["last_period"] == "2023" and principle["sustained"]
    assert principle["persistence"] == pytest.approx(0.8)
    indicator = frame.filter(pl.col("indicator_code") == "i").row(0, named=True)
    assert indicator["progress"] == pytest.approx((75 - 40) / (80 - 40))


def test_a_partial_period_is_no_point_of_the_trend_and_cannot_pull_its_slope() -> None:
    # 2024 has a collapse reported by one member of five before its deadline: the period is partial.
    rows, fw = _one_org({2020: 40, 2021: 50, 2022: 60, 2023: 70, 2024: 5})
    result = score(rows, fw)
    complete = complete_periods(result, ["o", "b", "c", "d", "e"], today=date(2024, 11, 1), deadline_days=90,
                                share=0.8)
    assert complete.tolist() == [True, True, True, True, False]
    principle = trends(result, fw, complete).filter(pl.col("principle") == "A").row(0, named=True)
    assert principle["last_period"] == "2023" and principle["trend"] == "improving"
    assert principle["slope"] == pytest.approx(10.0) and principle["sustained"]
    pulled = trends(result, fw).filter(pl.col("principle") == "A").row(0, named=True)
    assert pulled["last_period"] == "2024" and not pulled["sustained"]  # what the partial point did


def test_once_enough_members_reported_the_period_is_complete_before_its_deadline() -> None:
    rows, fw = _one_org({2023: 40, 2024: 60}, orgs=("o", "b", "c", "d"))
    complete = complete_periods(score(rows, fw), ["o", "b", "c", "d", "e"], today=date(2025, 1, 15),
                                deadline_days=90, share=0.8)
    assert complete.tolist() == [True, True]  # 4 of 5 members reported 2024: 80 %
