"""The *provisional* label every page carries when the scores shown rest on values not yet approved
(``store.review.provisional_pairs``: the approval state the scoring run recorded), and on a funder
link that also shows values not yet approved; under a page's scores, which of them are provisional
(:func:`scores_note`)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from i18n import t, tn
from store import review
from store.reads import common as common_reads

#: How many organisations the note names before it counts the rest.
NAMED = 8


def show(context) -> None:
    """One caption in the sidebar (the page's own layout is left as it is)."""
    viewer = context.viewer
    if viewer.shows_provisional_label:
        st.sidebar.caption(t("review.label.provisional_link", context.lang))
        return
    if viewer.role == "funder" or context.run_id is None:
        return
    pairs = review.provisional_pairs(context.store, context.run_id)
    if viewer.role == "member":
        if pairs.filter(pl.col("org_code") == viewer.org_code).height:
            st.sidebar.caption(t("review.label.provisional_own", context.lang))
    elif pairs.height:
        st.sidebar.caption(tn("review.label.provisional_scores", pairs.height, context.lang))


def scores_note(context, period: str, org_codes: list[str] | None = None) -> None:
    """A caption under a page's scores of ``period`` naming the organisations (among ``org_codes``,
    default every one the viewer sees) whose scores rest on values not yet approved: nothing when none."""
    if context.run_id is None:
        return
    found = context.q(common_reads.provisional_scores, context.run_id, period).get_column("org_code").to_list()
    if org_codes is not None:
        found = [code for code in found if code in set(org_codes)]
    if not found:
        return
    named = ", ".join(context.bdi(code) for code in found[:NAMED])
    if len(found) > NAMED:
        named += " " + t("scorewire.more", context.lang, count=context.num(len(found) - NAMED))
    st.caption(t("scorewire.scores_provisional", context.lang, period=context.bdi(period), orgs=named),
               help=t("scorewire.scores_provisional_help", context.lang), unsafe_allow_html=True)
