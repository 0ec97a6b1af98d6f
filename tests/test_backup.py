"""Backups: ``python -m store backup`` then ``restore`` gives back every table row for row, the raw files
byte for byte and sequences past the ids; an altered, truncated or newer backup, or a target holding
data, is refused naming the file; both are audited.

The backup is of the DuckDB demo; the refusals and the restore into an empty database run on both backends
(a DuckDB file, or an empty PostgreSQL database: a backup of either restores into either). The PostgreSQL
snapshot itself is tests/test_postgres_backup.py."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import REPO, new_database
from test_database_busy import held_by_another_process

from store import audit, backup
from store.db import Store, migrations

pytestmark = pytest.mark.backends("duckdb", "postgres")


def store_cli(*args: str | Path, lang: str = "en") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "store", *map(str, args), "--lang", lang]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def cycle(demo_db_pristine: Path, tmp_path_factory) -> dict:
    """The demo database (with its raw files) backed up, then restored into a fresh file, by the command line."""
    home = tmp_path_factory.mktemp("backup-source")
    source = home / "demo.duckdb"
    shutil.copy(demo_db_pristine, source)
    shutil.copytree(demo_db_pristine.parent / "raw", home / "raw")
    out = tmp_path_factory.mktemp("backup-out") / "snapshot"
    made = store_cli("backup", "--db", source, "--out", out, "--json")
    assert made.returncode == 0, made.stderr
    restored = tmp_path_factory.mktemp("backup-restored") / "restored.duckdb"
    back = store_cli("restore", out, "--db", restored, "--json")
    assert back.returncode == 0, back.stderr
    return {"source": source, "out": out, "restored": restored,
            "made": json.loads(made.stdout), "back": json.loads(back.stdout)}


def both(cycle: dict) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"ATTACH '{cycle['source']}' AS src (READ_ONLY)")
    con.execute(f"ATTACH '{cycle['restored']}' AS dst (READ_ONLY)")
    return con


def test_restored_database_holds_every_table_row_for_row_as_backed_up(cycle: dict) -> None:
    con = both(cycle)
    tables = [t for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'src' ORDER BY table_name").fetchall()]
    assert len(tables) == len(cycle["made"]["tables"]) > 30
    moved = {"to": str(cycle["restored"].parent.resolve() / "raw") + "/"}
    compared = 0
    for table in tables:
        # the two audit entries the backup and the restore wrote are the only rows that differ
        skip = "WHERE action NOT IN ('database_backed_up', 'database_restored')" if table == "audit_log" else ""
        # where each upload's bytes are kept follows the database: the one column a restore rewrites
        columns = "* REPLACE ($to || regexp_extract(raw_path, '[^/]+/[^/]+$') AS raw_path)" if table == "submissions" else "*"
        before = con.execute(f'SELECT {columns} FROM src."{table}" {skip} ORDER BY ALL',
                             moved if table == "submissions" else None).fetchall()
        after = con.execute(f'SELECT * FROM dst."{table}" {skip} ORDER BY ALL').fetchall()
        assert after == before, table
        assert len(after) == cycle["made"]["tables"][table]["rows"]
        compared += len(after)
    assert compared > 5000  # the demo data, not empty tables compared with empty tables
    assert cycle["back"]["rows"] == {t: e["rows"] for t, e in cycle["made"]["tables"].items()}


def test_restored_sequences_give_new_rows_fresh_ids(cycle: dict) -> None:
    copy = cycle["restored"].with_name("sequences.duckdb")
    shutil.copy(cycle["restored"], copy)
    con = duckdb.connect(str(copy))
    numbered = con.execute(
        "SELECT table_name, column_name, regexp_extract(column_default, 'nextval\\(''([^'']+)''\\)', 1) "
        "FROM duckdb_columns() WHERE column_default LIKE 'nextval(%'").fetchall()
    assert len(numbered) >= 10
    for table, column, sequence in numbered:
        top = con.execute(f'SELECT coalesce(max("{column}"), 0) FROM "{table}"').fetchall()[0][0]
        fresh = con.execute(f"SELECT nextval('{sequence}')").fetchall()[0][0]
        assert fresh > top, (table, sequence)
    con.close()
    store = Store(copy)
    try:
        before = store.scalar("SELECT max(id) FROM audit_log")
        audit.record(store, "cli:test", "database_restored", target="again")  # a real insert through the store
        assert store.scalar("SELECT max(id) FROM audit_log") > before
    finally:
        store.close()


def test_raw_files_are_restored_byte_identical(cycle: dict) -> None:
    source_raw, restored_raw = cycle["source"].parent / "raw", cycle["restored"].parent / "raw"
    originals = sorted(p.relative_to(source_raw) for p in source_raw.rglob("*") if p.is_file())
    assert len(originals) == len(cycle["made"]["raw_files"]) > 0
    for relative in originals:
        assert (restored_raw / relative).read_bytes() == (source_raw / relative).read_bytes(), relative


def test_restored_submissions_point_at_the_restored_raw_files(cycle: dict) -> None:
    con = both(cycle)
    kept = [Path(p) for (p,) in con.execute("SELECT raw_path FROM dst.submissions").fetchall()]
    assert kept and all(p.parent.parent == cycle["restored"].parent.resolve() / "raw" for p in kept)
    assert all(digest(p) == p.name for p in kept)  # the bytes under their hash, readable where they now are


def test_backup_and_restore_are_audited_with_the_manifest_hash(cycle: dict) -> None:
    manifest_hash = digest(cycle["out"] / backup.MANIFEST)
    assert cycle["made"]["manifest_sha256"] == manifest_hash
    assert (cycle["out"] / backup.MANIFEST_HASH).read_text().split()[0] == manifest_hash
    con = both(cycle)
    [(actor, target, made)] = con.execute(
        "SELECT actor, target, detail FROM src.audit_log WHERE action = 'database_backed_up'").fetchall()
    assert actor.startswith("cli") and target == str(cycle["out"])
    assert json.loads(made)["manifest_sha256"] == manifest_hash
    [(restored,)] = con.execute("SELECT detail FROM dst.audit_log WHERE action = 'database_restored'").fetchall()
    assert json.loads(restored)["manifest_sha256"] == manifest_hash
    # the snapshot came first: the backup's own entry is not in it
    assert con.execute("SELECT count(*) FROM dst.audit_log WHERE action = 'database_backed_up'").fetchall() == [(0,)]


def test_manifest_names_versions_tables_and_raw_files_with_their_hashes(cycle: dict) -> None:
    manifest = json.loads((cycle["out"] / backup.MANIFEST).read_text())
    assert manifest["schema_version"] == len(migrations()) and manifest["backend"] == "duckdb"
    assert manifest["athar"]["version"] and manifest["created_at"].endswith("Z")
    for entry in manifest["tables"].values():
        assert digest(cycle["out"] / entry["file"]) == entry["sha256"]
    for entry in manifest["raw_files"]:
        assert digest(cycle["out"] / "raw" / entry["path"]) == entry["sha256"]


@pytest.fixture
def empty_target(backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch) -> Path | str:
    """Where a restore goes: a new DuckDB file in ``new/``, or an empty PostgreSQL database whose raw files
    go to ``new/raw`` (beside ``ATHAR_DB``, as in a deployment)."""
    if backend == "postgres":
        monkeypatch.setenv("ATHAR_DB", str(tmp_path / "new" / "athar.duckdb"))
    return new_database(request, backend, tmp_path / "new" / "restored.duckdb")


def made_nothing(target: Path | str) -> bool:
    """No database file (DuckDB) or no row in the database (PostgreSQL), and no raw folder, is left behind."""
    if isinstance(target, Path):
        return not target.exists() and not (target.parent / "raw").exists()
    from store.backup_postgres import PostgresBackend

    return not PostgresBackend(target).has_data() and not (Path(os.environ["ATHAR_DB"]).parent / "raw").exists()


def altered(cycle: dict, tmp_path: Path, how: str) -> tuple[Path, Path]:
    """A copy of the backup with one file altered the way ``how`` says; returns it and the file."""
    copy = tmp_path / "altered"
    shutil.copytree(cycle["out"], copy)
    manifest = json.loads((copy / backup.MANIFEST).read_text())
    table_file = copy / manifest["tables"]["audit_log"]["file"]
    raw_file = copy / "raw" / manifest["raw_files"][0]["path"]
    if how == "parquet_flipped":
        data = bytearray(table_file.read_bytes())
        data[len(data) // 2] ^= 0xFF
        table_file.write_bytes(bytes(data))
        return copy, table_file
    if how == "parquet_truncated":
        table_file.write_bytes(table_file.read_bytes()[:100])
        return copy, table_file
    if how == "parquet_missing":
        table_file.unlink()
        return copy, table_file
    if how == "raw_altered":
        raw_file.write_bytes(raw_file.read_bytes() + b"x")
        return copy, raw_file
    manifest["tables"]["audit_log"]["rows"] += 1  # "manifest": edited by hand, its own hash left as it was
    (copy / backup.MANIFEST).write_text(json.dumps(manifest))
    return copy, copy / backup.MANIFEST


@pytest.mark.parametrize("how", ["parquet_flipped", "parquet_truncated", "parquet_missing", "raw_altered", "manifest"])
def test_an_altered_backup_is_refused_naming_the_file_and_no_database_is_made(
    cycle: dict, tmp_path: Path, how: str, empty_target: Path | str
) -> None:
    source, culprit = altered(cycle, tmp_path, how)
    result = store_cli("restore", source, "--db", empty_target)
    assert result.returncode == 1, result.stderr
    assert str(culprit) in result.stderr and "Traceback" not in result.stderr
    assert made_nothing(empty_target)


def test_restore_into_a_database_holding_data_is_refused_and_leaves_it_unchanged(cycle: dict, tmp_path: Path) -> None:
    target = tmp_path / "busy.duckdb"
    shutil.copy(cycle["source"], target)
    before = digest(target)
    result = store_cli("restore", cycle["out"], "--db", target, "--json", lang="fr")
    assert result.returncode == 1
    refusal = json.loads(result.stdout)
    assert refusal["refused"] == "target_not_empty" and str(target) in refusal["message"]
    assert digest(target) == before


def test_restore_into_a_freshly_made_empty_database_is_accepted(cycle: dict, empty_target: Path | str) -> None:
    """The rows the migrations seed (default schedules) are not data: an empty database takes the backup."""
    Store(empty_target).close()
    done = backup.restore(cycle["out"], empty_target, "cli:test")
    assert done["rows"]["audit_log"] == cycle["made"]["tables"]["audit_log"]["rows"]
    assert done["rows"] == {t: e["rows"] for t, e in cycle["made"]["tables"].items()}


def test_a_backup_from_a_newer_schema_is_refused(cycle: dict, tmp_path: Path, empty_target: Path | str) -> None:
    copy = tmp_path / "newer"
    shutil.copytree(cycle["out"], copy)
    manifest = json.loads((copy / backup.MANIFEST).read_text())
    manifest["schema_version"] = len(migrations()) + 1
    (copy / backup.MANIFEST).write_text(json.dumps(manifest))
    (copy / backup.MANIFEST_HASH).write_text(f"{digest(copy / backup.MANIFEST)}  {backup.MANIFEST}\n")
    result = store_cli("restore", copy, "--db", empty_target, "--json")
    assert result.returncode == 1 and json.loads(result.stdout)["refused"] == "schema_newer"
    assert made_nothing(empty_target)


def test_an_older_backup_is_restored_then_brought_to_the_current_schema(tmp_path: Path) -> None:
    old = tmp_path / "old" / "athar.duckdb"
    older = len(migrations()) - 1
    Store(old, upto=older).close()
    made = backup.back_up(Store(old, upto=older), tmp_path / "snap", "cli:test")
    assert made["schema_version"] == older
    target = tmp_path / "new" / "athar.duckdb"
    backup.restore(tmp_path / "snap", target, "cli:test")
    store = Store(target)
    try:
        assert store.schema_version() == len(migrations())
        assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'database_restored'") == 1
    finally:
        store.close()


def test_exit_statuses_and_refusals_of_the_backup_command(cycle: dict, tmp_path: Path) -> None:
    missing = store_cli("backup", "--db", tmp_path / "typo.duckdb", "--out", tmp_path / "b")
    assert missing.returncode == 2 and "does not exist" in missing.stderr and not (tmp_path / "b").exists()
    taken = store_cli("backup", "--db", cycle["restored"], "--out", cycle["out"], "--json")
    assert taken.returncode == 1 and json.loads(taken.stdout)["refused"] == "out_not_empty"
    assert store_cli("backup", "--db", cycle["restored"]).returncode == 2  # --out is required
    assert store_cli("restore", "--db", tmp_path / "x.duckdb").returncode == 2  # the backup directory too


def test_backup_while_the_app_holds_the_file_says_it_is_in_use_and_how_to_back_up(tmp_path: Path) -> None:
    db = tmp_path / "athar.duckdb"
    Store(db).close()
    with held_by_another_process(db):
        result = store_cli("backup", "--db", db, "--out", tmp_path / "b")
        arabic = store_cli("backup", "--db", db, "--out", tmp_path / "b", "--json", lang="ar")
    assert result.returncode == 1
    assert "is in use by another program" in result.stderr
    assert "On DuckDB, back up with the app stopped, or from the app's own process." in result.stderr
    assert arabic.returncode == 1 and json.loads(arabic.stdout)["refused"] == "database_busy"
    assert "يستعملها برنامج آخر" in json.loads(arabic.stdout)["message"]


def test_the_committee_backs_up_from_the_audit_page_inside_the_app_and_it_restores(
    demo_db_fresh: Path, tmp_path: Path, monkeypatch
) -> None:
    from dashboard.testing import open_page, start
    from i18n import t
    from store.db import open_store

    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    at = open_page(start(demo_db_fresh), "audit")
    assert t("dashboard.backup.title", "fr") in [e.label for e in at.expander]
    at.button(key="backup_now").click().run()
    assert not at.exception and not at.error
    [made] = list((demo_db_fresh.parent / "backups").iterdir())
    assert at.success[0].value.startswith(t("dashboard.backup.done", "fr", out=made, tables="x", raw="y")[:20])
    assert at.code[0].value == digest(made / backup.MANIFEST)
    entry = open_store(demo_db_fresh).query(
        "SELECT actor, detail::VARCHAR AS detail FROM audit_log WHERE action = 'database_backed_up'")
    assert entry["actor"].to_list() == ["account:comite"]
    assert json.loads(entry["detail"][0])["manifest_sha256"] == at.code[0].value
    restored = backup.restore(made, tmp_path / "restored" / "athar.duckdb", "cli:test")
    assert restored["rows"]["submissions"] > 0


def test_a_load_that_fails_leaves_no_database_and_no_raw_folder_behind(
    cycle: dict, tmp_path: Path, empty_target: Path | str
) -> None:
    """Hashes all match, but the backup names a table this code does not have: refused at the load."""
    copy = tmp_path / "ghost"
    shutil.copytree(cycle["out"], copy)
    manifest = json.loads((copy / backup.MANIFEST).read_text())
    shutil.copy(copy / manifest["tables"]["accounts"]["file"], copy / "tables" / "ghost.parquet")
    manifest["tables"]["ghost"] = {**manifest["tables"]["accounts"], "file": "tables/ghost.parquet"}
    (copy / backup.MANIFEST).write_text(json.dumps(manifest))
    (copy / backup.MANIFEST_HASH).write_text(f"{digest(copy / backup.MANIFEST)}  {backup.MANIFEST}\n")
    result = store_cli("restore", copy, "--db", empty_target, "--json")
    assert result.returncode == 1 and json.loads(result.stdout)["refused"] == "unknown_table"
    assert "ghost" in json.loads(result.stdout)["message"]
    assert made_nothing(empty_target)
