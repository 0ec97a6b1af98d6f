"""The committee's preview of a funder link: its pages as the funder sees them, not counted as a use.

The preview is a per-session switch (``st.session_state[PREVIEW_KEY]``) read on every run after
the identity is checked: a signed-in steering account in preview reads the app as a funder
``Viewer`` built from the link's scope (:func:`store.links.link_scope`, the same answer as the
link's token would get), under a banner with the button that leaves it. Nothing here reads or
shows the token; the preview is audited (``link_previewed``) when it starts, and neither a page
view nor a download during it is a use of the link (``dashboard.access`` counts uses of a token).

It cannot widen anything: only a steering account (re-read from the store on every run) enters
it; a funder's session (a token) drops the switch; the preview's navigation holds only the link's
pages, so the committee's own pages come back only by leaving it.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from dashboard.access import WANTED_KEY, Identity
from dashboard.navigation import pages_for
from i18n import t
from store import links
from store.db import Store
from store.viewer import Viewer

PREVIEW_KEY = "_athar_link_preview"
NOTICE_KEY = "_athar_link_preview_notice"


def _may_preview(identity: Identity) -> bool:
    account = identity.account
    return (
        identity.link_token is None
        and account is not None
        and account.role == "steering"
        and identity.viewer.role == "steering"
    )


def start(store: Store, identity: Identity, link_id: int) -> bool:
    """Enter the preview of ``link_id`` (audited), then open the link's first page; False if refused."""
    if not _may_preview(identity) or not links.link_scope(store, link_id).ok:
        return False
    links.record_preview(store, link_id, actor=identity.account.actor)
    st.session_state[PREVIEW_KEY] = {
        "link_id": int(link_id),
        "account_id": identity.account.id,
        "signed_in_at": (identity.session or {}).get("signed_in_at"),  # a new sign-in starts outside it
    }
    viewer = _funder(identity, links.link_scope(store, link_id))
    first = pages_for(viewer)
    if first:  # the committee may open every funder page: switching now is allowed
        st.switch_page(first[0].file)
    st.rerun()
    return True


def _funder(identity: Identity, check: links.LinkCheck) -> Viewer:
    return Viewer.funder(check.scope, name=f"{identity.account.actor} (preview link:{check.scope.link_id})")


def _leave() -> None:
    st.session_state.pop(PREVIEW_KEY, None)
    st.session_state[WANTED_KEY] = "links"  # back on the link page, as the committee


def apply(store: Store, identity: Identity, lang: str) -> Identity:
    """This run's identity: the funder's view while a steering account previews a link, else as is."""
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(t(f"linksafe.preview.{notice}", lang))
    wanted = st.session_state.get(PREVIEW_KEY)
    if not wanted:
        return identity
    if (
        not _may_preview(identity)
        or wanted.get("account_id") != identity.account.id
        or wanted.get("signed_in_at") != (identity.session or {}).get("signed_in_at")
    ):
        st.session_state.pop(PREVIEW_KEY, None)  # a funder, another account: never a preview
        return identity
    check = links.link_scope(store, wanted["link_id"])
    if not check.ok:  # revoked or expired meanwhile: the preview ends
        _leave()
        st.session_state[NOTICE_KEY] = "ended"
        st.rerun()
    _banner(check, lang)
    return replace(identity, viewer=_funder(identity, check), link_label=check.label)


def _banner(check: links.LinkCheck, lang: str) -> None:
    with st.container(border=True, key="athar_preview_banner"):
        st.warning(
            t("linksafe.preview.banner", lang, label=check.label or "", number=check.scope.link_id),
            icon=":material/visibility:",
        )
        if st.button(t("linksafe.preview.leave", lang), key="athar_preview_leave", icon=":material/logout:"):
            _leave()
            st.rerun()


def previewing() -> bool:
    return bool(st.session_state.get(PREVIEW_KEY))
