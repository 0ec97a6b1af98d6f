"""Browser test fixtures: the real app on a demo database, driven by Debian's Chromium.

- ``demo_db`` (session): the demo network built once through the real path
  (``python -m ingest demo`` then ``python -m metrics score``) into a temporary folder, plus the
  four organisations of ``../shared/samples/organizations.csv`` it lacks (``python -m ingest orgs``);
- ``app_url`` (session): ``streamlit run dashboard/app.py`` on a free port of 127.0.0.1 with
  ``ATHAR_DB`` set, polled at ``/_stcore/health`` until ``ok`` (60 s), terminated at the end;
- ``browser`` (session): Playwright's sync API on ``/usr/bin/chromium`` with the flags of
  docs/engineering-notes.md (never a downloaded browser: ``playwright install`` is not used);
- ``overview_fr`` (session): the overview in French, opened once for the read-only tests that
  share it, with the URLs it requested;
- ``open_page`` (per test): ``open_page(page_key, lang, act_as, link)`` opens a page in a fresh context,
  signed in with a demo account through the form (or with a funder link's token);
- ``screenshots``: the folder ``test-artifacts/screenshots/`` (git-ignored).

Every test here is skipped, with the reason, only when Chromium or Playwright is missing;
``.ci/run`` installs both, so they run in CI.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import browser_harness as harness

SKIP_REASON = harness.chromium_missing_reason()


def pytest_collection_modifyitems(config, items):
    if SKIP_REASON is None:
        return
    here = Path(__file__).resolve().parent
    marker = pytest.mark.skip(reason=f"browser tests need Chromium: {SKIP_REASON}")
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(here):
            item.add_marker(marker)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The demo network, plus the shared samples' organisations (so sample files can be accepted)."""
    folder = tmp_path_factory.mktemp("browser-demo")
    db = harness.build_demo_database(folder)
    harness.register_sample_organisations(db, folder)
    return db


@pytest.fixture(scope="session")
def app_url(demo_db: Path, tmp_path_factory):
    with harness.running_app(demo_db, log_dir=tmp_path_factory.mktemp("browser-app")) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    with harness.chromium() as handle:
        yield handle


@pytest.fixture(scope="session")
def screenshots() -> Path:
    harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return harness.ARTIFACTS


class SharedPage:
    """One page opened once for several tests, with every URL it requested."""

    def __init__(self, page, requests: list[str]):
        self.page = page
        self.requests = requests


@pytest.fixture(scope="session")
def overview_fr(browser, app_url):
    """The overview in French for the steering committee, opened once (read-only tests share it)."""
    requests: list[str] = []
    page = harness.open_page(browser, app_url, "overview", "fr", "steering", requests=requests)
    yield SharedPage(page, requests)
    page.context.close()


@pytest.fixture
def open_page(browser, app_url):
    """``open_page(page_key, lang="fr", act_as=None, link=None)`` → a Playwright page, signed in (or
    opened with a funder link), idle; contexts closed after the test."""
    opened = []

    def _open(page_key: str = "overview", lang: str = "fr", act_as: str | None = None, link: str | None = None):
        page = harness.open_page(browser, app_url, page_key, lang, act_as, link=link)
        opened.append(page)
        return page

    yield _open
    for page in opened:
        page.context.close()
