"""The SDG contribution panel: which SDG goals and targets the viewer's organisations contribute to.

Shown on the overview page of a funder link whose vocabulary is SDG (and, folded, to the committee):
for the link's organisations, principles and period — in the link's pinned run — each goal with the
organisations reporting to it, then each target with its indicators, one figure per indicator
(``metrics.sdg``: never a sum across indicators). Layout only: reads in ``store.reads.sdg``.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import empty, tables
from dashboard.cells import Col
from dashboard.context import PageContext
from dashboard.empty import Why
from dashboard.folds import folded
from dashboard.lookup import labelled
from framework.mappings import sdg_pairs
from i18n import t
from metrics import sdg
from store.reads import sdg as sdg_reads


def _figure_text(ctx: PageContext, row: dict) -> str:
    unit = ctx.unit_name(row["indicator_code"])
    kind = row["figure"]
    if kind == "reach":
        return ctx.t("vocab.figure_reach", low=ctx.num(row["low"]), high=ctx.num(row["high"]), unit=unit)
    if kind == "share":
        return ctx.t("vocab.figure_share", share=ctx.pct(row["high"]))
    digits = 0 if float(row["high"]).is_integer() else 1
    key = "vocab.figure_total" if kind == "total" else "vocab.figure_median"
    return ctx.t(key, value=ctx.num(row["high"], digits), unit=unit)


def _goal(ctx: PageContext, goal: int) -> str:
    return ctx.t("vocab.goal", goal=goal)


def _goals(ctx: PageContext, reporting: pl.DataFrame) -> None:
    targets = (
        reporting.filter(pl.col("target").is_not_null())
        .group_by("goal", maintain_order=True)
        .agg(targets=pl.col("target").str.join(t("vocab.separator", ctx.lang)))
    )
    goals = (
        reporting.filter(pl.col("target").is_null())
        .join(targets, on="goal", how="left", maintain_order="left")
    )
    goals = goals.with_columns(goal_label=labelled(goals, "goal", lambda g: _goal(ctx, g), nulls=True))
    tables.table(
        ctx,
        goals,
        {
            "goal_label": Col(ctx.t("vocab.goal_column"), "text", "small"),
            "targets": Col(ctx.t("vocab.targets_column"), "text", "medium"),
            "orgs": Col(ctx.t("vocab.orgs_column"), "int", "small"),
        },
        key="sdg_goals",
    )


def _targets(ctx: PageContext, rows: pl.DataFrame, period: str) -> None:
    figure = ["indicator_code", "figure", "low", "high"]
    shown = rows.with_columns(
        goal_label=labelled(rows, "goal", lambda g: _goal(ctx, g), nulls=True),
        indicator=labelled(rows, "indicator_code", ctx.indicator_label),
        figure_text=labelled(
            rows, figure, lambda *row: _figure_text(ctx, dict(zip(figure, row, strict=True))), nulls=True
        ),
    )
    tables.table(
        ctx,
        shown,
        {
            "goal_label": Col(ctx.t("vocab.goal_column"), "text", "small"),
            "target": Col(ctx.t("vocab.target_column"), "code", "small"),
            "target_orgs": Col(ctx.t("vocab.target_orgs_column"), "int", "small"),
            "indicator": Col(ctx.t("common.indicator"), "text", "medium"),
            "orgs": Col(ctx.t("vocab.orgs_column"), "int", "small"),
            "figure_text": Col(ctx.t("vocab.figure_column"), "text", "medium"),
        },
        key="sdg_targets",
        download=f"athar_sdg_{period}.csv",
    )


def panel(ctx: PageContext, period: str) -> None:
    """The panel for ``period`` in the run the viewer reads (a pinned link's own)."""
    st.subheader(ctx.t("vocab.panel_title", period=period))
    st.caption(ctx.t("vocab.panel_caption", run=ctx.run_id))
    pairs = sdg_pairs(ctx.framework).filter(pl.col("indicator_code").is_in(ctx.indicator_codes))
    if pairs.is_empty():
        empty.note(ctx, Why.OUT_OF_SCOPE if ctx.viewer.role == "funder" else Why.NO_DATA, "vocab.panel_unmapped")
        return
    reporting = ctx.q(sdg_reads.target_reporting, ctx.run_id, period)
    figures = sdg.indicator_figures(ctx.q(sdg_reads.indicator_totals, ctx.run_id, period), ctx.framework)
    rows = sdg.contributions(figures, pairs, reporting)
    if rows.is_empty():
        reason = Why.BELOW_THRESHOLD if ctx.viewer.min_group > 1 else Why.NO_DATA
        empty.show(ctx, reason, ctx.t("vocab.panel_subject", period=period))
        return
    _goals(ctx, reporting)
    _targets(ctx, rows, period)
    st.caption(ctx.t("vocab.panel_method"))


def overview_panel(ctx: PageContext, period: str) -> None:
    """The overview page's call: a funder whose link speaks SDG sees the panel; the committee, folded."""
    if ctx.viewer.role == "funder" and ctx.vocabulary == "sdg":
        panel(ctx, period)
    elif ctx.viewer.role == "steering":
        box = folded(ctx.t("vocab.panel_committee"), key="overview_sdg")
        with box:
            if box.open:  # built only once opened (dashboard.folds): two tables on every overview run
                panel(ctx, period)
