"""Backups: a consistent snapshot of one database (its schema version, every table's rows as Parquet,
the raw uploaded files) with a manifest of SHA-256 hashes, and its restore into a fresh database.

The engine-specific part is a small :class:`Backend` (snapshot, emptiness, load); :class:`DuckDBBackend`
is the embedded one, ``store.backup_postgres.PostgresBackend`` the second (a snapshot taken while the app
runs); both reuse the manifest, the hash checks and the command line unchanged.

A backup writes nothing in the database but its audit entry (``database_backed_up``, with the
manifest's SHA-256), in its own transaction after the snapshot has succeeded: the snapshot is one read
transaction, so the entry recording it is never part of it. A restore loads the data and writes its
``database_restored`` entry in one transaction of the restored database.

On DuckDB a process holding the file read-write (the app) keeps every other process out, even a
reader: back up with the app stopped, or from the app's own process (:func:`back_up` on its store).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb

from store import audit
from store.db import DatabaseUrl, Store, is_database_url, migrations, utc_now
from store.errors import DatabaseBusy, StoreError

FORMAT = 1
MANIFEST = "manifest.json"
MANIFEST_HASH = "manifest.sha256"  # ``sha256sum -c manifest.sha256`` checks it by hand too
TABLES_DIR = "tables"
RAW_DIR = "raw"
_ROOT = Path(__file__).resolve().parent.parent
_CHUNK = 1 << 20


class BackupError(StoreError):
    """A refused backup or restore: ``code`` names the message under ``backup.errors``."""

    catalogue = "backup.errors"


@dataclass(frozen=True)
class Snapshot:
    """What a backend wrote: the schema version read and each table's row count, from one transaction."""

    schema_version: int
    rows: dict[str, int]


class Backend(Protocol):
    """What a database engine provides to backups; everything else (manifest, hashes) is shared."""

    name: str

    def snapshot(self, tables_dir: Path) -> Snapshot:
        """Write every table to ``tables_dir/<table>.parquet`` in one read transaction."""
        ...

    def has_data(self) -> bool:
        """Whether the target holds any row outside ``schema_migrations`` (a restore refuses it)."""
        ...

    def load(self, tables: dict[str, Path], schema_version: int, record: dict[str, Any]) -> dict[str, int]:
        """Create the schema up to ``schema_version``, load the tables, set the sequences past the ids, point
        ``submissions.raw_path`` at the restored raw files (``record["kept"]``), write the ``database_restored``
        entry (``record["actor"]``, ``record["detail"]``) — one transaction — and return the rows loaded."""
        ...


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def athar_version() -> dict[str, str | None]:
    """The version in pyproject.toml and the git commit of the checkout, when there is one."""
    with open(_ROOT / "pyproject.toml", "rb") as fh:
        version = tomllib.load(fh).get("project", {}).get("version")
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=_ROOT, capture_output=True, text=True, timeout=5)
        commit = done.stdout.strip() if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"version": version, "commit": commit or None}


# -- backup ----------------------------------------------------------------------------------
def backups_root(store: Store) -> Path:
    """Where the app's own backups go: ``backups/`` beside the database file (like ``raw/``)."""
    return store.path.parent / "backups"


def backup_dir(store: Store) -> Path:
    """A new folder under :func:`backups_root`, named by the UTC time (sortable, one per second)."""
    return backups_root(store) / utc_now().strftime("%Y%m%dT%H%M%SZ")


def _copy_raw(source: Path, dest: Path) -> list[dict[str, Any]]:
    """Copy the raw uploaded files (content-addressed, never rewritten) with their hashes."""
    listed = []
    if source.is_dir():
        made: set[Path] = set()
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            relative = path.relative_to(source).as_posix()
            data = path.read_bytes()  # one read for the copy and its hash (raw files are uploads: small)
            target = dest / relative
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            target.write_bytes(data)
            listed.append({"path": relative, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    return listed


def back_up(store: Store, out: Path, actor: str, backend: Backend | None = None) -> dict[str, Any]:
    """Snapshot ``store`` into the new or empty directory ``out``; returns the manifest with its hash.

    Audited (``database_backed_up``) once every file and the manifest are written."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError("out_not_empty", path=str(out))
    backend = backend or _backend_of(store)
    (out / TABLES_DIR).mkdir(parents=True, exist_ok=True)
    snapshot = backend.snapshot(out / TABLES_DIR)
    tables = {
        name: {"file": f"{TABLES_DIR}/{name}.parquet", "rows": rows,
               "sha256": sha256_file(out / TABLES_DIR / f"{name}.parquet")}
        for name, rows in snapshot.rows.items()
    }
    manifest = {
        "format": FORMAT,
        "created_at": utc_now().isoformat(timespec="seconds") + "Z",
        "athar": athar_version(),
        "backend": backend.name,
        "schema_version": snapshot.schema_version,
        "tables": tables,
        "raw_dir": str(store.raw_dir.resolve()),
        "raw_files": _copy_raw(store.raw_dir, out / RAW_DIR),
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (out / MANIFEST).write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    (out / MANIFEST_HASH).write_text(f"{digest}  {MANIFEST}\n", encoding="utf-8")
    audit.record(store, actor, "database_backed_up", target=str(out), detail={
        "manifest_sha256": digest, "schema_version": snapshot.schema_version,
        "tables": len(tables), "rows": sum(snapshot.rows.values()), "raw_files": len(manifest["raw_files"]),
    })
    return {**manifest, "manifest_sha256": digest, "out": str(out)}


# -- restore ---------------------------------------------------------------------------------
def read_manifest(source: Path) -> tuple[dict[str, Any], str]:
    """The manifest, once its own hash and every file's hash match; refused naming the first that does not."""
    manifest_path, hash_path = source / MANIFEST, source / MANIFEST_HASH
    for path in (manifest_path, hash_path):
        if not path.is_file():
            raise BackupError("file_missing", file=str(path))
    digest = sha256_file(manifest_path)
    if hash_path.read_text(encoding="utf-8").split()[:1] != [digest]:
        raise BackupError("file_altered", file=str(manifest_path))
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError:
        raise BackupError("file_altered", file=str(manifest_path)) from None
    if manifest.get("format") != FORMAT:
        raise BackupError("bad_format", file=str(manifest_path), format=manifest.get("format"))
    code_version = len(migrations())
    if int(manifest["schema_version"]) > code_version:
        raise BackupError("schema_newer", version=manifest["schema_version"], code_version=code_version)
    listed = [entry["file"] for entry in manifest["tables"].values()]
    listed += [f"{RAW_DIR}/{entry['path']}" for entry in manifest["raw_files"]]
    hashes = [entry["sha256"] for entry in manifest["tables"].values()]
    hashes += [entry["sha256"] for entry in manifest["raw_files"]]
    for relative, expected in zip(listed, hashes, strict=True):
        path = source / relative
        if not path.is_file():
            raise BackupError("file_missing", file=str(path))
        if sha256_file(path) != expected:
            raise BackupError("file_altered", file=str(path))
    return manifest, digest


def restore(source: Path, target: Path, actor: str, backend: Backend | None = None) -> dict[str, Any]:
    """Restore the backup in ``source`` into the new (or empty) database ``target``.

    Every hash is checked before the target is touched; on a failed load a target that did not exist
    is removed again. The raw files go beside the target (``<target dir>/raw``)."""
    source = Path(source)
    manifest, digest = read_manifest(source)
    if is_database_url(target):  # PostgreSQL: the database exists (made by its administrator), maybe empty
        from store.backup_postgres import PostgresBackend

        target = DatabaseUrl(target)  # named in messages without its password
        backend = backend or PostgresBackend(str(target))
        existed, raw_dir = True, backend.raw_dir
    else:
        target = Path(target)
        existed, raw_dir = target.exists(), target.parent / "raw"
        backend = backend or DuckDBBackend(target)
    raw_existed = raw_dir.exists()
    if existed and backend.has_data():
        raise BackupError("target_not_empty", path=f"{target}")
    tables = {name: source / entry["file"] for name, entry in manifest["tables"].items()}
    record = {"source": str(source), "manifest_sha256": digest, "schema_version": manifest["schema_version"],
              "created_at": manifest["created_at"],
              "raw_dir": {"from": manifest["raw_dir"], "to": str(raw_dir.resolve())}}
    kept = [entry["path"] for entry in manifest["raw_files"]]
    try:
        _restore_raw(source, raw_dir, manifest["raw_files"])
        rows = backend.load(tables, int(manifest["schema_version"]), {"actor": actor, "detail": record, "kept": kept})
    except duckdb.Error as exc:
        _remove_new(target, existed, raw_dir, raw_existed)
        raise BackupError("load_failed", error=str(exc).splitlines()[0]) from exc
    except BaseException:
        _remove_new(target, existed, raw_dir, raw_existed)
        raise

    for name, entry in manifest["tables"].items():
        if rows.get(name) != entry["rows"]:  # the backend checks inside its transaction; a second look
            raise BackupError("rows_differ", table=name, expected=entry["rows"], found=rows.get(name))
    return {"db": f"{target}", "source": str(source), "manifest_sha256": digest,
            "schema_version": manifest["schema_version"], "rows": rows, "raw_files": len(manifest["raw_files"])}


def _remove_new(target: Path, existed: bool, raw_dir: Path, raw_existed: bool) -> None:
    """A failed restore leaves no half-made database nor raw folder behind (what existed stays)."""
    if not existed:
        for leftover in (target, target.with_name(target.name + ".wal")):
            leftover.unlink(missing_ok=True)
    if not raw_existed:
        shutil.rmtree(raw_dir, ignore_errors=True)


def _backend_of(store: Store) -> Backend:
    if store.dialect == "postgres":
        from store.backup_postgres import PostgresBackend

        return PostgresBackend(store)
    return DuckDBBackend(store)


def _restore_raw(source: Path, raw_dir: Path, files: list[dict[str, Any]]) -> None:
    for folder in sorted({(raw_dir / entry["path"]).parent for entry in files}):  # 256 folders, not one per file
        folder.mkdir(parents=True, exist_ok=True)
    for entry in files:
        shutil.copyfile(source / RAW_DIR / entry["path"], raw_dir / entry["path"])


# -- DuckDB ----------------------------------------------------------------------------------
_TABLES = ("SELECT table_name FROM information_schema.tables "
           "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name")


def _literal(path: Path) -> str:
    """A file path as an SQL string literal (COPY and read_parquet take no parameter for it)."""
    return "'" + str(path).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DuckDBBackend:
    """The embedded backend: one DuckDB file, opened by this process (the app must not hold it)."""

    name = "duckdb"

    def __init__(self, store_or_path: Store | Path):
        self._store = store_or_path if isinstance(store_or_path, Store) else None
        self._path = Path(store_or_path.path if self._store else store_or_path)

    def snapshot(self, tables_dir: Path) -> Snapshot:
        """One read transaction: DuckDB's MVCC gives every COPY the same committed state."""
        assert self._store is not None
        with self._store.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                version = cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()[0][0]
                rows = {}
                for (table,) in cur.execute(_TABLES).fetchall():
                    target = _literal(tables_dir / f"{table}.parquet")
                    copied = cur.execute(
                        f"COPY (SELECT * FROM {_ident(table)}) TO {target} (FORMAT parquet, COMPRESSION zstd)"
                    ).fetchall()
                    rows[table] = int(copied[0][0])
            finally:
                cur.execute("ROLLBACK")  # nothing was written: end the read transaction
        return Snapshot(int(version), rows)

    def has_data(self) -> bool:
        """Rows beyond what the migrations themselves seed (defaults such as the reminder schedule)."""
        try:
            con = duckdb.connect(str(self._path), read_only=True)
        except duckdb.IOException as exc:  # held by another process, or not a DuckDB file at all
            if "lock" in str(exc).lower():
                raise DatabaseBusy(self._path) from exc
            return True
        except duckdb.Error:
            return True
        try:
            found = _row_counts(con)
        finally:
            con.close()
        seeded = Store(":memory:")
        try:
            with seeded.cursor() as cur:
                fresh = _row_counts(cur)
        finally:
            seeded.close()
        return any(rows > fresh.get(table, 0) for table, rows in found.items())

    def load(self, tables: dict[str, Path], schema_version: int, record: dict[str, Any]) -> dict[str, int]:
        store = Store(self._path, upto=schema_version)  # the schema as it was when the backup was made
        try:
            rows = store.write(lambda cur: _load(cur, tables, record))
            store.migrate()  # then any later migration, as an upgrade would run it
        finally:
            store.close()
        return rows


def _row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per table (``schema_migrations`` aside), in one statement."""
    tables = [t for (t,) in con.execute(_TABLES).fetchall() if t != "schema_migrations"]
    if not tables:
        return {}
    union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {_ident(t)}" for t in tables)
    return dict(con.execute(union).fetchall())


def _load_order(cur: duckdb.DuckDBPyConnection, tables: list[str]) -> list[str]:
    """Tables in dependency order: a table after every table its foreign keys reference."""
    edges = cur.execute(
        "SELECT table_name, referenced_table FROM duckdb_constraints() "
        "WHERE constraint_type = 'FOREIGN KEY' AND referenced_table IS NOT NULL"
    ).fetchall()
    needs = {t: {ref for tab, ref in edges if tab == t and ref != t and ref in tables} for t in tables}
    ordered: list[str] = []
    while needs:
        ready = sorted(t for t, refs in needs.items() if refs <= set(ordered))
        if not ready:
            raise RuntimeError(f"circular foreign keys among {sorted(needs)}")
        ordered += ready
        for t in ready:
            del needs[t]
    return ordered


def _set_sequences(cur: duckdb.DuckDBPyConnection) -> None:
    """Advance every sequence past the largest id of the columns it numbers, so new rows never collide.

    DuckDB cannot restart a sequence a column depends on: draw the missing values in one statement."""
    defaults = cur.execute(
        "SELECT table_name, column_name, regexp_extract(column_default, 'nextval\\(''([^'']+)''\\)', 1) "
        "FROM duckdb_columns() WHERE schema_name = 'main' AND column_default LIKE 'nextval(%'"
    ).fetchall()
    for table, column, sequence in defaults:
        top = cur.execute(f"SELECT coalesce(max({_ident(column)}), 0) FROM {_ident(table)}").fetchall()[0][0]
        last = cur.execute(
            "SELECT coalesce(last_value, start_value - 1) FROM duckdb_sequences() WHERE sequence_name = ?",
            [sequence],
        ).fetchall()[0][0]
        if top > last:
            cur.execute(f"SELECT max(nextval('{sequence}')) FROM range(?)", [int(top - last)]).fetchall()


def _repoint_raw_files(cur: duckdb.DuckDBPyConnection, raw_dir: dict[str, Any]) -> None:
    """``submissions.raw_path`` holds where each upload's bytes were kept (``…/raw/ab/abcd…``): point it at
    the restored copy beside the new database when the backup holds that file, so a rebuild there reads
    it (the only column a restore changes; a path to a file the backup did not hold is left as it was)."""
    cur.execute(
        "UPDATE submissions SET raw_path = $to || '/' || regexp_extract(raw_path, '([^/]+/[^/]+)$', 1) "
        "WHERE list_contains($kept::VARCHAR[], regexp_extract(raw_path, '([^/]+/[^/]+)$', 1))",
        {"to": raw_dir["to"].rstrip("/"), "kept": raw_dir["kept"]},
    )


def _load(cur: duckdb.DuckDBPyConnection, tables: dict[str, Path], record: dict[str, Any]) -> dict[str, int]:
    present = {t for (t,) in cur.execute(_TABLES).fetchall()}
    missing = sorted(set(tables) - present)
    if missing:
        raise BackupError("unknown_table", table=missing[0])
    order = _load_order(cur, list(tables))
    for table in reversed(order):  # the rows the migrations seeded give way to the backed-up ones
        cur.execute(f"DELETE FROM {_ident(table)}")  # schema_migrations too: keep the backed-up history
    rows = {}
    for table in order:
        source = f"read_parquet({_literal(tables[table])})"
        cur.execute(f"INSERT INTO {_ident(table)} BY NAME SELECT * FROM {source}")
        rows[table] = int(cur.execute(f"SELECT count(*) FROM {_ident(table)}").fetchall()[0][0])
        expected = int(cur.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0])
        if rows[table] != expected:
            raise BackupError("rows_differ", table=table, expected=expected, found=rows[table])
    _set_sequences(cur)
    _repoint_raw_files(cur, {**record["detail"]["raw_dir"], "kept": record["kept"]})
    audit.record_in(cur, record["actor"], "database_restored", target=record["detail"]["source"],
                    detail={**record["detail"], "rows": sum(rows.values())})
    return rows
