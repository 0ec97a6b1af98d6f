"""The README documents what the code accepts: every header alias, every error code, the view."""

from __future__ import annotations

from conftest import REPO

from ingest.columns import COLUMN_ALIASES
from ingest.issues import IssueCode
from store.db import Store

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_first_screen_gives_the_two_commands() -> None:
    first_screen = "\n".join(README.splitlines()[:20])
    assert "make run" in first_screen and "make test" in first_screen


def test_every_header_alias_is_documented() -> None:
    for canonical, aliases in COLUMN_ALIASES.items():
        assert f"`{canonical}`" in README
        for alias in aliases:
            assert f"`{alias}`" in README, alias


def test_every_error_code_is_documented() -> None:
    for code in IssueCode:
        assert f"`{code}`" in README, code


def test_every_column_of_observations_current_is_documented(tmp_path) -> None:
    store = Store(tmp_path / "x.duckdb")
    columns = store.query("SELECT * FROM observations_current LIMIT 0").columns
    store.close()
    for column in columns:
        assert f"`{column}`" in README, column
