"""Narratives on the pages: beside the principles on the profile, with the submission on the review
page, and in the upload preview (issue 14).

A narrative is the member's own text: it is always shown with ``st.text`` (never Markdown or HTML),
so ``<script>``, ``**bold**`` or ``[x](javascript:…)`` read exactly as typed; the evidence link is
shown as text and, when it is an http(s) address, opened by a link button (no ``javascript:``).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.context import PageContext
from store.narratives import is_evidence_url
from store.reads import narratives as narrative_reads

LANGUAGES = ("fr", "ar", "en")


def _in_reading_order(ctx: PageContext, frame: pl.DataFrame) -> pl.DataFrame:
    """The viewer's language first, then the others in the catalogue's order."""
    order = [ctx.lang, *(code for code in LANGUAGES if code != ctx.lang)]
    return frame.with_columns(rank=pl.col("lang").replace_strict(order, list(range(3)), default=3)).sort(
        "principle", "rank")


def _one(ctx: PageContext, row: dict, key: str) -> None:
    """One narrative: its language, its text as written, its evidence link, the provisional label."""
    st.text(ctx.t("narr.view.language", language=ctx.t(f"narr.view.lang_{row['lang']}")))
    direction = "rtl" if row["lang"] == "ar" else "ltr"
    with st.container(key=f"narrtext-{direction}-{key}"):  # its own direction (dashboard.style)
        st.text(row["text"])
    url = row.get("evidence_url")
    if url:
        st.text(ctx.t("narr.view.evidence", url=url))
        if is_evidence_url(url):
            st.link_button(ctx.t("narr.view.open_evidence"), url, key=f"{key}_link", icon=":material/open_in_new:")
    if row.get("provisional"):
        st.text(ctx.t("narr.view.provisional"))


def profile_section(ctx: PageContext, org_code: str, period: str) -> None:
    """The organisation's narratives of ``period``, one block per principle in scope that has one."""
    found = ctx.q(narrative_reads.narratives, org_code, period)
    if found.is_empty():
        return
    st.subheader(ctx.t("narr.view.title"))
    st.text(ctx.t("narr.view.caption"))
    for group in _in_reading_order(ctx, found).partition_by("principle", maintain_order=True):
        principle = group["principle"][0]
        with st.container(border=True, key=f"narr_{principle}"):
            st.text(ctx.principle_label(principle))
            for n, row in enumerate(group.iter_rows(named=True)):
                _one(ctx, row, f"narr_{principle}_{n}")


def review_section(ctx: PageContext, submission_id: int, changes: pl.DataFrame) -> pl.DataFrame:
    """The submission's narratives, shown for review; returned as ``changes`` plus one line per
    narrative, so the committee's comment picker can send a comment back on a narrative as on a value
    (``ValueComment`` with the principle's code in place of an indicator's)."""
    found = narrative_reads.submission_narratives(ctx.store, ctx.viewer, submission_id)
    st.subheader(ctx.t("narr.view.review_title"))
    if found.is_empty():
        st.text(ctx.t("narr.view.review_none"))
        return changes
    for n, row in enumerate(_in_reading_order(ctx, found).iter_rows(named=True)):
        with st.container(border=True, key=f"narr_review_{n}"):
            st.text(f"{ctx.principle_label(row['principle'])} · {row['period']}")
            _one(ctx, row, f"narr_review_{n}")
    labels = [ctx.t("narr.view.review_option", language=ctx.t(f"narr.view.lang_{lang}"))
              for lang in found["lang"]]
    options = found.select(
        indicator_code=pl.col("principle"), period=pl.col("period"), line=pl.col("line").fill_null(0),
        breakdown=pl.Series(labels, dtype=pl.String),
    )
    if changes.is_empty():
        return options
    return pl.concat([changes, options], how="diagonal_relaxed")


def preview(ctx: PageContext, narratives: pl.DataFrame) -> None:
    """The narratives a checked file carries, before it is stored (text only)."""
    if narratives.is_empty():
        return
    st.subheader(ctx.tn("narr.view.preview_title", narratives.height))
    for n, row in enumerate(_in_reading_order(ctx, narratives).iter_rows(named=True)):
        with st.container(border=True, key=f"narr_preview_{n}"):
            st.text(f"{ctx.principle_label(row['principle'])} · {row['period']}")
            _one(ctx, row, f"narr_preview_{n}")
