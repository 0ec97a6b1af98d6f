"""A member sees no other organisation: on every page it may open, for every choice on those
pages, and in every file their download buttons give.

Checked against what is rendered (text, tables, chart data, widget options — ``page_text``) and
the bytes a click on each download button returns (``pages_harness.downloads``: Streamlit's own
deferred-download execution, see that module), never against the queries. The pages are taken
from ``dashboard.navigation.pages_for`` so a page added later is checked without editing this file.

Raw values: before the session, another organisation of the member's own region (so it sits in
every peer group the member compares itself with) submits, through ``ingest.pipeline.load_file``,
values no demo organisation has — 987 654,321 volunteer hours and a corrected budget of
24 681 357,9 MAD — and the store is scored again (``metrics.run.score_store``). The steering
committee finds those numbers on the profile page (so the check can see them when they are
there); the member must never meet them, in any script, grouping or format.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.navigation import pages_for
from dashboard.testing import open_page, start
from store.db import open_store
from store.registry import framework_in_use
from store.viewer import Viewer

from .pages_harness import (
    digits_text,
    everything,
    leaks,
    load_rows,
    org_words,
    score,
    walk,
)

MEMBER = "ASS-CAS-001"
OTHER = "ASS-JDI-030"  # same region (MA-06) as the member: in its regional peer group
#: What OTHER submits, and how each number can be written (digits only, every grouping removed).
PLANTED = [
    {
        "org_code": OTHER,
        "indicator_code": "P05",
        "period": "2025",
        "value": "987654.321",
        "unit": "heures",
        "notes": "Bénévolat exceptionnel",
    },
    {
        "org_code": OTHER,
        "indicator_code": "S02",
        "period": "2025",
        "value": "24681357.9",
        "unit": "MAD",
        "notes": "Budget corrigé",
    },
]
NEEDLES = ("987654", "24681357", "210951")  # P05, S02, and S01 = S02 / R01 (24681357.9 / 117)
MEMBER_PAGES = [spec.key for spec in pages_for(Viewer.member(MEMBER))]


#: On both backends: the same pages over a DuckDB file and over a PostgreSQL copy of the demo (``page_db``).
pytestmark = [pytest.mark.usefixtures("page_downloads"), pytest.mark.backends("duckdb", "postgres")]


@pytest.fixture(scope="module")
def planted_db(page_db: Path) -> Path:
    """The demo network, plus OTHER's distinctive values loaded and scored through the real path."""
    db = page_db
    store = open_store(db)
    framework = framework_in_use(store)
    load_rows(
        store,
        framework,
        PLANTED,
        f"{OTHER}_2025_correctif.csv",
        member_org=OTHER,
        uploaded_by=f"member:{OTHER}",
    )
    score(store)
    assert store.scalar(
        "SELECT value FROM score_indicators WHERE run_id = (SELECT max(id) FROM score_runs) "
        "AND org_code = ? AND period = '2025' AND indicator_code = 'P05'",
        [OTHER],
    ) == pytest.approx(987654.321)
    return db


@pytest.fixture(scope="module")
def forbidden(planted_db) -> dict[str, list[str]]:
    """Every other organisation's code and names (fr, ar, en), as registered."""
    words = org_words(open_store(planted_db), exclude=(MEMBER,))
    assert len(words) == 39
    return words


def raw_values(text: str) -> list[str]:
    flat = digits_text(text)
    return [needle for needle in NEEDLES if needle in flat]


def test_the_planted_values_are_found_where_they_may_be_seen(planted_db) -> None:
    """Positive control: the steering committee reads OTHER's numbers on its profile and in its export."""
    at = open_page(start(planted_db, identity="steering"), "profile")
    at.selectbox(key="org").set_value(OTHER).run()
    text, files = everything(at)
    assert "987654" in digits_text(text) and "24681357" in digits_text(text)
    indicators = [f for f in files if f.file_name == f"athar_{OTHER}_2025_indicators.csv"]
    assert indicators and "987654,321" in indicators[0].text  # French CSV: decimal comma
    assert OTHER in text


def test_the_member_pages_are_the_expected_ones() -> None:
    """No administration page; the walk below covers every page of this list, whatever it holds."""
    assert "profile" in MEMBER_PAGES and "overview" in MEMBER_PAGES
    assert not {"framework", "calendar", "review", "links", "accounts", "reminders", "registry", "audit"} & set(MEMBER_PAGES)


@pytest.mark.parametrize("page", MEMBER_PAGES)
def test_member_sees_no_other_organisation_on_any_choice_or_export(planted_db, forbidden, page) -> None:
    at = open_page(start(planted_db, identity=MEMBER), page)
    assert not at.exception
    states = files_seen = 0
    own_seen = False
    for choice, state in walk(at, limit=50):
        assert not state.exception, (page, choice, [e.value for e in state.exception])
        text, files = everything(state)
        states += 1
        files_seen += len(files)
        own_seen = own_seen or MEMBER in text
        leaked = leaks(text, forbidden)
        assert not leaked, (page, choice, leaked[:5])
        planted = raw_values(text)
        assert not planted, (page, choice, planted)
    if page != "method":  # the method page is about the framework, not an organisation
        assert own_seen, f"{page}: the member's own code never appears (is this the member's session?)"
    # Nothing to choose or download on a blank form, the password page, or a home with nothing due.
    if page not in ("method", "upload", "form", "password", "start"):
        assert states > 1 and files_seen > 0, (page, states, files_seen)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_member_sees_no_other_organisation_in_arabic_and_english(planted_db, forbidden, lang) -> None:
    """Names are shown in the reader's language: every page and export, in the two other languages."""
    at = start(planted_db, identity=MEMBER, lang=lang)
    for page in MEMBER_PAGES:
        at = open_page(at, page)
        text, _ = everything(at)
        assert not leaks(text, forbidden), (lang, page, leaks(text, forbidden)[:5])
        assert not raw_values(text), (lang, page)
