"""The committee's side of funders' vocabularies: the choice of a vocabulary (a link, an export) and
the editor of the framework's IRIS+ / SDG mappings.

Edited mappings are checked by the framework's model (``framework.mappings``: typed problems in
fr/ar/en) and adopted as a new framework version by ``store.registry.adopt_framework``, which writes
its ``framework_change`` audit entry in the same transaction — the path of every framework edit.
Mappings saved unchanged make no new version (the content hash does not move).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import cells, tables
from dashboard.context import PageContext
from framework import mappings
from framework.model import FrameworkError, framework_from_dict
from store.registry import adopt_framework

DRAFT_KEY = "_vocab_draft"
ADOPTED_KEY = "_vocab_adopted"
TABLE_KEY = "vocab_edit_table"


def vocabulary_name(ctx: PageContext, vocabulary: str) -> str:
    return ctx.t(f"vocab.name_{vocabulary}")


def vocabulary_labels(ctx: PageContext, vocabularies: pl.Series) -> pl.Series:
    """Each link's vocabulary by its name (the links table)."""
    names = {v: vocabulary_name(ctx, v) for v in mappings.VOCABULARIES}
    return vocabularies.fill_null("athar").replace_strict(names, default=names["athar"], return_dtype=pl.String)


def vocabulary_choice(ctx: PageContext, *, key: str = "link_vocabulary", compact: bool = False) -> str:
    """A selectbox of the vocabularies (Athar's codes, IRIS+, SDG); ``compact``: beside export buttons."""
    return st.selectbox(
        ctx.t("vocab.export_choice" if compact else "vocab.link_choice"),
        list(mappings.VOCABULARIES),
        key=key,
        format_func=lambda v: vocabulary_name(ctx, v),
        help=None if compact else ctx.t("vocab.link_choice_help"),
        label_visibility="collapsed" if compact else "visible",
        width=220 if compact else "stretch",
    )


def _draft(ctx: PageContext, edited) -> None:
    try:
        new = framework_from_dict(mappings.apply_mappings(ctx.framework_in_use, edited), "dashboard")
    except FrameworkError as exc:
        st.session_state.pop(DRAFT_KEY, None)
        st.error(ctx.t("vocab.invalid"))
        st.markdown("\n".join(f"- {tables.markdown_text(problem)}" for problem in exc.texts(ctx.lang)))
        return
    st.session_state[DRAFT_KEY] = new


def mapping_editor(ctx: PageContext) -> None:
    """The framework's IRIS+ IDs and SDG targets per indicator, edited as a table (steering only)."""
    if ctx.viewer.role != "steering":
        return
    st.subheader(ctx.t("vocab.edit_title"))
    st.caption(ctx.t("vocab.edit_caption"))
    adopted = st.session_state.pop(ADOPTED_KEY, None)
    if adopted:
        st.success(ctx.t("vocab.adopted", version=tables.version_label(ctx, adopted)))
    fw = ctx.framework_in_use
    edited = st.data_editor(
        mappings.mapping_table(fw),
        key=TABLE_KEY,
        hide_index=True,
        placeholder=cells.MISSING,
        num_rows="fixed",
        disabled=["code"],
        column_config={
            "code": ctx.t("common.code"),
            "iris": st.column_config.TextColumn(ctx.t("vocab.iris_column"), help=ctx.t("vocab.iris_help")),
            "sdg": st.column_config.TextColumn(ctx.t("vocab.sdg_column"), help=ctx.t("vocab.sdg_help")),
        },
    )
    if st.button(ctx.t("vocab.validate"), key="vocab_validate", icon=":material/rule:"):
        _draft(ctx, edited)
    new = st.session_state.get(DRAFT_KEY)
    if new is None:
        return
    changes = mappings.mapping_differences(fw, new)
    if changes.is_empty() or new.content_hash == fw.content_hash:
        st.info(ctx.t("vocab.no_change"))
        return
    st.markdown(ctx.tn("vocab.draft_ready", changes.height, version=ctx.t("tables.version_code", code=new.content_hash[:7])))
    tables.framework_changes(ctx, changes, key="vocab_changes")
    if st.button(ctx.t("vocab.adopt"), type="primary", key="vocab_adopt", icon=":material/new_releases:"):
        adopt_framework(ctx.store, new, actor=ctx.actor, source=f"dashboard mappings ({ctx.viewer.uploader})")
        for key in (DRAFT_KEY, TABLE_KEY):
            st.session_state.pop(key, None)
        st.session_state[ADOPTED_KEY] = new.content_hash
        st.rerun()
