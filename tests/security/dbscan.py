"""Look for a secret everywhere a database could hold it: every column of every table, and the bytes
on disk — the DuckDB file and its write-ahead log, or a PostgreSQL database's files and the cluster's
write-ahead log (after a CHECKPOINT, so what was committed is on disk)."""

from __future__ import annotations

from pathlib import Path

from store.db import Store, is_database_url


def columns_holding(store: Store, needle: str) -> list[str]:
    """``table.column`` of every column (of any type, read as text) whose values contain ``needle``."""
    columns = store.query(
        """
        SELECT c.table_name, c.column_name FROM information_schema.columns c
        JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE t.table_type = 'BASE TABLE' AND c.table_schema IN ('main', 'public')
        ORDER BY c.table_name, c.ordinal_position
        """
    ).rows()
    assert columns, "no tables found"
    found = []
    for table, column in columns:
        hits = store.scalar(f'SELECT count(*) FROM "{table}" WHERE contains("{column}"::VARCHAR, ?)', [needle])
        if hits:
            found.append(f"{table}.{column}")
    return found


def file_holds(path: Path | str, needle: str) -> bool:
    """Whether the database file or its write-ahead log contains ``needle`` (UTF-8 bytes); for a
    PostgreSQL URL, the database's own files or the cluster's write-ahead log."""
    raw = needle.encode("utf-8")
    if is_database_url(path):
        return any(raw in p.read_bytes() for p in _postgres_files(str(path)))
    return any(p.exists() and raw in p.read_bytes() for p in (path, Path(f"{path}.wal")))


def _postgres_files(url: str) -> list[Path]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CHECKPOINT")  # committed rows and their WAL on disk (the test cluster syncs nothing itself)
        data = Path(con.execute("SHOW data_directory").fetchone()[0])
        oid = con.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
    return [p for folder in (data / "base" / str(oid), data / "pg_wal") for p in folder.rglob("*") if p.is_file()]
