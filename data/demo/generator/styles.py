"""How each organisation saves its files: a habit (dialect, encoding, workbook) and its tweaks."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .orgs import Org


@dataclass(frozen=True)
class Style:
    """One way of saving a table: what a given member's Excel (or habit) produces."""

    habit: str
    ext: str = "csv"
    encoding: str = "utf-8"  # utf-8 | utf-8-sig | cp1256 | utf-16 | xlsx
    delimiter: str = ","
    crlf: bool = False
    decimal_comma: bool = False
    thousands: str = ""
    arabic_digits: bool = False
    headers: str = "canonical"  # canonical | fr | ar | en
    unit_lang: str | None = "fr"  # None: no unit column
    short_units: bool = False  # "pers.", "DH", "nb" instead of the full unit names
    labels: str = "code"  # breakdown values: code | fr | ar
    period_style: str = "iso"  # iso (2024-Q1) | fr (T1 2024)
    with_org: bool = True
    with_source: bool = False
    with_indicator_name: bool = False  # the Athar template's informational column


HABITS: dict[str, Style] = {
    "utf8": Style("utf8"),
    "utf8_bom": Style("utf8_bom", encoding="utf-8-sig", crlf=True),
    "fr_excel": Style("fr_excel", encoding="utf-8-sig", delimiter=";", crlf=True, decimal_comma=True),
    "ar_excel": Style(
        "ar_excel", encoding="cp1256", delimiter=";", crlf=True, decimal_comma=True, unit_lang="ar"
    ),
    "utf16": Style("utf16", ext="txt", encoding="utf-16", delimiter="\t", crlf=True, decimal_comma=True),
    "arabic_digits": Style("arabic_digits", arabic_digits=True, unit_lang="ar", headers="ar", labels="ar"),
    "xlsx": Style("xlsx", ext="xlsx", encoding="xlsx"),
    "template": Style(
        "template",
        encoding="utf-8-sig",
        delimiter=";",
        crlf=True,
        decimal_comma=True,
        with_source=True,
        with_indicator_name=True,
    ),
}
#: organisation number → changes to its habit (header aliases, thousands separators, units...)
STYLE_TWEAKS: dict[int, dict] = {
    2: {"headers": "ar", "labels": "ar"},
    5: {"with_source": True},
    7: {"with_source": True},
    8: {"headers": "fr", "labels": "fr", "thousands": "\u00a0"},
    9: {"with_org": False},
    10: {"headers": "ar"},
    11: {"unit_lang": None},
    12: {"unit_lang": "ar", "headers": "ar"},
    13: {"headers": "fr", "thousands": "\u00a0", "with_source": True},
    14: {"period_style": "fr", "short_units": True},
    15: {"labels": "fr", "headers": "fr"},
    17: {"headers": "fr"},
    18: {"headers": "fr", "thousands": "\u202f"},
    19: {"with_org": False, "headers": "ar"},
    21: {"headers": "fr"},
    22: {"unit_lang": None, "crlf": True},
    24: {"with_source": True},
    26: {"with_org": False},
    28: {"headers": "fr", "thousands": "\u202f"},
    29: {"headers": "ar"},
    30: {"period_style": "fr", "headers": "fr"},
    31: {"unit_lang": "ar", "with_org": False},
    32: {"with_source": True, "crlf": True},
    34: {"unit_lang": "fr"},
    35: {"encoding": "utf-8-sig"},
    37: {"headers": "en", "unit_lang": "en"},
    38: {"short_units": True},
    39: {"unit_lang": "en", "labels": "code"},
}
#: (organisation number, year) → a different habit that year (e.g. adopting the Athar template)
HABIT_CHANGES: dict[tuple[int, int], str] = {
    (23, 2025): "template",
    (36, 2025): "template",
    (11, 2025): "xlsx",
}


def style_for(number: int, year: int, org: Org) -> Style:
    habit = HABIT_CHANGES.get((number, year), org.spec.habit)
    style = HABITS[habit]
    tweaks = STYLE_TWEAKS.get(number, {}) if habit == org.spec.habit else {}
    lang_units = (
        {"unit_lang": org.spec.lang} if "unit_lang" not in tweaks and habit not in ("ar_excel",) else {}
    )
    return replace(style, **{**lang_units, **tweaks})
