"""Small-cell suppression: the one disclosure rule for every breakdown and aggregate a non-committee
viewer reads. It sits beside ``MIN_GROUP`` (``framework.groups``) because it is a rule of what may be
shown, applied in the data layer: the reads in ``store/reads`` call :func:`disclosed` on their result
before it leaves the store, so pages, exports and any later door (API, PDF) hold the same protected
values.

A breakdown (people by sex, age band, area, region or disability, for one period) is a set of
cells and their total, with ``total = Σ cells``. A cell is hidden when it counts fewer than
``MIN_PEOPLE`` people or when fewer than ``MIN_GROUP`` organisations contribute to it (primary
suppression). Hiding one cell is not enough: with the total shown, the total less the other
cells gives it back, so while a breakdown has exactly one unknown (one hidden cell, or a hidden
total with every cell shown) the smallest visible cell is hidden too, then the total if no cell
is left (secondary suppression). Every step is a Polars expression over all breakdowns at once.

A hidden value is ``null`` with ``suppressed = True``: pages write it "< 5" or "masqué", never 0.
The steering committee reads unsuppressed data; see docs/methodology.md ("Small-cell suppression").
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from framework.groups import MIN_GROUP

#: Fewest people a shown cell may count.
MIN_PEOPLE = 5
#: The columns of a breakdown table: the period, the breakdown (``sex``…), its value (``F``; null
#: on the total row), the people counted and the organisations contributing.
CELL_KEYS: tuple[str, ...] = ("period", "dimension")
#: Rounds of secondary suppression: each round hides at most one more cell per breakdown and stops
#: as soon as no breakdown has a single unknown (two rounds suffice; more cost nothing).
_MAX_ROUNDS = 8


def primary(value: pl.Expr, orgs: pl.Expr, *, people: bool = True) -> pl.Expr:
    """Too few people (counts only) or too few organisations behind a value."""
    few_orgs = orgs.fill_null(0) < MIN_GROUP
    return (few_orgs | (value < MIN_PEOPLE)).fill_null(True) if people else few_orgs


def suppress_cells(
    cells: pl.DataFrame,
    *,
    keys: Sequence[str] = CELL_KEYS,
    category: str = "category",
    value: str = "people",
    orgs: str = "orgs",
) -> pl.DataFrame:
    """``cells`` with ``suppressed``, its ``reason`` (``people``, ``orgs`` or ``secondary``) and the
    hidden values set to null (primary then secondary).

    The total row of a breakdown is the one whose ``category`` is null. The frame keeps its rows
    and order; only ``value`` is blanked (``orgs`` stays: how many organisations is no secret).
    """
    if cells.is_empty():
        return cells.with_columns(suppressed=pl.lit(False), reason=pl.lit(None, pl.String))
    keys = list(keys)
    is_total = pl.col(category).is_null()
    frame = cells.with_columns(
        suppressed=primary(pl.col(value), pl.col(orgs)),
        reason=pl.when(pl.col(orgs).fill_null(0) < MIN_GROUP)
        .then(pl.lit("orgs"))
        .when(pl.col(value).fill_null(0) < MIN_PEOPLE)
        .then(pl.lit("people")),
        _rank=pl.col(value).rank("ordinal").over(keys),  # smallest first, ties broken by position
    )
    for _ in range(_MAX_ROUNDS):
        unknown_cells = (pl.col("suppressed") & ~is_total).sum().over(keys)
        total_hidden = (pl.col("suppressed") & is_total).any().over(keys)
        has_total = is_total.any().over(keys)
        visible_cells = (~pl.col("suppressed") & ~is_total).sum().over(keys)
        # One unknown in "total = Σ cells" (a missing total row is hidden: unknown, but not shown).
        exposed = has_total & ((unknown_cells.cast(pl.Int64) + total_hidden.cast(pl.Int64)) == 1)
        smallest_visible = (
            pl.when(~pl.col("suppressed") & ~is_total).then(pl.col("_rank")).otherwise(None).min().over(keys)
        )
        frame = frame.with_columns(
            _more=exposed
            & (
                (~is_total & (pl.col("_rank") == smallest_visible))
                | (is_total & (visible_cells == 0))
            )
        )
        if not frame.get_column("_more").any():
            break
        frame = frame.with_columns(suppressed=pl.col("suppressed") | pl.col("_more"))
    return frame.drop("_rank", "_more", strict=False).with_columns(
        pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(value)).alias(value),
        reason=pl.when(pl.col("suppressed")).then(pl.col("reason").fill_null("secondary")),
    )


def suppress_aggregates(
    frame: pl.DataFrame, values: Sequence[str], *, orgs: str = "n"
) -> pl.DataFrame:
    """Aggregates over organisations (quartiles, totals by period): hidden below ``MIN_GROUP`` of them."""
    if frame.is_empty():
        return frame.with_columns(suppressed=pl.lit(False))
    hidden = primary(pl.lit(None), pl.col(orgs), people=False)
    return frame.with_columns(
        *(pl.when(hidden).then(None).otherwise(pl.col(v)).alias(v) for v in values if v in frame.columns),
        suppressed=hidden,
    )


def unsuppressed(kind: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The steering committee's result: every value, with the same columns as :func:`protect` adds."""
    columns = [pl.lit(False).alias("suppressed")]
    if kind == "cells":
        columns.append(pl.lit(None, pl.String).alias("reason"))
    return frame.with_columns(columns)


def disclosed(kind: str, frame: pl.DataFrame, *, steering: bool) -> pl.DataFrame:
    """A read's result as this viewer may see it: every value for the steering committee, else the
    rule ``kind`` applied (``cells`` or ``aggregates:<col>,<col>``)."""
    return unsuppressed(kind, frame) if steering else protect(kind, frame)


def protect(kind: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Apply the rule a read declares (``cells`` or ``aggregates:<col>,<col>``) to its result."""
    if kind == "cells":
        return suppress_cells(frame)
    if kind.startswith("aggregates:"):
        return suppress_aggregates(frame, kind.removeprefix("aggregates:").split(","))
    raise ValueError(f"unknown suppression kind {kind!r}")
