"""Names shared by the framework and the importer, without the framework's models.

The importer reads a file's headers before anything else: keeping these few names and the folding
rule free of Pydantic lets ``python -m ingest`` start reading the file while the models load
(``ingest.prefetch``).
"""

from __future__ import annotations

import unicodedata

#: Disaggregation columns of an observation, in their stored order.
BREAKDOWN_COLUMNS: tuple[str, ...] = ("sex", "age_band", "disability", "area", "region")

#: Legal kinds of organisation and thematic areas of the registry (``ingest.orgs``), named here so the
#: framework's expectations (``framework.expectations``) can be checked against them.
KINDS: tuple[str, ...] = ("association", "foundation", "cooperative", "company", "public_body", "other")
THEMES: tuple[str, ...] = ("education", "employment", "health", "disability", "rural", "women", "youth")


#: Characters that never change what a cell names: bidi marks (Arabic Excel puts them around codes
#: and numbers), zero-width spaces and joiners, a BOM left in the middle of pasted files, soft hyphens.
INVISIBLE_CHARACTERS = (
    "\u00ad\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
)
_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE_CHARACTERS), None)
#: Word processors' apostrophes become the plain one; dashes, hyphens and underscores separate words;
#: Arabic-Indic and extended Arabic-Indic digits are digits.
_SAME = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'",
     **dict.fromkeys("-_\u2010\u2011\u2012\u2013\u2014\u2212", " "),
     **{chr(0x0660 + d): str(d) for d in range(10)}, **{chr(0x06F0 + d): str(d) for d in range(10)}}
)


def fold(text: str) -> str:
    """Case-, accent- and space-insensitive key used for every alias lookup (headers, units...)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_INVISIBLE).strip().casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.translate(_SAME).split())


def strip_invisible(text: str) -> str:
    """``text`` without the characters that never change what it names (see ``_INVISIBLE``)."""
    return text.translate(_INVISIBLE).strip()
