"""What the server and API tests share: a demo database prepared then handed to the REAL server
(``python -m server`` in a subprocess, ``tests/browser/browser_harness.running_server``), and plain
HTTP requests to it with ``urllib`` (no client library between the test and the wire).

DuckDB lets one process hold a file: everything a test needs in the database (links, a second run,
a hostile name) is written before the server starts; what the server wrote is read after it stops.
On PostgreSQL (:func:`serving_postgres`) the same order is kept, though the database could be read meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "browser"))

from browser_harness import running_server  # noqa: E402

from store.db import Store  # noqa: E402


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


def call(base: str, path: str, *, token: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    """GET ``base + path``; any status is an answer (no exception for 4xx/5xx)."""
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


@dataclass(frozen=True)
class Served:
    url: str
    db: Path
    log: Path
    prepared: Any


def prepared_copy(pristine: Path, folder: Path, prepare: Callable[[Store], Any] | None) -> tuple[Path, Any]:
    """A copy of the demo database with ``prepare(store)`` applied (the store closed afterwards)."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "demo.duckdb"
    shutil.copy(pristine, db)
    if prepare is None:
        return db, None
    store = Store(db)
    try:
        return db, prepare(store)
    finally:
        store.close()


@contextlib.contextmanager
def serving(
    pristine: Path, folder: Path, prepare: Callable[[Store], Any] | None = None, env: dict[str, str] | None = None
) -> Iterator[Served]:
    db, prepared = prepared_copy(pristine, folder, prepare)
    with running_server(db, folder, env) as url:
        yield Served(url, db, folder / "server.log", prepared)


@contextlib.contextmanager
def serving_postgres(
    url: str, folder: Path, log_dir: Path, prepare: Callable[[Store], Any] | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Served]:
    """The real server on the PostgreSQL database ``url`` after ``prepare(store)``; its uploaded files are those
    of ``folder/raw`` (``ATHAR_DB`` = ``folder/demo.duckdb``, as ``pg_demo_copy`` left them). ``Served.db`` is
    the URL, for the test's own reads afterwards."""
    store = Store(url)
    try:
        prepared = prepare(store) if prepare is not None else None
    finally:
        store.close()
    with running_server(folder / "demo.duckdb", log_dir, {"ATHAR_DATABASE_URL": url, **(env or {})}) as live:
        yield Served(live, url, log_dir / "server.log", prepared)


@contextlib.contextmanager
def serving_out_of_reach(url: str, folder: Path) -> Iterator[Served]:
    """The real server on a PostgreSQL URL nobody answers: ready once Streamlit answers (``/healthz`` never
    says ``ok`` here: that is what the test reads)."""
    from browser_harness import _child_env, _healthy, _python, _serving, free_port

    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cmd = [_python(), "-m", "server", "--host", "127.0.0.1", "--port", str(port)]
    env = _child_env(folder / "demo.duckdb", {"ATHAR_DATABASE_URL": url})
    with _serving(cmd, f"http://127.0.0.1:{port}", _healthy, folder / "server.log", env) as live:
        yield Served(live, url, folder / "server.log", None)
