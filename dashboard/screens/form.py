"""Form: the expected indicators of the due period, typed in the app by organisations without Excel.

The form is a file by another door: what the member types becomes the CSV a filled-in template
would be (``ingest.form``) and takes the upload's path — ``pipeline.check`` → ``preview`` →
``commit`` — so the messages beside the fields are the file report's, in the member's language,
nothing is stored when it is refused, and an accepted form is a submission audited like a file.
One column of fields, so it reads on a phone and mirrors in Arabic.
"""

from __future__ import annotations

import hashlib
import logging

import polars as pl
import streamlit as st

from dashboard import autoscore, explain_form, narrative_form, pickers, widgets
from dashboard.context import PageContext, page_context
from dashboard.due import due_now
from dashboard.reports import report_texts
from dashboard.tables import breakdown_label, markdown_text
from framework import periods as period_rules
from i18n import formatting as fmt
from i18n import t
from ingest import pipeline
from ingest.form import ENTRY_COLUMNS, FORM_BREAKDOWN, form_file, form_file_name, form_lines, previous_period
from metrics.expectations import expected_indicators
from store.reads import common as common_reads
from store.reads import targets as target_reads
from store.reads import uploads as uploads_reads
from store.reads.common import BREAKDOWN_KEYS
from store.registry import adopt_first_framework
from store.review import PeriodLocked

_log = logging.getLogger(__name__)
CHECK_KEY = "_form_check"
DONE_KEY = "_form_done"


def text(ctx: PageContext, key: str, **params: object) -> str:
    return t(f"form.{key}", ctx.lang, **params)


def _target(ctx: PageContext) -> str | None:
    """The organisation the values are for: a member's own; the committee picks one (None: none registered)."""
    if ctx.viewer.role == "member":
        st.caption(text(ctx, "for_own", org=pickers.org_title(ctx, ctx.viewer.org_code)))
        return ctx.viewer.org_code
    orgs = ctx.q(common_reads.organisations, ctx.lang)
    names = dict(zip(orgs["org_code"].to_list(), orgs["name"].to_list(), strict=True))
    if not names:
        return None
    pickers.remember("form_org", list(names))
    return st.selectbox(
        text(ctx, "on_behalf"), list(names), key="form_org", format_func=lambda c: f"{c} — {names[c]}"
    )


def _period(ctx: PageContext, org: str) -> str:
    """The due period by default (the reporting calendar's open one, as the template offers), with its deadline."""
    now = due_now(ctx, org)
    due = now.period
    periods = period_rules.reportable_periods(ctx.today)
    periods = periods if due in periods else [due, *periods]
    asked = st.query_params.get("period")  # the member's home opens the form on the period it names
    if asked and asked not in periods and period_rules.is_label(asked):
        periods = [asked, *periods]
    period = st.selectbox(
        ctx.t("common.period"),
        periods,
        index=periods.index(asked if asked in periods else due),
        key=f"form_period_{org}",
        format_func=lambda p: ctx.t("periods.due_option", period=p) if p == due else p,
    )
    if period == due and not now.sent:
        late = now.deadline < ctx.today
        (st.warning if late else st.info)(
            ctx.t("periods.due_late" if late else "periods.due_open", period=due, deadline=ctx.date(now.deadline))
        )
    return period


def _lines(ctx: PageContext, org: str) -> pl.DataFrame:
    """The form's lines for this organisation's expected indicators, with the words people read."""
    fw = ctx.framework_in_use
    facts = ctx.q(target_reads.expectation_facts, org)
    overrides = ctx.q(target_reads.expectation_overrides, org)
    lines = form_lines(fw, expected_indicators(fw, facts, overrides)["indicator_code"].to_list())
    return lines.with_columns(part=breakdown_label(ctx, lines))


def _reference(ctx: PageContext, org: str, lines: pl.DataFrame, period: str) -> tuple[str, dict[str, float]]:
    """The previous period and its stored values, as this viewer may see them (field → value)."""
    before = previous_period(period)
    keys = lines.select("field", "indicator_code", FORM_BREAKDOWN).with_columns(
        org_code=pl.lit(org),
        period=pl.lit(before),
        **{k: pl.lit(None, pl.String) for k in BREAKDOWN_KEYS if k != FORM_BREAKDOWN},
    )
    found = uploads_reads.current_values(ctx.store, ctx.viewer, keys)
    if found.is_empty():
        return before, {}
    known = keys.join(
        found.select("indicator_code", FORM_BREAKDOWN, "current_value"),
        on=["indicator_code", FORM_BREAKDOWN],
        how="inner",
        nulls_equal=True,
    )
    return before, dict(zip(known["field"].to_list(), known["current_value"].to_list(), strict=True))


def _widget(org: str, period: str, field: str, column: str) -> str:
    return f"form_{org}_{period}_{field}_{column}"


def _entries(org: str, period: str, lines: pl.DataFrame) -> pl.DataFrame:
    """What is typed in the fields now (field, value, notes, source), from the session."""
    fields = lines["field"].to_list()
    return pl.DataFrame(
        {"field": fields}
        | {c: [st.session_state.get(_widget(org, period, f, c)) for f in fields] for c in ENTRY_COLUMNS},
        schema={"field": pl.String(), **{c: pl.String() for c in ENTRY_COLUMNS}},
    )


def _field_problems(
    ctx: PageContext, kept: dict | None
) -> tuple[dict[str, list[tuple[str, str]]], pl.DataFrame]:
    """The last check's problems by field (severity, message and hint), and those of no field (the file's)."""
    if kept is None:
        return {}, pl.DataFrame()
    issues = report_texts(kept["checked"].result.issues, ctx.lang).join(
        kept["positions"], on="line", how="left"
    )
    placed = issues.filter(pl.col("field").is_not_null())
    by_field: dict[str, list[tuple[str, str]]] = {}
    for field, severity, message, hint in placed.select("field", "severity", "message", "hint").iter_rows():
        by_field.setdefault(field, []).append((severity, f"{message} {hint}".strip()))
    return by_field, issues.filter(pl.col("field").is_null())


def _problem(severity: str, problem: str) -> None:
    """One problem as the file report words it: an error in red, a warning in amber."""
    if severity == "error":
        st.error(markdown_text(problem), icon=":material/error:")
    else:
        st.warning(markdown_text(problem), icon=":material/warning:")


def _value_input(
    ctx: PageContext, key: str, label: str, reference: float | None, problems: list[tuple[str, str]]
) -> None:
    placeholder = (
        fmt.number(reference, ctx.lang, 0 if float(reference).is_integer() else 2)
        if reference is not None
        else None
    )
    st.text_input(label, key=key, placeholder=placeholder)
    for severity, problem in problems:
        _problem(severity, problem)


def _indicator(
    ctx: PageContext, org: str, period: str, group: pl.DataFrame, refs: tuple[str, dict], problems: dict
) -> None:
    """One indicator: its total, its parts (by sex) and its notes and source, one under the other."""
    before, values = refs
    code = group["indicator_code"][0]
    unit = ctx.unit_name(code)
    total = group.filter(pl.col(FORM_BREAKDOWN).is_null())["field"][0]
    with st.container(border=True):
        st.markdown(f"**{ctx.bdi(code)} · {ctx.indicator_name(code)}**", unsafe_allow_html=ctx.rtl)
        previous = values.get(total)
        st.caption(
            text(ctx, "unit", unit=unit)
            + " · "
            + (
                text(
                    ctx,
                    "previous",
                    period=before,
                    value=ctx.num(previous, 0 if float(previous).is_integer() else 2),
                )
                if previous is not None
                else text(ctx, "previous_none", period=before)
            )
        )
        _value_input(
            ctx,
            _widget(org, period, total, "value"),
            text(ctx, "value_label", unit=unit),
            previous,
            problems.get(total, []),
        )
        parts = group.filter(pl.col(FORM_BREAKDOWN).is_not_null())
        if parts.height:
            with st.expander(text(ctx, "by_sex"), expanded=any(f in problems for f in parts["field"])):
                for field, part in parts.select("field", "part").iter_rows():
                    _value_input(
                        ctx,
                        _widget(org, period, field, "value"),
                        text(ctx, "part_label", part=part, unit=unit),
                        values.get(field),
                        problems.get(field, []),
                    )
        with st.expander(text(ctx, "more")):
            st.text_input(
                text(ctx, "notes"),
                key=_widget(org, period, total, "notes"),
                placeholder=text(ctx, "notes_help"),
            )
            st.text_input(
                text(ctx, "source"),
                key=_widget(org, period, total, "source"),
                placeholder=text(ctx, "source_help"),
            )


def _file(ctx: PageContext, org: str, period: str, lines: pl.DataFrame) -> tuple[bytes, pl.DataFrame]:
    return form_file(ctx.framework_in_use, lines, _entries(org, period, lines), org, period, ctx.lang)


def _check(ctx: PageContext, org: str, period: str, lines: pl.DataFrame) -> None:
    """The form's file through the pipeline's check, kept for the next run (nothing is stored)."""
    data, positions = _file(ctx, org, period, lines)
    if positions.is_empty():
        st.session_state[CHECK_KEY] = {"key": (org, period), "empty": True}
        return
    try:
        checked = pipeline.check(
            data, form_file_name(org, period), framework=ctx.framework_in_use, store=ctx.store, member_org=org,
            narratives=narrative_form.typed(ctx, org, period),
        )
    except Exception:  # noqa: BLE001 — the person gets a translated message, the log gets the trace
        _log.exception("checking the form of %s for %s failed", org, period)
        st.session_state[CHECK_KEY] = {"key": (org, period), "failed": True}
        return
    st.session_state[CHECK_KEY] = {"key": (org, period), "checked": checked, "positions": positions}


def _commit(ctx: PageContext, kept: dict, answers: pl.DataFrame) -> None:
    """Store the checked form with the member's explanations of its flagged values; the outcome (or
    the refusal) is kept for the run that follows, which shows it."""
    checked = kept["checked"]
    done: dict = {"sha": checked.content_sha256}
    try:  # the pipeline audits the outcome and the explanations in the commit's transaction, as for a file
        result = pipeline.commit(
            ctx.store,
            checked,
            framework=ctx.framework_in_use,
            uploaded_by=ctx.viewer.uploader,
            audit_actor=ctx.actor,
            explanations=answers,
            explanation_origin="form",
        )
    except PeriodLocked as locked:  # an approved period: refused, audited, nothing stored
        done["error"] = locked.message(ctx.lang)
    except Exception:  # noqa: BLE001 — never a traceback on screen; nothing half-written (one transaction)
        _log.exception("storing the form %r failed", checked.file_name)
        done["error"] = ctx.t("upload.load_failed")
    else:
        if result.status == "accepted":
            adopt_first_framework(
                ctx.store, ctx.framework_in_use, actor=ctx.actor, source="first form (dashboard)"
            )
            autoscore.wake(ctx.store)  # its scoring request was recorded with it
        explained = answers.height if result.status == "accepted" else 0
        done |= {"result": result, "explained": explained}
    st.session_state[DONE_KEY] = done


def _done(ctx: PageContext, done: dict) -> None:
    """What became of the stored form: refused (a locked period), rejected or accepted, and the scores."""
    if "error" in done:
        st.error(done["error"], icon=":material/lock:")
        return
    result = done["result"]
    if result.status == "rejected":
        st.error(result.summary(ctx.lang))
        return
    st.success(result.summary(ctx.lang), icon=":material/check_circle:")
    if done.get("explained"):
        st.caption(explain_form.ctx_tn(ctx, "stored", done["explained"]))
    if result.submission_id is not None:
        autoscore.follow_submission(ctx, result.submission_id)


def _outcome(
    ctx: PageContext, org: str, period: str, lines: pl.DataFrame, kept: dict | None, general: pl.DataFrame
) -> None:
    """Below the button: refused (and why), or checked: what would change and the button that stores it."""
    if kept is None:
        return
    if kept.get("empty"):
        st.warning(text(ctx, "nothing_typed"))
        return
    if kept.get("failed"):
        st.error(ctx.t("upload.check_failed"))
        return
    checked = kept["checked"]
    done = st.session_state.get(DONE_KEY)
    if done and done["sha"] == checked.content_sha256:
        _done(ctx, done)
        return
    if checked.result.status == "rejected":
        st.error(checked.result.summary(ctx.lang), icon=":material/block:")
        st.caption(text(ctx, "fix_fields"))
        for severity, message, hint in general.select("severity", "message", "hint").iter_rows():
            _problem(severity, f"{message} {hint}".strip())
        return
    st.success(checked.result.summary(ctx.lang), icon=":material/task_alt:")
    for severity, message, hint in general.select("severity", "message", "hint").iter_rows():
        _problem(severity, f"{message} {hint}".strip())
    data, _ = _file(ctx, org, period, lines)
    if hashlib.sha256(data).hexdigest() != checked.content_sha256:
        st.caption(text(ctx, "changed_since_check"))
        return
    frame = pipeline.preview(ctx.store, ctx.viewer, checked)
    for change in ("new", "changed", "unchanged"):
        widgets.metric(ctx, ctx.t(f"upload.count_{change}"), ctx.num(int((frame["change"] == change).sum())))
    # Each value the consistency rule flags asks for a short explanation, as on the upload page.
    answers = explain_form.ask(ctx, explain_form.flagged_incoming(ctx, checked.validation.rows), key="form_explain")
    if st.button(
        text(ctx, "confirm"), type="primary", key="form_confirm", icon=":material/save:", width="stretch"
    ):
        _commit(ctx, kept, answers)
        st.rerun()


def render(ctx: PageContext) -> None:
    st.title(text(ctx, "title"))
    st.caption(text(ctx, "intro"))
    org = _target(ctx)
    if org is None:
        return
    period = _period(ctx, org)
    lines = _lines(ctx, org)
    if lines.is_empty():
        st.info(text(ctx, "no_expected"))
        return
    kept = st.session_state.get(CHECK_KEY)
    kept = kept if kept and kept["key"] == (org, period) else None
    problems, general = _field_problems(ctx, kept if kept and "checked" in kept else None)
    refs = _reference(ctx, org, lines, period)
    with st.form(f"form_values_{org}_{period}", border=False, enter_to_submit=False):
        for group in lines.partition_by("indicator_code", maintain_order=True):
            _indicator(ctx, org, period, group, refs, problems)
        narrative_form.fields(ctx, org, period)
        checked = st.form_submit_button(
            text(ctx, "check"),
            type="primary",
            key="form_check",
            icon=":material/fact_check:",
            width="stretch",
        )
    if checked:
        st.session_state.pop(DONE_KEY, None)
        _check(ctx, org, period, lines)
        st.rerun()
    _outcome(ctx, org, period, lines, kept, general)


if __name__ == "__main__":
    render(page_context())
