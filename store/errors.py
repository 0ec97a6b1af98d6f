"""Typed refusals of the store, each a catalogue key with its parameters (rendered per language).

Every door (command lines, dashboard pages) shows ``error.message(lang)``: the same words for the
same refusal wherever it happens.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from i18n import t


class StoreError(ValueError):
    """A refused store operation: ``code`` names the message under ``catalogue``, ``params`` fill it."""

    catalogue: ClassVar[str] = "store.errors"

    def __init__(self, code: str, **params: object):
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str) -> str:
        return t(f"{self.catalogue}.{self.code}", lang, **self.params)


class DatabaseBusy(StoreError):
    """Another process holds the DuckDB file (DuckDB lets one process open it read-write, and no
    other process even read-only): a command-line import while the app runs, a second app."""

    def __init__(self, path: Path | str):
        super().__init__("database_busy", path=str(path))
        self.path = Path(path)


class StoreClosed(RuntimeError):
    """A read or write on a PostgreSQL store after ``close()`` (DuckDB raises its ``ConnectionException``)."""


class DatabaseUnreachable(StoreError):
    """The PostgreSQL database named by the URL refuses a connection: the server down or not listening,
    the connection refused, the password or the database refused. The message names the host and the
    database, never the URL (it may hold a password); the driver's words stay in ``__cause__`` for the log."""

    catalogue: ClassVar[str] = "pgreach"

    def __init__(self, url: str):
        host, database = where(url)
        super().__init__("database_unreachable", host=host, database=database)
        self.host = host
        self.database = database


def where(url: str) -> tuple[str, str]:
    """``(host, database)`` of a PostgreSQL URL, for a message: ``host:port`` (or the socket folder), and
    the database's name; neither the user nor the password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 — a malformed URL: say where nothing is rather than fail again
        return "?", "?"
    host = str(parts.get("host") or "localhost").split(",")[0]
    port = str(parts.get("port") or "").split(",")[0]
    shown = f"{host}:{port}" if port and not host.startswith("/") else host
    return shown, str(parts.get("dbname") or parts.get("user") or "postgres")
