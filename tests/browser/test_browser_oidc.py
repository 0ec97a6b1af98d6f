"""OpenID Connect sign-in end to end: Debian's Chromium, the real app, a mock provider on 127.0.0.1.

The app is started with a temporary secrets file (``STREAMLIT_SECRETS_FILES``, never the repo's
``.streamlit/`` nor ``~``) whose ``[auth]`` section points at ``tests/oidc_provider.py``; demo
mode is off, so the sign-in screen is the real one. The browser clicks the provider's button,
goes through Streamlit's ``/auth/login``, the provider's ``/authorize``, Streamlit's
``/oauth2callback`` (code exchanged for an RS256 ID token with PKCE, nonce checked) and comes back
signed in as the Athar account with the same verified e-mail. ``redirect_uri`` uses Streamlit's
``{port}`` placeholder and the host the browser uses (127.0.0.1): the identity cookie is only
accepted from the origin of ``redirect_uri``.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser_harness import PAGE_TIMEOUT_MS, dialogs_on, exceptions_on, running_app, wait_until_idle
from playwright.sync_api import expect

from dashboard import oidc
from i18n import t
from store import accounts
from store.db import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from oidc_provider import MockOidcProvider  # noqa: E402 (tests/ is not a package)

ORG = "ASS-CAS-001"
MEMBER_EMAIL = "amina@association.ma"
MAIN = '[data-testid="stMain"]'
SIDEBAR = '[data-testid="stSidebar"]'
NAV_LINK = '[data-testid="stSidebarNavLink"]'


def tr(key: str, **params) -> str:
    return t(f"dashboard.{key}", "fr", **params)


@pytest.fixture
def oidc_db(demo_db_pristine, tmp_path) -> Path:
    """A private copy of the demo network with one member account that signs in through OpenID
    Connect only (no password)."""
    db = tmp_path / "athar.duckdb"
    shutil.copy(demo_db_pristine, db)
    store = Store(db)
    accounts.create_account(store, "amina-sso", "member", org_code=ORG, password="", email=MEMBER_EMAIL,
                            display_name="Amina (SSO)")
    store.close()
    return db


@contextlib.contextmanager
def app_with_provider(db: Path, folder: Path):
    """The real app (demo mode off) with ``[auth]`` pointing at a mock provider; yields (URL, provider)."""
    assert oidc._client_available(), "Authlib's Starlette client is missing (pip install -r requirements.txt)"
    with MockOidcProvider() as idp:
        secrets = folder / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            'cookie_secret = "browser-test-cookie-secret-0123456789"\n'
            f'client_id = "{idp.client_id}"\n'
            f'client_secret = "{idp.client_secret}"\n'
            f'server_metadata_url = "{idp.metadata_url}"\n',
            encoding="utf-8",
        )
        env = {"STREAMLIT_SECRETS_FILES": str(secrets), "ATHAR_DEMO_MODE": "0"}
        with running_app(db, log_dir=folder / "log", env=env) as url:
            yield url, idp


def _sign_in_through_the_provider(browser, base: str):
    """A fresh browser on the sign-in screen; click the provider's button; back in the app."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(f"{base}/?lang=fr", wait_until="domcontentloaded")
    wait_until_idle(page)
    expect(page.locator(f"{MAIN} h1").first).to_have_text(tr("access.sign_in_title"))
    assert page.locator(NAV_LINK).count() == 0  # nothing is reachable before signing in
    with page.expect_response(lambda r: urlparse(r.url).path == "/oauth2callback"):
        page.get_by_role("button", name=tr("access.sign_in_oidc")).click()
    page.wait_for_url(lambda u: urlparse(u).netloc == urlparse(base).netloc and "oauth2callback" not in u)
    wait_until_idle(page)
    return page


def _audit(db: Path) -> list[tuple[str, str, str, dict]]:
    store = Store(db)
    try:
        rows = store.query("SELECT actor, action, outcome, detail FROM audit_log ORDER BY id").rows()
    finally:
        store.close()
    return [(a, b, c, json.loads(d) if d else {}) for a, b, c, d in rows
            if b in ("sign_in", "sign_in_failed", "sign_out")]


def _member_signs_in_sees_member_pages_and_signs_out(browser, base: str, idp: MockOidcProvider) -> None:
    idp.identity = {"sub": "idp-amina", "email": MEMBER_EMAIL.upper(), "email_verified": True, "name": "Amina"}
    page = _sign_in_through_the_provider(browser, base)
    try:
        assert idp.errors == []
        # Streamlit (Authlib) really went through the code flow: authorize, token, keys.
        assert [p for p in idp.paths() if p in ("/authorize", "/token", "/jwks")] == ["/authorize", "/token", "/jwks"]
        assert exceptions_on(page) == [] and dialogs_on(page) == []
        # Signed in as the member account: its name, role and organisation in the sidebar…
        sidebar = page.locator(SIDEBAR)
        expect(sidebar).to_contain_text("Amina (SSO)")
        expect(sidebar).to_contain_text(f"amina-sso · {tr('access.role_member')} · {ORG}")
        # …and the member's pages, never the steering committee's.
        menu = [urlparse(link.get_attribute("href") or "").path for link in page.locator(NAV_LINK).all()]
        assert "/overview" in menu and "/upload" in menu, menu
        assert "/framework" not in menu, menu
        assert urlparse(page.url).path == "/start"  # a member opens on its home
        expect(page.locator(f"{MAIN} h1").first).to_have_text(t("calendar.home.title", "fr"))
        # A steering page is not reachable by its URL either (a new session: the cookie signs in again).
        page.goto(f"{base}/framework?lang=fr", wait_until="domcontentloaded")
        wait_until_idle(page)
        expect(page.locator(SIDEBAR)).to_contain_text("amina-sso")
        expect(page.locator('[role="dialog"]')).to_contain_text("Page not found")
        assert urlparse(page.url).path == "/start"  # a member opens on its home
        expect(page.locator(f"{MAIN} h1").first).to_have_text(t("calendar.home.title", "fr"))
        page.keyboard.press("Escape")
        expect(page.locator('[role="dialog"]')).to_have_count(0)
        # Sign out: Streamlit's /auth/logout, the provider's end-session endpoint, the sign-in screen.
        page.locator(SIDEBAR).get_by_role("button", name=tr("access.sign_out")).click()
        page.wait_for_function(
            "(title) => [...document.querySelectorAll('h1')].some(h => h.textContent.includes(title))",
            arg=tr("access.sign_in_title"),
        )
        wait_until_idle(page)
        assert "/logout" in idp.paths()
        assert page.locator(NAV_LINK).count() == 0
        # Signed out for good: a reload does not sign in again.
        page.reload(wait_until="domcontentloaded")
        wait_until_idle(page)
        expect(page.locator(f"{MAIN} h1").first).to_have_text(tr("access.sign_in_title"))
    finally:
        page.context.close()


def _refused(browser, base: str, idp: MockOidcProvider, identity: dict) -> None:
    idp.identity = identity
    page = _sign_in_through_the_provider(browser, base)
    try:
        expect(page.locator(f"{MAIN} h1").first).to_have_text(tr("access.sign_in_title"))
        expect(page.locator(MAIN)).to_contain_text(tr("access.notice.oidc_refused"))
        assert page.locator(NAV_LINK).count() == 0
        assert exceptions_on(page) == []
    finally:
        page.context.close()


def test_sign_in_with_openid_connect(browser, oidc_db, tmp_path):
    """A member signs in with the provider, sees the member's pages only and signs out; an
    unverified or unknown e-mail is refused; every attempt is in the audit log."""
    with app_with_provider(oidc_db, tmp_path) as (base, idp):
        _member_signs_in_sees_member_pages_and_signs_out(browser, base, idp)
        _refused(browser, base, idp, {"sub": "idp-amina-2", "email": MEMBER_EMAIL, "email_verified": False})
        _refused(browser, base, idp, {"sub": "idp-x", "email": "stranger@example.org", "email_verified": True})
        assert idp.errors == []
    audit = _audit(oidc_db)
    through_oidc = [entry for entry in audit if entry[3].get("via") == "oidc"]
    assert [(actor, action, detail.get("reason")) for actor, action, _, detail in through_oidc] == [
        ("account:amina-sso", "sign_in", None),  # the first visit
        ("account:amina-sso", "sign_in", None),  # /framework typed in: a new session, the cookie signs in again
        ("oidc:amina@association.ma", "sign_in_failed", "email_unverified"),
        ("oidc:stranger@example.org", "sign_in_failed", "no_account"),
    ]
    assert ("account:amina-sso", "sign_out", "ok") in [entry[:3] for entry in audit]
