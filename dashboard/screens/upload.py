"""Upload: template, live validation, report in the reader's language, preview, then commit.

Members upload for their own organisation; the steering committee uploads on behalf of one
(or a network file naming organisations in ``org_code``). Below the file, the organisation's
declared overlap (``dashboard.overlap_form``). Check, preview, annotated copy, commit
and their audit all belong to ``ingest`` (the same path as the command line); this page lays them
out and hands the check it keeps to the commit, so the file is read once.
"""

from __future__ import annotations

import logging

import polars as pl
import streamlit as st

from dashboard import autoscore, explain_form, exports, overlap_form, pickers, review_member, tables, widgets
from dashboard.cells import Col
from dashboard.context import PageContext, page_context
from dashboard.due import Due, due_now
from dashboard.lookup import labelled
from dashboard.narrative_view import preview as narrative_preview
from dashboard.reports import report_table
from framework import periods as period_rules
from i18n import t
from ingest import annotate, pipeline
from ingest.template import MIME, template_bytes
from store.reads import common as common_reads
from store.registry import adopt_first_framework
from store.review import PeriodLocked

_log = logging.getLogger(__name__)
NETWORK_FILE = "__network__"
CHECK_KEY = "_upload_check"
DONE_KEY = "_upload_done"


def _target(ctx: PageContext) -> str | None:
    """The organisation the file is for (``None``: a network file, steering only)."""
    if ctx.viewer.role == "member":
        st.caption(ctx.t("upload.for_own", org=pickers.org_title(ctx, ctx.viewer.org_code)))
        return ctx.viewer.org_code
    orgs = ctx.q(common_reads.organisations, ctx.lang)
    names = dict(zip(orgs["org_code"].to_list(), orgs["name"].to_list(), strict=True))
    options = [*names, NETWORK_FILE]
    pickers.remember("upload_org", options)
    choice = st.selectbox(
        ctx.t("upload.on_behalf"),
        options,
        key="upload_org",
        format_func=lambda c: ctx.t("upload.network_file") if c == NETWORK_FILE else f"{c} — {names[c]}",
    )
    return None if choice == NETWORK_FILE else choice


def _due_banner(ctx: PageContext, now: Due) -> None:
    """What to report now (the reporting calendar's open period): open, late, or that it is done."""
    if now.sent:
        st.caption(ctx.t("periods.due_done", period=now.period))
        return
    if now.deadline < ctx.today:
        st.warning(ctx.t("periods.due_late", period=now.period, deadline=ctx.date(now.deadline)),
                   icon=":material/schedule:")
    else:
        st.info(ctx.t("periods.due_open", period=now.period, deadline=ctx.date(now.deadline)), icon=":material/event:")


def _period_option(ctx: PageContext, period: str, due: str) -> str:
    if period == due:
        return ctx.t("periods.due_option", period=period)
    if period_rules.is_running(period, ctx.today):
        return ctx.t("periods.running_option", period=period)
    return period


def _template(ctx: PageContext, org: str | None) -> None:
    st.subheader(ctx.t("upload.template_title"))
    if org is None:
        st.caption(ctx.t("upload.template_needs_org"))
        return
    now = due_now(ctx, org)
    due = now.period
    _due_banner(ctx, now)
    periods = period_rules.reportable_periods(ctx.today)
    periods = periods if due in periods else [due, *periods]
    left, middle, right = st.columns([2, 1, 2])
    with left:
        period = st.selectbox(
            ctx.t("common.period"),
            periods,
            index=periods.index(due),
            key="upload_template_period",
            format_func=lambda p: _period_option(ctx, p, due),
        )
    with middle:
        kind = st.radio(
            ctx.t("upload.format"),
            ["xlsx", "csv"],
            key="upload_template_format",
            horizontal=True,
            format_func=str.upper,
        )
    with right:
        framework = ctx.framework_in_use
        exports.download(
            ctx,
            ctx.t("upload.download_template"),
            lambda: template_bytes(framework, org, period, ctx.lang, kind),
            f"athar_{org}_{period}_{ctx.lang}.{kind}",
            MIME[kind],
            key="upload_template_download",
            icon=":material/download:",
            type="primary",
        )


def _check(ctx: PageContext, data: bytes, name: str, org: str | None) -> dict | None:
    """Validate once per file, organisation and framework; kept in the session across reruns."""
    import hashlib

    key = (hashlib.sha256(data).hexdigest(), org, ctx.framework_in_use.content_hash)
    cached = st.session_state.get(CHECK_KEY)
    if cached and cached["key"] == key:
        return cached
    try:
        checked = pipeline.check(
            data, name, framework=ctx.framework_in_use, store=ctx.store, member_org=org, content_sha256=key[0]
        )
    except Exception:  # noqa: BLE001 — the person gets a translated message, the log gets the trace
        _log.exception("checking %r failed", name)
        st.error(ctx.t("upload.check_failed"))
        return None
    kept = {"key": key, "result": checked.result, "checked": checked}
    st.session_state[CHECK_KEY] = kept
    if checked.result.status == "rejected":  # once per file: the same audit entry as the command line's
        pipeline.record_rejection(ctx.store, checked, actor=ctx.actor)
    return kept


def _rejected(ctx: PageContext, checked: pipeline.CheckedFile) -> None:
    result, name = checked.result, checked.file_name
    st.error(result.summary(ctx.lang), icon=":material/block:")  # "rejected — nothing was stored · …"
    st.markdown(f"**{ctx.t('upload.what_to_fix')}**")
    report = result.report(ctx.lang)
    report_table(ctx, result.issues, key="upload_report")
    copy = annotate.annotated_copy(checked.data, name, report, ctx.t("upload.errors_column"), raw=checked.raw)
    if copy is not None:
        exports.download(
            ctx,
            ctx.t("upload.download_annotated"),
            lambda: copy,
            annotate.annotated_name(name, ctx.t("upload.errors_suffix")),
            annotate.annotated_mime(name),
            key="upload_annotated",
            icon=":material/download:",
        )
        st.caption(ctx.t("upload.annotated_caption"))


def _preview(ctx: PageContext, checked: pipeline.CheckedFile) -> None:
    frame = pipeline.preview(ctx.store, ctx.viewer, checked)
    frame = frame.with_columns(
        change_label=labelled(frame, "change", lambda c: ctx.t(f"upload.change_{c}")),
        name=labelled(frame, "indicator_code", ctx.indicator_name),
        unit_label=labelled(frame, "unit", ctx.unit_label),
    )
    counts = {c: int((frame["change"] == c).sum()) for c in ("new", "changed", "unchanged")}
    cols = st.columns(3)
    for col, change in zip(cols, ("new", "changed", "unchanged"), strict=True):
        with col:
            widgets.metric(ctx, ctx.t(f"upload.count_{change}"), ctx.num(counts[change]))
    narrative_preview(ctx, checked.narratives)
    st.markdown(f"**{ctx.t('upload.preview_title')}**")
    frame = frame.with_columns(
        indicator=pl.col("indicator_code") + pl.lit(" · ") + pl.col("name"),
        breakdown=tables.breakdown_label(ctx, frame),
    )
    # Key columns first (what, the new value and the one it replaces); the rest in the details.
    tables.table(
        ctx,
        frame,
        {
            "indicator": Col(ctx.t("common.indicator"), width="medium"),
            "value": Col(ctx.t("upload.new_value"), "measure", "small", unit="unit"),
            "current_value": Col(ctx.t("upload.current_value"), "measure", "small", unit="unit"),
            "unit_label": Col(ctx.t("common.unit"), width="small"),
            "change_label": Col(ctx.t("upload.change"), width="small"),
            "period": Col(ctx.t("common.period"), width="small"),
            "breakdown": Col(ctx.t("upload.breakdown"), width="small"),
        },
        key="upload_preview",
    )
    with st.expander(ctx.t("tables.details")):
        tables.table(
            ctx,
            frame,
            {
                "line": Col(t("report.line", ctx.lang), "int", "small"),
                "org_code": Col(ctx.t("common.code")),
                "difference": Col(ctx.t("upload.difference"), "measure", unit="unit"),
            },
            key="upload_preview_details",
        )
    if counts["changed"]:
        st.caption(ctx.t("upload.changed_caption"))


def _commit(ctx: PageContext, kept: dict, explanations: pl.DataFrame | None = None) -> None:
    if st.button(ctx.t("upload.confirm"), type="primary", key="upload_confirm", icon=":material/save:"):
        checked = kept["checked"]
        try:  # the pipeline audits the outcome (accepted or rejected) and the explanations in its own write
            result = pipeline.commit(
                ctx.store,
                checked,
                framework=ctx.framework_in_use,
                uploaded_by=ctx.viewer.uploader,
                audit_actor=ctx.actor,
                explanations=explanations,
            )
        except PeriodLocked as locked:  # an approved period: refused, audited, nothing stored
            st.error(locked.message(ctx.lang), icon=":material/lock:")
            return
        except Exception:  # noqa: BLE001 — never a traceback on screen; nothing half-written (one transaction)
            _log.exception("loading %r failed", checked.file_name)
            st.error(ctx.t("upload.load_failed"))
            return
        if result.status == "accepted":  # a database with no version records the one checked against
            adopt_first_framework(
                ctx.store, ctx.framework_in_use, actor=ctx.actor, source="first upload (dashboard)"
            )
            autoscore.wake(ctx.store)  # its scoring request was recorded with it
        explained = 0 if explanations is None or result.status != "accepted" else explanations.height
        st.session_state[DONE_KEY] = {"key": kept["key"], "result": result, "explained": explained}
        _show_outcome(ctx, result, explained)


def _show_outcome(ctx: PageContext, result, explained: int = 0) -> None:
    if result.status == "rejected":
        st.error(result.summary(ctx.lang), icon=":material/block:")
        report_table(ctx, result.issues, key="upload_commit_report")
        return
    st.success(result.summary(ctx.lang), icon=":material/check_circle:")
    if explained:
        st.caption(explain_form.ctx_tn(ctx, "stored", explained))
    if result.submission_id is not None:
        autoscore.follow_submission(ctx, result.submission_id)


def render(ctx: PageContext) -> None:
    st.title(ctx.t("upload.title"))
    org = _target(ctx)
    if org is not None:  # what the committee returned and why; the approved (locked) periods
        review_member.section(ctx, org)
    _template(ctx, org)
    _file(ctx, org)
    if org is not None:  # shared beneficiaries and programmes, declared for one organisation
        overlap_form.section(ctx, org)


def _file(ctx: PageContext, org: str | None) -> None:
    st.subheader(ctx.t("upload.file_title"))
    file = st.file_uploader(ctx.t("upload.file_label"), key="upload_file", help=ctx.t("upload.file_help"))
    if file is None:
        st.caption(ctx.t("upload.formats"))
        return
    data = file.getvalue()
    checked = _check(ctx, data, file.name, org)
    if checked is None:
        return
    result = checked["result"]
    if result.status == "rejected":
        _rejected(ctx, checked["checked"])
        return
    done = st.session_state.get(DONE_KEY)
    if done and done["key"] == checked["key"]:
        _show_outcome(ctx, done["result"], done.get("explained", 0))
        return
    st.success(result.summary(ctx.lang), icon=":material/task_alt:")
    if result.warning_count:
        st.warning(ctx.tn("upload.warnings_title", result.warning_count))
        report_table(ctx, result.issues, key="upload_warnings")
    _preview(ctx, checked["checked"])
    # Each value the consistency rule flags asks for a short explanation (or a corrected file).
    flagged = explain_form.flagged_incoming(ctx, checked["checked"].validation.rows)
    answers = explain_form.ask(ctx, flagged, key="upload_explain")
    _commit(ctx, checked, answers)


if __name__ == "__main__":
    render(page_context())
