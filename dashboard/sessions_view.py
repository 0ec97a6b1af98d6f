"""'Sign out everywhere': on one's own My password page, and for the committee where accounts are
managed. Both revoke the account's server-side sessions (``store.sessions``, audited); every tab
that holds one ends at its next interaction.
"""

from __future__ import annotations

import streamlit as st

from dashboard.access import end_tab, session_id
from dashboard.context import PageContext
from i18n import formatting as fmt
from i18n import t
from store import sessions
from store.accounts import Account

DONE_KEY = "_sessions_committee_done"


def _t(ctx: PageContext, key: str, **params: object) -> str:
    return t(f"session.{key}", ctx.lang, **params)


def render_own(ctx: PageContext, account: Account) -> None:
    """The account's own open sessions, and the button that closes them all (this one too)."""
    st.subheader(_t(ctx, "everywhere_title"))
    count = sessions.open_count(ctx.store, account.id)
    st.caption(_t(ctx, "everywhere_intro", count=fmt.number(count, ctx.lang)))
    if st.button(_t(ctx, "everywhere_button"), key="sessions_everywhere", icon=":material/logout:",
                 help=_t(ctx, "everywhere_help")):
        sessions.revoke_all(ctx.store, account.id, actor=account.actor, reason="sign_out_everywhere")
        if ctx.identity is not None and ctx.identity.session is not None:
            ctx.identity.session["ended"] = True
        end_tab(ctx.lang)
        st.rerun()


def render_committee(ctx: PageContext, account_id: int, username: str) -> None:
    """For the committee: close every session of the chosen account (its own included)."""
    done = st.session_state.pop(DONE_KEY, None)
    if done is not None:
        st.success(_t(ctx, "committee_done", username=done[0], count=fmt.number(done[1], ctx.lang)))
    if not st.button(_t(ctx, "committee_button"), key="accounts_sign_out_everywhere",
                     icon=":material/logout:", help=_t(ctx, "committee_help")):
        return
    count = sessions.revoke_all(ctx.store, account_id, actor=ctx.viewer.name or "steering", reason="committee")
    own = session_id(ctx.identity)
    if own is not None and ctx.identity.account is not None and ctx.identity.account.id == account_id:
        end_tab(ctx.lang)
    st.session_state[DONE_KEY] = (username, count)
    st.rerun()
