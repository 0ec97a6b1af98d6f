"""Audit log (steering committee): sign-ins and failures, uploads, framework changes, links and their use.

Read through ``store.audit.entries``, which returns nothing to anyone but the steering committee.
"""

from __future__ import annotations

import streamlit as st

from dashboard import backup_button, empty, tables, widgets
from dashboard.cells import Col
from dashboard.context import PageContext, page_context
from dashboard.empty import Why
from dashboard.lookup import labelled
from store import audit

SHOWN = 1000


def render(ctx: PageContext) -> None:
    st.title(ctx.t("audit.title"))
    if ctx.viewer.role != "steering":  # never routed here for others; a second lock all the same
        st.stop()
    st.caption(ctx.t("audit.subtitle"))
    backup_button.show(ctx)
    chosen = widgets.multiselect(
        ctx,
        ctx.t("audit.actions"),
        list(audit.ACTIONS),
        key="audit_actions",
        format_func=lambda a: ctx.t(f"audit.action.{a}"),
        placeholder=ctx.t("audit.all_actions"),
    )
    frame = audit.entries(ctx.store, ctx.viewer, actions=chosen or None, limit=SHOWN)
    if frame.is_empty():
        empty.show(ctx, Why.NO_DATA, empty.subject(ctx, "audit"))
        return
    shown = frame.with_columns(
        action_label=labelled(frame, "action", lambda a: ctx.t(f"audit.action.{a}")),
        outcome_label=labelled(frame, "outcome", lambda o: ctx.t(f"audit.outcome_{o}")),
    )
    tables.table(
        ctx,
        shown,
        {
            "logged_at": Col(ctx.t("audit.when"), "datetime"),
            "actor": Col(ctx.t("audit.actor"), "code"),
            "action_label": Col(ctx.t("audit.action_column")),
            "target": Col(ctx.t("audit.target"), "code"),
            "outcome_label": Col(ctx.t("audit.outcome"), "text", "small"),
            "detail": Col(ctx.t("audit.detail"), "code", "large"),
        },
        key="audit_table",
        download="athar_audit.csv",
    )
    st.caption(ctx.tn("audit.utc_note", frame.height))


if __name__ == "__main__":
    render(page_context())
