"""Access in a real browser: Debian's Chromium on the real app.

- A funder link opened in Chromium shows only its scope: the menu holds the link's pages only,
  the pages name its organisations and no other, and a real download (Playwright's
  ``expect_download``, the deferred file Streamlit generates on click) holds only its rows.
- A member signed in through the form cannot reach the framework, links, accounts or audit page
  by typing its address.
- A revoked or unknown token shows the refusal message and nothing else.

DuckDB lets one process hold a file read-write, so this module runs its own app on its own copy
of the demo database, with the links made (through ``store.links``) before the app starts.
"""

from __future__ import annotations

import csv
import io
import secrets
import shutil
from pathlib import Path

import pytest
from browser_harness import (
    dialogs_on,
    exceptions_on,
    page_url,
    running_app,
    sign_in,
    wait_until_idle,
)
from playwright.sync_api import expect

from i18n import t
from store import links
from store.db import Store

SCOPE = ["ASS-CAS-001", "FON-RBT-003"]
LINK_PAGES = ["overview", "profile", "compare"]
MEMBER = "ASS-TIN-002"
ADMIN_PAGES = ["framework", "calendar", "links", "accounts", "registry", "audit"]
MAIN = '[data-testid="stMain"]'
NAV_LINK = '[data-testid="stSidebarNavLink"]'


def tr(key: str, **params) -> str:
    return t(f"dashboard.{key}", "fr", **params)


@pytest.fixture(scope="module")
def access_app(demo_db_pristine, tmp_path_factory):
    """(base URL, tokens, names of every organisation): the app on a copy with three links made."""
    folder = tmp_path_factory.mktemp("browser-access")
    db = folder / "athar.duckdb"
    shutil.copy(demo_db_pristine, db)
    store = Store(db)
    tokens = {
        "funder": links.create_link(
            store,
            label="Fondation test",
            org_codes=SCOPE,
            pages=LINK_PAGES,
            created_by="test:browser",
            days=7,
        )[1],
    }
    revoked_id, tokens["revoked"] = links.create_link(
        store, label="Révoqué", org_codes=SCOPE, created_by="test:browser", days=7
    )
    links.revoke_link(store, revoked_id, actor="test:browser")
    names = {
        row[0]: [v for v in row if v]
        for row in store.query("SELECT code, name_fr, name_ar, name_en FROM organizations").rows()
    }
    store.close()
    with running_app(db, log_dir=folder / "log") as url:
        yield url, tokens, names


def new_page(browser, url: str):
    context = browser.new_context(
        viewport={"width": 1440, "height": 1000}, locale="fr-FR", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url, wait_until="domcontentloaded")
    wait_until_idle(page)
    return page


def nav_labels(page) -> list[str]:
    """The menu entries (their text without the icon's ligature name)."""
    return [n.inner_text().strip().splitlines()[-1].strip() for n in page.locator(NAV_LINK).all()]


def test_a_funder_link_shows_only_its_scope(browser, access_app) -> None:
    base, tokens, names = access_app
    outside = {code: found for code, found in names.items() if code not in SCOPE}
    page = new_page(browser, page_url(base, None, "fr", link=tokens["funder"]))
    try:
        assert exceptions_on(page) == [] and dialogs_on(page) == []
        assert nav_labels(page) == [tr(f"nav.{p}") for p in LINK_PAGES]
        for key in LINK_PAGES:
            page.locator(NAV_LINK, has_text=tr(f"nav.{key}")).first.click()
            wait_until_idle(page)
            expect(page.locator(f"{MAIN} h1").first).to_have_text(tr(f"{key}.title"))
            text = page.locator("body").inner_text()
            leaked = [f"{code}: {w}" for code, found in outside.items() for w in found if w in text]
            assert not leaked, (key, leaked[:3])
            if key in ("profile", "compare"):
                assert any(code in text for code in SCOPE), key
        # A real download: the ranking behind the chart of the compare page.
        page.get_by_text(tr("common.data_behind_chart")).first.click()
        wait_until_idle(page)
        button = page.get_by_role("button", name=tr("common.download_csv")).first
        expect(button).to_be_visible()
        expect(button).to_be_enabled()
        with page.expect_download(timeout=120_000) as info:  # produced at click time, after the link check
            button.click()
        data = Path(info.value.path()).read_bytes().decode("utf-8-sig")
        assert info.value.suggested_filename.startswith("athar_ranking_")
        rows = list(csv.reader(io.StringIO(data), delimiter=";"))
        code = rows[0].index(tr("common.code"))  # the organisation comes first, its code is kept in the file
        assert {r[code] for r in rows[1:]} == set(SCOPE)
        assert not [w for found in outside.values() for w in found if w in data]
        assert names["FON-RBT-003"][1] in data  # its French name, as the page shows it
    finally:
        page.context.close()


@pytest.mark.parametrize("admin_page", ADMIN_PAGES)
def test_a_member_cannot_open_an_administration_page_by_its_address(browser, access_app, admin_page) -> None:
    base, _, _ = access_app
    page = new_page(browser, page_url(base, admin_page, "fr"))
    try:
        expect(page.locator(f"{MAIN} h1").first).to_have_text(tr("access.sign_in_title"))
        sign_in(page, MEMBER.lower())
        assert exceptions_on(page) == []
        titles = [h.inner_text().strip() for h in page.locator(f"{MAIN} h1").all()]
        title = t("calendar.page.title", "fr") if admin_page == "calendar" else tr(f"{admin_page}.title")
        assert title not in titles
        # the member's first page (its home), or Streamlit's not-found
        assert titles in ([t("calendar.home.title", "fr")], []), titles
        labels = nav_labels(page)
        assert labels and not {tr(f"nav.{p}") for p in ADMIN_PAGES} & set(labels)
        assert MEMBER.lower() in page.locator('[data-testid="stSidebar"]').inner_text()
    finally:
        page.context.close()


@pytest.mark.parametrize("kind", ["revoked", "unknown"])
def test_a_refused_token_shows_the_refusal_message_only(browser, access_app, kind) -> None:
    base, tokens, names = access_app
    token = tokens["revoked"] if kind == "revoked" else secrets.token_urlsafe(32)
    page = new_page(browser, page_url(base, "overview", "fr", link=token))
    try:
        expect(page.locator(f"{MAIN} h1").first).to_have_text(tr("access.link_title"))
        expect(page.locator('[data-testid="stAlert"]').first).to_contain_text(tr(f"access.link_{kind}"))
        assert nav_labels(page) == []
        assert page.locator('[data-testid="stDataFrame"], [data-testid="stPlotlyChart"]').count() == 0
        text = page.locator("body").inner_text()
        assert not [w for found in names.values() for w in found if w in text]
        assert token not in page.url  # the refused token is dropped from the address
    finally:
        page.context.close()
