"""Duplicates: a row repeating the key (organisation, indicator, period, breakdowns) of an earlier one.

Emits ``duplicate_key``, with the earlier line as ``expected``. Rows whose key is not fully known
(an unknown code, reported already) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ingest.issues import IssueCode, cell_issues
from ingest.rules.codes import Codes, RowCheck


@dataclass(frozen=True)
class KeyPart:
    """One part of the duplicate key: the column's codes, the id of each of its texts (None: the
    key is unknown), and how many ids there are."""

    codes: Codes
    ids: list[int | None]
    count: int | None = None
    empty: int | None = None  # the id of an empty cell (None: the key is unknown)

    @property
    def radix(self) -> int:
        """Exceeds every id + 1 (ids count from 0; an empty breakdown is -1)."""
        count = self.count if self.count is not None else len({i for i in self.ids if i is not None})
        return count + 1


def repeated_keys(table: pl.DataFrame, parts: list[KeyPart]) -> pl.DataFrame | None:
    """Rows repeating the key (organisation, indicator, period, breakdown) of an earlier line, with
    that line as ``first_line``; None when there is none. Rows whose key is not fully known (an
    unknown code, reported already) are left out.

    The key is the mixed-radix number of the small integer ids: exact (no collisions), and it fits
    in 64 bits for any file this size (organisations × indicators × periods × breakdown values).
    The usual file (every key known, none repeated) is checked in NumPy with one reused buffer."""
    space = 1
    for part in parts:
        space *= part.radix
    key = _numpy_key(table, parts)
    if key is not None and not _has_duplicates(key, space):
        return None
    expr = pl.lit(0, pl.Int64)
    for part in parts:
        ids = part.codes.fact(part.ids, pl.Int64())
        if part.empty is not None:  # an empty cell has its id; a text of unknown id stays null
            ids = pl.when(pl.col(part.codes.code).is_null()).then(pl.lit(part.empty, pl.Int64)).otherwise(ids)
        expr = expr * part.radix + ids + 1  # nulls propagate: rows with an unknown key are left out
    keyed = table.with_columns(__key=expr)
    if key is None and not _has_duplicates(keyed.get_column("__key").drop_nulls().to_numpy(), space):
        return None
    repeated = pl.col("__key").is_not_null() & pl.col("__key").is_duplicated()
    return (
        keyed.with_columns(first_line=pl.col("__line").min().over("__key"))
        .filter(repeated & (pl.col("__line") != pl.col("first_line")))
    )


def _numpy_key(table: pl.DataFrame, parts: list[KeyPart]) -> np.ndarray | None:
    """Every row's key, or None when some row's key is not known."""
    key = np.zeros(table.height, dtype=np.int64)
    ids = np.empty(table.height, dtype=np.int64)
    for part in parts:
        lookup = [-2 if i is None else i for i in part.ids]
        codes = table.get_column(part.codes.code)
        if codes.null_count():
            if part.empty is None:
                return None
            lookup.append(part.empty)
            codes = codes.fill_null(len(part.ids))
        np.take(np.array(lookup or [-2], dtype=np.int64), codes.to_numpy(), out=ids)
        if ids.size and ids.min() < -1:
            return None
        key *= part.radix
        key += ids
        key += 1
    return key


#: Largest key space checked with a bitmap (one byte per possible key) rather than a hash set.
_BITMAP_KEYS = 1 << 26


def _has_duplicates(keys: np.ndarray, space: int) -> bool:
    """Whether a key repeats; keys lie in [0, space)."""
    if space > _BITMAP_KEYS:
        return pl.Series(keys).n_unique() < keys.size
    seen = np.zeros(space, dtype=np.bool_)
    seen[keys] = True
    return int(np.count_nonzero(seen)) < keys.size


def check_duplicates(check: RowCheck, parts: list[KeyPart]) -> None:
    """The duplicate-key rule, on the indicator cell of each repeating row."""
    if (repeated := repeated_keys(check.table, parts)) is not None:
        check.found.append(cell_issues(repeated, IssueCode.DUPLICATE_KEY, check.header("indicator_code"),
                                       pl.col("indicator_code"), pl.col("first_line").cast(pl.String)))
