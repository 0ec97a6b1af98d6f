"""The value cube: organisations × run periods × indicators, one float per cell (NaN = not reported).

Scoring works on this dense array so every step is one numpy operation over the whole network
(no loop over organisations), and the Monte Carlo reuses the same arrays. Frames go in and come
out at the edges (:meth:`Cube.long`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from framework.periods import Granularity, period_label_expr


@dataclass(frozen=True)
class Cube:
    """Aggregated values of one run. Axis 0: ``orgs``; axis 1: ``period_keys``; axis 2: ``indicators``."""

    granularity: Granularity
    orgs: tuple[str, ...]
    period_keys: np.ndarray
    indicators: tuple[str, ...]
    values: np.ndarray
    counts: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.values.shape  # type: ignore[return-value]

    def present(self) -> np.ndarray:
        """(org, period) pairs with at least one value: the rows a run reports on."""
        return ~np.isnan(self.values).all(axis=2)

    def period_labels(self) -> pl.Series:
        """The canonical label of each period of the cube, in order."""
        keys = pl.DataFrame({"period_key": self.period_keys.astype(np.int64)})
        return keys.select(period_label_expr(self.granularity).alias("period")).to_series()

    def row_frame(self, mask: np.ndarray) -> pl.DataFrame:
        """org_code, period_key, period for the (org, period) pairs where ``mask`` (O, P) is true."""
        o, p = np.nonzero(mask)
        return pl.DataFrame(
            {
                "org_code": pl.Series(self.orgs, dtype=pl.String).gather(o),
                "period_key": self.period_keys[p].astype(np.int64),
                "period": self.period_labels().gather(p),
            }
        )

    def long(self, mask: np.ndarray, columns: dict[str, np.ndarray | pl.Series]) -> pl.DataFrame:
        """One row per cell where ``mask`` (O, P, I) holds.

        Each (O, P, I) array becomes a column; a Series of length I is spread along the indicators.
        """
        o, p, i = np.nonzero(mask)
        frame = {
            "org_code": pl.Series(self.orgs, dtype=pl.String).gather(o),
            "indicator_code": pl.Series(self.indicators, dtype=pl.String).gather(i),
            "period_key": self.period_keys[p].astype(np.int64),
            "period": self.period_labels().gather(p),
        }
        for name, column in columns.items():
            frame[name] = column.gather(i) if isinstance(column, pl.Series) else column[o, p, i]
        return pl.DataFrame(frame)

    def index_of(self, org_code: str) -> int:
        return self.orgs.index(org_code)


def empty_cube(granularity: Granularity, indicators: tuple[str, ...]) -> Cube:
    return Cube(
        granularity=granularity,
        orgs=(),
        period_keys=np.zeros(0, dtype=np.int64),
        indicators=indicators,
        values=np.zeros((0, 0, len(indicators))),
        counts=np.zeros((0, 0, len(indicators)), dtype=np.int32),
    )
