"""Network reach without double counting: a range of distinct people, not one added-up figure.

Adding organisations' counts of people counts twice everyone two members serve. What is certain:
there are at least as many distinct people as the largest single organisation reports, and at most
the plain sum. Undeclared overlap is unknown, not zero, so without declarations the lower bound is
the largest organisation. Where members declared shared beneficiaries pair by pair, the lower bound
becomes the deduplicated estimate, the sum minus those overlaps (if the declarations are complete,
Bonferroni's inequality |A ∪ B ∪ …| ≥ Σ|A| − Σ|A ∩ B| makes it a true minimum even for people
served by three members), never below the largest organisation and never above the sum.

Programme umbrellas: organisations that declared one programme for an indicator and period are
assumed to serve the same people within it, so the estimate keeps, per programme, only its largest
member's count (``programmes``: what the other members add). That is the strongest overlap the
declaration allows, so the estimate stays a conservative lower bound: the true number of distinct
people is at least ``sum − programmes − shared`` when the declarations are true, and the range
never claims more than the plain sum. Declared pairs within one programme are not subtracted twice
(``store.reads.overview`` leaves them out).
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
    #: What programme umbrellas add beyond each programme's largest member (subtracted too).
    programmes: float = 0.0
    #: What ``largest`` is: the largest organisation, or (for viewers who see only aggregates) the mean
    #: per organisation, a weaker minimum that reveals no single organisation's figure.
    basis: str = "largest"

    @property
    def deduplicated(self) -> bool:
        """The lower bound comes from declared overlaps rather than the largest organisation alone."""
        return self.deducted > 0 and self.low > self.largest

    @property
    def deducted(self) -> float:
        """People the declarations say are counted more than once: pairs' overlaps and programmes."""
        return self.shared + self.programmes


def reach_range(
    total: float | None, largest: float | None, shared: float | None = 0.0, basis: str = "largest",
    programmes: float | None = 0.0,
) -> Reach | None:
    """The range from the plain sum, the largest organisation, the declared shared beneficiaries and
    what programme umbrellas count more than once."""
    if total is None or largest is None:
        return None
    shared, programmes = max(0.0, float(shared or 0.0)), max(0.0, float(programmes or 0.0))
    deducted = shared + programmes
    deduplicated = float(total) - deducted if deducted > 0 else float(largest)
    low = min(float(total), max(float(largest), deduplicated))
    return Reach(low=low, high=float(total), largest=float(largest), shared=shared, basis=basis,
                 programmes=programmes)


def with_low_bound(frame: pl.DataFrame) -> pl.DataFrame:
    """``low`` per row of a frame with ``value`` (the plain sum), ``largest``, ``shared`` and, when
    given, ``programmes`` (vectorised)."""
    shared = pl.col("shared").fill_null(0)
    if "programmes" in frame.columns:
        shared = shared + pl.col("programmes").fill_null(0)
    deduplicated = pl.when(shared > 0).then(pl.col("value") - shared).otherwise(pl.col("largest"))
    low = pl.max_horizontal(pl.col("largest"), deduplicated)
    return frame.with_columns(low=pl.min_horizontal(pl.col("value"), low))
