"""PostgreSQL behind the store's one interface (``store.db.Store``), selected by a ``postgresql://`` URL.

- **Connections:** a small pool per database in each process; a cursor takes a connection for its use
  alone and gives it back (reads run in autocommit, so a read never holds a transaction open).
- **Writes:** ``write(work)`` runs ``work(cursor)`` in one transaction that first takes a transaction-level
  advisory lock (:data:`WRITE_LOCK`). Writes of every process on the database are so serialised by the
  database itself, as DuckDB's single writer serialises them in one process; reads are never blocked.
  The store's writes (check, then insert) were written for one writer at a time and stay correct.
- **Cursors** speak DuckDB's SQL and calls (see :class:`PgCursor`), so the store's modules run unchanged.
- **Registered frames:** ``cur.register(name, frame)`` copies a Polars frame into a temporary table of
  that name by one ``COPY … FROM STDIN``, and ``cur.copy_rows(table, frame)`` into a table: in COPY's
  binary format built by whole columns (``store.pg_binary``), or as CSV Polars writes when a column
  cannot be sent as binary (lists…); vectorised either way, no per-row Python.
- **Reads into Polars** from the rows and the description's types (:func:`frame_from_cursor`): every
  parameter type the store binds works, and the frame's types are DuckDB's. ``query_bulk`` reads through
  ADBC (Arrow, columnar) instead, for the large reads (scoring inputs): measured on this machine, a read of
  1,000,000 rows × 6 columns took 1.4–1.7 s through ADBC against 3.5–6.6 s through the cursor (busy machine,
  three runs each); a small read is no slower on a kept ADBC connection. Its parameters are bound by
  psycopg on the client (``ClientCursor.mogrify``), then the text runs on ADBC. ADBC's types are not
  always DuckDB's (NUMERIC comes as text): use it for reads of plain columns, as the scoring inputs are.
"""

from __future__ import annotations

import io
import select
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from queue import Queue
from typing import Any, TypeVar
from urllib.parse import urlsplit

import polars as pl
import psycopg
from psycopg.adapt import Loader
from psycopg.copy import QueuedLibpqWriter

import settings
from store.db import ArrowStream, Store
from store.dialect import POSTGRES, to_postgres
from store.errors import DatabaseUnreachable, StoreClosed
from store.pg_binary import SIGNATURE, TRAILER, RowEncoder, binary_plan

T = TypeVar("T")
#: The advisory lock every write transaction takes first (an arbitrary constant: "athar" in ASCII).
WRITE_LOCK = 0x6174686172
_POOL_SIZE = 8
#: Every session of the store: UTC, and room for a registered frame in memory. A temporary table lives
#: in the session's own buffers (``temp_buffers``, 8 MB by default, taken only as used): a million-row
#: upload registered beyond them spilled to disk, its COPY 8.6 s against 5.8 s, its ANALYZE 2.0 s
#: against 0.4 s and the insert reading it 2.9 s against 1.3 s with 512 MB (one run each, busy machine).
SESSION_OPTIONS = "-c TimeZone=UTC -c temp_buffers=256MB"
#: Rows of a frame per slice (binary or CSV) sent to COPY.
_COPY_SLICE = 100_000
#: Chunks (of at most 128 KB, psycopg's) queued for the writer thread: about one slice of binary rows.
_QUEUED_CHUNKS = 128


class _SliceAheadWriter(QueuedLibpqWriter):
    """psycopg's writer thread with a queue of about one slice (16 MB; psycopg's own holds 1,024 chunks,
    128 MB): this process builds the next slice while the server reads one, and waits rather than
    keeping more bytes than that (the binary rows are built faster than the server reads them)."""

    def __init__(self, cursor: psycopg.Cursor):
        super().__init__(cursor)
        self._queue = Queue(maxsize=_QUEUED_CHUNKS)  # before the first write starts the thread

# PostgreSQL type OIDs → the Polars type DuckDB gives the same column.
_POLARS_TYPES: dict[int, pl.DataType] = {
    16: pl.Boolean(), 20: pl.Int64(), 21: pl.Int16(), 23: pl.Int32(), 25: pl.String(), 1043: pl.String(),
    1042: pl.String(), 114: pl.String(), 3802: pl.String(), 700: pl.Float32(), 701: pl.Float64(),
    1700: pl.Float64(), 1082: pl.Date(), 1114: pl.Datetime("us"), 1184: pl.Datetime("us", "UTC"),
    1083: pl.Time(), 19: pl.String(), 26: pl.Int64(),
    1009: pl.List(pl.String()), 1015: pl.List(pl.String()), 1016: pl.List(pl.Int64()),
    1007: pl.List(pl.Int32()), 1022: pl.List(pl.Float64()), 1000: pl.List(pl.Boolean()),
}
# Polars types → PostgreSQL column types of a registered frame's temporary table (VARCHAR as DuckDB's:
# ``text[]`` and ``varchar[]`` do not compare).
_SQL_TYPES: dict[type, str] = {
    pl.Boolean: "BOOLEAN", pl.Int8: "SMALLINT", pl.Int16: "SMALLINT", pl.Int32: "INTEGER", pl.Int64: "BIGINT",
    pl.UInt8: "SMALLINT", pl.UInt16: "INTEGER", pl.UInt32: "BIGINT", pl.UInt64: "NUMERIC",
    pl.Float32: "REAL", pl.Float64: "DOUBLE PRECISION", pl.String: "VARCHAR", pl.Categorical: "VARCHAR",
    pl.Enum: "VARCHAR", pl.Date: "DATE", pl.Datetime: "TIMESTAMP", pl.Time: "TIME", pl.Null: "VARCHAR",
    pl.Decimal: "NUMERIC",
}


class _JsonAsText(Loader):
    """JSON columns come back as their text, as DuckDB gives them (callers ``json.loads`` them)."""

    def load(self, data: bytes | bytearray | memoryview) -> str:
        return bytes(data).decode("utf-8")


class _NumericAsNumber(Loader):
    """NUMERIC (``sum`` of integers, ``avg``) as an int when whole, else a float: DuckDB's HUGEINT / DOUBLE."""

    def load(self, data: bytes | bytearray | memoryview) -> int | float:
        value = Decimal(bytes(data).decode("ascii"))
        return int(value) if value == value.to_integral_value() and value.is_finite() else float(value)


def configure(con: psycopg.Connection) -> psycopg.Connection:
    """JSON as text and NUMERIC as numbers, as DuckDB reads them (every connection of the store)."""
    for name in ("json", "jsonb"):
        con.adapters.register_loader(name, _JsonAsText)
    con.adapters.register_loader("numeric", _NumericAsNumber)
    return con


def polars_type(oid: int) -> pl.DataType | None:
    return _POLARS_TYPES.get(oid)


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique as DuckDB makes them (``a``, ``a_1``, ``a_2``): PostgreSQL names every
    unaliased ``(SELECT count(*) …)`` ``count``, and a frame cannot hold two columns of one name."""
    seen: set[str] = set()
    unique = []
    for name in names:
        candidate, suffix = name, 0
        while candidate in seen:
            suffix += 1
            candidate = f"{name}_{suffix}"
        seen.add(candidate)
        unique.append(candidate)
    return unique


def frame_from_cursor(cur: psycopg.Cursor) -> pl.DataFrame:
    """The rows of a finished read as a Polars frame, typed from the cursor's description."""
    columns = cur.description or []
    names = unique_names([c.name for c in columns])
    schema = {name: polars_type(c.type_code) for name, c in zip(names, columns, strict=True)}
    rows = cur.fetchall()
    if any(t is None for t in schema.values()):
        inferred = pl.DataFrame(rows, schema=list(schema), orient="row", infer_schema_length=None)
        schema = {n: t or inferred.schema[n] for n, t in schema.items()}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _without_null_columns(frame: pl.DataFrame, without_default: frozenset[str]) -> pl.DataFrame:
    """``frame`` without its columns that hold only NULLs and name a table column without a default
    (``without_default``): a column a ``COPY`` leaves out takes NULL, so nothing need be sent for it. A file
    of a million values without breakdowns sent six such columns to ``observations``: their 24 MB cost
    the binary encoder 0.16 s and the server 0.05–0.25 s of CPU."""
    nulls = [name for name, count in zip(frame.columns, frame.null_count().row(0), strict=True)
             if count == frame.height and name in without_default]
    return frame.drop(nulls) if nulls and len(nulls) < frame.width else frame


def _csv_buffer(frame: pl.DataFrame) -> memoryview:
    """The frame as CSV for ``COPY`` (nulls unquoted and empty, text always quoted: '' stays '')."""
    lists = [n for n, t in frame.schema.items() if isinstance(t, pl.List)]
    if lists:  # PostgreSQL array literals: {"a","b",NULL}
        frame = frame.with_columns(
            pl.when(pl.col(n).is_null()).then(None).otherwise(
                pl.lit("{") + pl.col(n).cast(pl.List(pl.String)).list.eval(
                    pl.when(pl.element().is_null()).then(pl.lit("NULL")).otherwise(
                        pl.lit('"') + pl.element().str.replace_all(r"([\\\"])", r"\$1") + pl.lit('"'))
                ).list.join(",") + pl.lit("}")).alias(n)
            for n in lists)
    buffer = io.BytesIO()  # written as bytes: no text of the whole frame to encode again
    frame.write_csv(buffer, include_header=False, quote_style="non_numeric", null_value="",
                    datetime_format="%Y-%m-%d %H:%M:%S%.f")
    return buffer.getbuffer()


def _column_type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.List):
        return f"{_column_type(dtype.inner)}[]"
    return _SQL_TYPES.get(type(dtype), "VARCHAR")


class _Result:
    """What ``cursor.sql(...)`` returns: ``.pl()`` gives the read as a Polars frame."""

    def __init__(self, cur: psycopg.Cursor):
        self._cur = cur

    def pl(self) -> pl.DataFrame:
        return frame_from_cursor(self._cur)

    def fetchall(self) -> list[tuple]:
        return self._cur.fetchall()


class PgCursor:
    """A psycopg cursor with the DuckDB calls the store makes.

    ``execute`` translates the DuckDB SQL (``store.dialect``) and returns the cursor; ``fetchall`` of a
    statement without rows gives ``[(rowcount,)]`` as DuckDB's ``UPDATE``/``INSERT``/``DELETE`` do;
    ``register(name, frame)`` makes a temporary table ``name`` holding the frame, ``unregister`` drops it.
    """

    dialect = POSTGRES

    def __init__(self, con: psycopg.Connection):
        self._con = con
        # Parameters are bound on the client (as literals, quoted by libpq): DuckDB's SQL writes
        # ``$org IS NULL OR o.org_code = $org``, where a server-side parameter has no type to infer.
        self._cur = psycopg.ClientCursor(con)

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> PgCursor:
        has_params = bool(params)
        self._cur.execute(to_postgres(sql, params if has_params else None), params if has_params else None)
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> PgCursor:
        rows = list(rows)
        if rows:
            self._cur.executemany(to_postgres(sql, rows[0]), rows)
        return self

    def sql(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> _Result:
        self.execute(sql, params)
        return _Result(self._cur)

    def fetchall(self) -> list[tuple]:
        if self._cur.description is None:
            return [(self._cur.rowcount,)]
        return self._cur.fetchall()

    def fetchone(self) -> tuple | None:
        if self._cur.description is None:
            return (self._cur.rowcount,)
        return self._cur.fetchone()

    @property
    def description(self) -> Any:
        return self._cur.description

    def pl(self) -> pl.DataFrame:
        return frame_from_cursor(self._cur)

    def register(self, name: str, frame: Any) -> PgCursor:
        """A temporary table ``name`` holding ``frame`` (a Polars frame, or a ``store.db.ArrowStream`` of one)."""
        frame = frame.frame if isinstance(frame, ArrowStream) else frame
        if not isinstance(frame, pl.DataFrame):
            frame = pl.from_arrow(frame)
        columns = ", ".join(f'"{n}" {_column_type(t)}' for n, t in frame.schema.items())
        self._cur.execute(f'DROP TABLE IF EXISTS pg_temp."{name}"')
        self._cur.execute(f'CREATE TEMP TABLE "{name}" ({columns})')
        self._copy(f'pg_temp."{name}"', frame)
        self._cur.execute(f'ANALYZE "{name}"')
        return self

    def _columns(self, table: str) -> tuple[dict[str, str], frozenset[str]]:
        """The columns of ``table`` (a name as SQL writes it) and their types (``pg_type.typname``), and the
        names of those with a default."""
        self._cur.execute(
            "SELECT a.attname, t.typname, a.atthasdef FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
            "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped", [table])
        found = self._cur.fetchall()
        return {name: typname for name, typname, _ in found}, frozenset(name for name, _, default in found if default)

    def _copy(self, table: str, frame: pl.DataFrame) -> None:
        """``frame`` into ``table`` (its columns by name) by one ``COPY … FROM STDIN``: in PostgreSQL's binary
        format when every column can be sent so (``store.pg_binary``), else as CSV; in slices, never the
        bytes of a million rows built at once. A thread of psycopg's sends each slice while the next is
        built (``_SliceAheadWriter``), so the server reads one while this process writes the next."""
        if not frame.height:
            return
        types, defaults = self._columns(table)
        frame = _without_null_columns(frame, frozenset(types) - defaults)
        plan = binary_plan(frame.schema, types)
        encoder = RowEncoder(frame, plan) if plan is not None else None
        columns = ", ".join(f'"{n}"' for n in ([name for name, _ in encoder.columns] if encoder else frame.columns))
        statement = f"COPY {table} ({columns}) FROM STDIN (FORMAT {'binary' if encoder else 'csv'})"
        writer = _SliceAheadWriter(self._cur) if frame.height > _COPY_SLICE else None  # one slice: no thread
        with self._cur.copy(statement, writer=writer) as copy:
            if encoder:
                copy.write(SIGNATURE)
                for rows in encoder.slices(_COPY_SLICE):
                    copy.write(memoryview(rows))
                copy.write(TRAILER)
            else:
                for part in frame.iter_slices(_COPY_SLICE):
                    copy.write(_csv_buffer(part))

    def copy_rows(self, table: str, frame: pl.DataFrame) -> PgCursor:
        """Append ``frame`` to ``table`` by one ``COPY`` (its columns by name; the others take their default).
        PostgreSQL alone: where nothing else reads the rows, this saves a registered frame's staging table."""
        self._copy(f'"{table}"', frame)
        return self

    def unregister(self, name: str) -> PgCursor:
        if self._con.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            return self  # the failed transaction's rollback drops the table (and the error is the one to see)
        self._cur.execute(f'DROP TABLE IF EXISTS pg_temp."{name}"')
        return self

    def close(self) -> None:
        self._cur.close()


class PostgresStore(Store):
    """One PostgreSQL database; several processes may hold it at once (writes serialised by the database)."""

    dialect = POSTGRES

    def __init__(self, url: str, *, upto: int | None = None, raw_dir: Path | str | None = None):
        """Connect (and migrate). ``raw_dir``: where uploaded files are kept (default: ``raw`` beside
        ``ATHAR_DB``, a folder every process of the deployment must share)."""
        self.url = url
        database = urlsplit(url).path.strip("/") or "postgres"
        base = Path(raw_dir).parent if raw_dir else Path(str(settings.get("ATHAR_DB"))).resolve().parent
        self.raw_dir = Path(raw_dir) if raw_dir else base / "raw"
        #: A local name for this database (locks keyed by path, thread names); no file is there.
        self.path = base / f"postgresql-{database}"
        self._idle: list[psycopg.Connection] = []
        self._pool_lock = threading.Lock()
        self._adbc_database: Any = None  # one ADBC database handle, made at the first bulk read
        self._adbc_idle: list[Any] = []
        self._adbc_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._closed = False
        self.migrate(upto=upto)

    # -- connections -----------------------------------------------------------------------
    def _connect(self) -> psycopg.Connection:
        """A new connection; :class:`DatabaseUnreachable` when the server or the database refuses it."""
        try:
            con = psycopg.connect(self.url, autocommit=True, options=SESSION_OPTIONS)
        except psycopg.OperationalError as exc:  # down, refused, password or database refused
            raise DatabaseUnreachable(self.url) from exc
        return configure(con)

    def _pooled(self) -> psycopg.Connection | None:
        """An idle connection the server has not ended meanwhile, or None.

        An idle connection has nothing to read unless the server spoke: a restart, an administrator or a
        dropped database ends it with a last message and closes it. Such a connection is closed here
        (one ``select`` with no wait), so the first read after a restart opens a new one instead of
        failing as if the server were still down."""
        while True:
            with self._pool_lock:
                con = self._idle.pop() if self._idle else None
            if con is None:
                return None
            if not con.closed and not select.select([con.fileno()], [], [], 0)[0]:
                return con
            con.close()

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        if self._closed:
            raise StoreClosed(self.url)
        con = self._pooled() or self._connect()
        try:
            yield con
        except psycopg.OperationalError as exc:
            if con.broken:  # the server ended the connection (down, restarted, database dropped): out of reach
                raise DatabaseUnreachable(self.url) from exc
            raise  # the connection still stands (a statement timeout, a cancel): not a matter of reach
        finally:
            healthy = not con.closed and con.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            with self._pool_lock:
                if healthy and not self._closed and len(self._idle) < _POOL_SIZE:
                    self._idle.append(con)
                    con = None
            if con is not None:
                con.close()

    @contextmanager
    def cursor(self) -> Iterator[PgCursor]:
        """A cursor on a pooled connection, for this thread and this use only (autocommit reads)."""
        with self._connection() as con:
            cur = PgCursor(con)
            try:
                yield cur
            finally:
                cur.close()

    def query_bulk(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """A large read as a Polars frame through ADBC (columnar Arrow, no Python object per value).

        The driver manager's own API, not its DB-API module: that one imports pyarrow (with pandas),
        0.85 s of a command line's start on this machine; Polars reads the Arrow stream itself."""
        import adbc_driver_manager as adbc

        with self._connection() as con:
            text = to_postgres(sql, params if params else None)
            if params:
                text = psycopg.ClientCursor(con).mogrify(text, params)
        try:
            adbc_con, frame = self._adbc_read(text, pooled=True)
        except adbc.OperationalError:  # a pooled connection the server ended (restart, administrator): once more
            with self._adbc_lock:
                stale, self._adbc_idle = self._adbc_idle, []
            for con in stale:
                con.close()
            try:
                adbc_con, frame = self._adbc_read(text, pooled=False)
            except adbc.OperationalError as exc:  # a new connection fails too: the server is out of reach
                raise DatabaseUnreachable(self.url) from exc
        with self._adbc_lock:
            if self._closed or len(self._adbc_idle) >= _POOL_SIZE:
                adbc_con.close()
            else:
                self._adbc_idle.append(adbc_con)
        return frame

    def _adbc_read(self, text: str, *, pooled: bool) -> tuple[Any, pl.DataFrame]:
        """``text`` read on an ADBC connection (an idle one when ``pooled``), and that connection."""
        import adbc_driver_manager as adbc

        with self._adbc_lock:
            if self._closed:
                raise StoreClosed(self.url)
            if self._adbc_database is None:
                import adbc_driver_postgresql

                self._adbc_database = adbc_driver_postgresql.connect(self.url)
            adbc_con = self._adbc_idle.pop() if (pooled and self._adbc_idle) else None
        try:
            adbc_con = adbc_con or adbc.AdbcConnection(self._adbc_database)
            with adbc.AdbcStatement(adbc_con) as statement:
                statement.set_sql_query(text)
                stream, _ = statement.execute_query()
                return adbc_con, pl.DataFrame(stream)
        except BaseException:
            if adbc_con is not None:
                adbc_con.close()
            raise

    # -- writes ----------------------------------------------------------------------------
    def write(self, work: Callable[[PgCursor], T]) -> T:
        """Run ``work(cursor)`` in one transaction, serialised with every other write of every process."""
        with self._write_lock, self._connection() as con, con.transaction():
            cur = PgCursor(con)
            try:
                cur.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
                return work(cur)
            finally:
                cur.close()

    def close(self) -> None:
        from store.db import _open_stores, _registry_lock

        with _registry_lock:
            _open_stores.pop(self.url, None)
        with self._pool_lock, self._adbc_lock:
            self._closed = True
            idle, self._idle = self._idle, []
            idle_adbc, self._adbc_idle = self._adbc_idle, []
            adbc_database, self._adbc_database = self._adbc_database, None
        for con in [*idle, *idle_adbc]:
            con.close()
        if adbc_database is not None:
            adbc_database.close()
