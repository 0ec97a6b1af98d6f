"""My password (every signed-in person): change one's own password.

The current password is asked first and the new one must meet the policy
(``ATHAR_PASSWORD_MIN_LENGTH``); the change is audited, and the account's other sessions (another
browser, a forgotten tab) end at their next interaction while this one carries on.
"""

from __future__ import annotations

import time

import streamlit as st

from dashboard import api_tokens_view, sessions_view
from dashboard.access import client_info, keep_session_after_password_change, session_id
from dashboard.context import PageContext, page_context
from store import accounts
from store.accounts import AccountError
from store.settings import AccessSettings

DONE_KEY = "_password_changed_notice"
FAILURES_KEY = "_password_change_failures"
#: Seconds added to each refused attempt of a session (then capped): slows guessing the current password.
FAILURE_DELAY_S = 0.5
FAILURE_DELAY_MAX_S = 4.0


def _change(ctx: PageContext, account: accounts.Account) -> None:
    with st.form("password_change", border=True, clear_on_submit=True):
        current = st.text_input(ctx.t("registry.password_current"), type="password", key="password_current",
                                max_chars=256)
        new = st.text_input(ctx.t("registry.password_new"), type="password", key="password_new", max_chars=256,
                            help=ctx.t("registry.password_policy", minimum=AccessSettings.from_env().password_min_length))
        again = st.text_input(ctx.t("registry.password_again"), type="password", key="password_again", max_chars=256)
        submitted = st.form_submit_button(ctx.t("registry.password_submit"), type="primary", icon=":material/key:")
    if not submitted:
        return
    if new != again:
        st.error(ctx.t("registry.password_mismatch"))
        return
    try:
        changed_at = accounts.change_own_password(ctx.store, account.id, current, new, client=client_info(),
                                                  keep_session=session_id(ctx.identity))
    except AccountError as error:
        failures = st.session_state.get(FAILURES_KEY, 0) + 1
        st.session_state[FAILURES_KEY] = failures
        if error.code == "wrong_current_password":
            time.sleep(min(FAILURE_DELAY_S * failures, FAILURE_DELAY_MAX_S))
        st.error(error.message(ctx.lang))
        return
    st.session_state.pop(FAILURES_KEY, None)
    keep_session_after_password_change(ctx.identity, changed_at)
    st.session_state[DONE_KEY] = True
    st.rerun()


def render(ctx: PageContext) -> None:
    st.title(ctx.t("registry.password_title"))
    account = getattr(ctx.identity, "account", None)
    if account is None:  # a funder link has no password; never routed here, a second lock all the same
        st.stop()
    st.caption(ctx.t("registry.password_subtitle", username=account.username))
    if st.session_state.pop(DONE_KEY, False):
        st.success(ctx.t("registry.password_done"))
    _change(ctx, account)
    api_tokens_view.render(ctx, account)
    sessions_view.render_own(ctx, account)


if __name__ == "__main__":
    render(page_context())
