"""Progress towards an organisation's target: how far the latest value has come from the baseline.

``progress = (value − baseline) / (target − baseline)``: 0 at the baseline, 1 (100 %) at the target,
above 1 beyond it, negative when the value moved away. The formula follows the direction the
target sets (a target below the baseline makes a decrease progress), and whether the target is
reached follows the indicator's direction (for a "down" indicator, at or below the target).
Without a baseline, or with a target equal to it, there is no share of the way — only reached or not.
"""

from __future__ import annotations

import polars as pl


def progress(frame: pl.DataFrame, directions: dict[str, str]) -> pl.DataFrame:
    """``frame`` (indicator_code, value, baseline, target) with ``progress`` and ``reached`` added;
    ``directions``: indicator code → up | down | none."""
    direction = pl.col("indicator_code").replace_strict(directions, default="up", return_dtype=pl.String)
    value, baseline, target = pl.col("value"), pl.col("baseline"), pl.col("target")
    share = (
        pl.when(value.is_not_null() & baseline.is_not_null() & target.is_not_null() & (target != baseline))
        .then((value - baseline) / (target - baseline))
    )
    reached = (
        pl.when(value.is_null() | target.is_null()).then(None)
        .when(direction == "down").then(value <= target)
        .when(direction == "up").then(value >= target)
        .otherwise(share >= 1)
    )
    return frame.with_columns(progress=share, reached=reached)
