"""From observations to one value per organisation, indicator and run period (methodology §1).

Three steps, each vectorised over the whole network:

1. breakdown roll-up: a total row wins; otherwise the breakdown rows of one sub-period roll up
   (summed for counts, weighted by the ``weight_by`` indicator's matching rows for rates);
2. time aggregation to the run's granularity with each indicator's rule (sum, mean, last, max,
   wmean); when a period has values at several granularities, the coarsest one is used so a
   year reported both as a total and by quarter is not counted twice;
3. derived indicators (ratios) computed after aggregation, never averaged from ratios.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from framework.model import BREAKDOWN_COLUMNS, Framework, TimeAggregation, UnitKind
from framework.periods import GRANULARITY_RANK, Granularity, period_key_expr, usable_granularities
from metrics.cube import Cube, empty_cube

SUB_PERIOD: tuple[str, ...] = ("org_code", "indicator_code", "granularity", "period_start")
OBSERVATION_SCHEMA: dict[str, pl.DataType] = {
    "org_code": pl.String,
    "indicator_code": pl.String,
    "granularity": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "value": pl.Float64,
    **{c: pl.String for c in BREAKDOWN_COLUMNS},
}


def conform(observations: pl.DataFrame) -> pl.DataFrame:
    """Add missing optional columns (breakdowns) as nulls and cast to the expected types."""
    missing = [
        pl.lit(None, dtype).alias(c)
        for c, dtype in OBSERVATION_SCHEMA.items()
        if c not in observations.columns
    ]
    frame = observations.with_columns(missing) if missing else observations
    return frame.with_columns(pl.col(c).cast(t) for c, t in OBSERVATION_SCHEMA.items())


def rules_table(framework: Framework) -> pl.DataFrame:
    """Per indicator: time aggregation rule, weighting indicator, and whether it adds up across breakdowns."""
    rows = []
    for ind in framework.indicators:
        kind = framework.unit_of(ind.code).kind
        additive = ind.aggregation in (
            TimeAggregation.SUM,
            TimeAggregation.LAST,
            TimeAggregation.MAX,
        ) and kind in (
            UnitKind.INTEGER,
            UnitKind.DECIMAL,
        )
        rows.append((ind.code, ind.aggregation.value, ind.weight_by, additive))
    return pl.DataFrame(
        rows,
        schema={
            "indicator_code": pl.String,
            "rule": pl.String,
            "weight_by": pl.String,
            "additive": pl.Boolean,
        },
        orient="row",
    )


def roll_up_breakdowns(observations: pl.DataFrame, framework: Framework) -> pl.DataFrame:
    """One value per organisation, indicator and sub-period.

    A total row (no breakdown) is used as given. Without one, the breakdown rows are rolled up
    within the simplest breakdown reported (e.g. by sex rather than by sex and area, so people
    are not counted twice): counts are summed (the largest total wins if two breakdowns of the
    same depth disagree), rates are averaged weighted by the ``weight_by`` indicator's value for
    the same breakdown (equal weights when it is not reported that way).
    """
    has_breakdown = pl.any_horizontal(pl.col(c).is_not_null() for c in BREAKDOWN_COLUMNS)
    flagged = observations.with_columns(_broken=has_breakdown)
    totals = flagged.filter(~pl.col("_broken")).drop("_broken")
    all_parts = flagged.filter(pl.col("_broken")).drop("_broken")
    if all_parts.is_empty():
        return totals.drop(BREAKDOWN_COLUMNS)
    parts = all_parts.join(totals.select(SUB_PERIOD), on=list(SUB_PERIOD), how="anti")
    if parts.is_empty():
        return totals.drop(BREAKDOWN_COLUMNS)

    rules = rules_table(framework)
    parts = parts.join(
        rules.select("indicator_code", "weight_by", "additive"), on="indicator_code", how="left"
    )
    weights = all_parts.select(
        pl.col("org_code"),
        pl.col("indicator_code").alias("weight_by"),
        pl.col("granularity"),
        pl.col("period_start"),
        *[pl.col(c) for c in BREAKDOWN_COLUMNS],
        pl.col("value").alias("_w"),
    )
    parts = parts.join(
        weights,
        on=["org_code", "weight_by", "granularity", "period_start", *BREAKDOWN_COLUMNS],
        how="left",
        nulls_equal=True,
    )
    signature = pl.concat_str(
        [pl.when(pl.col(c).is_not_null()).then(pl.lit(c)).otherwise(pl.lit("")) for c in BREAKDOWN_COLUMNS],
        separator="|",
    )
    depth = pl.sum_horizontal(pl.col(c).is_not_null().cast(pl.Int32) for c in BREAKDOWN_COLUMNS)
    group = [*SUB_PERIOD, "_signature"]
    parts = parts.with_columns(_signature=signature, _depth=depth).with_columns(
        _w=pl.coalesce(pl.col("_w"), pl.col("_w").mean().over(group), pl.lit(1.0))
    )
    rolled = parts.group_by(group).agg(
        pl.col("period_end").max(),
        pl.col("additive").first(),
        pl.col("_depth").first(),
        _sum=pl.col("value").sum(),
        _wmean=(pl.col("value") * pl.col("_w")).sum() / pl.col("_w").sum(),
    )
    rolled = (
        rolled.with_columns(
            value=pl.when(pl.col("additive")).then(pl.col("_sum")).otherwise(pl.col("_wmean"))
        )
        .sort([*SUB_PERIOD, "_depth", "_sum", "_signature"], descending=[False] * 4 + [False, True, False])
        .unique(subset=list(SUB_PERIOD), keep="first", maintain_order=True)
    )
    columns = [c for c in totals.columns if c not in BREAKDOWN_COLUMNS]
    extra = [pl.lit(None, totals.schema[c]).alias(c) for c in columns if c not in rolled.columns]
    return pl.concat([totals.drop(BREAKDOWN_COLUMNS), rolled.with_columns(extra).select(columns)])


_RULE_CODES = {rule.value: n for n, rule in enumerate(TimeAggregation)}


def aggregate_over_time(rows: pl.DataFrame, framework: Framework, granularity: Granularity) -> Cube:
    """One value per organisation, run period and indicator, with each indicator's time rule.

    ``rows`` has one value per sub-period (after :func:`roll_up_breakdowns`). Sub-periods
    coarser than the run's granularity cannot be split and are left out. ``wmean`` weighs each
    sub-period by the ``weight_by`` indicator's value for the same sub-period (the mean of the
    known weights where one is missing, equal weights when none is known).
    """
    codes = tuple(i.code for i in framework.indicators)
    rows = rows.filter(
        pl.col("granularity").is_in(usable_granularities(granularity)) & pl.col("indicator_code").is_in(codes)
    )
    if rows.is_empty():
        return empty_cube(granularity, codes)
    orgs = tuple(rows.get_column("org_code").unique().sort().to_list())
    rows = rows.with_columns(
        _org=pl.col("org_code").cast(pl.Enum(orgs)).to_physical().cast(pl.Int64),
        _ind=pl.col("indicator_code").cast(pl.Enum(codes)).to_physical().cast(pl.Int64),
        _pk=period_key_expr(granularity),
        _grain=pl.col("granularity").replace_strict(GRANULARITY_RANK, return_dtype=pl.Int64),
    )
    p0, p1 = rows.select(lo=pl.col("_pk").min(), hi=pl.col("_pk").max()).row(0)
    n_orgs, n_periods, n_ind = len(orgs), p1 - p0 + 1, len(codes)
    rows = rows.with_columns(_cell=(pl.col("_org") * n_periods + pl.col("_pk") - p0) * n_ind + pl.col("_ind"))
    if rows.get_column("_grain").n_unique() > 1:
        rows = rows.filter(pl.col("_grain") == pl.col("_grain").min().over("_cell"))
    size = n_orgs * n_periods * n_ind

    rule_of = np.array([_RULE_CODES[i.aggregation.value] for i in framework.indicators])
    cell = rows.get_column("_cell").to_numpy()
    value = rows.get_column("value").to_numpy().astype(np.float64)
    row_rule = rule_of[rows.get_column("_ind").to_numpy()]
    cell_rule = rule_of[np.arange(size) % n_ind]
    counts = np.bincount(cell, minlength=size)
    sums = np.bincount(cell, weights=value, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(cell_rule == _RULE_CODES["sum"], sums, np.nan)
        out = np.where(cell_rule == _RULE_CODES["mean"], sums / counts, out)
    is_max = row_rule == _RULE_CODES["max"]
    if is_max.any():
        maxes = np.full(size, -np.inf)
        np.maximum.at(maxes, cell[is_max], value[is_max])
        out = np.where(cell_rule == _RULE_CODES["max"], maxes, out)
    is_last = row_rule == _RULE_CODES["last"]
    if is_last.any():
        ends = rows.get_column("period_end").to_physical().to_numpy().astype(np.int64)
        latest = np.full(size, np.iinfo(np.int64).min)
        np.maximum.at(latest, cell[is_last], ends[is_last])
        final = is_last & (ends == latest[cell])
        out[cell[final]] = value[final]
    is_wmean = row_rule == _RULE_CODES["wmean"]
    if is_wmean.any():
        weight = _sub_period_weights(rows, framework, codes)
        has = ~np.isnan(weight)
        known_sum = np.bincount(cell[has], weights=weight[has], minlength=size)
        known_n = np.bincount(cell[has], minlength=size)
        with np.errstate(invalid="ignore", divide="ignore"):
            cell_mean = np.where(known_n > 0, known_sum / known_n, 1.0)
            w = np.where(has, weight, cell_mean[cell])
            w = np.where(is_wmean, w, 0.0)
            weighted = np.bincount(cell, weights=w * np.where(is_wmean, value, 0.0), minlength=size)
            total = np.bincount(cell, weights=w, minlength=size)
            wmean = np.where(total > 0, weighted / total, sums / counts)
        out = np.where(cell_rule == _RULE_CODES["wmean"], wmean, out)
    out = np.where(counts > 0, out, np.nan)
    shape = (n_orgs, n_periods, n_ind)
    return Cube(
        granularity=Granularity(granularity),
        orgs=orgs,
        period_keys=np.arange(p0, p1 + 1, dtype=np.int64),
        indicators=codes,
        values=out.reshape(shape),
        counts=counts.astype(np.int32).reshape(shape),
    )


def _sub_period_weights(rows: pl.DataFrame, framework: Framework, codes: tuple[str, ...]) -> np.ndarray:
    """Per row, the value of its indicator's ``weight_by`` for the same org and sub-period (NaN if none)."""
    index_of = {code: n for n, code in enumerate(codes)}
    mapping = {index_of[i.code]: index_of[i.weight_by] for i in framework.indicators if i.weight_by}
    keys = ["_org", "granularity", "period_start"]
    wanted = (
        rows.select(*keys, _wind=pl.col("_ind").replace_strict(mapping, default=-1, return_dtype=pl.Int64))
        .with_row_index("_row")
        .filter(pl.col("_wind") >= 0)
    )
    weights = rows.filter(pl.col("_ind").is_in(list(set(mapping.values())))).select(
        *keys, _wind="_ind", _w="value"
    )
    matched = wanted.join(weights, on=[*keys, "_wind"], how="inner")
    out = np.full(rows.height, np.nan)
    out[matched.get_column("_row").to_numpy()] = matched.get_column("_w").cast(pl.Float64).to_numpy()
    return out


def add_derived(cube: Cube, framework: Framework) -> Cube:
    """Fill derived indicators (numerator / denominator of the aggregated values).

    A ratio exists only where both parts were reported and the denominator is not zero.
    """
    values, counts = cube.values.copy(), cube.counts.copy()
    index_of = {code: n for n, code in enumerate(cube.indicators)}
    for ind in framework.derived_order:
        d, num, den = index_of[ind.code], index_of[ind.numerator], index_of[ind.denominator]
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(values[..., den] != 0, values[..., num] / values[..., den], np.nan)
        values[..., d] = ratio
        counts[..., d] = (~np.isnan(ratio)).astype(np.int32)
    return Cube(cube.granularity, cube.orgs, cube.period_keys, cube.indicators, values, counts)


def indicator_cube(observations: pl.DataFrame, framework: Framework, granularity: Granularity) -> Cube:
    """Observations → the cube of aggregated values of every framework indicator, derived ones included."""
    submitted = [i.code for i in framework.indicators if not i.derived]
    obs = (
        conform(observations)
        .select(OBSERVATION_SCHEMA.keys())
        .filter(
            pl.col("indicator_code").is_in(submitted)
            & pl.col("granularity").is_in(usable_granularities(granularity))
        )
    )
    rows = roll_up_breakdowns(obs, framework)
    return add_derived(aggregate_over_time(rows, framework, granularity), framework)
