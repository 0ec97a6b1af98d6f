"""What-if principle weights (issue 14): the composite and its rank interval under other weights.

A simulation, never stored. It starts from the *stored* principle scores of a run (0–100, null =
insufficient data, with their coverage) and recomputes the composite exactly as a run does
(``metrics.scoring.composite_scores``: the same weighted mean, geometric floor, coverage rule and
threshold), only with the principle weights the viewer chose. With the framework's own weights it
gives back the stored composite.

Ranks are competition ranks (1 = best, ties share the best rank) among the organisations with a
simulated composite. The rank interval follows ``metrics.robustness``: Dirichlet draws of the
principle weights centred on the chosen weights (the framework's concentration κ and seed), the
composite rule drawn from the allowed aggregations, over the principles nominally scored, then
the median and the 5–95 % order statistics (``robustness.rank_interval``). It cannot redraw
normalisations or the weights within principles (that needs the indicator values, which a
member or a funder may not read for others), so it is at most as wide as the published interval.

The consultation's maths are here too: the median of members' proposals and the rank shifts it
would cause.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from framework.model import Aggregation, Framework
from metrics.robustness import _dirichlet, competition_ranks, rank_interval
from metrics.scoring import INSUFFICIENT, OK, Weights, composite_scores

SIMULATION_COLUMNS = (
    "unit", "composite", "coverage", "status", "rank", "median_rank", "rank_p05", "rank_p95", "ranked_count",
)


class WeightsError(ValueError):
    """Weights that cannot be used: negative, or all zero (nothing left to weigh)."""


@dataclass(frozen=True)
class CompositeMethod:
    """How a framework aggregates principles into the composite."""

    principles: tuple[str, ...]
    weights: np.ndarray  # the framework's principle weights, normalised to sum 1
    geometric: bool
    threshold: float
    floor: float
    draws: int
    seed: int
    concentration: float
    geometric_rules: tuple[bool, ...]  # the allowed aggregations of the robustness draws


def method_of(framework: Framework) -> CompositeMethod:
    meta, robust = framework.meta, framework.meta.robustness
    raw = np.array([p.weight for p in framework.principles], dtype=np.float64)
    return CompositeMethod(
        principles=tuple(p.code for p in framework.principles),
        weights=raw / raw.sum(),
        geometric=meta.composite_aggregation is Aggregation.GEOMETRIC,
        threshold=meta.composite_threshold,
        floor=meta.geometric_floor,
        draws=robust.draws,
        seed=robust.seed,
        concentration=robust.concentration,
        geometric_rules=tuple(rule is Aggregation.GEOMETRIC for rule in robust.aggregations),
    )


def framework_weights(framework: Framework) -> dict[str, float]:
    """The framework's principle weights, normalised to sum 1."""
    method = method_of(framework)
    return dict(zip(method.principles, method.weights.tolist(), strict=True))


def normalised(weights: Mapping[str, float], principles: tuple[str, ...]) -> np.ndarray:
    """Weights along ``principles`` (a missing one is 0), scaled to sum 1."""
    array = np.array([float(weights.get(code, 0.0)) for code in principles], dtype=np.float64)
    if (array < 0).any() or not np.isfinite(array).all():
        raise WeightsError("negative")
    if array.sum() <= 0:
        raise WeightsError("all_zero")
    return array / array.sum()


def _matrices(scores: pl.DataFrame, principles: tuple[str, ...]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """units (sorted), principle scores 0–1 (O, K; NaN = insufficient data) and coverage (O, K; 0 = none)."""
    units = scores.get_column("unit").unique().sort().to_list()
    kept = scores.filter(pl.col("principle").is_in(principles))
    o = kept.get_column("unit").replace_strict({u: n for n, u in enumerate(units)}, return_dtype=pl.Int64).to_numpy()
    k = kept.get_column("principle").replace_strict(
        {p: n for n, p in enumerate(principles)}, return_dtype=pl.Int64
    ).to_numpy()
    score = np.full((len(units), len(principles)), np.nan)
    coverage = np.zeros((len(units), len(principles)))
    score[o, k] = kept.get_column("score").cast(pl.Float64).fill_null(np.nan).to_numpy() / 100.0
    coverage[o, k] = kept.get_column("coverage").cast(pl.Float64).fill_null(0.0).to_numpy()
    return units, score, coverage


def composite(
    principle: np.ndarray, coverage: np.ndarray, weights: np.ndarray, method: CompositeMethod
) -> tuple[np.ndarray, np.ndarray]:
    """(composite 0–1, NaN = insufficient data; coverage) with ``weights``: ``scoring.composite_scores`` itself."""
    w = Weights(
        principles=method.principles,
        indicator=np.zeros((0, len(method.principles))),
        principle=weights,
        geometric=np.full(len(method.principles), method.geometric),
    )
    return composite_scores(principle, coverage, w, method.geometric, method.threshold, method.floor)


def _draw_composites(
    principle: np.ndarray, centre: np.ndarray, method: CompositeMethod, rng: np.random.Generator
) -> np.ndarray:
    """Composite (D, O) of each draw over the nominally scored principles (as ``robustness._evaluate``)."""
    weights = _dirichlet(rng, centre, method.concentration, method.draws)  # (D, K)
    rules = np.array(method.geometric_rules)[rng.integers(len(method.geometric_rules), size=method.draws)]
    scored = ~np.isnan(principle)
    filled = np.where(scored, principle, 0.0)
    raised = np.where(scored, np.maximum(filled, method.floor), 1.0)
    zero = scored & (raised <= 0)
    total = scored.astype(np.float64) @ weights.T  # (O, D)
    with np.errstate(divide="ignore", invalid="ignore"):
        arithmetic = (filled @ weights.T) / total
        geometric = np.exp((np.log(np.where(zero, 1.0, raised)) @ weights.T) / total)
        geometric = np.where((zero.astype(np.float64) @ weights.T) > 0, 0.0, geometric)
    return np.where(rules[None, :], geometric, arithmetic).T


def simulate(
    scores: pl.DataFrame, framework: Framework, weights: Mapping[str, float] | None = None, *, key: str = ""
) -> pl.DataFrame:
    """The composite, rank and rank interval of every unit of ``scores`` (unit, principle, score 0–100,
    coverage) under ``weights`` (default: the framework's; normalised here). ``key`` (the period)
    seeds the draws with the framework's seed, so a simulation is reproducible.

    Returns ``SIMULATION_COLUMNS``: composite 0–100 (null = insufficient data), its coverage, status,
    rank among the units with a composite, median rank, 5th and 95th percentile ranks, ranked_count.
    """
    method = method_of(framework)
    centre = method.weights if weights is None else normalised(weights, method.principles)
    units, principle, coverage = _matrices(scores, method.principles)
    value, value_coverage = composite(principle, coverage, centre, method)
    ok = ~np.isnan(value)
    rank = competition_ranks(value)
    median, low, high = rank, rank, rank
    if method.draws > 0 and ok.any():
        rng = np.random.default_rng([method.seed, zlib.crc32(key.encode("utf-8"))])
        ranks = competition_ranks(_draw_composites(principle[ok], centre, method, rng))
        bounds = [np.full(len(units), np.nan) for _ in range(3)]
        for out, bound in zip(bounds, rank_interval(ranks), strict=True):
            out[ok] = bound
        median, low, high = bounds
    frame = pl.DataFrame(
        {
            "unit": pl.Series(units, dtype=pl.String),
            "composite": value * 100.0,
            "coverage": value_coverage,
            "status": np.where(ok, OK, INSUFFICIENT),
            "rank": rank,
            "median_rank": median,
            "rank_p05": low,
            "rank_p95": high,
            "ranked_count": np.full(len(units), int(ok.sum()), dtype=np.int64),
        }
    )
    return frame.with_columns(pl.col("composite", "rank", "median_rank", "rank_p05", "rank_p95").fill_nan(None))


def median_proposal(proposals: pl.DataFrame, principles: tuple[str, ...]) -> dict[str, float]:
    """The median of members' proposals (org_code, principle, weight), principle by principle.

    Each proposal is first normalised to sum 1 (a principle it leaves out weighs 0), the median is
    taken per principle (the mean of the two middle values for an even count), and the medians are
    normalised to sum 1 again. Empty when there is no proposal.
    """
    if proposals.is_empty():
        return {}
    orgs = proposals.select("org_code").unique()
    grid = orgs.join(pl.DataFrame({"principle": list(principles)}), how="cross")
    filled = grid.join(proposals.select("org_code", "principle", "weight"), on=["org_code", "principle"],
                       how="left").with_columns(pl.col("weight").fill_null(0.0))
    shares = filled.with_columns(share=pl.col("weight") / pl.col("weight").sum().over("org_code"))
    medians = shares.group_by("principle").agg(pl.col("share").median())
    by_code = dict(zip(medians["principle"].to_list(), medians["share"].to_list(), strict=True))
    array = np.array([by_code.get(code) or 0.0 for code in principles])
    if array.sum() <= 0:
        return {}
    return dict(zip(principles, (array / array.sum()).tolist(), strict=True))


def rank_shifts(scores: pl.DataFrame, framework: Framework, weights: Mapping[str, float]) -> pl.DataFrame:
    """unit, composite_now, rank_now, composite_new, rank_new, shift (places gained: rank_now − rank_new)
    for every unit, with the framework's weights and with ``weights``; nominal ranks only."""
    method = method_of(framework)
    units, principle, coverage = _matrices(scores, method.principles)
    now, _ = composite(principle, coverage, method.weights, method)
    new, _ = composite(principle, coverage, normalised(weights, method.principles), method)
    frame = pl.DataFrame(
        {
            "unit": pl.Series(units, dtype=pl.String),
            "composite_now": now * 100.0,
            "rank_now": competition_ranks(now),
            "composite_new": new * 100.0,
            "rank_new": competition_ranks(new),
        }
    ).with_columns(pl.all().exclude("unit").fill_nan(None))
    return frame.with_columns(shift=pl.col("rank_now") - pl.col("rank_new")).sort("rank_new", "unit", nulls_last=True)
