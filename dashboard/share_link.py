"""The sidebar's "link to this view": the page's address with its view parameters, never a token.

Shown to a signed-in account only: a funder link's session (its token) or the committee's preview
of a link has no address to share — whoever opens one needs their own access. The address is built
from the browser's (``st.context.url``, without its query string) and the view's parameters alone
(``dashboard.url_state.share_query``), so a ``?link=`` token can never be copied into it.
"""

from __future__ import annotations

import streamlit as st

from dashboard import url_state
from dashboard.access import Identity
from dashboard.context import PageContext
from store.viewer import Viewer


def offered(identity: Identity | None, viewer: Viewer) -> bool:
    """Only a signed-in account's own view is shared: never a link's session, nor a link's preview."""
    if identity is None or identity.account is None or identity.link_token is not None:
        return False
    return viewer.link is None  # a committee previewing a funder link reads with the link's viewer


def show(ctx: PageContext) -> None:
    """After the page has run (its pickers have written the address): the address to share."""
    if not offered(ctx.identity, ctx.viewer):
        return
    try:
        base = st.context.url
    except Exception:  # noqa: BLE001 — no browser behind this run (bare scripts, AppTest)
        base = None
    url = url_state.share_url(base, st.query_params.to_dict())
    if url is None:
        return
    with st.sidebar.expander(ctx.t("urlstate.share_title"), icon=":material/link:"):
        st.caption(ctx.t("urlstate.share_help"))
        st.code(url, language=None, wrap_lines=True)
