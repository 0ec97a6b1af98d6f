"""Security headers on every HTTP response the server sends (pages, Streamlit's assets, the API).

- ``Referrer-Policy: no-referrer``: a funder link's token in the address never leaves in a Referer;
- ``X-Content-Type-Options: nosniff``; frame denial twice (``X-Frame-Options: DENY`` for old browsers,
  CSP ``frame-ancestors 'none'`` for the rest);
- ``Strict-Transport-Security`` only when the request came over HTTPS: its own scheme (uvicorn sets
  it from a trusted proxy's ``X-Forwarded-Proto``: one on this host, or any with ``ATHAR_TRUST_PROXY``),
  or ``X-Forwarded-Proto: https`` itself when ``trust_proxy`` is on;
- a Content-Security-Policy that Streamlit's pages pass (checked in Chromium, tests/test_server.py):
  scripts from the server only (and WebAssembly compilation), plus the one inline script of Streamlit's ``index.html`` by its hash;
  inline styles (Streamlit's CSS-in-JS and the dashboard's ``<style>`` blocks); images, fonts and
  workers also from ``data:`` and ``blob:``; websockets to the same host; nothing from elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=31536000; includeSubDomains"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def inline_script_hashes(index_html: Path) -> list[str]:
    """CSP source expressions (``'sha256-…'``) of the inline scripts of Streamlit's ``index.html``."""
    text = index_html.read_text(encoding="utf-8") if index_html.is_file() else ""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii") + "'"
        for body in _INLINE_SCRIPT.findall(text)
    ]


def streamlit_index() -> Path:
    import streamlit

    return Path(streamlit.__file__).resolve().parent / "static" / "index.html"


def content_security_policy(script_hashes: list[str]) -> str:
    directives = {
        "default-src": "'self'",
        # 'wasm-unsafe-eval' lets the page compile WebAssembly (Streamlit's frontend does; Chromium
        # reports "script-src wasm-eval" without it); it allows no JavaScript eval.
        "script-src": " ".join(["'self'", "'wasm-unsafe-eval'", *script_hashes]),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self' ws: wss:",
        "worker-src": "'self' blob:",
        "media-src": "'self' data: blob:",
        "frame-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def served_over_https(scope: Scope, trust_proxy: bool) -> bool:
    if scope.get("scheme") in ("https", "wss"):
        return True
    if not trust_proxy:
        return False
    for name, value in scope.get("headers") or ():
        if name == b"x-forwarded-proto":
            return value.decode("latin-1").split(",")[0].strip().lower() == "https"
    return False


class SecurityHeaders:
    """Pure ASGI middleware (it never buffers a body, so streaming and websockets pass untouched)."""

    def __init__(self, app: ASGIApp, *, trust_proxy: bool = False, csp: str | None = None) -> None:
        self.app = app
        self.trust_proxy = trust_proxy
        self.csp = csp or content_security_policy(inline_script_hashes(streamlit_index()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [
            (b"referrer-policy", b"no-referrer"),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", self.csp.encode("ascii")),
        ]
        if served_over_https(scope, self.trust_proxy):
            extra.append((b"strict-transport-security", HSTS.encode("ascii")))
        replaced = {name for name, _ in extra}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in replaced]
                message = {**message, "headers": kept + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)
