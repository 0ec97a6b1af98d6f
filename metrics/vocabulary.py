"""Names shared by the framework and the importer, without the framework's models.

The importer reads a file's headers before anything else: keeping these few names and the folding
rule free of Pydantic lets ``python -m ingest`` start reading the file while the models load
(``ingest.prefetch``).
"""

from __future__ import annotations

import unicodedata

#: Disaggregation columns of an observation, in their stored order.
BREAKDOWN_COLUMNS: tuple[str, ...] = ("sex", "age_band", "disability", "area", "region")


def fold(text: str) -> str:
    """Case-, accent- and space-insensitive key used for every alias lookup (headers, units...)."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.replace("_", " ").replace("-", " ").split())
