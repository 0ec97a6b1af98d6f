"""Numbers and dates as each language writes them (Babel is not a dependency; this is enough).

- fr: ``1 250,5`` (narrow no-break space for thousands, decimal comma), ``45 %``, ``29 novembre 2026``;
- en: ``1,250.5``, ``45%``, ``29 November 2026``;
- ar: as written in Morocco, Latin digits with ``1.250,5`` and ``45 %`` — or Arabic-Indic digits
  ``١٬٢٥٠٫٥`` when ``ATHAR_ARABIC_DIGITS=1``.

Every function accepts ``None`` (and NaN) and returns a dash, so pages never special-case gaps.
"""

from __future__ import annotations

import math
import os
from datetime import date, datetime

from i18n import t

DASH = "–"
_SEPARATORS = {  # (thousands, decimal, percent sign with its spacing)
    "fr": ("\u202f", ",", "\u202f%"),
    "en": (",", ".", "%"),
    "ar": (".", ",", "\u202f%"),
}
_ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_ARABIC_INDIC_SEPARATORS = ("٬", "٫", "\u202f٪")


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def arabic_digits() -> bool:
    return os.environ.get("ATHAR_ARABIC_DIGITS", "0") == "1"


def _separators(lang: str) -> tuple[str, str, str]:
    if lang == "ar" and arabic_digits():
        return _ARABIC_INDIC_SEPARATORS
    return _SEPARATORS.get(lang, _SEPARATORS["fr"])


def _digits(text: str, lang: str) -> str:
    return text.translate(_ARABIC_DIGITS) if lang == "ar" and arabic_digits() else text


def number(value: float | None, lang: str, digits: int = 0) -> str:
    """``value`` with ``digits`` decimals, grouped and punctuated for ``lang``."""
    if _missing(value):
        return DASH
    thousands, decimal, _ = _separators(lang)
    text = f"{abs(float(value)):,.{digits}f}"
    whole, _, fraction = text.partition(".")
    whole = whole.replace(",", thousands)
    body = f"{whole}{decimal}{fraction}" if fraction else whole
    sign = "-" if float(value) < 0 and float(f"{abs(float(value)):.{digits}f}") != 0 else ""
    return _digits(sign + body, lang)


def signed(value: float | None, lang: str, digits: int = 1) -> str:
    """A change: ``+1,3`` / ``-0,5`` (ASCII minus, which Streamlit's metric reads as a fall)."""
    if _missing(value):
        return DASH
    text = number(value, lang, digits)
    return text if text.startswith("-") or float(f"{float(value):.{digits}f}") == 0 else "+" + text


def percent(share: float | None, lang: str, digits: int = 0) -> str:
    """A share between 0 and 1 as a percentage."""
    if _missing(share):
        return DASH
    return number(100.0 * float(share), lang, digits) + _separators(lang)[2]


def score(value: float | None, lang: str) -> str:
    """A 0–100 score, one decimal."""
    return number(value, lang, 1)


def date_text(value: date | datetime | None, lang: str) -> str:
    """``29 novembre 2026`` / ``29 November 2026`` / ``29 نونبر 2026``."""
    if value is None:
        return DASH
    month = t(f"dashboard.months.m{value.month}", lang)
    return _digits(f"{value.day} {month} {value.year}", lang)


def datetime_text(value: datetime | None, lang: str) -> str:
    if value is None:
        return DASH
    return f"{date_text(value, lang)} {_digits(f'{value:%H:%M}', lang)}"


def bdi(text: str) -> str:
    """Isolate a number inside right-to-left text (HTML; for ``st.markdown``)."""
    return f"<bdi>{text}</bdi>"


def isolate(text: str, lang: str) -> str:
    """Keep a number or code left-to-right inside Arabic text (left-to-right isolate … pop), Arabic only.

    Not the first-strong isolate: browsers lay out a run without strong letters (``-15``,
    ``≥ 0``) in the surrounding direction, which turns ``-15`` into ``15-``.
    """
    return f"\u2066{text}\u2069" if lang == "ar" else text
