"""Small page pieces: metrics with a labelled change or trend, badges.

Empty states live in ``dashboard.empty`` (typed reasons). A figure carries one delta definition,
labelled with its unit: a change against the previous period (``-0,5 pt`` · ``vs 2024``, the
arrow pill) or a trend slope (``▲ pente : +1,3 pt/an``, a shape beside the colour, no arrow).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import streamlit as st

from dashboard.context import PageContext
from i18n import t

#: Day/month/year, as fr, ar (Morocco) and en_GB write dates, should a page ever need ``st.date_input``
#: (Streamlit's default ``YYYY/MM/DD`` is no locale's). The pages use :func:`date_select` instead: the
#: date input's calendar names months and weekdays in English only (Streamlit 1.67 has no locale option).
DATE_FORMAT = "DD/MM/YYYY"


def metric(
    ctx: PageContext,
    label: str,
    value: str,
    *,
    help: str | None = None,
    chart_data: Sequence[float] | None = None,
) -> None:
    """A figure without a delta (see :func:`change_metric` and :func:`trend_metric` for those)."""
    st.metric(label, value, help=help, chart_data=chart_data, border=True)


def change_metric(
    ctx: PageContext,
    label: str,
    value: str,
    change: float | None,
    previous: str | None,
    *,
    unit: str | None = "points",
    digits: int = 1,
    help: str | None = None,
) -> None:
    """A figure and its change against ``previous`` (a period label): ``-0,5 pt`` · ``vs 2024``."""
    if change is None or previous is None:
        st.metric(label, value, help=help, border=True)
        return
    amount = ctx.signed(change, digits)
    rounded = round(change, digits)
    st.metric(
        label,
        value,
        delta=ctx.t("states.delta.points", value=amount) if unit == "points" else amount,
        delta_arrow="up" if rounded > 0 else "down" if rounded < 0 else "off",
        delta_description=ctx.t("states.delta.vs", period=previous),
        help=help,
        border=True,
    )


TREND_SHAPES = {"improving": ("▲", "green"), "declining": ("▼", "red"), "stable": ("►", "gray")}


def slope_text(ctx: PageContext, slope: float, trend: str, granularity: str) -> str:
    """``▲ pente : +1,3 pt/an``: the slope per period of the run's granularity, with its shape."""
    shape, _ = TREND_SHAPES.get(trend, ("►", "gray"))
    per = ctx.t(f"states.delta.per_{granularity}")
    return ctx.t("states.delta.slope", shape=shape, value=ctx.signed(slope, 1), per=per)


def trend_metric(
    ctx: PageContext,
    label: str,
    value: str,
    slope: float | None,
    trend: str,
    granularity: str,
    *,
    help: str | None = None,
    chart_data: Sequence[float] | None = None,
) -> None:
    """A figure and its trend slope: a shape (▲ ▼ ►) and a plain label, never the change pill's arrow."""
    if slope is None or trend not in TREND_SHAPES:
        st.metric(label, value, help=help, chart_data=chart_data, border=True)
        return
    st.metric(
        label,
        value,
        delta=slope_text(ctx, slope, trend, granularity),
        delta_color=TREND_SHAPES[trend][1],
        delta_arrow="off",
        delta_description=ctx.t("states.delta.slope_description"),
        help=help,
        chart_data=chart_data,
        border=True,
    )


def composite_rank_sentence(ctx: PageContext, row: dict, period: str) -> str:
    """``Rang 3 sur 38 organisations notées en 2024 sur l'indice composite…`` with its interval."""
    return ctx.t(
        "states.rank.composite_sentence",
        rank=ctx.bdi(ctx.num(row["nominal_rank"])),
        count=ctx.bdi(ctx.num(row["ranked_count"])),
        period=ctx.bdi(period),
        low=ctx.bdi(ctx.num(row["rank_p05"])),
        high=ctx.bdi(ctx.num(row["rank_p95"])),
        median=ctx.bdi(ctx.num(row["median_rank"], 1)),
    )


def badge(text: str) -> str:
    return f'<span class="athar-badge">{text}</span>'


def multiselect(ctx: PageContext, label: str, options: Sequence[object], **kwargs: object) -> list:
    """``st.multiselect`` without Streamlit's English: the placeholder from the catalogue, and no
    "Select all" / "Select N matches" entry (Streamlit 1.67 writes those in English only).

    A dropdown with nothing left to show (a typed filter that matches nothing, every option chosen)
    says so in the reader's language: ``dashboard.style.widget_text_css`` hides Streamlit's "No
    results" and draws ``reading2.no_match`` in its place."""
    kwargs.setdefault("placeholder", t("reading.choose", ctx.lang))
    return st.multiselect(label, options, select_all=False, **kwargs)


def date_select(ctx: PageContext, label: str, first: date, last: date, value: date, **kwargs: object) -> date:
    """A date picked from the days ``first`` … ``last``, each written in the reader's language
    (``6 décembre 2026``, ``6 دجنبر 2026``): ``st.date_input``'s calendar writes its months and
    weekdays in English only. Typing is off, so no English "No results" either."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    index = days.index(min(max(value, first), last))
    return st.selectbox(label, days, index=index, format_func=ctx.date, filter_mode=None, **kwargs)
