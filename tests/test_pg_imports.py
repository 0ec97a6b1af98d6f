"""What a command on PostgreSQL imports: DuckDB only where a DuckDB database is opened."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_loading_into_postgresql_imports_no_duckdb_until_a_duckdb_database_is_opened(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "import ingest.cli, ingest.batch, ingest.pipeline, store.postgres, store.submissions, store.review\n"
        "assert 'duckdb' not in sys.modules, 'imported on the way to PostgreSQL'\n"
        "from store.db import open_store\n"
        f"open_store({str(tmp_path / 'athar.duckdb')!r})\n"
        "assert 'duckdb' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
