"""Pickers shared by the pages: period, organisation and principle, each remembered across pages."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import streamlit as st

import settings
from dashboard.context import PageContext

#: Selectbox values standing for "no organisation" and "no principle" (Streamlit shows None as unset).
NETWORK = "__network__"
COMPOSITE = "__composite__"


def period_select(ctx: PageContext, *, key: str = "period", label_key: str = "common.period") -> str | None:
    """The scored periods, latest first, opening on the latest *complete* one; a partial period stays
    selectable, labelled with how many members reported. The choice is shared by the pages."""
    periods = list(reversed(ctx.periods))
    if not periods:
        return None
    remember(key, periods, default=ctx.default_period)
    period = st.selectbox(ctx.t(label_key), periods, key=key, format_func=ctx.period_label)
    partial_note(ctx, period)
    return period


def partial_note(ctx: PageContext, period: str | None) -> None:
    """Under the picker: a partial period's figures only cover who reported, and when it completes."""
    state = ctx.period_state(period)
    if state is None or state["complete"]:
        return
    st.caption(
        ctx.t(
            "periods.partial_note",
            deadline=ctx.date(state["deadline"]),
            share=ctx.pct(float(settings.get("ATHAR_COMPLETE_SHARE"))),
        )
    )


def remember(key: str, options: Sequence[object], default: object = None) -> None:
    """Keep a picker's choice across pages (Streamlit drops the state of widgets not shown);
    the first time, ``default`` (when it is an option) or the first option."""
    keep = f"_keep_{key}"
    current = st.session_state.get(key)
    if current in options:
        st.session_state[keep] = current
    elif st.session_state.get(keep) not in options:
        st.session_state[keep] = default if default in options else options[0]
    st.session_state[key] = st.session_state[keep]


def previous_period(ctx: PageContext, period: str) -> str | None:
    periods = ctx.periods
    index = periods.index(period) if period in periods else -1
    return periods[index - 1] if index > 0 else None


def comparable_previous(ctx: PageContext, period: str) -> tuple[str | None, str | None]:
    """(previous period to compute changes against, or None; a note saying why there is none).

    Changes are shown only between two complete periods: a partial period set against a complete one
    (or another partial one) would read as a fall (``Bénéficiaires 1 480 (−135 302)``)."""
    previous = previous_period(ctx, period)
    if previous is None:
        return None, None
    partial = next((p for p in (period, previous) if ctx.is_partial(p)), None)
    if partial is None:
        return previous, None
    return None, ctx.t("periods.no_comparison", period=period, previous=previous, partial=ctx.period_label(partial))


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
