"""The "API tokens" section of one's own page (My password): create a personal token (shown once),
see one's tokens and revoke them. Every change audited with the account as actor (``store.api_tokens``)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.context import PageContext
from i18n import t
from store import api_tokens
from store.accounts import Account
from store.api_tokens import ApiTokenError

SHOWN_KEY = "_api_token_shown_once"


def _t(ctx: PageContext, key: str, **params: object) -> str:
    """The ``api.tokens`` strings live beside the API's (i18n/*.api.toml), not under ``dashboard.``."""
    return t(key, ctx.lang, **params)


def _create(ctx: PageContext, account: Account) -> None:
    with st.form("api_token_create", border=True, clear_on_submit=True):
        label = st.text_input(_t(ctx, "api.tokens.label"), max_chars=api_tokens.LABEL_MAX, key="api_token_label")
        days = st.number_input(_t(ctx, "api.tokens.days"), min_value=1, max_value=api_tokens.MAX_DAYS,
                               value=api_tokens.DEFAULT_DAYS, step=1, key="api_token_days")
        submitted = st.form_submit_button(_t(ctx, "api.tokens.create"), icon=":material/key:")
    if not submitted:
        return
    try:
        _, token = api_tokens.create_token(ctx.store, account.id, label, actor=account.actor, days=int(days))
    except ApiTokenError as error:
        st.error(error.message(ctx.lang))
        return
    st.session_state[SHOWN_KEY] = token
    st.rerun()


def _listed(ctx: PageContext, account: Account) -> None:
    tokens = api_tokens.list_tokens(ctx.store, account.id)
    if tokens.is_empty():
        st.caption(_t(ctx, "api.tokens.none"))
        return
    shown = tokens.select(
        "label", "created_at", "expires_at", "last_used_at", "use_count",
        pl.col("status").replace_strict({s: _t(ctx, f"api.tokens.status_{s}") for s in ("active", "expired", "revoked")}),
    )
    st.caption(_t(ctx, "api.tokens.columns"))
    st.dataframe(shown, hide_index=True, width="stretch")
    for row in tokens.filter(pl.col("status") == "active").iter_rows(named=True):
        if st.button(f"{_t(ctx, 'api.tokens.revoke')} · {row['label']}", key=f"api_token_revoke_{row['id']}"):
            api_tokens.revoke_token(ctx.store, row["id"], account_id=account.id, actor=account.actor)
            st.success(_t(ctx, "api.tokens.revoked", id=row["id"]))
            st.rerun()


def render(ctx: PageContext, account: Account) -> None:
    st.subheader(_t(ctx, "api.tokens.title"))
    st.caption(_t(ctx, "api.tokens.intro"))
    token = st.session_state.pop(SHOWN_KEY, None)
    if token:
        st.success(_t(ctx, "api.tokens.created"))
        st.code(token, language=None)
    _create(ctx, account)
    _listed(ctx, account)
