"""The method card: how one score was obtained, in the reader's language.

For an organisation, a period and a principle (or the composite), the card lists each
indicator's raw value, how it was aggregated and normalised, its normalised value and weight,
the coverage, the aggregation rule, data quality, rank interval and trend — everything read
from the recorded run (its own copy of the framework), so an old run explains itself even after
the framework changed. :func:`build_card` is pure; :func:`load_card` reads the store.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import polars as pl

from framework.model import Aggregation, Framework, Indicator, Normalisation, framework_from_dict
from i18n import t
from store import Store
from store.scores import organisation_name, run_indicator_values, run_info, run_scores, run_trends


class CardNotFound(LookupError):
    """No score for this organisation and period in the run."""


@dataclass(frozen=True)
class MethodCard:
    """Everything behind one score (principle ``None`` = the composite)."""

    run: dict[str, Any]
    framework: Framework
    org_code: str
    org_name: str | None
    period: str
    principle: str | None
    score: dict[str, Any]
    parts: pl.DataFrame  # indicator rows (principle card) or principle rows (composite card)
    trend: dict[str, Any] | None
    #: Indicators the reader may not see (a funder's link): no value of theirs, no code of a hidden ratio input.
    hidden: frozenset[str] = frozenset()


def build_card(
    run: dict[str, Any],
    scores: pl.DataFrame,
    indicators: pl.DataFrame,
    trends: pl.DataFrame,
    org_code: str,
    period: str,
    principle: str | None,
    org_name: str | None = None,
) -> MethodCard:
    """Assemble a card from a run's rows for one organisation and period (pure)."""
    framework = framework_from_dict(run["framework"])
    row = scores.filter(pl.col("principle").eq_missing(principle))
    if row.is_empty():
        raise CardNotFound(org_code, period, principle)
    if principle is None:
        order = {p.code: n for n, p in enumerate(framework.principles)}
        parts = (
            scores.filter(pl.col("principle").is_not_null())
            .with_columns(
                weight=pl.col("principle").replace_strict(
                    {p.code: p.weight for p in framework.principles}, default=None
                ),
                _order=pl.col("principle").replace_strict(order, default=len(order), return_dtype=pl.Int64),
            )
            .sort("_order")
            .drop("_order")
        )
    else:
        members = [(i.code, i.weights[principle]) for i in framework.indicators if principle in i.weights]
        wanted = pl.DataFrame(
            members, schema={"indicator_code": pl.String, "weight": pl.Float64}, orient="row"
        )
        parts = wanted.join(indicators, on="indicator_code", how="left", maintain_order="left").sort(
            "weight", "indicator_code", descending=[True, False]
        )
    trend = trends.filter(
        (pl.col("org_code") == org_code)
        & pl.col("principle").eq_missing(principle)
        & pl.col("indicator_code").is_null()
    )
    return MethodCard(
        run=run,
        framework=framework,
        org_code=org_code,
        org_name=org_name,
        period=period,
        principle=principle,
        score=row.row(0, named=True),
        parts=parts,
        trend=trend.row(0, named=True) if trend.height else None,
    )


def load_card(
    store: Store, run_id: int, org_code: str, period: str, principle: str | None, lang: str = "fr"
) -> MethodCard:
    run = run_info(store, run_id)
    if run is None:
        raise CardNotFound(org_code, period, principle)
    scores = run_scores(store, run_id, org_code, period)
    if scores.is_empty():
        raise CardNotFound(org_code, period, principle)
    return build_card(
        run,
        scores,
        run_indicator_values(store, run_id, org_code, period),
        run_trends(store, run_id, org_code),
        org_code,
        period,
        principle,
        organisation_name(store, org_code, lang),
    )


_VALUE_COLUMNS = ("value", "n_values", "method", "transformed", "normalised", "robust_z", "flagged")


def withhold_indicators(card: MethodCard, shown: frozenset[str]) -> MethodCard:
    """The card with every indicator outside ``shown`` withheld: its values emptied, marked hidden (pure)."""
    hidden = frozenset(i.code for i in card.framework.indicators) - shown
    parts = card.parts
    if "indicator_code" in parts.columns:
        blank = pl.col("indicator_code").is_in(sorted(hidden))
        parts = parts.with_columns(
            pl.when(blank).then(None).otherwise(pl.col(c)).alias(c)
            for c in _VALUE_COLUMNS
            if c in parts.columns
        )
    return dataclasses.replace(card, parts=parts, hidden=hidden)


def _num(value: float | None, digits: int = 1, lang: str = "en") -> str:
    """A number for reading: thin-space thousands, trailing zeros dropped, decimal comma in French."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{digits}f}".replace(",", "\u202f")
    if digits:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "fr" else text


def _pct(value: float | None, lang: str = "en") -> str:
    return _num(None if value is None else 100.0 * value, 0, lang=lang)


def _percent(share: float | None, lang: str) -> str:
    return (
        t("method.not_available", lang)
        if share is None
        else t("method.percent", lang, value=_pct(share, lang))
    )


def _normalisation_text(ind: Indicator, lang: str) -> str:
    method = ind.normalisation
    if method is Normalisation.GOALPOSTS and ind.goalposts:
        key = "method.goalposts_log" if ind.transform.value == "log" else "method.goalposts"
        text = t(key, lang, low=_num(ind.goalposts[0], lang=lang), high=_num(ind.goalposts[1], lang=lang))
    elif method is Normalisation.TARGET:
        text = t("method.target", lang, target=_num(ind.target, lang=lang))
    else:
        text = t(f"method.{method.value}", lang)
    if ind.direction.value == "down":
        text += ", " + t("method.reversed", lang)
    return text


def _aggregation_text(
    ind: Indicator, n_values: int | None, lang: str, hidden: frozenset[str] = frozenset()
) -> str:
    if ind.derived and hidden & {ind.numerator, ind.denominator}:  # never the hidden input's code
        return t("method.agg_ratio_hidden", lang, input=t("method.input_out_of_scope", lang))
    if ind.derived:
        return t("method.agg_ratio", lang, numerator=ind.numerator, denominator=ind.denominator)
    text = t(f"method.agg_{ind.aggregation.value}", lang)
    return t("method.values_count", lang, aggregation=text, n=n_values) if n_values and n_values > 1 else text


def render(card: MethodCard, lang: str = "fr") -> str:
    """The card as plain text lines in ``lang`` (fr, ar or en)."""
    fw = card.framework
    run = card.run
    meta = fw.meta
    who = f"{card.org_name} ({card.org_code})" if card.org_name else card.org_code
    lines = [
        t("method.title", lang, org=who, period=card.period),
        t(
            "method.framework",
            lang,
            name=meta.name.get(lang),
            version=run["framework_hash"][:12],
            run=run["id"],
            date=str(run["created_at"])[:16],
            granularity=t(f"method.granularity_{run['granularity']}", lang),
        ),
    ]
    score = card.score
    if card.principle is None:
        lines.append(t("method.composite_heading", lang, name=meta.name.get(lang)))
        threshold = meta.composite_threshold
    else:
        principle = fw.principle_by_code[card.principle]
        lines.append(t("method.principle_heading", lang, code=principle.code, name=principle.name.get(lang)))
        threshold = meta.coverage_threshold
    if score["score"] is None:
        lines.append(
            t(
                "method.insufficient",
                lang,
                coverage=_pct(score["coverage"], lang),
                threshold=_pct(threshold, lang),
            )
        )
    else:
        lines.append(
            t(
                "method.score",
                lang,
                score=_num(score["score"], lang=lang),
                coverage=_pct(score["coverage"], lang),
                threshold=_pct(threshold, lang),
            )
        )
    if card.principle is None:
        rule = (
            "composite_geometric"
            if meta.composite_aggregation is Aggregation.GEOMETRIC
            else "composite_arithmetic"
        )
        lines.append(t(f"method.{rule}", lang))
        for part in card.parts.iter_rows(named=True):
            name = fw.principle_by_code[part["principle"]].name.get(lang)
            key = "method.principle" if part["score"] is not None else "method.principle_missing"
            lines.append(
                t(
                    key,
                    lang,
                    code=part["principle"],
                    name=name,
                    score=_num(part["score"], lang=lang),
                    coverage=_pct(part["coverage"], lang),
                    weight=_num(part["weight"], 2, lang=lang),
                )
            )
    else:
        rule = (
            "rule_geometric"
            if fw.aggregation_of(card.principle) is Aggregation.GEOMETRIC
            else "rule_arithmetic"
        )
        lines.append(t(f"method.{rule}", lang))
        for part in card.parts.iter_rows(named=True):
            ind = fw.indicator_by_code[part["indicator_code"]]
            name = ind.name.get(lang)
            if ind.code in card.hidden:
                lines.append(
                    t(
                        "method.indicator_withheld",
                        lang,
                        code=ind.code,
                        name=name,
                        weight=_num(part["weight"], 2, lang=lang),
                    )
                )
                continue
            if part.get("value") is None:
                lines.append(
                    t(
                        "method.indicator_missing",
                        lang,
                        code=ind.code,
                        name=name,
                        weight=_num(part["weight"], 2, lang=lang),
                    )
                )
                continue
            lines.append(
                t(
                    "method.indicator",
                    lang,
                    code=ind.code,
                    name=name,
                    value=_num(part["value"], 2, lang=lang),
                    unit=fw.unit_of(ind.code).name.get(lang),
                    aggregation=_aggregation_text(ind, part.get("n_values"), lang, card.hidden),
                    normalised=_num(
                        None if part["normalised"] is None else 100.0 * part["normalised"], lang=lang
                    ),
                    method=_normalisation_text(ind, lang),
                    weight=_num(part["weight"], 2, lang=lang),
                )
            )
            if part.get("flagged"):
                lines.append(t("method.flagged", lang, z=_num(part["robust_z"], lang=lang)))
    if score.get("grade") is not None:
        days = score["timeliness_days"]
        lines.append(
            t(
                "method.quality",
                lang,
                grade=score["grade"],
                completeness=_percent(score["completeness"], lang),
                grade_completeness=score["grade_completeness"] or "–",
                timeliness=t("method.days", lang, days=_num(days, 0, lang=lang))
                if days is not None
                else t("method.not_available", lang),
                grade_timeliness=score["grade_timeliness"] or "–",
                consistency=str(score["consistency_flags"] or 0),
                grade_consistency=score["grade_consistency"] or "–",
                evidence=_percent(score["evidence"], lang),
                grade_evidence=score["grade_evidence"] or "–",
            )
        )
    if score.get("nominal_rank") is not None and score.get("median_rank") is None:
        lines.append(
            t(
                "method.rank_nominal",
                lang,
                rank=_num(score["nominal_rank"], 0, lang=lang),
                count=score["ranked_count"],
            )
        )
    elif score.get("nominal_rank") is not None:
        lines.append(
            t(
                "method.rank_line",
                lang,
                rank=_num(score["nominal_rank"], 0, lang=lang),
                count=score["ranked_count"],
                median=_num(score["median_rank"], lang=lang),
                low=_num(score["rank_p05"], 0, lang=lang),
                high=_num(score["rank_p95"], 0, lang=lang),
            )
        )
    if card.trend is not None:
        trend = card.trend
        sustainability = meta.sustainability
        if trend["trend"] == "insufficient_data":
            lines.append(
                t("method.trend_too_short", lang, n=trend["n_periods"], min=sustainability.min_trend_periods)
            )
        else:
            lines.append(
                t(
                    "method.trend",
                    lang,
                    trend=t(f"method.trend_{trend['trend']}", lang),
                    slope=_num(trend["slope"], lang=lang),
                    n=trend["n_periods"],
                    persistence=_pct(trend["persistence"], lang),
                    threshold=_num(sustainability.persistence_threshold, lang=lang),
                    sustained=t("method.sustained", lang) if trend["sustained"] else "",
                )
            )
    return "\n".join(lines)
