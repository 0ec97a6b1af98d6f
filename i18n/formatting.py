"""Numbers, percentages, dates and ranges as each language writes them, from CLDR data (Babel).

One formatter for every surface — pages, method card, exports, command line — so a number reads
the same everywhere:
- ``fr``: ``1 250,5`` (narrow no-break space), ``45 %``, ``29 novembre 2026``;
- ``en``: ``1,250.5``, ``45%``, ``29 November 2026``;
- ``ar``: as Morocco writes it (CLDR ``ar_MA``): Latin digits, ``1.250,5``, ``45%``,
  ``29 نونبر 2026`` — or Arabic-Indic digits ``١٬٢٥٠٫٥`` when ``ATHAR_ARABIC_DIGITS=1``.

Every function accepts ``None`` (and NaN) and returns a dash, so callers never special-case gaps.
"""

from __future__ import annotations

import copy
import math
from datetime import date, datetime
from functools import cache, lru_cache

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import NumberPattern

import settings
from i18n.bidi import isolate, needs_isolation

__all__ = ["isolate"]  # one bidi helper (i18n.bidi), re-exported for the formatter's callers

DASH = "–"
#: The CLDR locale of each language of the catalogues.
LOCALES = {"fr": "fr_MA", "ar": "ar_MA", "en": "en_GB"}


def arabic_digits() -> bool:
    """Arabic-Indic digits in Arabic (``ATHAR_ARABIC_DIGITS=1``); Moroccan usage is Latin digits."""
    return settings.get("ATHAR_ARABIC_DIGITS")


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _locale(lang: str) -> tuple[Locale, str]:
    if lang == "ar" and arabic_digits():
        return _parsed("ar"), "arab"
    return _parsed(LOCALES.get(lang, LOCALES["fr"])), "latn"


@cache
def _parsed(name: str) -> Locale:
    return Locale.parse(name)


@cache
def _pattern(name: str, kind: str, digits: int) -> NumberPattern:
    locale = _parsed(name)
    base = (locale.percent_formats if kind == "percent" else locale.decimal_formats)[None]
    pattern = copy.copy(base)
    pattern.frac_prec = (digits, digits)
    return pattern


def _apply(value: float, lang: str, kind: str, digits: int) -> str:
    locale, numbering = _locale(lang)
    text = _pattern(str(locale), kind, digits).apply(value, locale, numbering_system=numbering)
    if numbering == "arab":  # Babel gives the Arabic-Indic separators, not the digits nor the sign
        text = _digits(text, numbering).replace("%", locale.number_symbols["arab"]["percentSign"])
    # A value that rounds to zero is written without a sign ("-0,0" reads as a fall).
    return text.lstrip("-\u200e") if float(f"{abs(value):.{digits + (2 if kind == 'percent' else 0)}f}") == 0 else text


@lru_cache(maxsize=1024)  # a command reporting thousands of files asks for the same few counts
def plural_category(count: float, lang: str) -> str:
    """CLDR's plural category of ``count`` (``one``, ``other``; ``zero``, ``two``, ``few``, ``many`` too)."""
    return _parsed(LOCALES.get(lang, LOCALES["fr"])).plural_form(abs(count))


def number(value: float | None, lang: str, digits: int = 0) -> str:
    """``value`` with ``digits`` decimals, grouped and punctuated for ``lang``."""
    if _missing(value):
        return DASH
    return _apply(float(value), lang, "decimal", digits)


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
    return _apply(float(share), lang, "percent", digits)


def score(value: float | None, lang: str) -> str:
    """A 0–100 score, one decimal."""
    return number(value, lang, 1)


def number_range(low: float | None, high: float | None, lang: str, digits: int = 0) -> str:
    """``12 – 30``, each bound formatted and the whole kept left-to-right inside Arabic text."""
    return isolate(f"{number(low, lang, digits)} – {number(high, lang, digits)}", lang)


def date_text(value: date | datetime | None, lang: str) -> str:
    """``29 novembre 2026`` / ``29 November 2026`` / ``29 نونبر 2026``."""
    if value is None:
        return DASH
    locale, numbering = _locale(lang)
    text = format_date(value, "d MMMM y", locale=locale)
    return _digits(text, numbering)


def datetime_text(value: datetime | None, lang: str) -> str:
    if value is None:
        return DASH
    locale, numbering = _locale(lang)
    return f"{date_text(value, lang)} {_digits(f'{value:%H:%M}', numbering)}"


_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _digits(text: str, numbering: str) -> str:
    return text.translate(_ARABIC_INDIC) if numbering == "arab" else text


def join_list(items: list[str], lang: str) -> str:
    """``A, B et C`` / ``A, B and C`` (CLDR lists); Arabic ``A، B وC`` with the Arabic comma.

    CLDR's Arabic pattern joins every item with « و »; Arabic prose separates all but the last with
    « ، » and attaches « و » to the last. Items that are codes or numbers are bidi-isolated.
    """
    items = [str(i) for i in items]
    if len(items) <= 1:
        return isolate(items[0], lang) if items and needs_isolation(items[0]) else "".join(items)
    if lang == "ar":
        items = [isolate(i, lang) if needs_isolation(i) else i for i in items]
        return "، ".join(items[:-1]) + " و" + items[-1]
    return format_list(items, locale=_locale(lang)[0])


def currency_digits(code: str | None) -> int | None:
    """CLDR's decimals for a currency unit code (``MAD`` → 2); None when ``code`` is no currency."""
    from babel.numbers import get_currency_precision, is_currency

    if not code or not is_currency(code):
        return None
    return get_currency_precision(code)
