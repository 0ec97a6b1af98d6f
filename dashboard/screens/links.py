"""Funder links (steering committee): create, list, revoke and rotate read-only links.

A new link's address is shown once, right after creation (only its SHA-256 is stored); the
table lists every link's scope, expiry, last use and use count. Everything done here is in the
audit log.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import polars as pl
import streamlit as st

import settings
from dashboard import empty, links_safe, tables, vocabulary_edit, widgets
from dashboard.cells import Col
from dashboard.context import PageContext, page_context
from dashboard.empty import Why
from dashboard.lookup import labelled
from i18n import formatting as fmt
from i18n import t
from store import links
from store.db import utc_now
from store.links import FUNDER_PAGES
from store.reads import common as common_reads
from store.settings import AccessSettings

NEW_LINK_KEY = "_links_new_url"


def _base_url() -> str:
    """Where the app is served, for the address to send (ATHAR_BASE_URL behind a proxy)."""
    configured = settings.configured("ATHAR_BASE_URL")
    if configured:
        return configured
    try:
        return st.context.url.split("?")[0].rsplit("/", 1)[0] or "http://localhost:8501"
    except Exception:  # noqa: BLE001 — AppTest has no URL
        return "http://localhost:8501"


def _create(ctx: PageContext, cfg: AccessSettings) -> None:
    st.subheader(ctx.t("links.create_title"))
    orgs = ctx.q(common_reads.organisations, ctx.lang)
    names = dict(zip(orgs["org_code"].to_list(), orgs["name"].to_list(), strict=True))
    if links_safe.confirm_create(ctx, ctx.viewer.name or "steering", _created):  # the summary until confirmed
        return
    with st.form("link_create", border=True):
        label = st.text_input(ctx.t("links.label"), max_chars=120, key="link_label")
        chosen = widgets.multiselect(
            ctx,
            ctx.t("links.organisations"),
            list(names),
            key="link_orgs",
            format_func=lambda c: f"{c} — {names[c]}",
            filter_mode="contains",  # "ASS-TIN" finds the codes and names holding it, not 24 fuzzy matches
        )
        left, right = st.columns(2)
        with left:
            principles = widgets.multiselect(
                ctx,
                ctx.t("links.principles"),
                [p.code for p in ctx.framework.principles],
                key="link_principles",
                format_func=ctx.principle_label,
                help=ctx.t("links.empty_means_all"),
            )
            pages = widgets.multiselect(
                ctx,
                ctx.t("links.pages"),
                list(FUNDER_PAGES),
                key="link_pages",
                format_func=lambda k: ctx.t(f"nav.{k}"),
                help=ctx.t("links.empty_means_all"),
            )
        with right:
            periods = widgets.multiselect(
                ctx,
                ctx.t("links.periods"),
                ctx.periods,
                key="link_periods",
                help=ctx.t("links.empty_means_all"),
                format_func=ctx.period_label,
            )
            today = date.today()
            expiry = widgets.date_select(
                ctx,
                ctx.t("links.expires"),
                first=today + timedelta(days=1),
                last=today + timedelta(days=cfg.link_max_days),
                value=today + timedelta(days=cfg.link_default_days),
                key="link_expiry",
                help=ctx.tn("links.expiry_help", cfg.link_max_days),
            )
        pin = st.checkbox(
            ctx.t("links.pin", run=ctx.run_id or "—"),
            key="link_pin",
            disabled=ctx.run_id is None,
            help=ctx.t("links.pin_help"),
        )
        provisional = st.checkbox(t("review.links.include_provisional", ctx.lang), key="link_provisional",
                                  help=t("review.links.include_provisional_help", ctx.lang))
        vocabulary = vocabulary_edit.vocabulary_choice(ctx)
        submitted = st.form_submit_button(ctx.t("links.create"), type="primary", icon=":material/add_link:")
    if submitted:
        expires_at = min(datetime.combine(expiry, time(23, 59)), utc_now() + timedelta(days=cfg.link_max_days))
        links_safe.ask_to_create(
            ctx,
            names,
            {
                "label": label,
                "org_codes": chosen,
                "expires_at": expires_at,
                "principles": principles or None,
                "periods": periods or None,
                "pages": pages or None,
                "run_id": ctx.run_id if pin else None,
                "settings": cfg,
                "include_provisional": provisional,
                "vocabulary": vocabulary,
            },
            extra_rows=[(ctx.t("vocab.link_choice"), vocabulary_edit.vocabulary_name(ctx, vocabulary))],
        )


def _created(token: str) -> None:
    st.session_state[NEW_LINK_KEY] = links.link_url(_base_url(), token, page_context().lang)
    st.rerun()


def _show_new_link(ctx: PageContext) -> None:
    url = st.session_state.pop(NEW_LINK_KEY, None)  # shown once: gone at the next interaction
    if url:
        st.success(ctx.t("links.created"))
        st.code(url, language=None, wrap_lines=True)
        st.caption(ctx.t("links.shown_once"))


def _table(ctx: PageContext) -> pl.DataFrame:
    st.subheader(ctx.t("links.list_title"))
    frame = links.list_links(ctx.store, ctx.viewer)
    if frame.is_empty():
        empty.show(ctx, Why.NO_DATA, empty.subject(ctx, "links"))
        return frame
    shown = frame.with_columns(
        status_label=labelled(frame, "status", lambda s: ctx.t(f"links.status_{s}")),
        pages_label=labelled(frame, "pages", lambda p: fmt.join_list([ctx.t(f"nav.{k}") for k in p], ctx.lang)),
        vocabulary_label=vocabulary_edit.vocabulary_labels(ctx, frame["vocabulary"]),
    )
    all_label = ctx.t("links.all")
    shown = shown.with_columns(
        pl.col("principles").fill_null([all_label]),
        pl.col("periods").fill_null([all_label]),
        pl.col("pages_label").fill_null(all_label),
    )
    # What a link opens and whether it still works first; the rest of its scope in the details.
    details = {
        "principles": Col(ctx.t("links.principles"), "list"),
        "periods": Col(ctx.t("links.periods"), "list"),
        "run_id": Col(ctx.t("links.run"), "int", "small"),
        "last_used_at": Col(ctx.t("links.last_used"), "datetime"),
        "created_by": Col(ctx.t("links.created_by"), "code"),
    }
    tables.table(
        ctx,
        shown,
        {
            "id": Col("#", "int", "small"),
            "label": Col(ctx.t("links.label"), "text", "medium"),
            "status_label": Col(ctx.t("links.status"), "text", "small"),
            "org_codes": Col(ctx.t("links.organisations"), "list"),
            "pages_label": Col(ctx.t("links.pages")),
            "vocabulary_label": Col(ctx.t("vocab.column"), "text", "small"),
            "expires_at": Col(ctx.t("links.expires"), "datetime"),
            "use_count": Col(ctx.t("links.uses"), "int", "small"),
        },
        key="links_table",
        download="athar_links.csv",
        export_only=details,
    )
    with st.expander(ctx.t("tables.details")):
        tables.table(ctx, shown, {"id": Col("#", "int", "small"), **details}, key="links_details")
    return frame


def render(ctx: PageContext) -> None:
    st.title(ctx.t("links.title"))
    if ctx.viewer.role != "steering":  # never routed here for others; a second lock all the same
        st.stop()
    st.caption(ctx.t("links.subtitle"))
    cfg = AccessSettings.from_env()
    _show_new_link(ctx)
    _create(ctx, cfg)
    frame = _table(ctx)
    if not frame.is_empty():
        links_safe.actions(ctx, frame, _created)


if __name__ == "__main__":
    render(page_context())
