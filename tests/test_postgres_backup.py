"""Backups of a PostgreSQL database: a snapshot taken while others write, restored table for table."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import demo_pg_raw_dir

from store import backup
from store.db import Store


def _every_table(store: Store) -> dict[str, list[tuple]]:
    """Every table's rows, in one order whatever the backend (all columns, as text)."""
    tables = store.column("SELECT table_name FROM information_schema.tables WHERE table_schema IN ('main', 'public') "
                          "AND table_type = 'BASE TABLE' ORDER BY table_name")
    found = {}
    for table in tables:
        frame = store.query(f'SELECT * FROM "{table}"')
        if table == "submissions":
            frame = frame.drop("raw_path")  # re-pointed at the restored raw files (checked on its own)
        found[table] = sorted(tuple("" if v is None else str(v) for v in row) for row in frame.rows())
    return found


@pytest.fixture
def demo_pg(pg_cluster, demo_pg_template, tmp_path: Path, tmp_path_factory, monkeypatch):
    """A copy of the PostgreSQL demo, its uploaded files in ``raw/`` beside ``ATHAR_DB`` as in a deployment."""
    shutil.copytree(demo_pg_raw_dir(tmp_path_factory), tmp_path / "source" / "raw")
    monkeypatch.setenv("ATHAR_DB", str(tmp_path / "source" / "athar.duckdb"))
    url = pg_cluster.fresh_database(template=demo_pg_template)
    store = Store(url)
    yield store
    store.close()
    pg_cluster.drop_database(url)


def test_a_postgres_backup_restores_into_a_fresh_postgres_database_table_for_table(
    demo_pg, pg_cluster, tmp_path: Path, monkeypatch
) -> None:
    before = _every_table(demo_pg)
    done = backup.back_up(demo_pg, tmp_path / "backup", "cli:test")
    assert done["backend"] == "postgres" and done["tables"]["observations"]["rows"] > 5000
    target = pg_cluster.fresh_database(migrated=False)
    monkeypatch.setenv("ATHAR_DB", str(tmp_path / "target" / "athar.duckdb"))  # the target's raw/ beside it
    restored = backup.restore(tmp_path / "backup", target, "cli:test")
    assert "postgresql://" in restored["db"]
    again = Store(target)
    try:
        after = _every_table(again)
        assert set(after) == set(before)
        restored_entry = [row for row in after["audit_log"] if row[3] == "database_restored"]
        after["audit_log"] = [row for row in after["audit_log"] if row not in restored_entry]
        assert len(restored_entry) == 1
        for table in before:
            assert after[table] == before[table], table
        raw = again.column("SELECT raw_path FROM submissions WHERE raw_path <> '/dev/null'")
        assert raw and all(Path(p).is_file() and str(tmp_path / "target") in p for p in raw)
        new_id = again.write(lambda cur: cur.execute(
            "INSERT INTO audit_log (logged_at, actor, action, outcome) VALUES (now()::TIMESTAMP, 'test', 'x', 'ok') "
            "RETURNING id").fetchall()[0][0])
        assert new_id > demo_pg.scalar("SELECT max(id) FROM audit_log")
    finally:
        again.close()
        pg_cluster.drop_database(target)


def test_a_duckdb_backup_restores_into_postgres_with_its_json_columns_as_text(
    demo_db_fresh, pg_cluster, tmp_path: Path, monkeypatch
) -> None:
    """DuckDB writes its JSON columns to Parquet as binary; PostgreSQL restores the text they hold."""
    source = Store(demo_db_fresh)
    try:
        before = _every_table(source)
        backup.back_up(source, tmp_path / "backup", "cli:test")
    finally:
        source.close()
    target = pg_cluster.fresh_database(migrated=False)
    monkeypatch.setenv("ATHAR_DB", str(tmp_path / "target" / "athar.duckdb"))
    backup.restore(tmp_path / "backup", target, "cli:test")
    again = Store(target)
    try:
        content = again.scalar("SELECT content->'meta'->>'name' FROM framework_versions")
        assert content and "Charte" in content  # JSON, not bytes
        after = _every_table(again)
        after["audit_log"] = [row for row in after["audit_log"] if row[3] != "database_restored"]
        for table in ("framework_versions", "submissions", "audit_log", "observations"):
            assert after[table] == before[table], table
    finally:
        again.close()
        pg_cluster.drop_database(target)
