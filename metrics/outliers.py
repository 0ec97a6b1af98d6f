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

import numpy as np
import polars as pl

from framework.model import BREAKDOWN_COLUMNS, QualitySettings
from metrics.quality import robust_z

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
    keys = [k for k in SERIES if k in history.columns]
    ordered = history.sort(*keys, "period_start", nulls_last=True)
    ids = ordered.select(keys).unique(maintain_order=True).with_row_index("_series")
    frame = ordered.join(ids, on=keys, how="left", nulls_equal=True, maintain_order="left").with_columns(
        _pos=pl.int_range(pl.len()).over("_series")
    )
    rows = frame.get_column("_series").to_numpy()
    cols = frame.get_column("_pos").to_numpy()
    values = np.full((ids.height, int(cols.max()) + 1), np.nan)
    values[rows, cols] = frame.get_column("value").cast(pl.Float64).to_numpy()
    z = robust_z(values, min_history)[rows, cols]
    return (
        frame.with_columns(
            robust_z=pl.Series(z).fill_nan(None),
            usual_level=pl.col("value").median().over("_series"),
            previous_value=pl.col("value").shift(1).over("_series"),
            n_periods=pl.len().over("_series"),
        )
        .filter(pl.col("robust_z").abs() > outlier_z)
        .sort(pl.col("robust_z").abs(), *keys, "period_start", descending=[True] + [False] * (len(keys) + 1))
        .drop("_series", "_pos")
    )


def flagged_values(observations: pl.DataFrame, settings: QualitySettings) -> pl.DataFrame:
    """The scoring run's unusual values: :func:`unusual_values` on the observations it scores, with
    the framework's ``min_history`` and ``outlier_z``; ``rank`` 1 is the largest deviation."""
    history = observations.select(
        *(c for c in HISTORY_COLUMNS if c in observations.columns),
        *(pl.lit(None, pl.String).alias(c) for c in HISTORY_COLUMNS if c not in observations.columns),
    )
    flagged = unusual_values(history, outlier_z=settings.outlier_z, min_history=settings.min_history)
    return flagged.with_row_index("rank", offset=1).with_columns(pl.col("rank").cast(pl.Int32))
