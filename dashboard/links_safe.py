"""Links made safely (issue 14): a summary and a confirmation before a link is created, confirmed
revoke and rotate that keep the acted-on link selected, and the committee's preview button.

Nothing is created, revoked or rotated by the first click: the first click only writes what is
asked (``st.session_state``), the page then names exactly what will happen, and the confirm button
pops that request before acting, so a second click (a double click, a stale tab) finds nothing to
confirm or a link already revoked, and says so. Creating goes through :func:`ask_to_create` with
the keyword arguments of :func:`store.links.create_link`; fields a form adds (a vocabulary…) show
in the summary through ``extra_rows`` (label, value) and are passed on unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import polars as pl
import streamlit as st

from dashboard import link_preview
from dashboard.context import PageContext
from dashboard.tables import markdown_text
from i18n import formatting as fmt
from i18n import t
from store import links
from store.links import LinkError

DRAFT_KEY = "_linksafe_draft"
PENDING_KEY = "_linksafe_pending"
DONE_KEY = "_linksafe_done"
#: The form's widgets (their keys start with this): kept across the summary, given back by "Back".
FORM_PREFIX = "link_"
CHOOSE_KEY = "links_choose"
KEEP_KEY = "_linksafe_keep"


def tr(ctx: PageContext, key: str, **params: object) -> str:
    return t(f"linksafe.{key}", ctx.lang, **params)


# -- create: summary, then confirm -----------------------------------------------------------
def scope_rows(ctx: PageContext, names: Mapping[str, str], request: Mapping[str, object]) -> list[tuple[str, str]]:
    """The summary's rows: (label, value) for every axis of the scope, as the link will hold it."""
    everything = ctx.t("links.all")

    def listed(values, label) -> str:
        return "\n".join(f"- {label(v)}" for v in values) if values else everything

    run = request.get("run_id")
    expires: datetime = request["expires_at"]
    return [
        (tr(ctx, "label"), str(request.get("label") or "").strip()),
        (ctx.t("links.organisations"), listed(request["org_codes"], lambda c: f"{c} — {names.get(c, c)}")),
        (ctx.t("links.principles"), listed(request.get("principles"), ctx.principle_label)),
        (ctx.t("links.periods"), listed(request.get("periods"), str)),
        (ctx.t("links.pages"), listed(request.get("pages"), lambda k: ctx.t(f"nav.{k}"))),
        (f"{ctx.t('links.expires')} (UTC)", fmt.datetime_text(expires, ctx.lang)),
        (tr(ctx, "run"), tr(ctx, "run_pinned", run=run) if run is not None else tr(ctx, "run_latest")),
        (tr(ctx, "provisional"), tr(ctx, "yes") if request.get("include_provisional") else tr(ctx, "no")),
    ]


def ask_to_create(
    ctx: PageContext,
    names: Mapping[str, str],
    request: dict[str, object],
    extra_rows: Sequence[tuple[str, str]] = (),
) -> None:
    """Keep the request (``create_link``'s keyword arguments) and show its summary: nothing created yet."""
    if not str(request.get("label") or "").strip():
        st.error(LinkError("label_missing").message(ctx.lang))
        return
    if not request.get("org_codes"):
        st.error(LinkError("no_organisation").message(ctx.lang))
        return
    st.session_state[DRAFT_KEY] = {
        "request": dict(request),
        "rows": [*scope_rows(ctx, names, request), *extra_rows],
        "form": {k: v for k, v in st.session_state.items() if str(k).startswith(FORM_PREFIX)},
    }
    st.rerun()


def _back() -> None:
    draft = st.session_state.pop(DRAFT_KEY, None)
    for key, value in (draft or {}).get("form", {}).items():  # the form comes back as it was filled
        st.session_state[key] = value


def confirm_create(ctx: PageContext, created_by: str, on_created) -> bool:
    """While a request waits: its summary and "Confirm and create" / "Back" (True: the form is hidden)."""
    draft = st.session_state.get(DRAFT_KEY)
    if not draft:
        return False
    with st.container(border=True, key="linksafe_summary"):
        st.markdown(f"**{tr(ctx, 'summary_title')}**")
        st.caption(tr(ctx, "summary_help"))
        for label, value in draft["rows"]:
            left, right = st.columns([1, 3])
            left.markdown(f"**{markdown_text(label)}**")
            right.markdown(_markdown_value(value))
        confirm, back = st.columns(2)
        confirmed = confirm.button(
            tr(ctx, "confirm_create"), key="linksafe_confirm_create", type="primary", icon=":material/check:"
        )
        back.button(tr(ctx, "back"), key="linksafe_back", icon=":material/arrow_back:", on_click=_back)
    if confirmed:
        request = st.session_state.pop(DRAFT_KEY, None)  # taken once: a second click finds nothing
        if request is None:
            st.info(tr(ctx, "nothing_to_confirm"))
            return True
        try:
            link_id, token = links.create_link(ctx.store, created_by=created_by, **request["request"])
        except LinkError as error:
            st.session_state[DRAFT_KEY] = request  # still there to correct: "Back" gives the form back
            st.error(error.message(ctx.lang))
            return True
        st.session_state[KEEP_KEY] = link_id  # the new link is the one chosen below
        on_created(token)
    return True


def _markdown_value(value: str) -> str:
    lines = str(value).split("\n")
    return "\n".join(f"- {markdown_text(line[2:])}" if line.startswith("- ") else markdown_text(line) for line in lines)


# -- revoke, rotate, preview -----------------------------------------------------------------
def _name(ctx: PageContext, row: Mapping[str, object]) -> str:
    orgs = fmt.join_list(list(row["org_codes"] or []), ctx.lang)
    return tr(ctx, "link_named", number=row["id"], label=row["label"], orgs=orgs)


def actions(ctx: PageContext, frame: pl.DataFrame, on_rotated) -> None:
    """Choose a link (every link, so the one acted on stays chosen), then act on it after a confirmation."""
    done = st.session_state.pop(DONE_KEY, None)
    if done:
        getattr(st, done["kind"])(done["text"])
    st.subheader(ctx.t("links.manage_title"))
    rows = {r["id"]: r for r in frame.iter_rows(named=True)}  # a handful of links, not data
    keep = st.session_state.pop(KEEP_KEY, None)
    if keep in rows:  # before the widget: the link just acted on, whatever the list became
        st.session_state[CHOOSE_KEY] = keep
    elif st.session_state.get(CHOOSE_KEY) not in rows:
        st.session_state.pop(CHOOSE_KEY, None)
    chosen = st.selectbox(
        ctx.t("links.choose"),
        list(rows),
        key=CHOOSE_KEY,
        format_func=lambda i: f"#{i} — {rows[i]['label']} ({ctx.t('links.status_' + rows[i]['status'])})",
        filter_mode=None,
    )
    row = rows[chosen]
    active = row["status"] == "active"
    pending = st.session_state.get(PENDING_KEY)
    if pending and pending["link_id"] != chosen:  # another link chosen: the question was about the other one
        st.session_state.pop(PENDING_KEY, None)
        pending = None
    if not active:
        st.caption(tr(ctx, "not_active", number=chosen))
    revoke, rotate, preview = st.columns(3)
    asked = None
    if revoke.button(ctx.t("links.revoke"), key="links_revoke", icon=":material/link_off:", disabled=bool(pending)):
        asked = "revoke"
    if rotate.button(ctx.t("links.rotate"), key="links_rotate", icon=":material/autorenew:", disabled=bool(pending)):
        asked = "rotate"
    if preview.button(tr(ctx, "preview_button"), key="links_preview", icon=":material/visibility:", disabled=not active,
                      help=tr(ctx, "preview_help")):
        if not link_preview.start(ctx.store, ctx.identity, chosen):
            st.warning(tr(ctx, "not_active", number=chosen))
    if asked:
        _ask(ctx, asked, row)
    if st.session_state.get(PENDING_KEY):
        _confirm(ctx, row, on_rotated)


def _ask(ctx: PageContext, action: str, row: Mapping[str, object]) -> None:
    if row["status"] != "active":  # already revoked (a second click) or expired: nothing to ask
        st.warning(tr(ctx, f"already_{row['status']}", name=_name(ctx, row)))
        return
    st.session_state[PENDING_KEY] = {"action": action, "link_id": row["id"]}
    st.rerun()


def _confirm(ctx: PageContext, row: Mapping[str, object], on_rotated) -> None:
    action = st.session_state[PENDING_KEY]["action"]
    with st.container(border=True, key="linksafe_confirm"):
        st.warning(tr(ctx, f"confirm_{action}_question", name=_name(ctx, row)))
        go, cancel = st.columns(2)
        confirmed = go.button(tr(ctx, f"confirm_{action}"), key=f"linksafe_confirm_{action}", type="primary")
        cancel.button(tr(ctx, "cancel"), key="linksafe_cancel", on_click=lambda: st.session_state.pop(PENDING_KEY, None))
    if not confirmed:
        return
    pending = st.session_state.pop(PENDING_KEY, None)  # taken once: a second click finds nothing
    if pending is None:
        st.info(tr(ctx, "nothing_to_confirm"))
        return
    _act(ctx, pending, row, on_rotated)


def _act(ctx: PageContext, pending: Mapping[str, object], row: Mapping[str, object], on_rotated) -> None:
    link_id, actor, name = int(pending["link_id"]), ctx.actor, _name(ctx, row)
    st.session_state[KEEP_KEY] = link_id  # the link acted on stays chosen after the rerun
    if pending["action"] == "revoke":
        revoked = links.revoke_link(ctx.store, link_id, actor=actor)
        text = tr(ctx, "revoked", name=name) if revoked else tr(ctx, "already_revoked", name=name)
        st.session_state[DONE_KEY] = {"kind": "success" if revoked else "warning", "text": text}
        st.rerun()
    try:
        new_id, token = links.rotate_link(ctx.store, link_id, actor=actor)
    except LinkError as error:
        st.session_state[DONE_KEY] = {"kind": "warning", "text": error.message(ctx.lang)}
        st.rerun()
    st.session_state[DONE_KEY] = {"kind": "success", "text": tr(ctx, "rotated", name=name, new=new_id)}
    on_rotated(token)
