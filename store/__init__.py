"""The database: one DuckDB file, versioned migrations, per-thread cursors and a single writer."""

from store.db import Store, open_store

__all__ = ["Store", "open_store"]
