"""Who is behind this session, checked again on every rerun: a funder link, or a signed-in account.

Nothing here trusts the browser beyond what it proves on each run:
- a funder link's token (``?link=…``) is checked against the store on every rerun and again
  inside every download, so a revoked or expired link stops working mid-session;
- an account session lives in ``st.session_state`` (server side, one per browser tab) and ends
  after ``session_idle_minutes`` without interaction or ``session_max_hours`` in all; it is also a
  row of ``store.sessions``, checked on every rerun, so sign-out, "sign out everywhere" and a
  password change end it in every tab; under the server (``python -m server``) a cookie names that
  row and a reload or a new tab restores it (``dashboard.cookie_session``);
- the account itself (active? still the same role and organisation?) is re-read on every run.

The URL can never widen a scope: ``?as=``, ``?org=`` and the like are not read here at all, and
a link's scope comes only from the store.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import streamlit as st

from dashboard import cookie_session, oidc
from i18n import DEFAULT_LANGUAGE, t
from store import accounts, links, sessions
from store.accounts import DEMO_PASSWORD, DEMO_STEERING, Account
from store.audit import record
from store.clients import ClientInfo
from store.db import Store, utc_now
from store.settings import AccessSettings, demo_mode
from store.viewer import Viewer

_log = logging.getLogger(__name__)
AUTH_KEY = "_athar_auth"
LINK_KEY = "_athar_link_token"
NOTICE_KEY = "_athar_access_notice"
FAILURES_KEY = "_athar_failures"
LAST_PAGE_KEY = "_athar_link_last_page"
#: The page the address asked for before sign-in: opened once the person is signed in.
WANTED_KEY = "_athar_wanted_page"
LINK_PARAM = "link"
#: Seconds added to each failed sign-in of a session (then capped): slows guessing in one tab.
FAILURE_DELAY_S = 0.5
FAILURE_DELAY_MAX_S = 4.0


@dataclass(frozen=True)
class Identity:
    """The checked identity of this run: the viewer, and how to check it again (downloads)."""

    viewer: Viewer
    account: Account | None = None
    link_token: str | None = None
    link_label: str | None = None
    #: The account session's times (``st.session_state[AUTH_KEY]``, the same dict the reruns update).
    session: dict | None = field(default=None, compare=False, repr=False)

    def refusal(self, store: Store) -> str | None:
        """Why this identity no longer holds at download time, or None while it does.

        A click on a download is not a rerun: a session that went idle, grew too old or was signed
        out since the page was drawn must not get its data either. The reason is a short code for
        the audit log: the link's status (``revoked``, ``expired``, ``unknown``), ``session_ended``,
        ``account_unusable`` or ``role_changed``.
        """
        if self.link_token is not None:
            check = links.check_token(store, self.link_token)
            return None if check.ok else check.status
        if self.account is None:
            return "no_identity"
        if self.session is not None and (
            session_over(self.session, settings())
            or _password_changed_elsewhere(store, self.session)
            or not _server_session_open(store, self.session)
        ):
            return "session_ended"
        current = accounts.get_account(store, self.account.id)
        if current is None or not accounts.usable(current):
            return "account_unusable"
        return None if current.role == self.account.role else "role_changed"

    def still_valid(self, store: Store) -> bool:
        return self.refusal(store) is None


def settings() -> AccessSettings:
    return AccessSettings.from_env()


def client_info() -> ClientInfo:
    """This connection's fingerprint for the audit log and the sign-in throttle.

    The address as Streamlit gives it (None on localhost) and the browser's user agent; never
    anything from the address bar, so never a token.
    """
    try:
        return ClientInfo.of(st.context.ip_address, st.context.headers.get("User-Agent"))
    except Exception:  # noqa: BLE001 — no connection behind this run (bare scripts)
        return ClientInfo()


def session_over(auth: dict, cfg: AccessSettings) -> bool:
    """An account session ended (signed out or expired), idle too long, or open too long in all."""
    now = utc_now()
    return (
        bool(auth.get("ended"))
        or now - auth["last_seen"] > timedelta(minutes=cfg.session_idle_minutes)
        or now - auth["signed_in_at"] > timedelta(hours=cfg.session_max_hours)
    )


# -- funder links ----------------------------------------------------------------------------
def _link_token() -> str | None:
    """The token of this session: the URL's, else the one this session opened with."""
    raw = st.query_params.get(LINK_PARAM)
    if raw:
        st.session_state[LINK_KEY] = raw
        return raw
    kept = st.session_state.get(LINK_KEY)
    if kept:
        st.query_params[LINK_PARAM] = (
            kept  # page changes drop the query string: keep the link working on reload
        )
    return kept


def _link_identity(store: Store, token: str) -> Identity | str:
    """The funder identity, or the status to explain (expired, revoked, unknown, malformed)."""
    check = links.check_token(store, token)
    if not check.ok:
        return check.status
    return Identity(viewer=check.viewer(), link_token=token, link_label=check.label)


def record_page_view(store: Store, identity: Identity, page: str) -> None:
    """Count a funder's page view once per page change (reruns on the same page are not uses)."""
    if identity.link_token is None or identity.viewer.link is None:
        return
    if st.session_state.get(LAST_PAGE_KEY) == page:
        return
    st.session_state[LAST_PAGE_KEY] = page
    links.record_use(store, identity.viewer.link.link_id, page=page)


# -- accounts --------------------------------------------------------------------------------
def _account_identity(store: Store, cfg: AccessSettings) -> Identity | str | None:
    """The signed-in account of this session, ``"expired"`` when its session just ended, or None."""
    auth = st.session_state.get(AUTH_KEY)
    if not auth:
        return None
    now = utc_now()
    idle = now - auth["last_seen"] > timedelta(minutes=cfg.session_idle_minutes)
    too_old = now - auth["signed_in_at"] > timedelta(hours=cfg.session_max_hours)
    account = accounts.get_account(store, auth["account_id"])
    if not (idle or too_old) and account is not None and _password_changed_elsewhere(store, auth):
        auth["ended"] = True
        st.session_state.pop(AUTH_KEY, None)
        record(store, account.actor, "session_expired", detail={"idle": False, "too_old": False, "password_changed": True})
        return "password_changed"
    if idle or too_old or account is None or not accounts.usable(account):
        auth["ended"] = True  # downloads drawn during this session check it (Identity.still_valid)
        st.session_state.pop(AUTH_KEY, None)
        actor = account.actor if account else f"account:{auth['account_id']}"
        record(store, actor, "session_expired", detail={"idle": idle, "too_old": too_old})
        return "expired"
    ended = _server_session_ended(store, auth, account)
    if ended is not None:
        return ended
    auth["last_seen"] = now
    return Identity(viewer=account.viewer(), account=account, session=auth)


def _server_session_open(store: Store, auth: dict) -> bool:
    return auth.get("session_id") is None or sessions.check(store, auth["session_id"]).ok


def _server_session_ended(store: Store, auth: dict, account: Account) -> str | None:
    """Why the tab's server-side session ended elsewhere (another tab's sign-out, "sign out
    everywhere", a password change, its idle or absolute expiry), or None while it holds."""
    if auth.get("session_id") is None:
        return None
    check = sessions.check(store, auth["session_id"])
    if check.ok:
        return None
    auth["ended"] = True
    st.session_state.pop(AUTH_KEY, None)
    if check.status == "revoked":
        if check.reason == "password_changed":
            record(store, account.actor, "session_expired", detail={"password_changed": True})
            return "password_changed"
        return "signed_out"
    record(store, account.actor, "session_expired",
           detail={"idle": check.status == "idle", "too_old": check.status == "expired", "server": True})
    return "expired"


def _from_cookie(store: Store) -> Identity | None:
    """A new tab or a reload: the account of the session its cookie names, while that holds."""
    check = sessions.resolve(store, cookie_session.cookie_token())
    if not check.ok:
        return None
    account = accounts.get_account(store, check.account_id)
    if account is None or not accounts.usable(account):
        return None
    auth = {"account_id": account.id, "signed_in_at": check.created_at, "last_seen": utc_now(),
            "session_id": check.session_id}
    st.session_state[AUTH_KEY] = auth
    return Identity(viewer=account.viewer(), account=account, session=auth)


def _password_changed_elsewhere(store: Store, auth: dict) -> bool:
    """The account's password changed after this session signed in, and not from this session
    (a change of one's own password, a reset by the committee): the session ends."""
    if auth.get("session_id") is not None:  # revoked with the change, in its transaction (but its own)
        return False
    changed = accounts.password_changed_at(store, auth["account_id"])
    return changed is not None and changed > auth["signed_in_at"] and changed != auth.get("password_changed_at")


def keep_session_after_password_change(identity: Identity, changed_at) -> None:
    """The session that changed its own password carries on (the account's others end)."""
    if identity.session is not None:
        identity.session["password_changed_at"] = changed_at


def _start_account_session(store: Store, account: Account) -> None:
    """The tab's session, and its server-side row; under the server, the browser is then sent for
    the cookie (this run stops there) and comes back to this page."""
    cookie = cookie_session.available()
    session_id, code = sessions.create(store, account.id, actor=account.actor, client=client_info(),
                                       handoff_next=cookie_session.here() if cookie else None)
    now = utc_now()
    st.session_state[AUTH_KEY] = {"account_id": account.id, "signed_in_at": now, "last_seen": now,
                                  "session_id": session_id}
    st.session_state.pop(FAILURES_KEY, None)
    if code is not None:
        st.session_state.pop("sign_in_password", None)
        cookie_session.go_get_cookie(code, st.query_params.get("lang") or DEFAULT_LANGUAGE)


def session_id(identity: Identity | None) -> int | None:
    """The server-side session of this tab's account, if any."""
    return None if identity is None or identity.session is None else identity.session.get("session_id")


def end_tab(lang: str | None = None) -> None:
    """This tab forgets its account and, under the server, the browser its cookie (the run stops)."""
    st.session_state.pop(AUTH_KEY, None)
    oidc.logout()
    if cookie_session.available():
        cookie_session.go_clear_cookie(lang or st.query_params.get("lang") or DEFAULT_LANGUAGE)


def sign_out(store: Store, identity: Identity) -> None:
    if identity.account is not None:
        sid = session_id(identity)
        if sid is None or not sessions.revoke(store, sid, actor=identity.account.actor, reason="sign_out"):
            record(store, identity.account.actor, "sign_out")
    if identity.session is not None:
        identity.session["ended"] = True
    end_tab()


def _sign_in_form(store: Store, lang: str, tr: Callable[..., str], cfg: AccessSettings) -> None:
    """The local sign-in form (and the OpenID Connect button when configured)."""
    if WANTED_KEY not in st.session_state:
        st.session_state[WANTED_KEY] = _requested_page()
    st.title(tr("access.sign_in_title"))
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(t("session.notice_signed_out", lang) if notice == "signed_out" else tr(f"access.notice.{notice}"))
    with st.form("sign_in", clear_on_submit=False, border=True):
        username = st.text_input(tr("access.username"), key="sign_in_username", max_chars=64)
        password = st.text_input(
            tr("access.password"), type="password", key="sign_in_password", max_chars=256
        )
        submitted = st.form_submit_button(tr("access.sign_in"), type="primary", key="sign_in_submit")
    if submitted:
        result = accounts.authenticate(store, username, password, settings=cfg, client=client_info())
        if result.ok:
            _start_account_session(store, result.account)
            st.session_state.pop("sign_in_password", None)
            st.rerun()
        failures = st.session_state.get(FAILURES_KEY, 0) + 1
        st.session_state[FAILURES_KEY] = failures
        time.sleep(min(FAILURE_DELAY_S * failures, FAILURE_DELAY_MAX_S))
        st.error(tr("access.wrong_credentials"))  # one answer: unknown user, wrong password, throttled
    if oidc.configured():
        st.divider()
        if oidc.signed_in():  # known to the provider but refused here: let them try another account
            if st.button(tr("access.oidc_sign_out"), key="oidc_sign_out"):
                oidc.logout()
        else:
            oidc.login_button(tr("access.sign_in_oidc"))
    if demo_mode():
        with st.container(border=True):
            st.markdown(f"**{tr('access.demo_title')}**")
            st.caption(tr("access.demo_accounts", steering=DEMO_STEERING, password=DEMO_PASSWORD))


def _requested_page() -> str | None:
    """The page path of the address the browser opened (``/profile`` → ``profile``), if any."""
    from urllib.parse import urlparse

    try:
        url = st.context.url
    except Exception:  # noqa: BLE001 — no browser context (tests)
        return None
    path = urlparse(url).path.strip("/") if url else ""
    return path.rsplit("/", 1)[-1] or None


def take_wanted_page() -> str | None:
    """The page asked for before sign-in, once (then forgotten)."""
    return st.session_state.pop(WANTED_KEY, None)


def _refused_link(store: Store, status: str, tr: Callable[..., str]) -> None:
    links.record_refusal(store, status, client=client_info())
    st.session_state.pop(LINK_KEY, None)
    st.session_state.pop(LAST_PAGE_KEY, None)
    if LINK_PARAM in st.query_params:
        del st.query_params[LINK_PARAM]
    st.title(tr("access.link_title"))
    st.error(tr(f"access.link_{status}" if status in ("expired", "revoked") else "access.link_unknown"))


def identify(store: Store, lang: str, tr: Callable[..., str]) -> Identity:
    """The identity of this run; otherwise shows the sign-in screen (or why a link was refused) and stops."""
    cfg = settings()
    token = _link_token()
    if token:
        found = _link_identity(store, token)
        if isinstance(found, Identity):
            return found
        _refused_link(store, found, tr)
        st.stop()
    found = _account_identity(store, cfg)
    if isinstance(found, Identity):
        return found
    if found in (None, "expired"):  # a new tab, a reload, or this tab idle while another kept the session
        restored = _from_cookie(store)
        if restored is not None:
            return restored
    if found in ("expired", "password_changed", "signed_out"):
        st.session_state[NOTICE_KEY] = found
        oidc.expire()  # an identity-provider sign-in must not silently start a new session

    if found is None and oidc.configured():
        signed = oidc.current_account(store, client_info())
        if signed is not None and signed.ok:
            _start_account_session(store, signed.account)
            return Identity(
                viewer=signed.account.viewer(), account=signed.account, session=st.session_state.get(AUTH_KEY)
            )
        if signed is not None:
            st.session_state[NOTICE_KEY] = "oidc_refused"
    _sign_in_form(store, lang, tr, cfg)
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def guarded(store: Store, identity: Identity, file_name: str, make: Callable[[], bytes | str], refused: str):
    """A download's data callable that checks access again when the person clicks.

    A revoked link or an ended account gets ``refused`` (a short text) instead of the data, and
    the refusal is audited (reason, file, the link's id — never its token — and the client); a
    funder's download is counted and audited as a use of the link.
    """
    client = client_info()  # read now: the click runs outside the script run, without st.context

    def produce() -> bytes:
        reason = identity.refusal(store)
        if reason is not None:
            _record_refused_download(store, identity, file_name, reason, client)
            return refused.encode("utf-8")
        data = make()
        if identity.link_token is not None and identity.viewer.link is not None:  # a committee preview is no use
            links.record_use(store, identity.viewer.link.link_id, download=file_name)
        else:
            record(store, identity.viewer.name or identity.viewer.role, "download", target=file_name)
        return data.encode("utf-8") if isinstance(data, str) else data

    return produce


def _record_refused_download(
    store: Store, identity: Identity, file_name: str, reason: str, client: ClientInfo
) -> None:
    link_id = identity.viewer.link.link_id if identity.viewer.link is not None else None
    if link_id is not None:
        actor = f"link:{link_id}"
    elif identity.account is not None:
        actor = identity.account.actor
    else:
        actor = identity.viewer.name or identity.viewer.role
    record(
        store,
        actor,
        "download_refused",
        target=file_name,
        outcome="refused",
        detail={"reason": reason, "file": file_name, "link": link_id, "client": client.audit()},
    )
