"""Member home: the first page a member sees — what is due and by when, what was returned or
refused and why, and the next step for each (the template for the period, pre-filled with the
organisation, the period and the indicators it is expected to report; the annotated copy of a
refused file; the form, when the app has one).

Statuses come from ``store.reads.calendar`` (the committee's calendar, the viewer's scope); expected
indicators from issue 12's rules and overrides (``metrics.expectations``). One column of stacked
blocks, so it reads the same at 390 px as on a desktop. Members only (never a funder link).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from dashboard import exports, pickers, tables
from dashboard.cells import Col
from dashboard.context import PageContext, page_context
from dashboard.lookup import labelled
from dashboard.navigation import pages_for
from dashboard.screens.upload import CHECK_KEY
from i18n import t, tn
from ingest import annotate
from ingest.template import MIME, template_bytes
from metrics.expectations import expected_indicators
from store import review
from store.reads import calendar as calendar_reads
from store.reads import targets as target_reads

#: The page key of the in-app form (another part of issue 13); linked when the navigation has it.
FORM_PAGE = "form"
#: Due periods shown as blocks (older ones stay in the table below).
SHOWN_DUE = 4


def text(ctx: PageContext, key: str, **params: object) -> str:
    return t(f"calendar.{key}", ctx.lang, **params)


def _expected(ctx: PageContext, org: str) -> list[str]:
    """The indicators this organisation is expected to report (framework rules + committee overrides)."""
    facts = ctx.q(target_reads.expectation_facts, org)
    overrides = ctx.q(target_reads.expectation_overrides, org)
    return expected_indicators(ctx.framework_in_use, facts, overrides)["indicator_code"].to_list()


def _when(ctx: PageContext, deadline: date) -> str:
    """``dans 12 jours`` / ``en retard de 3 jours`` / ``aujourd'hui``."""
    days = (deadline - ctx.today).days
    if days == 0:
        return text(ctx, "home.today")
    if days > 0:
        return tn("calendar.home.days_left", days, ctx.lang)
    return tn("calendar.home.days_late", -days, ctx.lang)


def _form_link(ctx: PageContext, period: str, key: str) -> None:
    """The form of the period, once the app has a ``form`` page (a hook for it until then)."""
    form = next((p for p in pages_for(ctx.viewer) if p.key == FORM_PAGE), None)
    if form is not None and st.button(text(ctx, "home.open_form"), key=key, icon=":material/edit_note:",
                                      width="stretch"):
        st.switch_page(form.file, query_params={"period": period, "lang": ctx.lang})


def _template(ctx: PageContext, org: str, period: str, expected: list[str], key: str) -> None:
    kind = st.radio(ctx.t("upload.format"), ["xlsx", "csv"], key=f"{key}_format", horizontal=True,
                    format_func=str.upper)
    framework = ctx.framework_in_use
    exports.download(
        ctx, text(ctx, "home.download_template", period=period),
        lambda: template_bytes(framework, org, period, ctx.lang, kind, expected or None),
        f"athar_{org}_{period}_{ctx.lang}.{kind}", MIME[kind], key=f"{key}_download",
        icon=":material/download:", type="primary", width="stretch",
    )


def _due_block(ctx: PageContext, org: str, row: dict, expected: list[str]) -> None:
    """One period to send: what, by when, and the next steps."""
    with st.container(border=True):
        what = text(ctx, f"home.{row['status']}", period=row["period"], kind=text(ctx, f"kind.{row['period_kind']}"),
                    deadline=ctx.date(row["deadline"]), when=_when(ctx, row["deadline"]))
        (st.warning if row["status"] == "late" else st.info)(
            what, icon=":material/schedule:" if row["status"] == "late" else ":material/event:")
        if expected:
            st.caption(tn("calendar.home.expected_count", len(expected), ctx.lang))
        _template(ctx, org, row["period"], expected, key=f"home_template_{row['period']}")
        _form_link(ctx, row["period"], key=f"home_form_{row['period']}")
        st.page_link("screens/upload.py", label=text(ctx, "home.go_upload"), icon=":material/upload_file:")


def _returned(ctx: PageContext, org: str, rows: pl.DataFrame, expected: list[str]) -> None:
    """Periods the committee returned, with its comment, and how to correct them."""
    for row in rows.iter_rows(named=True):
        with st.container(border=True):
            st.error(text(ctx, "home.returned", period=row["period"]), icon=":material/undo:")
            if row["review_comment"]:
                st.markdown(f"**{text(ctx, 'home.why')}** {row['review_comment']}")
            _value_comments(ctx, row["submission_id"], row["period"])
            _template(ctx, org, row["period"], expected, key=f"home_returned_{row['period']}")
            _form_link(ctx, row["period"], key=f"home_returned_form_{row['period']}")


def _value_comments(ctx: PageContext, submission_id: int | None, period: str) -> None:
    """The committee's comments on single values of the returned submission, this period's first."""
    if submission_id is None:
        return
    notes = ctx.q(review.comments, submission_id=int(submission_id)).filter(pl.col("indicator_code").is_not_null())
    notes = notes.sort(pl.col("period") != period)
    for note in notes.iter_rows(named=True):
        st.markdown("- " + text(ctx, "home.on_value", indicator=ctx.bdi(note["indicator_code"]),
                                period=ctx.bdi(note["period"] or ""), comment=note["comment"]))


def _refused(ctx: PageContext, org: str) -> None:
    """Files refused since the last accepted one; the annotated copy when this session still has it."""
    refused = ctx.q(calendar_reads.rejected_uploads, org)
    kept = st.session_state.get(CHECK_KEY)
    for n, row in enumerate(refused.iter_rows(named=True)):
        with st.container(border=True):
            st.error(tn("calendar.home.refused", row["errors"] or 0, ctx.lang, file=row["file"],
                        when=ctx.when(row["logged_at"])), icon=":material/block:")
            checked = kept["checked"] if kept and kept["result"].status == "rejected" else None
            if checked is not None and checked.file_name == row["file"]:
                copy = annotate.annotated_copy(checked.data, checked.file_name, checked.result.report(ctx.lang),
                                               ctx.t("upload.errors_column"), raw=checked.raw)
                if copy is not None:
                    exports.download(ctx, ctx.t("upload.download_annotated"), lambda copy=copy: copy,
                                     annotate.annotated_name(checked.file_name, ctx.t("upload.errors_suffix")),
                                     annotate.annotated_mime(checked.file_name), key=f"home_annotated_{n}",
                                     icon=":material/download:", width="stretch")
            else:
                st.caption(text(ctx, "home.refused_how"))


def _history(ctx: PageContext, rows: pl.DataFrame) -> None:
    st.subheader(text(ctx, "home.history"))
    shown = rows.with_columns(
        kind=labelled(rows, "period_kind", lambda k: text(ctx, f"kind.{k}"), nulls=True),
        status_text=labelled(rows, "status", lambda s: text(ctx, f"status.{s}"), nulls=True),
    )
    tables.table(ctx, shown, {
        "period": Col(text(ctx, "page.period"), "code"),
        "status_text": Col(text(ctx, "page.status")),
        "deadline": Col(text(ctx, "page.deadline"), "date"),
        "sent_at": Col(text(ctx, "page.sent_at"), "datetime"),
    }, key="home_history")


def render(ctx: PageContext) -> None:
    org = ctx.viewer.org_code
    st.title(text(ctx, "home.title"))
    st.caption(pickers.org_title(ctx, org))
    rows = ctx.q(calendar_reads.statuses, ctx.today, int(ctx.deadline_days), ctx.lang, org)
    expected = _expected(ctx, org)
    to_send = rows.filter(pl.col("status").is_in(["due", "late"]))
    st.subheader(text(ctx, "home.due_heading"))
    if to_send.is_empty():
        st.success(text(ctx, "home.nothing_due"), icon=":material/task_alt:")
    for row in to_send.head(SHOWN_DUE).iter_rows(named=True):
        _due_block(ctx, org, row, expected)
    if to_send.height > SHOWN_DUE:
        st.caption(tn("calendar.home.more_due", to_send.height - SHOWN_DUE, ctx.lang))
    _returned(ctx, org, rows.filter(pl.col("status") == "returned"), expected)
    _refused(ctx, org)
    if rows.height:
        _history(ctx, rows)


if __name__ == "__main__":
    render(page_context())
