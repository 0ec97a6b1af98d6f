"""The page script's side of the session cookie (``store.sessions``, ``server.session_routes``).

The script talks to the browser over a websocket and cannot set an HttpOnly cookie. After a
sign-in it makes the server-side session with a one-time handoff code and sends the browser to
``/session/start#<code>`` (the code in the fragment: never sent in an address, never in a log); that
page posts the code to the server, which answers with the cookie and a 303 back to the page the
person was on. A new tab or a reload opens a new Streamlit session whose websocket carries the
cookie (``st.context.cookies``): the script restores the account from it. Sign-out sends the
browser to ``/session/end``, which clears the cookie.

Without the server's routes (``streamlit run``, AppTest) nothing is sent anywhere: the session
lives in its one tab, as before, and is still revocable server-side.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlparse

import streamlit as st
from streamlit import config
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard.url_state import SHARED_PARAMS
from store.sessions import COOKIE_NAME, CookieDoor

START_PATH = "session/start"
END_PATH = "session/end"


def available() -> bool:
    """The server in this process hands out session cookies (``python -m server``, ``make run``)."""
    return CookieDoor.open and get_script_run_ctx() is not None


def cookie_token() -> str | None:
    """The session cookie this tab's websocket opened with, if any."""
    try:
        value = st.context.cookies.get(COOKIE_NAME)
    except Exception:  # noqa: BLE001 — no connection behind this run (bare scripts, AppTest)
        return None
    return value if isinstance(value, str) and value else None


def _server_path(path: str) -> str:
    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/{path}" if base else f"/{path}"


def here() -> str:
    """This page's path and view parameters (page, organisation, period, principle, language):
    where the browser comes back to. Never a token (``SHARED_PARAMS`` has none)."""
    try:
        path = urlparse(st.context.url or "").path or "/"
    except Exception:  # noqa: BLE001 — no browser context
        path = "/"
    query = urlencode({k: v for k in SHARED_PARAMS if (v := st.query_params.get(k))})
    return f"{path}?{query}" if query else path


def _redirect(url: str) -> None:
    """Send the browser to ``url`` (Streamlit's own ``auth_redirect`` message, as ``st.login``),
    then stop this run: a ``st.rerun()`` would drop the queued message."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        message = ForwardMsg()
        message.auth_redirect.url = url
        ctx.enqueue(message)
    st.stop()


def go_get_cookie(code: str, lang: str) -> None:
    """To ``/session/start`` with the handoff code in the fragment."""
    _redirect(f"{_server_path(START_PATH)}?{urlencode({'lang': lang})}#{code}")


def go_clear_cookie(lang: str) -> None:
    """To ``/session/end``, which expires the cookie and returns to the sign-in page."""
    _redirect(f"{_server_path(END_PATH)}?{urlencode({'lang': lang})}")
