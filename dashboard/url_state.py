"""The view's state in the address: ``/profile?org=FON-RBT-003&period=2024&principle=P2&lang=fr``.

The pickers (``dashboard.pickers``) read their parameter when the address names a value this
session has not written itself (a shared address, a bookmark, a reload, the browser's back), and
write their choice back on every run, so the address bar always says what is shown and can be
shared as it is. The URL only *chooses among* what the viewer may see: the options come from the
viewer's scoped reads, and a value that is not among them (another organisation, a period that was
never scored, a typo) is ignored with a short notice — never an error, never data.

Streamlit drops the query string when the menu changes page: a picker then keeps this session's
choice and writes it back. The funder link's token (``?link=``) is the link's own business
(``dashboard.access``) and never goes into an address the app builds (:func:`share_query`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import streamlit as st

#: The parameters a shared address may carry: the page is the path, these are the query string.
SHARED_PARAMS: tuple[str, ...] = ("org", "period", "principle", "lang")
#: Session key holding, per picker, the value it last wrote to the address.
_WRITTEN_KEY = "_athar_url_written"
#: Session key of the notices to show under the pickers this run (parameter → notice key).
_NOTICES_KEY = "_athar_url_notices"


@dataclass(frozen=True)
class UrlParam:
    """How one picker's value goes to and from the address.

    ``name`` is the query parameter; ``to_url`` / ``from_url`` translate the picker's option to
    the text in the address and back (None from ``from_url``: not a value of this picker).
    """

    name: str
    to_url: Callable[[object], str] = str
    from_url: Callable[[str], object] = str


def _written() -> dict[str, str]:
    return st.session_state.setdefault(_WRITTEN_KEY, {})


def requested(key: str, param: UrlParam, options: Sequence[object]) -> tuple[bool, object | None]:
    """(the address asks picker ``key`` for a value it did not write, the option named or None).

    A value the picker wrote itself is stale once the person changes the picker: the picker wins
    then. Any other value is a request (a shared address, a reload, back/forward, another page's
    picker of the same parameter).
    """
    raw = st.query_params.get(param.name)
    if raw is None or raw == _written().get(key):
        return False, None
    try:
        value = param.from_url(raw)
    except (TypeError, ValueError):
        return True, None
    return True, (value if value in options else None)


def seed(key: str, param: UrlParam, options: Sequence[object]) -> None:
    """Before the picker is drawn: apply the address's request, or note that it was ignored."""
    asked, value = requested(key, param, options)
    if not asked:
        return
    if value is None:
        note_refused(param.name)
    else:
        st.session_state[key] = value
        st.session_state[f"_keep_{key}"] = value


def note_refused(name: str) -> None:
    """Remember that the address asked for a value this viewer cannot have (shown by :func:`notice`)."""
    st.session_state.setdefault(_NOTICES_KEY, {})[name] = True


def write(key: str, param: UrlParam, value: object) -> None:
    """After picker ``key``: the address says what is shown (and the picker remembers writing it)."""
    text = param.to_url(value)
    _written()[key] = text
    if st.query_params.get(param.name) != text:
        st.query_params[param.name] = text


def take_refused(name: str) -> bool:
    """Whether the address's value for ``name`` was just ignored (once: the notice is shown once)."""
    return bool(st.session_state.get(_NOTICES_KEY, {}).pop(name, False))


def share_query(params: dict[str, str]) -> str:
    """The query string of an address to share: the view's parameters only, never a token."""
    kept = {name: params[name] for name in SHARED_PARAMS if params.get(name)}
    return urlencode(kept)


def share_url(base: str | None, params: dict[str, str]) -> str | None:
    """This view's address without any token (None without a browser address to start from)."""
    if not base:
        return None
    query = share_query(params)
    return f"{base}?{query}" if query else base
