"""Real Chromium on the real app: every page opens at its key's URL without an exception or a
"Page not found" dialog, charts are drawn with their legends clear of their titles, the map shows
the twelve regions from locally served base layers, icons are icons, nothing is fetched from a
third party, and a full-page screenshot of each page (French, steering committee) is saved under
``test-artifacts/screenshots/``."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from browser_harness import PAGES, dialogs_on, exceptions_on, full_page_screenshot, legends_over_titles
from playwright.sync_api import expect

from dashboard import chart_margins
from i18n import t

MAIN = '[data-testid="stMain"]'
NAV_LINK = '[data-testid="stSidebarNavLink"]'


@pytest.mark.parametrize("page_key", PAGES)
def test_page_renders_in_a_real_browser(open_page, overview_fr, screenshots, page_key):
    # The member's home is a member's page (the committee opens on the overview).
    viewer = "ASS-CAS-001" if page_key == "start" else "steering"
    page = overview_fr.page if page_key == "overview" else open_page(page_key, "fr", viewer)
    assert exceptions_on(page) == [], f"{page_key}: exception shown in the page"
    # The page key is a working URL: no "Page not found" dialog, and the address stays the page's.
    assert dialogs_on(page) == [], f"/{page_key}: {dialogs_on(page)}"
    assert urlparse(page.url).path == f"/{page_key}"
    expect(page.locator(f"{MAIN} h1").first).to_be_visible()
    # The menu entry of this page is the current one.
    current = page.locator(f'{NAV_LINK}[aria-current="page"]')
    expect(current).to_contain_text(t(f"dashboard.nav.{page_key}", "fr"))
    # Every Plotly chart on the page has been drawn (not an empty box).
    for chart in page.locator('[data-testid="stPlotlyChart"]').all():
        assert chart.locator(".main-svg").count() > 0
    assert legends_over_titles(page) == [], "a chart legend covers its title"
    full_page_screenshot(page, screenshots / f"{page_key}-fr.png")


def test_the_root_opens_the_first_page_at_its_own_url(open_page):
    """``/`` switches to the viewer's first page — the language kept in the URL (the identity is the session's)."""
    page = open_page(None, "ar", "ASS-CAS-001")
    assert dialogs_on(page) == [] and exceptions_on(page) == []
    assert urlparse(page.url).path == f"/{PAGES[0]}"
    assert parse_qs(urlparse(page.url).query) == {"lang": ["ar"]}
    expect(page.locator(f"{MAIN} h1").first).to_have_text(t("calendar.home.title", "ar"))  # a member's home
    expect(page.locator(f'{NAV_LINK}[aria-current="page"]')).to_contain_text(t("dashboard.nav.start", "ar"))


def test_overview_map_draws_the_twelve_regions(overview_fr):
    page = overview_fr.page
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot path.choroplethlocation')]
                 .filter(p => (p.getAttribute('d') || '').length > 20).length"""
    )
    assert drawn >= 12, (
        "the choropleth drew fewer than the twelve regions (base layers or GeoJSON not served?)"
    )
    expect(page.get_by_text("OpenStreetMap", exact=False).first).to_be_visible()


def test_nothing_is_fetched_from_a_third_party(overview_fr, app_url):
    """Funders' browsers must not call third parties (Plotly's CDN, Google fonts…)."""
    local = urlparse(app_url).netloc
    outside = sorted(
        {
            f"{urlparse(u).netloc}{urlparse(u).path}"
            for u in overview_fr.requests
            if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).netloc != local
        }
    )
    assert outside == [], f"the page fetched from third parties: {outside}"


def test_material_icons_are_drawn_as_icons_not_their_names(overview_fr):
    """Streamlit's icons are ligatures of the Material Symbols font: with any other font the
    reader sees words such as "dashboard" or "keyboard_double_arrow_left" instead of icons."""
    fonts = overview_fr.page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stIconMaterial"]')]
                 .map(e => [e.textContent, getComputedStyle(e).fontFamily])"""
    )
    assert fonts, "no Material icon on the page"
    wrong = sorted({name for name, family in fonts if "Material Symbols" not in family})
    assert wrong == [], f"icons drawn with a text font (their names show as words): {wrong}"


def test_member_menu_has_only_the_member_pages(open_page):
    page = open_page("overview", "fr", "ASS-CAS-001")
    assert exceptions_on(page) == []
    labels = " ".join(link.inner_text().strip() for link in page.locator(NAV_LINK).all())
    assert t("dashboard.nav.upload", "fr") in labels
    assert t("dashboard.nav.framework", "fr") not in labels


#: Per chart: the margins the server gave (``layout.margin``), those Plotly drew with (``_size``), and
#: the text drawn outside the chart's box.
_MARGINS_JS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')].map(gd => {
    const box = gd.getBoundingClientRect(), given = gd.layout.margin || {}, drawn = gd._fullLayout._size;
    const outside = [...gd.querySelectorAll('.main-svg text')].filter(t => {
        const r = t.getBoundingClientRect();
        return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1);
    }).map(t => t.textContent);
    const grew = ['l', 'r', 't', 'b'].filter(side => drawn[side] > (given[side] || 0) + 1);
    return {title: gd._fullLayout.title.text, grew, outside, sides: (given.l || 0) + (given.r || 0)};
})"""


@pytest.mark.parametrize("lang", ["fr", "ar"])
@pytest.mark.parametrize("page_key", ["compare", "sustainability", "quality", "overview"])
def test_each_chart_draws_once_with_the_margins_the_server_gave(open_page, page_key, lang):
    """Plotly's automargin draws a chart a second time when its labels do not fit the margins: the
    server's margins (``dashboard.chart_margins``) already fit them, so no chart's margin grows in
    the browser — but those the server held to a phone's width (a heatmap's row names beside its
    colour bar) — and no label, title or legend runs off the chart (1440 px)."""
    page = open_page(page_key, lang)
    charts = page.evaluate(_MARGINS_JS)
    assert charts
    held = chart_margins.MAX_SIDES - 4
    assert [c["title"] for c in charts if c["grew"] and c["sides"] < held] == [], "Plotly widened these margins"
    assert [c["outside"] for c in charts if c["outside"]] == [], "text clipped at the chart's edge"
