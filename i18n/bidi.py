"""Bidirectional text: numbers, codes, ranges and Latin names kept whole inside Arabic sentences.

Without isolation the Unicode bidi algorithm reorders a left-to-right run by its neighbours:
``11 من أصل 35`` shows as ``… أصل 35 11``, ``-15`` as ``15-``, ``(0 – 100)`` as ``(– 0 100)``.
Each such run is wrapped in a left-to-right isolate (U+2066 … U+2069): its inside reads left to
right and the sentence around it is laid out as if it were one neutral character. Not the
first-strong isolate (U+2068): a run without strong letters (``-15``, ``≥ 0``) would take the
surrounding direction and flip again. HTML callers may use ``<bdi>`` instead (``PageContext.bdi``).

Plain module, no Babel: ``i18n.t`` applies :func:`isolate_param` to every parameter in Arabic.
"""

from __future__ import annotations

import re

LRI = "\u2066"  # left-to-right isolate
FSI = "\u2068"  # first-strong isolate
PDI = "\u2069"  # pop directional isolate
_ISOLATES = ("\u2066", "\u2067", "\u2068")  # LRI, RLI, FSI
#: Arabic letters (strong right-to-left): a parameter holding one is laid out by the sentence itself.
_ARABIC = re.compile(r"[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]")
#: What reorders inside Arabic text: digits (Latin or Arabic-Indic) and Latin letters.
_LEFT_TO_RIGHT = re.compile(r"[0-9A-Za-z\u00C0-\u024F\u0660-\u0669\u06F0-\u06F9]")


RLI = "\u2067"  # right-to-left isolate


def right_to_left(text: str, lang: str) -> str:
    """An Arabic sentence as a right-to-left island where the surroundings are left to right (a Plotly
    title or axis title: charts are drawn left to right), so ``النقطة حسب الجهة، 2025`` does not end
    up as ``2025 ،النقطة حسب الجهة``. Unchanged in other languages and for empty text."""
    return f"{RLI}{text}{PDI}" if lang == "ar" and text and not text.startswith(_ISOLATES) else text


def isolate(text: str, lang: str) -> str:
    """``text`` as one left-to-right island in Arabic (``lang == "ar"``); unchanged in other languages."""
    return f"{LRI}{text}{PDI}" if lang == "ar" else text


def needs_isolation(text: str) -> bool:
    """A number, code, range or Latin name (no Arabic letter, something left to right), not yet
    isolated and not markup (an HTML fragment carries its own ``<bdi>``)."""
    return (
        bool(text)
        and not text.startswith(_ISOLATES)
        and "<" not in text
        and _ARABIC.search(text) is None
        and _LEFT_TO_RIGHT.search(text) is not None
    )


def isolate_param(value: object, lang: str) -> object:
    """A message parameter as an Arabic sentence needs it (see :func:`needs_isolation`)."""
    if lang != "ar" or isinstance(value, bool):
        return value
    text = str(value)
    return isolate(text, lang) if needs_isolation(text) else value


def strip_isolates(text: str) -> str:
    """``text`` without isolate marks (for comparisons and machine-readable output)."""
    return text.translate({ord(c): None for c in (*_ISOLATES, PDI)})
