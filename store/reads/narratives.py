"""Narratives per organisation, period and principle (issue 14).

Placeholder: another engineer implements the scoped read; the integrator takes their version. This
one returns an empty frame of the agreed schema so the report card can be built and tested against it.
"""

from __future__ import annotations

import polars as pl

from store.db import Store
from store.viewer import Viewer

SCHEMA = {
    "principle": pl.String,
    "lang": pl.String,
    "text": pl.String,
    "evidence_url": pl.String,
    "provisional": pl.Boolean,
}


def narratives(store: Store, viewer: Viewer, org_code: str, period: str) -> pl.DataFrame:
    """The narratives of one organisation and period this viewer may see (placeholder: none)."""
    return pl.DataFrame(schema=SCHEMA)
