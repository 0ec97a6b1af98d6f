"""The ASGI application: ``st.App("dashboard/app.py")`` with Athar's routes and middleware.

``create_app()`` is the factory uvicorn calls (``uvicorn --factory server.app:create_app``); it reads
``ATHAR_DB`` like the dashboard does, so the pages and the API share one handle per database file
(``store.db.open_store``: DuckDB lets one process hold a file).
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import settings
from server import api, session_routes
from server.compress import StaticGzip
from server.headers import SecurityHeaders
from server.logs import redact_every_record
from store.db import configured_database, open_store
from store.errors import DatabaseBusy, DatabaseUnreachable

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "dashboard" / "app.py"


def database_path() -> Path:
    """``ATHAR_DATABASE_URL`` when set (PostgreSQL), else ``ATHAR_DB``; a relative path is taken from the
    checkout (as ``dashboard.bootstrap`` does)."""
    path = Path(str(settings.get("ATHAR_DB")))
    return configured_database(path if path.is_absolute() else ROOT / path)


#: ``/healthz``'s reason for a database it cannot open.
_REASONS = {DatabaseUnreachable: "database_unreachable", DatabaseBusy: "database_busy"}


def healthz(_request: Request) -> JSONResponse:
    """``ok`` when the server answers and the database opens and reads; 503 otherwise, with a ``reason``:
    ``database_unreachable`` (PostgreSQL refuses the connection), ``database_busy`` (the DuckDB file held by
    another process) or ``database_error`` (anything else; the trace in the log). Never a host or a URL."""
    try:
        version = open_store(database_path()).schema_version()
    except Exception as exc:  # noqa: BLE001 — any failure to reach the database is the answer, not a crash
        reason = _REASONS.get(type(exc), "database_error")
        if reason == "database_error":
            logging.getLogger("server.app").exception("/healthz: the database failed")
        return JSONResponse({"status": "error", "database": "unreachable", "reason": reason}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "schema_version": version})


def create_app() -> st.App:
    """The one server: dashboard, ``/healthz``, ``/api/v1/…`` and the session cookie's ``/session/…``,
    every response with security headers, the frontend bundles gzipped once and kept (``server.compress``), every log record of the process redacted (also when
    uvicorn's own command line calls this factory)."""
    redact_every_record()
    trust_proxy = bool(settings.get("ATHAR_TRUST_PROXY"))
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        *api.routes(database_path),
        *session_routes.routes(database_path, trust_proxy=trust_proxy),
    ]
    middleware = [Middleware(SecurityHeaders, trust_proxy=trust_proxy), Middleware(StaticGzip)]
    return st.App(SCRIPT, routes=routes, middleware=middleware)
