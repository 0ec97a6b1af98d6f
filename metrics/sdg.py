"""What a set of organisations contributes to the SDGs, counted honestly (the SDG contribution panel).

Each SDG target is shown with the indicators mapped to it, each with its own network figure — never
a sum across indicators, which may count the same people twice (R01 beneficiaries and R03
beneficiaries with disabilities) or add unlike things. The figure of one indicator follows the
network rules (``metrics.network``): counts of people are the reach range of ``metrics.reach``
(certain minimum to plain sum), things that add up are their sum, a yes/no is the share of
organisations answering yes, anything else (rates, ratios, weighted means) the organisations' median.
"""

from __future__ import annotations

import polars as pl

from framework.model import Framework
from metrics.network import counts_people, network_statistic
from metrics.reach import with_low_bound

#: What the figure of an indicator is (the panel says it in words).
FIGURES = ("reach", "total", "share", "median")


def figure_kind(framework: Framework, code: str) -> str:
    """``reach`` (a people count), ``total``, ``share`` (yes/no) or ``median``."""
    indicator = framework.indicator_by_code[code]
    if counts_people(indicator):
        return "reach"
    statistic = network_statistic(indicator, framework.unit_of(code))
    return {"total": "total", "mean": "share"}.get(statistic, "median")


def indicator_figures(totals: pl.DataFrame, framework: Framework) -> pl.DataFrame:
    """``store.reads.sdg.indicator_totals`` with ``figure`` (see :data:`FIGURES`), ``low`` and ``high``
    (equal unless the figure is a reach range)."""
    known = [c for c in totals["indicator_code"].to_list() if c in framework.indicator_by_code]
    kinds = {code: figure_kind(framework, code) for code in known}
    frame = with_low_bound(totals.filter(pl.col("indicator_code").is_in(known)))
    figure = pl.col("indicator_code").replace_strict(kinds, return_dtype=pl.String)
    value = (
        pl.when(figure.is_in(["reach", "total"])).then(pl.col("value"))
        .when(figure == "share").then(pl.col("value") / pl.col("orgs"))
        .otherwise(pl.col("median"))
    )
    return frame.with_columns(
        figure=figure,
        low=pl.when(figure == "reach").then(pl.col("low")).otherwise(value),
        high=value,
    ).select("indicator_code", "orgs", "figure", "low", "high")


def contributions(figures: pl.DataFrame, pairs: pl.DataFrame, reporting: pl.DataFrame) -> pl.DataFrame:
    """goal, target, target_orgs, indicator_code, orgs, figure, low, high — one row per target and
    indicator with a figure, targets in goal order, with the distinct organisations behind the target
    (``store.reads.sdg.target_reporting``; a target below the viewer's minimum group is left out)."""
    targets = reporting.filter(pl.col("target").is_not_null()).select(
        "target", pl.col("orgs").alias("target_orgs")
    )
    return (
        pairs.join(figures, on="indicator_code", how="inner")
        .join(targets, on="target", how="inner")
        .with_columns(pl.col("goal").cast(pl.Int64), _target_order().alias("_order"))
        .sort("goal", "_order", "indicator_code")
        .select("goal", "target", "target_orgs", "indicator_code", "orgs", "figure", "low", "high")
    )


def _target_order() -> pl.Expr:
    """A goal alone first, then ``4.2`` before ``4.10``, numbered targets before lettered ones (``4.a``)."""
    part = pl.col("target").str.split(".").list.get(1, null_on_oob=True)
    return (
        pl.when(part.is_null()).then(pl.lit(""))
        .when(part.str.contains(r"^[0-9]+$")).then(part.str.zfill(3))
        .otherwise("z" + part)
    )
