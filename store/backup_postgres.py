"""Backups of a PostgreSQL database (``store.backup``'s :class:`~store.backup.Backend` for the second backend).

The snapshot is one ``REPEATABLE READ, READ ONLY`` transaction: every table is read from the same committed
state while the app and the command lines go on writing (no stop, no lock on anyone). Tables are written as
Parquet, as DuckDB's are, so a backup of either backend restores into either. The load is one transaction of
``Store.write`` (serialised with every other write), sequences are set past the largest ids with ``setval``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import psycopg

from store import audit
from store.backup import BackupError, Snapshot
from store.db import Store
from store.postgres import PgCursor, PostgresStore, configure, frame_from_cursor

_TABLES = ("SELECT table_name FROM information_schema.tables "
           "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name")
_SEQUENCES = ("SELECT table_name, column_name, substring(column_default FROM 'nextval\\(''([^'']+)''') "
              "FROM information_schema.columns WHERE table_schema = 'public' AND column_default LIKE 'nextval(%'")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PostgresBackend:
    """A PostgreSQL database named by its URL; the app may be running on it."""

    name = "postgres"

    def __init__(self, store_or_url: Store | str):
        self._store = store_or_url if isinstance(store_or_url, PostgresStore) else None
        self.url = self._store.url if self._store else str(store_or_url)

    def snapshot(self, tables_dir: Path) -> Snapshot:
        """Every table from one snapshot of the database (a read-only repeatable-read transaction)."""
        with configure(psycopg.connect(self.url, options="-c TimeZone=UTC")) as con:
            con.set_isolation_level(psycopg.IsolationLevel.REPEATABLE_READ)
            con.set_read_only(True)
            with con.transaction(), con.cursor() as cur:
                version = cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]
                rows = {}
                for (table,) in cur.execute(_TABLES).fetchall():
                    cur.execute(f"SELECT * FROM {_ident(table)}")
                    frame = frame_from_cursor(cur)
                    frame.write_parquet(tables_dir / f"{table}.parquet", compression="zstd")
                    rows[table] = frame.height
        return Snapshot(int(version), rows)

    def has_data(self) -> bool:
        """Rows beyond what the migrations themselves seed (the reminder schedule)."""
        store = Store(self.url, upto=0)  # connects without migrating
        try:
            with store.cursor() as cur:
                tables = [t for (t,) in cur.execute(_TABLES).fetchall() if t != "schema_migrations"]
                seeded = {"reminder_schedule": 3}
                return any(cur.execute(f"SELECT count(*) FROM {_ident(t)}").fetchall()[0][0] > seeded.get(t, 0)
                           for t in tables)
        finally:
            store.close()

    def load(self, tables: dict[str, Path], schema_version: int, record: dict[str, Any]) -> dict[str, int]:
        store = Store(self.url, upto=schema_version)  # the schema as it was when the backup was made
        try:
            rows = store.write(lambda cur: _load(cur, tables, record))
            store.migrate()  # then any later migration, as an upgrade would run it
        except psycopg.Error as exc:
            raise BackupError("load_failed", error=str(exc).splitlines()[0]) from exc
        finally:
            store.close()
        return rows

    @property
    def raw_dir(self) -> Path:
        """Where the restored raw files go: the raw folder this deployment's processes share."""
        store = Store(self.url, upto=0)
        try:
            return store.raw_dir
        finally:
            store.close()


def _load(cur: PgCursor, tables: dict[str, Path], record: dict[str, Any]) -> dict[str, int]:
    from store.backup import _repoint_raw_files

    present = {t for (t,) in cur.execute(_TABLES).fetchall()}
    missing = sorted(set(tables) - present)
    if missing:
        raise BackupError("unknown_table", table=missing[0])
    for table in tables:  # the rows the migrations seeded give way to the backed-up ones (no foreign keys)
        cur.execute(f"DELETE FROM {_ident(table)}")
    rows = {}
    for table, path in sorted(tables.items()):
        frame = pl.read_parquet(path)
        types = dict(cur.execute("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                                 "WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped",
                                 [table]).fetchall())
        columns = ", ".join(_ident(c) for c in frame.columns)
        # Each column cast to its table's type: JSON was read as text, as DuckDB gives it.
        values = ", ".join(f"CAST({_ident(c)} AS {types[c]})" for c in frame.columns)
        cur.register("restored_rows", frame)
        try:
            cur.execute(f"INSERT INTO {_ident(table)} ({columns}) SELECT {values} FROM restored_rows")
        finally:
            cur.unregister("restored_rows")
        rows[table] = int(cur.execute(f"SELECT count(*) FROM {_ident(table)}").fetchall()[0][0])
        if rows[table] != frame.height:
            raise BackupError("rows_differ", table=table, expected=frame.height, found=rows[table])
    for table, column, sequence in cur.execute(_SEQUENCES).fetchall():
        cur.execute(f"SELECT setval('{sequence}', greatest(coalesce(max({_ident(column)}), 0), 1), "
                    f"max({_ident(column)}) IS NOT NULL) FROM {_ident(table)}")
    _repoint_raw_files(cur, {**record["detail"]["raw_dir"], "kept": record["kept"]})
    audit.record_in(cur, record["actor"], "database_restored", target=record["detail"]["source"],
                    detail={**record["detail"], "rows": sum(rows.values())})
    return rows
