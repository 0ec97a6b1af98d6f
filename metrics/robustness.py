"""Robustness of rankings: Monte Carlo over the subjective choices (methodology §7; JRC/COIN practice).

For each period, ``draws`` evaluations of the whole index, each with

- weights: indicator weights within each principle and principle weights in the composite, drawn
  from Dirichlet distributions centred on the framework's weights (``concentration`` κ: the
  Dirichlet parameters are κ × the normalised weights, so larger κ stays closer to them);
- a normalisation method and an aggregation rule (for principles and for the composite) drawn
  uniformly from the allowed sets.

Composite ranks (1 = best; ties share the best rank) are taken among the organisations with a
nominal composite in the period; a principle that is *insufficient data* nominally stays out of
every draw. Each of them gets its nominal rank, median rank and 5–95 % interval (order
statistics: lower bound rounded down, upper bound rounded up). Principle ranks are taken the same
way among the organisations nominally scored on that principle, from the principle scores of the
same draws (weights within the principle, normalisation, principle aggregation rule): every
principle row gets its median rank and interval too.

First-order sensitivity uses the same evaluations, built as a pick-freeze design (Saltelli;
estimator of Janon et al. 2014): a base draw A and, for each choice g, a draw that keeps g from A
and redraws the rest. Every evaluation is still a draw from the full distribution, so all of them
feed the rank intervals too. S_g is the share of the rank variance explained by choice g alone,
pooled over organisations; the largest S_g names the choice that moves ranks most.

Vectorised with numpy: the draws' weights are laid side by side so each (normalisation, rule)
group is one matrix product over all organisations and draws; Python loops run only over those
few groups, chunks of draws and periods.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from framework.model import Aggregation, Framework, Normalisation, RobustnessSettings
from framework.periods import period_label
from metrics.normalise import normalise
from metrics.scoring import ScoringResult, Weights

CHOICES: tuple[str, ...] = ("weights", "normalisation", "aggregation")
#: Largest draws × organisations × principles block evaluated at once (memory bound).
_CHUNK_CELLS = 4_000_000


def competition_ranks(scores: np.ndarray) -> np.ndarray:
    """Ranks along the last axis, 1 = highest, ties share the best rank; NaN scores get NaN.

    One argsort per call, vectorised over the leading axes (draws). No organisation with a score
    (a period where none has a composite yet): no ranks.
    """
    if scores.size == 0:  # nobody to rank (a period where no organisation has the score)
        return np.full(scores.shape, np.nan)
    flat = scores.reshape(-1, scores.shape[-1])
    keyed = np.where(np.isnan(flat), np.inf, -flat)
    order = np.argsort(keyed, axis=1)  # the order among ties does not matter: they share the first rank
    ordered = np.take_along_axis(keyed, order, axis=1)
    position = np.arange(flat.shape[1])
    new_value = np.ones(ordered.shape, dtype=bool)
    new_value[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first_of_tie = np.maximum.accumulate(np.where(new_value, position, 0), axis=1)
    ranks = np.empty(flat.shape)
    np.put_along_axis(ranks, order, first_of_tie + 1.0, axis=1)
    return np.where(np.isnan(flat), np.nan, ranks).reshape(scores.shape)


def rank_interval(ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(median, 5th percentile rounded down, 95th percentile rounded up) over axis 0 (draws).

    The percentiles are order statistics of the sorted draws: index ⌊0.05 (n − 1)⌋ and ⌈0.95 (n − 1)⌉.
    """
    ordered = np.sort(ranks, axis=0)
    n = ordered.shape[0]
    median = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2.0
    return median, ordered[int(np.floor(0.05 * (n - 1)))], ordered[int(np.ceil(0.95 * (n - 1)))]


def first_order(base: np.ndarray, frozen: np.ndarray) -> float:
    """Janon's estimator of a first-order index from paired outputs (draws × organisations), pooled."""
    mean = (base.mean(axis=0) + frozen.mean(axis=0)) / 2.0
    covariance = (base * frozen).mean(axis=0) - mean**2
    variance = ((base**2 + frozen**2) / 2.0).mean(axis=0) - mean**2
    total = variance.sum()
    return float(np.clip(covariance.sum() / total, 0.0, 1.0)) if total > 1e-12 else 0.0


@dataclass(frozen=True)
class Design:
    """Per evaluation: drawn weights, normalisation index, principle and composite rule indices."""

    indicator_weights: np.ndarray  # (D, I, K)
    principle_weights: np.ndarray  # (D, K)
    method: np.ndarray  # (D,) index into the allowed normalisations
    principle_rule: np.ndarray  # (D,) index into the allowed aggregations
    composite_rule: np.ndarray  # (D,)
    base: np.ndarray  # (B,) evaluation index of each base draw
    frozen: dict[str, np.ndarray]  # choice → (B,) evaluation index keeping that choice from the base


def _dirichlet(rng: np.random.Generator, centre: np.ndarray, concentration: float, size: int) -> np.ndarray:
    """Draws (size, n) around ``centre`` (scaled to its sum); zero entries stay zero."""
    total = centre.sum()
    out = np.zeros((size, centre.size))
    positive = centre > 0
    if positive.sum() == 1:
        out[:, positive] = total
    elif positive.any():
        alpha = concentration * centre[positive] / total
        out[:, positive] = rng.dirichlet(alpha, size=size) * total
    return out


def draw_design(rng: np.random.Generator, w: Weights, settings: RobustnessSettings) -> Design:
    """Pick-freeze design: B base draws and one frozen draw per choice; B = max(1, draws // 4)."""
    n_base = max(settings.draws // (1 + len(CHOICES)), 1)
    total = n_base * (1 + len(CHOICES))
    n_ind, n_pr = w.indicator.shape

    def fresh(size: int) -> dict[str, np.ndarray]:
        indicator = np.zeros((size, n_ind, n_pr))
        for k in range(n_pr):  # one Dirichlet per principle
            indicator[:, :, k] = _dirichlet(rng, w.indicator[:, k], settings.concentration, size)
        return {
            "indicator": indicator,
            "principle": _dirichlet(rng, w.principle, settings.concentration, size),
            "method": rng.integers(len(settings.normalisations), size=size),
            "principle_rule": rng.integers(len(settings.aggregations), size=size),
            "composite_rule": rng.integers(len(settings.aggregations), size=size),
        }

    groups = {
        "weights": ("indicator", "principle"),
        "normalisation": ("method",),
        "aggregation": ("principle_rule", "composite_rule"),
    }
    base = fresh(n_base)
    blocks = [base]
    for choice in CHOICES:
        block = fresh(n_base)
        for name in groups[choice]:
            block[name] = base[name]
        blocks.append(block)
    joined = {name: np.concatenate([b[name] for b in blocks]) for name in base}
    index = np.arange(total).reshape(1 + len(CHOICES), n_base)
    return Design(
        indicator_weights=joined["indicator"],
        principle_weights=joined["principle"],
        method=joined["method"],
        principle_rule=joined["principle_rule"],
        composite_rule=joined["composite_rule"],
        base=index[0],
        frozen={choice: index[1 + n] for n, choice in enumerate(CHOICES)},
    )


def _terms(scores: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(scores with NaN as 0, logarithms of the scores raised to the floor, zero indicator or None)."""
    present = ~np.isnan(scores)
    filled = np.where(present, scores, 0.0)
    raised = np.where(present, np.maximum(filled, floor), 1.0)
    zero = present & (raised <= 0)
    return filled, np.log(np.where(zero, 1.0, raised)), zero.astype(np.float64) if zero.any() else None


def _runs(sorted_keys: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of equal values in a sorted array."""
    cuts = [0, *(np.flatnonzero(np.diff(sorted_keys)) + 1).tolist(), sorted_keys.size]
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def simulate(
    values: np.ndarray,
    result: ScoringResult,
    principle_ok: np.ndarray,
    design: Design,
    settings: RobustnessSettings,
    floor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Composite (D, O) and principle (D, O, K) scores of every evaluation for one period's values (O, I).

    Evaluations are sorted by (composite rule, normalisation, principle rule) so that each group
    is one contiguous block of matrix products, and processed in chunks to bound memory.
    """
    n_draws, n_orgs = design.method.size, values.shape[0]
    n_methods, n_rules = len(settings.normalisations), len(settings.aggregations)
    normalised = [
        normalise(values[:, None, :], result.params.override(Normalisation(method)))[:, 0, :]
        for method in settings.normalisations
    ]
    terms = [_terms(scores, floor) for scores in normalised]
    present = (~np.isnan(normalised[0])).astype(np.float64)  # the same cells under every method
    group = (design.composite_rule * n_methods + design.method) * n_rules + design.principle_rule
    order = np.argsort(group, kind="stable")
    composite = np.empty((n_draws, n_orgs))
    principle = np.empty((n_draws, n_orgs, principle_ok.shape[1]))
    chunk = max(1, _CHUNK_CELLS // max(1, n_orgs * principle_ok.shape[1]))
    for start in range(0, n_draws, chunk):
        idx = order[start : start + chunk]
        composite[idx], principle[idx] = _evaluate(
            terms, present, principle_ok, design, idx, group[idx], settings, floor
        )
    return composite, principle


def _evaluate(
    terms: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]],
    present: np.ndarray,
    principle_ok: np.ndarray,
    design: Design,
    idx: np.ndarray,
    group: np.ndarray,
    settings: RobustnessSettings,
    floor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Composite (d, O) and principle scores (d, O, K) of the evaluations ``idx`` (sorted ``group`` keys)."""
    n_methods, n_rules = len(settings.normalisations), len(settings.aggregations)
    weight, principle_weight = design.indicator_weights[idx], design.principle_weights[idx]
    n_draws, n_ind, n_pr = weight.shape
    n_orgs = present.shape[0]
    stacked = weight.transpose(1, 0, 2).reshape(n_ind, n_draws * n_pr)  # the draws' weights side by side
    principle = np.empty((n_draws, n_orgs, n_pr))
    with np.errstate(divide="ignore", invalid="ignore"):
        for start, stop in _runs(group):  # one (composite rule, method, principle rule) block each
            columns = stacked[:, start * n_pr : stop * n_pr]
            filled, logs, zero = terms[(group[start] // n_rules) % n_methods]
            reported = present @ columns
            if settings.aggregations[group[start] % n_rules] is Aggregation.GEOMETRIC:
                mean = np.exp((logs @ columns) / reported)
                if zero is not None:
                    mean = np.where((zero @ columns) > 0, 0.0, mean)
            else:
                mean = (filled @ columns) / reported
            principle[start:stop] = mean.reshape(n_orgs, stop - start, n_pr).transpose(1, 0, 2)
        # the composite over the nominally scored principles (the same ones in every draw)
        total = principle_weight @ principle_ok.T.astype(np.float64)  # (d, O)
        rule = group // (n_methods * n_rules)
        out = np.empty((n_draws, n_orgs))
        for start, stop in _runs(rule):
            w = principle_weight[start:stop, :, None]
            if settings.aggregations[rule[start]] is Aggregation.GEOMETRIC:
                raised = np.where(principle_ok, np.maximum(principle[start:stop], floor), 1.0)
                zero = (raised <= 0).any(axis=2)
                mean = np.exp(
                    np.matmul(np.log(np.where(raised <= 0, 1.0, raised)), w)[..., 0] / total[start:stop]
                )
                out[start:stop] = np.where(zero, 0.0, mean)
            else:
                values = np.where(principle_ok, principle[start:stop], 0.0)
                out[start:stop] = np.matmul(values, w)[..., 0] / total[start:stop]
    return out, principle


def _period_frame(
    orgs: pl.Series, key: int, principle: pl.Series, nominal: np.ndarray, interval: tuple, count: np.ndarray
) -> pl.DataFrame:
    median, low, high = interval
    return pl.DataFrame(
        {
            "org_code": orgs,
            "period_key": np.full(nominal.size, key, dtype=np.int64),
            "principle": principle,
            "nominal_rank": nominal,
            "median_rank": median,
            "rank_p05": low,
            "rank_p95": high,
            "ranked_count": count.astype(np.int64),
        }
    )


def _principle_ranks(scores: np.ndarray) -> np.ndarray:
    """Ranks per principle among the organisations scored on it: (..., O, K) → (..., O, K)."""
    return np.swapaxes(competition_ranks(np.swapaxes(scores, -1, -2)), -1, -2)


def _period_ranks(
    result: ScoringResult, p: int, settings: RobustnessSettings, floor: float
) -> tuple[list[pl.DataFrame], list[tuple[str, str, float]]]:
    """Composite and principle rank rows of period ``p`` (nominal, median, 5–95 %) and its sensitivity."""
    cube, key = result.cube, int(result.cube.period_keys[p])
    in_period = np.union1d(
        np.flatnonzero(cube.present()[:, p]), np.flatnonzero(~np.isnan(result.composite[:, p]))
    )
    if in_period.size == 0:
        return [], []
    composite_ok = ~np.isnan(result.composite[in_period, p])
    principle_scores = result.principle[in_period, p, :]
    principle_ok = ~np.isnan(principle_scores)
    nominal = competition_ranks(result.composite[in_period, p][composite_ok])
    nominal_principle = _principle_ranks(principle_scores)
    interval, principle_interval, sensitivity = (nominal,) * 3, (nominal_principle,) * 3, []
    if settings.draws > 0:
        rng = np.random.default_rng([settings.seed, key % (2**32)])
        design = draw_design(rng, result.weights, settings)
        composite, principle = simulate(
            cube.values[in_period, p, :], result, principle_ok, design, settings, floor
        )
        ranks = competition_ranks(composite[:, composite_ok])
        interval = rank_interval(ranks)
        principle_interval = rank_interval(_principle_ranks(np.where(principle_ok, principle, np.nan)))
        label = period_label(key, cube.granularity)
        sensitivity = [
            (label, choice, first_order(ranks[design.base], ranks[frozen]))
            for choice, frozen in design.frozen.items()
        ]
    orgs = pl.Series(cube.orgs, dtype=pl.String).gather(in_period)
    frames = []
    if composite_ok.any():
        frames.append(
            _period_frame(
                orgs.filter(pl.Series(composite_ok)),
                key,
                pl.Series([None] * int(composite_ok.sum()), dtype=pl.String),
                nominal,
                interval,
                np.full(nominal.size, nominal.size),
            )
        )
    o, k = np.nonzero(principle_ok)  # principle rows: ranked among the organisations scored on it
    frames.append(
        _period_frame(
            orgs.gather(o),
            key,
            pl.Series(result.weights.principles, dtype=pl.String).gather(k),
            nominal_principle[o, k],
            tuple(bound[o, k] for bound in principle_interval),
            principle_ok.sum(axis=0)[k],
        )
    )
    return frames, sensitivity


def robustness(
    result: ScoringResult, framework: Framework, settings: RobustnessSettings | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rank statistics per scored row and first-order sensitivity of the composite ranks per period.

    Returns (ranks: org_code, period_key, principle (null = composite), nominal_rank,
    median_rank, rank_p05, rank_p95, ranked_count — on composite and principle rows alike;
    sensitivity: period, choice, first_order of the composite ranks).
    """
    settings = settings or framework.meta.robustness
    floor = framework.meta.geometric_floor
    frames, sensitivity_rows = [], []
    for p in range(len(result.cube.period_keys)):  # periods are ranked apart; never a loop over organisations
        period_frames, period_sensitivity = _period_ranks(result, p, settings, floor)
        frames += period_frames
        sensitivity_rows += period_sensitivity
    schema = {
        "org_code": pl.String,
        "period_key": pl.Int64,
        "principle": pl.String,
        "nominal_rank": pl.Float64,
        "median_rank": pl.Float64,
        "rank_p05": pl.Float64,
        "rank_p95": pl.Float64,
        "ranked_count": pl.Int64,
    }
    ranks_frame = (
        pl.concat(frames).with_columns(pl.col("median_rank", "rank_p05", "rank_p95").fill_nan(None))
        if frames
        else pl.DataFrame(schema=schema)
    )
    sensitivity = pl.DataFrame(
        sensitivity_rows,
        schema={"period": pl.String, "choice": pl.String, "first_order": pl.Float64},
        orient="row",
    )
    return ranks_frame, sensitivity
