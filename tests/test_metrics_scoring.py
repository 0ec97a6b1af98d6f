"""Principle scores, coverage and the composite on hand-checked cases; the run as frames."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from framework.model import framework_from_dict
from framework.periods import period_bounds
from metrics.scoring import (
    INSUFFICIENT,
    OK,
    composite_scores,
    principle_scores,
    score,
    weighted_means,
    weights,
)

NAMES = {"fr": "x", "ar": "س", "en": "x"}


def framework(principle_rule="arithmetic", composite_rule="geometric", threshold=0.5, floor=0.0, pw=(1, 2)):
    """Principle A: a (weight 1), b (weight 3); principle B: c (weight 1). Goalposts 0–100."""
    ind = lambda code, weights: {  # noqa: E731
        "code": code,
        "name": NAMES,
        "unit": "u",
        "aggregation": "sum",
        "goalposts": [0, 100],
        "weights": weights,
    }
    return framework_from_dict(
        {
            "meta": {
                "name": NAMES,
                "principle_aggregation": principle_rule,
                "composite_aggregation": composite_rule,
                "coverage_threshold": threshold,
                "geometric_floor": floor,
            },
            "principles": [
                {"code": "A", "name": NAMES, "weight": pw[0]},
                {"code": "B", "name": NAMES, "weight": pw[1]},
            ],
            "indicators": [ind("a", {"A": 1}), ind("b", {"A": 3}), ind("c", {"B": 1})],
            "units": [{"code": "u", "kind": "decimal", "name": NAMES}],
        }
    )


def obs(*rows: tuple) -> pl.DataFrame:
    records = []
    for org, ind, label, value in rows:
        granularity, start, end = period_bounds(label)
        records.append(
            {
                "org_code": org,
                "indicator_code": ind,
                "granularity": granularity,
                "period_start": start,
                "period_end": end,
                "value": float(value),
            }
        )
    return pl.DataFrame(records)


def row(result, org: str, principle: str | None) -> dict:
    return result.scores.filter((pl.col("org_code") == org) & pl.col("principle").eq_missing(principle)).row(
        0, named=True
    )


def test_weighted_arithmetic_and_geometric_means() -> None:
    scores = np.array([[0.2, 0.8]])
    w = np.array([[1.0, 1.0], [3.0, 1.0]])
    means, reported = weighted_means(scores, w, np.array([False, True]), 0.0)
    assert means[0, 0] == pytest.approx((0.2 + 3 * 0.8) / 4)
    assert means[0, 1] == pytest.approx(math.sqrt(0.2 * 0.8))
    assert reported.tolist() == [[4.0, 2.0]]


def test_geometric_mean_with_a_zero_is_zero_unless_floored() -> None:
    scores = np.array([[0.0, 1.0]])
    w = np.ones((2, 1))
    assert weighted_means(scores, w, True, 0.0)[0][0, 0] == 0.0
    assert weighted_means(scores, w, True, 0.01)[0][0, 0] == pytest.approx(0.1)


def test_principle_score_and_coverage() -> None:
    fw = framework()
    result = score(obs(("o", "a", "2024", 20), ("o", "b", "2024", 80), ("o", "c", "2024", 50)), fw)
    a = row(result, "o", "A")
    assert a["score"] == pytest.approx(65.0) and a["coverage"] == 1.0 and a["status"] == OK


def test_below_coverage_threshold_is_insufficient_data_never_a_low_score() -> None:
    fw = framework()
    result = score(obs(("o", "a", "2024", 90), ("o", "c", "2024", 50), ("p", "b", "2024", 10)), fw)
    o = row(result, "o", "A")
    assert o["coverage"] == pytest.approx(0.25) and o["status"] == INSUFFICIENT and o["score"] is None
    p = row(result, "p", "A")  # b alone carries 3/4 of A's weight: scored on what was reported
    assert p["coverage"] == pytest.approx(0.75) and p["score"] == pytest.approx(10.0)
    assert row(result, "p", "B")["status"] == INSUFFICIENT and row(result, "p", "B")["coverage"] == 0.0


def test_coverage_exactly_at_the_threshold_counts() -> None:
    fw = framework(threshold=0.25)
    assert row(score(obs(("o", "a", "2024", 40)), fw), "o", "A")["score"] == pytest.approx(40.0)


def test_geometric_principle_rule() -> None:
    fw = framework(principle_rule="geometric")
    result = score(obs(("o", "a", "2024", 25), ("o", "b", "2024", 100), ("o", "c", "2024", 50)), fw)
    assert row(result, "o", "A")["score"] == pytest.approx(100 * 0.25**0.25)


def test_composite_geometric_and_arithmetic_with_principle_weights() -> None:
    data = obs(("o", "a", "2024", 50), ("o", "b", "2024", 50), ("o", "c", "2024", 80))
    geo = row(score(data, framework()), "o", None)
    assert geo["score"] == pytest.approx(100 * math.exp((math.log(0.5) + 2 * math.log(0.8)) / 3))
    assert geo["coverage"] == 1.0 and geo["status"] == OK
    arith = row(score(data, framework(composite_rule="arithmetic")), "o", None)
    assert arith["score"] == pytest.approx(100 * (0.5 + 2 * 0.8) / 3)


def test_composite_leaves_out_insufficient_principles_and_needs_its_own_coverage() -> None:
    data = obs(("o", "a", "2024", 50), ("o", "b", "2024", 50))  # A complete, B missing
    light = row(score(data, framework(pw=(2, 1))), "o", None)
    assert light["coverage"] == pytest.approx(2 / 3) and light["score"] == pytest.approx(50.0)
    heavy = row(score(data, framework(pw=(1, 2))), "o", None)
    assert (
        heavy["coverage"] == pytest.approx(1 / 3)
        and heavy["status"] == INSUFFICIENT
        and heavy["score"] is None
    )


def test_scores_frame_has_every_principle_and_the_composite_per_org_and_period() -> None:
    result = score(obs(("o", "a", "2023", 10), ("o", "a", "2024", 20), ("p", "c", "2024", 30)), framework())
    frame = result.scores
    assert frame.height == 3 * 3  # (o 2023, o 2024, p 2024) × (A, B, composite)
    assert set(frame.get_column("status")) == {OK, INSUFFICIENT}
    assert frame.filter(pl.col("score").is_not_null()).get_column("score").is_between(0, 100).all()
    values = result.values
    assert values.filter(pl.col("org_code") == "o").get_column("period").to_list() == ["2023", "2024"]
    assert values.get_column("normalised").to_list() == pytest.approx([0.1, 0.2, 0.3])


def test_principle_and_composite_arrays_match_the_documented_rules() -> None:
    fw = framework()
    w = weights(fw)
    normalised = np.array([[[0.2, 0.8, np.nan]]])
    principle, coverage = principle_scores(normalised, w, 0.5, 0.0)
    assert principle[0, 0].tolist()[0] == pytest.approx(0.65) and np.isnan(principle[0, 0, 1])
    composite, cov = composite_scores(principle, coverage, w, True, 0.3, 0.0)
    assert cov[0, 0] == pytest.approx(1 / 3) and composite[0, 0] == pytest.approx(0.65)
