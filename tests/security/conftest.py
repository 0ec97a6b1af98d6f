"""Fixtures of the page-level security tests (tests/security/test_pages_*.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import pg_module_copy

from .pages_harness import capturing_downloads, copy_db


@pytest.fixture(scope="module")
def page_downloads() -> Iterator[None]:
    """Deferred downloads of the module's sessions can be run after their run (the real bytes)."""
    with capturing_downloads():
        yield


@pytest.fixture(scope="module")
def page_db(backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path | str:
    """A copy of the demo database for one module: its pages write (audit log, links, accounts). On DuckDB a
    file; on PostgreSQL (a module marked ``backends("duckdb", "postgres")``) a database copied from the demo
    template, ``ATHAR_DATABASE_URL`` naming it while the module runs."""
    folder = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    if backend == "duckdb":
        return copy_db(request.getfixturevalue("demo_db_pristine"), folder)
    return pg_module_copy(request, folder)
