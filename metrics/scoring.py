"""Principle scores with coverage, and the composite index (methodology §3).

- Principle score: weighted arithmetic (or geometric) mean of its reported normalised indicators.
- Coverage: reported weight / total weight of the principle. Below the framework's threshold the
  principle is ``insufficient_data`` with a null score — missing data is never a low score.
- Composite: weighted geometric (or arithmetic) mean of the scored principles. Its coverage is
  the share of the principles' weight that entered it, each scored principle counted by its own
  coverage; below the composite threshold it is ``insufficient_data`` too.
- Scores are on 0–100.

A geometric mean raises values below the framework's ``geometric_floor`` to it; with the default
floor 0, a zero anywhere makes the mean zero, as a true geometric mean does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from framework.model import Aggregation, Framework
from framework.periods import Granularity
from metrics.aggregate import indicator_cube
from metrics.cube import Cube
from metrics.normalise import NormalisationParams, normalise, parameters, transform

OK = "ok"
INSUFFICIENT = "insufficient_data"
#: Coverage is compared with this slack so 0.3 + 0.2 counts as reaching 0.5.
_EPS = 1e-9


@dataclass(frozen=True)
class Weights:
    """The framework's weights as arrays along the cube's indicator axis and the principle axis."""

    principles: tuple[str, ...]
    indicator: np.ndarray  # (I, K): weight of indicator i in principle k (0 = not part of it)
    principle: np.ndarray  # (K,): weight of each principle in the composite
    geometric: np.ndarray  # (K,): principle k aggregates its indicators geometrically

    @property
    def total(self) -> np.ndarray:
        return self.indicator.sum(axis=0)


def weights(framework: Framework, indicators: tuple[str, ...] | None = None) -> Weights:
    codes = indicators or tuple(i.code for i in framework.indicators)
    principles = tuple(p.code for p in framework.principles)
    matrix = np.zeros((len(codes), len(principles)))
    for i, code in enumerate(codes):
        for p, w in framework.indicator_by_code[code].weights.items():
            matrix[i, principles.index(p)] = w
    return Weights(
        principles=principles,
        indicator=matrix,
        principle=np.array([p.weight for p in framework.principles], dtype=np.float64),
        geometric=np.array([framework.aggregation_of(p) is Aggregation.GEOMETRIC for p in principles]),
    )


def weighted_means(
    scores: np.ndarray, weight: np.ndarray, geometric: np.ndarray | bool, floor: float
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted means of ``scores`` (…, n) with ``weight`` (n, k) → (means (…, k), reported weight (…, k)).

    NaN scores are left out (their weight is not reported). ``geometric`` (k,) picks the rule per
    output column.
    """
    present = ~np.isnan(scores)
    reported = present.astype(np.float64) @ weight
    filled = np.where(present, scores, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        arithmetic = (filled @ weight) / reported
        raised = np.where(present, np.maximum(filled, floor), 1.0)
        zero = present & (raised <= 0.0)
        logs = np.log(np.where(zero, 1.0, raised))
        geo = np.exp((logs @ weight) / reported)
        geo = np.where((zero.astype(np.float64) @ weight) > 0, 0.0, geo)
    means = np.where(geometric, geo, arithmetic)
    return np.where(reported > 0, means, np.nan), reported


def principle_scores(
    normalised: np.ndarray, w: Weights, threshold: float, floor: float
) -> tuple[np.ndarray, np.ndarray]:
    """(scores 0–1 with NaN = insufficient data, coverage) with a principle axis last."""
    means, reported = weighted_means(normalised, w.indicator, w.geometric, floor)
    coverage = np.clip(reported / w.total, 0.0, 1.0)
    return np.where(coverage >= threshold - _EPS, means, np.nan), coverage


def composite_scores(
    principle: np.ndarray, coverage: np.ndarray, w: Weights, geometric: bool, threshold: float, floor: float
) -> tuple[np.ndarray, np.ndarray]:
    """(composite 0–1 with NaN = insufficient data, composite coverage) from principle scores."""
    scored = ~np.isnan(principle)
    weight = w.principle[:, None]
    means, _ = weighted_means(principle, weight, geometric, floor)
    total_coverage = (np.where(scored, coverage, 0.0) @ weight)[..., 0] / w.principle.sum()
    return np.where(total_coverage >= threshold - _EPS, means[..., 0], np.nan), total_coverage


@dataclass(frozen=True)
class ScoringResult:
    """A nominal scoring run before robustness, quality and trends; frames are built on demand."""

    cube: Cube
    params: NormalisationParams
    weights: Weights
    normalised: np.ndarray  # (O, P, I)
    principle: np.ndarray  # (O, P, K) 0–1, NaN = insufficient data
    coverage: np.ndarray  # (O, P, K)
    composite: np.ndarray  # (O, P)
    composite_coverage: np.ndarray  # (O, P)

    @property
    def granularity(self) -> Granularity:
        return self.cube.granularity

    @cached_property
    def scores(self) -> pl.DataFrame:
        """org_code, period_key, period, principle (null = composite), score 0–100, coverage, status."""
        present = self.cube.present()
        rows = self.cube.row_frame(present)
        k = len(self.weights.principles)
        score = np.concatenate([self.principle[present], self.composite[present][:, None]], axis=1)
        coverage = np.concatenate([self.coverage[present], self.composite_coverage[present][:, None]], axis=1)
        labels = pl.Series("principle", [*self.weights.principles, None], dtype=pl.String)
        n = rows.height
        frame = pl.DataFrame(
            {
                "org_code": rows.get_column("org_code").gather(np.repeat(np.arange(n), k + 1)),
                "period_key": np.repeat(rows.get_column("period_key").to_numpy(), k + 1),
                "period": rows.get_column("period").gather(np.repeat(np.arange(n), k + 1)),
                "principle": labels.gather(np.tile(np.arange(k + 1), n)),
                "score": score.ravel() * 100.0,
                "coverage": coverage.ravel(),
            }
        )
        return frame.with_columns(
            score=pl.col("score").fill_nan(None),
            status=pl.when(pl.col("score").is_nan()).then(pl.lit(INSUFFICIENT)).otherwise(pl.lit(OK)),
        )

    @cached_property
    def values(self) -> pl.DataFrame:
        """One row per reported cell: aggregated value, count, method, transformed and normalised value."""
        cube = self.cube
        methods = pl.Series(
            "method", [self.params.method_name(i) for i in range(len(cube.indicators))], dtype=pl.String
        )
        frame = cube.long(
            ~np.isnan(cube.values),
            {
                "value": cube.values,
                "n_values": cube.counts,
                "method": methods,
                "transformed": transform(cube.values, self.params),
                "normalised": self.normalised,
            },
        )
        return frame.with_columns(pl.col("normalised").fill_nan(None))


def score_cube(cube: Cube, framework: Framework) -> ScoringResult:
    """Normalise, aggregate into principles and the composite (pure)."""
    params = parameters(framework, cube.indicators)
    w = weights(framework, cube.indicators)
    meta = framework.meta
    normalised = normalise(cube.values, params)
    principle, coverage = principle_scores(normalised, w, meta.coverage_threshold, meta.geometric_floor)
    composite, composite_coverage = composite_scores(
        principle,
        coverage,
        w,
        meta.composite_aggregation is Aggregation.GEOMETRIC,
        meta.composite_threshold,
        meta.geometric_floor,
    )
    return ScoringResult(cube, params, w, normalised, principle, coverage, composite, composite_coverage)


def score(
    observations: pl.DataFrame, framework: Framework, granularity: Granularity = Granularity.YEAR
) -> ScoringResult:
    """A whole nominal scoring run over observations (pure: no store, no clock)."""
    return score_cube(indicator_cube(observations, framework, Granularity(granularity)), framework)
