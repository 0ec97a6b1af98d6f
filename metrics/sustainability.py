"""Sustainability over time: trend, persistence, sustained level, progress to target (methodology §5).

Every series is one organisation × principle (or composite, or indicator) along the run's
periods, on the 0–100 score scale (indicators: their normalised value × 100), so one tolerance
band reads the same everywhere.

- Trend: Theil–Sen slope (median of the pairwise slopes, robust to one odd year) over the last
  ``trend_periods`` periods ending at the series' latest period, in points per period;
  *improving* above ``+stable_band``, *declining* below ``-stable_band``, else *stable*; fewer
  than ``min_trend_periods`` points → *insufficient_data*.
- Persistence: share of the window's periods at or above ``persistence_threshold``;
  *sustained* when the latest ``sustained_periods`` consecutive periods all are.
- Progress (indicators with a target): share of the gap between the window's first value and
  the target closed by the latest value, capped at 1 (negative when moving away).
- Complete periods only: a partial period (``framework.periods.period_states``: its deadline has not
  passed and too few members reported) is left out of every series, so one member's early file
  never pulls a slope or a *sustained* status; the pages draw it apart, labelled *en cours*.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from framework.model import Framework, SustainabilitySettings
from framework.periods import period_label_expr, period_states
from metrics.scoring import ScoringResult
from metrics.stats import nan_median

IMPROVING, STABLE, DECLINING, INSUFFICIENT = "improving", "stable", "declining", "insufficient_data"


def theil_sen(series: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slopes over the last ``window`` periods of each series along the last axis.

    Returns (slope per period, number of points used, index of the series' latest period);
    NaN slope where fewer than two points.
    """
    n_periods = series.shape[-1]
    present = ~np.isnan(series)
    idx = np.arange(n_periods)
    last = np.where(present.any(axis=-1), np.max(np.where(present, idx, -1), axis=-1), -1)
    in_window = present & (idx > (last[..., None] - window)) & (last[..., None] >= 0)
    i, j = np.triu_indices(n_periods, k=1)
    close = (j - i) < window
    i, j = i[close], j[close]
    both = in_window[..., i] & in_window[..., j]
    with np.errstate(invalid="ignore"):
        slopes = np.where(both, (series[..., j] - series[..., i]) / (j - i), np.nan)
    slope = nan_median(slopes, axis=-1)[..., 0] if slopes.shape[-1] else np.full(series.shape[:-1], np.nan)
    return slope, in_window.sum(axis=-1), last


def classify(slope: np.ndarray, n_points: np.ndarray, settings: SustainabilitySettings) -> np.ndarray:
    """improving / stable / declining, or insufficient_data with too few periods."""
    label = np.where(
        slope > settings.stable_band, IMPROVING, np.where(slope < -settings.stable_band, DECLINING, STABLE)
    )
    return np.where((n_points < settings.min_trend_periods) | np.isnan(slope), INSUFFICIENT, label).astype(
        object
    )


def persistence(
    series: np.ndarray, last: np.ndarray, settings: SustainabilitySettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(share of window periods at level, consecutive periods at level ending at the latest, sustained)."""
    n_periods = series.shape[-1]
    idx = np.arange(n_periods)
    window = settings.trend_periods
    present = ~np.isnan(series)
    in_window = present & (idx > (last[..., None] - window)) & (last[..., None] >= 0)
    at_level = present & (np.nan_to_num(series, nan=-np.inf) >= settings.persistence_threshold)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (at_level & in_window).sum(axis=-1) / in_window.sum(axis=-1)
    run = np.zeros(series.shape[:-1], dtype=np.int64)
    still = last >= 0
    for back in range(n_periods):  # walks back over periods, never over organisations
        pos = last - back
        ok = (
            still
            & (pos >= 0)
            & np.take_along_axis(at_level, np.clip(pos, 0, None)[..., None], axis=-1)[..., 0]
        )
        run += ok
        still = ok
    return share, run, run >= settings.sustained_periods


def progress_to_target(raw: np.ndarray, target: np.ndarray, last: np.ndarray, window: int) -> np.ndarray:
    """Share of the gap from the window's first value to the target closed at the latest value."""
    n_periods = raw.shape[-1]
    idx = np.arange(n_periods)
    present = ~np.isnan(raw)
    in_window = present & (idx > (last[..., None] - window)) & (last[..., None] >= 0)
    first_idx = np.where(in_window.any(axis=-1), np.argmax(in_window, axis=-1), 0)
    first = np.take_along_axis(raw, first_idx[..., None], axis=-1)[..., 0]
    latest = np.take_along_axis(raw, np.clip(last, 0, None)[..., None], axis=-1)[..., 0]
    gap = target - first
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(gap == 0, 1.0, (latest - first) / gap)
    reached = np.where(gap >= 0, latest >= target, latest <= target)
    share = np.where(reached, 1.0, np.minimum(share, 1.0))
    return np.where((last >= 0) & ~np.isnan(target), share, np.nan)


def complete_periods(
    result: ScoringResult, members: list[str], *, today: date, deadline_days: float, share: float
) -> np.ndarray:
    """Whether each period of the run is complete (one bool per cube period), by the one rule of
    ``framework.periods.period_states``: reporting = ``members`` (the active organisations) with a
    value in the period, expected = all of them."""
    cube = result.cube
    if not cube.period_keys.size:
        return np.zeros(0, dtype=bool)
    member = np.isin(np.asarray(cube.orgs, dtype=object), list(members))
    counts = pl.DataFrame(
        {
            "period": cube.period_labels(),
            "reporting": (cube.present() & member[:, None]).sum(axis=0).astype(np.int64),
            "expected": np.full(cube.period_keys.size, len(members), dtype=np.int64),
        }
    )
    states = period_states(counts, today=today, deadline_days=deadline_days, share=share)
    by_period = dict(zip(states["period"].to_list(), states["complete"].to_list(), strict=True))
    return np.array([by_period[p] for p in counts["period"].to_list()], dtype=bool)


def trends(result: ScoringResult, framework: Framework, complete: np.ndarray | None = None) -> pl.DataFrame:
    """One row per organisation × (principle | composite | indicator) series with at least one value
    in a complete period (``complete``: one bool per cube period; None: every period is).

    Columns: org_code, principle (null for composite and indicator rows), indicator_code (null
    for principle and composite rows), last_period, n_periods, slope, trend, persistence,
    current_run, sustained, progress.
    """
    settings = framework.meta.sustainability
    cube = result.cube
    principles = result.weights.principles
    # Series along the last axis: (O, K+1, P) for principles + composite, (O, I, P) for indicators.
    level = np.concatenate([result.principle, result.composite[..., None]], axis=2) * 100.0
    level = np.moveaxis(level, 1, 2)
    scored = np.array([result.params.method_name(i) is not None for i in range(len(cube.indicators))])
    ind_level = np.moveaxis(result.normalised[..., scored], 1, 2) * 100.0
    ind_raw = np.moveaxis(cube.values[..., scored], 1, 2)
    codes = [c for c, s in zip(cube.indicators, scored, strict=True) if s]
    targets = np.array([framework.indicator_by_code[c].target or np.nan for c in codes], dtype=np.float64)
    if complete is not None and not complete.all():  # a partial period is no point of any series
        level, ind_level, ind_raw = (np.where(complete, a, np.nan) for a in (level, ind_level, ind_raw))

    frames = []
    for series, names, is_indicator in ((level, [*principles, None], False), (ind_level, codes, True)):
        slope, n_points, last = theil_sen(series, settings.trend_periods)
        share, run, sustained = persistence(series, last, settings)
        label = classify(slope, n_points, settings)
        progress = (
            progress_to_target(ind_raw, targets[None, :], last, settings.trend_periods)
            if is_indicator
            else np.full(slope.shape, np.nan)
        )
        o, k = np.nonzero(last >= 0)
        names_s = pl.Series(names, dtype=pl.String).gather(k)
        frames.append(
            pl.DataFrame(
                {
                    "org_code": pl.Series(cube.orgs, dtype=pl.String).gather(o),
                    "principle": names_s if not is_indicator else pl.Series([None] * len(o), dtype=pl.String),
                    "indicator_code": names_s
                    if is_indicator
                    else pl.Series([None] * len(o), dtype=pl.String),
                    "period_key": cube.period_keys[last[o, k]].astype(np.int64),
                    "n_periods": n_points[o, k].astype(np.int64),
                    "slope": slope[o, k],
                    "trend": pl.Series(label[o, k].tolist(), dtype=pl.String),
                    "persistence": share[o, k],
                    "current_run": run[o, k],
                    "sustained": sustained[o, k],
                    "progress": progress[o, k],
                }
            )
        )
    out = pl.concat(frames).with_columns(pl.col("slope", "persistence", "progress").fill_nan(None))
    return out.with_columns(last_period=period_label_expr(cube.granularity)).drop("period_key")
