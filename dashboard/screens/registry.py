"""Organisation registry (steering committee): add, edit, deactivate organisations; import the file.

Every organisation typed here goes through the rules of the registry file (``ingest.orgs``): a
region or a thematic area nobody knows gets the same message here, in the CSV import (on this page
or ``python -m ingest orgs``) and on the command line (``python -m ingest org``). Each change is
audited in the transaction that makes it (``store.registry``).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import tables
from dashboard.cells import Col
from dashboard.context import PageContext, page_context
from dashboard.reports import report_table
from framework.vocabulary import KINDS, THEMES
from ingest.orgs import SIZE_BANDS, OrgFile, check_organisation, read_org_file
from store import registry
from store.registry import RegistryError

NEW = "__new__"
NOTICE_KEY = "_registry_notice"
#: The organisation to show after a save (set before the choice widget exists on the next run).
PENDING_KEY = "_registry_pending_choice"
SOURCE_PAGE = "registry page"
TEXT_FIELDS = ("code", "name_fr", "name_ar", "name_en", "region", "thematic_areas")


def _field_key(name: str) -> str:
    return f"registry_{name}"


def _load_choice(frame: pl.DataFrame) -> None:
    """Fill the form with the chosen organisation's details (empty for a new one)."""
    chosen = st.session_state.get("registry_choose", NEW)
    row = {} if chosen == NEW else frame.filter(pl.col("code") == chosen).row(0, named=True)
    for name in TEXT_FIELDS:
        value = row.get(name)
        st.session_state[_field_key(name)] = " | ".join(value) if isinstance(value, list) else (value or "")
    st.session_state[_field_key("kind")] = row.get("kind") or KINDS[0]
    st.session_state[_field_key("size_band")] = row.get("size_band")


def _show_issues(ctx: PageContext, checked: OrgFile) -> None:
    """The problems in the very table the registry file's report uses (same messages and hints)."""
    st.error(ctx.t("registry.form_rejected"), icon=":material/block:")
    report_table(ctx, checked.issues, key="registry_form_report")


def _form(ctx: PageContext, frame: pl.DataFrame) -> None:
    codes = frame["code"].to_list()
    names = dict(zip(codes, frame["name_fr"].to_list(), strict=True))
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending is not None:
        st.session_state["registry_choose"] = pending
        st.session_state.pop(_field_key("kind"), None)  # filled again below from the saved details
    chosen = st.selectbox(
        ctx.t("registry.choose"), [NEW, *codes], key="registry_choose", on_change=_load_choice, args=(frame,),
        format_func=lambda c: ctx.t("registry.new_org") if c == NEW else f"{c} — {names[c]}",
    )
    if _field_key("kind") not in st.session_state:
        _load_choice(frame)
    regions = sorted({ctx.region_name(code) for code in ctx.framework_in_use.breakdown_alias_table("region").values()})
    themes = ", ".join(ctx.t(f"themes.{code}") for code in THEMES)
    with st.form("registry_form", border=True):
        left, right = st.columns(2)
        left.text_input(ctx.t("registry.code"), key=_field_key("code"), max_chars=40, disabled=chosen != NEW,
                        help=ctx.t("registry.code_help"))
        right.text_input(ctx.t("registry.name_fr"), key=_field_key("name_fr"), max_chars=200)
        left.text_input(ctx.t("registry.name_ar"), key=_field_key("name_ar"), max_chars=200)
        right.text_input(ctx.t("registry.name_en"), key=_field_key("name_en"), max_chars=200)
        left.selectbox(ctx.t("registry.kind"), list(KINDS), key=_field_key("kind"),
                       format_func=lambda k: ctx.t(f"kinds.{k}"))
        right.selectbox(ctx.t("registry.size_band"), [None, *SIZE_BANDS], key=_field_key("size_band"),
                        format_func=lambda s: ctx.t("registry.no_size") if s is None else ctx.t(f"sizes.{s}"))
        left.text_input(ctx.t("registry.region"), key=_field_key("region"), max_chars=120,
                        help=ctx.t("registry.region_help", regions=", ".join(regions)))
        right.text_input(ctx.t("registry.thematic_areas"), key=_field_key("thematic_areas"), max_chars=400,
                         help=ctx.t("registry.themes_help", themes=themes))
        label = ctx.t("registry.add") if chosen == NEW else ctx.t("registry.save")
        submitted = st.form_submit_button(label, type="primary", icon=":material/save:")
    if submitted:
        _save(ctx, chosen)
    if chosen != NEW:
        _activity(ctx, frame.filter(pl.col("code") == chosen).row(0, named=True))


def _save(ctx: PageContext, chosen: str) -> None:
    fields = {name: st.session_state.get(_field_key(name)) for name in (*TEXT_FIELDS, "kind", "size_band")}
    if chosen != NEW:
        fields["code"] = chosen
    checked = check_organisation(fields, ctx.framework_in_use)
    if checked.has_errors:
        _show_issues(ctx, checked)
        return
    try:
        registry.upsert_organizations(ctx.store, checked.rows, actor=ctx.actor, source=SOURCE_PAGE,
                                      expect="new" if chosen == NEW else "known")
    except RegistryError as error:
        st.error(error.message(ctx.lang))
        return
    code = checked.rows["code"][0]
    st.session_state[NOTICE_KEY] = ctx.t("registry.added" if chosen == NEW else "registry.saved", code=code)
    st.session_state[PENDING_KEY] = code
    st.rerun()


def _activity(ctx: PageContext, row: dict) -> None:
    """Deactivate the chosen organisation (it leaves the pages and peer groups; its data stay), or
    activate it again."""
    active = row["active"]
    st.caption(ctx.t("registry.active_caption" if active else "registry.inactive_caption"))
    key, label, icon = (("registry_deactivate", "registry.deactivate", ":material/block:") if active
                        else ("registry_reactivate", "registry.reactivate", ":material/check:"))
    if st.button(ctx.t(label), key=key, icon=icon):
        registry.set_organisation_active(ctx.store, row["code"], not active, actor=ctx.actor, source=SOURCE_PAGE)
        st.session_state[PENDING_KEY] = row["code"]
        st.session_state[NOTICE_KEY] = ctx.t(
            "registry.reactivated" if not active else "registry.deactivated", code=row["code"]
        )
        st.rerun()


def _import(ctx: PageContext) -> None:
    """The registry file, as ``python -m ingest orgs`` reads it: all rows or none."""
    st.subheader(ctx.t("registry.import_title"))
    st.caption(ctx.t("registry.import_caption"))
    upload = st.file_uploader(ctx.t("registry.import_file"), type=["csv", "txt", "xlsx"], key="registry_file")
    if upload is None:
        return
    checked = read_org_file(upload.getvalue(), upload.name, ctx.framework_in_use)
    if checked.has_errors or checked.rows.is_empty():
        st.error(ctx.t("registry.import_rejected", file=upload.name), icon=":material/block:")
        report_table(ctx, checked.issues, key="registry_report")
        return
    st.info(ctx.tn("registry.import_ready", checked.rows.height, file=upload.name))
    if st.button(ctx.t("registry.import"), key="registry_import", type="primary", icon=":material/upload:"):
        count = registry.upsert_organizations(ctx.store, checked.rows, actor=ctx.actor, source=upload.name)
        st.session_state[NOTICE_KEY] = ctx.tn("registry.imported", count, file=upload.name)
        st.session_state[PENDING_KEY] = st.session_state.get("registry_choose", NEW)  # its details may have changed
        st.rerun()


def _list(ctx: PageContext, frame: pl.DataFrame) -> None:
    kinds = {k: ctx.t(f"kinds.{k}") for k in KINDS}
    themes = {k: ctx.t(f"themes.{k}") for k in THEMES}
    sizes = {s: ctx.t(f"sizes.{s}") for s in SIZE_BANDS}
    regions = {code: ctx.region_name(code) for code in frame["region"].drop_nulls().unique().to_list()}
    shown = frame.with_columns(
        kind_label=pl.col("kind").replace_strict(kinds, default=pl.col("kind")),
        size_label=pl.col("size_band").replace_strict(sizes, default=pl.col("size_band")),
        region_label=pl.col("region").replace_strict(regions, default=pl.col("region"), return_dtype=pl.String),
        themes_label=pl.col("thematic_areas").list.eval(pl.element().replace_strict(themes, default=pl.element()))
        .list.join(", "),
    )
    tables.table(
        ctx,
        shown,
        {
            "code": Col(ctx.t("registry.code"), "code"),
            "name_fr": Col(ctx.t("registry.name_fr")),
            "name_ar": Col(ctx.t("registry.name_ar")),
            "name_en": Col(ctx.t("registry.name_en")),
            "kind_label": Col(ctx.t("registry.kind"), "text", "small"),
            "region_label": Col(ctx.t("registry.region")),
            "themes_label": Col(ctx.t("registry.thematic_areas")),
            "size_label": Col(ctx.t("registry.size_band"), "text", "small"),
            "active": Col(ctx.t("registry.active"), "bool", "small"),
        },
        key="registry_table",
    )


def render(ctx: PageContext) -> None:
    st.title(ctx.t("registry.title"))
    if ctx.viewer.role != "steering":  # never routed here for others; a second lock all the same
        st.stop()
    st.caption(ctx.t("registry.subtitle"))
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.success(notice)
    frame = registry.registry_with_status(ctx.store)
    st.subheader(ctx.t("registry.edit_title"))
    _form(ctx, frame)
    st.subheader(ctx.tn("registry.list_title", frame.height))
    _list(ctx, frame)
    _import(ctx)


if __name__ == "__main__":
    render(page_context())
