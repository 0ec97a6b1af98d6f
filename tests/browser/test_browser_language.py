"""Real Chromium on the real app: the overview in French (left to right) and Arabic (right to left),
and the language chosen in the sidebar kept in the URL."""

from __future__ import annotations

import re

from browser_harness import exceptions_on, full_page_screenshot, legends_over_titles, wait_until_idle
from playwright.sync_api import expect

from i18n import t

MAIN = '[data-testid="stMain"]'
SIDEBAR = '[data-testid="stSidebar"]'
NAV_LINK = '[data-testid="stSidebarNavLink"]'
ARABIC = re.compile(r"[\u0600-\u06FF]")


def computed(page, selector: str, prop: str) -> str:
    return page.evaluate(
        "([s, p]) => { const e = document.querySelector(s); return e ? getComputedStyle(e)[p] : null; }",
        [selector, prop],
    )


def test_overview_in_french_is_left_to_right(overview_fr):
    page = overview_fr.page
    assert exceptions_on(page) == []
    assert computed(page, MAIN, "direction") == "ltr"
    assert computed(page, SIDEBAR, "direction") == "ltr"
    expect(
        page.locator(MAIN).get_by_role("heading", name=t("dashboard.overview.title", "fr"))
    ).to_be_visible()
    expect(page.locator(NAV_LINK).filter(has_text=t("dashboard.nav.overview", "fr"))).to_be_visible()
    assert "lang=fr" in page.url


def test_overview_in_arabic_is_right_to_left(open_page, screenshots):
    page = open_page("overview", "ar")
    assert exceptions_on(page) == []
    # The layout: main area, its block container and the sidebar read right to left.
    for selector in (
        MAIN,
        '[data-testid="stMainBlockContainer"]',
        SIDEBAR,
        '[data-testid="stSidebarContent"]',
    ):
        assert computed(page, selector, "direction") == "rtl", selector
    title = page.locator(MAIN).get_by_role("heading", name=t("dashboard.overview.title", "ar"))
    expect(title).to_be_visible()
    assert ARABIC.search(title.inner_text())
    assert computed(page, f"{MAIN} h1", "textAlign") in ("right", "start")
    # Arabic strings from the catalogue are what the reader sees: menu entries and the sidebar title.
    nav = page.locator(NAV_LINK)
    for key in ("overview", "profile", "compare", "method"):
        expect(nav.filter(has_text=t(f"dashboard.nav.{key}", "ar"))).to_be_visible()
    expect(
        page.locator(SIDEBAR).get_by_text(t("dashboard.app.title", "ar"), exact=False).first
    ).to_be_visible()
    # Numbers stay left to right inside the right-to-left page (metric values isolated)…
    metric_values = page.locator('[data-testid="stMetricValue"]')
    if metric_values.count():
        assert computed(page, '[data-testid="stMetricValue"]', "direction") == "ltr"
    # …and charts are drawn left to right (they mirror their own axes).
    if page.locator('[data-testid="stPlotlyChart"]').count():
        assert computed(page, '[data-testid="stPlotlyChart"]', "direction") == "ltr"
    # An Arabic font is actually available to the browser (fonts-noto-core), so glyphs are not tofu.
    assert page.evaluate("() => document.fonts.check('16px \"Noto Sans Arabic\"', 'أثر')")
    full_page_screenshot(page, screenshots / "overview-ar.png")


def test_language_chosen_in_the_sidebar_is_kept_in_the_url(open_page):
    page = open_page("overview", "fr")
    box = (
        page.locator(SIDEBAR)
        .locator('[data-testid="stSelectbox"]')
        .filter(has_text=t("dashboard.app.language", "fr"))
    )
    box.click()
    page.get_by_role("option", name="العربية").click()
    page.wait_for_url(re.compile(r"lang=ar"))
    wait_until_idle(page)
    assert computed(page, MAIN, "direction") == "rtl"
    expect(
        page.locator(MAIN).get_by_role("heading", name=t("dashboard.overview.title", "ar"))
    ).to_be_visible()
    # A reload keeps the language: it lives in the URL, not in the session.
    page.reload(wait_until="domcontentloaded")
    wait_until_idle(page)
    assert "lang=ar" in page.url
    assert computed(page, MAIN, "direction") == "rtl"


def test_moving_between_pages_keeps_language_and_viewer(open_page):
    """Clicking a menu entry keeps ``?lang=ar``: the next page is still Arabic, right to left,
    for the same signed-in member."""
    page = open_page("overview", "ar", "ASS-CAS-001")
    page.locator(NAV_LINK).filter(has_text=t("dashboard.nav.compare", "ar")).click()
    page.wait_for_url(re.compile(r"/compare\?"))
    wait_until_idle(page)
    assert "lang=ar" in page.url
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("ass-cas-001")
    assert computed(page, MAIN, "direction") == "rtl"
    expect(page.locator(f'{NAV_LINK}[aria-current="page"]')).to_contain_text(t("dashboard.nav.compare", "ar"))
    assert exceptions_on(page) == []


def test_chart_legends_stay_clear_of_titles_in_arabic(open_page):
    """Sustainability draws series of six long principle names, mirrored for Arabic."""
    page = open_page("sustainability", "ar")
    assert exceptions_on(page) == []
    assert page.locator('[data-testid="stPlotlyChart"] .legend').count() >= 2
    assert legends_over_titles(page) == []
