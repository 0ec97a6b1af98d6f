"""Helpers to drive the real app with ``streamlit.testing.v1.AppTest`` (tests and benchmarks).

``open_page`` starts a session the way a browser does (entry point, query parameters for the
language and the demo identity), then switches to a page through the per-role navigation, so
a page a role may not see raises ``ValueError`` exactly as it is unreachable in the app.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from streamlit.testing.v1 import AppTest

ENTRY = Path(__file__).resolve().parent / "app.py"
PAGE_FILES = {
    "overview": "screens/overview.py",
    "profile": "screens/profile.py",
    "compare": "screens/compare.py",
    "sustainability": "screens/sustainability.py",
    "quality": "screens/quality.py",
    "upload": "screens/upload.py",
    "framework": "screens/framework.py",
    "method": "screens/method.py",
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


def start(db: Path | str, *, identity: str = "steering", lang: str = "fr", timeout: float = 30) -> AppTest:
    """A fresh session on the entry point (``identity``: ``steering`` or a member's org code)."""
    os.environ["ATHAR_DB"] = str(db)
    at = AppTest.from_file(str(ENTRY), default_timeout=timeout)
    at.query_params["lang"] = lang
    at.query_params["as"] = identity
    return at.run()


def open_page(at: AppTest, page: str) -> AppTest:
    """Switch to ``page`` through the navigation (ValueError when the role may not see it)."""
    return at.switch_page(PAGE_FILES[page]).run()


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
            parts.append(str(proto))
    return "\n".join(parts)
