"""Per-run session set-up: database, language (kept in the URL), viewer (demo mode), sidebar.

Sign-in and funder links arrive with the access issue; until then the app runs in *demo
mode* (``ATHAR_DEMO_MODE``, on by default): a clearly labelled sidebar selector lets you act
as the steering committee or as any member organisation. Both choices live in the URL
(``?lang=ar&as=ASS-CAS-001``) so a page can be linked, reloaded or screenshotted as is.
"""

from __future__ import annotations

import os

import duckdb
import streamlit as st

from dashboard import style
from dashboard.bootstrap import database_path, ensure_demo_database
from dashboard.context import PageContext, get_store, set_context
from i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise_language, t
from store import views
from store.viewer import Viewer

LANGUAGE_NAMES = {"fr": "Français", "ar": "العربية", "en": "English"}
STEERING = "steering"


def demo_mode() -> bool:
    return os.environ.get("ATHAR_DEMO_MODE", "1") != "0"


def _url_choice(param: str, options: list[str], default: str) -> str:
    """The URL's value (a link, a reload), else this session's (page changes drop the query string).

    Whatever is chosen is written back to the URL, so the address bar always says what is shown.
    """
    keep = f"_keep_{param}"
    raw = st.query_params.get(param)
    if param == "lang" and raw:
        raw = normalise_language(raw)
    if raw in options:
        value = raw
    elif st.session_state.get(keep) in options:
        value = st.session_state[keep]
    else:
        value = default
    st.session_state[keep] = value
    if st.query_params.get(param) != value:
        st.query_params[param] = value
    return value


def _language() -> str:
    lang = _url_choice("lang", list(LANGUAGES), DEFAULT_LANGUAGE)
    st.session_state["lang_select"] = lang
    return lang


def _on_language() -> None:
    st.session_state["_keep_lang"] = st.query_params["lang"] = st.session_state["lang_select"]


def _on_identity() -> None:
    st.session_state["_keep_as"] = st.query_params["as"] = st.session_state["demo_as"]


def _language_selector(lang: str) -> None:
    st.sidebar.selectbox(
        t("dashboard.app.language", lang),
        LANGUAGES,
        key="lang_select",
        format_func=LANGUAGE_NAMES.__getitem__,
        on_change=_on_language,
    )


def _demo_viewer(store, lang: str) -> Viewer:
    """The demo identity picker (lists every organisation: demo mode only)."""
    orgs = views.organisations(store, Viewer.steering("demo"), lang)
    names = dict(zip(orgs["org_code"].to_list(), orgs["name"].to_list(), strict=True))
    options = [STEERING, *names]
    choice = _url_choice("as", options, STEERING)
    st.session_state["demo_as"] = choice
    box = st.sidebar.container(border=True)
    box.markdown(f"**{t('dashboard.demo.title', lang)}**")
    box.caption(t("dashboard.demo.explain", lang))
    box.selectbox(
        t("dashboard.demo.act_as", lang),
        options,
        key="demo_as",
        on_change=_on_identity,
        format_func=lambda code: (
            t("dashboard.demo.steering", lang) if code == STEERING else f"{code} — {names[code]}"
        ),
    )
    if choice == STEERING:
        return Viewer.steering("demo")
    return Viewer.member(choice)


def start_session() -> PageContext:
    """Everything before the router: returns the context the pages read."""
    lang = _language()
    style.inject(lang)
    st.sidebar.markdown(f"### {t('dashboard.app.title', lang)}")
    _language_selector(lang)
    path = database_path()
    if not path.exists():
        if not demo_mode():
            st.error(t("dashboard.app.no_database", lang, path=str(path)))
            st.stop()
        with st.spinner(t("dashboard.app.preparing_demo", lang)):
            ensure_demo_database(path)
    try:
        store = get_store(str(path))
    except duckdb.Error:  # another process holds the file (a command-line import, a second app)
        st.error(t("dashboard.app.database_busy", lang, path=str(path)))
        st.stop()
    if demo_mode():
        viewer = _demo_viewer(store, lang)
    else:
        st.info(t("dashboard.app.sign_in_pending", lang))
        st.stop()
    version = views.data_version(store, viewer)
    ctx = PageContext(store=store, viewer=viewer, lang=lang, version=version, run=None, demo=demo_mode())
    ctx.run = ctx.q(views.latest_run)
    _run_caption(ctx)
    set_context(ctx)
    return ctx


def _run_caption(ctx: PageContext) -> None:
    """Which scores the pages show: run number, date, framework version (a method card behind it)."""
    if ctx.run is None:
        st.sidebar.caption(ctx.t("app.no_run"))
        return
    st.sidebar.caption(
        ctx.t(
            "app.run_caption",
            run=ctx.run["id"],
            date=ctx.date(ctx.run["created_at"]),
            version=ctx.run["framework_hash"][:8],
        )
    )
