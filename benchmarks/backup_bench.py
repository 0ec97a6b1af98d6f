"""Backup benchmark (not part of the test suite): ``.venv/bin/python benchmarks/backup_bench.py``.

For the demo database (built here, or ``--db PATH``) and, when it is cached, the 2,000-organisation
network of ``benchmarks/dashboard_bench.py`` (``benchmarks/out/large-2000x8``, or ``--large PATH``):

- **baseline**, measured in the same run: a plain copy of the ``.duckdb`` file (and its ``.wal``), and
  the same with the raw files directory — what a backup with the app stopped costs at the least;
- **backup**: ``store.backup.back_up`` (per-table ``COPY … TO parquet`` in one read transaction, the raw
  files, SHA-256 of every file, the manifest, the audit entry), median of ``--repeat`` runs, and its size;
- **EXPORT DATABASE** to Parquet, the alternative snapshot DuckDB offers, timed the same way (tables only);
- **restore**: ``store.backup.restore`` into a fresh file (hashes checked, migrations, load, sequences,
  row counts, audit entry), median, and the restored file's size.

    .venv/bin/python benchmarks/backup_bench.py [--db PATH] [--large PATH] [--repeat 3]

No target: the figures are for the README (how long a nightly backup takes). Exit status 0.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CACHED_LARGE = REPO / "benchmarks" / "out" / "large-2000x8" / "athar.duckdb"


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _timed(work, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _place(source: Path, folder: Path) -> Path:
    """A private copy of ``source`` with its raw files, checkpointed (no WAL left)."""
    from store.db import Store

    folder.mkdir(parents=True)
    db = folder / "athar.duckdb"
    shutil.copy(source, db)
    if source.with_name(source.name + ".wal").exists():
        shutil.copy(source.with_name(source.name + ".wal"), db.with_name(db.name + ".wal"))
    if (source.parent / "raw").is_dir():
        shutil.copytree(source.parent / "raw", folder / "raw")
    Store(db).close()  # migrates to this code's schema, replays and checkpoints the WAL
    return db


def measure(db: Path, work: Path, repeat: int) -> dict:
    from store import backup
    from store.db import Store

    counter = iter(range(10_000))
    work.mkdir(parents=True, exist_ok=True)

    def fresh(name: str) -> Path:
        return work / f"{name}-{next(counter)}"

    def copy_file() -> None:
        shutil.copy(db, fresh("copy"))

    def copy_all() -> None:
        out = fresh("copyall")
        out.mkdir()
        shutil.copy(db, out / db.name)
        shutil.copytree(db.parent / "raw", out / "raw", dirs_exist_ok=True)

    store = Store(db)
    outs: list[Path] = []

    def back_up() -> None:
        outs.append(fresh("backup"))
        backup.back_up(store, outs[-1], "cli:bench")

    def tables_only() -> None:
        out = fresh("tables")
        out.mkdir()
        backup.DuckDBBackend(store).snapshot(out)

    def export() -> None:
        target = str(fresh("export")).replace("'", "''")
        with store.cursor() as cur:
            cur.execute(f"EXPORT DATABASE '{target}' (FORMAT parquet, COMPRESSION zstd)")

    try:
        result = {
            "rows": store.scalar("SELECT sum(estimated_size) FROM duckdb_tables()"),
            "db_bytes": _size(db),
            "raw_files": sum(1 for p in (db.parent / "raw").rglob("*") if p.is_file()),
            "copy_s": _timed(copy_file, repeat),
            "copy_all_s": _timed(copy_all, repeat) if (db.parent / "raw").is_dir() else None,
            "backup_s": _timed(back_up, repeat),
            "tables_s": _timed(tables_only, repeat),
            "export_s": _timed(export, repeat),
        }
    finally:
        store.close()
    result["backup_bytes"] = _size(outs[0])
    result["tables_bytes"] = _size(outs[0] / backup.TABLES_DIR)
    targets: list[Path] = []

    def restore() -> None:
        targets.append(fresh("restored") / "athar.duckdb")
        backup.restore(outs[0], targets[-1], "cli:bench")

    result["restore_s"] = _timed(restore, repeat)
    result["restored_bytes"] = _size(targets[0])
    return result


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def report(name: str, r: dict) -> None:
    print(f"\n{name}: {r['rows']:,} rows (estimated), {r['raw_files']} raw files, file {_mb(r['db_bytes'])}")
    print(f"  baseline: copy of the .duckdb file            {r['copy_s']:7.3f} s")
    if r["copy_all_s"] is not None:
        print(f"  baseline: copy of the file and raw/            {r['copy_all_s']:7.3f} s")
    print(f"  backup (COPY per table + raw + hashes + audit) {r['backup_s']:7.3f} s  "
          f"x{r['backup_s'] / (r['copy_all_s'] or r['copy_s']):.1f} the copy   size {_mb(r['backup_bytes'])} "
          f"(tables {_mb(r['tables_bytes'])})")
    print(f"  of which the tables: COPY per table, one txn   {r['tables_s']:7.3f} s")
    print(f"  EXPORT DATABASE to Parquet (tables only)       {r['export_s']:7.3f} s")
    print(f"  restore into a fresh file                      {r['restore_s']:7.3f} s  "
          f"restored file {_mb(r['restored_bytes'])}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Athar backup benchmark")
    parser.add_argument("--db", type=Path, help="a database to use instead of the demo")
    parser.add_argument("--large", type=Path, default=CACHED_LARGE,
                        help="a larger database (default: the cached 2,000-organisation network, if built)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="athar-backup-bench-") as tmp:
        work = Path(tmp)
        if args.db is None:
            from dashboard.bootstrap import ensure_demo_database

            args.db = work / "built" / "demo.duckdb"
            ensure_demo_database(args.db)
        demo = _place(args.db, work / "demo")
        report("demo database", measure(demo, work / "demo-runs", args.repeat))
        if args.large and args.large.exists():
            large = _place(args.large, work / "large")
            report(f"large database ({args.large})", measure(large, work / "large-runs", args.repeat))
        else:
            print(f"\nno larger database at {args.large} (build it with benchmarks/dashboard_bench.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
