"""Helpers to drive the real app with ``streamlit.testing.v1.AppTest`` (tests and benchmarks).

``start`` opens a session the way a browser does (entry point, language in the URL, then the
sign-in form or a funder link's token), ``open_page`` switches to a page through the per-role navigation, so
a page a role may not see raises ``ValueError`` exactly as it is unreachable in the app.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard import folds

ENTRY = Path(__file__).resolve().parent / "app.py"
PAGE_FILES = {
    "start": "screens/start.py",
    "calendar": "screens/calendar.py",
    "overview": "screens/overview.py",
    "profile": "screens/profile.py",
    "compare": "screens/compare.py",
    "sustainability": "screens/sustainability.py",
    "indicator": "screens/indicator.py",
    "quality": "screens/quality.py",
    "upload": "screens/upload.py",
    "form": "screens/form.py",
    "review": "screens/review.py",
    "framework": "screens/framework.py",
    "method": "screens/method.py",
    "links": "screens/links.py",
    "accounts": "screens/accounts.py",
    "reminders": "screens/reminders.py",
    "registry": "screens/registry.py",
    "password": "screens/password.py",
    "audit": "screens/audit.py",
}
TEXT_ELEMENTS = frozenset(
    {
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "text",
        "code",
        "alert",
        "info",
        "warning",
        "error",
        "success",
        "exception",
        "html",
        "latex",
        "json",
    }
)
#: Widgets whose options list organisations on purpose (the demo identity picker).
DEMO_WIDGET_KEYS = frozenset({"demo_as"})
#: Protobuf fields nobody reads: widget ids and media file ids (``deferred_file_id`` is a random
#: uuid4, so a scan for forbidden words would otherwise fail at random on its hex digits).
_INTERNAL_FIELDS = re.compile(r'^\s*(?:id|deferred_file_id|url|form_id|file_id): ".*"$\n?', re.MULTILINE)


def start(
    db: Path | str,
    *,
    identity: str | None = "steering",
    lang: str = "fr",
    timeout: float = 30,
    link: str | None = None,
    password: str | None = None,
) -> AppTest:
    """A fresh session on the entry point, signed in through the real sign-in form.

    ``identity``: ``steering`` (the demo account ``comite``), a member's organisation code (its
    demo account), or any username with ``password``; ``None`` stays on the sign-in screen.
    ``link``: open the session with a funder link's token instead. ``db``: a DuckDB file (``ATHAR_DB``) or
    a PostgreSQL database's URL (``ATHAR_DATABASE_URL``).
    """
    from store.accounts import DEMO_PASSWORD, DEMO_STEERING
    from store.db import is_database_url

    if is_database_url(db):  # PostgreSQL: uploaded files stay beside ``ATHAR_DB``, as the caller set it
        os.environ["ATHAR_DATABASE_URL"] = str(db)
    else:
        os.environ["ATHAR_DB"] = str(db)
        os.environ.pop("ATHAR_DATABASE_URL", None)
    os.environ["ATHAR_DEMO_MODE"] = "1"
    at = AppTest.from_file(str(ENTRY), default_timeout=timeout)
    at.query_params["lang"] = lang
    if link is not None:
        at.query_params["link"] = link
        return at.run()
    at.run()
    if identity is None:
        return at
    username = DEMO_STEERING if identity == "steering" else identity.lower()
    return sign_in(at, username, password or DEMO_PASSWORD)


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    """Fill and submit the sign-in form as a person would."""
    at.text_input(key="sign_in_username").input(username)
    at.text_input(key="sign_in_password").input(password)
    return at.button(key="sign_in_submit").click().run()


def open_page(at: AppTest, page: str, *, folds: bool = True) -> AppTest:
    """Switch to ``page`` through the navigation (ValueError when the role may not see it), then
    open its folded sections as a reader would (``folds=False``: leave them closed)."""
    at.switch_page(PAGE_FILES[page]).run()
    return open_folds(at) if folds else at


def open_folds(at: AppTest) -> AppTest:
    """Open every closed fold of the page (``dashboard.folds``), as clicking each one does: one more
    run, and again while opening reveals more (at most three)."""
    for _ in range(3):
        closed = [key for key, value in at.session_state.items() if str(key).startswith(folds.PREFIX) and not value]
        if not closed:
            break
        for key in closed:
            at.session_state[key] = True
        at.run()
    return at


def _nodes(node) -> Iterator[object]:
    yield node
    children = getattr(node, "children", None)
    if children:
        for child in children.values():
            yield from _nodes(child)


def visible_text(at: AppTest, *, skip_keys: frozenset[str] = DEMO_WIDGET_KEYS) -> str:
    """Everything a person could read on the page: text, tables, chart data, widget options."""
    parts: list[str] = []
    for node in _nodes(at._tree):
        kind = getattr(node, "type", None)
        if getattr(node, "key", None) in skip_keys:
            continue
        proto = getattr(node, "proto", None)
        if kind == "dataframe":
            parts.append(node.value.to_csv())
        elif kind == "plotly_chart" and proto is not None:
            parts.append(json.dumps(json.loads(proto.spec), ensure_ascii=False))
        elif kind in ("selectbox", "multiselect", "radio"):
            parts.extend(str(option) for option in node.options)
            parts.append(str(getattr(node, "label", "")))
        elif kind == "metric":
            parts.extend([node.label, node.value, str(getattr(node, "delta", ""))])
        elif kind in ("download_button", "button"):
            parts.append(str(getattr(node, "label", "")))
        elif kind in TEXT_ELEMENTS:
            parts.append(str(node.value))
        if proto is not None and kind not in ("dataframe", "plotly_chart"):
            parts.append(_INTERNAL_FIELDS.sub("", str(proto)))
    return "\n".join(parts)
