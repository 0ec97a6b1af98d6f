"""The *provisional* label every page carries when the scores shown rest on values not yet approved
(``store.review.provisional_pairs``: the approval state the scoring run recorded), and on a funder
link that also shows values not yet approved; under a page's scores, which of them are provisional
(:func:`scores_note`)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.exact_key import exact_text
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
    pairs = run_pairs(context)
    if viewer.role == "member":
        if pairs.filter(pl.col("org_code") == viewer.org_code).height:
            st.sidebar.caption(t("review.label.provisional_own", context.lang))
    elif pairs.height:
        st.sidebar.caption(tn("review.label.provisional_scores", pairs.height, context.lang))


def run_pairs(context) -> pl.DataFrame:
    """``store.review.provisional_pairs`` of the context's run, kept across reruns.

    Written in the run's own transaction and never changed after, the pairs are still keyed on the
    data version besides the database and the run (a restore may bring back another run under the same
    id). They are the run's, not the viewer's: :func:`show` narrows them to a member's own scores."""
    key = exact_text(str(context.store.path), context.version, context.run_id)
    return _pairs(key=key, _store=context.store, _run_id=context.run_id)


@st.cache_data(show_spinner=False, max_entries=256, ttl=6 * 3600)
def _pairs(key: str, _store, _run_id: int) -> pl.DataFrame:
    return review.provisional_pairs(_store, _run_id)


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
