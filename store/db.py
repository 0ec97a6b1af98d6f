"""Connection handling: the store's one interface, and one DuckDB file shared by many threads of one process.

PostgreSQL, the second backend, lives in ``store.postgres`` behind the same interface.

DuckDB 2 fails (or silently returns nothing) when threads share one connection, so every read
takes its own cursor and reads its result fully before closing it; all writes go through
``Store.write``, which serialises them behind one lock and runs each in its own transaction
(committed transactions survive ``kill -9``; an open one is discarded on restart).
"""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import polars as pl

from store.errors import DatabaseBusy

if TYPE_CHECKING:  # imported where a DuckDB database is opened (DuckDBStore), never for PostgreSQL
    import duckdb

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
T = TypeVar("T")


def utc_now() -> datetime:
    """Naive UTC timestamp, the form every TIMESTAMP column of the store holds."""
    return datetime.now(UTC).replace(tzinfo=None)


def migrations(dialect: str = "duckdb") -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration file, in order, as ``dialect`` runs it.

    One file serves both backends (PostgreSQL runs it through ``store.dialect.to_postgres``);
    ``migrations/<dialect>/<same name>.sql``, where it exists, replaces it for that dialect alone.
    """
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise RuntimeError(f"badly named migration {path.name}")
        override = MIGRATIONS_DIR / dialect / path.name
        sql = (override if override.exists() else path).read_text(encoding="utf-8")
        found.append((int(match.group(1)), path.stem, sql))
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


class ArrowStream:
    """A Polars frame to ``register`` with DuckDB, as an Arrow stream (the Arrow PyCapsule interface).

    DuckDB scans it in place; registering the frame itself would convert it through pyarrow
    (imported for that alone, a few hundredths of a second, then a copy of every column). Each
    scan asks for a fresh stream, so one registration can be read by several statements.
    """

    def __init__(self, frame: pl.DataFrame):
        self._frame = frame

    @property
    def frame(self) -> pl.DataFrame:
        """The frame itself (PostgreSQL copies it into a temporary table: ``store.postgres``)."""
        return self._frame

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self._frame.__arrow_c_stream__(requested_schema)


def is_database_url(target: object) -> bool:
    """Whether ``target`` names a PostgreSQL database (``postgresql://…``) rather than a DuckDB file."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


class DatabaseUrl(str):
    """A ``postgresql://`` URL where a DuckDB path is taken (``--db``). It stands in for the path's
    ``exists()`` / ``is_file()`` (the server answers for the database) and formats without its password,
    so a message naming the database never prints it (``str()`` keeps the whole URL, for a child process)."""

    def exists(self) -> bool:
        return True

    is_file = exists

    @property
    def name(self) -> str:
        return urlsplit(self).path.strip("/")

    def __format__(self, spec: str) -> str:
        parts = urlsplit(self)
        netloc = parts.netloc.rsplit("@", 1)
        if len(netloc) == 2 and ":" in netloc[0]:
            parts = parts._replace(netloc=f"{netloc[0].split(':', 1)[0]}:***@{netloc[1]}")
        return format(parts.geturl(), spec)


def database_arg(text: str) -> Path | DatabaseUrl:
    """The ``--db`` of the command lines: a DuckDB file, or a PostgreSQL database's URL."""
    return DatabaseUrl(text) if is_database_url(text) else Path(text)


def configured_database(path: Path) -> Path | DatabaseUrl:
    """The database a deployment runs on: ``ATHAR_DATABASE_URL`` when set (PostgreSQL), else the file ``path``."""
    import settings

    url = settings.configured("ATHAR_DATABASE_URL")
    return DatabaseUrl(url) if url else path


class Store(ABC):
    """The store's one interface: ``query`` / ``column`` / ``scalar`` / ``cursor`` reads, ``write(work)``
    in one transaction, ``register`` of Polars frames on a cursor, ``migrate``, ``close``, ``raw_dir``.

    ``Store(path)`` opens a DuckDB file (:class:`DuckDBStore`, the default); ``Store("postgresql://…")``
    a PostgreSQL database (:class:`store.postgres.PostgresStore`). Cursors of both speak DuckDB's SQL
    (``store.dialect`` translates it for PostgreSQL) and DuckDB's cursor calls (``execute(...).fetchall()``,
    ``register``/``unregister``, ``sql(...).pl()``).
    """

    dialect = "duckdb"
    path: Path
    raw_dir: Path
    _closed: bool = False

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran: a holder of the handle (the dashboard's cache) opens a new one."""
        return self._closed

    def __new__(cls, target: Path | str, **options: Any) -> Store:
        if cls is Store:
            if is_database_url(target):
                from store.postgres import PostgresStore

                cls = PostgresStore
            else:
                cls = DuckDBStore
        return super().__new__(cls)

    # -- schema ----------------------------------------------------------------------------
    def schema_version(self) -> int:
        with self.cursor() as cur:
            exists = cur.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
            ).fetchall()[0][0]
            if not exists:
                return 0
            return cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()[0][0]

    def migrate(self, *, upto: int | None = None) -> list[int]:
        """Apply pending migrations, each in its own transaction; returns the versions applied."""
        self.write(lambda cur: cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"))
        applied: list[int] = []
        for version, name, sql in migrations(self.dialect):
            if upto is not None and version > upto:
                continue

            def apply(cur: Any, version: int = version, name: str = name, sql: str = sql) -> bool:
                if cur.execute("SELECT count(*) FROM schema_migrations WHERE version = ?", [version]).fetchall()[0][0]:
                    return False  # applied meanwhile (another process on a shared database)
                cur.execute(sql)
                cur.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, utc_now()])
                return True

            if self.write(apply):
                applied.append(version)
        return applied

    # -- reads -----------------------------------------------------------------------------
    @abstractmethod
    def cursor(self) -> AbstractContextManager[Any]:
        """A fresh cursor for this thread and this use only."""

    def query(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """Run a read and return it fully materialised as a Polars frame."""
        with self.cursor() as cur:
            return cur.sql(sql, params=params).pl()

    def column(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> list[Any]:
        """The first column of a read, as a list (no frame: a read on the load path then needs no pyarrow,
        which ``query`` imports to build its frame)."""
        with self.cursor() as cur:
            return [row[0] for row in cur.execute(sql, params or []).fetchall()]

    def scalar(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> Any:
        with self.cursor() as cur:
            rows = cur.execute(sql, params or []).fetchall()  # read fully: DuckDB 2 wants finished results
            return rows[0][0] if rows else None

    def query_bulk(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """``query`` for a large read (scoring inputs): the backend's fastest path to a Polars frame."""
        return self.query(sql, params)

    # -- writes ----------------------------------------------------------------------------
    @abstractmethod
    def write(self, work: Callable[[Any], T]) -> T:
        """Run ``work(cursor)`` in one transaction, serialised with every other write."""

    @abstractmethod
    def close(self) -> None:
        """Release the handle (and forget it in this process's registry)."""


class DuckDBStore(Store):
    """One DuckDB file. Create with :func:`open_store` so each process holds one handle per file."""

    def __init__(self, path: Path | str, *, upto: int | None = None):
        """Open (and migrate) the file; :class:`DatabaseBusy` when another process holds it."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.raw_dir = self.path.parent / "raw"
        import duckdb  # here: a process on PostgreSQL never imports DuckDB (a twentieth of a second)

        try:
            self._con = duckdb.connect(str(self.path))
        except duckdb.IOException as exc:  # DuckDB: one read-write process per file, no reader beside it
            raise DatabaseBusy(self.path) from exc
        self._write_lock = threading.RLock()
        self.migrate(upto=upto)

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh cursor for this thread and this use only."""
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def write(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``work(cursor)`` in one transaction, serialised with every other write."""
        with self._write_lock, self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                result = work(cur)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            return result

    def close(self) -> None:
        with _registry_lock:
            _open_stores.pop(self.path.resolve(), None)
        self._closed = True
        self._con.close()


_open_stores: dict[Path | str, Store] = {}
_registry_lock = threading.Lock()


def open_store(path: Path | str) -> Store:
    """The process-wide handle for ``path`` (DuckDB allows one read-write holder per file), or for
    a ``postgresql://`` URL (one connection pool per database in each process).

    Raises :class:`store.errors.DatabaseBusy` when another process holds the DuckDB file."""
    key = path if is_database_url(path) else Path(path).resolve()
    with _registry_lock:
        store = _open_stores.get(key)
        if store is None:
            store = Store(key)
            _open_stores[key] = store
        return store


def close_all() -> None:
    """Close every handle this process opened (DuckDB checkpoints each file on close)."""
    with _registry_lock:
        stores = list(_open_stores.values())
    for store in stores:
        store.close()
