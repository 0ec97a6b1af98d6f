"""Two sessions with different scopes, run alternately in one process on one database, see
disjoint data — with Streamlit's caches warm and shared between them, as in the real server.

``st.cache_data`` is shared by every session of a process; ``dashboard.context`` keys each cached
read by the viewer's scope. Every ``store.reads`` read is counted here (per scope key) to show the
cache is really warm (a second identical run reads nothing) and that each scope's reads run for
that scope only; what each session shows is checked on the rendered page and its downloads.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections import Counter
from pathlib import Path

import pytest

from dashboard.testing import open_page, start
from store import links
from store.db import open_store
from store.reads import MODULES

from .pages_harness import everything, find_widget, org_words

MEMBER_A, MEMBER_B = "ASS-CAS-001", "FON-RBT-003"
LINK_X = ["ASS-CAS-001", "FON-RBT-003"]
LINK_Y = ["ENT-CAS-006", "COO-TRD-004"]
PAGES = ["overview", "profile", "compare", "sustainability"]
UNCACHED = {"data_version"}


#: On both backends: the same pages over a DuckDB file and over a PostgreSQL copy of the demo (``page_db``).
pytestmark = [pytest.mark.usefixtures("page_downloads"), pytest.mark.backends("duckdb", "postgres")]


@pytest.fixture(scope="module")
def db(page_db: Path) -> Path:
    return page_db


@pytest.fixture(scope="module")
def words(db) -> dict[str, list[str]]:
    return org_words(open_store(db))


@pytest.fixture
def reads(monkeypatch) -> Counter:
    """(read name, scope key) → number of times ``store.reads`` actually ran it (cache misses)."""
    counted: Counter = Counter()
    for module in (importlib.import_module(f"store.reads.{m}") for m in MODULES):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue

            def counting(store, viewer, *args, _function=function, **kwargs):
                counted[(_function.__name__, viewer.scope_key)] += 1
                return _function(store, viewer, *args, **kwargs)

            monkeypatch.setattr(module, name, functools.wraps(function)(counting))
    return counted


def orgs_in(text: str, words: dict[str, list[str]]) -> set[str]:
    """Organisations whose code or any name is in ``text``."""
    return {code for code, found in words.items() if any(w in text for w in found)}


def scope_of(reads: Counter, before: Counter) -> set[tuple]:
    return {scope for (_, scope), n in (reads - before).items() if n}


def test_two_members_alternating_on_a_warm_cache_see_their_own_data(db, words, reads) -> None:
    a = start(db, identity=MEMBER_A)
    b = start(db, identity=MEMBER_B)
    scope_a, scope_b = ("member", MEMBER_A), ("member", MEMBER_B)
    for page in PAGES:
        for _ in range(2):  # the second round runs on a cache the first one warmed
            for at, own, other in ((a, MEMBER_A, MEMBER_B), (b, MEMBER_B, MEMBER_A)):
                before = Counter(reads)
                at = open_page(at, page)
                assert not at.exception
                text, files = everything(at)
                seen = orgs_in(text, words)
                assert seen <= {own}, (page, own, seen)
                assert other not in text
                if page != "overview":
                    assert own in seen, (page, own)
                assert all(other not in f.text for f in files)
                ran = scope_of(reads, before)
                assert all(s[:2] == (("member", own)) for s in ran), (page, own, ran)
    # Warm: the same page again, in either session, reads nothing from the store but what is never
    # cached (the data version, part of every cache key); the method card's reads are cached too.
    for at in (a, b):
        before = Counter(reads)
        open_page(at, "profile")
        assert {name for name, _ in reads - before} <= UNCACHED, reads - before
    # And each scope did read for itself: the cache was never one scope's answer served to the other.
    assert {s[:2] for _, s in reads} == {scope_a, scope_b}


def test_two_funder_links_alternating_see_disjoint_organisations(db, words, reads) -> None:
    store = open_store(db)
    _, token_x = links.create_link(store, label="X", org_codes=LINK_X, created_by="test:security", days=7)
    _, token_y = links.create_link(store, label="Y", org_codes=LINK_Y, created_by="test:security", days=7)
    x, y = start(db, link=token_x), start(db, link=token_y)
    for page in PAGES:
        for at, own in ((x, LINK_X), (y, LINK_Y)):
            at = open_page(at, page)
            picker = find_widget(at, "selectbox", "period")
            for period in picker.options if picker else [None]:
                if period is not None:
                    find_widget(at, "selectbox", "period").set_value(period).run()
                text, files = everything(at)
                seen = orgs_in(text, words)
                assert seen <= set(own), (page, period, seen - set(own))
                if page in ("profile", "compare"):
                    assert seen == set(own), (page, period, seen)
    # Each link's reads ran with its own organisations in the scope key.
    scopes = {s[2] for _, s in reads if s[0] == "funder"}
    assert scopes == {tuple(sorted(LINK_X)), tuple(sorted(LINK_Y))}
