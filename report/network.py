"""The network report for the steering committee: every organisation, region and principle of a
period, laid out with the card's templates and CSS (``report.render``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from framework.model import Framework, framework_from_dict
from i18n import formatting as fmt
from i18n import t
from report import render
from report.card_data import check_period, region_names, run_for
from report.render import DASH, esc, tr
from store.db import Store
from store.reads import compare as compare_reads
from store.reads import overview as overview_reads
from store.report_cards import CardRefused
from store.viewer import Viewer


@dataclass(frozen=True)
class NetworkData:
    lang: str
    period: str
    run: dict[str, Any]
    framework: Framework
    #: One row per organisation: org_code, name, region, score, ranks, coverage, grade (the composite).
    organisations: pl.DataFrame
    #: Per principle (None: composite): n, q1, median, q3.
    distribution: pl.DataFrame
    #: Per region: region, n, value (median composite).
    regions: pl.DataFrame


def gather(store: Store, viewer: Viewer, period: str, lang: str) -> NetworkData:
    """The period's network picture; the committee only (:class:`CardRefused` otherwise)."""
    if viewer.role != "steering":
        raise CardRefused("network_committee_only")
    run = run_for(store, viewer)
    run_id = int(run["id"])
    check_period(store, viewer, run_id, period)
    scores = compare_reads.period_scores(store, viewer, run_id, period, lang)
    return NetworkData(
        lang=lang,
        period=period,
        run=run,
        framework=framework_from_dict(run["framework"]),
        organisations=scores.filter(pl.col("principle").is_null()).sort("nominal_rank", "org_code", nulls_last=True),
        distribution=overview_reads.score_distribution(store, viewer, run_id, period),
        regions=overview_reads.region_scores(store, viewer, run_id, period, None),
    )


def _organisations(data: NetworkData) -> str:
    lang, names = data.lang, region_names()
    rows = [
        (
            f'<span class="code">{esc(r["org_code"])}</span> · {esc(r["name"])}',
            esc(names.get(r["region"] or "", {}).get(lang, r["region"] or DASH)),
            esc(fmt.score(r["score"], lang)),
            render.rank(r, lang),
            render.interval(r, lang),
            esc(fmt.percent(r["coverage"], lang)),
            esc(r["grade"] or DASH),
        )
        for r in data.organisations.iter_rows(named=True)
    ]
    headers = [(tr("organisation", lang), False), (tr("region", lang), False), (tr("composite", lang), True),
               (tr("rank", lang), False), (tr("rank_interval", lang), True), (tr("coverage", lang), True),
               (tr("grade", lang), True)]
    return f"<h2>{tr('network_orgs_heading', lang)}</h2>{render.table(headers, rows, lang)}"


def _principles(data: NetworkData) -> str:
    lang = data.lang
    fw = data.framework

    def label(code: str | None) -> str:
        if code is None:
            return t("card.composite", lang)
        principle = fw.principle_by_code.get(code)
        return f"{code} · {principle.name.get(lang) if principle else code}"

    rows = [
        (esc(label(r["principle"])), esc(fmt.number(r["n"], lang)), esc(fmt.score(r["q1"], lang)),
         esc(fmt.score(r["median"], lang)), esc(fmt.score(r["q3"], lang)))
        for r in data.distribution.iter_rows(named=True)
    ]
    headers = [(tr("principle", lang), False), (tr("organisations_n", lang), True), (tr("q1", lang), True),
               (tr("median", lang), True), (tr("q3", lang), True)]
    return f"<h2>{tr('network_principles_heading', lang)}</h2>{render.table(headers, rows, lang)}"


def _regions(data: NetworkData) -> str:
    lang, names = data.lang, region_names()
    rows = [
        (esc(names.get(r["region"], {}).get(lang, r["region"])), esc(fmt.number(r["n"], lang)),
         esc(fmt.score(r["value"], lang)))
        for r in data.regions.iter_rows(named=True)
    ]
    headers = [(tr("region", lang), False), (tr("organisations_n", lang), True), (tr("median", lang), True)]
    return f"<h2>{tr('network_regions_heading', lang)}</h2>{render.table(headers, rows, lang)}"


def html(data: NetworkData, generated_at: datetime) -> str:
    lang = data.lang
    count = data.organisations.filter(pl.col("score").is_not_null()).height
    body = (
        f"<h1>{tr('network_title', lang)}</h1>"
        f'<p class="subtitle">{tr("period_value", lang, period=data.period)} '
        f'<span class="view">{tr("view_steering", lang)}</span></p>'
        f"<p>{tr('network_count', lang, count=fmt.number(count, lang), period=data.period)}</p>"
        + _principles(data) + _regions(data) + _organisations(data) + render.method_box(data.run, lang)
    )
    line = render.verification(int(data.run["id"]), data.run["framework_hash"], None, generated_at, lang)
    return render.page(lang, esc(f"{t('card.network_title', lang)} — {data.period}"), line, body)
