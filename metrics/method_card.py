"""The method card: how one score was obtained, in the reader's language.

For an organisation, a period and a principle (or the composite), the card lists each
indicator's raw value, how it was aggregated and normalised, its normalised value and weight,
the coverage, the aggregation rule, data quality, rank interval and trend — everything read
from the recorded run (its own copy of the framework), so an old run explains itself even after
the framework changed.

Pure: :func:`build_card` takes the viewer's scoped reads (``store.reads.method.card_reads``: the
run, the organisation's scores, indicator values and trends, the indicators in scope) and
:func:`render` writes the card, every number through ``i18n.formatting`` as on the pages. Callers
read the store first (the dashboard as its viewer, ``python -m metrics explain`` through
``metrics.run``), then build.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Protocol

import polars as pl

from framework.model import (
    BREAKDOWN_COLUMNS,
    Aggregation,
    Framework,
    Indicator,
    Normalisation,
    framework_from_dict,
)
from i18n import formatting as fmt
from i18n import t, tn


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
    #: The organisation's explanations of its values in the period (indicator_code, period, the
    #: breakdown, value, explanation), each said under its indicator: "confirmé par l'organisation".
    explanations: pl.DataFrame | None = None
    #: The score rests on values not approved when the run was made: the card says so under its title.
    provisional: bool = False


class CardInputs(Protocol):
    """The viewer's scoped reads of one score (``store.reads.method.CardReads``)."""

    org_code: str
    period: str
    principle: str | None
    run: dict[str, Any]
    org_name: str | None
    scores: pl.DataFrame
    indicators: pl.DataFrame
    trends: pl.DataFrame
    shown: frozenset[str] | None


def build_card(reads: CardInputs) -> MethodCard:
    """Assemble a card from the viewer's scoped reads of one organisation, period and principle (pure).

    Indicators outside ``reads.shown`` are withheld (:func:`withhold_indicators`). Raises
    :class:`CardNotFound` when the reads hold no such score.
    """
    run, scores, indicators, trends = reads.run, reads.scores, reads.indicators, reads.trends
    org_code, period, principle = reads.org_code, reads.period, reads.principle
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
    card = MethodCard(
        run=run,
        framework=framework,
        org_code=org_code,
        org_name=reads.org_name,
        period=period,
        principle=principle,
        score=row.row(0, named=True),
        parts=parts,
        trend=trend.row(0, named=True) if trend.height else None,
        explanations=getattr(reads, "explanations", None),
        provisional=bool(getattr(reads, "provisional", False)),
    )
    return card if reads.shown is None else withhold_indicators(card, reads.shown)


def card_or_none(reads: CardInputs | None) -> MethodCard | None:
    """The card of ``reads``, or ``None`` when the viewer may not see the score or there is none."""
    if reads is None:
        return None
    try:
        return build_card(reads)
    except CardNotFound:
        return None


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
    explanations = card.explanations
    if explanations is not None:
        explanations = explanations.filter(~pl.col("indicator_code").is_in(sorted(hidden)))
    return dataclasses.replace(card, parts=parts, hidden=hidden, explanations=explanations)




# -- numbers: every one through i18n.formatting, as the pages write them -----------------------
def _weight(value: float | None, lang: str) -> str:
    return fmt.number(value, lang, 2)


def _count(value: float | None, lang: str) -> str:
    return fmt.number(value, lang, 0)


def _points(value: float | None, lang: str) -> str:
    """A threshold or goalpost as written in the framework: no decimals when it has none."""
    whole = value is not None and float(value).is_integer()
    return fmt.number(value, lang, 0 if whole else 1)


def _percent(share: float | None, lang: str) -> str:
    return t("method.not_available", lang) if share is None else fmt.percent(share, lang)


def _normalisation_text(ind: Indicator, lang: str) -> str:
    method = ind.normalisation
    if method is Normalisation.GOALPOSTS and ind.goalposts:
        key = "method.goalposts_log" if ind.transform.value == "log" else "method.goalposts"
        text = t(key, lang, low=_points(ind.goalposts[0], lang), high=_points(ind.goalposts[1], lang))
    elif method is Normalisation.TARGET:
        text = t("method.target", lang, target=_points(ind.target, lang))
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
    if ind.counting is not None:  # the rule in words: how this count adds up over time
        text = t(f"counting.card_{ind.counting.value}", lang)
    else:
        text = t(f"method.agg_{ind.aggregation.value}", lang)
    if n_values and n_values > 1:
        return t("method.values_count", lang, aggregation=text, n=_count(n_values, lang))
    return text


# -- the card, section by section --------------------------------------------------------------
def render(card: MethodCard, lang: str = "fr") -> str:
    """The card as plain text lines in ``lang`` (fr, ar or en)."""
    lines = [*_header(card, lang), *([t("scorewire.card_provisional", lang)] if card.provisional else []),
             *_score_lines(card, lang)]
    if card.principle is None:  # the composite: every explanation of the period, after the principles
        lines += _composite_parts(card, lang) + _explanation_lines(card, None, lang)
    else:  # a principle: each explanation under its indicator
        lines += _indicator_parts(card, lang)
    lines += _quality_lines(card.score, lang) + _rank_lines(card.score, lang) + _trend_lines(card, lang)
    return "\n".join(lines)


def _header(card: MethodCard, lang: str) -> list[str]:
    run = card.run
    who = f"{card.org_name} ({card.org_code})" if card.org_name else card.org_code
    return [
        t("method.title", lang, org=who, period=card.period),
        t(
            "method.framework",
            lang,
            name=card.framework.meta.name.get(lang),
            version=run["framework_hash"][:12],
            run=run["id"],
            date=fmt.datetime_text(run["created_at"], lang),
            granularity=t(f"method.granularity_{run['granularity']}", lang),
        ),
    ]


def _score_lines(card: MethodCard, lang: str) -> list[str]:
    """The heading (principle or composite) and the score with its coverage, or why there is none."""
    fw, meta, score = card.framework, card.framework.meta, card.score
    if card.principle is None:
        heading = t("method.composite_heading", lang, name=meta.name.get(lang))
        threshold = meta.composite_threshold
    else:
        principle = fw.principle_by_code[card.principle]
        heading = t("method.principle_heading", lang, code=principle.code, name=principle.name.get(lang))
        threshold = meta.coverage_threshold
    coverage = {"coverage": fmt.percent(score["coverage"], lang), "threshold": fmt.percent(threshold, lang)}
    if score["score"] is None:
        return [heading, t("method.insufficient", lang, **coverage)]
    return [heading, t("method.score", lang, score=fmt.score(score["score"], lang), **coverage)]


def _composite_parts(card: MethodCard, lang: str) -> list[str]:
    """The composite's rule, then each principle's score, coverage and weight."""
    fw = card.framework
    geometric = fw.meta.composite_aggregation is Aggregation.GEOMETRIC
    lines = [t("method.composite_geometric" if geometric else "method.composite_arithmetic", lang)]
    for part in card.parts.iter_rows(named=True):
        key = "method.principle" if part["score"] is not None else "method.principle_missing"
        lines.append(
            t(
                key,
                lang,
                code=part["principle"],
                name=fw.principle_by_code[part["principle"]].name.get(lang),
                score=fmt.score(part["score"], lang),
                coverage=fmt.percent(part["coverage"], lang),
                weight=_weight(part["weight"], lang),
            )
        )
    return lines


def _indicator_parts(card: MethodCard, lang: str) -> list[str]:
    """The principle's rule, then each indicator: withheld, missing, or its value and how it counted."""
    geometric = card.framework.aggregation_of(card.principle) is Aggregation.GEOMETRIC
    lines = [t("method.rule_geometric" if geometric else "method.rule_arithmetic", lang)]
    for part in card.parts.iter_rows(named=True):
        lines += _indicator_lines(card, part, lang)
    return lines


def _indicator_lines(card: MethodCard, part: dict[str, Any], lang: str) -> list[str]:
    fw = card.framework
    ind = fw.indicator_by_code[part["indicator_code"]]
    named = {"code": ind.code, "name": ind.name.get(lang), "weight": _weight(part["weight"], lang)}
    if ind.code in card.hidden:
        return [t("method.indicator_withheld", lang, **named)]
    if part.get("value") is None:
        return [t("method.indicator_missing", lang, **named)]
    normalised = part["normalised"]
    lines = [
        t(
            "method.indicator",
            lang,
            **named,
            value=fmt.number(part["value"], lang, 2),
            unit=fw.unit_of(ind.code).name.get(lang),
            aggregation=_aggregation_text(ind, part.get("n_values"), lang, card.hidden),
            normalised=fmt.number(None if normalised is None else 100.0 * normalised, lang, 1),
            method=_normalisation_text(ind, lang),
        )
    ]
    if part.get("flagged"):
        lines.append(t("method.flagged", lang, z=fmt.number(part["robust_z"], lang, 1)))
    return lines + _explanation_lines(card, ind.code, lang)


def _explanation_lines(card: MethodCard, code: str | None, lang: str) -> list[str]:
    """The organisation's word on its values of indicator ``code`` (``None``: of every indicator):
    "confirmé par l'organisation : …"."""
    if card.explanations is None or card.explanations.is_empty():
        return []
    said = card.explanations if code is None else card.explanations.filter(pl.col("indicator_code") == code)
    lines = []
    for row in said.iter_rows(named=True):
        breakdown = ", ".join(f"{k}={row[k]}" for k in BREAKDOWN_COLUMNS if row.get(k) is not None)
        lines.append(t("explain.card_confirmed", lang, indicator=row["indicator_code"], period=row["period"],
                       breakdown=f" · {breakdown}" if breakdown else "",
                       value=fmt.number(row["value"], lang, 2), text=row["explanation"]))
    return lines


def _quality_lines(score: dict[str, Any], lang: str) -> list[str]:
    if score.get("grade") is None:
        return []
    days = score["timeliness_days"]
    timeliness = (
        t("method.not_available", lang) if days is None else tn("method.days", round(days), lang)
    )
    return [
        t(
            "method.quality",
            lang,
            grade=score["grade"],
            completeness=_percent(score["completeness"], lang),
            grade_completeness=score["grade_completeness"] or fmt.DASH,
            timeliness=timeliness,
            grade_timeliness=score["grade_timeliness"] or fmt.DASH,
            consistency=_count(score["consistency_flags"] or 0, lang),
            grade_consistency=score["grade_consistency"] or fmt.DASH,
            evidence=_percent(score["evidence"], lang),
            grade_evidence=score["grade_evidence"] or fmt.DASH,
        )
    ] + ([tn("explain.card_explained", int(score["consistency_explained"]), lang)]
         if score.get("consistency_explained") else [])


def _rank_lines(score: dict[str, Any], lang: str) -> list[str]:
    if score.get("nominal_rank") is None:
        return []
    rank = {"rank": _count(score["nominal_rank"], lang), "count": _count(score["ranked_count"], lang)}
    if score.get("median_rank") is None:
        return [t("method.rank_nominal", lang, **rank)]
    return [
        t(
            "method.rank_line",
            lang,
            **rank,
            median=fmt.number(score["median_rank"], lang, 1),
            low=_count(score["rank_p05"], lang),
            high=_count(score["rank_p95"], lang),
        )
    ]


def _trend_lines(card: MethodCard, lang: str) -> list[str]:
    trend = card.trend
    if trend is None:
        return []
    sustainability = card.framework.meta.sustainability
    n = _count(trend["n_periods"], lang)
    if trend["trend"] == "insufficient_data":
        return [t("method.trend_too_short", lang, n=n, min=_count(sustainability.min_trend_periods, lang))]
    return [
        tn(
            "method.trend",
            trend["n_periods"],
            lang,
            trend=t(f"method.trend_{trend['trend']}", lang),
            slope=fmt.number(trend["slope"], lang, 1),
            persistence=fmt.percent(trend["persistence"], lang),
            threshold=_points(sustainability.persistence_threshold, lang),
            sustained=t("method.sustained", lang) if trend["sustained"] else "",
        )
    ]
