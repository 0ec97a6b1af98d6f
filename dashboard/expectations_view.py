"""Expected indicators and progress towards targets, shown on the Profile, Data quality and
Sustainability pages; the steering committee edits them on the Profile page (audited).

Missing indicators are those the run expected of the organisation (``score_expected``), never the
whole catalogue; progress is the share of the way from the baseline to the target
(``metrics.progress``), formatted for the reader's language.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import tables, widgets
from dashboard.cells import Col
from dashboard.context import PageContext
from dashboard.folds import folded
from dashboard.lookup import labelled
from i18n import formatting as fmt
from i18n import t
from metrics.expectations import expected_indicators
from metrics.progress import progress
from store import expectations as expectation_store
from store.reads import targets as target_reads


def text(ctx: PageContext, key: str, **params: object) -> str:
    return t(f"expect.page.{key}", ctx.lang, **params)


def _names(ctx: PageContext, codes: list[str]) -> str:
    """Indicators as « CODE name », joined the way the language lists things."""
    separator = "، " if ctx.rtl else ", "
    return separator.join(f"{ctx.bdi(code)} {ctx.indicator_name(code)}" for code in codes)


def missing_expected(ctx: PageContext, org_code: str, period: str) -> None:
    """The indicators this organisation is expected to report and did not, for ``period``."""
    expected = ctx.q(target_reads.expected_reported, ctx.run_id, period, org_code)
    if expected.is_empty():  # a run recorded before expectations: it cannot say
        return
    codes = expected.filter(~pl.col("reported")).get_column("indicator_code").to_list()
    if codes:
        st.markdown(f"**{text(ctx, 'missing_heading', period=period)}** — {_names(ctx, codes)}",
                    unsafe_allow_html=ctx.rtl)
    else:
        st.markdown(text(ctx, "missing_none", period=period))
    st.caption(text(ctx, "missing_caption"))


def with_missing(ctx: PageContext, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (org_code, period) with ``missing``: the expected indicators not reported, as one text."""
    gaps = ctx.q(target_reads.expected_gaps, ctx.run_id).group_by("org_code", "period", maintain_order=True).agg(
        missing=pl.col("indicator_code").str.join("، " if ctx.rtl else ", "))
    return frame.join(gaps, on=["org_code", "period"], how="left")


def _value_text(ctx: PageContext, frame: pl.DataFrame, column: str) -> pl.Series:
    """A number as the language writes it, whole numbers without decimals (once per distinct value)."""
    return labelled(
        frame, column, lambda v: fmt.number(v, ctx.lang, 0 if v is None or float(v).is_integer() else 1), nulls=True
    )


def progress_table(ctx: PageContext, org_code: str | None, *, key: str) -> None:
    """Value vs baseline vs target and the share of the way, for one organisation or every visible one."""
    rows = ctx.q(target_reads.targets_progress, ctx.run_id, ctx.lang, org_code)
    if rows.is_empty():
        st.info(text(ctx, "progress_empty"))
        return
    directions = {i.code: i.direction.value for i in ctx.framework.indicators}
    shown = progress(rows, directions)
    shown = shown.with_columns(
        indicator=labelled(shown, "indicator_code", lambda c: f"{c} {ctx.indicator_name(c)}", nulls=True),
        value_text=_value_text(ctx, shown, "value"),
        baseline_text=_value_text(ctx, shown, "baseline"),
        target_text=_value_text(ctx, shown, "target"),
        origin_text=labelled(shown, "origin", lambda o: text(ctx, f"origin_{o}"), nulls=True),
    )
    columns = {"name": Col(text(ctx, "organisation"), width="medium")} if org_code is None else {}
    columns |= {
        "indicator": Col(text(ctx, "indicator"), width="medium"),
        "value_text": Col(text(ctx, "value")),
        "period": Col(text(ctx, "period")),
        "baseline_text": Col(text(ctx, "baseline")),
        "target_text": Col(text(ctx, "target")),
        "progress": Col(text(ctx, "progress"), "pct"),
        "reached": Col(text(ctx, "achieved"), "bool"),
        "origin_text": Col(text(ctx, "origin")),
    }
    tables.table(ctx, shown, columns, key=key)
    st.caption(text(ctx, "progress_caption"))


def committee_editor(ctx: PageContext, org_code: str) -> None:
    """Steering committee only: the organisation's expected indicators and one target at a time."""
    if ctx.viewer.role != "steering":
        return
    box = folded(text(ctx, "edit_heading"), key="targets_editor")
    with box:
        if not box.open:  # built only once opened (dashboard.folds)
            return
        _expected_form(ctx, org_code)
        _target_form(ctx, org_code)


def _expected_form(ctx: PageContext, org_code: str) -> None:
    fw = ctx.framework_in_use
    facts = ctx.q(target_reads.expectation_facts, org_code)
    overrides = ctx.q(target_reads.expectation_overrides, org_code)
    rules = set(expected_indicators(fw, facts).get_column("indicator_code").to_list())
    current = set(expected_indicators(fw, facts, overrides).get_column("indicator_code").to_list())
    options = list(fw.required_indicators)
    with st.form(f"expect_form_{org_code}"):
        chosen = set(widgets.multiselect(ctx, text(ctx, "expected_label"), options, default=sorted(current & set(options)),
                                    format_func=lambda c: f"{c} {ctx.indicator_name(c)}",
                                    help=text(ctx, "expected_help"), key=f"expect_chosen_{org_code}"))
        if not st.form_submit_button(text(ctx, "save_expected")):
            return
    existing = dict(zip(overrides["indicator_code"].to_list(), overrides["expected"].to_list(), strict=True))
    add = sorted(c for c in chosen - rules if existing.get(c) is not True)
    remove = sorted(c for c in rules - chosen if existing.get(c) is not False)
    reset = sorted(c for c in existing if c not in (chosen - rules) | (rules - chosen))
    if not (add or remove or reset):
        return
    try:
        expectation_store.set_expectations(ctx.store, org_code, add=add, remove=remove, reset=reset,
                                           known_indicators=set(options), actor=ctx.actor, source="dashboard")
    except expectation_store.ExpectationError as exc:
        st.error(exc.message(ctx.lang))
        return
    st.success(text(ctx, "saved_expected"))


def _target_form(ctx: PageContext, org_code: str) -> None:
    fw = ctx.framework_in_use
    options = list(fw.required_indicators)
    with st.form(f"target_form_{org_code}"):
        indicator = st.selectbox(text(ctx, "target_indicator"), options, key=f"target_indicator_{org_code}",
                                 format_func=lambda c: f"{c} {ctx.indicator_name(c)}")
        baseline = st.number_input(text(ctx, "target_baseline"), value=None, key=f"target_baseline_{org_code}")
        target = st.number_input(text(ctx, "target_value"), value=None, key=f"target_value_{org_code}")
        if not st.form_submit_button(text(ctx, "save_target")):
            return
    try:
        expectation_store.set_target(ctx.store, org_code, indicator, baseline=baseline, target=target,
                                     known_indicators=set(options), actor=ctx.actor, source="dashboard")
    except expectation_store.ExpectationError as exc:
        st.error(exc.message(ctx.lang))
        return
    st.success(text(ctx, "saved_target"))
