"""Monte Carlo rank intervals and first-order sensitivity: the pieces on hand-checked numbers."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from framework.model import RobustnessSettings, framework_from_dict
from framework.periods import period_bounds
from metrics.robustness import (
    CHOICES,
    _draw_ranks,
    competition_ranks,
    draw_design,
    first_order,
    rank_interval,
    robustness,
)
from metrics.scoring import score, weights

NAMES = {"fr": "x", "ar": "س", "en": "x"}


def test_competition_ranks_per_row_with_ties_and_missing() -> None:
    scores = np.array([[0.9, 0.5, 0.9, np.nan, 0.1], [0.1, 0.2, 0.3, 0.4, 0.5]])
    ranks = competition_ranks(scores)
    assert ranks[0].tolist()[:3] == [1.0, 3.0, 1.0] and np.isnan(ranks[0, 3]) and ranks[0, 4] == 4.0
    assert ranks[1].tolist() == [5.0, 4.0, 3.0, 2.0, 1.0]


def test_rank_interval_is_median_and_conservative_5_95_bounds() -> None:
    ranks = np.arange(1.0, 101.0)[:, None]  # 100 draws of one organisation: ranks 1…100
    median, low, high = rank_interval(ranks)
    assert median[0] == 50.5 and low[0] == 5.0 and high[0] == 96.0
    constant = rank_interval(np.full((50, 2), 3.0))
    assert [c.tolist() for c in constant] == [[3.0, 3.0]] * 3


def test_first_order_index_extremes() -> None:
    rng = np.random.default_rng(1)
    base = rng.permuted(np.tile(np.arange(1.0, 11.0), (400, 1)), axis=1)  # 400 draws × 10 orgs
    assert first_order(base, base) == pytest.approx(1.0)
    assert first_order(base, rng.permuted(base, axis=1)) < 0.05
    assert first_order(np.ones((5, 3)), np.ones((5, 3))) == 0.0


def framework(**robustness):
    def ind(code: str, w: dict, **extra) -> dict:
        return {
            "code": code,
            "name": NAMES,
            "unit": "u",
            "aggregation": "sum",
            "goalposts": [0, 100],
            "weights": w,
            **extra,
        }

    return framework_from_dict(
        {
            "meta": {"name": NAMES, "robustness": robustness},
            "principles": [{"code": "A", "name": NAMES}, {"code": "B", "name": NAMES}],
            "indicators": [
                ind("a1", {"A": 1}),
                ind("a2", {"A": 1}),
                ind("b1", {"B": 1}),
                ind("b2", {"B": 2}, transform="log", goalposts=[1, 1000]),
            ],
            "units": [{"code": "u", "kind": "decimal", "name": NAMES}],
        }
    )


def observations(n_orgs: int = 12, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    _, start, end = period_bounds("2024")
    rows = [
        {
            "org_code": f"o{o:02d}",
            "indicator_code": ind,
            "granularity": "year",
            "period_start": start,
            "period_end": end,
            "value": float(rng.uniform(1, 100)),
        }
        for o in range(n_orgs)
        for ind in ("a1", "a2", "b1", "b2")
    ]
    # o99 is best on everything: rank 1 in every draw
    rows += [
        {
            "org_code": "o99",
            "indicator_code": ind,
            "granularity": "year",
            "period_start": start,
            "period_end": end,
            "value": 100.0 if ind != "b2" else 1000.0,
        }
        for ind in ("a1", "a2", "b1", "b2")
    ]
    return pl.DataFrame(rows)


def composite_ranks(fw, obs=None) -> tuple[pl.DataFrame, pl.DataFrame]:
    ranks, sensitivity = robustness(score(obs if obs is not None else observations(), fw), fw)
    return ranks.filter(pl.col("principle").is_null()).sort("org_code"), sensitivity


def test_nominal_choices_only_give_a_zero_width_interval() -> None:
    fw = framework(draws=120, concentration=1e12, normalisations=["goalposts"], aggregations=["arithmetic"])
    data = fw.model_dump(mode="json")
    data["meta"]["composite_aggregation"] = "arithmetic"
    fw = framework_from_dict(data)
    ranks, sensitivity = composite_ranks(fw)
    assert ranks.get_column("median_rank").to_list() == ranks.get_column("nominal_rank").to_list()
    assert ranks.get_column("rank_p05").to_list() == ranks.get_column("rank_p95").to_list()
    assert sensitivity.get_column("first_order").to_list() == [0.0, 0.0, 0.0]


def test_dominant_organisation_is_always_first_and_intervals_contain_the_median() -> None:
    ranks, sensitivity = composite_ranks(framework(draws=400))
    assert ranks.get_column("ranked_count").unique().to_list() == [13]
    assert sensitivity.get_column("choice").to_list() == list(CHOICES)
    best = ranks.filter(pl.col("org_code") == "o99").row(0, named=True)
    assert (best["nominal_rank"], best["median_rank"], best["rank_p05"], best["rank_p95"]) == (1, 1, 1, 1)
    assert (ranks.get_column("rank_p05") <= ranks.get_column("median_rank")).all()
    assert (ranks.get_column("median_rank") <= ranks.get_column("rank_p95")).all()
    assert ranks.get_column("rank_p95").max() <= 13


def test_seeded_and_reproducible() -> None:
    first, s1 = composite_ranks(framework(draws=200, seed=7))
    again, s2 = composite_ranks(framework(draws=200, seed=7))
    assert first.equals(again) and s1.equals(s2)


def test_sensitivity_names_the_only_choice_left_free() -> None:
    fw = framework(
        draws=400, concentration=1e12, normalisations=["goalposts", "rank"], aggregations=["arithmetic"]
    )
    _, sensitivity = composite_ranks(fw)
    top = sensitivity.sort("first_order", descending=True).row(0, named=True)
    assert top["choice"] == "normalisation" and top["first_order"] > 0.5


def test_pick_freeze_design_shares_the_frozen_choice_with_its_base() -> None:
    fw = framework(draws=100)
    design = draw_design(np.random.default_rng(0), weights(fw), fw.meta.robustness)
    assert design.method.size == 100 and design.base.size == 25
    frozen = design.frozen["normalisation"]
    assert (design.method[frozen] == design.method[design.base]).all()
    assert not np.allclose(design.indicator_weights[frozen], design.indicator_weights[design.base])
    same = design.frozen["weights"]
    assert np.allclose(design.indicator_weights[same], design.indicator_weights[design.base])
    # drawn weights keep each principle's total and stay positive where the framework's are
    assert np.allclose(design.indicator_weights.sum(axis=1), [2.0, 3.0])


def test_settings_override_and_zero_draws() -> None:
    fw = framework()
    ranks, sensitivity = robustness(score(observations(), fw), fw, RobustnessSettings(draws=0))
    composite = ranks.filter(pl.col("principle").is_null())
    assert composite.get_column("median_rank").to_list() == composite.get_column("nominal_rank").to_list()
    assert sensitivity.is_empty()


def principle_ranks(fw, obs=None) -> pl.DataFrame:
    ranks, _ = robustness(score(obs if obs is not None else observations(), fw), fw)
    return ranks.filter(pl.col("principle").is_not_null()).sort("principle", "org_code")


def test_every_principle_rank_has_a_monte_carlo_interval_around_its_median() -> None:
    ranks = principle_ranks(framework(draws=400))
    assert ranks.height == 2 * 13 and ranks.get_column("principle").unique().sort().to_list() == ["A", "B"]
    for column in ("median_rank", "rank_p05", "rank_p95"):
        assert ranks.get_column(column).null_count() == 0
    assert (ranks.get_column("rank_p05") <= ranks.get_column("median_rank")).all()
    assert (ranks.get_column("median_rank") <= ranks.get_column("rank_p95")).all()
    best = ranks.filter(pl.col("org_code") == "o99").select(
        "nominal_rank", "median_rank", "rank_p05", "rank_p95"
    )
    assert best.rows() == [(1.0, 1.0, 1.0, 1.0)] * 2
    # the intervals vary: some organisation's principle rank is not pinned by the method choices
    assert (ranks.get_column("rank_p95") > ranks.get_column("rank_p05")).any()


def test_principle_rank_interval_contains_the_rank_when_the_method_is_fixed() -> None:
    fw = framework(draws=120, concentration=1e12, normalisations=["goalposts"], aggregations=["arithmetic"])
    ranks = principle_ranks(fw)
    assert ranks.get_column("rank_p05").to_list() == ranks.get_column("nominal_rank").to_list()
    assert ranks.get_column("rank_p95").to_list() == ranks.get_column("nominal_rank").to_list()


def test_principle_ranks_count_only_the_organisations_scored_on_that_principle() -> None:
    obs = observations().filter(
        ~((pl.col("org_code") == "o00") & pl.col("indicator_code").is_in(["b1", "b2"]))
    )
    ranks = principle_ranks(framework(draws=200), obs)
    counts = dict(ranks.group_by("principle").agg(pl.col("ranked_count").first()).rows())
    assert counts == {"A": 13, "B": 12}
    assert ranks.filter((pl.col("principle") == "B") & (pl.col("org_code") == "o00")).is_empty()
    assert ranks.filter(pl.col("principle") == "B").get_column("rank_p95").max() <= 12


def brute_force_ranks(scores: np.ndarray) -> np.ndarray:
    """1 + the number of strictly higher scores in the same row (NaN is never higher)."""
    return 1.0 + (scores[..., None, :] > scores[..., :, None]).sum(axis=-1)


def brute_force_interval(ranks: np.ndarray) -> list[np.ndarray]:
    """Median and 5–95 % order statistics over the draws; an unranked draw (NaN) counts as the worst."""
    worst_last = np.nan_to_num(ranks, nan=np.inf)
    low = np.percentile(worst_last, 5, axis=0, method="lower")
    high = np.percentile(worst_last, 95, axis=0, method="higher")
    return [np.where(np.isinf(s), np.nan, s) for s in (np.median(worst_last, axis=0), low, high)]


def test_draw_rank_intervals_match_brute_force_ranks_with_ties_and_unscored_organisations() -> None:
    rng = np.random.default_rng(5)
    n_draws, n_orgs, n_principles = 43, 9, 3  # 5 % and 95 % of 42 fall between two draws
    composite = rng.integers(0, 6, (n_draws, n_orgs)) / 5.0  # few distinct values: ties in every draw
    principle = rng.integers(0, 6, (n_draws, n_principles, n_orgs)) / 5.0
    principle[3, 1, 2] = np.nan  # a draw that cannot score one cell
    composite_ok = np.ones(n_orgs, dtype=bool)
    composite_ok[4] = False
    principle_ok = rng.random((n_orgs, n_principles)) > 0.25
    principle_ok[2, 1] = True  # the cell with a NaN draw is nominally scored
    ranks, interval, principle_interval = _draw_ranks(composite, principle, composite_ok, principle_ok)
    expected = brute_force_ranks(composite[:, composite_ok])
    assert np.array_equal(ranks, expected)
    assert all(np.array_equal(a, b) for a, b in zip(interval, brute_force_interval(expected), strict=True))
    for k in range(n_principles):
        scored = np.flatnonzero(principle_ok[:, k])
        ranked = brute_force_ranks(principle[:, k, scored])
        ranked[np.isnan(principle[:, k, scored])] = np.nan
        for got, want in zip(principle_interval, brute_force_interval(ranked), strict=True):
            np.testing.assert_array_equal(got[scored, k], want)


def test_a_period_where_no_organisation_has_a_composite_still_ranks_its_principles() -> None:
    fw = framework(draws=100)
    only_a1 = observations().filter(pl.col("indicator_code") == "a1")  # B has no data: no composite
    ranks, sensitivity = robustness(score(only_a1, fw), fw)
    assert ranks.get_column("principle").to_list() == ["A"] * 13
    assert ranks.get_column("median_rank").null_count() == 0
    assert sensitivity.is_empty()
