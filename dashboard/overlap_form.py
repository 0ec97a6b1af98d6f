"""Declaring overlap on the upload page: shared beneficiaries with a named member, and programme
umbrellas, for a member's own organisation (the committee for any).

The page only lays out: ``store.overlaps.declare`` checks a declaration with the file's rule and words
and stores it with its audit entry; the organisation's declarations in force are listed, and one can
be removed (audited too).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import tables
from dashboard.cells import Col
from dashboard.context import PageContext
from dashboard.lookup import labelled
from i18n import t
from store import overlaps
from store.overlaps import OverlapRefused

NONE = "__none__"
MESSAGE_KEY = "_overlap_message"


def text(ctx: PageContext, key: str, **params: object) -> str:
    return t(f"overlap.page.{key}", ctx.lang, **params)


def section(ctx: PageContext, org: str) -> None:
    """The form, the outcome of the last action and the declarations in force."""
    st.subheader(text(ctx, "title"))
    st.caption(text(ctx, "intro"))
    codes = overlaps.people_counts(ctx.framework_in_use)
    values = overlaps.declarable_values(ctx.store, ctx.viewer, org, codes)
    if values.is_empty():
        st.info(text(ctx, "no_values"))
    else:
        _form(ctx, org, values, codes)
    kind, message = st.session_state.pop(MESSAGE_KEY, (None, None))
    if kind == "error":
        st.error(message, icon=":material/block:")
    elif kind == "success":
        st.success(message, icon=":material/check_circle:")
    _current(ctx, org)


def _partner(ctx: PageContext, names: dict[str, str]) -> str | None:
    """The partner: the committee picks it from the registry; a member, who sees no other
    organisation, types its code (checked when it declares)."""
    if ctx.viewer.role != "steering":
        typed = st.text_input(text(ctx, "partner_label"), key="overlap_partner_code", help=text(ctx, "partner_help"))
        return typed.strip().upper() or None
    return st.selectbox(
        text(ctx, "partner_label"), [NONE, *names], key="overlap_partner", accept_new_options=True,
        help=text(ctx, "partner_help"),
        format_func=lambda c: text(ctx, "partner_none") if c == NONE else f"{c} — {names[c]}" if c in names else c,
    )


def _form(ctx: PageContext, org: str, values: pl.DataFrame, codes: list[str]) -> None:
    shown = {f"{r['indicator_code']}|{r['period']}": r for r in values.iter_rows(named=True)}
    partners = overlaps.partner_options(ctx.store, ctx.viewer, ctx.lang).filter(pl.col("org_code") != org)
    names = dict(zip(partners["org_code"].to_list(), partners["name"].to_list(), strict=True))
    left, right = st.columns(2)
    with left:
        chosen = st.selectbox(
            text(ctx, "value_label"), list(shown), key="overlap_value",
            format_func=lambda k: text(ctx, "value_option", indicator=f"{shown[k]['indicator_code']} "
                                       f"{ctx.indicator_name(shown[k]['indicator_code'])}",
                                       period=shown[k]["period"], value=ctx.num(shown[k]["value"])),
        )
        partner = _partner(ctx, names)
    with right:
        shared = st.number_input(text(ctx, "shared_label"), min_value=0, step=1, value=0, key="overlap_shared",
                                 help=text(ctx, "shared_help"))
        programme = st.text_input(text(ctx, "programme_label"), key="overlap_programme",
                                  help=text(ctx, "programme_help"))
    if st.button(text(ctx, "declare"), key="overlap_declare", type="primary", icon=":material/group:"):
        indicator, period = chosen.split("|", 1)
        named = partner not in (None, NONE)
        try:
            overlaps.declare(ctx.store, org, indicator, period, partner=partner if named else None,
                             shared=shared if named else None, programme=programme or None,
                             people_count_codes=codes, actor=ctx.actor, origin="page")
        except OverlapRefused as exc:
            st.session_state[MESSAGE_KEY] = ("error", exc.message(ctx.lang))
            return
        st.session_state[MESSAGE_KEY] = ("success", text(ctx, "declared", indicator=indicator, period=period))


def _current(ctx: PageContext, org: str) -> None:
    st.markdown(f"**{text(ctx, 'current_title')}**")
    frame = overlaps.current_declarations(ctx.store, ctx.viewer, org)
    if frame.is_empty():
        st.caption(text(ctx, "current_empty"))
        return
    frame = frame.with_columns(
        origin_text=labelled(frame, "origin", lambda o: text(ctx, f"origin_{o}"), nulls=True),
        key=pl.concat_str([pl.col("indicator_code"), pl.col("period"), pl.col("partner").fill_null("")],
                          separator="|"),
    )
    tables.table(
        ctx,
        frame,
        {
            "indicator_code": Col(text(ctx, "indicator"), "code", "small"),
            "period": Col(text(ctx, "period"), width="small"),
            "partner": Col(text(ctx, "partner"), "code"),
            "shared": Col(text(ctx, "shared"), "int", "small"),
            "programme": Col(text(ctx, "programme"), "code"),
            "origin_text": Col(text(ctx, "origin"), width="small"),
        },
        key="overlap_current",
    )
    rows = {r["key"]: r for r in frame.iter_rows(named=True)}
    chosen = st.selectbox(text(ctx, "remove_label"), list(rows), key="overlap_remove_choice",
                          format_func=lambda k: _label(ctx, rows[k]))
    if st.button(text(ctx, "remove"), key="overlap_remove", icon=":material/delete:"):
        row = rows[chosen]
        try:
            overlaps.remove(ctx.store, org, row["indicator_code"], row["period"], partner=row["partner"],
                            actor=ctx.actor, origin="page")
        except OverlapRefused as exc:
            st.session_state[MESSAGE_KEY] = ("error", exc.message(ctx.lang))
        else:
            st.session_state[MESSAGE_KEY] = ("success", text(ctx, "removed"))
        st.rerun()


def _label(ctx: PageContext, row: dict) -> str:
    if row["partner"] is None:
        return text(ctx, "remove_programme", indicator=row["indicator_code"], period=row["period"],
                    programme=row["programme"])
    return text(ctx, "remove_partner", indicator=row["indicator_code"], period=row["period"],
                partner=row["partner"], shared=ctx.num(row["shared"]))
