"""Real Chromium: Arabic that lays out right at phone width (390 px) and with the sidebar collapsed,
and no English from Streamlit's own widgets in French or Arabic (issue 12, "reading").

The screenshots land in ``test-artifacts/screenshots/reading-<page>-<lang>-<mode>.png``: look at them.
"""

from __future__ import annotations

import re

import pytest
from babel.dates import get_month_names
from browser_harness import exceptions_on, full_page_screenshot, wait_until_idle

from dashboard.navigation import PAGES
from i18n import formatting as fmt
from i18n import t

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 1000}
SIDEBAR = '[data-testid="stSidebar"]'
#: The overview, the profile, and the indicator page once it exists on this branch.
LAYOUT_PAGES = [key for key in ("overview", "profile", "indicator") if key in {p.key for p in PAGES}]
#: Streamlit's own English (file uploader, multiselect, date input, "Page not found" dialog).
STREAMLIT_ENGLISH = re.compile(
    r"\bUpload\b|Drag and drop|per file|Browse files|Choose options?|Choose an option|Select all"
    r"|Select \d+ matches|No results|Page not found|YYYY/MM/DD"
)

# Elements drawn beyond the right edge of the window, unless an ancestor that clips its overflow
# (a scrolling grid, an SVG) keeps them inside the window: those cannot be seen out there.
OVERFLOW_JS = """() => {
    const width = window.innerWidth;
    const clippedInside = (el) => {
        for (let a = el.parentElement; a; a = a.parentElement) {
            const s = getComputedStyle(a);
            if ((s.overflowX !== 'visible' || a.tagName === 'svg') && a.getBoundingClientRect().right <= width + 1) return true;
        }
        return false;
    };
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect(), s = getComputedStyle(el);
        if (r.width === 0 || r.height === 0 || s.visibility === 'hidden' || s.display === 'none') continue;
        if (r.right > width + 1 && !clippedInside(el)) {
            out.push((el.getAttribute('data-testid') || el.tagName) + ' ' + Math.round(r.left) + '→' + Math.round(r.right));
        }
    }
    return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, beyond: out.slice(0, 10)};
}"""

# Sidebar text a reader can see over the main area (the "strip" of a badly collapsed RTL sidebar).
SIDEBAR_OVER_MAIN_JS = """() => {
    const sidebar = document.querySelector('[data-testid="stSidebar"]');
    if (!sidebar) return [];
    return [...sidebar.querySelectorAll('a, p, span, label')].filter(el => {
        const r = el.getBoundingClientRect(), s = getComputedStyle(el);
        return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'
            && r.right > 0 && r.left < window.innerWidth && el.textContent.trim();
    }).map(el => el.textContent.trim()).slice(0, 5);
}"""

# Letters stacked one per line: a visible text box of the main area far taller than wide.
STACKED_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] p, [data-testid="stMain"] h1')]
    .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.width < 30 && r.height > 120; })
    .map(el => el.textContent.trim().slice(0, 20))"""


def _collapse_sidebar(page) -> None:
    """Collapse the sidebar with its own button (Streamlit may keep it open after a resize)."""
    if page.locator(f'{SIDEBAR}[data-collapsed="true"]').count():
        return
    collapsed = f'{SIDEBAR}[data-collapsed="true"]'
    for _ in range(3):  # the button shows on hover; a click during a rerun may be lost
        page.hover(SIDEBAR)
        page.locator('[data-testid="stSidebarCollapseButton"] button').first.click()
        try:
            page.wait_for_selector(collapsed, state="attached", timeout=3000)
            break
        except Exception:  # noqa: BLE001 — playwright's TimeoutError: try again
            wait_until_idle(page)
    page.wait_for_timeout(600)  # the slide-out transition
    wait_until_idle(page)
    assert page.locator(collapsed).count() == 1


def _assert_laid_out(page) -> None:
    overflow = page.evaluate(OVERFLOW_JS)
    assert overflow["scrollWidth"] <= overflow["innerWidth"], overflow
    assert overflow["beyond"] == [], overflow
    assert page.evaluate(SIDEBAR_OVER_MAIN_JS) == []
    assert page.evaluate(STACKED_JS) == []
    assert exceptions_on(page) == []


@pytest.mark.parametrize("page_key", LAYOUT_PAGES)
def test_arabic_page_fits_a_phone_without_a_sidebar_strip(open_page, screenshots, page_key):
    page = open_page(page_key, "ar")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(600)
    _collapse_sidebar(page)
    _assert_laid_out(page)
    full_page_screenshot(page, screenshots / f"reading-{page_key}-ar-390.png")


@pytest.mark.parametrize("page_key", LAYOUT_PAGES)
def test_arabic_page_with_the_sidebar_collapsed_has_nothing_over_the_content(open_page, screenshots, page_key):
    page = open_page(page_key, "ar")
    _collapse_sidebar(page)
    _assert_laid_out(page)
    full_page_screenshot(page, screenshots / f"reading-{page_key}-ar-collapsed.png")


def test_french_overview_at_phone_width_fits_too(open_page, screenshots):
    page = open_page("overview", "fr")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(600)
    _collapse_sidebar(page)
    _assert_laid_out(page)
    full_page_screenshot(page, screenshots / "reading-overview-fr-390.png")


#: The text drawn in place of an empty dropdown's "No results" (a pseudo-element: not in innerText).
EMPTY_DROPDOWN_JS = """() => [...document.querySelectorAll('[role="listbox"][data-empty="true"] [role="option"] > span')]
    .map(el => getComputedStyle(el, '::after').content)"""
ENGLISH_MONTHS = re.compile(r"January|February|March|April|May|June|July|August|September|October|November|December"
                            r"|\b(Su|Mo|Tu|We|Th|Fr|Sa)\b")


@pytest.mark.parametrize("lang", ["fr", "ar"])
@pytest.mark.parametrize("page_key", ["upload", "compare", "links", "audit"])
def test_no_streamlit_english_on_pages_with_its_widgets(open_page, page_key, lang):
    """The uploader, the multiselects (a typed filter that matches nothing too) and the link's expiry
    date speak the reader's language."""
    page = open_page(page_key, lang)
    text = page.locator("body").inner_text()
    assert STREAMLIT_ENGLISH.findall(text) == []
    for select in page.locator('[data-testid="stMultiSelect"]').all()[:2]:
        select.click()
        page.wait_for_timeout(300)
        assert STREAMLIT_ENGLISH.findall(page.locator("body").inner_text()) == []
        page.keyboard.type("zzqxw")  # matches no option
        page.wait_for_timeout(400)
        assert STREAMLIT_ENGLISH.findall(page.locator("body").inner_text()) == []
        assert page.evaluate(EMPTY_DROPDOWN_JS) == [f'"{t("reading2.no_match", lang)}"']
        page.keyboard.press("Escape")
    if page_key == "links":
        assert page.locator('[data-testid="stDateInput"]').count() == 0  # its calendar writes English months
        expiry = page.locator('[data-testid="stSelectbox"]').filter(has_text=t("dashboard.links.expires", lang))
        expiry.click()
        page.wait_for_timeout(400)
        shown = page.locator('[data-testid="stSelectboxVirtualDropdown"]').inner_text()
        months = get_month_names("wide", locale=fmt._locale(lang)[0]).values()
        assert any(m in shown for m in months) and ENGLISH_MONTHS.findall(shown) == [] and "/" not in shown, shown
        assert STREAMLIT_ENGLISH.findall(page.locator("body").inner_text()) == []


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_an_unknown_page_shows_no_english_dialog(open_page, app_url, lang):
    page = open_page("overview", lang)
    page.goto(f"{app_url}/no-such-page?lang={lang}", wait_until="domcontentloaded")
    wait_until_idle(page)
    assert STREAMLIT_ENGLISH.findall(page.locator("body").inner_text()) == []
