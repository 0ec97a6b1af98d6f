"""The caches a page switch reads through (issue 15) keep each answer to exactly its question.

``PageContext.q`` keys a read on one string naming the database, data version, viewer's scope, read
and arguments exactly (``dashboard.exact_key``); the provisional pairs of a run and the period
states are kept across reruns under everything they are computed from. Two viewers of different
scopes never share an answer, a new run or a new date is never answered from an old one.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import polars as pl
import pytest

from dashboard import review_labels
from dashboard.context import PageContext
from dashboard.exact_key import Unkeyable, exact_key, exact_text
from store import review
from store.db import open_store
from store.reads import common as common_reads
from store.viewer import LinkScope, Viewer

MEMBER, OTHER = "ASS-CAS-001", "ENT-CAS-006"


@pytest.fixture(scope="module")
def store(demo_db):
    return open_store(demo_db)


@pytest.fixture(scope="module")
def run(store) -> dict:
    return common_reads.latest_run(store, Viewer.steering())


def _context(store, viewer: Viewer, run: dict | None, version: tuple = ("v", 1)) -> PageContext:
    return PageContext(store=store, viewer=viewer, lang="fr", version=version, run=run)


def test_an_exact_key_tells_apart_what_a_printed_value_would_not() -> None:
    assert exact_key(1) != exact_key(1.0) != exact_key(True)
    assert exact_key(("a", None)) != exact_key(("a", "None"))
    long = pl.Series("v", [float(i) for i in range(40)])
    changed = pl.Series("v", [99.0 if i == 20 else float(i) for i in range(40)])  # printed, both read "…"
    assert exact_text(long) != exact_text(changed)
    assert exact_text(date(2026, 1, 2), frozenset({"B", "A"})) == exact_text(date(2026, 1, 2), frozenset({"A", "B"}))
    with pytest.raises(Unkeyable):
        exact_key(object())


def test_two_viewers_of_different_scopes_never_share_a_cached_read(store, run) -> None:
    calls: list[tuple] = []

    def scoped_codes(store, viewer, run_id):  # a read as store.reads writes them: store, viewer, arguments
        calls.append(viewer.scope_key)
        return pl.DataFrame({"org_code": [viewer.org_code or "all"], "run": [run_id]})

    scoped_codes.__module__ = f"tests.caches_{id(calls)}"  # a name no other test's cache holds
    viewers = (Viewer.member(MEMBER), Viewer.member(OTHER), Viewer.steering(),
               Viewer.funder(LinkScope(frozenset({MEMBER}))), Viewer.funder(LinkScope(frozenset({OTHER}))))
    for _ in range(2):  # the second round is answered from the cache, each viewer its own answer
        answers = [_context(store, viewer, run).q(scoped_codes, run["id"]) for viewer in viewers]
        assert [a["org_code"][0] for a in answers] == [MEMBER, OTHER, "all", "all", "all"]
    assert calls == [viewer.scope_key for viewer in viewers]
    assert len(set(calls)) == len(viewers)
    # Another argument, another data version: read again.
    _context(store, viewers[0], run).q(scoped_codes, run["id"] + 1)
    _context(store, viewers[0], run, version=("v", 2)).q(scoped_codes, run["id"])
    assert len(calls) == len(viewers) + 2


def test_a_read_whose_arguments_cannot_be_named_exactly_is_still_cached_per_scope(store, run) -> None:
    calls: list[tuple] = []

    class Opaque:  # hashed by Streamlit, not by exact_key
        def __reduce__(self):
            return (Opaque, ())

    def opaque_read(store, viewer, value):
        calls.append(viewer.scope_key)
        return viewer.org_code

    opaque_read.__module__ = f"tests.caches_{id(calls)}"
    for _ in range(2):
        assert _context(store, Viewer.member(MEMBER), run).q(opaque_read, Opaque()) == MEMBER
        assert _context(store, Viewer.member(OTHER), run).q(opaque_read, Opaque()) == OTHER
    assert calls == [Viewer.member(MEMBER).scope_key, Viewer.member(OTHER).scope_key]


def test_the_provisional_pairs_of_a_run_are_read_once_and_a_new_run_reads_its_own(store, run, monkeypatch) -> None:
    read = review.provisional_pairs
    real = read(store, run["id"])
    calls: list[int] = []

    def counted(store_, run_id):
        calls.append(run_id)
        if run_id == run["id"]:
            return read(store_, run_id)
        return pl.DataFrame({"org_code": [OTHER], "period": ["2099"]})  # "a second run"

    monkeypatch.setattr(review, "provisional_pairs", counted)
    first = SimpleNamespace(store=store, version=("pairs", id(calls)), run_id=run["id"])
    assert review_labels.run_pairs(first).equals(real)
    assert review_labels.run_pairs(first).equals(real)
    assert calls == [run["id"]]
    second = SimpleNamespace(store=store, version=("pairs", id(calls), "after a run"), run_id=run["id"] + 1)
    assert review_labels.run_pairs(second).rows() == [(OTHER, "2099")]
    assert calls == [run["id"], run["id"] + 1]
    # The same run under a new data version (a restore may bring back another run under its id): read again.
    again = SimpleNamespace(store=store, version=("pairs", id(calls), "restored"), run_id=run["id"])
    review_labels.run_pairs(again)
    assert calls == [run["id"], run["id"] + 1, run["id"]]


def test_the_period_states_kept_across_runs_follow_the_date_and_the_viewer(store, run, monkeypatch) -> None:
    version = ("periods", id(store), date.today().isoformat())
    monkeypatch.setenv("ATHAR_COMPLETE_SHARE", "1")  # complete by the deadline, or when every member reported
    monkeypatch.setenv("ATHAR_TEST_TODAY", "2020-01-01")  # before every deadline
    early = _context(store, Viewer.steering(), run, version).period_states
    monkeypatch.setenv("ATHAR_TEST_TODAY", "2030-01-01")  # after every deadline: all complete
    late = _context(store, Viewer.steering(), run, version).period_states
    assert late["complete"].all() and not early["complete"].all()
    member = _context(store, Viewer.member(MEMBER), run, version).period_states
    expected = common_reads.period_reporting(store, Viewer.member(MEMBER), run["id"])
    assert member["reporting"].to_list() == expected["reporting"].to_list()
    ctx = _context(store, Viewer.steering(), run, version)
    period = late["period"][0]
    state = ctx.period_state(period)
    assert state == late.row(0, named=True) and ctx.period_state("1900") is None
    state["complete"] = "changed by a caller"
    assert ctx.period_state(period)["complete"] == late["complete"][0]  # each caller gets its own copy
