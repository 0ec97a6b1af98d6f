"""The weighting consultation for the steering committee (issue 14), on the Framework page.

The committee opens a consultation on the framework version in use; members propose weights from
their what-if panel (``dashboard.whatif_view``). Here the committee sees how many proposed, the
median proposal against the framework's weights, and the rank shifts adopting it would cause
(``metrics.whatif``); it may adopt the median as a new framework version — recorded, audited and
followed by a scoring request in one transaction (``store.consultation.adopt_median``) — or close
the consultation.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import tables
from dashboard.cells import Col
from dashboard.context import PageContext
from framework import edit as framework_edit
from framework.model import FrameworkError
from metrics import whatif
from store import consultation
from store.reads import common as common_reads
from store.reads import whatif as whatif_reads

_DONE_KEY = "_consult_done"


def render(ctx: PageContext) -> None:
    """The consultation block (steering only; a second lock beside the navigation's)."""
    if ctx.viewer.role != "steering":
        return
    st.subheader(ctx.t("whatif.consult.title"))
    st.caption(ctx.t("whatif.consult.caption"))
    done = st.session_state.pop(_DONE_KEY, None)
    if done:
        st.success(ctx.t(f"whatif.consult.done_{done}"))
    framework = ctx.framework_in_use
    open_one = consultation.current(ctx.store)
    if open_one is None:
        st.caption(ctx.t("whatif.consult.none_open"))
        if st.button(ctx.t("whatif.consult.open"), key="consult_open", icon=":material/how_to_vote:"):
            consultation.open_consultation(ctx.store, framework.content_hash, actor=ctx.actor)
            st.session_state[_DONE_KEY] = "opened"
            st.rerun()
        return
    proposals = consultation.proposals(ctx.store, ctx.viewer, int(open_one["id"]))
    count = proposals.get_column("org_code").n_unique() if proposals.height else 0
    st.markdown(ctx.tn("whatif.consult.count", count, since=ctx.when(open_one["opened_at"]),
                       version=tables.version_label(ctx, open_one["framework_hash"])))
    principles = tuple(p.code for p in framework.principles)
    median = whatif.median_proposal(proposals, principles)
    if median:
        _median_table(ctx, framework, median)
        _shifts(ctx, median)
        _adopt(ctx, framework, median)
    if st.button(ctx.t("whatif.consult.close"), key="consult_close", icon=":material/close:"):
        consultation.close_consultation(ctx.store, actor=ctx.actor)
        st.session_state[_DONE_KEY] = "closed"
        st.rerun()


def _median_table(ctx: PageContext, framework, median: dict[str, float]) -> None:
    base = whatif.framework_weights(framework)
    frame = pl.DataFrame(
        {
            "principle": [ctx.principle_label(code) for code in median],
            "framework": [base.get(code, 0.0) for code in median],
            "median": list(median.values()),
        }
    ).with_columns(change=(pl.col("median") - pl.col("framework")) * 100.0)
    tables.table(
        ctx,
        frame,
        {
            "principle": Col(ctx.t("common.principle"), width="medium"),
            "framework": Col(ctx.t("whatif.consult.framework_weight"), "pct1", "small"),
            "median": Col(ctx.t("whatif.consult.median_weight"), "pct1", "small"),
            "change": Col(ctx.t("whatif.consult.change_points"), "num1", "small"),
        },
        key="consult_median",
    )


def _shifts(ctx: PageContext, median: dict[str, float]) -> None:
    """Per organisation: the rank now and with the median weights, for a period of the latest run."""
    if ctx.run_id is None or not ctx.periods:
        return
    default = ctx.default_period if ctx.default_period in ctx.periods else ctx.periods[-1]
    period = st.selectbox(ctx.t("whatif.consult.period"), ctx.periods, index=ctx.periods.index(default),
                          key="consult_period")
    scores = ctx.q(whatif_reads.principle_scores, ctx.run_id, period)
    if scores.is_empty():
        return
    shifts = whatif.rank_shifts(scores, ctx.framework, median)
    names = ctx.q(common_reads.organisations, ctx.lang).select(pl.col("org_code").alias("unit"), "name")
    moved = shifts.filter(pl.col("shift") != 0).height
    st.markdown(ctx.tn("whatif.consult.moved", moved, period=period))
    tables.table(
        ctx,
        shifts.join(names, on="unit", how="left"),
        {
            "name": Col(ctx.t("common.organisation"), width="medium"),
            "rank_now": Col(ctx.t("whatif.consult.rank_now"), "int", "small"),
            "rank_new": Col(ctx.t("whatif.consult.rank_new"), "int", "small"),
            "shift": Col(ctx.t("whatif.consult.shift"), "int", "small"),
            "composite_now": Col(ctx.t("whatif.published_composite"), "score", "small"),
            "composite_new": Col(ctx.t("whatif.consult.composite_new"), "score", "small"),
            "unit": Col(ctx.t("common.code"), width="small"),
        },
        key="consult_shifts",
        download=f"athar_weight_consultation_{period}.csv",
    )


def _adopt(ctx: PageContext, framework, median: dict[str, float]) -> None:
    """Adopt the median as a new framework version, after an explicit confirmation."""
    confirmed = st.checkbox(ctx.t("whatif.consult.confirm"), key="consult_confirm")
    if not st.button(ctx.t("whatif.consult.adopt"), key="consult_adopt", type="primary",
                     icon=":material/new_releases:", disabled=not confirmed):
        return
    try:
        new = framework_edit.with_principle_weights(framework, median)
    except FrameworkError as exc:
        st.error(ctx.t("framework.invalid"))
        st.markdown("\n".join(f"- {problem}" for problem in exc.texts(ctx.lang)))
        return
    try:
        consultation.adopt_median(ctx.store, new, median, actor=ctx.actor,
                                  source=f"consultation ({ctx.viewer.uploader})")
    except consultation.ConsultationError as exc:
        st.warning(ctx.t(f"whatif.errors.{exc.code}"))
        return
    st.session_state.pop("consult_confirm", None)
    st.session_state[_DONE_KEY] = "adopted"
    st.rerun()
