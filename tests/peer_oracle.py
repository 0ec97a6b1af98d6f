"""The test oracle of anonymised peer comparison (methodology §8): ``store.reads.profile.peer_groups`` runs it in SQL.

This Polars version states the rule plainly; the store's SQL, the one pages use, is checked against it.

A member sees its peers only as a distribution — quartiles, median and its own percentile —
within groups of organisations sharing its region, kind, size band or a thematic area (and the
whole network). A group with fewer than ``MIN_GROUP`` scored organisations returns nothing at
all, not even its size, so no single peer can be singled out. No minimum or maximum is returned:
either would be one identifiable organisation's score.
"""

from __future__ import annotations

import polars as pl

from framework.groups import GROUPS, MIN_GROUP

DISTRIBUTION_SCHEMA: dict[str, pl.DataType] = {
    "group": pl.String,
    "group_value": pl.String,
    "n": pl.Int64,
    "q1": pl.Float64,
    "median": pl.Float64,
    "q3": pl.Float64,
}


def memberships(organisations: pl.DataFrame) -> pl.DataFrame:
    """org_code, group, group_value: every peer group each organisation belongs to."""
    orgs = organisations
    if "thematic_areas" not in orgs.columns:
        orgs = orgs.with_columns(thematic_areas=pl.lit(None, pl.List(pl.String)))
    for column in ("region", "kind", "size_band"):
        if column not in orgs.columns:
            orgs = orgs.with_columns(pl.lit(None, pl.String).alias(column))
    single = orgs.select(
        "org_code",
        network=pl.lit("all"),
        region=pl.col("region").cast(pl.String),
        kind=pl.col("kind").cast(pl.String),
        size_band=pl.col("size_band").cast(pl.String),
    ).unpivot(index="org_code", variable_name="group", value_name="group_value")
    thematic = (
        orgs.select("org_code", group_value=pl.col("thematic_areas"))
        .explode("group_value")
        .with_columns(group=pl.lit("thematic_area"))
        .select("org_code", "group", "group_value")
    )
    return (
        pl.concat([single, thematic])
        .filter(pl.col("group_value").is_not_null() & (pl.col("group_value").str.strip_chars() != ""))
        .unique()
    )


def distributions(
    scores: pl.DataFrame, organisations: pl.DataFrame, min_group: int = MIN_GROUP
) -> pl.DataFrame:
    """Quartiles and median of ``scores`` (org_code, score) per peer group of at least ``min_group``."""
    scored = scores.filter(pl.col("score").is_not_null()).select("org_code", "score")
    joined = memberships(organisations).join(scored, on="org_code", how="inner")
    stats = joined.group_by("group", "group_value").agg(
        n=pl.len().cast(pl.Int64),
        q1=pl.col("score").quantile(0.25, interpolation="linear"),
        median=pl.col("score").median(),
        q3=pl.col("score").quantile(0.75, interpolation="linear"),
    )
    order = pl.col("group").replace_strict({g: n for n, g in enumerate(GROUPS)}, return_dtype=pl.Int64)
    return (
        stats.filter(pl.col("n") >= min_group).sort(order, "group_value").select(DISTRIBUTION_SCHEMA.keys())
    )


def peer_comparison(
    scores: pl.DataFrame, organisations: pl.DataFrame, org_code: str, min_group: int = MIN_GROUP
) -> pl.DataFrame:
    """The organisation's peer groups (≥ ``min_group``) with quartiles, median and its own percentile.

    ``scores``: org_code, score for one period and one principle (or the composite). The
    percentile is the share of the group scoring below the organisation, ties counted half
    (0–100). Empty when the organisation has no score or belongs to no group large enough.
    """
    scored = scores.filter(pl.col("score").is_not_null()).select("org_code", "score")
    own = scored.filter(pl.col("org_code") == org_code)
    if own.is_empty():
        return pl.DataFrame(schema={**DISTRIBUTION_SCHEMA, "percentile": pl.Float64})
    mine = own.get_column("score").item()
    member_of = memberships(organisations)
    groups = member_of.filter(pl.col("org_code") == org_code).select("group", "group_value")
    peers = member_of.join(groups, on=["group", "group_value"], how="semi").join(
        scored, on="org_code", how="inner"
    )
    percentile = peers.group_by("group", "group_value").agg(
        percentile=100.0 * ((pl.col("score") < mine).sum() + 0.5 * (pl.col("score") == mine).sum()) / pl.len()
    )
    return (
        distributions(scored, organisations, min_group)
        .join(groups, on=["group", "group_value"], how="semi", maintain_order="left")
        .join(percentile, on=["group", "group_value"], how="left", maintain_order="left")
    )
