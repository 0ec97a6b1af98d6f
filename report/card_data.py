"""What one report card shows, gathered through the same scoped reads as the profile page.

Every frame comes from ``store.reads`` with the caller's :class:`~store.viewer.Viewer`, so the scope
(a funder link's organisations, principles, periods and pinned run) is applied in SQL and the card
inherits it. An organisation or period outside the viewer's scope is refused with
:class:`~store.report_cards.CardRefused`, never answered with an empty card.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

import settings
from framework import periods as period_rules
from framework.model import Framework, framework_from_dict
from store.db import Store
from store.reads import common as common_reads
from store.reads import narratives as narrative_reads
from store.reads import profile as profile_reads
from store.reads import targets as target_reads
from store.report_cards import CardRefused
from store.viewer import Viewer

GEOJSON = Path(__file__).resolve().parent.parent / "data" / "geo" / "morocco-regions.geojson"


@cache
def region_names() -> dict[str, dict[str, str]]:
    """Region code → {fr, ar, en} name (the GeoJSON the dashboard serves, read from data/geo)."""
    data = json.loads(GEOJSON.read_text(encoding="utf-8"))
    return {
        f["id"]: {lang: f["properties"].get(f"name_{lang}") or f["id"] for lang in ("fr", "ar", "en")}
        for f in data["features"]
    }


@dataclass(frozen=True)
class CardData:
    """Everything one card prints, already scoped; names and units in the card's language."""

    lang: str
    org_code: str
    org_name: str
    kind: str | None
    region: str | None
    period: str
    run: dict[str, Any]
    framework: Framework
    viewer: Viewer
    #: The composite's score row in ``period`` (``None``: out of the viewer's scope or not scored).
    composite: dict[str, Any] | None
    #: principle, name, score, coverage, ranks, quality columns — principles in scope, framework order.
    principles: pl.DataFrame
    #: indicator_code, name, unit, value, normalised, flagged.
    indicators: pl.DataFrame
    #: indicator_code, name, unit, baseline, baseline_period, target, target_period, value, period, progress.
    targets: pl.DataFrame
    #: principle (None: composite), trend, slope, n_periods, last_period, sustained.
    trends: pl.DataFrame
    #: period, principle, score: the complete periods up to ``period`` (the trend chart).
    history: pl.DataFrame
    #: principle, lang, text, evidence_url, provisional.
    narratives: pl.DataFrame
    provisional: bool

    @property
    def link_id(self) -> int | None:
        return self.viewer.link.link_id if self.viewer.link is not None else None

    def principle_name(self, code: str | None) -> str:
        principle = self.framework.principle_by_code.get(code or "")
        return principle.name.get(self.lang) if principle else (code or "")


def _today(viewer: Viewer, run: dict[str, Any]) -> date:
    """The date periods are judged at, as the dashboard takes it; a pinned link's at its run's date."""
    fixed = settings.get("ATHAR_TEST_TODAY")
    now = date.fromisoformat(str(fixed)) if fixed else date.today()
    made = run["created_at"]
    return min(now, made.date() if isinstance(made, datetime) else made) if viewer.pinned_run else now


def run_for(store: Store, viewer: Viewer) -> dict[str, Any]:
    """The run the viewer reads (a pinned link's own run), or :class:`CardRefused`."""
    run = common_reads.latest_run(store, viewer)
    if run is None:
        raise CardRefused("not_scored")
    return run


def check_period(store: Store, viewer: Viewer, run_id: int, period: str) -> None:
    """Refuse a malformed period, or one the viewer may not see in its run."""
    if not period_rules.is_label(period):
        raise CardRefused("bad_period", period=period)
    if period not in common_reads.run_periods(store, viewer, run_id):
        raise CardRefused("period_out_of_scope", period=period)


def _names(framework: Framework, lang: str, codes: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The indicator's name and its unit in words (as the profile shows them), vectorised."""
    names = {i.code: i.name.get(lang) for i in framework.indicators}
    units = {i.code: framework.unit_of(i.code).name.get(lang) for i in framework.indicators}
    return (
        codes.replace_strict(names, default=codes, return_dtype=pl.String).alias("name"),
        codes.replace_strict(units, default=pl.lit(""), return_dtype=pl.String).alias("unit"),
    )


def _principle_rows(framework: Framework, viewer: Viewer, scores: pl.DataFrame, lang: str) -> pl.DataFrame:
    allowed = viewer.principles
    codes = [p.code for p in framework.principles if allowed is None or p.code in allowed]
    order = pl.DataFrame(
        {"principle": codes, "name": [framework.principle_by_code[c].name.get(lang) for c in codes]},
        schema={"principle": pl.String, "name": pl.String},
    )
    return order.join(scores.filter(pl.col("principle").is_not_null()), on="principle", how="left")


def _history(scores: pl.DataFrame, states: pl.DataFrame, period: str) -> pl.DataFrame:
    partial = states.filter(~pl.col("complete"))["period"].to_list() if states.height else []
    return scores.filter(
        (pl.col("period") <= period) & (~pl.col("period").is_in(partial) | (pl.col("period") == period))
    ).select("period", "principle", "score")


def _targets(store: Store, viewer: Viewer, run_id: int, lang: str, org_code: str, fw: Framework) -> pl.DataFrame:
    frame = target_reads.targets_progress(store, viewer, run_id, lang, org_code)
    name, unit = _names(fw, lang, pl.col("indicator_code"))
    gap = pl.col("target") - pl.col("baseline")
    return frame.with_columns(
        name,
        unit,
        progress=pl.when(gap.abs() > 0).then((pl.col("value") - pl.col("baseline")) / gap).otherwise(None),
    )


def gather(store: Store, viewer: Viewer, org_code: str, period: str, lang: str) -> CardData:
    """One card's content for ``viewer``; :class:`CardRefused` when the organisation or period is not
    the viewer's to see (or a funder link does not open the profile page)."""
    if viewer.link is not None and not viewer.allows_page("profile"):
        raise CardRefused("link_no_profile", link=viewer.link.link_id)
    run = run_for(store, viewer)
    run_id = int(run["id"])
    orgs = common_reads.organisations(store, viewer, lang).filter(pl.col("org_code") == org_code)
    if orgs.is_empty():
        raise CardRefused("org_out_of_scope", org=org_code)
    check_period(store, viewer, run_id, period)
    fw = framework_from_dict(run["framework"])
    org = orgs.row(0, named=True)
    scores = profile_reads.org_scores(store, viewer, run_id, org_code)
    now = scores.filter(pl.col("period") == period)
    composite = now.filter(pl.col("principle").is_null())
    states = period_rules.period_states(
        common_reads.period_reporting(store, viewer, run_id),
        today=_today(viewer, run),
        deadline_days=float(fw.meta.quality.timeliness_days[0]),
        share=float(settings.get("ATHAR_COMPLETE_SHARE")),
    )
    name, unit = _names(fw, lang, pl.col("indicator_code"))
    indicators = profile_reads.org_indicators(store, viewer, run_id, org_code, period).with_columns(name, unit)
    trends = profile_reads.org_trends(store, viewer, run_id, org_code).filter(pl.col("indicator_code").is_null())
    provisional = common_reads.provisional_scores(store, viewer, run_id, period)
    return CardData(
        lang=lang,
        org_code=org_code,
        org_name=org["name"] or org_code,
        kind=org["kind"],
        region=region_names().get(org["region"] or "", {}).get(lang, org["region"]),
        period=period,
        run=run,
        framework=fw,
        viewer=viewer,
        composite=composite.row(0, named=True) if composite.height else None,
        principles=_principle_rows(fw, viewer, now, lang),
        indicators=indicators,
        targets=_targets(store, viewer, run_id, lang, org_code, fw),
        trends=trends,
        history=_history(scores, states, period),
        narratives=narrative_reads.narratives(store, viewer, org_code, period),
        provisional=org_code in provisional["org_code"].to_list(),
    )
