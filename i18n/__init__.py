"""Translation catalogues (fr, ar, en) shared by the command lines and the dashboard.

Every user-facing string is looked up here by key; French is the default. The catalogues are
TOML files beside this module, flattened to dotted keys (``ingest.not_a_number.message``).
No global state is installed (no ``gettext.install``): callers pass the language explicitly,
so concurrent sessions in different languages never see each other's strings.
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from pathlib import Path

LANGUAGES: tuple[str, ...] = ("fr", "ar", "en")
DEFAULT_LANGUAGE = "fr"
RTL_LANGUAGES = frozenset({"ar"})
_HERE = Path(__file__).parent


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = str(value)
    return flat


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The flattened catalogue of one language: ``<lang>.toml`` plus its parts ``<lang>.<part>.toml``.

    Parts keep one concern's strings together (``fr.access.toml``); a key defined twice is an error.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
    merged: dict[str, str] = {}
    for path in [_HERE / f"{lang}.toml", *sorted(_HERE.glob(f"{lang}.*.toml"))]:
        with open(path, "rb") as fh:
            part = _flatten(tomllib.load(fh))
        if twice := sorted(set(part) & set(merged)):
            raise ValueError(f"{path.name} defines keys already defined: {', '.join(twice[:5])}")
        merged.update(part)
    return merged


def normalise_language(lang: str | None) -> str:
    """Map whatever a user or URL gave (``AR``, ``fr-MA``, None) to a supported language."""
    if not lang:
        return DEFAULT_LANGUAGE
    short = lang.strip().lower().replace("_", "-").split("-")[0]
    return short if short in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """Translate ``key`` into ``lang`` and fill its ``{placeholders}``.

    A missing key is a programming error caught by the catalogue tests, so it raises rather
    than showing a raw key to a user.
    """
    template = catalogue(normalise_language(lang))[key]
    return template.format_map(_Defaulting(params)) if params else template


def plural_form(count: int, lang: str) -> str:
    """The CLDR plural category of ``count`` in ``lang`` (Arabic has six: zero, one, two, few, many, other)."""
    from i18n.formatting import plural_category  # Babel loads only when a counted message is shown

    return plural_category(count, lang)


def plural_key(key: str, count: float, lang: str) -> str:
    """``key.<CLDR category of count>``, or ``key.one`` / ``key.other`` when the catalogue leaves that
    category out (Arabic catalogues may write zero, two, few and many; French and English need not)."""
    lang = normalise_language(lang)
    form = plural_form(count, lang)
    if f"{key}.{form}" in catalogue(lang):
        return f"{key}.{form}"
    return f"{key}.{'one' if form == 'one' else 'other'}"


def tn(key: str, count: int, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """Translate a counted message (see :func:`plural_key`) with ``{count}`` filled."""
    lang = normalise_language(lang)
    return t(plural_key(key, count, lang), lang, count=count, **params)


def placeholders(template: str) -> set[str]:
    """Names used as ``{name}`` in a template (for the catalogue consistency tests)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class _Defaulting(dict):
    """Leave unknown placeholders visible instead of raising mid-report."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
