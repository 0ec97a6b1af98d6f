"""One query over a file's few rows, run the way ``DataFrame.select`` runs its own.

``LazyFrame.collect()`` lets Polars pick its engine and optimises the plan: worth it over a large
table, but over the ten rows of a typical file both cost more than the work (a chain of filters run
lazily took longer than the same filters run one by one). A check that fuses several steps into one
lazy query runs it here: the in-memory engine, the plan as written (optimisations never change a
result, only how fast it comes).
"""

from __future__ import annotations

import polars as pl

_AS_WRITTEN = pl.QueryOptFlags.none()
#: Rows up to which a table counts as small (a typical file has ten): over it, one query of every
#: condition costs less than a first query that would spare the others most rows, or tell that
#: some step has nothing to do.
FEW_ROWS = 1_000


def collect(query: pl.LazyFrame) -> pl.DataFrame:
    """The result of ``query``, run in memory without plan optimisation."""
    return query.collect(engine="in-memory", optimizations=_AS_WRITTEN)
