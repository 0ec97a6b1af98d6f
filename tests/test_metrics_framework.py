"""Framework extensions for scoring: new checks, settings, lookups and the version hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from framework.model import (
    Aggregation,
    FrameworkError,
    framework_from_dict,
    load_framework,
)

REPO = Path(__file__).resolve().parent.parent
NAMES = {"fr": "x", "ar": "س", "en": "x"}


def small(**changes) -> dict:
    """A two-principle framework as a dict; ``changes`` patch indicators by code or meta keys."""
    data = {
        "meta": {"name": NAMES},
        "principles": [{"code": "A", "name": NAMES}, {"code": "B", "name": NAMES, "weight": 2}],
        "indicators": [
            {
                "code": "n",
                "name": NAMES,
                "unit": "u",
                "aggregation": "sum",
                "goalposts": [0, 10],
                "weights": {"A": 1},
            },
            {
                "code": "r",
                "name": NAMES,
                "unit": "u",
                "aggregation": "wmean",
                "weight_by": "n",
                "goalposts": [0, 100],
                "weights": {"B": 1},
            },
            {"code": "d", "name": NAMES, "unit": "u", "aggregation": "sum"},
            {
                "code": "q",
                "name": NAMES,
                "unit": "u",
                "aggregation": "ratio",
                "numerator": "d",
                "denominator": "n",
                "direction": "down",
                "transform": "log",
                "goalposts": [1, 1000],
                "weights": {"A": 0.5, "B": 0.5},
            },
        ],
        "units": [{"code": "u", "kind": "decimal", "name": NAMES}],
    }
    for key, patch in changes.items():
        if key == "meta":
            data["meta"].update(patch)
        else:
            ind = next(i for i in data["indicators"] if i["code"] == key)
            ind.update(patch)
            for name in [k for k, v in patch.items() if v is None]:
                del ind[name]
    return data


def problems(data: dict) -> list[str]:
    with pytest.raises(FrameworkError) as caught:
        framework_from_dict(data)
    return caught.value.problems


def test_small_framework_loads_with_default_settings() -> None:
    fw = framework_from_dict(small())
    assert fw.meta.coverage_threshold == 0.5 and fw.meta.composite_threshold == 0.5
    assert fw.meta.robustness.draws == 1000 and fw.meta.sustainability.trend_periods == 5
    assert [i.code for i in fw.derived_order] == ["q"]
    assert fw.required_indicators == ("d", "n", "r")
    assert [i.code for i in fw.scored_indicators] == ["n", "r", "q"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"r": {"weight_by": None}}, "needs weight_by"),
        ({"n": {"weight_by": "d"}}, "only for aggregation = 'wmean'"),
        ({"r": {"weight_by": "q"}}, "weight_by must be a submitted indicator"),
        ({"r": {"weight_by": "r"}}, "cannot be weighted by itself"),
        ({"q": {"goalposts": [0, 1000]}}, "log transform needs goalposts above 0"),
        ({"n": {"direction": "none"}}, "needs a direction"),
        ({"n": {"normalisation": "target"}}, "needs a target"),
        ({"n": {"target": -5}}, "target must be above 0"),
        ({"n": {"weights": {"A": 0}}}, "greater than 0"),
        ({"n": {"weights": {"Z": 1}}}, "unknown principle 'Z'"),
        ({"n": {"goalposts": [10, 10]}}, "must be below max"),
        ({"d": {"aggregation": "ratio", "numerator": "q", "denominator": "n"}}, "cycle"),
        ({"meta": {"principle_aggregation": "harmonic"}}, "principle_aggregation"),
    ],
)
def test_invalid_framework_is_rejected_with_a_clear_message(changes: dict, message: str) -> None:
    found = problems(small(**changes))
    assert any(message in p for p in found), found


def test_principle_weight_must_be_positive() -> None:
    data = small()
    data["principles"][0]["weight"] = 0
    assert any("greater than 0" in p for p in problems(data))


def test_settings_are_validated() -> None:
    assert any(
        "min_trend_periods" in p
        for p in problems(small(meta={"sustainability": {"trend_periods": 3, "min_trend_periods": 4}}))
    )
    assert any("in order" in p for p in problems(small(meta={"quality": {"completeness": [0.5, 0.75, 0.9]}})))
    assert any(
        "cannot be drawn" in p for p in problems(small(meta={"robustness": {"normalisations": ["target"]}}))
    )


def test_principle_may_override_the_aggregation_rule() -> None:
    data = small()
    data["principles"][1]["aggregation"] = "geometric"
    fw = framework_from_dict(data)
    assert (
        fw.aggregation_of("A") is Aggregation.ARITHMETIC and fw.aggregation_of("B") is Aggregation.GEOMETRIC
    )


def test_version_hash_follows_content() -> None:
    base = framework_from_dict(small())
    assert framework_from_dict(small()).content_hash == base.content_hash
    assert framework_from_dict(small(n={"goalposts": [0, 20]})).content_hash != base.content_hash


def test_shipped_frameworks_load() -> None:
    charter = load_framework()
    assert charter.required_indicators and "S01" not in charter.required_indicators
    hdi = load_framework(REPO / "data" / "examples" / "hdi")
    assert [p.code for p in hdi.principles] == ["health", "education", "income"]
    assert hdi.meta.composite_aggregation is Aggregation.GEOMETRIC
