"""Pickers shared by the pages: period, organisation and principle, each remembered across pages
and kept in the address (``?org=…&period=…&principle=…``, see ``dashboard.url_state``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl
import streamlit as st

import settings
from dashboard import url_state
from dashboard.context import PageContext
from dashboard.url_state import UrlParam

#: Selectbox values standing for "no organisation" and "no principle" (Streamlit shows None as unset).
NETWORK = "__network__"
COMPOSITE = "__composite__"


def _word(inside: str, outside: str) -> tuple[Callable[[object], str], Callable[[str], object]]:
    """A sentinel option written as a plain word in the address (``network``, ``composite``)."""
    return (lambda value: outside if value == inside else str(value)), (lambda text: inside if text == outside else text)


ORG_PARAM = UrlParam("org", *_word(NETWORK, "network"))
PERIOD_PARAM = UrlParam("period")
PRINCIPLE_PARAM = UrlParam("principle", *_word(COMPOSITE, "composite"))


def period_select(ctx: PageContext, *, key: str = "period", label_key: str = "common.period") -> str | None:
    """The scored periods, latest first, opening on the latest *complete* one; a partial period stays
    selectable, labelled with how many members reported. The choice is shared by the pages."""
    periods = list(reversed(ctx.periods))
    if not periods:
        return None
    remember(key, periods, default=ctx.default_period, param=PERIOD_PARAM)
    period = st.selectbox(ctx.t(label_key), periods, key=key, format_func=ctx.period_label)
    in_url(ctx, key, PERIOD_PARAM, period, ctx.period_label(period))
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


def remember(key: str, options: Sequence[object], default: object = None, param: UrlParam | None = None) -> None:
    """Keep a picker's choice across pages (Streamlit drops the state of widgets not shown);
    the first time, ``default`` (when it is an option) or the first option. With ``param``, a value
    the address asks for wins when it is one of ``options`` (then call :func:`in_url` after the picker)."""
    if param is not None:
        url_state.seed(key, param, options)
    keep = f"_keep_{key}"
    current = st.session_state.get(key)
    if current in options:
        st.session_state[keep] = current
    elif st.session_state.get(keep) not in options:
        st.session_state[keep] = default if default in options else options[0]
    st.session_state[key] = st.session_state[keep]


def in_url(ctx: PageContext, key: str, param: UrlParam, value: object, shown: str) -> None:
    """After picker ``key``: write its value to the address, and say so when the address asked for
    something this viewer cannot have (``shown`` names what is shown instead)."""
    url_state.write(key, param, value)
    if url_state.take_refused(param.name):
        st.info(ctx.t(f"urlstate.{param.name}_refused", shown=shown), icon=":material/link_off:")


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
        return _own_org(ctx, key)
    orgs = ctx.q(common_reads.organisations, ctx.lang)
    names = dict(zip(orgs["org_code"].to_list(), orgs["name"].to_list(), strict=True))
    options = ([NETWORK] if allow_network else []) + list(names)
    if not options:
        return None
    remember(key, options, param=ORG_PARAM)

    def label(code: str) -> str:
        return ctx.t("common.whole_network") if code == NETWORK else f"{code} — {names[code]}"

    choice = st.selectbox(ctx.t("common.organisation"), options, key=key, format_func=label)
    in_url(ctx, key, ORG_PARAM, choice, label(choice))
    return None if choice == NETWORK else choice


def _own_org(ctx: PageContext, key: str) -> str | None:
    """A member sees its own organisation whatever the address names (and is told so)."""
    own = ctx.viewer.org_code
    asked, value = url_state.requested(key, ORG_PARAM, [own])
    if asked and value is None:
        url_state.note_refused(ORG_PARAM.name)
    if own is not None:
        in_url(ctx, key, ORG_PARAM, own, org_title(ctx, own))
    return own


def principle_select(ctx: PageContext, *, key: str, label: str | None = None) -> str | None:
    """A principle in scope, or the composite (returned as None)."""
    options = [COMPOSITE if code is None else code for code in ctx.series_codes]
    remember(key, options, param=PRINCIPLE_PARAM)

    def name(code: str) -> str:
        return ctx.principle_label(None if code == COMPOSITE else code)

    choice = st.selectbox(label or ctx.t("common.principle"), options, key=key, format_func=name)
    in_url(ctx, key, PRINCIPLE_PARAM, choice, name(choice))
    return None if choice == COMPOSITE else choice


def org_title(ctx: PageContext, org_code: str) -> str:
    from store.reads import common as common_reads

    orgs = ctx.q(common_reads.organisations, ctx.lang)
    match = orgs.filter(pl.col("org_code") == org_code)
    return f"{match['name'][0]} ({org_code})" if match.height else org_code
