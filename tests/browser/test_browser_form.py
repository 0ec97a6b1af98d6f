"""Real Chromium at phone width (390 px), in Arabic: a member fills the in-app form and submits it.

The app runs on its own copy of the demo database (the form writes a submission; the other browser
tests keep theirs untouched), with today fixed at 10 February 2026 so the due period is 2025-Q4.
A word typed in a number is refused beside its field; corrected, the form is checked, saved, and
the page never scrolls sideways. The screenshot lands in ``test-artifacts/screenshots/form-ar-390.png``.
"""

from __future__ import annotations

import shutil

import browser_harness as harness
import pytest
from browser_harness import exceptions_on, full_page_screenshot, wait_until_idle
from playwright.sync_api import expect

from i18n import t

MEMBER = "ASS-CAS-001"
PERIOD = "2025-Q4"
PHONE = {"width": 390, "height": 844}
MAIN = '[data-testid="stMain"]'


@pytest.fixture(scope="module")
def form_app(demo_db, tmp_path_factory):
    """The app on a private copy of the demo database, today fixed."""
    folder = tmp_path_factory.mktemp("browser-form")
    copy = folder / "athar.duckdb"
    shutil.copy(demo_db, copy)
    wal = demo_db.with_name(demo_db.name + ".wal")
    if wal.exists():
        shutil.copy(wal, copy.with_name(copy.name + ".wal"))
    with harness.running_app(copy, log_dir=folder, env={"ATHAR_TEST_TODAY": "2026-02-10"}) as url:
        yield url


def field(page, name: str):
    return page.locator(f".st-key-form_{MEMBER}_{PERIOD}_{name}_value input")


def check(page) -> None:
    page.get_by_role("button", name=t("form.check", "ar")).click()
    page.wait_for_timeout(300)
    wait_until_idle(page)


def test_a_member_fills_the_arabic_form_on_a_phone_and_submits_it(browser, form_app, screenshots):
    context = browser.new_context(viewport=PHONE, locale="ar-MA")
    try:
        page = context.new_page()
        page.set_default_timeout(harness.PAGE_TIMEOUT_MS)
        page.goto(harness.page_url(form_app, "form", "ar"), wait_until="domcontentloaded")
        wait_until_idle(page)
        harness.sign_in(page, MEMBER.lower(), lang="ar")
        expect(page.locator(MAIN).locator("h1")).to_contain_text(t("form.title", "ar"))
        assert page.evaluate("getComputedStyle(document.querySelector('[data-testid=\"stMain\"]')).direction") == "rtl"

        field(page, "R06__total").fill("abc")
        check(page)
        refused = page.locator(MAIN).locator('[data-testid="stAlertContentError"]').filter(has_text="abc")
        expect(refused).to_have_count(1)
        expect(page.get_by_role("button", name=t("form.confirm", "ar"))).to_have_count(0)

        field(page, "R06__total").fill("7012")
        page.get_by_text(t("form.by_sex", "ar")).first.click()
        field(page, "R01__F").fill("5200")
        field(page, "R01__M").fill("6100")
        check(page)
        expect(page.locator(MAIN).locator('[data-testid="stAlertContentError"]')).to_have_count(0)
        save = page.get_by_role("button", name=t("form.confirm", "ar"))
        expect(save).to_be_visible()
        save.click()
        page.wait_for_timeout(300)
        wait_until_idle(page)
        accepted = t("report.accepted", "ar", rows=3, submission=1).split("—")[0].strip()
        expect(page.locator(MAIN).locator('[data-testid="stAlertContentSuccess"]').filter(has_text=accepted)).to_have_count(1)
        assert exceptions_on(page) == []
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], width
        full_page_screenshot(page, screenshots / "form-ar-390.png")
    finally:
        context.close()
