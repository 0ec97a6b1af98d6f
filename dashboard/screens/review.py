"""Review (steering committee): one page to approve a submission or return it with comments.

For the submission picked: what changed since the last approved version (``ingest.preview.diff``
against ``store.review.last_approved_values``), its unusual values with the organisation's
explanation when there is one (flagged as the upload and the form flag them, before any scoring run),
and the consistency problems found when it was checked. Approving
locks the organisation's periods; the requests to reopen one are decided below. Every action goes
through ``store.review``, which audits it in the transaction of the change.
"""

from __future__ import annotations

import json

import polars as pl
import streamlit as st

from dashboard import autoscore, explain_form, narrative_view, tables
from dashboard.cells import Col
from dashboard.context import PageContext, page_context
from dashboard.lookup import labelled
from dashboard.reports import report_table
from ingest import preview as diffing
from ingest.issues import ISSUE_SCHEMA
from store import review
from store.review import ReviewError, ValueComment

DONE_KEY = "_review_done"
#: The submission this session approved last: the page says when the scores that follow it are recorded.
FOLLOW_KEY = "_review_follow"


def _t(ctx: PageContext, key: str, **params: object) -> str:
    from i18n import t

    return t(f"review.{key}", ctx.lang, **params)


def _pick(ctx: PageContext, queue: pl.DataFrame) -> int:
    labels = {row["id"]: _t(ctx, "page.pick_item", id=row["id"], org=row["org_code"] or "—",
                            file=row["file_name"], when=ctx.when(row["uploaded_at"]))
              for row in queue.iter_rows(named=True)}
    return st.selectbox(_t(ctx, "page.pick"), list(labels), format_func=labels.get, key="review_submission")


def _changes(ctx: PageContext, submission_id: int) -> pl.DataFrame:
    changes = diffing.diff(review.submission_values(ctx.store, submission_id),
                           review.last_approved_values(ctx.store, submission_id))
    st.subheader(_t(ctx, "page.changes_title"))
    counts = {k: int((changes["change"] == k).sum()) for k in ("new", "changed", "unchanged")}
    st.caption(_t(ctx, "page.changes_counts", **{k: ctx.num(v) for k, v in counts.items()}))
    shown = changes.filter(pl.col("change") != "unchanged")
    shown = shown.with_columns(
        change_label=pl.col("change").replace_strict(
            {k: ctx.t(f"upload.change_{k}") for k in ("new", "changed", "unchanged")}, default=pl.col("change")),
        indicator=pl.col("indicator_code") + pl.lit(" · ") + labelled(shown, "indicator_code", ctx.indicator_name),
        breakdown=tables.breakdown_label(ctx, shown),
    )
    # As the upload preview: what, the new value and the approved one it replaces, in the unit's words.
    tables.static_table(ctx, shown, {
        "indicator": Col(_t(ctx, "page.col_indicator"), width="medium"),
        "value": Col(_t(ctx, "page.col_value"), "measure", "small", unit="unit"),
        "current_value": Col(_t(ctx, "page.col_previous"), "measure", "small", unit="unit"),
        "change_label": Col(_t(ctx, "page.col_change"), width="small"),
        "period": Col(_t(ctx, "page.col_period"), "code"),
        "breakdown": Col(_t(ctx, "page.col_breakdown")),
    }, key="review_changes")
    return changes


def _flagged(ctx: PageContext, submission_id: int) -> None:
    st.subheader(_t(ctx, "page.flagged_title"))
    values = review.submission_series(ctx.store, submission_id)
    flagged = explain_form.flagged_incoming(ctx, values.drop("explanation"))  # the upload's and the form's rule
    if flagged.is_empty():
        st.caption(_t(ctx, "page.flagged_none"))
        return
    explained = values.select("line", "explanation", *(["unit"] if "unit" not in flagged.columns else []))
    shown = flagged.join(explained, on="line", how="left")
    shown = shown.with_columns(
        pl.col("explanation").fill_null(_t(ctx, "page.explanation_missing")),
        indicator=pl.col("indicator_code") + pl.lit(" · ") + labelled(shown, "indicator_code", ctx.indicator_name))
    tables.static_table(ctx, shown, {
        "org_code": Col(_t(ctx, "page.col_org"), "code"),
        "indicator": Col(_t(ctx, "page.col_indicator")),
        "period": Col(_t(ctx, "page.col_period"), "code"),
        "value": Col(_t(ctx, "page.col_value"), "measure", unit="unit"),
        "robust_z": Col(_t(ctx, "page.col_robust_z"), "num1"),
        "explanation": Col(_t(ctx, "page.col_explanation")),
    }, key="review_flagged")


def _problems(ctx: PageContext, submission_id: int) -> None:
    st.subheader(_t(ctx, "page.problems_title"))
    stored = json.loads(review.submission_report(ctx.store, submission_id) or "[]")
    issues = pl.from_dicts(stored, schema=ISSUE_SCHEMA) if stored else pl.DataFrame(schema=ISSUE_SCHEMA)
    if issues.is_empty():
        st.caption(_t(ctx, "page.problems_none"))
        return
    report_table(ctx, issues, key="review_problems")


def _decide(ctx: PageContext, submission_id: int, changes: pl.DataFrame) -> None:
    if st.button(_t(ctx, "page.approve"), type="primary", key="review_approve", icon=":material/verified:"):
        _act(ctx, lambda: _approved(ctx, submission_id))
    st.subheader(_t(ctx, "page.return_title"))
    comment = st.text_area(_t(ctx, "page.comment"), key="review_comment")
    values = {"": _t(ctx, "page.value_none")} | {
        f"{r['indicator_code']}|{r['period']}|{r['line']}": f"{r['indicator_code']} {r['period']} {r['breakdown']}".strip()
        for r in changes.iter_rows(named=True)}
    value = st.selectbox(_t(ctx, "page.value"), list(values), format_func=values.get, key="review_value")
    value_comment = st.text_input(_t(ctx, "page.value_comment"), key="review_value_comment")
    if st.button(_t(ctx, "page.return_button"), key="review_return", icon=":material/undo:"):
        on_values = []
        if value and value_comment.strip():
            indicator, period, line = value.split("|")
            on_values.append(ValueComment(indicator, period, value_comment, int(line)))
        _act(ctx, lambda: _returned(ctx, submission_id, comment, on_values))


def _approved(ctx: PageContext, submission_id: int) -> str:
    """Approve; the scoring request recorded with the approval is handed to the app's worker now."""
    locked = review.approve(ctx.store, submission_id, actor=ctx.actor)["locked"]
    autoscore.wake(ctx.store)
    st.session_state[FOLLOW_KEY] = submission_id
    return _t(ctx, "page.approved_ok", locked=", ".join(locked) or "—")


def _returned(ctx: PageContext, submission_id: int, comment: str, values: list[ValueComment]) -> str:
    review.return_submission(ctx.store, submission_id, comment, actor=ctx.actor, values=values)
    return _t(ctx, "page.returned_ok")


def _act(ctx: PageContext, action) -> None:
    """Run a review action; a refusal is shown in the reader's language, a success after the rerun."""
    try:
        st.session_state[DONE_KEY] = action()
    except ReviewError as refused:
        st.error(refused.message(ctx.lang), icon=":material/block:")
        return
    st.rerun()


def _requests(ctx: PageContext) -> None:
    st.subheader(_t(ctx, "page.requests_title"))
    pending = review.reopen_requests(ctx.store, ctx.viewer, pending_only=True)
    if pending.is_empty():
        st.caption(_t(ctx, "page.requests_none"))
    for row in pending.iter_rows(named=True):
        st.markdown(_t(ctx, "page.request_item", org=ctx.bdi(row["org_code"]), period=ctx.bdi(row["period"]),
                       reason=row["reason"], who=row["requested_by"], when=ctx.when(row["requested_at"])))
        grant, refuse = st.columns(2)
        for column, allow, key, done in ((grant, True, "grant", "granted_ok"), (refuse, False, "refuse", "refused_ok")):
            if column.button(_t(ctx, f"page.{key}"), key=f"review_{key}_{row['id']}"):
                _act(ctx, lambda allow=allow, done=done, request=row["id"]: _decided(ctx, request, allow, done))


def _decided(ctx: PageContext, request_id: int, grant: bool, done: str) -> str:
    review.decide_reopen(ctx.store, request_id, grant=grant, actor=ctx.actor)
    return _t(ctx, f"page.{done}")


def _locks(ctx: PageContext) -> None:
    st.subheader(_t(ctx, "page.locks_title"))
    locked = review.locks(ctx.store, ctx.viewer)
    if locked.is_empty():
        st.caption(_t(ctx, "page.locks_none"))
        return
    tables.static_table(ctx, locked, {
        "org_code": Col(_t(ctx, "page.col_org"), "code"),
        "period": Col(_t(ctx, "page.col_period"), "code"),
        "locked_at": Col(_t(ctx, "page.col_locked_at"), "datetime"),
    }, key="review_locks")


def render(ctx: PageContext) -> None:
    st.title(_t(ctx, "page.title"))
    if ctx.viewer.role != "steering":  # never routed here for others; a second lock all the same
        st.stop()
    st.caption(_t(ctx, "page.subtitle"))
    done = st.session_state.pop(DONE_KEY, None)
    if done:
        st.success(done, icon=":material/check_circle:")
    if st.session_state.get(FOLLOW_KEY) is not None:  # the scores after the last approval: to come, or recorded
        autoscore.follow_submission(ctx, st.session_state[FOLLOW_KEY])
    queue = review.submissions_for_review(ctx.store, ctx.viewer, status="submitted")
    if queue.is_empty():
        st.info(_t(ctx, "page.queue_empty"))
    else:
        submission_id = _pick(ctx, queue)
        changes = _changes(ctx, submission_id)
        _flagged(ctx, submission_id)
        _problems(ctx, submission_id)
        changes = narrative_view.review_section(ctx, submission_id, changes)
        _decide(ctx, submission_id, changes)
    _requests(ctx)
    _locks(ctx)


if __name__ == "__main__":
    render(page_context())
