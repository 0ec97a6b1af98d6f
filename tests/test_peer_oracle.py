"""Anonymised peer comparison: quartiles, median and own percentile, only for groups of five or more."""

from __future__ import annotations

import polars as pl
import pytest
from peer_oracle import distributions, memberships, peer_comparison

ORGS = pl.DataFrame(
    {
        "org_code": ["a", "b", "c", "d", "e", "f", "g"],
        "kind": ["association"] * 5 + ["cooperative"] * 2,
        "region": ["MA-06"] * 4 + ["MA-01"] * 3,
        "size_band": ["small"] * 7,
        "thematic_areas": [
            ["education", "youth"],
            ["education"],
            ["education"],
            ["education"],
            ["education"],
            ["youth"],
            [],
        ],
    }
)
SCORES = pl.DataFrame({"org_code": list("abcdefg"), "score": [10.0, 20.0, 30.0, 40.0, 50.0, 30.0, None]})


def test_memberships_cover_every_grouping_and_skip_blanks() -> None:
    orgs = ORGS.with_columns(region=pl.when(pl.col("org_code") == "g").then(pl.lit("")).otherwise("region"))
    groups = memberships(orgs).filter(pl.col("org_code") == "a").sort("group", "group_value")
    assert groups.select("group", "group_value").rows() == [
        ("kind", "association"),
        ("network", "all"),
        ("region", "MA-06"),
        ("size_band", "small"),
        ("thematic_area", "education"),
        ("thematic_area", "youth"),
    ]
    assert memberships(orgs).filter((pl.col("org_code") == "g") & (pl.col("group") == "region")).is_empty()


def test_distributions_only_for_groups_of_at_least_five_scored() -> None:
    found = distributions(SCORES, ORGS)
    keys = set(found.select("group", "group_value").rows())
    # network (6 scored), association (5), small (6), education (5); MA-06 has 4, youth 2: absent
    assert keys == {
        ("network", "all"),
        ("kind", "association"),
        ("size_band", "small"),
        ("thematic_area", "education"),
    }
    association = found.filter(pl.col("group") == "kind").row(0, named=True)
    assert (association["n"], association["q1"], association["median"], association["q3"]) == (
        5,
        20.0,
        30.0,
        40.0,
    )
    assert "org_code" not in found.columns and "min" not in found.columns


def test_peer_comparison_gives_the_own_percentile_with_ties_counted_half() -> None:
    view = peer_comparison(SCORES, ORGS, "c")
    percentiles = dict(zip(view.get_column("group"), view.get_column("percentile"), strict=True))
    assert percentiles["kind"] == pytest.approx(100 * (2 + 0.5) / 5)
    assert percentiles["network"] == pytest.approx(100 * (2 + 0.5 * 2) / 6)  # f ties with c at 30
    assert "region" not in percentiles  # MA-06 has only four organisations: nothing at all


def test_no_comparison_without_a_score_or_a_large_enough_group() -> None:
    assert peer_comparison(SCORES, ORGS, "g").is_empty()
    assert peer_comparison(SCORES.head(4), ORGS, "a").is_empty()
