"""Real Chromium on the real app: a page switch asks the server for nothing but the page itself.

The tab icon used to be a file that Streamlit served as a media file: the frontend sets the icon's
address again on every page-config message, so each switch fetched it one to four times (a request
in the browser, its network service and the server). It is now sent inline, as a ``data:`` URL.
"""

from __future__ import annotations

import base64
from urllib.parse import urlparse

from browser_harness import wait_until_idle

from dashboard import favicon

NAV_LINK = '[data-testid="stSidebarNavLink"]'
ICON_JS = "() => (document.querySelector(\"link[rel='shortcut icon']\") || {}).href || ''"


def test_switching_pages_fetches_no_tab_icon_from_the_server(open_page, app_url):
    page = open_page("overview", "fr", "steering")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    for key in ("sustainability", "profile", "overview"):  # charts, metrics and tables
        page.locator(f'{NAV_LINK}[href$="/{key}"]').first.click()
        page.wait_for_url(f"**/{key}*")
        wait_until_idle(page)
    local = urlparse(app_url).netloc
    media = [u for u in requests if urlparse(u).netloc == local and urlparse(u).path.startswith("/media/")]
    assert media == [], f"a page switch fetched media files: {media}"


def test_the_tab_icon_is_the_dashboards_png_sent_inline(open_page):
    page = open_page("compare", "ar", "steering")
    href = page.evaluate(ICON_JS)
    prefix = "data:image/png;base64,"
    assert href.startswith(prefix), f"the tab icon is fetched from {href[:80]}"
    assert base64.b64decode(href.removeprefix(prefix)) == favicon.ICON.read_bytes()
