"""Unusual values, checked at the granularity they were submitted (pure: polars and numpy only).

The score run checks consistency on its own cube (yearly by default), which needs
``min_history`` periods — three years of yearly values never get there. People submit quarterly
or half-yearly values too; checked as submitted, a quarterly series has twelve periods over
three years and a value ten times the organisation's usual level stands out.

The statistics are ``metrics.quality.robust_z`` (the same modified z-score and thresholds as
the run's consistency grade); this module only lays the series out for it and keeps the context
a reviewer needs.
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl

from framework.model import BREAKDOWN_COLUMNS, QualitySettings
from metrics.quality import robust_z
from metrics.stats import nan_median

SERIES = ("org_code", "indicator_code", "granularity", *BREAKDOWN_COLUMNS)
#: What the check reads of each observation (and keeps on a flagged row).
HISTORY_COLUMNS = (*SERIES, "period", "period_start", "value", "unit", "submission_id")
CONTEXT = {
    "usual_level": pl.Float64,
    "previous_value": pl.Float64,
    "n_periods": pl.UInt32,
    "robust_z": pl.Float64,
}


def unusual_values(history: pl.DataFrame, *, outlier_z: float, min_history: int) -> pl.DataFrame:
    """The values whose robust |z| against their own series exceeds ``outlier_z``, largest first.

    ``history`` holds one row per value with the ``SERIES`` columns, ``period_start`` and
    ``value`` (``store.reads.quality.observation_history``). Each flagged row keeps its columns and gets
    the series' usual level (its median, the centre of the z-score), the value of the period
    before, how many values the series has, and the z-score itself.
    """
    if history.is_empty():
        return history.with_columns(*(pl.lit(None, dtype).alias(name) for name, dtype in CONTEXT.items()))
    # A key column that is null throughout tells no series apart (most breakdowns): not sorted on.
    keys = [k for k in SERIES if k in history.columns and history.get_column(k).null_count() < history.height]
    ordered = history.sort(*keys, "period_start", nulls_last=True)
    series, position, lengths = _series_layout(ordered, keys)
    values = ordered.get_column("value").cast(pl.Float64).to_numpy()
    matrix = np.full((lengths.size, int(lengths.max())), np.nan)
    matrix[series, position] = values
    z = robust_z(matrix, min_history)[series, position]
    hit = np.flatnonzero(np.abs(np.nan_to_num(z, nan=0.0)) > outlier_z)
    # Context only for the flagged values: the series' median, the value before, the series' length.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a series of nulls has no median
        usual = nan_median(matrix[series[hit]], axis=1).ravel() if hit.size else np.empty(0)
    previous = np.where(position[hit] > 0, values[np.maximum(hit - 1, 0)], np.nan)
    return (
        ordered[hit]
        .with_columns(
            robust_z=pl.Series(z[hit], dtype=pl.Float64).fill_nan(None),
            usual_level=pl.Series(usual, dtype=pl.Float64).fill_nan(None),
            previous_value=pl.Series(previous, dtype=pl.Float64).fill_nan(None),
            n_periods=pl.Series(lengths[series[hit]], dtype=pl.UInt32),
        )
        .sort(pl.col("robust_z").abs(), *keys, "period_start", descending=[True] + [False] * (len(keys) + 1))
    )


def _series_layout(ordered: pl.DataFrame, keys: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For rows sorted by series: each row's series number and position in it, and each series' length."""
    changed = ordered.select(
        pl.any_horizontal([pl.col(k).ne_missing(pl.col(k).shift(1)) for k in keys]).fill_null(True)
    ).to_series().to_numpy().copy()
    changed[0] = True
    starts = np.flatnonzero(changed)
    lengths = np.diff(np.append(starts, ordered.height))
    series = np.cumsum(changed) - 1
    position = np.arange(ordered.height) - starts[series]
    return series, position, lengths


def flagged_values(observations: pl.DataFrame, settings: QualitySettings) -> pl.DataFrame:
    """The scoring run's unusual values: :func:`unusual_values` on the observations it scores, with
    the framework's ``min_history`` and ``outlier_z``; ``rank`` 1 is the largest deviation."""
    history = observations.select(
        *(c for c in HISTORY_COLUMNS if c in observations.columns),
        *(pl.lit(None, pl.String).alias(c) for c in HISTORY_COLUMNS if c not in observations.columns),
    )
    flagged = unusual_values(history, outlier_z=settings.outlier_z, min_history=settings.min_history)
    return flagged.with_row_index("rank", offset=1).with_columns(pl.col("rank").cast(pl.Int32))


def incoming_unusual(incoming: pl.DataFrame, stored: pl.DataFrame, settings: QualitySettings) -> pl.DataFrame:
    """The values of an upload (or a form) the consistency rule flags against the organisation's history.

    The rule of the scoring run (:func:`unusual_values` with the framework's ``min_history`` and
    ``outlier_z``), applied to each incoming value within its series as it will stand once stored:
    the stored current values (``store.reads.quality.stored_series``) with the incoming ones in place
    of those they correct. Only incoming values come back (with their columns, ``line`` included, and
    the series' context), largest deviation first.
    """
    keep = [c for c in HISTORY_COLUMNS if c != "submission_id"]
    extra = [c for c in ("line",) if c in incoming.columns]

    def laid_out(frame: pl.DataFrame, mine: bool) -> pl.DataFrame:
        return frame.select(
            *(pl.col(c) if c in frame.columns else pl.lit(None, pl.String).alias(c) for c in keep),
            *(pl.col(c) if c in frame.columns else pl.lit(None, pl.Int64).alias(c) for c in extra),
            _incoming=pl.lit(mine),
        ).with_columns(pl.col("value").cast(pl.Float64), pl.col("period_start").cast(pl.Date))

    new = laid_out(incoming, True)
    key = ["org_code", "indicator_code", "period", *BREAKDOWN_COLUMNS]
    kept = laid_out(stored, False).join(new.select(key), on=key, how="anti", nulls_equal=True)
    together = pl.concat([kept, new], how="vertical_relaxed")
    flagged = unusual_values(together, outlier_z=settings.outlier_z, min_history=settings.min_history)
    return flagged.filter(pl.col("_incoming")).drop("_incoming")
