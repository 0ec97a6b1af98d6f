"""Streamlit's pages, served by Athar's one ASGI server (``python -m server``), render in Chromium
under its Content-Security-Policy: charts and maps drawn, no exception, no CSP violation reported
by the browser (console or ``securitypolicyviolation`` event)."""

from __future__ import annotations

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

#: Chart- and map-heavy pages, and one with a form.
PAGES = ("overview", "profile", "sustainability", "compare", "upload")
_RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="module")
def server_url(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser-server")
    db = folder / "athar.duckdb"
    shutil.copy(demo_db, db)  # the session's streamlit-run app may hold demo_db itself
    with running_server(db, folder) as url:
        yield url


@pytest.mark.parametrize("page_key", PAGES)
def test_pages_served_by_the_asgi_server_render_without_a_csp_violation(browser, server_url: str, page_key: str):
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    context.add_init_script(_RECORD_VIOLATIONS)  # before any page script runs
    console: list[str] = []
    try:
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.on("console", lambda message: console.append(message.text))
        page.goto(page_url(server_url, page_key, "fr"), wait_until="domcontentloaded")
        wait_until_idle(page)
        sign_in(page, demo_username("steering"))
        page.wait_for_timeout(500)
        assert page.evaluate("window.__csp") == []
        assert [m for m in console if "Content Security Policy" in m or "Content-Security-Policy" in m] == []
        assert exceptions_on(page) == []
        assert page.locator('[data-testid="stSidebar"]').count() == 1  # the app itself, signed in
    finally:
        context.close()
