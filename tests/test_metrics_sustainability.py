"""Theil–Sen trends, their classification, persistence and progress toward a target."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from framework.model import SustainabilitySettings, framework_from_dict
from framework.periods import period_bounds
from metrics.scoring import score
from metrics.sustainability import classify, persistence, progress_to_target, theil_sen, trends

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


def test_trends_frame_covers_principles_composite_and_indicators() -> None:
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
    for year, value in zip(range(2019, 2024), (40, 50, 60, 70, 75), strict=True):
        _, start, end = period_bounds(str(year))
        rows.append(
            {
                "org_code": "o",
                "indicator_code": "i",
                "granularity": "year",
                "period_start": start,
                "period_end": end,
                "value": float(value),
            }
        )
    frame = trends(score(pl.DataFrame(rows), fw), fw)
    assert frame.height == 3
    principle = frame.filter(pl.col("principle") == "A").row(0, named=True)
    assert principle["trend"] == "improving" and principle["slope"] == pytest.approx(10.0)
    assert principle["n_periods"] == 5 and principle["last_period"] == "2023" and principle["sustained"]
    assert principle["persistence"] == pytest.approx(0.8)
    indicator = frame.filter(pl.col("indicator_code") == "i").row(0, named=True)
    assert indicator["progress"] == pytest.approx((75 - 40) / (80 - 40))
