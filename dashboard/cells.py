"""How one value reads in a table or an export: the column description (:class:`Col`), its
kind, and :data:`MISSING`, what every table shows for a missing value (never "None" or "nan").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from dashboard.context import PageContext
from i18n import formatting as fmt

Kind = Literal[
    "text", "code", "int", "num1", "num2", "score", "pct", "pct1", "date", "datetime", "bool", "list"
]
#: What every table shows for a missing value (a data grid would write "None").
MISSING = fmt.DASH


@dataclass(frozen=True)
class Col:
    """A column to show: its translated label, how to format it, and a width hint."""

    label: str
    kind: Kind = "text"
    width: Literal["small", "medium", "large"] | None = None


LRM = "\u200e"
_SIGNS = frozenset("+-−%٪")
_NUMERIC = frozenset({"int", "num1", "num2", "score", "pct", "pct1"})


def display(value: object, kind: Kind, ctx: PageContext) -> str:
    if value is None:
        return MISSING
    if kind == "int":
        return ctx.num(value, 0)
    if kind == "num1":
        return ctx.num(value, 1)
    if kind == "num2":
        return ctx.num(value, 2)
    if kind == "score":
        return ctx.score(value)
    if kind == "pct":
        return ctx.pct(value)
    if kind == "pct1":
        return ctx.pct(value, 1)
    if kind == "date":
        return ctx.date(value) if isinstance(value, date | datetime) else str(value)
    if kind == "datetime":
        return ctx.when(value) if isinstance(value, datetime) else str(value)
    if kind == "bool":
        return ctx.t("common.yes") if value else ctx.t("common.no")
    if kind == "code":  # a code or a value as typed: kept in its own direction inside Arabic text
        return fmt.isolate(str(value), ctx.lang)
    if kind == "list":
        return (
            fmt.join_list([str(v) for v in value], ctx.lang)
            if isinstance(value, list | tuple)
            else str(value)
        )
    return str(value)


def formatter(kind: Kind, ctx: PageContext) -> Callable[[object], str]:
    """A cell's text: :data:`MISSING` for None and NaN whatever the kind, else :func:`display`."""

    def format_value(value: object) -> str:
        try:
            import pandas as pd

            if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
                return MISSING
        except (TypeError, ValueError):
            pass
        text = display(value, kind, ctx)
        # The grid draws Arabic on a right-to-left canvas, which shows "-5,9" as "5,9-" and "45%" as
        # "%45" and ignores isolates: a left-to-right mark in front keeps sign, digits and % in order.
        signed = kind in _NUMERIC and any(c in _SIGNS for c in text)
        return LRM + text if ctx.rtl and signed else text

    return format_value
