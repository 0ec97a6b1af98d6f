"""Framework editing for the steering committee, as pure functions over the Pydantic models.

An edit never changes a framework in place: the edited tables become a new dictionary that
``framework.model.framework_from_dict`` validates into a *new* version (new content hash),
which ``store.registry.adopt_framework`` records beside the earlier ones.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import polars as pl

from framework.model import Framework, framework_from_dict

NAME_LANGS = ("fr", "ar", "en")


def principle_table(framework: Framework) -> pd.DataFrame:
    """What the editor shows for principles: code (fixed), names, weight."""
    return pd.DataFrame(
        [
            {
                "code": p.code,
                **{f"name_{lang}": getattr(p.name, lang) for lang in NAME_LANGS},
                "weight": p.weight,
            }
            for p in framework.principles
        ]
    )


def indicator_table(framework: Framework) -> pd.DataFrame:
    """Indicators: code (fixed), names, goalposts, target and one weight column per principle."""
    principles = [p.code for p in framework.principles]
    rows = []
    for ind in framework.indicators:
        row: dict[str, Any] = {
            "code": ind.code,
            **{f"name_{lang}": getattr(ind.name, lang) for lang in NAME_LANGS},
        }
        row["goalpost_min"] = ind.goalposts[0] if ind.goalposts else None
        row["goalpost_max"] = ind.goalposts[1] if ind.goalposts else None
        row["target"] = ind.target
        for code in principles:
            row[f"w_{code}"] = ind.weights.get(code)
        rows.append(row)
    frame = pd.DataFrame(rows)
    numeric = ["goalpost_min", "goalpost_max", "target", *(f"w_{c}" for c in principles)]
    frame[numeric] = frame[numeric].astype("float64")
    return frame


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def apply_edits(framework: Framework, principles: pd.DataFrame, indicators: pd.DataFrame) -> dict:
    """A new framework dictionary from the edited tables (codes and rows are matched by code).

    An empty or zero weight removes the indicator from that principle; empty goalposts remove
    them (the model then says whether the indicator may do without).
    """
    data = framework.model_dump(mode="json")
    by_principle = {str(r["code"]): r for r in principles.to_dict("records")}
    for item in data["principles"]:
        row = by_principle.get(item["code"])
        if row is None:
            continue
        item["name"] = {lang: str(row.get(f"name_{lang}") or "").strip() for lang in NAME_LANGS}
        weight = _number(row.get("weight"))
        item["weight"] = weight if weight is not None else item["weight"]
    codes = [p["code"] for p in data["principles"]]
    by_indicator = {str(r["code"]): r for r in indicators.to_dict("records")}
    for item in data["indicators"]:
        row = by_indicator.get(item["code"])
        if row is None:
            continue
        item["name"] = {lang: str(row.get(f"name_{lang}") or "").strip() for lang in NAME_LANGS}
        low, high = _number(row.get("goalpost_min")), _number(row.get("goalpost_max"))
        item["goalposts"] = [low, high] if low is not None and high is not None else None
        item["target"] = _number(row.get("target"))
        weights = {code: _number(row.get(f"w_{code}")) for code in codes}
        item["weights"] = {code: w for code, w in weights.items() if w is not None and w != 0}
    return data


def draft(framework: Framework, principles: pd.DataFrame, indicators: pd.DataFrame) -> Framework:
    """Validate the edited tables into a new framework (raises ``FrameworkError`` listing every problem)."""
    return framework_from_dict(apply_edits(framework, principles, indicators), "dashboard")


def differences(before: Framework, after: Framework) -> pl.DataFrame:
    """item, field, before, after — every changed name, weight, goalpost and target."""
    rows: list[dict[str, str]] = []

    def compare(item: str, field: str, old: Any, new: Any) -> None:
        if old != new:
            rows.append({"item": item, "field": field, "before": _text(old), "after": _text(new)})

    old_p = before.principle_by_code
    for p in after.principles:
        if p.code in old_p:
            compare(p.code, "weight", old_p[p.code].weight, p.weight)
            for lang in NAME_LANGS:
                compare(p.code, f"name_{lang}", getattr(old_p[p.code].name, lang), getattr(p.name, lang))
    old_i = before.indicator_by_code
    for i in after.indicators:
        if i.code not in old_i:
            continue
        o = old_i[i.code]
        for lang in NAME_LANGS:
            compare(i.code, f"name_{lang}", getattr(o.name, lang), getattr(i.name, lang))
        compare(i.code, "goalposts", o.goalposts, i.goalposts)
        compare(i.code, "target", o.target, i.target)
        for code in sorted(set(o.weights) | set(i.weights)):
            compare(i.code, f"weight {code}", o.weights.get(code), i.weights.get(code))
    return pl.DataFrame(
        rows, schema={"item": pl.String, "field": pl.String, "before": pl.String, "after": pl.String}
    )


def _text(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, tuple | list):
        return " – ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def with_principle_weights(framework: Framework, shares: dict[str, float]) -> Framework:
    """A new version of ``framework`` whose principle weights are ``shares`` (summing to 1), scaled to
    the framework's total principle weight and rounded to 4 decimals; everything else unchanged.
    Raises ``FrameworkError`` when a weight comes out invalid (a principle at zero)."""
    data = framework.model_dump(mode="json")
    total = sum(p.weight for p in framework.principles)
    for item in data["principles"]:
        item["weight"] = round(float(shares.get(item["code"], 0.0)) * total, 4)
    return framework_from_dict(data, "consultation")
