"""Real Chromium on Athar's one server (``python -m server``): a signed-in session survives a reload and
a new tab (its HttpOnly, SameSite cookie names a server-side session); sign-out and "sign out
everywhere" end it in every tab at its next interaction; a forged or revoked cookie signs nobody in.
Screenshots of the new section (fr and ar, desktop and 390 px) go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_harness import (
    PAGE_TIMEOUT_MS,
    VIEWPORT,
    demo_username,
    exceptions_on,
    page_url,
    running_server,
    sign_in,
    wait_until_idle,
)
from playwright.sync_api import expect

from i18n import t

MEMBER = "ASS-CAS-001"
COOKIE = "athar_session"
SIDEBAR = '[data-testid="stSidebar"]'
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server_url(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser-sessions")
    db = folder / "athar.duckdb"
    shutil.copy(demo_db, db)  # the session's streamlit-run app may hold demo_db itself
    with running_server(db, folder) as url:
        yield url


def _open(context, url: str):
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(url, wait_until="domcontentloaded")
    wait_until_idle(page)
    return page


def _signed_in(page, username: str) -> bool:
    captions = page.locator(SIDEBAR).locator('[data-testid="stCaptionContainer"]').all_inner_texts()
    return any(username in c for c in captions)


def _sign_in_shown(page, lang: str = "fr") -> bool:
    return page.get_by_role("heading", name=t("dashboard.access.sign_in_title", lang)).count() == 1


def _interact(page) -> None:
    """A click that reruns the script over the websocket (no reload): another page of the menu."""
    page.locator('[data-testid="stSidebarNav"] a').nth(1).click()
    page.wait_for_timeout(300)
    wait_until_idle(page)


def _session_cookie(context) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == COOKIE), None)


def _signed_in_context(browser, url: str, who: str, viewport=VIEWPORT, lang: str = "fr"):
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    page = _open(context, url)
    sign_in(page, who, lang=lang)
    page.wait_for_url(re.compile(r"/profile\?"), timeout=PAGE_TIMEOUT_MS)
    wait_until_idle(page)
    return context, page


def test_reload_and_a_new_tab_keep_the_session_and_sign_out_ends_it_in_every_tab(browser, server_url: str):
    who = demo_username(MEMBER)
    context, page = _signed_in_context(browser, page_url(server_url, "profile", "fr"), who)
    try:
        assert _signed_in(page, who) and "/session/" not in page.url and "#" not in page.url
        assert "lang=fr" in page.url  # back on the page it signed in from, with its view parameters
        cookie = _session_cookie(context)
        assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert not cookie["secure"] and cookie["path"] == "/"  # plain HTTP here; Secure behind HTTPS
        assert page.evaluate("document.cookie").find(COOKIE) == -1  # HttpOnly: no script reads it
        page.reload(wait_until="domcontentloaded")
        wait_until_idle(page)
        assert _signed_in(page, who) and not _sign_in_shown(page)
        tab = _open(context, page_url(server_url, "profile", "fr"))
        assert _signed_in(tab, who) and not _sign_in_shown(tab)
        tab.locator(SIDEBAR).get_by_role("button", name=t("dashboard.access.sign_out", "fr")).click()
        tab.wait_for_url(re.compile(r"/\?lang=fr$|/\?lang=fr&"), timeout=PAGE_TIMEOUT_MS)
        wait_until_idle(tab)
        assert _sign_in_shown(tab) and _session_cookie(context) is None
        _interact(page)  # the first tab, at its next interaction
        assert _sign_in_shown(page) and not _signed_in(page, who)
        assert t("session.notice_signed_out", "fr") in page.locator('[data-testid="stAlert"]').all_inner_texts()[0]
        assert exceptions_on(page) == [] and exceptions_on(tab) == []
    finally:
        context.close()


def test_sign_out_everywhere_ends_every_tab_and_browser_of_the_account(browser, server_url: str, screenshots):
    who = demo_username(MEMBER)
    mine, page = _signed_in_context(browser, page_url(server_url, "profile", "fr"), who)
    elsewhere, other = _signed_in_context(browser, page_url(server_url, "profile", "fr"), who)
    try:
        second_tab = _open(mine, page_url(server_url, "profile", "fr"))
        page.goto(page_url(server_url, "password", "fr"), wait_until="domcontentloaded")
        wait_until_idle(page)
        button = page.get_by_role("button", name=t("session.everywhere_button", "fr"))
        button.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "sessions-password-fr.png"), full_page=True)
        button.click()
        page.wait_for_url(re.compile(r"/\?lang=fr"), timeout=PAGE_TIMEOUT_MS)
        wait_until_idle(page)
        assert _sign_in_shown(page) and _session_cookie(mine) is None
        _interact(second_tab)
        assert _sign_in_shown(second_tab)
        _interact(other)  # another browser: its next click
        assert _sign_in_shown(other)
        other.reload(wait_until="domcontentloaded")  # and its cookie, still held, opens nothing
        wait_until_idle(other)
        assert _session_cookie(elsewhere) is not None and _sign_in_shown(other)
    finally:
        mine.close()
        elsewhere.close()


def test_a_forged_cookie_signs_nobody_in(browser, server_url: str):
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    try:
        context.add_cookies([{"name": COOKIE, "value": "A" * 43, "url": server_url, "httpOnly": True}])
        page = _open(context, page_url(server_url, "profile", "fr"))
        assert _sign_in_shown(page) and page.locator(SIDEBAR).get_by_role(
            "button", name=t("dashboard.access.sign_out", "fr")).count() == 0
    finally:
        context.close()


@pytest.mark.parametrize(("lang", "viewport", "name"), [
    ("fr", VIEWPORT, "desktop"), ("ar", VIEWPORT, "desktop"), ("fr", PHONE, "390"), ("ar", PHONE, "390"),
])
def test_the_open_sessions_section_reads_well(browser, server_url: str, screenshots, lang, viewport, name):
    who = demo_username(MEMBER)
    context, page = _signed_in_context(browser, page_url(server_url, "profile", lang), who, viewport, lang)
    try:
        page.goto(page_url(server_url, "password", lang), wait_until="domcontentloaded")
        wait_until_idle(page)
        button = page.get_by_role("button", name=t("session.everywhere_button", lang))
        button.scroll_into_view_if_needed()
        expect(page.get_by_role("heading", name=t("session.everywhere_title", lang))).to_be_visible()
        expect(button).to_be_in_viewport()
        page.screenshot(path=str(screenshots / f"sessions-section-{lang}-{name}.png"), full_page=False)
        assert exceptions_on(page) == []
    finally:
        context.close()


@pytest.mark.parametrize(("lang", "viewport", "name"), [
    ("fr", VIEWPORT, "desktop"), ("ar", VIEWPORT, "desktop"), ("fr", PHONE, "390"), ("ar", PHONE, "390"),
])
def test_the_committees_sign_out_everywhere_button_reads_well(browser, server_url: str, screenshots, lang, viewport,
                                                              name):
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    try:
        page = _open(context, page_url(server_url, "accounts", lang))
        sign_in(page, demo_username("steering"), lang=lang)
        page.wait_for_url(re.compile(r"/accounts\?"), timeout=PAGE_TIMEOUT_MS)
        wait_until_idle(page)
        button = page.get_by_role("button", name=t("session.committee_button", lang))
        button.scroll_into_view_if_needed()
        expect(button).to_be_in_viewport()
        page.screenshot(path=str(screenshots / f"sessions-accounts-{lang}-{name}.png"), full_page=False)
        assert exceptions_on(page) == []
    finally:
        context.close()


def test_an_idle_session_cookie_signs_nobody_in(browser, demo_db: Path, tmp_path: Path):
    """ATHAR_SESSION_IDLE_MINUTES=1 (its least): a reload after 70 s without interaction finds the
    cookie's session idle, on the server, and shows the sign-in form."""
    db = tmp_path / "athar.duckdb"
    shutil.copy(demo_db, db)
    with running_server(db, tmp_path, {"ATHAR_SESSION_IDLE_MINUTES": "1"}) as url:
        who = demo_username(MEMBER)
        context, page = _signed_in_context(browser, page_url(url, "profile", "fr"), who)
        try:
            page.reload(wait_until="domcontentloaded")
            wait_until_idle(page)
            assert _signed_in(page, who)  # a reload within the minute keeps it
            page.wait_for_timeout(70_000)
            page.reload(wait_until="domcontentloaded")
            wait_until_idle(page)
            assert _session_cookie(context) is not None and _sign_in_shown(page) and not _signed_in(page, who)
        finally:
            context.close()
