"""Funders' vocabularies: each indicator's IRIS+ metric ID and SDG targets, as the framework declares them.

Members of the network report to many funders, each with its own taxonomy. The framework carries,
per indicator, ``iris`` (an IRIS+ metric ID: two capital letters and four digits, ``PI4060``,
``OI1166``) and ``sdg`` (SDG targets ``goal.target``: goal 1–17, target a number or a letter,
``1.2``, ``4.a``; or a goal alone, ``3``). A funder link (and an export) can name indicators by one of them beside Athar's
own code, so the same checked value carries each funder's label instead of being re-keyed.

Pure functions over the Pydantic framework: the checks the model runs (typed problems, rendered
in fr/ar/en), the mapping as a frame, and the committee's table editor (a new framework version).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import polars as pl

from framework.problems import Problem
from i18n import t

if TYPE_CHECKING:  # pandas only for the editor's table: importing a file never loads it (nor pyarrow)
    import pandas as pd

#: How a link or an export names indicators: Athar's codes only, or IRIS+ / SDG beside them.
VOCABULARIES: tuple[str, ...] = ("athar", "iris", "sdg")
#: An IRIS+ metric ID: the section's two letters (PI, OI, OD, PD, FP…) and four digits.
IRIS_ID = re.compile(r"[A-Z]{2}[0-9]{4}")
#: An SDG target: the goal (1–17), a dot, the target (a number, or a letter for means of implementation);
#: or a goal alone (``3``), for an indicator that serves the goal as a whole.
SDG_TARGET = re.compile(r"([0-9]{1,2})(?:\.([0-9]{1,2}|[a-z]))?")
SDG_GOALS = range(1, 18)
#: The export columns a vocabulary adds (stable names that funders' systems match on).
EXPORT_COLUMNS = {"iris": "iris_metric", "sdg": "sdg_targets"}


def sdg_goal(target: str) -> int | None:
    """The goal of a well-formed target (``4.a`` → 4), else None."""
    match = SDG_TARGET.fullmatch(target)
    if match is None or int(match.group(1)) not in SDG_GOALS:
        return None
    return int(match.group(1))


def mapping_problems(indicator: str, iris: str | None, sdg: tuple[str, ...]) -> list[Problem]:
    """Every malformed identifier of one indicator (the model raises them all at once)."""
    problems = []
    if iris is not None and not IRIS_ID.fullmatch(iris):
        problems.append(Problem("vocab_iris_malformed", indicator=indicator, value=iris))
    for target in sdg:
        if sdg_goal(target) is None:
            problems.append(Problem("vocab_sdg_malformed", indicator=indicator, value=target))
    if len(set(sdg)) != len(sdg):
        problems.append(Problem("vocab_sdg_twice", indicator=indicator))
    return problems


def identifiers(iris: str | None, sdg: tuple[str, ...], vocabulary: str) -> tuple[str, ...]:
    """The funder's identifiers of one indicator in ``vocabulary`` (empty: no equivalent)."""
    if vocabulary == "iris":
        return (iris,) if iris else ()
    if vocabulary == "sdg":
        return tuple(sdg)
    return ()


def funder_prefix(iris: str | None, sdg: tuple[str, ...], vocabulary: str, lang: str) -> str | None:
    """``PI4060`` / ``ODD 1.2, 10.2`` (``SDG 1.2`` in en, ``هدف التنمية المستدامة 1.2`` in ar);
    None when the indicator has no equivalent in ``vocabulary`` (pages and report cards share it)."""
    found = identifiers(iris, sdg, vocabulary)
    if not found:
        return None
    if vocabulary == "sdg":
        return t("vocab.sdg_prefix", lang, targets=t("vocab.separator", lang).join(found))
    return found[0]


def mapping_frame(framework: Any) -> pl.DataFrame:
    """indicator_code, iris_metric, sdg_targets (``1.2, 10.2``; null when none) — one row per indicator."""
    return pl.DataFrame(
        {
            "indicator_code": [i.code for i in framework.indicators],
            "iris_metric": [i.iris for i in framework.indicators],
            "sdg_targets": [", ".join(i.sdg) or None for i in framework.indicators],
        },
        schema={"indicator_code": pl.String, "iris_metric": pl.String, "sdg_targets": pl.String},
    )


def sdg_pairs(framework: Any) -> pl.DataFrame:
    """indicator_code, target, goal: one row per SDG target an indicator contributes to."""
    rows = [(i.code, target, sdg_goal(target)) for i in framework.indicators for target in i.sdg]
    return pl.DataFrame(
        rows, schema={"indicator_code": pl.String, "target": pl.String, "goal": pl.Int64}, orient="row"
    )


# -- the committee's editor --------------------------------------------------------------------
_SPLIT = re.compile(r"[\s,;،]+")


def mapping_table(framework: Any) -> pd.DataFrame:
    """What the editor shows: code (fixed), IRIS+ ID, SDG targets as text (``1.2, 10.2``)."""
    import pandas as pd

    return pd.DataFrame(
        {
            "code": [i.code for i in framework.indicators],
            "iris": [i.iris or "" for i in framework.indicators],
            "sdg": [", ".join(i.sdg) for i in framework.indicators],
        }
    )


def _targets(text: Any) -> list[str]:
    if text is None or (isinstance(text, float) and text != text):
        return []
    return [part for part in _SPLIT.split(str(text).strip()) if part]


def _iris(text: Any) -> str | None:
    if text is None or (isinstance(text, float) and text != text):
        return None
    return str(text).strip().upper() or None


def apply_mappings(framework: Any, table: pd.DataFrame) -> dict:
    """A new framework dictionary with the edited IRIS+ IDs and SDG targets (rows matched by code).

    IRIS+ IDs are upper-cased and targets split on commas, semicolons or spaces; the model then
    checks their form. Unchanged identifiers leave the dictionary, hence the hash, as it was."""
    data = framework.model_dump(mode="json")
    by_code = {str(r["code"]): r for r in table.to_dict("records")}
    for item in data["indicators"]:
        row = by_code.get(item["code"])
        if row is None:
            continue
        item["iris"] = _iris(row.get("iris"))
        item["sdg"] = _targets(row.get("sdg"))
    return data


def mapping_differences(before: Any, after: Any) -> pl.DataFrame:
    """item, field, before, after — every changed IRIS+ ID and SDG target list."""
    old = before.indicator_by_code
    rows = []
    for ind in after.indicators:
        if ind.code not in old:
            continue
        for field, was, now in (
            ("iris", old[ind.code].iris or "–", ind.iris or "–"),
            ("sdg", ", ".join(old[ind.code].sdg) or "–", ", ".join(ind.sdg) or "–"),
        ):
            if was != now:
                rows.append({"item": ind.code, "field": field, "before": was, "after": now})
    return pl.DataFrame(
        rows, schema={"item": pl.String, "field": pl.String, "before": pl.String, "after": pl.String}
    )
