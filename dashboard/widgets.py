"""Small page pieces: empty states that say what to do next, metrics with a locale-formatted
change, badges."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from dashboard.context import PageContext
from i18n import t

#: ``st.date_input`` shows dates as day/month/year, as fr, ar (Morocco) and en_GB write them
#: (Streamlit's default ``YYYY/MM/DD`` is no locale's); the formats it accepts are fixed patterns.
DATE_FORMAT = "DD/MM/YYYY"


def empty(ctx: PageContext, key: str, **params: object) -> None:
    """An empty state that says what to do next."""
    st.info(ctx.t(key, **params), icon=":material/info:")


def metric(
    ctx: PageContext,
    label: str,
    value: str,
    change: float | None = None,
    *,
    digits: int = 1,
    help: str | None = None,
    chart_data: Sequence[float] | None = None,
    change_label: str | None = None,
) -> None:
    """``st.metric`` with a locale-formatted change (arrow from the number, not the text); ``change_label``
    says what the change compares (``somme vs 2024``)."""
    if change is None:
        st.metric(label, value, help=help, chart_data=chart_data, border=True)
        return
    rounded = round(change, digits)
    delta = ctx.signed(change, digits)
    st.metric(
        label,
        value,
        delta=f"{delta} ({change_label})" if change_label else delta,
        delta_arrow="up" if rounded > 0 else "down" if rounded < 0 else "off",
        help=help,
        chart_data=chart_data,
        border=True,
    )


def badge(text: str) -> str:
    return f'<span class="athar-badge">{text}</span>'


def multiselect(ctx: PageContext, label: str, options: Sequence[object], **kwargs: object) -> list:
    """``st.multiselect`` without Streamlit's English: the placeholder from the catalogue, and no
    "Select all" / "Select N matches" entry (Streamlit 1.67 writes those in English only)."""
    kwargs.setdefault("placeholder", t("reading.choose", ctx.lang))
    return st.multiselect(label, options, select_all=False, **kwargs)
