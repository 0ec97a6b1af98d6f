"""The *provisional* label every page carries when the scores shown rest on values not yet approved
(``store.review.provisional_pairs``: the approval state the scoring run recorded), and on a funder
link that also shows values not yet approved."""

from __future__ import annotations

import polars as pl
import streamlit as st

from i18n import t, tn
from store import review


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
