"""How scores are computed, in plain words, generated from the framework actually in use.

Every number in the text (thresholds, weights, draws, goalposts) is read from the framework
and the run's recorded method, so the explanation cannot drift from what the engine did.
"""

from __future__ import annotations

from dataclasses import dataclass

from framework.groups import MIN_GROUP
from framework.model import Aggregation, Counting, Framework, Normalisation
from i18n import formatting as fmt
from i18n import t, tn


@dataclass(frozen=True)
class Section:
    title: str
    body: str


def _t(key: str, lang: str, **params: object) -> str:
    return t(f"dashboard.method.{key}", lang, **params)


def _join(items: list[str], lang: str) -> str:
    """``A, B et C`` / ``A، B وC``: the language's list pattern (i18n.formatting.join_list)."""
    return fmt.join_list(items, lang)


def sections(framework: Framework, lang: str, granularity: str, run_id: int | None = None) -> list[Section]:
    """The explanation, section by section (markdown bodies)."""
    meta = framework.meta
    n = lambda v, d=0: fmt.number(v, lang, d)
    pct = lambda v: fmt.percent(v, lang)
    principles = _join(
        [
            f"{p.code} « {p.name.get(lang)} »" if lang == "fr" else f"{p.code} “{p.name.get(lang)}”"
            for p in framework.principles
        ],
        lang,
    )
    weights_equal = len({p.weight for p in framework.principles}) == 1
    agg = lambda a: _t(f"agg_{Aggregation(a).value}", lang)
    robustness = meta.robustness
    quality = meta.quality
    sustain = meta.sustainability
    out = [
        Section(
            _t("s_overview", lang),
            _t(
                "overview",
                lang,
                name=meta.name.get(lang),
                count=len(framework.principles),
                principles=principles,
                indicators=len(framework.scored_indicators),
            ),
        ),
        Section(_t("s_period", lang), _t("period", lang, granularity=_t(f"granularity_{granularity}", lang))),
        *_counting(framework, lang),
        Section(_t("s_normalise", lang), _t("normalise", lang) + "\n\n" + _normalisations(framework, lang)),
        Section(
            _t("s_principle", lang),
            _t(
                "principle",
                lang,
                rule=agg(meta.principle_aggregation),
                threshold=pct(meta.coverage_threshold),
            ),
        ),
        Section(
            _t("s_composite", lang),
            _t(
                "composite",
                lang,
                rule=agg(meta.composite_aggregation),
                threshold=pct(meta.composite_threshold),
                weights=_t("weights_equal" if weights_equal else "weights_unequal", lang),
            )
            + (
                " " + _t("geometric_note", lang)
                if meta.composite_aggregation is Aggregation.GEOMETRIC
                else ""
            ),
        ),
        Section(
            _t("s_uncertainty", lang),
            _t(
                "uncertainty",
                lang,
                draws=n(robustness.draws),
                concentration=n(robustness.concentration),
                normalisations=_join([_t(f"norm_{m.value}", lang) for m in robustness.normalisations], lang),
                aggregations=_join([agg(a) for a in robustness.aggregations], lang),
            ),
        ),
        Section(
            _t("s_quality", lang),
            _t(
                "quality",
                lang,
                c_a=pct(quality.completeness[0]),
                c_b=pct(quality.completeness[1]),
                c_c=pct(quality.completeness[2]),
                t_a=n(quality.timeliness_days[0]),
                t_b=n(quality.timeliness_days[1]),
                t_c=n(quality.timeliness_days[2]),
                z=n(quality.outlier_z, 1),
                history=n(quality.min_history),
                e_a=pct(quality.evidence[0]),
            ),
        ),
        Section(
            _t("s_sustain", lang),
            _t(
                "sustain",
                lang,
                periods=n(sustain.trend_periods),
                min=n(sustain.min_trend_periods),
                band=n(sustain.stable_band, 1),
                threshold=n(sustain.persistence_threshold),
                sustained=n(sustain.sustained_periods),
            ),
        ),
        Section(_t("s_peers", lang), tn("dashboard.method.peers", MIN_GROUP, lang)),
    ]
    if run_id is not None:
        out.append(
            Section(_t("s_trace", lang), _t("trace", lang, run=run_id, version=framework.content_hash[:12]))
        )
    return out


def _counting(framework: Framework, lang: str) -> list[Section]:
    """How each count adds up over time (flow, stock, unique to date), and why reach is a range."""
    lines = []
    for rule in Counting:
        codes = [i.code for i in framework.indicators if i.counting is rule]
        if codes:
            lines.append(f"- {t(f'counting.card_{rule.value}', lang)} ({_join(codes, lang)})")
    if not lines:  # a framework that declares no counting rule: the aggregation section says it all
        return []
    body = "\n".join([t("dashboard.counting.method_intro", lang), "", *lines, "", t("dashboard.counting.method_reach", lang),
                      "", t("overlap.method_programmes", lang)])
    return [Section(t("dashboard.counting.method_title", lang), body)]


def _normalisations(framework: Framework, lang: str) -> str:
    """One line per kind of normalisation used, with an example indicator."""
    lines = []
    for ind in framework.scored_indicators:
        if ind.normalisation is Normalisation.GOALPOSTS and ind.goalposts:
            key = "goalposts_line_log" if ind.transform.value == "log" else "goalposts_line"
            text = _t(
                key,
                lang,
                code=ind.code,
                name=ind.name.get(lang),
                low=fmt.number(ind.goalposts[0], lang, 0),
                high=fmt.number(ind.goalposts[1], lang, 0),
                unit=framework.unit_of(ind.code).name.get(lang),
            )
        else:
            text = _t(
                "other_line",
                lang,
                code=ind.code,
                name=ind.name.get(lang),
                method=_t(f"norm_{ind.normalisation.value}", lang),
            )
        if ind.direction.value == "down":
            text += " " + _t("reversed", lang)
        lines.append(f"- {text}")
    return "\n".join(lines)
