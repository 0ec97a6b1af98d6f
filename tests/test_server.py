"""The one ASGI server (``python -m server``): health, security headers on every response, no token
in its log, and Streamlit's pages rendering in Chromium under its Content-Security-Policy.

The REAL server in a subprocess on a copy of the demo database, once for the module.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import pg_module_copy
from server_harness import Served, call, serving, serving_postgres

from server.headers import SecurityHeaders, content_security_policy, inline_script_hashes, streamlit_index
from store import links
from store.db import Store

SECURITY = ("referrer-policy", "x-content-type-options", "x-frame-options", "content-security-policy")

#: On both backends: the server over a DuckDB file and over a PostgreSQL copy of the demo (its health reads
#: the database; no token reaches its log, whichever driver runs under it).
pytestmark = pytest.mark.backends("duckdb", "postgres")


def _prepare(store: Store) -> str:
    return links.create_link(store, label="Journal", org_codes=["ASS-CAS-001"], created_by="test")[1]


@pytest.fixture(scope="module")
def served(backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp(f"server-{backend}")
    if backend == "postgres":
        with serving_postgres(pg_module_copy(request, folder), folder, folder / "live", _prepare) as live:
            yield live
        return
    with serving(request.getfixturevalue("demo_db_pristine"), folder, _prepare) as live:
        yield live


def test_health_says_ok_when_the_server_and_its_database_answer(served: Served) -> None:
    reply = call(served.url, "/healthz")
    assert reply.status == 200 and reply.json()["status"] == "ok" and reply.json()["database"] == "ok"


@pytest.mark.parametrize("path", ["/", "/overview?lang=ar", "/_stcore/health", "/healthz", "/api/v1/openapi.json",
                                  "/api/v1/scores", "/no-such-page"])
def test_every_response_carries_the_security_headers(served: Served, path: str) -> None:
    headers = call(served.url, path).headers
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "'unsafe-eval'" not in headers["content-security-policy"]


def test_hsts_only_when_the_request_came_over_https_through_the_proxy(served: Served) -> None:
    assert "strict-transport-security" not in call(served.url, "/").headers
    # The test client is 127.0.0.1: a proxy on this host, whose X-Forwarded-Proto uvicorn believes.
    proxied = call(served.url, "/", headers={"X-Forwarded-Proto": "https"}).headers
    assert proxied["strict-transport-security"].startswith("max-age=")


def _headers_of(middleware: SecurityHeaders, scope: dict) -> dict[bytes, bytes]:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    # a thread of its own: an earlier test in this process may have left an event loop running in this one
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, middleware({"type": "http", "headers": [], **scope}, receive, send)).result()
    return dict(sent[0]["headers"])


async def _ok_app(scope: dict, receive: object, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-frame-options", b"SAMEORIGIN")]})
    await send({"type": "http.response.body", "body": b"ok"})


def test_hsts_over_https_and_behind_a_trusted_proxy_only() -> None:
    trusting, wary = SecurityHeaders(_ok_app, trust_proxy=True), SecurityHeaders(_ok_app, trust_proxy=False)
    proxied = {"scheme": "http", "headers": [(b"x-forwarded-proto", b"https")]}
    assert b"strict-transport-security" in _headers_of(wary, {"scheme": "https"})
    assert b"strict-transport-security" in _headers_of(trusting, proxied)
    assert b"strict-transport-security" not in _headers_of(wary, proxied)
    assert _headers_of(wary, {"scheme": "http"})[b"x-frame-options"] == b"DENY"  # replaces the app's own


def test_the_policy_allows_streamlits_inline_script_by_its_hash_only() -> None:
    hashes = inline_script_hashes(streamlit_index())
    directives = dict(d.strip().split(" ", 1) for d in content_security_policy(hashes).split(";"))
    scripts = directives["script-src"].split()
    assert hashes and set(hashes) <= set(scripts)
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"


def test_no_token_is_written_to_the_servers_log(served: Served) -> None:
    token, random_token = served.prepared, secrets.token_urlsafe(32)
    personal = "athar_pat_" + secrets.token_urlsafe(32)
    call(served.url, f"/api/v1/runs?x={personal}", token=personal)
    call(served.url, f"/?link={token}&lang=fr")
    call(served.url, f"/overview?link={random_token}")
    call(served.url, "/api/v1/scores", token=token)
    call(served.url, f"/api/v1/scores?token={token}")
    call(served.url, f"/api/v1/organisations?link={random_token}")
    log = served.log.read_text(encoding="utf-8", errors="replace")
    assert "/api/v1/organisations" in log  # the access log is on: the requests are there, redacted
    assert token not in log and random_token not in log and personal not in log and "Bearer" not in log


def _plotly_bundle() -> str:
    """The URL of Streamlit's Plotly chart bundle (the 4.7 MB script the first chart page loads)."""
    folder = streamlit_index().parent / "static" / "js"
    return "/static/js/" + next(p.name for p in sorted(folder.glob("PlotlyChart.*.js")))


def test_a_static_script_comes_back_gzipped_and_smaller_with_the_security_headers(served: Served) -> None:
    import gzip

    plain = call(served.url, _plotly_bundle())
    packed = call(served.url, _plotly_bundle(), headers={"Accept-Encoding": "gzip"})
    again = call(served.url, _plotly_bundle(), headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert plain.status == packed.status == again.status == 200
    assert packed.headers["content-encoding"] == "gzip" and "accept-encoding" in packed.headers["vary"].lower()
    assert len(packed.body) < len(plain.body) / 2 and gzip.decompress(packed.body) == plain.body
    assert again.body == packed.body and int(packed.headers["content-length"]) == len(packed.body)
    assert all(name in packed.headers for name in SECURITY)
    assert "frame-ancestors 'none'" in packed.headers["content-security-policy"]


def test_a_static_script_stays_plain_without_accept_encoding_or_when_gzip_is_refused(served: Served) -> None:
    for headers in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0"}):
        reply = call(served.url, _plotly_bundle(), headers=headers)
        assert reply.status == 200 and "content-encoding" not in reply.headers
        assert reply.body.lstrip()[:1] not in (b"\x1f",) and all(name in reply.headers for name in SECURITY)
