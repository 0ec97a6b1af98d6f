"""Real Chromium on the committee's link page (issue 14): typing a code prefix that matches several
demo organisations and pressing Enter picks at most one, in the reader's language (never an English
"Select N matches"); submitting the form shows the summary and the confirmation, and creates
nothing; the charts carry no Plotly camera button (chart images go through the audited exports).

The app runs on its own copy of the demo database. Screenshots of the link page and of its
confirmation, in French and Arabic at 1400 px and 390 px, land in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
import shutil

import browser_harness as harness
import pytest
from browser_harness import exceptions_on, full_page_screenshot, wait_until_idle

from i18n import t

#: ASS-TIN-002, ASS-TIZ-023, ASS-TET-028 and ASS-TAZ-036 start with it; fuzzily, "ASS-TIN" matches 24.
PREFIXES = ("ASS-T", "ASS-TIN")
ENGLISH = re.compile(r"Select all|Select \d+ matches?|No results|Choose options?|\bAdd:|Press Enter")
MAIN = '[data-testid="stMain"]'
WIDTHS = {"wide": {"width": 1400, "height": 1000}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def links_app(demo_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-links")
    copy = folder / "athar.duckdb"
    shutil.copy(demo_db, copy)
    wal = demo_db.with_name(demo_db.name + ".wal")
    if wal.exists():
        shutil.copy(wal, copy.with_name(copy.name + ".wal"))
    with harness.running_app(copy, log_dir=folder) as url:
        yield url


def _open(browser, url: str, lang: str, width: str):
    context = browser.new_context(viewport=WIDTHS[width], locale={"fr": "fr-FR", "ar": "ar-MA"}[lang])
    page = context.new_page()
    page.set_default_timeout(harness.PAGE_TIMEOUT_MS)
    page.goto(harness.page_url(url, "links", lang), wait_until="domcontentloaded")
    wait_until_idle(page)
    harness.sign_in(page, harness.demo_username("steering"), lang=lang)
    return page


def _org_picker(page, lang: str):
    return page.locator('[data-testid="stMultiSelect"]').filter(has_text=t("dashboard.links.organisations", lang))


def _chips(picker) -> list[str]:
    """The chosen organisations' tags (the combobox's; Streamlit keeps a second copy in a template)."""
    return [c.get_attribute("aria-label") for c in picker.locator(".react-aria-ComboBox [data-tag]").all()]


@pytest.mark.parametrize("lang", ["fr", "ar"])
@pytest.mark.parametrize("width", ["wide", "phone"])
def test_a_prefix_and_enter_pick_at_most_one_organisation_then_the_summary_asks(
    browser, links_app, screenshots, lang, width
):
    page = _open(browser, links_app, lang, width)
    try:
        picker = _org_picker(page, lang)
        for prefix in PREFIXES:
            before = len(_chips(picker))
            picker.locator("input").click()
            page.keyboard.type(prefix)
            page.wait_for_timeout(400)
            assert ENGLISH.findall(page.locator("body").inner_text()) == []
            page.keyboard.press("Enter")
            page.wait_for_timeout(400)
            page.keyboard.press("Escape")
            chips = _chips(picker)
            assert len(chips) <= before + 1, chips  # one keystroke, one organisation at most
            assert all(c.startswith(prefix[:5]) for c in chips), chips
        assert 1 <= len(_chips(picker)) <= 2
        assert ENGLISH.findall(page.locator("body").inner_text()) == []
        page.locator('[data-testid="stTextInput"] input').first.fill("Fondation Atlas")
        assert page.locator('[data-testid="InputInstructions"]:visible').count() == 0  # "Press Enter to…"
        full_page_screenshot(page, screenshots / f"links-{lang}-{WIDTHS[width]['width']}.png")
        page.get_by_role("button", name=t("dashboard.links.create", lang)).click()
        page.wait_for_timeout(300)
        wait_until_idle(page)
        main = page.locator(MAIN)
        assert t("linksafe.summary_title", lang) in main.inner_text()
        assert page.get_by_role("button", name=t("linksafe.confirm_create", lang)).is_visible()
        assert "?link=" not in main.inner_text()  # nothing created before the confirmation
        assert exceptions_on(page) == [] and ENGLISH.findall(main.inner_text()) == []
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        full_page_screenshot(page, screenshots / f"links-confirm-{lang}-{WIDTHS[width]['width']}.png")
        page.get_by_role("button", name=t("linksafe.back", lang)).click()
        page.wait_for_timeout(300)
        wait_until_idle(page)
        assert len(_chips(_org_picker(page, lang))) >= 1  # the form comes back as filled
    finally:
        page.context.close()


def test_charts_have_no_client_side_image_download(browser, links_app):
    context = browser.new_context(viewport=WIDTHS["wide"], locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(harness.PAGE_TIMEOUT_MS)
    try:
        page.goto(harness.page_url(links_app, "overview", "fr"), wait_until="domcontentloaded")
        wait_until_idle(page)
        harness.sign_in(page, harness.demo_username("steering"))
        charts = page.locator('[data-testid="stPlotlyChart"]')
        assert charts.count() > 0
        charts.first.hover()
        page.wait_for_timeout(300)
        assert page.locator(".modebar").count() > 0  # the modebar is there (zoom, reset…)
        assert page.locator('.modebar-btn[data-title="Download plot as a png"]').count() == 0
        assert page.locator('.modebar-btn[data-attr="toImage"], a[data-val="toImage"]').count() == 0
    finally:
        context.close()


def _shown(select) -> str:
    """What a selectbox shows (its text, or its input's value)."""
    inputs = select.locator("input")
    return select.inner_text() + " " + (inputs.first.input_value() if inputs.count() else "")


def _click(page, name: str) -> None:
    page.get_by_role("button", name=name).click()
    page.wait_for_timeout(300)
    wait_until_idle(page)


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_create_preview_then_revoke_with_a_double_click_acts_once(browser, links_app, screenshots, lang):
    """Created through the confirmation, previewed as the funder (banner, then back), revoked through
    its confirmation by a double click on the confirm button: one link revoked, still the one chosen."""
    page = _open(browser, links_app, lang, "wide")
    try:
        label = f"Bailleur navigateur {lang}"
        picker = _org_picker(page, lang)
        picker.locator("input").click()
        page.keyboard.type("ASS-TIN")
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        page.locator('[data-testid="stTextInput"] input').first.fill(label)
        _click(page, t("dashboard.links.create", lang))
        _click(page, t("linksafe.confirm_create", lang))
        main = page.locator(MAIN)
        assert "?link=" in main.inner_text()  # the address, shown once
        _click(page, t("linksafe.preview_button", lang))
        banner = page.locator(".st-key-athar_preview_banner")
        assert label in banner.inner_text()
        assert "?link=" not in page.url and "link=" not in page.locator("body").inner_text()  # no token
        assert t("dashboard.nav.links", lang) not in page.locator('[data-testid="stSidebarNav"]').inner_text()
        full_page_screenshot(page, screenshots / f"links-preview-{lang}-1400.png")
        _click(page, t("linksafe.preview.leave", lang))
        assert t("dashboard.links.title", lang) in page.locator(MAIN).locator("h1").inner_text()
        chosen = page.locator(".st-key-links_choose")
        assert label in _shown(chosen)
        _click(page, t("dashboard.links.revoke", lang))
        assert label in page.locator(".st-key-linksafe_confirm").inner_text()
        full_page_screenshot(page, screenshots / f"links-revoke-{lang}-1400.png")
        page.get_by_role("button", name=t("linksafe.confirm_revoke", lang)).dblclick()
        page.wait_for_timeout(500)
        wait_until_idle(page)
        assert exceptions_on(page) == []
        assert label in _shown(chosen)  # still the link acted on, now revoked
        assert t("dashboard.links.status_revoked", lang) in _shown(chosen)
    finally:
        page.context.close()
