"""Accounts (steering committee): who may sign in, with which role; new accounts and passwords.

A generated password is shown once, right after it is created; only its argon2id hash is kept.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import sessions_view, tables
from dashboard.access import keep_session_after_password_change, session_id
from dashboard.cells import Col
from dashboard.context import PageContext, page_context
from dashboard.lookup import labelled
from store import accounts
from store.accounts import AccountError
from store.reads import common as common_reads

SECRET_KEY = "_accounts_new_secret"


def _error(ctx: PageContext, error: AccountError) -> None:
    st.error(error.message(ctx.lang))


def _show_secret(ctx: PageContext) -> None:
    secret = st.session_state.pop(SECRET_KEY, None)  # shown once
    if secret:
        st.success(ctx.t("accounts.password_for", username=secret[0]))
        st.code(secret[1], language=None)
        st.caption(ctx.t("accounts.shown_once"))


def _create(ctx: PageContext) -> None:
    st.subheader(ctx.t("accounts.create_title"))
    orgs = ctx.q(common_reads.organisations, ctx.lang)
    names = dict(zip(orgs["org_code"].to_list(), orgs["name"].to_list(), strict=True))
    with st.form("account_create", border=True):
        left, right = st.columns(2)
        username = left.text_input(ctx.t("access.username"), max_chars=64, key="account_username")
        display = right.text_input(ctx.t("accounts.display_name"), max_chars=120, key="account_display")
        role = left.radio(
            ctx.t("accounts.role"),
            list(accounts.ACCOUNT_ROLES),
            key="account_role",
            horizontal=True,
            format_func=lambda r: ctx.t(f"access.role_{r}"),
        )
        org = right.selectbox(
            ctx.t("accounts.organisation"),
            [None, *names],
            key="account_org",
            format_func=lambda c: ctx.t("accounts.no_org") if c is None else f"{c} — {names[c]}",
        )
        email = left.text_input(
            ctx.t("accounts.email"), max_chars=254, key="account_email", help=ctx.t("accounts.email_help")
        )
        submitted = st.form_submit_button(
            ctx.t("accounts.create"), type="primary", icon=":material/person_add:"
        )
    if submitted:
        try:
            _, password = accounts.create_account(
                ctx.store,
                username,
                role,
                org_code=org if role == "member" else None,
                display_name=display or None,
                email=email or None,
                created_by=ctx.viewer.name or "steering",
            )
        except AccountError as error:
            _error(ctx, error)
            return
        st.session_state[SECRET_KEY] = (accounts.normalise_username(username), password)
        st.rerun()


def _manage(ctx: PageContext, frame: pl.DataFrame) -> None:
    st.subheader(ctx.t("accounts.manage_title"))
    names = dict(zip(frame["id"].to_list(), frame["username"].to_list(), strict=True))
    chosen = st.selectbox(ctx.t("accounts.choose"), list(names), key="accounts_choose", format_func=names.get)
    row = frame.filter(pl.col("id") == chosen).row(0, named=True)
    actor = ctx.viewer.name or "steering"
    cols = st.columns(3)
    try:
        if cols[0].button(ctx.t("accounts.reset"), key="accounts_reset", icon=":material/key:"):
            own = ctx.identity is not None and ctx.identity.account is not None and ctx.identity.account.id == chosen
            st.session_state[SECRET_KEY] = (
                row["username"],
                accounts.reset_password(ctx.store, chosen, actor=actor,
                                        keep_session=session_id(ctx.identity) if own else None),
            )
            if own:
                # one's own reset: this session carries on (the account's other sessions end)
                keep_session_after_password_change(ctx.identity, accounts.password_changed_at(ctx.store, chosen))
            st.rerun()
        if row["active"]:
            if cols[1].button(ctx.t("accounts.disable"), key="accounts_disable", icon=":material/block:"):
                accounts.set_active(ctx.store, chosen, False, actor=actor)
                st.rerun()
        elif cols[1].button(ctx.t("accounts.enable"), key="accounts_enable", icon=":material/check:"):
            accounts.set_active(ctx.store, chosen, True, actor=actor)
            st.rerun()
        if row["locked_until"] is not None and cols[2].button(
            ctx.t("accounts.unlock"), key="accounts_unlock", icon=":material/lock_open:"
        ):
            accounts.unlock(ctx.store, chosen, actor=actor)
            st.rerun()
    except AccountError as error:
        _error(ctx, error)
    sessions_view.render_committee(ctx, chosen, row["username"])


def _never_signed_in_filter(ctx: PageContext, frame: pl.DataFrame) -> pl.DataFrame:
    """How many accounts nobody has ever signed in to (the people to call before a deadline), and
    the filter that lists only them."""
    never = int(frame["last_sign_in"].is_null().sum())
    st.caption(ctx.tn("registry.never_signed_in_count", never))
    if st.toggle(ctx.t("registry.never_signed_in_only"), key="accounts_never_signed_in"):
        return accounts.list_accounts(ctx.store, ctx.viewer, never_signed_in=True)
    return frame


def render(ctx: PageContext) -> None:
    st.title(ctx.t("accounts.title"))
    if ctx.viewer.role != "steering":  # never routed here for others; a second lock all the same
        st.stop()
    st.caption(ctx.t("accounts.subtitle"))
    _show_secret(ctx)
    _create(ctx)
    frame = accounts.list_accounts(ctx.store, ctx.viewer)
    st.subheader(ctx.t("accounts.list_title"))
    shown = _never_signed_in_filter(ctx, frame)
    shown = shown.with_columns(role_label=labelled(shown, "role", lambda r: ctx.t(f"access.role_{r}")))
    tables.table(
        ctx,
        shown,
        {
            "username": Col(ctx.t("access.username"), "code"),
            "display_name": Col(ctx.t("accounts.display_name")),
            "role_label": Col(ctx.t("accounts.role"), "text", "small"),
            "org_code": Col(ctx.t("accounts.organisation"), "code"),
            "email": Col(ctx.t("accounts.email"), "code"),
            "active": Col(ctx.t("accounts.active"), "bool", "small"),
            "demo": Col(ctx.t("accounts.demo"), "bool", "small"),
            "failed_count": Col(ctx.t("accounts.failures"), "int", "small"),
            "locked_until": Col(ctx.t("accounts.locked_until"), "datetime"),
            "last_sign_in": Col(ctx.t("accounts.last_sign_in"), "datetime"),
        },
        key="accounts_table",
    )
    if not frame.is_empty():
        _manage(ctx, frame)


if __name__ == "__main__":
    render(page_context())
