"""Which pages exist and which role may see them.

``st.navigation`` only ever receives the pages of the viewer's role (and of its link, for
funders): a page left out is not reachable at all, not merely hidden from the menu.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from store.viewer import Role, Viewer

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PageSpec:
    key: str  # also the URL path and the catalogue key ``dashboard.nav.<key>``
    file: str  # relative to the entry point
    icon: str
    roles: frozenset[Role]


_ALL: frozenset[Role] = frozenset({"steering", "member", "funder"})
_INSIDE: frozenset[Role] = frozenset({"steering", "member"})
PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "screens/overview.py", ":material/dashboard:", _ALL),
    PageSpec("profile", "screens/profile.py", ":material/badge:", _ALL),
    PageSpec("compare", "screens/compare.py", ":material/compare_arrows:", _ALL),
    PageSpec("sustainability", "screens/sustainability.py", ":material/trending_up:", _ALL),
    PageSpec("quality", "screens/quality.py", ":material/fact_check:", _INSIDE),
    PageSpec("upload", "screens/upload.py", ":material/upload_file:", _INSIDE),
    PageSpec("framework", "screens/framework.py", ":material/account_tree:", frozenset({"steering"})),
    PageSpec("method", "screens/method.py", ":material/menu_book:", _ALL),
)


def pages_for(viewer: Viewer) -> list[PageSpec]:
    """The pages this viewer may open, in menu order."""
    return [p for p in PAGES if viewer.role in p.roles and viewer.allows_page(p.key)]


def build_navigation(viewer: Viewer, title: callable) -> st.navigation:
    """``st.navigation`` over the viewer's pages only; ``title(key)`` gives the translated label."""
    pages = [
        st.Page(spec.file, title=title(spec.key), icon=spec.icon, url_path=spec.key, default=n == 0)
        for n, spec in enumerate(pages_for(viewer))
    ]
    return st.navigation(pages, position="sidebar", expanded=True)
