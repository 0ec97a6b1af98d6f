"""The words of a part-within-total problem, in the reader's language.

``ingest.rules.parts`` stores both sides of a comparison as JSON in the issue's ``expected`` (the
indicators' codes and names in fr/ar/en, values, lines, the file a stored value came from); here
they become the ``{part}``, ``{whole_line}``, ``{cells}``... of the ``ingest.<code>`` templates. A
report read back later renders the same way: nothing depends on the framework in use.
"""

from __future__ import annotations

import json

from i18n import t

#: Issue codes whose ``expected`` is a JSON detail rendered here.
DETAILED = frozenset({"part_above_whole", "part_above_stored_whole", "whole_below_stored_part",
                      "breakdown_above_total"})
_ISOLATES = "\u2066\u2067\u2068\u2069"


def detail_params(code: str, expected: str | None, lang: str) -> dict[str, str]:
    """The template parameters of a detailed issue (none for any other issue, or a detail unreadable)."""
    if code not in DETAILED or not expected:
        return {}
    try:
        detail = json.loads(expected.strip(_ISOLATES))
    except ValueError:
        return {}
    common = {"org": _code(detail.get("org"), lang), "period": _code(detail.get("period"), lang),
              "cell": _cell(detail.get("cell") or {}, lang)}
    if code == "breakdown_above_total":
        return {**common, **_breakdown(detail, lang)}
    part, whole = detail["part"], detail["whole"]
    return {**common, **_named("part", part, lang), **_named("whole", whole, lang)}


def _code(text: object, lang: str) -> str:
    from i18n import formatting as fmt  # Babel loads only when such a problem is shown

    return "" if text is None else fmt.isolate(str(text), lang)


def _number(value: float, lang: str) -> str:
    from i18n import formatting as fmt

    return fmt.isolate(fmt.number(value, lang, 0 if float(value).is_integer() else 2), lang)


def _indicator(code: str, names: dict[str, str], lang: str) -> str:
    return t("parts.indicator", lang, code=_code(code, lang), name=names.get(lang) or names.get("fr", ""))


def _named(prefix: str, side: dict, lang: str) -> dict[str, str]:
    return {
        prefix: _indicator(side["indicator_code"], side["names"], lang),
        f"{prefix}_value": _number(side["value"], lang),
        f"{prefix}_line": _code(side["line"], lang),
        f"{prefix}_file": _code(side.get("file") or "", lang),
    }


def _where(side: dict, lang: str) -> str:
    if side.get("stored"):
        return t("parts.where_stored", lang, line=_code(side["line"], lang), file=_code(side.get("file"), lang))
    return t("parts.where_file", lang, line=_code(side["line"], lang))


def _cell(cell: dict[str, str | None], lang: str) -> str:
    """`` (sexe F, milieu rural)``: the breakdown cell compared, nothing for the totals."""
    shown = [t("parts.cell_value", lang, dimension=t(f"parts.dimension.{name}", lang), value=_code(value, lang))
             for name, value in cell.items() if value is not None]
    return t("parts.in_cell", lang, cells=t("parts.list_separator", lang).join(shown)) if shown else ""


def _breakdown(detail: dict, lang: str) -> dict[str, str]:
    cells = [t("parts.breakdown_value", lang, label=_code(c["label"], lang), value=_number(c["value"], lang),
               where=_where(c, lang)) for c in detail["cells"]]
    return {
        "indicator": _indicator(detail["indicator"], detail["names"], lang),
        "dimension": t(f"parts.dimension.{detail['dimension']}", lang),
        "cells": t("parts.list_separator", lang).join(cells),
        "sum": _number(detail["sum"], lang),
        "total": _number(detail["total"]["value"], lang),
        "total_where": _where(detail["total"], lang),
    }
