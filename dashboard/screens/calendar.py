"""Calendar (steering committee): per period kind, the deadline and who reports it; every
organisation's status per period (due, late, submitted, returned, approved).

The change is ``store.calendar.set_calendar`` (audited, the same as ``python -m store calendar set``);
the statuses are ``store.reads.calendar.statuses``. Which indicators each organisation is expected
to report is edited on the Profile page (issue 12's expectations): the calendar only adds the kinds
and deadlines.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import tables, widgets
from dashboard.cells import Col
from dashboard.context import PageContext, page_context
from dashboard.lookup import labelled
from i18n import t
from store import calendar as calendar_store
from store.reads import calendar as calendar_reads
from store.reads import common as common_reads

SAVED_KEY = "_calendar_saved"


def text(ctx: PageContext, key: str, **params: object) -> str:
    return t(f"calendar.{key}", ctx.lang, **params)


def _settings_table(ctx: PageContext, settings: pl.DataFrame) -> None:
    if settings.is_empty():
        st.info(text(ctx, "page.not_set", days=ctx.num(int(ctx.deadline_days))))
        return
    shown = settings.with_columns(
        kind=labelled(settings, "period_kind", lambda k: text(ctx, f"kind.{k}"), nulls=True),
        who=labelled(settings, "everyone", lambda e: text(ctx, "page.everyone" if e else "page.only_listed"), nulls=True),
    )
    tables.table(ctx, shown, {
        "kind": Col(text(ctx, "page.kind")),
        "deadline_days": Col(text(ctx, "page.deadline_days"), "int"),
        "from_year": Col(text(ctx, "page.from_year"), "code"),
        "who": Col(text(ctx, "page.who")),
    }, key="calendar_settings")


def _editor(ctx: PageContext, settings: pl.DataFrame, exceptions: pl.DataFrame) -> None:
    """One period kind at a time: deadline, first year, everyone or only some, and exceptions."""
    st.subheader(text(ctx, "page.edit_heading"))
    kind = st.selectbox(text(ctx, "page.kind"), calendar_store.PERIOD_KINDS, key="calendar_kind",
                        format_func=lambda k: text(ctx, f"kind.{k}"))
    found = settings.filter(pl.col("period_kind") == kind)
    row = found.row(0, named=True) if found.height else {
        "deadline_days": int(ctx.deadline_days), "everyone": True, "from_year": ctx.today.year}
    orgs = ctx.q(common_reads.organisations, ctx.lang)
    names = dict(zip(orgs["org_code"].to_list(), orgs["name"].to_list(), strict=True))
    mine = exceptions.filter(pl.col("period_kind") == kind)
    reporting = mine.filter(pl.col("reports"))["org_code"].to_list()
    not_reporting = mine.filter(~pl.col("reports"))["org_code"].to_list()
    days = st.number_input(text(ctx, "page.deadline_days"), min_value=0, max_value=calendar_store.MAX_DEADLINE_DAYS,
                           value=int(row["deadline_days"]), step=1, key=f"calendar_deadline_{kind}",
                           help=text(ctx, "page.deadline_help"))
    year = st.number_input(text(ctx, "page.from_year"), min_value=calendar_store.YEARS[0],
                           max_value=calendar_store.YEARS[1], value=int(row["from_year"]), step=1,
                           key=f"calendar_year_{kind}", help=text(ctx, "page.from_year_help"))
    everyone = st.radio(text(ctx, "page.who"), [True, False], index=0 if row["everyone"] else 1, horizontal=True,
                        key=f"calendar_everyone_{kind}",
                        format_func=lambda e: text(ctx, "page.everyone" if e else "page.only_listed"))
    label = lambda c: f"{c} — {names.get(c, c)}"  # noqa: E731
    add = widgets.multiselect(ctx, text(ctx, "page.also"), list(names), default=reporting, format_func=label,
                              key=f"calendar_add_{kind}")
    remove = widgets.multiselect(ctx, text(ctx, "page.except"), list(names), default=not_reporting,
                                 format_func=label, key=f"calendar_remove_{kind}")
    if not st.button(text(ctx, "page.save"), type="primary", key="calendar_save", icon=":material/save:"):
        return
    reset = sorted(set(reporting + not_reporting) - set(add) - set(remove))
    try:
        calendar_store.set_calendar(
            ctx.store, kind, deadline_days=int(days), everyone=bool(everyone), from_year=int(year),
            add=[c for c in add if c not in reporting], remove=[c for c in remove if c not in not_reporting],
            reset=reset, actor=ctx.actor, source="dashboard", default_year=ctx.today.year)
    except calendar_store.CalendarError as exc:
        st.error(exc.message(ctx.lang))
        return
    st.session_state[SAVED_KEY] = kind  # said once, after the rerun that shows the new calendar
    st.rerun()


def status_label(ctx: PageContext, frame: pl.DataFrame) -> pl.Series:
    """Each row's ``status`` in words (a lookup over the distinct statuses: ``dashboard.lookup``)."""
    return labelled(frame, "status", lambda s: text(ctx, f"status.{s}"), nulls=True)


def _statuses(ctx: PageContext) -> None:
    """Every organisation's status for one period, with the counts per status."""
    st.subheader(text(ctx, "page.statuses_heading"))
    rows = ctx.q(calendar_reads.statuses, ctx.today, int(ctx.deadline_days), ctx.lang)
    if rows.is_empty():
        st.info(text(ctx, "page.no_period"))
        return
    periods = rows.unique("period", maintain_order=True)["period"].to_list()
    period = st.selectbox(text(ctx, "page.period"), periods, key="calendar_period")
    shown = rows.filter(pl.col("period") == period)
    shown = shown.with_columns(status_text=status_label(ctx, shown))
    with st.container(horizontal=True, gap="small"):
        for status in calendar_reads.STATUSES:
            widgets.metric(ctx, text(ctx, f"status.{status}"), ctx.num(int((shown["status"] == status).sum())))
    st.caption(text(ctx, "page.deadline_of", period=period, deadline=ctx.date(shown["deadline"][0])))
    tables.table(ctx, shown, {
        "org_code": Col(ctx.t("common.code"), "code"),
        "name": Col(text(ctx, "page.organisation"), width="medium"),
        "status_text": Col(text(ctx, "page.status")),
        "sent_at": Col(text(ctx, "page.sent_at"), "datetime"),
    }, key="calendar_statuses", download=f"athar_calendar_{period}.csv")


def render(ctx: PageContext) -> None:
    st.title(text(ctx, "page.title"))
    st.caption(text(ctx, "page.intro"))
    if saved := st.session_state.pop(SAVED_KEY, None):
        st.success(text(ctx, "page.saved", kind=text(ctx, f"kind.{saved}")), icon=":material/check_circle:")
    settings = ctx.q(calendar_reads.calendar_settings)
    exceptions = ctx.q(calendar_reads.calendar_exceptions)
    _settings_table(ctx, settings)
    _editor(ctx, settings, exceptions)
    _statuses(ctx)


if __name__ == "__main__":
    render(page_context())
