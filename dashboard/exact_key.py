"""A cache key that names its arguments exactly, or says it cannot.

Shared caches (figures kept per process, reads kept by Streamlit) must never hand one value to a
caller that asked for another: a key written from ``repr`` alone can be truncated (a long Polars
Series prints ``…``) or name an object by its address. :func:`exact_key` spells out plain values
(with their type, so ``1``, ``1.0`` and ``True`` differ), lists, tuples, dicts, frozensets and
Polars Series, and raises :class:`Unkeyable` for anything else: the caller then does without.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

_PLAIN = (str, int, float, bool, type(None), date, datetime)


class Unkeyable(Exception):
    """An argument whose text would not name it exactly (a truncated repr, an object)."""


def exact_key(value: object) -> object:
    """``value`` as nested tuples of (type name, plain value); :class:`Unkeyable` if it cannot be."""
    if isinstance(value, _PLAIN):
        return (type(value).__name__, value)
    if isinstance(value, list | tuple):
        return tuple(exact_key(v) for v in value)
    if isinstance(value, dict):
        return ("dict", tuple((exact_key(k), exact_key(v)) for k, v in value.items()))
    if isinstance(value, frozenset):
        return ("frozenset", tuple(sorted(repr(exact_key(v)) for v in value)))
    if isinstance(value, pl.Series):
        return ("series", str(value.dtype), tuple(exact_key(v) for v in value.to_list()))
    raise Unkeyable(type(value).__name__)


def exact_text(*parts: object) -> str:
    """One string naming ``parts`` exactly (``repr`` of :func:`exact_key`); :class:`Unkeyable` if not."""
    return repr(exact_key(parts))
