"""The known code a mistyped one was probably meant to be: "did you mean R01?" in the report.

Run once per distinct unknown text (a file holds few), never per row.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from framework.vocabulary import fold

#: Beyond this many distinct unknown texts a file is not a few typos: no suggestion is looked for.
MAX_LOOKUPS = 50


def _key(text: str) -> str:
    """``fold`` without spaces: ``ass-cas-001``, ``ASS CAS 001`` and ``asscas001`` are one key."""
    return fold(text).replace(" ", "")


def spellings(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Index ``(spelling, code)`` pairs (codes, and names in any language) by their key; a spelling
    shared by two codes suggests neither."""
    index: dict[str, str | None] = {}
    for spelling, code in pairs:
        key = _key(spelling)
        if key:
            index[key] = code if index.get(key, code) == code else None
    return {key: code for key, code in index.items() if code is not None}


def closest(texts: list[str], known: dict[str, str], cutoff: float = 0.8) -> list[str | None]:
    """Per text, the code whose spelling is the same once folded, else the closest one (difflib's
    ratio ≥ ``cutoff``), else None."""
    keys = list(known)
    found: list[str | None] = []
    for position, text in enumerate(texts):
        key = _key(text)
        if key in known:
            found.append(known[key])
        elif position < MAX_LOOKUPS and key and (match := difflib.get_close_matches(key, keys, n=1, cutoff=cutoff)):
            found.append(known[match[0]])
        else:
            found.append(None)
    return found
