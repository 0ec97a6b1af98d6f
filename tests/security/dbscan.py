"""Look for a secret everywhere a database file could hold it: every column of every table, and
the bytes of the file and its write-ahead log."""

from __future__ import annotations

from pathlib import Path

from store.db import Store


def columns_holding(store: Store, needle: str) -> list[str]:
    """``table.column`` of every column (of any type, read as text) whose values contain ``needle``."""
    columns = store.query(
        """
        SELECT c.table_name, c.column_name FROM information_schema.columns c
        JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE t.table_type = 'BASE TABLE' AND c.table_schema = 'main'
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


def file_holds(path: Path, needle: str) -> bool:
    """Whether the database file or its write-ahead log contains ``needle`` (UTF-8 bytes)."""
    raw = needle.encode("utf-8")
    return any(p.exists() and raw in p.read_bytes() for p in (path, Path(f"{path}.wal")))
