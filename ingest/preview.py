"""What a checked file would change: each row beside the value stored now for the same key."""

from __future__ import annotations

import polars as pl

from framework.vocabulary import BREAKDOWN_COLUMNS

#: The key of one stored value (a new value for the same key supersedes the current one).
VALUE_KEY: tuple[str, ...] = ("org_code", "indicator_code", "period", *BREAKDOWN_COLUMNS)


def breakdown_text(frame: pl.DataFrame) -> pl.Expr:
    """``sex=F, area=rural`` from the breakdown columns (empty for a total)."""
    parts = [
        pl.when(pl.col(k).is_not_null()).then(pl.lit(f"{k}=") + pl.col(k)).otherwise(None)
        for k in BREAKDOWN_COLUMNS
        if k in frame.columns
    ]
    return pl.concat_str(parts, separator=", ", ignore_nulls=True) if parts else pl.lit("")


def diff(rows: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
    """What would be stored, beside the current value for the same key: new, changed or unchanged."""
    keys = list(VALUE_KEY)
    now = (
        current.select(*keys, "current_value", "current_submission")
        if current.height
        else pl.DataFrame(
            schema={**{k: pl.String for k in keys}, "current_value": pl.Float64, "current_submission": pl.Int64}
        )
    )
    joined = rows.join(now, on=keys, how="left", nulls_equal=True)
    return joined.with_columns(
        breakdown=breakdown_text(joined),
        change=pl.when(pl.col("current_value").is_null())
        .then(pl.lit("new"))
        .when(pl.col("current_value") == pl.col("value"))
        .then(pl.lit("unchanged"))
        .otherwise(pl.lit("changed")),
        difference=pl.col("value") - pl.col("current_value"),
    ).sort("line")
