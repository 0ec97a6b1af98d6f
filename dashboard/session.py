"""Per-run session set-up: database, language (kept in the URL), identity (``dashboard.access``), sidebar.

The identity is checked on every run: a funder link (``?link=…``) or a signed-in account;
anyone else gets the sign-in screen. In demo mode (``ATHAR_DEMO_MODE=1``, set by ``make run``)
the demo database is created on first start and the demo accounts listed in the README exist.
"""

from __future__ import annotations

import logging
import sys

import streamlit as st

from dashboard import autoscore, link_preview, style
from dashboard.access import Identity, identify, sign_out
from dashboard.bootstrap import database_path, ensure_demo_database
from dashboard.context import PageContext, get_store, set_context
from i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise_language, t
from store import accounts
from store.errors import DatabaseBusy, DatabaseUnreachable
from store.reads import common as common_reads
from store.settings import demo_mode

LANGUAGE_NAMES = {"fr": "Français", "ar": "العربية", "en": "English"}


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


def _language_selector(lang: str) -> None:
    st.sidebar.selectbox(
        t("dashboard.app.language", lang),
        LANGUAGES,
        key="lang_select",
        format_func=LANGUAGE_NAMES.__getitem__,
        on_change=_on_language,
    )


@st.cache_resource(show_spinner=False)
def _access_ready(db: str) -> bool:
    """Once per database and process: demo accounts (demo mode), and the first steering account.

    The first account's password is printed once on the server's console, never in a browser.
    """
    store = get_store(db)
    accounts.ensure_demo_accounts(store)
    created = accounts.ensure_first_steering(store)
    if created is not None:
        print(
            t("dashboard.access.first_account", DEFAULT_LANGUAGE, username=created[0], password=created[1]),
            file=sys.stderr,
            flush=True,
        )
    return True


def _who(ctx_t, identity: Identity, store) -> None:
    """Who is signed in (or which link is open), and the sign-out button."""
    box = st.sidebar.container(border=True)
    viewer = identity.viewer
    if identity.link_token is not None:
        box.markdown(f"**{ctx_t('access.link_badge')}**")
        box.caption(
            ctx_t(
                "access.link_caption",
                label=identity.link_label or "",
                date=viewer.link.expires_at.strftime("%Y-%m-%d %H:%M") + " UTC",
            )
        )
        return
    account = identity.account
    role = ctx_t(f"access.role_{account.role}")
    box.markdown(f"**{account.display_name or account.username}**")
    box.caption(f"{account.username} · {role}" + (f" · {account.org_code}" if account.org_code else ""))
    if box.button(ctx_t("access.sign_out"), key="sign_out", icon=":material/logout:"):
        sign_out(store, identity)
        st.rerun()


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
    except (DatabaseBusy, DatabaseUnreachable) as refused:  # the file held by another process; PostgreSQL out of reach
        if isinstance(refused, DatabaseUnreachable):
            logging.getLogger("dashboard.app").error("database unreachable: %s", refused.__cause__)
        st.error(refused.message(lang))
        st.stop()
    _access_ready(str(path))
    autoscore.worker(store)  # scores follow the data: started once per process and file
    identity = identify(store, lang, lambda key, **p: t(f"dashboard.{key}", lang, **p))
    identity = link_preview.apply(store, identity, lang)  # the committee previewing a funder link
    viewer = identity.viewer
    _who(lambda key, **p: t(f"dashboard.{key}", lang, **p), identity, store)
    version = common_reads.data_version(store, viewer)
    ctx = PageContext(
        store=store, viewer=viewer, lang=lang, version=version, run=None, demo=demo_mode(), identity=identity
    )
    ctx.run = ctx.q(common_reads.latest_run)
    autoscore.sidebar_status(ctx)
    set_context(ctx)
    return ctx
