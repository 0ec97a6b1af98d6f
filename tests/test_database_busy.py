"""A database another process holds is one typed refusal, said in the reader's language by every door."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import REPO

from store.db import Store, open_store
from store.errors import DatabaseBusy, StoreError


@contextmanager
def held_by_another_process(db: Path) -> Iterator[None]:
    """``db`` opened read-write by a child process until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "athar.duckdb"
    Store(path).close()
    return path


def test_open_store_raises_database_busy_naming_the_file(db: Path) -> None:
    with held_by_another_process(db), pytest.raises(DatabaseBusy) as caught:
        open_store(db)
    assert isinstance(caught.value, StoreError) and caught.value.path == db.resolve()
    assert str(db.resolve()) in caught.value.message("en")


@pytest.mark.parametrize("lang", ["fr", "ar", "en"])
def test_every_command_line_refuses_a_busy_database_with_the_same_translated_message(db: Path, lang: str) -> None:
    sample = db.parent / "values.csv"
    sample.write_text("org_code,indicator_code,period,value\nASS-CAS-001,R01,2024,1\n", encoding="utf-8")
    commands = {
        "ingest": ["-m", "ingest", "load", str(sample), "--db", str(db), "--lang", lang],
        "store": ["-m", "store", "accounts", "list", "--db", str(db), "--lang", lang],
        "metrics": ["-m", "metrics", "score", "--db", str(db), "--lang", lang],
    }
    with held_by_another_process(db):
        done = {name: subprocess.run([sys.executable, *argv], cwd=REPO, capture_output=True, text=True)
                for name, argv in commands.items()}
    expected = DatabaseBusy(db).message(lang)
    for name, run in done.items():
        assert (name, run.returncode) == (name, 1), run.stderr
        assert expected in run.stderr and "Traceback" not in run.stderr, (name, run.stderr)
