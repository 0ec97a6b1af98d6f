"""What-if principle weights (issue 14): move the weights, see the composite and rank move — a simulation.

Shown on the Compare and Profile pages (one call each). Nothing here writes to the store: the
simulation (``metrics.whatif.simulate``) works on the stored principle scores the viewer's scope
allows (``store.reads.whatif``), and its result lives only on the screen, labelled as a simulation.
A member sees its own simulated composite and rank against the anonymised network, never another
organisation; a funder the link's organisations, only when the link has every principle. During a
weighting consultation a member may propose the weights it set (``store.consultation.propose``,
audited) — the one write, behind its own button.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import tables, widgets
from dashboard.cells import Col
from dashboard.context import PageContext
from dashboard.folds import folded
from framework.model import Framework
from metrics import whatif
from store import consultation
from store.reads import common as common_reads
from store.reads import whatif as whatif_reads

_PREFIX = "whatif_w_"
#: The weights last chosen, kept beside the sliders' own state: Streamlit drops a widget's state when a
#: run does not draw it, and the panel is drawn only while open (``dashboard.folds``).
_KEPT = "whatif_kept_weights"


def weight_key(code: str) -> str:
    """The session key of a principle's slider."""
    return f"{_PREFIX}{code}"


#: Steps between no weight and three times the heaviest principle's.
_STEPS = 60


def weight_steps(framework: Framework) -> list[float]:
    """The weights a slider offers: 0 to three times the heaviest weight in twentieths of it, and the
    framework's own weights (so the reset lands on a step)."""
    top = max(p.weight for p in framework.principles)
    grid = {round(top * n / 20, 6) for n in range(_STEPS + 1)}
    return sorted(grid | {float(p.weight) for p in framework.principles})


def weight_text(ctx: PageContext, steps: list[float]) -> dict[float, str]:
    """Each step as the page writes numbers (``1,00`` in French, ``1.00`` in English; Arabic through
    ``i18n.formatting``): two decimals, more only when two would write two steps alike."""
    for digits in (2, 3, 4):
        texts = {step: ctx.num(step, digits) for step in steps}
        if len(set(texts.values())) == len(steps):
            break
    return texts


def _nearest(value: float, steps: list[float]) -> float:
    return min(steps, key=lambda step: abs(step - value))


def _reset(framework: Framework) -> None:
    for p in framework.principles:
        st.session_state[weight_key(p.code)] = float(p.weight)
    st.session_state.pop(_KEPT, None)


def sliders(ctx: PageContext, framework: Framework) -> dict[str, float]:
    """One slider per principle (starting at the framework's weights, or at the weights this session
    last chose: the panel is built only while open, :data:`_KEPT`) and a reset; the chosen weights.

    A select slider over the steps, labelled through the locale's number format (Streamlit's own
    slider writes ``1.00`` on a French or Arabic page)."""
    steps = weight_steps(framework)
    texts = weight_text(ctx, steps)
    columns = st.columns(min(len(framework.principles), 5))
    kept = st.session_state.get(_KEPT, {})
    chosen: dict[str, float] = {}
    for n, p in enumerate(framework.principles):
        key = weight_key(p.code)
        if st.session_state.get(key) not in texts:
            st.session_state[key] = _nearest(float(kept.get(p.code, p.weight)), steps)
        with columns[n % len(columns)]:
            chosen[p.code] = st.select_slider(ctx.principle_label(p.code), steps, format_func=texts.__getitem__,
                                              key=key)
    st.session_state[_KEPT] = dict(chosen)
    st.button(ctx.t("whatif.reset"), key="whatif_reset", on_click=_reset, args=(framework,),
              icon=":material/restart_alt:")
    return chosen


def _shares_text(ctx: PageContext, shares: dict[str, float], framework: Framework) -> str:
    base = whatif.framework_weights(framework)
    return " · ".join(
        ctx.t("whatif.share", code=code, share=ctx.pct(share), framework=ctx.pct(base[code]))
        for code, share in shares.items()
    )


def render(ctx: PageContext, period: str, org_code: str | None = None) -> None:
    """The panel for ``period``: every organisation the viewer sees (Compare), or ``org_code`` (Profile)."""
    if ctx.run_id is None:
        return
    box = folded(ctx.t("whatif.title"), key="whatif", icon=":material/tune:")
    with box:
        if not box.open:  # built only once opened (dashboard.folds)
            return
        st.markdown(widgets.badge(ctx.t("whatif.simulation")), unsafe_allow_html=True)
        st.caption(ctx.t("whatif.caption"))
        if ctx.viewer.principles is not None:
            st.info(ctx.t("whatif.needs_all_principles"), icon=":material/lock:")
            return
        scores = ctx.q(whatif_reads.principle_scores, ctx.run_id, period)
        if scores.is_empty():
            st.info(ctx.t("whatif.no_scores", period=period), icon=":material/info:")
            return
        framework = ctx.framework
        chosen = sliders(ctx, framework)
        try:
            shares = whatif.normalised(chosen, tuple(chosen))
        except whatif.WeightsError:
            st.warning(ctx.t("whatif.all_zero"))
            return
        shares_map = dict(zip(chosen, shares.tolist(), strict=True))
        st.caption(_shares_text(ctx, shares_map, framework))
        simulated = whatif.simulate(scores, framework, shares_map, key=period)
        published = ctx.q(whatif_reads.published_composite, ctx.run_id, period)
        units = [org_code] if org_code is not None else published.get_column("unit").to_list()
        if ctx.viewer.role == "member":
            units = [ctx.viewer.org_code]
        _result(ctx, simulated, published, units, period)
        if ctx.viewer.role == "member":
            _propose(ctx, shares_map)


def _result(ctx: PageContext, simulated: pl.DataFrame, published: pl.DataFrame, units: list, period: str) -> None:
    """The simulated composite and rank beside the published ones: a sentence for one organisation,
    a table for several (only organisations the viewer may see one by one: ``published``)."""
    rows = (
        simulated.join(published, on="unit", how="inner", suffix="_published")
        .filter(pl.col("unit").is_in(units))
        .sort("rank", "unit", nulls_last=True)
    )
    if rows.is_empty():
        st.info(ctx.t("whatif.no_composite", period=period), icon=":material/data_alert:")
        return
    if rows.height == 1:
        row = rows.row(0, named=True)
        if row["composite"] is None:
            st.info(ctx.t("whatif.insufficient", period=period), icon=":material/data_alert:")
            return
        st.markdown(ctx.t(
            "whatif.sentence",
            score=ctx.bdi(ctx.score(row["composite"])), published=ctx.bdi(ctx.score(row["score"])),
            rank=ctx.bdi(ctx.num(row["rank"])), count=ctx.bdi(ctx.num(row["ranked_count"])),
            low=ctx.bdi(ctx.num(row["rank_p05"])), high=ctx.bdi(ctx.num(row["rank_p95"])),
            published_rank=ctx.bdi(ctx.num(row["nominal_rank"])), period=ctx.bdi(period),
        ), unsafe_allow_html=True)
        return
    names = ctx.q(common_reads.organisations, ctx.lang).select(pl.col("org_code").alias("unit"), "name")
    rows = rows.join(names, on="unit", how="left").with_columns(
        interval=pl.format("{}–{}", pl.col("rank_p05").cast(pl.Int64), pl.col("rank_p95").cast(pl.Int64))
    )
    tables.table(
        ctx,
        rows,
        {
            "name": Col(ctx.t("common.organisation"), width="medium"),
            "score": Col(ctx.t("whatif.published_composite"), "score", "small"),
            "composite": Col(ctx.t("whatif.simulated_composite"), "score", "small"),
            "nominal_rank": Col(ctx.t("whatif.published_rank"), "int", "small"),
            "rank": Col(ctx.t("whatif.simulated_rank"), "int", "small"),
            "interval": Col(ctx.t("whatif.simulated_interval"), width="small"),
            "unit": Col(ctx.t("common.code"), width="small"),
        },
        key="whatif_table",
    )


def _propose(ctx: PageContext, shares: dict[str, float]) -> None:
    """During a consultation: the member's live proposal, and a button to propose the weights set above."""
    open_one = consultation.current(ctx.store)
    if open_one is None:
        return
    st.markdown(f"**{ctx.t('whatif.consultation_open')}**")
    own = consultation.proposals(ctx.store, ctx.viewer, int(open_one["id"]))
    if own.height:
        row = own.row(0, named=True)
        st.caption(ctx.t("whatif.your_proposal", version=ctx.num(row["version"]), when=ctx.when(row["proposed_at"]),
                         weights=" · ".join(f"{c} {ctx.pct(w)}" for c, w in
                                            zip(own["principle"].to_list(), own["weight"].to_list(), strict=True))))
    if st.button(ctx.t("whatif.propose"), key="whatif_propose", icon=":material/how_to_vote:"):
        version = consultation.propose(ctx.store, ctx.viewer.org_code, shares, actor=ctx.actor)
        st.success(ctx.t("whatif.proposed", version=ctx.num(version)))
