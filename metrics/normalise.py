"""Transform and normalise each indicator to 0–1, then orient it so 1 is always best (methodology §2).

Methods (per indicator, from the framework; the Monte Carlo may override them):

- ``goalposts`` (default): ``(t(x) - t(min)) / (t(max) - t(min))`` clipped to [0, 1], with ``t`` the
  transform (``log`` = natural logarithm, as the HDI does for income). Fixed, so comparable over time.
- ``minmax``: the same with the min and max of the peers (same indicator and period in the run);
  all peers equal → 0.5.
- ``zscore``: ``0.5 + z / 6`` clipped, so ±3 standard deviations (sample) of the peers span 0–1;
  no spread or a single peer → 0.5.
- ``rank``: percentile rank among the peers, ``(rank - 1) / (n - 1)``, ties averaged; alone → 0.5.
- ``target``: the share of the target reached, ``x / target`` (``target / x`` when lower is better),
  clipped to [0, 1]; on raw values, because a share of a logarithm means nothing.

Direction ``down`` reverses the score (``1 - s``) after normalisation, except for ``target``,
which already knows which side is better. Before a log, values are raised to the lower goalpost
(or to 1 without goalposts) so zero counts stay finite. Peers are axis 0 of the arrays
(organisations); every other axis is kept apart.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace

import numpy as np

from framework.model import Direction, Framework, Normalisation, Transform

METHODS: tuple[Normalisation, ...] = tuple(Normalisation)
_CODE = {m: n for n, m in enumerate(METHODS)}
UNSCORED = -1


@dataclass(frozen=True)
class NormalisationParams:
    """Per indicator (the cube's indicator axis): method code, transform and its reference points."""

    indicators: tuple[str, ...]
    method: np.ndarray  # int codes into METHODS; UNSCORED for indicators no principle weighs
    log: np.ndarray
    log_floor: np.ndarray
    lo: np.ndarray  # transformed goalposts (NaN without goalposts)
    hi: np.ndarray
    target: np.ndarray
    down: np.ndarray

    def method_name(self, index: int) -> str | None:
        code = int(self.method[index])
        return None if code == UNSCORED else METHODS[code].value

    def override(self, method: Normalisation) -> NormalisationParams:
        """Every scored indicator switched to ``method`` where it applies (goalposts need goalposts)."""
        applies = (self.method != UNSCORED) & ~(
            (method is Normalisation.GOALPOSTS) & np.isnan(self.lo)
            | (method is Normalisation.TARGET) & np.isnan(self.target)
        )
        return replace(self, method=np.where(applies, _CODE[method], self.method))


def parameters(framework: Framework, indicators: tuple[str, ...] | None = None) -> NormalisationParams:
    """Normalisation parameters along ``indicators`` (default: every framework indicator, in order)."""
    codes = indicators or tuple(i.code for i in framework.indicators)
    method, log, floor, lo, hi, target, down = [], [], [], [], [], [], []
    for code in codes:
        ind = framework.indicator_by_code[code]
        is_log = ind.transform is Transform.LOG
        method.append(_CODE[ind.normalisation] if ind.weights else UNSCORED)
        log.append(is_log)
        floor.append((ind.goalposts[0] if ind.goalposts else 1.0) if is_log else -math.inf)
        t = math.log if is_log else float
        lo.append(t(ind.goalposts[0]) if ind.goalposts else math.nan)
        hi.append(t(ind.goalposts[1]) if ind.goalposts else math.nan)
        target.append(ind.target if ind.target is not None else math.nan)
        down.append(ind.direction is Direction.DOWN)
    return NormalisationParams(
        indicators=codes,
        method=np.array(method, dtype=np.int64),
        log=np.array(log, dtype=bool),
        log_floor=np.array(floor, dtype=np.float64),
        lo=np.array(lo, dtype=np.float64),
        hi=np.array(hi, dtype=np.float64),
        target=np.array(target, dtype=np.float64),
        down=np.array(down, dtype=bool),
    )


def transform(values: np.ndarray, params: NormalisationParams) -> np.ndarray:
    """Apply each indicator's transform along the last axis (NaN stays NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logged = np.log(np.maximum(values, params.log_floor))
    return np.where(params.log, logged, values)


def normalise(values: np.ndarray, params: NormalisationParams) -> np.ndarray:
    """Normalised, oriented scores in [0, 1] (NaN where not reported or not scored).

    ``values`` are raw aggregated values; the last axis is ``params.indicators``; axis 0 holds
    the peers for the peer-relative methods.
    """
    t = transform(values, params)
    out = np.full(values.shape, np.nan)
    for method in METHODS:
        cols = np.flatnonzero(params.method == _CODE[method])
        if cols.size == 0:
            continue
        block = t[..., cols]
        if method is Normalisation.GOALPOSTS:
            lo, hi = params.lo[cols], params.hi[cols]
            s = np.clip((block - lo) / (hi - lo), 0.0, 1.0)
        elif method is Normalisation.MINMAX:
            s = _minmax(block)
        elif method is Normalisation.ZSCORE:
            s = _zscore(block)
        elif method is Normalisation.RANK:
            s = percentile_ranks(block)
        else:
            raw, target, down = values[..., cols], params.target[cols], params.down[cols]
            with np.errstate(divide="ignore", invalid="ignore"):
                s = np.where(down, np.where(raw <= 0, 1.0, target / raw), raw / target)
            s = np.where(np.isnan(raw), np.nan, np.clip(s, 0.0, 1.0))
        out[..., cols] = s
    reverse = params.down & (params.method != _CODE[Normalisation.TARGET])
    return np.where(reverse, 1.0 - out, out)


def _peer_stat(fn, block: np.ndarray, **kwargs) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(block, axis=0, keepdims=True, **kwargs)


def _minmax(block: np.ndarray) -> np.ndarray:
    low, high = _peer_stat(np.nanmin, block), _peer_stat(np.nanmax, block)
    spread = high - low
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(spread > 0, (block - low) / spread, 0.5)
    return np.where(np.isnan(block), np.nan, s)


def _zscore(block: np.ndarray) -> np.ndarray:
    mean, std = _peer_stat(np.nanmean, block), _peer_stat(np.nanstd, block, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(std > 0, np.clip(0.5 + (block - mean) / (6.0 * std), 0.0, 1.0), 0.5)
    return np.where(np.isnan(block), np.nan, s)


def average_ranks(column: np.ndarray) -> np.ndarray:
    """1-based ranks of a 1-D array, ties sharing their average rank; NaN stays NaN."""
    out = np.full(column.shape, np.nan)
    valid = ~np.isnan(column)
    x = column[valid]
    ordered = np.sort(x)
    below = np.searchsorted(ordered, x, side="left")
    upto = np.searchsorted(ordered, x, side="right")
    out[valid] = (below + upto + 1) / 2.0
    return out


def percentile_ranks(block: np.ndarray) -> np.ndarray:
    """``(rank - 1) / (n - 1)`` along axis 0 for every other position; alone → 0.5."""
    flat = block.reshape(block.shape[0], -1)
    out = np.full(flat.shape, np.nan)
    for j in range(flat.shape[1]):  # one column per (period, indicator): never per organisation
        ranks = average_ranks(flat[:, j])
        n = np.count_nonzero(~np.isnan(ranks))
        out[:, j] = (ranks - 1.0) / (n - 1.0) if n > 1 else np.where(np.isnan(ranks), np.nan, 0.5)
    return out.reshape(block.shape)
