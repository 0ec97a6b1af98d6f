"""Data quality and submissions: how far each score can be trusted, and what arrived when.

Completeness and timeliness by organisation and period (grades A–D from ``metrics.quality``),
values the scoring run flagged as unusual against the organisation's own history as submitted
(``metrics.outliers``, stored with the run), and the submissions log with each stored validation
report rendered in the reader's language.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, empty, expectations_view, explain_form, tables
from dashboard.cells import Col
from dashboard.context import PageContext, page_context
from dashboard.empty import Why
from dashboard.lookup import labelled
from dashboard.reports import report_table
from ingest.issues import ISSUE_SCHEMA
from store.reads import quality as quality_reads
from store.reads import uploads as uploads_reads

GRADES = ("A", "B", "C", "D")
HEATMAP_ORGS = 40


def _deadline(ctx: PageContext) -> float:
    return float(ctx.framework_in_use.meta.quality.timeliness_days[0])


def _by_period(ctx: PageContext) -> None:
    st.subheader(ctx.t("quality.by_period_title"))
    frame = ctx.q(quality_reads.quality_by_period, ctx.run_id, _deadline(ctx))
    if frame.is_empty():
        empty.group_too_small(ctx)
        return
    stacks = [
        (ctx.t("quality.grade_n", grade=g), frame[g].to_list(), charts.GRADE_COLOURS[g]) for g in GRADES
    ]
    figure = charts.stacked_bars(
        frame["period"].to_list(),
        stacks,
        ctx.t("quality.grades_chart"),
        ctx.t("common.organisations_axis"),
        ctx.lang,
        horizontal=False,
    )
    charts.with_data(
        ctx,
        figure,
        frame.with_columns(period=labelled(frame, "period", ctx.period_label, nulls=True)),
        {
            "period": Col(ctx.t("common.period")),
            "n": Col(ctx.t("common.organisations_n"), "int"),
            "completeness": Col(ctx.t("quality.median_completeness"), "pct"),
            "timeliness_days": Col(ctx.t("common.median_days"), "int"),
            "on_time_share": Col(ctx.t("quality.on_time_share"), "pct"),
            **{g: Col(ctx.t("quality.grade_n", grade=g), "int") for g in GRADES},
        },
        key="quality_periods",
        file_name="athar_quality_by_period.csv",
        caption=ctx.tn("quality.grades_caption", _deadline(ctx)),
    )


def _by_org(ctx: PageContext) -> None:
    st.subheader(ctx.t("quality.by_org_title"))
    frame = ctx.q(quality_reads.quality_table, ctx.run_id, ctx.lang)
    if frame.is_empty():
        empty.show(ctx, Why.NO_DATA, empty.subject(ctx, "quality"))
        return
    if ctx.viewer.role != "member":
        worst = (
            frame.group_by("org_code")
            .agg(pl.col("completeness").mean().alias("mean"))
            .sort("mean", "org_code")
            .head(HEATMAP_ORGS)["org_code"]
            .to_list()
        )
        wide = frame.filter(pl.col("org_code").is_in(worst)).pivot(
            "period", index=["org_code", "name"], values="completeness", aggregate_function="first"
        )
        periods = [p for p in ctx.periods if p in wide.columns]
        order = {c: n for n, c in enumerate(worst)}
        wide = wide.sort(pl.col("org_code").replace_strict(order, default=len(order)))
        figure = charts.heatmap(
            [[None if v is None else 100 * v for v in row] for row in wide.select(periods).rows()],
            periods,
            [
                f"{c} · {n}"[:40]
                for c, n in zip(wide["org_code"].to_list(), wide["name"].to_list(), strict=True)
            ],
            ctx.tn("quality.completeness_chart", len(worst)),
            ctx.t("quality.completeness_axis"),
            ctx.lang,
        )
        charts.show(figure, key="quality_heatmap")
    tables.table(
        ctx,
        expectations_view.with_missing(ctx, frame),
        {
            "org_code": Col(ctx.t("common.code")),
            "name": Col(ctx.t("common.organisation")),
            "period": Col(ctx.t("common.period")),
            "grade": Col(ctx.t("quality.grade")),
            "completeness": Col(ctx.t("quality.completeness"), "pct"),
            "timeliness_days": Col(ctx.t("common.median_days"), "int"),
            "consistency_flags": Col(ctx.t("quality.flags"), "int"),
            "evidence": Col(ctx.t("quality.evidence"), "pct"),
            "missing": Col(expectations_view.text(ctx, "missing_column"), width="large"),
        },
        key="quality_orgs",
        download="athar_quality.csv",
    )


def _flagged(ctx: PageContext) -> None:
    """Values far from the organisation's usual level, as the run flagged them (``metrics.outliers``)."""
    st.subheader(ctx.t("quality.flagged_title"))
    settings = ctx.framework.meta.quality
    frame = ctx.q(quality_reads.unusual_values, ctx.run_id, ctx.lang)
    if frame.is_empty():
        empty.note(
            ctx,
            Why.NO_DATA,
            "quality.no_flagged",
            periods=settings.min_history,
            z=ctx.num(settings.outlier_z, 1),
        )
        return
    frame = frame.with_columns(
        indicator=labelled(frame, "indicator_code", lambda c: f"{c} · {ctx.indicator_name(c)}"),
        breakdown=tables.breakdown_label(ctx, frame),
        unit_label=labelled(frame, "unit", ctx.unit_label),
    )
    total = ctx.t("tables.breakdown.total")
    frame = frame.with_columns(  # "2025-Q4 · Femmes": a breakdown cell named with its period
        period_cell=pl.when(pl.col("breakdown") == total).then(pl.col("period"))
        .otherwise(pl.concat_str("period", "breakdown", separator=ctx.t("tables.breakdown.separator"))))
    # Key columns first (who, what, the value, what it is compared with, and the organisation's
    # explanation): seven, all visible at 1280 px; the code, unit name, history length, breakdown,
    # source and notes go to the downloads (source and notes are beside each value on the profile).
    tables.table(
        ctx,
        expectations_view.with_missing(ctx, frame),
        {
            "name": Col(ctx.t("common.organisation"), width="medium"),
            "indicator": Col(ctx.t("common.indicator"), width="medium"),
            "value": Col(ctx.t("quality.value"), "measure", "small", unit="unit", full=True),
            "usual_level": Col(ctx.t("quality.usual_level"), "measure", "small", unit="unit", full=True),
            "previous_value": Col(ctx.t("quality.previous_value"), "measure", "small", unit="unit", full=True),
            "period_cell": Col(ctx.t("common.period"), width="small"),
            "explanation": explain_form.value_columns(ctx)["explanation"],
        },
        key="quality_flagged",
        download="athar_flagged.csv",
        export_only={
            "org_code": Col(ctx.t("common.code")),
            "breakdown": Col(ctx.t("upload.breakdown")),
            "source": explain_form.value_columns(ctx)["source"],
            "notes": explain_form.value_columns(ctx)["notes"],
            "unit_label": Col(ctx.t("common.unit")),
            "n_periods": Col(ctx.t("quality.history_periods"), "int"),
            "robust_z": Col(ctx.t("tables.quality.gap"), "num1", full=True),
            "explained_by": Col(explain_form.text(ctx, "explained_by")),
            "explained_at": Col(explain_form.text(ctx, "explained_at"), "datetime"),
        },
    )
    st.caption(ctx.t("quality.flagged_caption", z=ctx.num(settings.outlier_z, 1)))
    st.caption(explain_form.text(ctx, "grade_caption"))
    explain_form.explain_stored(ctx, frame)
    st.caption(ctx.t("tables.method_link", page=ctx.t("nav.method")))


def _submissions(ctx: PageContext) -> None:
    st.subheader(ctx.t("quality.log_title"))
    log = ctx.q(uploads_reads.submissions, ctx.lang, None, 500)
    if log.is_empty():
        empty.show(ctx, Why.NO_DATA, empty.subject(ctx, "submissions"), step="upload")
        return
    tables.submission_log(ctx, log, key="quality_log", download="athar_submissions.csv")
    files = dict(zip(log["id"].to_list(), log["file_name"].to_list(), strict=True))
    chosen = st.selectbox(
        ctx.t("quality.pick_submission"),
        list(files),
        key="quality_submission",
        format_func=lambda i: ctx.t("quality.submission_option", id=i, file=files[i]),
    )
    report = ctx.q(uploads_reads.submission_report, chosen)
    if not report:
        st.success(ctx.t("quality.report_clean", id=chosen))
        return
    report_table(ctx, pl.from_dicts(report, schema=ISSUE_SCHEMA), key=f"quality_report_{chosen}")


def render(ctx: PageContext) -> None:
    st.title(ctx.t("quality.title"))
    if ctx.run_id is not None and ctx.periods:
        _by_period(ctx)
        _by_org(ctx)
        _flagged(ctx)
    else:
        empty.show(ctx, Why.NOT_SCORED, empty.subject(ctx, "scores"), step="score")
    _submissions(ctx)


if __name__ == "__main__":
    render(page_context())
