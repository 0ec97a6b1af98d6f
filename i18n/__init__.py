"""Translation catalogues (fr, ar, en) shared by the command lines and the dashboard.

Every user-facing string is looked up here by key; French is the default. The catalogues are
TOML files beside this module, flattened to dotted keys (``ingest.not_a_number.message``).
No global state is installed (no ``gettext.install``): callers pass the language explicitly,
so concurrent sessions in different languages never see each other's strings.
"""

from __future__ import annotations

import re
import string
import tomllib
from functools import cache
from pathlib import Path

from i18n.bidi import isolate_param

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

    A catalogue never writes a percentage by hand: ``{pct_90}`` is 90 % formatted for ``lang`` by
    CLDR (``90 %``, ``90%``), filled here without the caller passing it.
    In Arabic each parameter that is a number, code, range or Latin name is bidi-isolated
    (:func:`i18n.bidi.isolate_param`), so ``{rank} من أصل {count}`` reads ``11 من أصل 35``.

    A missing key is a programming error caught by the catalogue tests, so it raises rather
    than showing a raw key to a user.
    """
    lang = normalise_language(lang)
    template = catalogue(lang)[key]
    if not params and "{pct_" not in template:
        return template
    if lang in RTL_LANGUAGES:  # numbers, codes and Latin names stay whole inside Arabic sentences
        params = {name: isolate_param(value, lang) for name, value in params.items()}
    return template.format_map(_Defaulting(params, lang))


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
    """Translate a counted message (see :func:`plural_key`) with ``{count}`` filled, written for the
    language (``1 250`` in French)."""
    from i18n.formatting import number  # Babel loads only when a counted message is shown

    lang = normalise_language(lang)
    return t(plural_key(key, count, lang), lang, count=number(count, lang), **params)


def placeholders(template: str) -> set[str]:
    """Names used as ``{name}`` in a template (for the catalogue consistency tests)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def builtin_placeholder(name: str) -> bool:
    """A placeholder :func:`t` fills itself (``{pct_90}``): callers never pass it."""
    return _FIXED_PERCENT.fullmatch(name) is not None


#: The CLDR plural categories beyond ``one`` / ``other`` a language's catalogue may add (Arabic: six).
EXTRA_PLURAL_FORMS: dict[str, frozenset[str]] = {"ar": frozenset({"zero", "two", "few", "many"})}


def is_extra_plural_form(key: str, lang: str) -> bool:
    """``key`` is ``<base>.<zero|two|few|many>`` of a counted message (``<base>.other`` exists) in a
    language whose plural rules have that category: only that language's catalogue needs it."""
    base, _, form = key.rpartition(".")
    return form in EXTRA_PLURAL_FORMS.get(lang, frozenset()) and f"{base}.other" in catalogue(lang)


_FIXED_PERCENT = re.compile(r"pct_(\d{1,3})")


class _Defaulting(dict):
    """Fill ``{pct_N}`` (N %, formatted for the language); leave unknown placeholders visible
    instead of raising mid-report."""

    def __init__(self, params: dict[str, object], lang: str = DEFAULT_LANGUAGE):
        super().__init__(params)
        self.lang = lang

    def __missing__(self, key: str) -> str:
        if fixed := _FIXED_PERCENT.fullmatch(key):
            from i18n.formatting import percent  # Babel loads only when a percentage is shown

            return str(isolate_param(percent(int(fixed.group(1)) / 100, self.lang), self.lang))
        return "{" + key + "}"
