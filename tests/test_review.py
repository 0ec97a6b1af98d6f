"""Review and approval (issue 13): submitted → approved (periods locked) or returned with comments;
reopening an approved period through a request with a reason; funders see approved values only;
scores resting on values not yet approved are provisional. Real DuckDB files, real AppTest
sessions, the real command line; the same audit entry from the page and from the command line."""

from __future__ import annotations

import json

import pytest
from conftest import reopen_demo_periods
from test_audit_doors import CLI, STEERING, copy_file, last_entry, run
from test_dashboard_upload import GOOD_FILE, MEMBER

from dashboard.testing import open_page, start, visible_text
from i18n import t
from ingest import pipeline
from store import links, registry, review
from store.db import Store, open_store
from store.reads.profile import org_scores
from store.review import PeriodLocked, ReviewError, ValueComment
from store.scope import observations_sql, query
from store.viewer import LinkScope, Viewer

OTHER = "ENT-CAS-006"
MEMBER_ACCOUNT = f"account:{MEMBER.lower()}"
#: A correction of the J01 value GOOD_FILE brings for 2025-Q4.
CORRECTION = f"org_code,indicator_code,period,value,unit\n{MEMBER},J01,2025-Q4,1100,personnes\n".encode()
COUNTS = ("SELECT (SELECT count(*) FROM submissions), (SELECT count(*) FROM observations), "
          "(SELECT count(*) FROM observations_current)")
#: The store and the pages on both backends (a private copy of the demo each: ``demo_copy``).
pytestmark = pytest.mark.backends("duckdb", "postgres")


def load(store: Store, data: bytes, name: str, org: str = MEMBER) -> pipeline.FileResult:
    """An upload through the one load path, as the member's page makes it."""
    return pipeline.load_file(store, data, name, framework=registry.framework_in_use(store), member_org=org,
                              uploaded_by=f"member:{org}", audit_actor=f"account:{org.lower()}")


def j01(store: Store, viewer: Viewer) -> list[float]:
    """The J01 2025-Q4 values of MEMBER this viewer reads."""
    frame = query(store, viewer, f"SELECT value FROM {observations_sql(viewer)} "
                                 "WHERE org_code = $org AND indicator_code = 'J01' AND period = '2025-Q4' AND sex IS NULL",
                  org=MEMBER)
    return frame.get_column("value").to_list()


@pytest.fixture
def demo(demo_copy):
    store = open_store(demo_copy)
    yield store
    store.close()


# -- approval locks --------------------------------------------------------------------------
def test_an_upload_is_submitted_and_awaits_review_while_the_demo_history_counts_as_approved(demo) -> None:
    assert demo.scalar("SELECT count(*) FROM submissions s WHERE review_status <> 'approved' AND NOT EXISTS ("
                       "SELECT 1 FROM observations o WHERE o.submission_id = s.id AND o.period_end >= '2025-01-01')") == 0
    waiting = set(review.submitted_ids(demo))  # the demo's cycle leaves three 2025 files awaiting review
    result = load(demo, GOOD_FILE, "mes_valeurs.csv")
    assert result.status == "accepted"
    assert review.review_status(demo, result.submission_id) == "submitted"
    assert set(review.submitted_ids(demo)) == waiting | {result.submission_id} and len(waiting) == 3


def test_approving_locks_the_period_and_a_later_upload_for_it_is_refused_with_nothing_stored(demo) -> None:
    submission = load(demo, GOOD_FILE, "mes_valeurs.csv").submission_id
    detail = review.approve(demo, submission, actor=STEERING)
    assert f"{MEMBER} 2025-Q4" in detail["locked"] and f"{MEMBER} 2022-Q1" in detail["locked"]
    before = demo.query(COUNTS).row(0)
    with pytest.raises(PeriodLocked) as refused:
        load(demo, CORRECTION, "correction.csv")
    assert demo.query(COUNTS).row(0) == before  # nothing stored
    assert refused.value.locked == [(MEMBER, "2025-Q4")]
    for lang in ("fr", "ar", "en"):
        assert "2025-Q4" in refused.value.message(lang)
    assert "approved" in refused.value.message("en") and "reopen" in refused.value.message("en")
    entry = demo.query("SELECT actor, outcome, detail FROM audit_log WHERE action = 'upload_rejected' "
                       "ORDER BY id DESC LIMIT 1").row(0, named=True)
    assert entry["outcome"] == "refused" and json.loads(entry["detail"])["status"] == "period_locked"


def test_a_yearly_value_overlapping_a_locked_quarter_is_refused_but_another_organisation_is_not(demo) -> None:
    review.approve(demo, load(demo, GOOD_FILE, "mes_valeurs.csv").submission_id, actor=STEERING)
    yearly = f"org_code,indicator_code,period,value,unit\n{MEMBER},J01,2025,4000,personnes\n".encode()
    with pytest.raises(PeriodLocked):
        load(demo, yearly, "annuel.csv")
    other = f"org_code,indicator_code,period,value,unit\n{OTHER},J01,2025-Q4,90,personnes\n".encode()
    reopen_demo_periods(demo, [(OTHER, "2025-Q4")])  # the demo approved (locked) OTHER's own 2025-Q4
    assert load(demo, other, "autre.csv", org=OTHER).status == "accepted"


def test_the_lock_is_checked_again_inside_the_commit_transaction(demo, monkeypatch) -> None:
    """A lock taken between the check and the commit still refuses the file (the commit's own check)."""
    review.approve(demo, load(demo, GOOD_FILE, "mes_valeurs.csv").submission_id, actor=STEERING)
    monkeypatch.setattr(pipeline, "check_unlocked", lambda store, rows: None)
    before = demo.query(COUNTS).row(0)
    with pytest.raises(PeriodLocked):
        load(demo, CORRECTION, "correction.csv")
    assert demo.query(COUNTS).row(0) == before


def test_only_a_submitted_submission_can_be_approved_or_returned(demo) -> None:
    submission = load(demo, GOOD_FILE, "mes_valeurs.csv").submission_id
    with pytest.raises(ReviewError) as no_comment:
        review.return_submission(demo, submission, "  ", actor=STEERING)
    assert no_comment.value.code == "comment_missing"
    review.approve(demo, submission, actor=STEERING)
    with pytest.raises(ReviewError) as twice:
        review.approve(demo, submission, actor=STEERING)
    assert twice.value.code == "not_submitted"
    with pytest.raises(ReviewError):
        review.approve(demo, 999_999, actor=STEERING)


def test_the_locked_upload_is_refused_on_the_upload_page_with_the_typed_message(demo_copy, monkeypatch) -> None:
    from test_dashboard_upload import uploaded

    store = open_store(demo_copy)
    review.approve(store, load(store, GOOD_FILE, "mes_valeurs.csv").submission_id, actor=STEERING)
    before = store.query(COUNTS).row(0)
    at = uploaded(open_page(start(demo_copy, identity=MEMBER), "upload"), "correction.csv", CORRECTION)
    at.button(key="upload_confirm").click().run()
    assert not at.exception
    assert any("2025-Q4" in e.value and "verrouill" in e.value for e in at.error)
    assert store.query(COUNTS).row(0) == before


# -- returned with comments ------------------------------------------------------------------
def test_a_returned_submission_shows_the_committee_comments_to_the_member(demo_copy) -> None:
    store = open_store(demo_copy)
    submission = load(store, GOOD_FILE, "mes_valeurs.csv").submission_id
    review.return_submission(store, submission, "Le total du T4 semble double", actor=STEERING,
                             values=[ValueComment("J01", "2025-Q4", "Vérifiez ce chiffre", 3)])
    assert review.review_status(store, submission) == "returned"
    at = open_page(start(demo_copy, identity=MEMBER), "upload")
    assert not at.exception
    text = visible_text(at)
    assert "Le total du T4 semble double" in text and "Vérifiez ce chiffre" in text
    other = open_page(start(demo_copy, identity=OTHER), "upload")
    assert "Le total du T4 semble double" not in visible_text(other)  # another member never reads it


def test_the_committee_returns_a_submission_from_the_review_page_with_a_comment_on_one_value(demo_copy) -> None:
    store = open_store(demo_copy)
    submission = load(store, GOOD_FILE, "mes_valeurs.csv").submission_id
    at = open_page(start(demo_copy), "review")
    assert not at.exception
    assert at.selectbox(key="review_submission").value == submission
    at.text_area(key="review_comment").input("Merci de vérifier J01")
    at.selectbox(key="review_value").set_value("J01|2025-Q4|3")
    at.text_input(key="review_value_comment").input("Double du T3 ?")
    at.button(key="review_return").click().run()
    assert not at.exception and at.success
    notes = review.comments(store, Viewer.member(MEMBER), submission_id=submission)
    assert notes.select("indicator_code", "comment").rows() == [(None, "Merci de vérifier J01"),
                                                                ("J01", "Double du T3 ?")]


# -- reopening -------------------------------------------------------------------------------
def test_a_reopen_request_needs_a_reason_and_once_granted_the_correction_is_accepted(demo) -> None:
    review.approve(demo, load(demo, GOOD_FILE, "mes_valeurs.csv").submission_id, actor=STEERING)
    with pytest.raises(ReviewError) as no_reason:
        review.request_reopen(demo, MEMBER, "2025-Q4", " ", actor=MEMBER_ACCOUNT)
    assert no_reason.value.code == "reason_missing"
    with pytest.raises(ReviewError) as open_period:
        review.request_reopen(demo, MEMBER, "2024", "erreur", actor=MEMBER_ACCOUNT)
    assert open_period.value.code == "not_locked"
    request = review.request_reopen(demo, MEMBER, "2025-Q4", "Erreur de saisie sur J01", actor=MEMBER_ACCOUNT)
    with pytest.raises(PeriodLocked):  # still locked while the request waits
        load(demo, CORRECTION, "correction.csv")
    detail = review.decide_reopen(demo, request, grant=True, actor=STEERING)
    assert detail["released"] == 1
    assert load(demo, CORRECTION, "correction.csv").status == "accepted"
    with pytest.raises(ReviewError):
        review.decide_reopen(demo, request, grant=False, actor=STEERING)


def test_the_member_asks_and_the_committee_grants_a_reopening_through_the_pages(demo_copy) -> None:
    store = open_store(demo_copy)
    review.approve(store, load(store, GOOD_FILE, "mes_valeurs.csv").submission_id, actor=STEERING)
    member = open_page(start(demo_copy, identity=MEMBER), "upload")
    member.selectbox(key="reopen_period").set_value("2025-Q4")
    member.text_area(key="reopen_reason").input("Erreur de saisie sur J01")
    member.button(key="reopen_request").click().run()
    assert not member.exception and member.success
    request = int(store.scalar("SELECT max(id) FROM reopen_requests"))
    committee = open_page(start(demo_copy), "review")
    assert "Erreur de saisie sur J01" in visible_text(committee)
    committee.button(key=f"review_grant_{request}").click().run()
    assert not committee.exception and committee.success
    assert load(store, CORRECTION, "correction.csv").status == "accepted"


# -- funders ---------------------------------------------------------------------------------
def test_a_funder_link_reads_approved_values_only_unless_it_allows_provisional_ones(demo) -> None:
    approved_before = j01(demo, Viewer.steering())
    submission = load(demo, GOOD_FILE, "mes_valeurs.csv").submission_id
    strict = Viewer.funder(LinkScope(frozenset({MEMBER}), link_id=1))
    lenient = Viewer.funder(LinkScope(frozenset({MEMBER}), link_id=2, include_provisional=True))
    assert j01(demo, Viewer.steering()) == [1040.0]  # the committee and the member read the new value
    assert j01(demo, strict) == approved_before != [1040.0]  # the funder keeps the approved one
    assert j01(demo, lenient) == [1040.0]
    review.approve(demo, submission, actor=STEERING)
    assert j01(demo, strict) == [1040.0]


def test_a_link_created_with_the_option_is_labelled_provisional_on_its_pages(demo_copy) -> None:
    store = open_store(demo_copy)
    _, strict = links.create_link(store, label="Bailleur", org_codes=[MEMBER], created_by=STEERING, days=5)
    _, lenient = links.create_link(store, label="Bailleur (provisoire)", org_codes=[MEMBER], created_by=STEERING,
                                   days=5, include_provisional=True)
    assert links.check_token(store, lenient).scope.include_provisional is True
    label = t("review.label.provisional_link", "fr")
    assert label in visible_text(start(demo_copy, link=lenient))
    assert label not in visible_text(start(demo_copy, link=strict))


# -- provisional scores ----------------------------------------------------------------------
def test_a_run_records_the_approval_state_and_its_scores_on_unapproved_values_are_provisional(demo_copy) -> None:
    from metrics.run import score_store

    store = open_store(demo_copy)
    load(store, GOOD_FILE, "mes_valeurs.csv")
    run_id, _ = score_store(store, registry.framework_in_use(store), actor=STEERING)
    pairs = review.provisional_pairs(store, run_id).rows()
    assert (MEMBER, "2025") in pairs
    # Every other value was approved, but for the demo's files returned or awaiting review (data/demo/cycle.toml).
    unapproved = set(store.column("SELECT DISTINCT org_code FROM submissions WHERE review_status <> 'approved'"))
    assert {org for org, _ in pairs} == unapproved and MEMBER in unapproved
    approved = store.scalar("SELECT len(approved_submission_ids) < len(submission_ids) FROM score_runs WHERE id = ?",
                            [run_id])
    assert approved is True
    strict = Viewer.funder(LinkScope(frozenset({MEMBER}), link_id=1))
    lenient = Viewer.funder(LinkScope(frozenset({MEMBER}), link_id=2, include_provisional=True))
    periods = {name: set(org_scores(store, viewer, run_id, MEMBER).get_column("period").to_list())
               for name, viewer in (("steering", Viewer.steering()), ("strict", strict), ("lenient", lenient))}
    assert "2025" in periods["steering"] and periods["lenient"] == periods["steering"]
    assert "2025" not in periods["strict"] and periods["strict"]  # its approved years stay
    member = start(demo_copy, identity=MEMBER)
    assert t("review.label.provisional_own", "fr") in visible_text(member)
    other = start(demo_copy, identity=OTHER)
    assert t("review.label.provisional_own", "fr") not in visible_text(other)


# -- the same audit entry from both doors ----------------------------------------------------
def _submitted_copy(pristine, tmp_path, name: str) -> tuple:
    path = copy_file(pristine, tmp_path, name)
    store = Store(path)
    try:
        submission = load(store, GOOD_FILE, "mes_valeurs.csv").submission_id
    finally:
        store.close()
    return path, submission


def test_approving_is_audited_alike_from_the_command_line_and_the_review_page(demo_db_pristine, tmp_path) -> None:
    from_cli, submission = _submitted_copy(demo_db_pristine, tmp_path, "cli.duckdb")
    done = run("store", "review", "approve", str(submission), "--db", from_cli, "--json")
    assert done.returncode == 0, done.stderr
    assert f"{MEMBER} 2025-Q4" in json.loads(done.stdout)["locked"]
    from_page, _ = _submitted_copy(demo_db_pristine, tmp_path, "page.duckdb")
    at = open_page(start(from_page), "review")
    at.button(key="review_approve").click().run()
    assert not at.exception and at.success
    cli, page = last_entry(from_cli, "review_approved"), last_entry(from_page, "review_approved")
    assert (cli["actor"], page["actor"]) == (CLI, STEERING)
    assert cli["target"] == page["target"] == f"submission:{submission}"
    assert {**cli["detail"], "source": "page"} == page["detail"]


def test_returning_and_reopening_are_audited_alike_from_the_command_line_and_the_pages(
    demo_db_pristine, tmp_path
) -> None:
    from_cli, submission = _submitted_copy(demo_db_pristine, tmp_path, "cli.duckdb")
    done = run("store", "review", "return", str(submission), "--comment", "À revoir", "--db", from_cli, "--json")
    assert done.returncode == 0, done.stderr
    from_page, _ = _submitted_copy(demo_db_pristine, tmp_path, "page.duckdb")
    at = open_page(start(from_page), "review")
    at.text_area(key="review_comment").input("À revoir")
    at.button(key="review_return").click().run()
    assert not at.exception
    cli, page = last_entry(from_cli, "review_returned"), last_entry(from_page, "review_returned")
    assert {**cli["detail"], "source": "page"} == page["detail"] and cli["target"] == page["target"]

    # reopening: approve on both, then request (command line / member page) and grant (command line / review page)
    for path in (from_cli, from_page):
        store = Store(path)
        try:
            fresh = load(store, CORRECTION, "correction.csv").submission_id
            review.approve(store, fresh, actor=STEERING)
        finally:
            store.close()
    asked = run("store", "review", "reopen", MEMBER, "2025-Q4", "--reason", "Erreur", "--db", from_cli, "--json")
    assert asked.returncode == 0, asked.stderr
    request = json.loads(asked.stdout)["request"]
    granted = run("store", "review", "grant", str(request), "--db", from_cli, "--json")
    assert granted.returncode == 0, granted.stderr
    member = open_page(start(from_page, identity=MEMBER), "upload")
    member.selectbox(key="reopen_period").set_value("2025-Q4")  # the demo locked MEMBER's other 2025 quarters
    member.text_area(key="reopen_reason").input("Erreur")
    member.button(key="reopen_request").click().run()
    committee = open_page(start(from_page), "review")
    committee.button(key=f"review_grant_{request}").click().run()
    assert not committee.exception
    for action, page_actor in (("reopen_requested", MEMBER_ACCOUNT), ("reopen_granted", STEERING)):
        cli, page = last_entry(from_cli, action), last_entry(from_page, action)
        assert (cli["actor"], page["actor"]) == (CLI, page_actor)
        assert cli["target"] == page["target"] == f"reopen:{request}"
        assert {**cli["detail"], "source": "page"} == page["detail"]


def test_a_locked_period_is_refused_by_the_command_line_load_with_the_message(demo_db_pristine, tmp_path) -> None:
    path, submission = _submitted_copy(demo_db_pristine, tmp_path, "cli.duckdb")
    assert run("store", "review", "approve", str(submission), "--db", path).returncode == 0
    data = tmp_path / "correction.csv"
    data.write_bytes(CORRECTION)
    done = run("ingest", "load", data, "--db", path, "--org", MEMBER, "--lang", "en")
    assert done.returncode == 1 and "locked" in done.stderr and "Traceback" not in done.stderr


# -- the migration ---------------------------------------------------------------------------
def test_submissions_stored_before_the_review_cycle_count_as_approved_without_a_lock(tmp_path, framework) -> None:
    from conftest import SAMPLES

    from ingest.orgs import read_org_file
    from store.registry import upsert_organizations

    old = Store(tmp_path / "old.duckdb", upto=11)
    try:
        parsed = read_org_file((SAMPLES / "organizations.csv").read_bytes(), "organizations.csv", framework)
        upsert_organizations(old, parsed.rows, actor="cli:test")
        old.write(lambda cur: cur.execute(
            "INSERT INTO submissions (org_code, file_name, content_sha256, file_format, uploaded_at, status, "
            "row_count, framework_hash, report, raw_path) VALUES (NULL, 'old.csv', 'x', 'csv', now(), 'accepted', 0, "
            "'h', '[]', 'raw/x')"))
    finally:
        old.close()
    upgraded = Store(tmp_path / "old.duckdb")
    try:
        assert upgraded.query("SELECT review_status FROM submissions").rows() == [("approved",)]
        assert upgraded.scalar("SELECT count(*) FROM period_locks") == 0
        fresh = upgraded.scalar("SELECT column_default FROM information_schema.columns "
                                "WHERE table_name = 'submissions' AND column_name = 'review_status'")
        assert "submitted" in fresh  # what a new submission gets
    finally:
        upgraded.close()
