"""Scores that follow review (issue 13): an approval asks for a scoring run in its own transaction, the
app's worker (or ``python -m metrics score --pending``) makes it, and the new run no longer labels the
approved organisation's scores provisional. Returning a submission or deciding a reopen request changes
nothing the scores rest on, so it asks for no run. Real DuckDB files, the real ingestion path, the real
worker, real Streamlit sessions (AppTest) and the real command line.
"""

from __future__ import annotations

import json
import time

import pytest
from test_audit_doors import STEERING, copy_file, run
from test_dashboard_upload import GOOD_FILE, MEMBER
from test_review import CORRECTION, OTHER, load

from dashboard import autoscore
from dashboard.autoscore import ScoringWorker
from dashboard.testing import open_page, start
from i18n import t
from metrics.run import AUTO_ACTOR, run_pending
from store import review
from store.db import Store, open_store
from store.review import ReviewError
from store.scoring_requests import requests, scoring_state


@pytest.fixture
def submitted(demo_db_fresh):
    """The demo with MEMBER's file submitted and already scored: the latest run labels MEMBER provisional."""
    store = open_store(demo_db_fresh)
    submission = load(store, GOOD_FILE, "mes_valeurs.csv").submission_id
    assert run_pending(store).run_id is not None
    yield store, submission
    store.close()


def _approval_requests(store: Store) -> list[dict]:
    """The requests approvals of one submission made (the demo's history acceptance made one for all),
    but for the demo's own 2025 approvals (data/demo/cycle.toml, audited with its source)."""
    demo = set(store.column("SELECT (detail->>'submission')::BIGINT FROM audit_log WHERE action = 'review_approved' "
                            "AND detail->>'source' LIKE 'ingest demo%'"))
    return [r for r in requests(store)
            if r["origin"] == "approval" and r["submission_id"] is not None and r["submission_id"] not in demo]


def _provisional_orgs(store: Store, run_id: int) -> set[str]:
    return set(review.provisional_pairs(store, run_id).get_column("org_code").to_list())


def _wait_until_covered(store: Store, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while scoring_state(store).under_way and time.monotonic() < deadline:
        time.sleep(0.3)


# -- the store: the request travels with the approval ----------------------------------------
def test_approving_records_a_pending_scoring_request_for_the_submission(submitted) -> None:
    store, submission = submitted
    assert MEMBER in _provisional_orgs(store, store.scalar("SELECT max(id) FROM score_runs"))
    detail = review.approve(store, submission, actor=STEERING)
    assert detail["scoring_requested"] is True
    [asked] = _approval_requests(store)
    assert (asked["status"], asked["submission_id"], asked["requested_by"]) == ("pending", submission, STEERING)
    assert scoring_state(store).under_way


def test_an_approval_that_fails_before_its_commit_leaves_no_request_no_lock_and_no_approval(
    submitted, monkeypatch
) -> None:
    store, submission = submitted

    def request_then_fail(cur, origin, actor, submission_id=None):
        cur.execute("INSERT INTO scoring_requests (requested_at, origin, requested_by, submission_id) "
                    "VALUES (now(), ?, ?, ?)", [origin, actor, submission_id])
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(review, "request_in", request_then_fail)
    with pytest.raises(RuntimeError):
        review.approve(store, submission, actor=STEERING)
    assert _approval_requests(store) == []
    assert review.review_status(store, submission) == "submitted"
    assert store.scalar("SELECT count(*) FROM period_locks WHERE submission_id = ?", [submission]) == 0
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'review_approved' AND target = ?",
                        [f"submission:{submission}"]) == 0


def test_a_refused_approval_records_no_request(submitted) -> None:
    store, submission = submitted
    review.approve(store, submission, actor=STEERING)
    with pytest.raises(ReviewError):
        review.approve(store, submission, actor=STEERING)  # already approved
    with pytest.raises(ReviewError):
        review.approve(store, 999_999, actor=STEERING)  # no such submission
    assert len(_approval_requests(store)) == 1


def test_returning_and_deciding_reopen_requests_ask_for_no_run_since_no_score_input_changes(submitted) -> None:
    store, submission = submitted
    before = len(requests(store))
    review.return_submission(store, submission, "À revoir", actor=STEERING)
    fresh = load(store, CORRECTION, "correction.csv").submission_id  # the answer: a file asks for its run
    assert len(requests(store)) == before + 1
    run_pending(store)
    review.approve(store, fresh, actor=STEERING)
    run_pending(store)
    settled = len(requests(store))
    for grant in (False, True):
        asked = review.request_reopen(store, MEMBER, "2025-Q4", "Erreur de saisie", actor=f"account:{MEMBER.lower()}")
        review.decide_reopen(store, asked, grant=grant, actor=STEERING)
    assert len(requests(store)) == settled and not scoring_state(store).under_way


# -- the worker covers the approval's request ------------------------------------------------
def test_the_worker_covers_the_approval_and_the_new_run_drops_the_provisional_mark(submitted) -> None:
    store, submission = submitted
    shown = store.scalar("SELECT max(id) FROM score_runs")
    review.approve(store, submission, actor=STEERING)
    [outcome] = ScoringWorker(store, start=False).pass_once()
    assert outcome.run_id is not None and outcome.run_id > shown
    assert MEMBER in _provisional_orgs(store, shown)  # the earlier run keeps what it recorded
    assert MEMBER not in _provisional_orgs(store, outcome.run_id)
    [asked] = _approval_requests(store)
    assert (asked["status"], asked["run_id"]) == ("done", outcome.run_id)
    entry = store.query("SELECT actor, detail::VARCHAR FROM audit_log WHERE target = ?",
                        [f"run:{outcome.run_id}"]).row(0)
    assert entry[0] == AUTO_ACTOR and json.loads(entry[1])["origin"] == ["approval"]


# -- the pages -------------------------------------------------------------------------------
def test_approving_on_the_review_page_leads_to_a_recorded_run_without_pressing_recompute(
    submitted, demo_db_fresh, monkeypatch
) -> None:
    store, submission = submitted
    monkeypatch.setenv("ATHAR_AUTO_SCORE", "1")
    shown = store.scalar("SELECT max(id) FROM score_runs")
    at = open_page(start(demo_db_fresh), "review")
    try:
        at.button(key="review_approve").click().run()
        assert not at.exception and at.success
        said = " ".join(c.value for c in at.caption)
        assert "Scores mis à jour dans quelques instants" in said or "Scores mis à jour : calcul n°" in said
        _wait_until_covered(store)
        newer = store.scalar("SELECT max(id) FROM score_runs")
        assert newer > shown and MEMBER not in _provisional_orgs(store, newer)
        made_by = store.scalar("SELECT actor FROM audit_log WHERE target = ?", [f"run:{newer}"])
        assert made_by == AUTO_ACTOR  # the worker's run, not a manual recompute
        at.run()
        assert f"Scores mis à jour : calcul n° {newer} du " in " ".join(c.value for c in at.caption)
    finally:
        running = autoscore.worker(store)
        if running is not None:
            running.stop()


def test_an_accepted_form_wakes_the_worker_and_its_page_follows_the_run(demo_db_fresh, monkeypatch) -> None:
    from test_dashboard_form import TODAY, key

    store = open_store(demo_db_fresh)
    monkeypatch.setenv("ATHAR_TEST_TODAY", TODAY)
    monkeypatch.setenv("ATHAR_AUTO_SCORE", "1")
    shown = store.scalar("SELECT max(id) FROM score_runs")
    at = open_page(start(demo_db_fresh, identity="ASS-CAS-001"), "form")
    try:
        for field, typed in {"R01__F": "5200", "R01__M": "6100", "R06__total": "7012"}.items():
            at.text_input(key=key(field)).input(typed)
        at = at.button(key="form_check").click().run()
        at = at.button(key="form_confirm").click().run()
        assert not at.exception and any("accepté" in s.value for s in at.success)
        said = " ".join(c.value for c in at.caption)
        assert "Scores mis à jour dans quelques instants" in said or "Scores mis à jour : calcul n°" in said
        _wait_until_covered(store)
        assert store.scalar("SELECT max(id) FROM score_runs") > shown
    finally:
        running = autoscore.worker(store)
        if running is not None:
            running.stop()


# -- the command line ------------------------------------------------------------------------
def test_the_command_line_approval_records_the_request_and_says_who_covers_it(demo_db_pristine, tmp_path) -> None:
    path = copy_file(demo_db_pristine, tmp_path, "cli.duckdb")
    store = Store(path)
    try:
        submission = load(store, GOOD_FILE, "mes_valeurs.csv").submission_id
    finally:
        store.close()
    done = run("store", "review", "approve", str(submission), "--db", path, "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert f"python -m metrics score --pending --db {path}" in done.stdout
    covered = run("metrics", "score", "--pending", "--db", path)
    assert covered.returncode == 0, covered.stderr
    store = Store(path)
    try:
        [asked] = _approval_requests(store)
        assert asked["status"] == "done" and asked["run_id"] == store.scalar("SELECT max(id) FROM score_runs")
        assert MEMBER not in _provisional_orgs(store, asked["run_id"])
    finally:
        store.close()


# -- provisional scores are named where they are shown ---------------------------------------
def _captions(at) -> str:
    return " ".join(c.value for c in at.caption) + " ".join(m.value for m in at.markdown)


def _on_period(at, period: str = "2025"):
    return at.selectbox(key="period").set_value(period).run()


def test_pages_name_the_provisional_scores_and_the_run_after_the_approval_lifts_the_label(
    submitted, demo_db_fresh
) -> None:
    store, submission = submitted
    fr, card = "Scores provisoires pour 2025 :", t("scorewire.card_provisional", "fr")
    for page in ("overview", "compare"):
        at = _on_period(open_page(start(demo_db_fresh), page))
        assert not at.exception and f"{fr} {MEMBER}" in _captions(at), page
    own = _on_period(open_page(start(demo_db_fresh, identity=MEMBER), "profile"))
    assert f"{fr} {MEMBER}" in _captions(own) and card in _captions(own)
    arabic = _on_period(open_page(start(demo_db_fresh, identity=MEMBER, lang="ar"), "profile"))
    assert "نقاط مؤقتة للفترة" in _captions(arabic) and t("scorewire.card_provisional", "ar") in _captions(arabic)
    other = _on_period(open_page(start(demo_db_fresh, identity=OTHER), "profile"))
    assert fr not in _captions(other) and card not in _captions(other)

    review.approve(store, submission, actor=STEERING)
    assert run_pending(store).run_id is not None
    for page in ("overview", "compare"):  # the demo's files returned or awaiting review stay provisional
        at = _on_period(open_page(start(demo_db_fresh), page))
        shown = _captions(at)  # the list is sorted: MEMBER (ASS-CAS-001) would come first
        assert fr in shown and f"{fr} {MEMBER}" not in shown, page
    own = _on_period(open_page(start(demo_db_fresh, identity=MEMBER), "profile"))
    assert fr not in _captions(own) and card not in _captions(own)


# -- a rebuild keeps what the committee decided -----------------------------------------------
CYCLE_TABLES = {
    "submissions": "SELECT id, file_name, review_status, reviewed_at, reviewed_by FROM submissions ORDER BY id",
    "review_comments": "SELECT * FROM review_comments ORDER BY id",
    "period_locks": "SELECT * FROM period_locks ORDER BY id",
    "reopen_requests": "SELECT * FROM reopen_requests ORDER BY id",
    "value_explanations": "SELECT * FROM value_explanations ORDER BY org_code, indicator_code, period, explained_at",
    "reporting_calendar": "SELECT * FROM reporting_calendar ORDER BY period_kind",
    "org_calendar": "SELECT * FROM org_calendar ORDER BY org_code, period_kind",
    "reminder_schedule": "SELECT * FROM reminder_schedule ORDER BY offset_days",
    "organizations": "SELECT code, active, preferred_lang FROM organizations ORDER BY code",
}


@pytest.fixture
def reviewed(tmp_path):
    """Six organisations through a whole cycle: approved, returned with comments, a reopen granted and a
    correction explained, a reopen pending, a calendar with an exception."""
    from test_autoscore import CORRECTION as OWN_CORRECTION
    from test_autoscore import SECOND_CORRECTION, _load
    from test_metrics_store import ORGS, _submission

    from framework.model import load_framework
    from ingest.orgs import read_org_file
    from store.calendar import set_calendar
    from store.explanations import explain
    from store.registry import adopt_framework, set_organisation_active, upsert_organizations
    from store.reminders import set_preferred_language

    framework = load_framework()
    store = open_store(tmp_path / "old.duckdb")
    adopt_framework(store, framework, actor="cli:test", source="test")
    upsert_organizations(store, read_org_file(ORGS.encode(), "orgs.csv", framework).rows, actor="cli:test")
    first = _load(store, framework, _submission(framework), "values.csv")
    second = _load(store, framework, SECOND_CORRECTION, "second.csv")
    review.return_submission(store, second, "Chiffre à vérifier", actor=STEERING,
                             values=[review.ValueComment("R01", "2024", "Trop bas ?", 2)])
    review.approve(store, first, actor=STEERING)
    granted = review.request_reopen(store, "ASS-CAS-101", "2024", "Erreur de saisie", actor="account:ass-cas-101")
    review.decide_reopen(store, granted, grant=True, actor=STEERING)
    _load(store, framework, OWN_CORRECTION, "correction.csv")
    explain(store, "ASS-CAS-101", "R01", "2024", "Nouveau programme à Tiznit", actor="account:ass-cas-101",
            origin="page")
    review.request_reopen(store, "ASS-FES-103", "2023", "Doublon", actor="account:ass-fes-103")
    set_calendar(store, "year", deadline_days=60, remove=["ASS-OUJ-106"], actor=STEERING, source="test",
                 default_year=2024)
    set_organisation_active(store, "COO-TRD-105", False, actor=STEERING, source="test")
    set_preferred_language(store, "ASS-FES-103", "ar", actor=STEERING, source="test")
    yield store, tmp_path / "new.duckdb"
    store.close()


def test_a_rebuild_carries_approvals_returns_locks_requests_explanations_and_calendar(reviewed, capsys) -> None:
    from ingest.cli import main as ingest_main
    from ingest.pipeline import load_file
    from store.registry import framework_in_use
    from store.scope import observations_sql, query
    from store.viewer import LinkScope, Viewer

    old, path = reviewed
    assert ingest_main(["rebuild", "--db", str(old.path), "--to", str(path), "--lang", "en"]) == 0
    said = capsys.readouterr().out
    assert "approved submissions" in said and "python -m metrics score --pending" in said
    new = open_store(path)
    for table, sql in CYCLE_TABLES.items():
        assert new.query(sql).equals(old.query(sql)), table
    assert new.scalar("SELECT count(*) FROM period_locks WHERE released_at IS NULL") > 0
    entry = new.query("SELECT actor, detail::VARCHAR FROM audit_log WHERE action = 'rebuild_cycle_carried'").row(0)
    assert json.loads(entry[1])["approved"] == 1 and json.loads(entry[1])["dropped"] == 0
    # what it means: a locked period stays locked, the ids go on, a funder still sees the approved values
    refused = load_file(new, b"org_code,indicator_code,period,value\nASS-RBT-102,R01,2023,5\n", "late.csv",
                        framework=framework_in_use(new), audit_actor="cli:test")
    assert refused.status == "rejected"
    asked = review.request_reopen(new, "ASS-RBT-102", "2023", "Correction", actor="account:ass-rbt-102")
    assert asked == old.scalar("SELECT max(id) FROM reopen_requests") + 1
    funder = Viewer.funder(LinkScope(frozenset({"ASS-FES-103"}), link_id=1))
    seen = f"SELECT count(*) AS n FROM {observations_sql(funder)} WHERE org_code = 'ASS-FES-103'"
    assert query(new, funder, seen).item() == query(old, funder, seen).item() > 0
    new.close()
