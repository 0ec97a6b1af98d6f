"""One module of scoped reads per page; the scope itself lives in :mod:`store.scope`.

Every read is a function ``(store, viewer, ...)`` whose SQL carries the viewer's scope. Pages import
the module of their page (``from store.reads import overview as overview_reads``) and call reads
through ``PageContext.q`` (cached per scope).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

#: The reads modules: what every page shares, then one per page.
MODULES = (
    "common", "overview", "profile", "compare", "sustainability", "quality", "uploads", "method", "indicator", "targets",
    "calendar", "whatif", "narratives", "sdg",
)


def every_read() -> dict[str, Callable[..., Any]]:
    """Every public read by name, from every module (for tests that check them all)."""
    found: dict[str, Callable[..., Any]] = {}
    for name in MODULES:
        module = importlib.import_module(f"store.reads.{name}")
        for attr, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not attr.startswith("_"):
                found[attr] = function
    return found
