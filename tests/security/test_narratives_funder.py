"""Narratives through a funder's link (issue 14): only the link's organisations, principles and
periods, approved narratives only — never the newer one awaiting review — on the rendered profile
page as in the read the report card calls (``store.reads.narratives.narratives``).

Planted through the ordinary load path (``narrative`` rows of a flat file), one just outside each
edge of a link for ASS-CAS-001 and FON-RBT-003, principle P2, period 2025:

- ``INSIDE-P2-APPROVED``: ASS-CAS-001, P2, 2025, approved — the one the funder reads;
- ``NEWER-AWAITING-REVIEW``: the same key, sent later and not approved;
- ``OTHER-PRINCIPLE-P1``: ASS-CAS-001, P1, 2025, approved;
- ``OTHER-PERIOD-2024``: ASS-CAS-001, P2, 2024, approved;
- ``OTHER-ORG``: ASS-JDI-030, P2, 2025, approved.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.testing import open_page, start, visible_text
from store import links
from store.db import open_store
from store.reads.narratives import narratives
from store.registry import framework_in_use
from store.viewer import LinkScope, Viewer

from .pages_harness import load_rows

ORGS = ["ASS-CAS-001", "FON-RBT-003"]
MEMBER, OTHER = "ASS-CAS-001", "ASS-JDI-030"
INSIDE = "INSIDE-P2-APPROVED"
OUTSIDE = ("NEWER-AWAITING-REVIEW", "OTHER-PRINCIPLE-P1", "OTHER-PERIOD-2024", "OTHER-ORG")

#: On both backends: the same load path, page and read over a DuckDB file and a PostgreSQL copy of the demo.
pytestmark = pytest.mark.backends("duckdb", "postgres")


def _rows(org: str, quarter: str, narratives_: list[tuple[str, str, str]]) -> list[dict]:
    """One value (R01 of ``quarter``, never locked by the demo) and narrative rows (principle, period, text)."""
    value = {"org_code": org, "indicator_code": "R01", "period": quarter, "value": "10", "principle": "",
             "language": "", "text": "", "source": ""}
    return [value, *({**value, "indicator_code": "récit", "period": period, "value": "", "principle": principle,
                      "language": "fr", "text": text, "source": "https://exemple.org/preuve"}
                     for principle, period, text in narratives_)]


@pytest.fixture(scope="module")
def narrative_db(page_db: Path | str) -> tuple[Path | str, str]:
    store = open_store(page_db)
    framework = framework_in_use(store)
    load_rows(store, framework, _rows(MEMBER, "2026-Q1", [("P2", "2025", INSIDE), ("P1", "2025", OUTSIDE[1]),
                                                          ("P2", "2024", OUTSIDE[2])]),
              "inside.csv", member_org=MEMBER, uploaded_by=f"member:{MEMBER}", audit_actor="cli:test")
    load_rows(store, framework, _rows(OTHER, "2026-Q1", [("P2", "2025", OUTSIDE[3])]), "other.csv",
              member_org=OTHER, uploaded_by=f"member:{OTHER}", audit_actor="cli:test")
    load_rows(store, framework, _rows(MEMBER, "2026-Q2", [("P2", "2025", OUTSIDE[0])]), "newer.csv",
              approved=False, member_org=MEMBER, uploaded_by=f"member:{MEMBER}", audit_actor="cli:test")
    _, token = links.create_link(store, label="bailleur récits", org_codes=ORGS, principles=["P2"],
                                 periods=["2025"], pages=["profile"], created_by="cli:test")
    return page_db, token


def test_the_funder_profile_shows_the_approved_narrative_in_scope_and_nothing_else(narrative_db) -> None:
    db, token = narrative_db
    at = open_page(start(db, link=token), "profile")
    at.selectbox(key="org").set_value(MEMBER).run()
    at.selectbox(key="period").set_value("2025").run()
    assert not at.exception, at.exception
    text = visible_text(at)
    assert INSIDE in text
    assert [word for word in OUTSIDE if word in text] == []


def test_the_narratives_read_keeps_every_funder_inside_the_link(narrative_db) -> None:
    db, _ = narrative_db
    store = open_store(db)
    link = LinkScope(frozenset(ORGS), principles=frozenset({"P2"}), periods=frozenset({"2025"}), link_id=99)
    funder = Viewer.funder(link)
    seen = {text for org in (MEMBER, OTHER) for period in ("2024", "2025")
            for text in narratives(store, funder, org, period)["text"]}
    assert INSIDE in seen and seen.isdisjoint(OUTSIDE)  # with the demo's approved P2 narrative in Arabic
    everything = {text for org in (MEMBER, OTHER) for period in ("2024", "2025")
                  for text in narratives(store, Viewer.steering(), org, period)["text"]}
    assert set(OUTSIDE) <= everything and INSIDE not in everything  # the newest version of each key
    assert narratives(store, Viewer.member(OTHER), MEMBER, "2025").is_empty()
