"""Which pages exist and which role may see them.

``st.navigation`` only ever receives the pages of the viewer's role (and of its link, for
funders): a page left out is not reachable at all, not merely hidden from the menu.

Every page key is its URL path (``/overview``, ``/profile``…). Streamlit serves the default page
of ``st.navigation`` at ``/`` only — its own ``url_path`` would answer "Page not found" — so the
default page is a hidden one that switches to the viewer's first page, query string kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from store.viewer import Role, Viewer


@dataclass(frozen=True)
class PageSpec:
    key: str  # also the URL path and the catalogue key ``dashboard.nav.<key>``
    file: str  # relative to the entry point
    icon: str
    roles: frozenset[Role]


_ALL: frozenset[Role] = frozenset({"steering", "member", "funder"})
_INSIDE: frozenset[Role] = frozenset({"steering", "member"})
PAGES: tuple[PageSpec, ...] = (
    # The member's home comes first: it is the page a member opens on (what is due, the next step).
    PageSpec("start", "screens/start.py", ":material/home:", frozenset({"member"})),
    PageSpec("overview", "screens/overview.py", ":material/dashboard:", _ALL),
    PageSpec("profile", "screens/profile.py", ":material/badge:", _ALL),
    PageSpec("compare", "screens/compare.py", ":material/compare_arrows:", _ALL),
    PageSpec("sustainability", "screens/sustainability.py", ":material/trending_up:", _ALL),
    PageSpec("indicator", "screens/indicator.py", ":material/insights:", _ALL),
    PageSpec("quality", "screens/quality.py", ":material/fact_check:", _INSIDE),
    PageSpec("upload", "screens/upload.py", ":material/upload_file:", _INSIDE),
    PageSpec("form", "screens/form.py", ":material/edit_note:", _INSIDE),
    PageSpec("review", "screens/review.py", ":material/rate_review:", frozenset({"steering"})),
    PageSpec("framework", "screens/framework.py", ":material/account_tree:", frozenset({"steering"})),
    PageSpec("method", "screens/method.py", ":material/menu_book:", _ALL),
    PageSpec("calendar", "screens/calendar.py", ":material/event:", frozenset({"steering"})),
    PageSpec("links", "screens/links.py", ":material/share:", frozenset({"steering"})),
    PageSpec("accounts", "screens/accounts.py", ":material/group:", frozenset({"steering"})),
    PageSpec("reminders", "screens/reminders.py", ":material/notifications:", frozenset({"steering"})),
    PageSpec("registry", "screens/registry.py", ":material/domain:", frozenset({"steering"})),
    PageSpec("audit", "screens/audit.py", ":material/history:", frozenset({"steering"})),
    PageSpec("password", "screens/password.py", ":material/password:", _INSIDE),
)


def pages_for(viewer: Viewer) -> list[PageSpec]:
    """The pages this viewer may open, in menu order."""
    return [p for p in PAGES if viewer.role in p.roles and viewer.allows_page(p.key)]


#: The hidden default page's path (never a page key): ``/`` runs it, and it opens the first page.
HOME = "home"


def build_navigation(viewer: Viewer, title: callable) -> st.navigation:
    """``st.navigation`` over the viewer's pages only; ``title(key)`` gives the translated label.

    Each page is served at ``/<key>``; ``/`` opens the first of them (see the module docstring).
    """
    pages = [
        st.Page(spec.file, title=title(spec.key), icon=spec.icon, url_path=spec.key)
        for spec in pages_for(viewer)
    ]
    if not pages:
        return st.navigation(pages, position="sidebar", expanded=True)

    def home() -> None:
        st.switch_page(pages[0], query_params=st.query_params.to_dict())

    root = st.Page(home, title=pages[0].title, url_path=HOME, default=True, visibility="hidden")
    return st.navigation([root, *pages], position="sidebar", expanded=True)
