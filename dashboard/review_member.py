"""The review as an organisation sees it (upload page): what the committee returned and why, the
periods it approved (locked), and the request to reopen one for a correction, with a reason.

Reads and writes go through ``store.review`` (scoped to the organisation; each request audited in
its own transaction).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.context import PageContext
from i18n import t
from store import review
from store.review import ReviewError
from store.viewer import Viewer

SENT_KEY = "_reopen_sent"


def _t(ctx: PageContext, key: str, **params: object) -> str:
    return t(f"review.member.{key}", ctx.lang, **params)


def section(ctx: PageContext, org: str) -> None:
    """Returned submissions with their comments, then the locked periods and the reopen request."""
    viewer = ctx.viewer if ctx.viewer.role == "member" else Viewer.member(org)
    _returned(ctx, viewer, org)
    _locked(ctx, viewer, org)


def _returned(ctx: PageContext, viewer: Viewer, org: str) -> None:
    returned = review.submissions_for_review(ctx.store, viewer, status="returned").filter(
        (pl.col("org_code") == org) & ~pl.col("followed"))  # answered by a later file: no longer shown
    if returned.is_empty():
        return
    notes = review.comments(ctx.store, viewer)
    with st.container(border=True):
        st.subheader(_t(ctx, "returned_title"))
        for row in returned.iter_rows(named=True):
            lines = [_t(ctx, "returned_item", file=row["file_name"], id=row["id"], when=ctx.when(row["reviewed_at"]))]
            for note in notes.filter(pl.col("submission_id") == row["id"]).iter_rows(named=True):
                if note["indicator_code"] is None:
                    lines.append(_t(ctx, "whole", comment=note["comment"]))
                else:
                    lines.append(_t(ctx, "on_value", indicator=ctx.bdi(note["indicator_code"]),
                                    period=ctx.bdi(note["period"] or ""), comment=note["comment"]))
            st.warning("\n\n".join(lines), icon=":material/undo:")


def _locked(ctx: PageContext, viewer: Viewer, org: str) -> None:
    locked = review.locks(ctx.store, viewer).filter(pl.col("org_code") == org)
    if locked.is_empty():
        return
    st.subheader(_t(ctx, "locks_title"))
    st.caption(_t(ctx, "locks_caption"))
    pending = review.reopen_requests(ctx.store, viewer, pending_only=True).filter(pl.col("org_code") == org)
    for row in pending.iter_rows(named=True):
        st.info(_t(ctx, "pending", period=ctx.bdi(row["period"])), icon=":material/hourglass_top:")
    if sent := st.session_state.pop(SENT_KEY, None):
        st.success(sent, icon=":material/check_circle:")
    periods = locked.get_column("period").unique(maintain_order=True).to_list()
    period = st.selectbox(_t(ctx, "reopen_period"), periods, key="reopen_period")
    reason = st.text_area(_t(ctx, "reopen_reason"), key="reopen_reason")
    if st.button(_t(ctx, "reopen_button"), key="reopen_request", icon=":material/lock_open:"):
        try:
            review.request_reopen(ctx.store, org, period, reason, actor=ctx.actor)
        except ReviewError as refused:
            st.error(refused.message(ctx.lang), icon=":material/block:")
            return
        st.session_state[SENT_KEY] = _t(ctx, "reopen_sent")
        st.rerun()
