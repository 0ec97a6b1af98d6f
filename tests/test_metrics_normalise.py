"""Each normalisation method, the log transform and direction, on hand-checked numbers."""

from __future__ import annotations

import numpy as np
import pytest

from framework.model import Normalisation, framework_from_dict
from metrics.normalise import average_ranks, normalise, parameters

NAMES = {"fr": "x", "ar": "س", "en": "x"}


def framework(**indicator):
    base = {"code": "i", "name": NAMES, "unit": "u", "aggregation": "sum", "weights": {"A": 1}}
    return framework_from_dict(
        {
            "meta": {"name": NAMES},
            "principles": [{"code": "A", "name": NAMES}],
            "indicators": [{**base, **indicator}],
            "units": [{"code": "u", "kind": "decimal", "name": NAMES}],
        }
    )


def run(values: list[float], **indicator) -> list[float]:
    fw = framework(**indicator)
    column = np.array(values, dtype=float)[:, None, None]  # orgs × one period × one indicator
    return normalise(column, parameters(fw))[:, 0, 0].tolist()


def test_goalposts_are_linear_and_clipped() -> None:
    assert run([25, 150, -5, 100], goalposts=[0, 100]) == pytest.approx([0.25, 1.0, 0.0, 1.0])


def test_log_goalposts_and_zero_counts() -> None:
    # ln 100 is halfway between ln 10 and ln 1000; 0 is raised to the lower goalpost
    assert run([100, 0, 10_000], goalposts=[10, 1000], transform="log") == pytest.approx([0.5, 0.0, 1.0])


def test_minmax_among_peers() -> None:
    assert run([10, 20, 40], normalisation="minmax") == pytest.approx([0.0, 1 / 3, 1.0])
    assert run([7, 7], normalisation="minmax") == [0.5, 0.5]


def test_zscore_spans_plus_minus_three_deviations() -> None:
    assert run([1, 2, 3], normalisation="zscore") == pytest.approx([1 / 3, 0.5, 2 / 3])
    assert run([0] * 19 + [100], normalisation="zscore")[-1] == 1.0  # z = 19 / √20 ≈ 4.2, clipped
    assert run([5], normalisation="zscore") == [0.5]


def test_rank_is_a_percentile_with_ties_averaged() -> None:
    assert run([10, 20, 20, 40], normalisation="rank") == pytest.approx([0.0, 0.5, 0.5, 1.0])
    assert run([3], normalisation="rank") == [0.5]
    assert average_ranks(np.array([3.0, np.nan, 1.0, 3.0])).tolist()[::2] == [2.5, 1.0]


def test_target_is_the_share_reached_either_way() -> None:
    assert run([30, 90, 0], normalisation="target", target=60) == pytest.approx([0.5, 1.0, 0.0])
    assert run([100, 25, 0], normalisation="target", target=50, direction="down") == pytest.approx(
        [0.5, 1.0, 1.0]
    )


def test_lower_is_better_reverses_after_normalisation() -> None:
    assert run([25, 100], goalposts=[0, 100], direction="down") == pytest.approx([0.75, 0.0])
    assert run([10, 20, 40], normalisation="rank", direction="down") == pytest.approx([1.0, 0.5, 0.0])


def test_missing_values_stay_missing_and_peers_are_per_period() -> None:
    fw = framework(normalisation="minmax")
    cube = np.array([[[1.0], [100.0]], [[3.0], [np.nan]], [[2.0], [300.0]]])  # 3 orgs × 2 periods
    out = normalise(cube, parameters(fw))
    assert out[:, 0, 0].tolist() == pytest.approx([0.0, 1.0, 0.5])
    assert out[0, 1, 0] == 0.0 and np.isnan(out[1, 1, 0]) and out[2, 1, 0] == 1.0


def test_override_keeps_goalposts_only_where_they_exist() -> None:
    fw = framework(normalisation="rank")
    params = parameters(fw).override(Normalisation.GOALPOSTS)
    assert params.method_name(0) == "rank"
    assert parameters(framework(goalposts=[0, 1])).override(Normalisation.ZSCORE).method_name(0) == "zscore"
