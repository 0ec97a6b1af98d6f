"""Two app processes on one PostgreSQL database, and the command line working beside them."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO, demo_pg_raw_dir
from server_harness import call, running_server  # the real server (tests/browser/browser_harness.py)

from store import links
from store.db import Store


def test_two_servers_on_one_postgres_database_serve_what_the_command_line_just_changed(
    pg_cluster, demo_pg_template, tmp_path: Path, tmp_path_factory, monkeypatch
) -> None:
    url = pg_cluster.fresh_database(template=demo_pg_template)
    shutil.copytree(demo_pg_raw_dir(tmp_path_factory), tmp_path / "raw")
    monkeypatch.setenv("ATHAR_DB", str(tmp_path / "athar.duckdb"))  # the raw/ folder every process shares
    store = Store(url)
    try:
        _, token = links.create_link(store, label="bailleur", org_codes=["ASS-CAS-001", "FON-RBT-003"],
                                     created_by="cli:test")
        env = {"ATHAR_DATABASE_URL": url, "ATHAR_AUTO_SCORE": "0"}
        with contextlib.ExitStack() as servers:
            first, second = (servers.enter_context(running_server(tmp_path / "athar.duckdb", tmp_path / name, env))
                             for name in ("first", "second"))
            before = call(first, "/api/v1/scores", token=token)
            assert before.status == 200 and before.json() == call(second, "/api/v1/scores", token=token).json()
            assert {row["org_code"] for row in before.json()["data"]} == {"ASS-CAS-001", "FON-RBT-003"}
            # The committee scores again from the command line while both servers hold the database.
            done = subprocess.run([sys.executable, "-m", "metrics", "score", "--db", url], cwd=REPO,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr
            after = call(second, "/api/v1/scores", token=token).json()
            assert after["run_id"] == before.json()["run_id"] + 1
            assert call(first, "/api/v1/scores", token=token).json() == after
        # Every use of the link, through either server, was counted in the one database.
        assert store.scalar("SELECT use_count FROM share_links") == 4
    finally:
        store.close()
        pg_cluster.drop_database(url)
