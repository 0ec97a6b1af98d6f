"""Network reach without double counting: a range of distinct people, not one added-up figure.

Adding organisations' counts of people counts twice everyone two members serve. What is certain:
there are at least as many distinct people as the largest single organisation reports, and at most
the plain sum. Where members declared shared beneficiaries pair by pair, the union is at least the
sum minus those overlaps (Bonferroni's inequality: |A ∪ B ∪ …| ≥ Σ|A| − Σ|A ∩ B|), so the lower
bound rises to that, never below the largest organisation and never above the sum.
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

    @property
    def deduplicated(self) -> bool:
        """The lower bound comes from declared overlaps rather than the largest organisation alone."""
        return self.shared > 0 and self.low > self.largest


def reach_range(total: float | None, largest: float | None, shared: float | None = 0.0) -> Reach | None:
    """The range from the plain sum, the largest organisation and the declared shared beneficiaries."""
    if total is None or largest is None:
        return None
    shared = max(0.0, float(shared or 0.0))
    low = min(float(total), max(float(largest), float(total) - shared))
    return Reach(low=low, high=float(total), largest=float(largest), shared=shared)


def with_low_bound(frame: pl.DataFrame) -> pl.DataFrame:
    """``low`` per row of a frame with ``value`` (the plain sum), ``largest`` and ``shared`` (vectorised)."""
    low = pl.max_horizontal(pl.col("largest"), pl.col("value") - pl.col("shared").fill_null(0).clip(lower_bound=0))
    return frame.with_columns(low=pl.min_horizontal(pl.col("value"), low))
