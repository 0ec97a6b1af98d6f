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
few groups, chunks of draws and periods. The draws stay in group order (rank intervals do not
depend on the order; the sensitivity pairs are looked up through it), the principle scores come
out with the organisations last, and every draw × principle is ranked by one argsort; the ranks
are int32, exact, written with the draws last so each cell's order statistics come from one
contiguous sort.
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


#: The rank of a draw whose score is NaN: sorts after every real rank and reads back as NaN.
_UNRANKED = np.iinfo(np.int32).max


def _ranks(scores: np.ndarray, ok: np.ndarray | None = None, draws_last: bool = False) -> np.ndarray:
    """Competition ranks along the last axis (1 = highest, ties share the best rank) as int32;
    NaN scores and those outside ``ok`` (broadcast) get ``_UNRANKED``.

    One argsort over every leading axis at once (draws, principles); gathers and scatters go
    through flat indices. ``draws_last``: scores (D, …, n) give ranks (…, n, D), each cell's draws
    contiguous for the interval's sort.
    """
    n = scores.shape[-1]
    missing = np.isnan(scores)
    if ok is not None:
        missing |= ~ok
    keyed = np.negative(scores)  # ascending keys: the highest score first
    has_missing = bool(missing.any())
    if has_missing:
        np.copyto(keyed, np.inf, where=missing)
    keyed = keyed.reshape(int(np.prod(scores.shape[:-1])), n)  # (rows, n), also when n = 0
    rows = np.arange(keyed.shape[0])
    order = np.argsort(keyed, axis=1)  # the order among ties does not matter: they share the first rank
    flat = (rows * n)[:, None] + order
    ordered = keyed.reshape(-1)[flat]
    new_value = np.empty(ordered.shape, dtype=bool)
    new_value[:, :1] = True
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=new_value[:, 1:])
    first_of_tie = np.where(new_value, np.arange(1, n + 1, dtype=np.int32), np.int32(0))
    np.maximum.accumulate(first_of_tie, axis=1, out=first_of_tie)
    if has_missing:
        first_of_tie[ordered == np.inf] = _UNRANKED  # only missing scores are keyed +inf
    shape = scores.shape
    if draws_last:  # cell (d, l, j) of the scores goes to (l, j, d)
        n_draws = shape[0]
        width = keyed.shape[0] // max(n_draws, 1)
        np.multiply(order, n_draws, out=flat)
        flat += ((rows % width) * (n * n_draws) + rows // width)[:, None]
        shape = shape[1:] + shape[:1]
    ranks = np.empty(keyed.size, dtype=np.int32)
    ranks[flat] = first_of_tie
    return ranks.reshape(shape)


def _as_float(ranks: np.ndarray) -> np.ndarray:
    return np.where(ranks == _UNRANKED, np.nan, ranks.astype(np.float64))


def competition_ranks(scores: np.ndarray) -> np.ndarray:
    """Ranks along the last axis, 1 = highest, ties share the best rank; NaN scores get NaN."""
    if scores.size == 0:
        return np.empty(scores.shape)
    return _as_float(_ranks(scores))


def _order_statistics(n: int) -> tuple[int, int, int, int]:
    """Positions in n sorted draws: the two middle ones, ⌊0.05 (n − 1)⌋ and ⌈0.95 (n − 1)⌉."""
    return (n - 1) // 2, n // 2, int(np.floor(0.05 * (n - 1))), int(np.ceil(0.95 * (n - 1)))


def rank_interval(ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(median, 5th percentile rounded down, 95th percentile rounded up) over axis 0 (draws).

    The percentiles are order statistics of the sorted draws: index ⌊0.05 (n − 1)⌋ and ⌈0.95 (n − 1)⌉.
    """
    ordered = np.sort(ranks, axis=0)
    middle, upper_middle, low, high = _order_statistics(ordered.shape[0])
    return (ordered[middle] + ordered[upper_middle]) / 2.0, ordered[low], ordered[high]


def _draw_interval(ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``rank_interval`` of int32 ranks whose last axis holds the draws (one contiguous sort per cell)."""
    ordered = np.sort(ranks, axis=-1)
    middle, upper_middle, low, high = (_as_float(ordered[..., i]) for i in _order_statistics(ranks.shape[-1]))
    return (middle + upper_middle) / 2.0, low, high


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
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Composite (D, O) and principle (D, K, O) scores of every evaluation for one period's values (O, I),
    with ``order`` (D,): row j of both holds evaluation ``order[j]``.

    Evaluations are sorted by (composite rule, normalisation, principle rule) so that each group
    is one contiguous block of matrix products, and processed in chunks to bound memory. They stay
    in that order (rank intervals do not depend on it), and the principle scores come out with the
    organisations last, the layout the ranking reads.
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
    principle = np.empty((n_draws, principle_ok.shape[1], n_orgs))
    chunk = max(1, _CHUNK_CELLS // max(1, n_orgs * principle_ok.shape[1]))
    for start in range(0, n_draws, chunk):
        stop = min(start + chunk, n_draws)
        composite[start:stop] = _evaluate(
            terms,
            present,
            principle_ok,
            design,
            order[start:stop],
            group[order[start:stop]],
            settings,
            floor,
            principle[start:stop],
        )
    return composite, principle, order


def _evaluate(
    terms: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]],
    present: np.ndarray,
    principle_ok: np.ndarray,
    design: Design,
    idx: np.ndarray,
    group: np.ndarray,
    settings: RobustnessSettings,
    floor: float,
    principle_out: np.ndarray,
) -> np.ndarray:
    """Composite (d, O) of the evaluations ``idx`` (sorted ``group`` keys); their principle scores
    go to ``principle_out`` (d, K, O)."""
    n_methods, n_rules = len(settings.normalisations), len(settings.aggregations)
    weight, principle_weight = design.indicator_weights[idx], design.principle_weights[idx]
    n_draws, n_ind, n_pr = weight.shape
    n_orgs = present.shape[0]
    stacked = weight.transpose(1, 0, 2).reshape(n_ind, n_draws * n_pr)  # the draws' weights side by side
    principle = np.empty((n_draws, n_orgs, n_pr))  # the composite's operand layout
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
            block = mean.reshape(n_orgs, stop - start, n_pr)
            principle[start:stop] = block.transpose(1, 0, 2)
            principle_out[start:stop] = block.transpose(1, 2, 0)
        # the composite over the nominally scored principles (the same ones in every draw)
        total = principle_weight @ principle_ok.T.astype(np.float64)  # (d, O)
        rule = group // (n_methods * n_rules)
        out = np.empty((n_draws, n_orgs))
        unscored = ~principle_ok
        all_scored = not unscored.any()
        for start, stop in _runs(rule):
            w = principle_weight[start:stop, :, None]
            values = principle[start:stop]  # read by nothing after this block: edited in place
            if settings.aggregations[rule[start]] is Aggregation.GEOMETRIC:
                np.maximum(values, floor, out=values)
                if not all_scored:
                    np.copyto(values, 1.0, where=unscored)
                zero = values <= 0
                has_zero = bool(zero.any())
                if has_zero:
                    values[zero] = 1.0
                mean = np.matmul(np.log(values), w)[..., 0]
                mean /= total[start:stop]
                np.exp(mean, out=out[start:stop])
                if has_zero:  # a principle at zero gives a zero composite
                    out[start:stop][zero.any(axis=2)] = 0.0
            else:
                if not all_scored:
                    np.copyto(values, 0.0, where=unscored)
                np.divide(np.matmul(values, w)[..., 0], total[start:stop], out=out[start:stop])
    return out


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


def _draw_ranks(
    composite: np.ndarray, principle: np.ndarray, composite_ok: np.ndarray, principle_ok: np.ndarray
) -> tuple[np.ndarray, tuple, tuple]:
    """Composite ranks of each draw (D, O_c) and the rank intervals of the composite (O_c,) and of
    each principle (O, K), from the draws' composite (D, O) and principle scores (D, K, O)."""
    ranks = _ranks(composite[:, composite_ok])
    interval = _draw_interval(np.ascontiguousarray(ranks.T))
    principle_interval = tuple(bound.T for bound in _draw_interval(_ranks(principle, principle_ok.T, True)))
    return _as_float(ranks), interval, principle_interval


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
    nominal_principle = competition_ranks(principle_scores.T).T  # among the organisations scored on it
    interval, principle_interval, sensitivity = (nominal,) * 3, (nominal_principle,) * 3, []
    if settings.draws > 0:
        rng = np.random.default_rng([settings.seed, key % (2**32)])
        design = draw_design(rng, result.weights, settings)
        composite, principle, order = simulate(
            cube.values[in_period, p, :], result, principle_ok, design, settings, floor
        )
        ranks, interval, principle_interval = _draw_ranks(composite, principle, composite_ok, principle_ok)
        row = np.empty_like(order)
        row[order] = np.arange(order.size)  # evaluation → its row in the draws' (group-sorted) order
        label = period_label(key, cube.granularity)
        sensitivity = [
            (label, choice, first_order(ranks[row[design.base]], ranks[row[frozen]]))
            for choice, frozen in design.frozen.items()
            if composite_ok.any()
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
