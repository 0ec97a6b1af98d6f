"""Pickers shared by the pages: period, organisation and principle, each remembered across pages."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import streamlit as st

from dashboard.context import PageContext

#: Selectbox values standing for "no organisation" and "no principle" (Streamlit shows None as unset).
NETWORK = "__network__"
COMPOSITE = "__composite__"


def period_select(ctx: PageContext, *, key: str = "period", label_key: str = "common.period") -> str | None:
    """The scored periods, latest first; the choice is shared by the pages of a session."""
    periods = list(reversed(ctx.periods))
    if not periods:
        return None
    remember(key, periods)
    return st.selectbox(ctx.t(label_key), periods, key=key)


def remember(key: str, options: Sequence[object]) -> None:
    """Keep a picker's choice across pages (Streamlit drops the state of widgets not shown)."""
    keep = f"_keep_{key}"
    current = st.session_state.get(key)
    if current in options:
        st.session_state[keep] = current
    elif st.session_state.get(keep) not in options:
        st.session_state[keep] = options[0]
    st.session_state[key] = st.session_state[keep]


def previous_period(ctx: PageContext, period: str) -> str | None:
    periods = ctx.periods
    index = periods.index(period) if period in periods else -1
    return periods[index - 1] if index > 0 else None


def org_select(ctx: PageContext, *, key: str = "org", allow_network: bool = False) -> str | None:
    """The organisation to look at: a member's own, or one of the visible ones (None = network)."""
    from store.reads import common as common_reads

    if ctx.viewer.role == "member":
        return ctx.viewer.org_code
    orgs = ctx.q(common_reads.organisations, ctx.lang)
    names = dict(zip(orgs["org_code"].to_list(), orgs["name"].to_list(), strict=True))
    options = ([NETWORK] if allow_network else []) + list(names)
    if not options:
        return None
    remember(key, options)
    choice = st.selectbox(
        ctx.t("common.organisation"),
        options,
        key=key,
        format_func=lambda code: (
            ctx.t("common.whole_network") if code == NETWORK else f"{code} — {names[code]}"
        ),
    )
    return None if choice == NETWORK else choice


def principle_select(ctx: PageContext, *, key: str, label: str | None = None) -> str | None:
    """A principle in scope, or the composite (returned as None)."""
    options = [COMPOSITE if code is None else code for code in ctx.series_codes]
    remember(key, options)
    choice = st.selectbox(
        label or ctx.t("common.principle"),
        options,
        key=key,
        format_func=lambda code: ctx.principle_label(None if code == COMPOSITE else code),
    )
    return None if choice == COMPOSITE else choice


def org_title(ctx: PageContext, org_code: str) -> str:
    from store.reads import common as common_reads

    orgs = ctx.q(common_reads.organisations, ctx.lang)
    match = orgs.filter(pl.col("org_code") == org_code)
    return f"{match['name'][0]} ({org_code})" if match.height else org_code
