"""Fixtures of the page-level security tests (tests/security/test_pages_*.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .pages_harness import capturing_downloads, copy_db


@pytest.fixture(scope="module")
def page_downloads() -> Iterator[None]:
    """Deferred downloads of the module's sessions can be run after their run (the real bytes)."""
    with capturing_downloads():
        yield


@pytest.fixture(scope="module")
def page_db(demo_db_pristine: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """A copy of the demo database for one module: its pages write (audit log, links, accounts)."""
    return copy_db(demo_db_pristine, tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
