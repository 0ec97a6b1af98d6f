"""Typed refusals of the store, each a catalogue key with its parameters (rendered per language).

Every door (command lines, dashboard pages) shows ``error.message(lang)``: the same words for the
same refusal wherever it happens.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from i18n import t


class StoreError(ValueError):
    """A refused store operation: ``code`` names the message under ``catalogue``, ``params`` fill it."""

    catalogue: ClassVar[str] = "store.errors"

    def __init__(self, code: str, **params: object):
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str) -> str:
        return t(f"{self.catalogue}.{self.code}", lang, **self.params)


class DatabaseBusy(StoreError):
    """Another process holds the DuckDB file (DuckDB lets one process open it read-write, and no
    other process even read-only): a command-line import while the app runs, a second app."""

    def __init__(self, path: Path | str):
        super().__init__("database_busy", path=str(path))
        self.path = Path(path)


class StoreClosed(RuntimeError):
    """A read or write on a PostgreSQL store after ``close()`` (DuckDB raises its ``ConnectionException``)."""
