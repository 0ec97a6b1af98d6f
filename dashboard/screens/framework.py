"""Framework (steering committee): the charter as a tree with effective weights; versioned edits.

Edits (names, weights, goalposts, targets) are validated by the Pydantic models into a new
framework version, adopted beside the earlier ones (never edited in place); scores are then
recomputed on request — a page never recomputes by itself. Adoption and recomputation write their
audit entries inside their own transactions (``store.registry.adopt_framework``,
``metrics.run.score_store``), exactly as the command line does.
"""

from __future__ import annotations

import logging

import polars as pl
import streamlit as st

from dashboard import cells, charts, consultation_view, tables, vocabulary_edit
from dashboard.cells import Col
from dashboard.context import PageContext, page_context
from dashboard.lookup import labelled
from framework import edit as framework_edit
from framework.model import FrameworkError
from metrics.run import NothingToScore, score_store
from metrics.weights import effective_weights
from store.registry import adopt_framework

_log = logging.getLogger(__name__)
DRAFT_KEY = "_framework_draft"
ADOPTED_KEY = "_framework_adopted"


def _tree(ctx: PageContext) -> None:
    fw = ctx.framework_in_use
    weights = effective_weights(fw)
    weights = weights.with_columns(
        principle_label=labelled(weights, "principle", lambda c: f"{c} · {fw.principle_by_code[c].name.get(ctx.lang)}"),
        indicator=labelled(weights, "indicator_code", lambda c: f"{c} · {fw.indicator_by_code[c].name.get(ctx.lang)}"),
        goalposts=labelled(
            weights,
            "indicator_code",
            lambda c: (
                " – ".join(ctx.num(v, 2) for v in fw.indicator_by_code[c].goalposts)
                if fw.indicator_by_code[c].goalposts
                else "–"
            ),
        ),
        direction=labelled(
            weights, "indicator_code", lambda c: ctx.t(f"framework.direction_{fw.indicator_by_code[c].direction.value}")
        ),
        unit=labelled(weights, "indicator_code", lambda c: fw.unit_of(c).name.get(ctx.lang)),
    )
    principles = weights.unique("principle", maintain_order=True)
    labels = (
        [ctx.t("framework.root")] + principles["principle_label"].to_list() + weights["indicator"].to_list()
    )
    ids = (
        ["root"]
        + principles["principle"].to_list()
        + [
            f"{p}/{i}"
            for p, i in zip(weights["principle"].to_list(), weights["indicator_code"].to_list(), strict=True)
        ]
    )
    parents = [""] + ["root"] * principles.height + weights["principle"].to_list()
    values = [0.0] * (1 + principles.height) + weights["effective"].to_list()  # parents add up their children
    figure = charts.sunburst(ids, labels, parents, values, ctx.t("framework.tree_chart"), ctx.lang)
    charts.with_data(
        ctx,
        figure,
        weights,
        {
            "principle_label": Col(ctx.t("common.principle")),
            "principle_share": Col(ctx.t("framework.principle_share"), "pct"),
            "indicator": Col(ctx.t("common.indicator")),
            "weight": Col(ctx.t("framework.weight"), "num2"),
            "share_in_principle": Col(ctx.t("framework.share_in_principle"), "pct"),
            "effective": Col(ctx.t("framework.effective"), "pct1"),
            "goalposts": Col(ctx.t("framework.goalposts")),
            "unit": Col(ctx.t("common.unit")),
            "direction": Col(ctx.t("framework.direction")),
        },
        key="framework_tree",
        file_name="athar_framework_weights.csv",
        caption=ctx.t("framework.tree_caption"),
    )
    for principle in fw.principles:
        rows = weights.filter(pl.col("principle") == principle.code)
        with st.expander(
            f"{principle.code} · {principle.name.get(ctx.lang)} — "
            f"{ctx.t('framework.share', share=ctx.pct(rows['principle_share'][0] if rows.height else 0))}"
        ):
            if principle.description is not None:
                st.caption(principle.description.get(ctx.lang))
            st.markdown(
                "\n".join(
                    f"- **{r['indicator']}** — {ctx.t('framework.indicator_line', weight=ctx.num(r['weight'], 2), share=ctx.pct(r['share_in_principle']), effective=ctx.pct(r['effective'], 1), goalposts=r['goalposts'], unit=r['unit'])}"
                    for r in rows.iter_rows(named=True)
                )
            )


def _versions(ctx: PageContext) -> None:
    st.subheader(ctx.t("framework.versions_title"))
    versions = tables.numbered_versions(ctx).with_columns(short=pl.col("hash").str.slice(0, 12))
    in_use = ctx.framework_in_use.content_hash
    if ctx.run is not None and ctx.run["framework_hash"] != in_use:
        st.warning(
            ctx.t(
                "framework.run_outdated",
                run=tables.version_label(ctx, ctx.run["framework_hash"]),
                version=tables.version_label(ctx, in_use),
            )
        )
    tables.table(
        ctx,
        versions,
        {
            "number": Col(ctx.t("framework.version"), "int", "small"),
            "created_at": Col(ctx.t("framework.created"), "datetime"),
            "source": Col(ctx.t("framework.source")),
        },
        key="framework_versions",
        download="athar_framework_versions.csv",
        export_only={"short": Col(ctx.t("common.code"))},
    )


def _editor(ctx: PageContext) -> None:
    st.subheader(ctx.t("framework.edit_title"))
    st.caption(ctx.t("framework.edit_caption"))
    adopted = st.session_state.pop(ADOPTED_KEY, None)
    if adopted:
        st.success(ctx.t("framework.adopted", version=tables.version_label(ctx, adopted)))
    fw = ctx.framework_in_use
    principles = st.data_editor(
        framework_edit.principle_table(fw),
        key="framework_edit_principles",
        hide_index=True,
        placeholder=cells.MISSING,
        num_rows="fixed",
        disabled=["code"],
        column_config={
            "code": ctx.t("common.code"),
            "name_fr": ctx.t("framework.name_fr"),
            "name_ar": ctx.t("framework.name_ar"),
            "name_en": ctx.t("framework.name_en"),
            "weight": st.column_config.NumberColumn(ctx.t("framework.weight"), min_value=0.0, step=0.1),
        },
    )
    indicators = st.data_editor(
        framework_edit.indicator_table(fw),
        key="framework_edit_indicators",
        hide_index=True,
        placeholder=cells.MISSING,
        num_rows="fixed",
        disabled=["code"],
        column_config={
            "code": ctx.t("common.code"),
            "name_fr": ctx.t("framework.name_fr"),
            "name_ar": ctx.t("framework.name_ar"),
            "name_en": ctx.t("framework.name_en"),
            "goalpost_min": st.column_config.NumberColumn(ctx.t("framework.goalpost_min")),
            "goalpost_max": st.column_config.NumberColumn(ctx.t("framework.goalpost_max")),
            "target": st.column_config.NumberColumn(ctx.t("framework.target")),
            **{
                f"w_{p.code}": st.column_config.NumberColumn(
                    ctx.t("framework.weight_in", code=p.code), min_value=0.0, step=0.1
                )
                for p in fw.principles
            },
        },
    )
    if st.button(ctx.t("framework.validate"), key="framework_validate", icon=":material/rule:"):
        try:
            new = framework_edit.draft(fw, principles, indicators)
        except FrameworkError as exc:
            st.session_state.pop(DRAFT_KEY, None)
            st.error(ctx.t("framework.invalid"))
            st.markdown("\n".join(f"- {problem}" for problem in exc.texts(ctx.lang)))
            return
        st.session_state[DRAFT_KEY] = new
    new = st.session_state.get(DRAFT_KEY)
    if new is None:
        return
    changes = framework_edit.differences(fw, new)
    if changes.is_empty() or new.content_hash == fw.content_hash:
        st.info(ctx.t("framework.no_change"))
        return
    st.markdown(ctx.tn("framework.draft_ready", changes.height, version=ctx.t("tables.version_code", code=new.content_hash[:7])))
    tables.framework_changes(ctx, changes, key="framework_changes")
    if st.button(
        ctx.t("framework.adopt"), type="primary", key="framework_adopt", icon=":material/new_releases:"
    ):
        adopt_framework(ctx.store, new, actor=ctx.actor, source=f"dashboard ({ctx.viewer.uploader})")
        for key in (DRAFT_KEY, "framework_edit_principles", "framework_edit_indicators"):
            st.session_state.pop(key, None)
        st.session_state[ADOPTED_KEY] = new.content_hash
        st.rerun()


def _recompute(ctx: PageContext) -> None:
    st.subheader(ctx.t("framework.recompute_title"))
    st.caption(ctx.t("framework.recompute_caption"))
    st.caption(ctx.t("autoscore.recompute_note"))
    if st.button(ctx.t("framework.recompute"), key="framework_recompute", icon=":material/calculate:"):
        with st.spinner(ctx.t("framework.recomputing")):
            try:
                run_id, _ = score_store(ctx.store, ctx.framework_in_use, actor=ctx.actor, today=ctx.today)
            except NothingToScore:
                st.warning(ctx.t("framework.nothing_to_score"))
                return
            except Exception:  # noqa: BLE001 — a translated message on screen, the trace in the log
                _log.exception("recomputing scores failed")
                st.error(ctx.t("framework.recompute_failed"))
                return
        st.success(ctx.t("framework.recomputed", run=run_id))


def render(ctx: PageContext) -> None:
    st.title(ctx.t("framework.title"))
    if ctx.viewer.role != "steering":  # never routed here for others; a second lock all the same
        st.stop()
    st.caption(
        ctx.t(
            "framework.subtitle",
            name=ctx.framework_in_use.meta.name.get(ctx.lang),
            version=tables.version_label(ctx, ctx.framework_in_use.content_hash),
        )
    )
    _tree(ctx)
    _versions(ctx)
    _editor(ctx)
    consultation_view.render(ctx)
    vocabulary_edit.mapping_editor(ctx)
    _recompute(ctx)


if __name__ == "__main__":
    render(page_context())
