"""Committing: idempotent, corrections keep history, crash-safe, concurrent loads lose nothing."""

from __future__ import annotations

import getpass
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import polars as pl
import pytest
from conftest import REPO, SAMPLES, database_of

from ingest.pipeline import load_file, load_path
from store.db import Store
from store.submissions import PAUSE_ENV, observation_history
from store.viewer import Viewer

pytestmark = pytest.mark.backends("duckdb", "postgres")


def csv_bytes(rows: list[tuple[str, str, str, str]], header: str = "org_code,indicator_code,period,value") -> bytes:
    return ("\n".join([header, *(",".join(r) for r in rows)]) + "\n").encode()


def test_same_file_twice_is_already_received_and_changes_nothing(sample_orgs_store, framework) -> None:
    first = load_path(sample_orgs_store, SAMPLES / "01_utf8_comma_lf.csv", framework=framework)
    before = sample_orgs_store.query("SELECT * FROM observations ORDER BY line")
    again = load_path(sample_orgs_store, SAMPLES / "01_utf8_comma_lf.csv", framework=framework)
    assert again.status == "already_received" and again.submission_id == first.submission_id
    assert "déjà reçu" in again.summary("fr") and str(first.submission_id) in again.summary("fr")
    assert sample_orgs_store.query("SELECT * FROM observations ORDER BY line").equals(before)
    assert sample_orgs_store.scalar("SELECT count(*) FROM submissions") == 1


def test_rejected_file_leaves_the_database_exactly_as_before(sample_orgs_store, framework) -> None:
    load_path(sample_orgs_store, SAMPLES / "01_utf8_comma_lf.csv", framework=framework)
    before = sample_orgs_store.query("SELECT * FROM observations ORDER BY line")
    bad = csv_bytes([("ASS-CAS-001", "R01", "2024-Q1", "999"), ("ASS-CAS-001", "R03", "2024-Q1", "N/A")])
    result = load_file(sample_orgs_store, bad, "bad.csv", framework=framework)
    assert result.status == "rejected"
    assert sample_orgs_store.query("SELECT * FROM observations ORDER BY line").equals(before)
    assert sample_orgs_store.scalar("SELECT count(*) FROM submissions") == 1


def test_correction_supersedes_and_history_stays_queryable(sample_orgs_store, framework) -> None:
    first = load_file(sample_orgs_store, csv_bytes([("ASS-CAS-001", "R01", "2024-Q1", "1250")]), "a.csv", framework=framework)
    second = load_file(sample_orgs_store, csv_bytes([("ASS-CAS-001", "R01", "T1 2024", "1300")]), "b.csv", framework=framework)
    assert second.superseded == 1
    history = observation_history(sample_orgs_store, "ASS-CAS-001", "R01", "2024-Q1")
    assert history.select("submission_id", "value").rows() == [(first.submission_id, 1250.0), (second.submission_id, 1300.0)]
    assert history["superseded_by"].to_list() == [second.submission_id, None]
    assert sample_orgs_store.scalar("SELECT value FROM observations_current") == 1300.0
    assert sample_orgs_store.scalar("SELECT status FROM submissions WHERE id = ?", [first.submission_id]) == "superseded"


def test_raw_bytes_are_kept_under_their_hash(sample_orgs_store, framework) -> None:
    data = (SAMPLES / "05_excel_ar_cp1256_semicolon_decimal_comma.csv").read_bytes()
    result = load_file(sample_orgs_store, data, "05.csv", framework=framework, uploaded_by="member:ASS-CAS-001")
    path = Path(sample_orgs_store.scalar("SELECT raw_path FROM submissions WHERE id = ?", [result.submission_id]))
    assert path.read_bytes() == data and path.name == result.content_sha256
    row = sample_orgs_store.query("SELECT file_name, uploaded_by, row_count, encoding, status FROM submissions").row(0)
    assert row == ("05.csv", "member:ASS-CAS-001", 10, "cp1256", "accepted")


def test_member_upload_without_org_column(sample_orgs_store, framework) -> None:
    data = b"indicator_code;period;value\nR01;2024;1250\n"
    result = load_file(sample_orgs_store, data, "mine.csv", framework=framework, member_org="FON-FES-007")
    assert result.status == "accepted"
    assert sample_orgs_store.scalar("SELECT org_code FROM observations_current") == "FON-FES-007"


def big_file(path: Path, org: str, rows: int) -> None:
    quarters = [f"{y}-Q{q}" for y in range(2000, 2025) for q in range(1, 5)]
    frame = pl.DataFrame({"org_code": org, "indicator_code": ["R01", "R03", "R05", "R06", "R07"] * (rows // 5),
                          "period": [quarters[i // 5 % len(quarters)] for i in range(rows)],
                          # R01 (every fifth row) above its parts R03, R05, R06
                          "value": [str(i % 900 + (1000 if i % 5 == 0 else 0)) for i in range(rows)]})
    frame = frame.unique(subset=["indicator_code", "period"], maintain_order=True)
    frame.write_csv(path)


def test_process_killed_during_commit_leaves_no_partial_submission(tmp_path: Path, sample_orgs_store, framework) -> None:
    store = sample_orgs_store
    load_path(store, SAMPLES / "01_utf8_comma_lf.csv", framework=framework)
    before = store.query("SELECT * FROM observations ORDER BY submission_id, line")
    db_path, marker = database_of(store), Path(f"{store.path}.in-commit")
    store.close()  # DuckDB allows one process to hold the file
    data = tmp_path / "big.csv"
    big_file(data, "ASS-RBT-014", 500)
    child = subprocess.Popen([sys.executable, "-m", "ingest", "load", str(data), "--db", str(db_path)], cwd=REPO,
                             env={**os.environ, PAUSE_ENV: "60"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline, "the load never reached its commit"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    reopened = Store(db_path)
    try:
        assert reopened.query("SELECT * FROM observations ORDER BY submission_id, line").equals(before)
        assert reopened.scalar("SELECT count(*) FROM submissions") == 1
        assert reopened.scalar("SELECT count(*) FROM audit_log WHERE action = 'upload'") == 1  # the first file's
        result = load_path(reopened, data, framework=framework)  # the same file loads cleanly afterwards
        assert result.status == "accepted" and result.rows == reopened.scalar(
            "SELECT count(*) FROM observations WHERE submission_id = ?", [result.submission_id])
    finally:
        reopened.close()


def test_accepted_upload_is_audited_in_its_own_commit(sample_orgs_store, framework) -> None:
    """One audit entry per stored submission, written by the commit itself (whatever the channel);
    the same bytes again write nothing, a rejected file its own ``upload_rejected`` entry."""
    store = sample_orgs_store
    first = load_file(store, csv_bytes([("ASS-CAS-001", "R01", "2024-Q1", "1250")]), "a.csv", framework=framework,
                      uploaded_by="member:ASS-CAS-001", audit_actor="Amina")
    load_file(store, csv_bytes([("ASS-CAS-001", "R01", "2024-Q1", "1250")]), "a.csv", framework=framework)
    load_file(store, csv_bytes([("ASS-CAS-001", "R01", "2024-Q1", "N/A")]), "bad.csv", framework=framework)
    second = load_file(store, csv_bytes([("ASS-CAS-001", "R01", "2024-Q1", "1300")]), "b.csv", framework=framework,
                       uploaded_by="member:ASS-CAS-001")
    entries = store.query(
        "SELECT actor, action, target, outcome, detail FROM audit_log WHERE action LIKE 'upload%' ORDER BY id"
    )
    assert entries.select("actor", "action", "target", "outcome").rows() == [
        ("Amina", "upload", f"submission:{first.submission_id}", "ok"),
        ("command-line", "upload_rejected", None, "refused"),
        ("member:ASS-CAS-001", "upload", f"submission:{second.submission_id}", "ok"),
    ]
    detail = json.loads(entries["detail"][2])
    assert detail == {"file": "b.csv", "org": "ASS-CAS-001", "status": "accepted", "rows": 1, "superseded": 1,
                      "sha256": second.content_sha256, "uploaded_by": "member:ASS-CAS-001"}


def test_command_line_load_is_audited_as_the_os_user_never_as_the_uploaded_by_label(
    tmp_path: Path, sample_orgs_store
) -> None:
    """``--uploaded-by`` labels the submission (kept in ``uploaded_by`` and in the entry's detail);
    the audit actor is the operating-system user who ran the command."""
    db_path = database_of(sample_orgs_store)
    sample_orgs_store.close()
    data = tmp_path / "mine.csv"
    data.write_bytes(csv_bytes([("FON-FES-007", "R01", "2024", "40")]))
    for extra in (["--uploaded-by", "ops:batch"], []):
        subprocess.run([sys.executable, "-m", "ingest", "load", str(data), "--db", str(db_path), *extra], cwd=REPO,
                       check=True, capture_output=True)
        data.write_bytes(csv_bytes([("FON-FES-007", "R01", "2024", "41")]))
    reopened = Store(db_path)
    try:
        uploads = reopened.query("SELECT actor, detail FROM audit_log WHERE action = 'upload' ORDER BY id")
        assert uploads["actor"].to_list() == [f"cli:{getpass.getuser()}"] * 2
        assert [json.loads(d)["uploaded_by"] for d in uploads["detail"]] == ["ops:batch", None]
        assert reopened.query("SELECT uploaded_by FROM submissions ORDER BY id")["uploaded_by"].to_list() == [
            "ops:batch", None]
    finally:
        reopened.close()


def test_eight_threads_loading_different_files_lose_nothing(sample_orgs_store, framework) -> None:
    orgs = ["ASS-CAS-001", "ASS-RBT-014", "FON-FES-007", "COO-AGD-021", "ASS-OUJ-030"]
    files = []
    for n in range(8):
        org = orgs[n % len(orgs)]
        year = 2010 + n
        rows = [(org, ind, f"{year}-Q{q}", str(100 * n + q)) for ind in ("R01", "R03", "R05") for q in range(1, 5)]
        files.append((f"file{n}.csv", csv_bytes(rows)))
    results = []
    errors: list[BaseException] = []

    def worker(name: str, data: bytes) -> None:
        try:
            results.append(load_file(sample_orgs_store, data, name, framework=framework))
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=f) for f in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.status for r in results) == ["accepted"] * 8
    assert len({r.submission_id for r in results}) == 8
    assert sample_orgs_store.scalar("SELECT count(*) FROM observations_current") == 8 * 12
    assert sample_orgs_store.scalar("SELECT count(*) FROM submissions") == 8


def test_database_is_rebuilt_from_the_kept_raw_bytes(sample_orgs_store, framework, tmp_path: Path) -> None:
    from ingest.pipeline import replay_submissions

    store = sample_orgs_store
    load_path(store, SAMPLES / "01_utf8_comma_lf.csv", framework=framework, uploaded_by="steering:a")
    load_path(store, SAMPLES / "16_excel_workbook.xlsx", framework=framework)  # corrects all ten values
    load_file(store, csv_bytes([("ASS-CAS-001", "R01", "2023", "900")]), "mine.csv", framework=framework,
              member_org="ASS-CAS-001")
    rebuilt = Store(tmp_path / "rebuilt.duckdb")
    try:
        results = replay_submissions(store, rebuilt, framework, actor="cli:test")
        assert [r.status for r in results] == ["accepted"] * 3
        history = ("SELECT submission_id, org_code, indicator_code, period, value, valid_to IS NULL AS current, "
                   "superseded_by FROM observations ORDER BY submission_id, line")
        assert rebuilt.query(history).equals(store.query(history))
        log = ("SELECT id, org_code, file_name, content_sha256, uploaded_by, uploaded_at, status, row_count FROM submissions"
               " ORDER BY id")
        assert rebuilt.query(log).equals(store.query(log))
    finally:
        rebuilt.close()


def test_rebuild_command_refuses_to_overwrite(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    Store(db).close()
    result = subprocess.run([sys.executable, "-m", "ingest", "rebuild", "--db", str(db), "--to", str(db)], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 2 and "existe déjà" in result.stderr


def test_failure_to_keep_the_raw_bytes_stores_nothing(sample_orgs_store, framework, monkeypatch) -> None:
    """The raw bytes are written while the rows are inserted, and the transaction waits for them."""
    import ingest.pipeline as pipeline

    def disk_full(*args: object) -> Path:
        raise OSError("No space left on device")

    monkeypatch.setattr(pipeline, "keep_raw_bytes", disk_full)
    data = (SAMPLES / "01_utf8_comma_lf.csv").read_bytes()
    with pytest.raises(OSError, match="No space left"):
        load_file(sample_orgs_store, data, "01.csv", framework=framework)
    assert sample_orgs_store.scalar("SELECT count(*) FROM submissions") == 0
    assert sample_orgs_store.scalar("SELECT count(*) FROM observations") == 0


def test_a_file_hashed_and_read_beforehand_loads_as_it_would_have(sample_orgs_store, framework) -> None:
    """What the command line reads ahead (digest, table) is used as it is."""
    import hashlib

    from ingest.read import Limits, read_table

    data = (SAMPLES / "02_excel_utf8_bom_comma_crlf.csv").read_bytes()
    limits = Limits()
    raw = read_table(data, "02.csv", max_bytes=limits.max_bytes, max_rows=limits.max_rows)
    digest = hashlib.sha256(data).hexdigest()
    result = load_file(sample_orgs_store, data, "02.csv", framework=framework, content_sha256=digest, raw=raw,
                       limits=limits)
    assert result.status == "accepted" and result.content_sha256 == digest
    assert sample_orgs_store.scalar("SELECT count(*) FROM observations_current") == result.rows > 0


def counting_reads(monkeypatch) -> list[str]:
    """Every call of ``ingest.read.read_table`` (the bytes → table step) from now on, by file name."""
    from ingest import read as reading

    calls: list[str] = []
    real = reading.read_table

    def counted(data, file_name, **options):
        calls.append(file_name)
        return real(data, file_name, **options)

    monkeypatch.setattr(reading, "read_table", counted)
    return calls


def test_check_then_commit_reads_and_validates_the_bytes_once(sample_orgs_store, framework, monkeypatch) -> None:
    from ingest import pipeline, validate

    reads = counting_reads(monkeypatch)
    validations: list[int] = []
    real_validate = validate.validate_table
    monkeypatch.setattr(pipeline, "validate_table", lambda *a, **k: validations.append(1) or real_validate(*a, **k))
    checked = pipeline.check(csv_bytes([("ASS-CAS-001", "R01", "2024-Q1", "1250")]), "a.csv", framework=framework,
                             store=sample_orgs_store, member_org="ASS-CAS-001")
    assert pipeline.preview(sample_orgs_store, Viewer.steering(), checked)["change"].to_list() == ["new"]
    result = pipeline.commit(sample_orgs_store, checked, framework=framework, uploaded_by="member:ASS-CAS-001")
    assert result.status == "accepted" and result.rows == 1
    assert (reads, len(validations)) == (["a.csv"], 1)


def test_a_check_made_for_another_organisation_cannot_be_committed(sample_orgs_store, framework) -> None:
    from ingest import pipeline

    checked = pipeline.check(csv_bytes([("ASS-CAS-001", "R01", "2024-Q1", "1250")]), "a.csv", framework=framework,
                             store=sample_orgs_store, member_org="ASS-CAS-001")
    with pytest.raises(ValueError, match="another organisation"):
        load_file(sample_orgs_store, checked.data, "a.csv", framework=framework, member_org="FON-FES-007",
                  checked=checked)
    assert sample_orgs_store.scalar("SELECT count(*) FROM submissions") == 0


def test_a_rejected_file_is_read_once_and_audited_by_the_pipeline(sample_orgs_store, framework, monkeypatch) -> None:
    from ingest import annotate, pipeline

    reads = counting_reads(monkeypatch)
    bad = csv_bytes([("ASS-CAS-001", "R01", "2024-Q1", "N/A")])
    checked = pipeline.check(bad, "bad.csv", framework=framework, store=sample_orgs_store, member_org="ASS-CAS-001")
    copy = annotate.annotated_copy(bad, "bad.csv", checked.result.report("fr"), "Erreurs", raw=checked.raw)
    result = pipeline.commit(sample_orgs_store, checked, framework=framework, uploaded_by="member:ASS-CAS-001",
                             audit_actor="account:amina")
    assert result.status == "rejected" and b"N/A" in copy and reads == ["bad.csv"]
    entry = sample_orgs_store.query("SELECT actor, action, target, outcome, detail FROM audit_log WHERE action LIKE 'upload%'")
    assert entry.select("actor", "action", "target", "outcome").rows() == [
        ("account:amina", "upload_rejected", None, "refused")]
    assert json.loads(entry["detail"][0]) == {"file": "bad.csv", "org": "ASS-CAS-001", "status": "rejected",
                                              "errors": 1, "sha256": checked.content_sha256}


def test_command_line_rejected_load_writes_the_same_audit_entry(tmp_path: Path, sample_orgs_store, framework) -> None:
    """The command line's refused load is audited by the pipeline, as the dashboard's is."""
    db_path = database_of(sample_orgs_store)
    sample_orgs_store.close()
    data = tmp_path / "bad.csv"
    data.write_bytes(csv_bytes([("FON-FES-007", "R01", "2024", "N/A")]))
    run = subprocess.run([sys.executable, "-m", "ingest", "load", str(data), "--db", str(db_path), "--org",
                          "FON-FES-007", "--uploaded-by", "ops:batch"], cwd=REPO, capture_output=True)
    assert run.returncode == 1
    reopened = Store(db_path)
    try:
        entry = reopened.query(
            "SELECT actor, action, target, outcome, detail FROM audit_log WHERE action LIKE 'upload%'"
        )
        # The audit actor is who ran the command; --uploaded-by only labels the submission.
        assert entry.select("actor", "action", "target", "outcome").rows() == [
            (f"cli:{getpass.getuser()}", "upload_rejected", None, "refused")]
        assert set(json.loads(entry["detail"][0])) == {"file", "org", "status", "errors", "sha256"}
        assert reopened.scalar("SELECT count(*) FROM submissions") == 0
    finally:
        reopened.close()
