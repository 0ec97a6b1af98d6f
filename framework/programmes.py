"""Programme umbrellas: the free code members give to a programme several of them run together.

Members write it as they like (``prog-tiznit-2025``, `` PROG-TIZNIT-2025 ``); Athar compares and
stores it in one spelling: invisible characters removed, spaces trimmed (inside, a run of spaces becomes
one hyphen), upper case. A code is letters (any script), digits and ``- _ . /``, at most ``MAX_LENGTH``
characters. The file rule (``ingest.rules.overlaps``) and the declaring doors (``store.overlaps``)
use this one function, so a programme typed on the page matches the same programme in a file.
"""

from __future__ import annotations

import re

from framework.vocabulary import strip_invisible

MAX_LENGTH = 64
_CODE = re.compile(r"^[^\W_][\w\-./]*$")


def programme_code(text: str | None) -> str | None:
    """The programme's stored spelling, or ``None`` when ``text`` is not a programme code."""
    if text is None:
        return None
    code = re.sub(r"\s+", "-", strip_invisible(str(text)).strip()).upper()
    if not code or len(code) > MAX_LENGTH or not _CODE.match(code):
        return None
    return code
