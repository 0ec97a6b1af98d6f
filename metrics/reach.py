"""Network reach without double counting: a range of distinct people, not one added-up figure.

Adding organisations' counts of people counts twice everyone two members serve. What is certain:
there are at least as many distinct people as the largest single organisation reports, and at most
the plain sum. Undeclared overlap is unknown, not zero, so without declarations the lower bound is
the largest organisation. Where members declared shared beneficiaries pair by pair, the lower bound
becomes the deduplicated estimate, the sum minus those overlaps (if the declarations are complete,
Bonferroni's inequality |A ∪ B ∪ …| ≥ Σ|A| − Σ|A ∩ B| makes it a true minimum even for people
served by three members), never below the largest organisation and never above the sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Reach:
    """Distinct people reached: ``low`` (certain minimum) to ``high`` (plain sum)."""

    low: float
    high: float
    largest: float
    shared: float
    #: What ``largest`` is: the largest organisation, or (for viewers who see only aggregates) the mean
    #: per organisation, a weaker minimum that reveals no single organisation's figure.
    basis: str = "largest"

    @property
    def deduplicated(self) -> bool:
        """The lower bound comes from declared overlaps rather than the largest organisation alone."""
        return self.shared > 0 and self.low > self.largest


def reach_range(
    total: float | None, largest: float | None, shared: float | None = 0.0, basis: str = "largest"
) -> Reach | None:
    """The range from the plain sum, the largest organisation and the declared shared beneficiaries."""
    if total is None or largest is None:
        return None
    shared = max(0.0, float(shared or 0.0))
    deduplicated = float(total) - shared if shared > 0 else float(largest)
    low = min(float(total), max(float(largest), deduplicated))
    return Reach(low=low, high=float(total), largest=float(largest), shared=shared, basis=basis)


def with_low_bound(frame: pl.DataFrame) -> pl.DataFrame:
    """``low`` per row of a frame with ``value`` (the plain sum), ``largest`` and ``shared`` (vectorised)."""
    shared = pl.col("shared").fill_null(0)
    deduplicated = pl.when(shared > 0).then(pl.col("value") - shared).otherwise(pl.col("largest"))
    low = pl.max_horizontal(pl.col("largest"), deduplicated)
    return frame.with_columns(low=pl.min_horizontal(pl.col("value"), low))
