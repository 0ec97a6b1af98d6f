"""Labels of a frame's values without running Python inside Polars.

``map_elements``/``map_batches`` call Python from Polars' thread pool; in Polars 2.1 that deadlocks
the server when another session rechunks a frame holding the GIL at the same moment (found by
``benchmarks/load_bench.py``). Here the label function runs in the page's own thread, once per
distinct value (the label dict), and Polars only joins: ``frame.with_columns(x=labelled(frame, …))``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

_LABEL = "__athar_label"


def labelled(frame: pl.DataFrame, columns: str | Sequence[str], name: Callable[..., Any],
             *, nulls: bool = False, dtype: pl.DataType | type[pl.DataType] = pl.String) -> pl.Series:
    """``name(value)`` for each row of ``frame`` (``name(*values)`` for several ``columns``), as a Series
    aligned with ``frame``; ``name`` is called once per distinct value. A null (or a row with a
    null) stays null, as ``map_elements`` leaves it, unless ``nulls`` (then ``name`` gets ``None`` too);
    ``dtype`` for labels that are not text."""
    keys = [columns] if isinstance(columns, str) else list(columns)
    rows = frame.select(keys)
    distinct = rows.unique(maintain_order=True)
    texts = [
        None if (not nulls and any(v is None for v in values)) else name(*values)
        for values in distinct.iter_rows()
    ]
    table = distinct.with_columns(pl.Series(_LABEL, texts, dtype=dtype))
    joined = rows.join(table, on=keys, how="left", nulls_equal=True, maintain_order="left")
    return joined.get_column(_LABEL)
