"""Real Chromium on the real app: a shared address opens the view it names (after signing in), the
address bar follows the pickers, and an address naming what the viewer may not see lands on what it
may see, with a notice."""

from __future__ import annotations

import re

from browser_harness import PAGE_TIMEOUT_MS, VIEWPORT, demo_username, exceptions_on, sign_in, wait_until_idle
from playwright.sync_api import expect

from i18n import t

MAIN = '[data-testid="stMain"]'
SIDEBAR = '[data-testid="stSidebar"]'
OTHER = "FON-RBT-003"
MEMBER = "ASS-CAS-001"


def signed_in_at(browser, url: str, act_as: str):
    """A new browser opening ``url`` signed out, then signing in through the form it is shown."""
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(url, wait_until="domcontentloaded")
    wait_until_idle(page)
    expect(page.get_by_role("heading", name=t("dashboard.access.sign_in_title", "fr"))).to_be_visible()
    sign_in(page, demo_username(act_as))
    return page


def picker(page, label_key: str):
    """A picker of the page by its label: its input holds the option shown."""
    return page.locator(MAIN).get_by_role("combobox", name=t(label_key, "fr")).first


def test_a_shared_profile_address_opens_on_its_organisation_and_period(browser, app_url):
    page = signed_in_at(browser, f"{app_url}/profile?lang=fr&org={OTHER}&period=2023", "steering")
    try:
        assert re.search(r"/profile\?", page.url)
        expect(page.locator(MAIN).get_by_role("heading", name=t("dashboard.profile.title", "fr"))).to_be_visible()
        expect(picker(page, "dashboard.common.organisation")).to_have_value(re.compile(OTHER))
        expect(picker(page, "dashboard.common.period")).to_have_value(re.compile("^2023"))
        assert f"org={OTHER}" in page.url and "period=2023" in page.url
        # Another period in the picker: the address bar follows, ready to be shared.
        picker(page, "dashboard.common.period").click()
        page.get_by_role("option", name="2024").click()
        page.wait_for_url(re.compile(r"period=2024"))
        wait_until_idle(page)
        assert f"org={OTHER}" in page.url and "lang=fr" in page.url
        # The sidebar's link to this view says the same, and nothing else.
        sidebar = page.locator(SIDEBAR)
        sidebar.get_by_text(t("dashboard.urlstate.share_title", "fr")).click()
        shared = sidebar.locator('[data-testid="stCode"]').inner_text().strip()
        assert shared == f"{app_url}/profile?org={OTHER}&period=2024&principle=composite&lang=fr"
        assert exceptions_on(page) == []
    finally:
        page.context.close()


def test_a_member_opening_another_organisations_address_lands_on_its_own(browser, app_url):
    page = signed_in_at(browser, f"{app_url}/profile?lang=fr&org={OTHER}", MEMBER)
    try:
        expect(page.locator(MAIN).get_by_role("heading", name=t("dashboard.profile.title", "fr"))).to_be_visible()
        notice = t("dashboard.urlstate.org_refused", "fr", shown="")[:40]
        expect(page.locator(MAIN).get_by_text(notice, exact=False)).to_be_visible()
        page.wait_for_url(re.compile(rf"org={MEMBER}"))
        assert OTHER not in page.locator(MAIN).inner_text()
        assert exceptions_on(page) == []
    finally:
        page.context.close()
