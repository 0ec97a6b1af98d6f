"""The session cookie's routes: ``/session/start`` swaps a handoff code for the cookie, ``/session/end``
clears it (``store.sessions`` holds the sessions, ``dashboard.cookie_session`` the script's side).

- ``GET /session/start#<code>``: a small page whose script (``/session/start.js``, same origin, so
  the CSP allows it) moves the code from the fragment into a form, takes the fragment out of the
  history and posts the form: the code never travels in an address.
- ``POST /session/start`` (same origin only): a valid code (≤ 60 s, once) gets ``Set-Cookie:
  athar_session=…; HttpOnly; SameSite=Strict; Path=/`` (``Secure`` when served over HTTPS, by the
  same test as HSTS) and a 303 to the page the person was on; anything else a 303 to the sign-in
  page, without a cookie. Refusals are audited by the store (never the code).
- ``GET /session/end``: the cookie expired, then a 303 to the sign-in page. It revokes nothing (the
  page script revoked the session before sending the browser here), so a link to it from elsewhere
  can at worst forget a cookie.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from server.auth import client_of
from server.headers import served_over_https
from store import sessions
from store.db import open_store
from store.settings import AccessSettings

FORM_MAX_BYTES = 1024
_SCRIPT = """(function () {
  var code = location.hash.slice(1);
  history.replaceState(null, "", location.pathname + location.search);
  if (!code) { location.replace("/"); return; }
  document.getElementById("code").value = code;
  document.getElementById("start").submit();
})();
"""


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def _page(request: Request) -> HTMLResponse:
    lang = _lang(request)
    direction = "rtl" if lang == "ar" else "ltr"
    text = html.escape(t("session.start_waiting", lang))
    body = (
        f'<!doctype html><html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>Athar</title></head>'
        f'<body><form id="start" method="post" action="{request.url.path}?{urlencode({"lang": lang})}">'
        f'<input type="hidden" name="code" id="code"><p>{text}</p></form>'
        f'<script src="{request.url.path}.js"></script></body></html>'
    )
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})


def _script(_request: Request) -> Response:
    return Response(_SCRIPT, media_type="text/javascript", headers={"Cache-Control": "no-store"})


def _same_origin(request: Request) -> bool:
    """The form came from a page of this server, as the browser says: ``Sec-Fetch-Site: same-origin``
    (under ``Referrer-Policy: no-referrer`` a form's ``Origin`` is ``null``), else an ``Origin`` naming
    this host. A client that sends neither is no browser another site could drive."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("origin")
    return origin is None or urlparse(origin).netloc == request.headers.get("host", "")


def _sign_in_page(lang: str) -> RedirectResponse:
    return RedirectResponse("/?" + urlencode({"lang": lang}), status_code=303, headers={"Cache-Control": "no-store"})


def _start_handler(database: Callable[[], Path], trust_proxy: bool) -> Callable:
    async def start(request: Request) -> Response:
        if request.method == "GET":
            return _page(request)
        body = await request.body()
        if not _same_origin(request) or len(body) > FORM_MAX_BYTES:
            return Response(status_code=403)
        code = (parse_qs(body.decode("ascii", "replace")).get("code") or [None])[0]
        issued = sessions.issue_cookie(open_store(database()), code, client=client_of(request))
        if issued is None:
            return _sign_in_page(_lang(request))
        response = RedirectResponse(issued.next_path, status_code=303, headers={"Cache-Control": "no-store"})
        response.set_cookie(
            sessions.COOKIE_NAME,
            issued.token,
            max_age=AccessSettings.from_env().session_max_hours * 3600,
            path="/",
            secure=served_over_https(request.scope, trust_proxy),
            httponly=True,
            samesite="strict",
        )
        return response

    return start


def _end(request: Request) -> Response:
    response = _sign_in_page(_lang(request))
    response.delete_cookie(sessions.COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response


def routes(database: Callable[[], Path], *, trust_proxy: bool) -> list[Route]:
    """The routes, and the page script told that it may send browsers to them."""
    sessions.CookieDoor.open = True
    return [
        Route("/session/start", _start_handler(database, trust_proxy), methods=["GET", "POST"]),
        Route("/session/start.js", _script, methods=["GET"]),
        Route("/session/end", _end, methods=["GET"]),
    ]
