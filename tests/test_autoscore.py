"""Scores that follow the data (issue 13): an accepted file asks for a run, a worker makes it.

Real DuckDB files, the real ingestion path, the real worker and real Streamlit sessions (AppTest);
the only thing a test swaps is the framework a run is given, to make a run fail on purpose.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from test_metrics_store import ORGS, _submission

from dashboard.autoscore import ScoringWorker
from dashboard.testing import open_page, start
from framework.model import load_framework
from ingest.orgs import read_org_file
from ingest.pipeline import check, load_file
from metrics.cli import main as metrics_main
from metrics.run import AUTO_ACTOR, run_pending, score_store
from store.db import open_store
from store.registry import upsert_organizations
from store.scoring_requests import request, requests, scoring_state
from store.submissions import SubmissionMeta, commit_submission

REPO = Path(__file__).resolve().parent.parent
CORRECTION = b"org_code,indicator_code,period,value\nASS-CAS-101,R01,2024,99\n"
SECOND_CORRECTION = b"org_code,indicator_code,period,value\nASS-RBT-102,R01,2024,77\n"


@pytest.fixture
def network(tmp_path):
    """Six organisations registered, nothing loaded yet."""
    framework = load_framework()
    store = open_store(tmp_path / "athar.duckdb")
    parsed = read_org_file(ORGS.encode("utf-8"), "orgs.csv", framework)
    upsert_organizations(store, parsed.rows, actor="cli:test")
    yield store, framework
    store.close()


def _load(store, framework, data: bytes, name: str, **options):
    result = load_file(store, data, name, framework=framework, uploaded_at=datetime(2025, 2, 1),
                       audit_actor="cli:test", **options)
    assert result.status == "accepted", result.issues
    return result.submission_id


def _auto_entries(store) -> list[tuple[str, str, dict]]:
    rows = store.query(
        "SELECT actor, outcome, detail::VARCHAR AS detail FROM audit_log WHERE action = 'scores_recomputed' ORDER BY id"
    ).rows()
    return [(actor, outcome, json.loads(detail)) for actor, outcome, detail in rows]


def test_an_accepted_upload_records_a_pending_scoring_request_with_it(network) -> None:
    store, framework = network
    submission = _load(store, framework, _submission(framework), "values.csv")
    [asked] = requests(store)
    assert (asked["status"], asked["origin"], asked["submission_id"], asked["requested_by"]) == (
        "pending", "upload", submission, "cli:test")
    assert scoring_state(store).under_way and scoring_state(store).latest_run_at is None


def test_a_repeated_file_or_a_load_without_scoring_records_no_request(network) -> None:
    store, framework = network
    data = _submission(framework)
    _load(store, framework, data, "values.csv")
    again = load_file(store, data, "values.csv", framework=framework)
    assert again.status == "already_received"
    _load(store, framework, CORRECTION, "correction.csv", request_scoring=False)
    assert len(requests(store)) == 1


def test_a_file_that_fails_to_commit_leaves_no_request(network) -> None:
    store, framework = network
    rows = check(_submission(framework), "values.csv", framework=framework, store=store).validation.rows
    meta = SubmissionMeta(file_name="values.csv", content_sha256="c" * 64, file_format="csv", encoding="utf-8",
                          org_code=None, uploaded_by="test", uploaded_at=None, framework_hash="f", report=[])

    def crash() -> None:
        raise OSError("disk full while keeping the raw bytes")

    with pytest.raises(OSError):
        commit_submission(store, rows, meta, Path("/dev/null"), before_commit=crash)
    assert requests(store) == [] and store.scalar("SELECT count(*) FROM submissions") == 0


def test_the_worker_runs_the_request_and_the_new_run_covers_the_submission(network) -> None:
    store, framework = network
    submission = _load(store, framework, _submission(framework), "values.csv")
    [outcome] = ScoringWorker(store, start=False).pass_once()
    assert outcome.error is None and outcome.run_id is not None
    covered = store.scalar("SELECT list_contains(submission_ids, ?) FROM score_runs WHERE id = ?",
                           [submission, outcome.run_id])
    assert covered is True
    [asked] = requests(store)
    assert (asked["status"], asked["run_id"], asked["attempts"]) == ("done", outcome.run_id, 1)
    assert asked["started_at"] <= asked["finished_at"]
    [(actor, result, detail)] = _auto_entries(store)
    assert (actor, result, detail["origin"], detail["requests"]) == (AUTO_ACTOR, "ok", ["upload"], 1)
    assert not scoring_state(store).under_way
    assert ScoringWorker(store, start=False).pass_once()[0].claimed == []  # nothing left to do


def test_two_requests_coalesce_into_one_run(network) -> None:
    store, framework = network
    first = _load(store, framework, _submission(framework), "values.csv")
    second = _load(store, framework, CORRECTION, "correction.csv")
    outcome = run_pending(store)
    assert sorted(outcome.claimed) == [r["id"] for r in requests(store)] and len(outcome.claimed) == 2
    assert store.scalar("SELECT count(*) FROM score_runs") == 1
    assert {r["run_id"] for r in requests(store)} == {outcome.run_id}
    ids = store.scalar("SELECT submission_ids FROM score_runs WHERE id = ?", [outcome.run_id])
    assert {first, second} <= set(ids)
    # The corrected value is the one scored.
    value = store.scalar("SELECT value FROM score_indicators WHERE run_id = ? AND org_code = 'ASS-CAS-101' "
                         "AND indicator_code = 'R01' AND period = '2024'", [outcome.run_id])
    assert value == 99


def test_a_failing_run_is_recorded_and_retried_once(network) -> None:
    store, framework = network
    _load(store, framework, _submission(framework), "values.csv")

    def broken(_store):
        raise RuntimeError("framework file unreadable")

    first = run_pending(store, broken)
    assert first.run_id is None and "framework file unreadable" in first.error
    [asked] = requests(store)
    assert (asked["status"], asked["attempts"]) == ("pending", 1) and "RuntimeError" in asked["error"]
    assert scoring_state(store).under_way  # it will be retried
    second = run_pending(store, broken)
    [asked] = requests(store)
    assert second.claimed == first.claimed and (asked["status"], asked["attempts"]) == ("failed", 2)
    assert run_pending(store, broken).claimed == []  # retried once, not forever
    state = scoring_state(store)
    assert not state.under_way and state.failed_at is not None
    assert [(a, o, d["retry"]) for a, o, d in _auto_entries(store)] == [
        (AUTO_ACTOR, "failed", True), (AUTO_ACTOR, "failed", False)]
    assert store.scalar("SELECT count(*) FROM score_runs") == 0


def test_a_run_that_fails_once_succeeds_at_its_retry(network) -> None:
    store, framework = network
    _load(store, framework, _submission(framework), "values.csv")
    calls = []

    def flaky(_store):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("busy")
        return framework

    assert run_pending(store, flaky).error is not None
    retried = run_pending(store, flaky)
    assert retried.run_id is not None and requests(store)[0]["status"] == "done"
    assert not scoring_state(store).under_way and scoring_state(store).failed_at is None


def test_a_manual_run_covers_the_requests_made_before_it(network) -> None:
    store, framework = network
    _load(store, framework, _submission(framework), "values.csv")
    run_id, _ = score_store(store, framework, actor="account:comite")
    [asked] = requests(store)
    assert (asked["status"], asked["run_id"]) == ("done", run_id)
    assert run_pending(store).claimed == []  # the worker finds nothing left: no second run


def test_the_background_thread_scores_once_woken(network) -> None:
    store, framework = network
    _load(store, framework, _submission(framework), "values.csv")
    worker = ScoringWorker(store, poll_seconds=600)
    try:
        worker.wake()
        deadline = time.monotonic() + 120
        while scoring_state(store).under_way and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.stop()
        worker.thread.join(timeout=60)
    assert requests(store)[0]["status"] == "done" and store.scalar("SELECT count(*) FROM score_runs") == 1


def test_metrics_score_pending_runs_what_is_pending_for_cron(network, capsys) -> None:
    store, framework = network
    _load(store, framework, _submission(framework), "values.csv")
    assert metrics_main(["score", "--pending", "--db", str(store.path), "--json"]) == 0
    ran = json.loads(capsys.readouterr().out)
    assert ran["run_id"] is not None and ran["requests"] == [requests(store)[0]["id"]]
    assert metrics_main(["score", "--pending", "--db", str(store.path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"requests": [], "run_id": None, "error": None}
    assert store.scalar("SELECT count(*) FROM score_runs") == 1


def _ingest(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ATHAR_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "ingest", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_ingest_load_requests_by_default_and_scores_with_score(network, tmp_path) -> None:
    store, framework = network
    path = store.path
    first, second = tmp_path / "values.csv", tmp_path / "correction.csv"
    first.write_bytes(_submission(framework))
    second.write_bytes(CORRECTION)
    store.close()  # the command line holds the file while it runs
    requested = _ingest("load", str(first), "--db", str(path))
    assert requested.returncode == 0, requested.stderr
    assert "python -m metrics score --pending" in requested.stderr
    scored = _ingest("load", str(second), "--db", str(path), "--score")
    assert scored.returncode == 0, scored.stderr
    reopened = open_store(path)
    try:
        asked = requests(reopened)
        assert [r["status"] for r in asked] == ["done", "done"] and len({r["run_id"] for r in asked}) == 1
        assert reopened.query("SELECT actor FROM audit_log WHERE action = 'scores_recomputed'").rows() == [
            (AUTO_ACTOR,)]
    finally:
        reopened.close()


# -- the pages -------------------------------------------------------------------------------------
def _sidebar(at) -> str:
    """The sidebar's captions, without the isolation marks Arabic puts around numbers."""
    return " ".join(c.value for c in at.sidebar.caption).translate({0x2066: None, 0x2067: None, 0x2069: None})


@pytest.mark.parametrize(("lang", "under_way", "computed"), [
    ("fr", "Calcul en cours…", "Scores : calcul n° {run} du "),
    ("ar", "الحساب جارٍ…", "النقاط: الحساب رقم {run} بتاريخ "),
    ("en", "Scoring in progress…", "Scores: run no. {run} of "),
])
def test_pages_say_a_newer_run_is_under_way_while_a_request_is_pending(demo_db_fresh, lang, under_way,
                                                                         computed) -> None:
    store = open_store(demo_db_fresh)
    shown = store.scalar("SELECT max(id) FROM score_runs")
    at = start(demo_db_fresh, lang=lang)
    assert under_way not in _sidebar(at) and computed.format(run=shown) in _sidebar(at)
    request(store, "upload", "cli:test")
    at = open_page(at, "overview")
    assert under_way in _sidebar(at) and computed.format(run=shown) in _sidebar(at)
    newer = run_pending(store).run_id
    at = open_page(at, "profile")
    assert under_way not in _sidebar(at) and computed.format(run=newer) in _sidebar(at)


def test_member_upload_says_scores_follow_and_then_shows_the_new_run(demo_db_fresh, monkeypatch) -> None:
    from test_dashboard_upload import GOOD_FILE, MEMBER, uploaded

    from dashboard import autoscore

    monkeypatch.setenv("ATHAR_AUTO_SCORE", "1")
    store = open_store(demo_db_fresh)
    before = store.scalar("SELECT max(id) FROM score_runs")
    at = uploaded(open_page(start(demo_db_fresh, identity=MEMBER), "upload"), "mes_valeurs.csv", GOOD_FILE)
    try:
        at.button(key="upload_confirm").click().run()
        text = " ".join(c.value for c in at.caption)
        assert "au prochain calcul" not in text
        assert "Scores mis à jour dans quelques instants" in text or "Scores mis à jour : calcul n°" in text
        deadline = time.monotonic() + 180
        while scoring_state(store).under_way and time.monotonic() < deadline:
            time.sleep(0.5)
        newer = store.scalar("SELECT max(id) FROM score_runs")
        assert newer > before
        at.run()
        assert f"Scores mis à jour : calcul n° {newer} du " in " ".join(c.value for c in at.caption)
        assert f"calcul n° {newer} du " in _sidebar(at) and "Calcul en cours" not in _sidebar(at)
        entry = store.query("SELECT actor, detail::VARCHAR AS d FROM audit_log WHERE target = ?",
                            [f"run:{newer}"]).row(0)
        assert entry[0] == AUTO_ACTOR and json.loads(entry[1])["origin"] == ["upload"]
    finally:
        running = autoscore.worker(store)
        if running is not None:
            running.stop()
