"""Gzip for Streamlit's frontend bundles (``/static/…``), compressed once per asset and kept.

Streamlit's own gzip layer deliberately skips ``/static/``: Starlette's ``GZipMiddleware`` would
re-compress the same bytes on every request. But its bundles are large (Plotly's chart script is
4.7 MB) and, without a proxy in front, the first chart page waited 3–4 s for them
(benchmarks/load_bench.py). The assets are content-hashed and never change while the process runs,
so each one is compressed once (in a worker thread, off the event loop) and the compressed bytes
are served from memory afterwards, keyed by path and the response's validators (ETag,
Last-Modified, length), so a changed file is never answered with stale bytes.

Only ``GET``/``HEAD`` 200 answers of a compressible type, at least ``MINIMUM_SIZE`` bytes, to a
client that accepts gzip and asked for no byte range; everything else (websocket
``/_stcore/stream``, pages, the API, 304s, ranges) passes through untouched. Runs inside
``SecurityHeaders``, which adds its headers to the compressed answer as to any other.
"""

from __future__ import annotations

import gzip

import anyio
import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MINIMUM_SIZE = 1024
CACHE_BYTES = 64 * 1024 * 1024
COMPRESSIBLE = (b"text/", b"application/javascript", b"application/json", b"image/svg+xml",
                b"application/wasm", b"application/xml", b"font/ttf", b"font/otf")


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes:
    return next((value for key, value in headers if key.lower() == name), b"")


def _accepts_gzip(scope: Scope) -> bool:
    value = _header(list(scope.get("headers") or ()), b"accept-encoding").decode("latin-1").lower()
    for part in value.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _wanted(scope: Scope) -> bool:
    return (
        scope["type"] == "http"
        and scope.get("method") in ("GET", "HEAD")
        and str(scope.get("path", "")).startswith("/static/")
        and not _header(list(scope.get("headers") or ()), b"range")
        and _accepts_gzip(scope)
    )


class StaticGzip:
    """Pure ASGI middleware; buffers only the ``/static/`` answers it may compress."""

    def __init__(self, app: ASGIApp, *, minimum_size: int = MINIMUM_SIZE, cache_bytes: int = CACHE_BYTES) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.cache_bytes = cache_bytes
        self._cache: dict[tuple[str, bytes, bytes, bytes], bytes] = {}
        self._cached = 0
        self._locks: dict[tuple[str, bytes, bytes, bytes], anyio.Lock] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _wanted(scope):
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        headers = list(start.get("headers", []))
        if not self._compressible(start, headers, body):
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        packed = await self._packed(scope, headers, body)
        kept = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"vary")]
        kept += [(b"content-encoding", b"gzip"), (b"content-length", str(len(packed)).encode("ascii")),
                 (b"vary", b"Accept-Encoding")]
        await send({**start, "headers": kept})
        await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else packed})

    def _compressible(self, start: Message, headers: list[tuple[bytes, bytes]], body: bytes) -> bool:
        kind = _header(headers, b"content-type").lower()
        return (
            start.get("status") == 200
            and len(body) >= self.minimum_size
            and not _header(headers, b"content-encoding")
            and any(kind.startswith(prefix) for prefix in COMPRESSIBLE)
        )

    async def _packed(self, scope: Scope, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
        key = (str(scope["path"]), _header(headers, b"etag"), _header(headers, b"last-modified"),
               str(len(body)).encode("ascii"))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        # One compression per asset even when twenty first page loads ask for it at once.
        async with self._locks.setdefault(key, anyio.Lock()):
            hit = self._cache.get(key)
            if hit is not None:
                return hit
            packed = await anyio.to_thread.run_sync(lambda: gzip.compress(body, compresslevel=6, mtime=0))
            if self._cached + len(packed) <= self.cache_bytes:
                self._cache[key] = packed
                self._cached += len(packed)
        return packed
