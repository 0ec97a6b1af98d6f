"""Reminders (steering committee): the schedule, what the button would send now with the WhatsApp
texts to copy, the button itself, and the messages already sent.

Everything goes through ``notify.remind`` (the same run as ``python -m store remind send --now``)
and ``store.reminders``; the page only lays out.
"""

from __future__ import annotations

import streamlit as st

from dashboard import empty, tables
from dashboard.cells import Col
from dashboard.context import PageContext, page_context
from dashboard.empty import Why
from notify import mail, remind
from store import reminders
from store.errors import StoreError

SOURCE = "dashboard"


def render(ctx: PageContext) -> None:
    st.title(ctx.t("reminders.title"))
    if ctx.viewer.role != "steering":  # never routed here for others; a second lock all the same
        st.stop()
    st.caption(ctx.t("reminders.intro"))
    _schedule(ctx)
    _planned(ctx)
    _history(ctx)


def _schedule(ctx: PageContext) -> None:
    current = ", ".join(str(s) for s in reminders.schedule(ctx.store))
    with st.form("reminders_schedule"):
        text = st.text_input(ctx.t("reminders.schedule"), value=current, help=ctx.t("reminders.schedule_help"),
                             key="reminders_offsets")
        if st.form_submit_button(ctx.t("reminders.save_schedule")):
            try:
                offsets = [int(p) for p in text.replace("+", "").replace("\u2212", "-").split(",") if p.strip()]
            except ValueError:
                st.error(ctx.t("reminders.schedule_invalid"))
                return
            try:
                reminders.set_schedule(ctx.store, offsets, actor=ctx.actor, source=SOURCE)
            except StoreError as exc:
                st.error(exc.message(ctx.lang))
                return
            st.success(ctx.t("reminders.schedule_saved"))


def _planned(ctx: PageContext) -> None:
    st.subheader(ctx.t("reminders.planned_heading"))
    planned = remind.preview(ctx.store, ctx.framework_in_use, ctx.today)
    if planned.is_empty():
        st.info(ctx.t("reminders.nothing_planned"))
    else:
        tables.table(ctx, planned.drop("whatsapp").with_columns(
            kind=planned["kind"].replace_strict({k: ctx.t(f"reminders.kind_{k}") for k in reminders.MEMBER_KINDS})),
            {"org_code": Col(ctx.t("reminders.col_org"), "code"), "period": Col(ctx.t("reminders.col_period"), "code"),
             "kind": Col(ctx.t("reminders.col_kind")), "deadline": Col(ctx.t("reminders.col_deadline"), "date"),
             "recipients": Col(ctx.t("reminders.col_recipients"), "text", "large")},
            key="reminders_planned")
    if st.button(ctx.t("reminders.send_now"), key="reminders_send", type="primary"):
        try:
            done = remind.run(ctx.store, ctx.framework_in_use, today=ctx.today, actor=ctx.actor, on_demand=True)
        except mail.MailNotConfigured:
            st.warning(ctx.t("reminders.not_configured"))
        else:
            st.success(ctx.tn("reminders.sent", len(done)))
    if not planned.is_empty():
        st.subheader(ctx.t("reminders.whatsapp_heading"))
        for row in planned.iter_rows(named=True):
            st.caption(f"{row['org_code']} · {row['period']}")
            st.code(row["whatsapp"], language=None, wrap_lines=True)


def _history(ctx: PageContext) -> None:
    st.subheader(ctx.t("reminders.history_heading"))
    sent = reminders.recent_messages(ctx.store, ctx.viewer)
    if sent.is_empty():
        empty.show(ctx, Why.NO_DATA, empty.subject(ctx, "messages"))
        return
    shown = sent.with_columns(recipients=sent["recipients"].list.join(", "),
                              kind=sent["kind"].replace_strict({k: ctx.t(f"reminders.kind_{k}") for k in reminders.KINDS}),
                              status=sent["status"].replace_strict(
                                  {s: ctx.t(f"reminders.status_{s}") for s in ("sent", "failed", "no_address")}))
    tables.table(ctx, shown.select("sent_at", "org_code", "period", "kind", "recipients", "subject", "status"),
                 {"sent_at": Col(ctx.t("reminders.col_sent_at"), "datetime"),
                  "org_code": Col(ctx.t("reminders.col_org"), "code"),
                  "period": Col(ctx.t("reminders.col_period"), "code"), "kind": Col(ctx.t("reminders.col_kind")),
                  "recipients": Col(ctx.t("reminders.col_recipients"), "text", "large"),
                  "subject": Col(ctx.t("reminders.col_subject"), "text", "large"),
                  "status": Col(ctx.t("reminders.col_status"), "text", "small")},
                 key="reminders_history")


if __name__ == "__main__":
    render(page_context())
