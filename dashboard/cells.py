"""How one value reads in a table or an export: the column description (:class:`Col`), its
kind, and :data:`MISSING`, what every table shows for a missing value (never "None" or "nan").

A reported value reads by its unit's kind (framework units): a count without decimals, a
percentage with one decimal and ``%``, an amount with its currency's decimals, a yes/no as words
(and an aggregate of yes/no as the share of "yes"). A column of mixed indicators names the column
holding each row's unit code (``Col(kind="measure", unit="unit")``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import polars as pl

from dashboard.context import PageContext
from framework.model import UnitKind
from i18n import formatting as fmt

Kind = Literal[
    "text",
    "code",
    "int",
    "num1",
    "num2",
    "score",
    "pct",
    "pct1",
    "date",
    "datetime",
    "bool",
    "list",
    # a reported value, by its unit's kind:
    "count",  # integer units (persons, households…): no decimals
    "share",  # the percent unit, stored in points (0–100): one decimal and "%"
    "currency",  # an amount (MAD…): the currency's CLDR decimals
    "yesno",  # the yes/no unit: "oui"/"non", an aggregate as the share of "oui"
    "yesshare",  # a network figure of a yes/no indicator: "part de oui : 60 %", never "oui"/"non"
    "trend",  # a trend status (improving…): a sign and words, never colour alone
    "change",  # a change in points: "▲ +1,3", "▼ −0,5", "■ 0,0"
    "measure",  # one of the above per row, from the unit code in ``Col.unit``
]
#: What every table shows for a missing value (a data grid would write "None").
MISSING = fmt.DASH
#: Decimals shown (and exported) per numeric kind.
DIGITS: dict[str, int] = {
    "int": 0,
    "count": 0,
    "num1": 1,
    "score": 1,
    "share": 1,
    "change": 1,
    "num2": 2,
    "currency": 2,
    "pct": 0,
    "pct1": 1,
}
#: A trend's shape, so that it is told apart without colour.
TREND_SIGNS = {"improving": "▲", "stable": "■", "declining": "▼", "insufficient_data": "○"}


@dataclass(frozen=True)
class Col:
    """A column to show: its translated label, how to format it, and a width hint.

    ``unit``: for kind ``measure``, the column of the same frame holding each row's unit code.
    ``full``: exports add the unrounded value beside the shown one ("… (précision complète)").
    ``network``: a figure over organisations, so a yes/no row reads as the share of yes (``yesshare``).
    """

    label: str
    kind: Kind = "text"
    width: Literal["small", "medium", "large"] | None = None
    unit: str | None = None
    full: bool = False
    network: bool = False


def unit_kind(ctx: PageContext, unit_code: str | None) -> Kind:
    """The kind a reported value in ``unit_code`` reads as (``num1`` for a unit no framework knows)."""
    unit = None
    if unit_code is not None:
        for fw in (ctx.framework_in_use, ctx.framework):
            if (unit := fw.unit_by_code.get(unit_code)) is not None:
                break
    if unit is None:
        return "num1"
    if unit.kind == UnitKind.INTEGER:
        return "count"
    if unit.kind == UnitKind.PERCENT:
        return "share"
    if unit.kind == UnitKind.BOOLEAN:
        return "yesno"
    return "currency" if fmt.currency_digits(unit.code) is not None else "num1"


def unit_code(ctx: PageContext, indicator_code: str | None) -> str | None:
    """An indicator's unit code (None for a code no framework knows), for ``Col.unit`` columns."""
    fw = ctx.framework if indicator_code in ctx.framework.indicator_by_code else ctx.framework_in_use
    if indicator_code not in fw.indicator_by_code:
        return None
    return fw.unit_of(indicator_code).code


def indicator_kind(ctx: PageContext, indicator_code: str) -> Kind:
    """The kind of one indicator's values (its unit's kind)."""
    return unit_kind(ctx, unit_code(ctx, indicator_code))


def row_kinds(ctx: PageContext, frame: pl.DataFrame, name: str, col: Col) -> pl.Series:
    """The kind of each row of column ``name`` (its unit's kind for a ``measure`` column)."""
    if col.kind != "measure" or col.unit is None or col.unit not in frame.columns:
        return pl.Series(name, [col.kind if col.kind != "measure" else "num1"] * frame.height, pl.String)
    units = frame.get_column(col.unit)
    table = {u: unit_kind(ctx, u) for u in units.unique().to_list() if u is not None}
    if col.network:
        table = {u: "yesshare" if k == "yesno" else k for u, k in table.items()}
    return units.replace_strict(table, default="num1", return_dtype=pl.String)


def count_text(value: float, ctx: PageContext) -> str:
    return ctx.num(value, 0)


def share_text(points: float, ctx: PageContext) -> str:
    return ctx.pct(float(points) / 100, 1)


def currency_text(value: float, ctx: PageContext) -> str:
    return ctx.num(value, 2)


def yesno_text(value: float, ctx: PageContext) -> str:
    """``oui`` / ``non``; a median or mean of yes/no reads as the share of "oui" ("oui à 50 %")."""
    share = float(value)
    if share in (0.0, 1.0):
        return ctx.t("common.yes") if share else ctx.t("common.no")
    return ctx.t("tables.yes_share", share=ctx.pct(share))


def yes_share_text(value: float, ctx: PageContext) -> str:
    """A network's figure of a yes/no indicator: the share of organisations answering yes."""
    return ctx.t("trends2.share_yes_value", share=ctx.pct(float(value)))


def trend_text(status: str, ctx: PageContext) -> str:
    """``▲ En progrès``: a trend with its shape, for tables, legends and badges."""
    return f"{TREND_SIGNS.get(status, '')} {ctx.t(f'trends.{status}')}".strip()


def change_text(value: float, ctx: PageContext) -> str:
    """``▲ +1,3`` / ``▼ -0,5`` / ``■ 0,0``: the sign says it as well as the colour."""
    rounded = round(float(value), 1)
    sign = TREND_SIGNS["improving"] if rounded > 0 else TREND_SIGNS["declining"] if rounded < 0 else "■"
    return f"{sign} {fmt.isolate(ctx.signed(value, 1), ctx.lang)}"


_BY_KIND: dict[str, Callable[[object, PageContext], str]] = {
    "count": count_text,
    "int": count_text,
    "share": share_text,
    "currency": currency_text,
    "yesno": yesno_text,
    "yesshare": yes_share_text,
    "trend": trend_text,
    "change": change_text,
}


LRM = "\u200e"
_SIGNS = frozenset("+-−%٪")
_NUMERIC = frozenset({"int", "num1", "num2", "score", "pct", "pct1"})


def display(value: object, kind: Kind, ctx: PageContext) -> str:
    if value is None:
        return MISSING
    if kind in _BY_KIND:
        return _BY_KIND[kind](value, ctx)
    if kind in ("num1", "num2", "measure"):
        return ctx.num(value, DIGITS.get(kind, 1))
    if kind == "score":
        return ctx.score(value)
    if kind in ("pct", "pct1"):
        return ctx.pct(value, DIGITS[kind])
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


def column_texts(ctx: PageContext, frame: pl.DataFrame, name: str, col: Col) -> list[str]:
    """Every cell of column ``name`` as shown (per row kind for a ``measure`` column)."""
    values = frame.get_column(name).to_list()
    if col.kind != "measure":
        show = formatter(col.kind, ctx)
        return [show(v) for v in values]
    kinds = row_kinds(ctx, frame, name, col).to_list()
    return [formatter(k, ctx)(v) for v, k in zip(values, kinds, strict=True)]
