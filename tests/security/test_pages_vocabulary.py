"""A link with a funder vocabulary (IRIS+ or SDG) still sees nothing outside its scope: on every page
of its navigation, for every choice there (the SDG contribution panel included), and in every export.

Planted before the links are made (through ``ingest.pipeline.load_file``, then scored as run 2):
987 654 people (R01, serves P2, SDG 1.2 and 10.2) for an organisation outside the link in 2025;
876 543 people (R01) for a link's organisation in 2025 — after run 1, so a link pinned to run 1
never shows it while an unpinned one does (the positive control); 765 432 pupils (E01) for a link's
organisation in 2024, a period outside the link.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.testing import open_page, start
from store import links
from store.db import open_store
from store.registry import framework_in_use

from .pages_harness import digits_text, everything, leaks, load_rows, org_words, period_labels, score, walk

ORGS = ["ASS-CAS-001", "FON-RBT-003"]
OTHER = "ASS-JDI-030"
OUT_OF_ORG, PINNED_AWAY, OUT_OF_PERIOD = "987654", "876543", "765432"
OTHER_PRINCIPLE_CODES = re.compile(r"(?<![\w-])P[1345](?![\w])")

#: On both backends: the same pages over a DuckDB file and over a PostgreSQL copy of the demo (``page_db``).
pytestmark = [pytest.mark.usefixtures("page_downloads"), pytest.mark.backends("duckdb", "postgres")]


@pytest.fixture(scope="module")
def vocab_db(page_db: Path) -> Path:
    store = open_store(page_db)
    framework = framework_in_use(store)
    assert store.scalar("SELECT max(id) FROM score_runs") == 1
    load_rows(store, framework, [{"org_code": OTHER, "indicator_code": "R01", "period": "2025",
                                  "value": OUT_OF_ORG, "unit": "personnes"}],
              "other.csv", member_org=OTHER, uploaded_by=f"member:{OTHER}")
    load_rows(store, framework, [
        {"org_code": "FON-RBT-003", "indicator_code": "R01", "period": "2025", "value": PINNED_AWAY,
         "unit": "personnes"},
        {"org_code": "FON-RBT-003", "indicator_code": "E01", "period": "2024", "value": OUT_OF_PERIOD,
         "unit": "élèves"},
    ], "rbt.csv", member_org="FON-RBT-003", uploaded_by="member:FON-RBT-003")
    assert score(store) == 2
    return page_db


@pytest.fixture(scope="module")
def tokens(vocab_db: Path) -> dict[str, str]:
    store = open_store(vocab_db)
    scope = {"org_codes": ORGS, "principles": ["P2"], "periods": ["2025"], "created_by": "test:security", "days": 7}
    made = {
        "sdg": links.create_link(store, label="ODD", vocabulary="sdg", **scope),
        "iris": links.create_link(store, label="IRIS+", vocabulary="iris", **scope),
        "pinned": links.create_link(store, label="ODD figé", vocabulary="sdg", run_id=1, **scope),
    }
    return {name: token for name, (_, token) in made.items()}


def _outside(store, text: str) -> list[str]:
    found = leaks(text, org_words(store, exclude=tuple(ORGS)))
    found += sorted(set(OTHER_PRINCIPLE_CODES.findall(text)))
    found += period_labels(text, ("2023", "2024"))
    flat = digits_text(text)
    return found + [f"planted {v}" for v in (OUT_OF_ORG, OUT_OF_PERIOD) if v in flat]


@pytest.mark.parametrize(("link", "page"), [("sdg", "overview"), ("sdg", "profile"), ("iris", "profile"),
                                            ("iris", "indicator"), ("pinned", "overview")])
def test_a_vocabulary_link_sees_nothing_outside_its_scope(vocab_db, tokens, link, page) -> None:
    store = open_store(vocab_db)
    at = open_page(start(vocab_db, link=tokens[link]), page)
    exported = 0
    for choice, state in walk(at, limit=40):
        assert not state.exception, (link, page, choice, [e.value for e in state.exception])
        text, files = everything(state)
        exported += len(files)
        found = _outside(store, text)
        if link == "pinned":
            found += [f"run 2 value {PINNED_AWAY}"] if PINNED_AWAY in digits_text(text) else []
        assert not found, (link, page, choice, found[:6])
    assert exported > 0


def test_the_sdg_panel_of_an_unpinned_link_shows_its_organisations_later_values(vocab_db, tokens) -> None:
    """Positive control of the pin: the same scope unpinned reads run 2, with the planted 876 543."""
    at = start(vocab_db, link=tokens["sdg"])
    text, _ = everything(at)
    assert "Contribution aux ODD" in text and "ODD 1" in text
    assert PINNED_AWAY in digits_text(text)
    pinned, _ = everything(start(vocab_db, link=tokens["pinned"]))
    assert "Contribution aux ODD" in pinned and PINNED_AWAY not in digits_text(pinned)
