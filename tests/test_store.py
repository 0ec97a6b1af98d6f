"""The store: migrations upgrade old files, reads are safe from many threads, writes are atomic."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest.validate import CLEAN_SCHEMA
from store.db import Store, migrations
from store.submissions import SubmissionMeta, commit_submission, observation_history, stored_values

pytestmark = pytest.mark.backends("duckdb", "postgres")


def rows(*values: tuple[str, str, str, float]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"line": i + 2, "org_code": org, "indicator_code": ind, "period": period, "granularity": "year",
             "period_start": date(int(period[:4]), 1, 1), "period_end": date(int(period[:4]), 12, 31),
             "value": value, "unit": "persons"}
            for i, (org, ind, period, value) in enumerate(values)
        ]
    ).with_columns(*(pl.lit(None, pl.String).alias(c) for c in CLEAN_SCHEMA if c not in
                     ("line", "org_code", "indicator_code", "period", "granularity", "period_start", "period_end", "value", "unit"))
    ).select(list(CLEAN_SCHEMA)).cast(CLEAN_SCHEMA)


def meta(sha: str, org: str | None = "ASS-CAS-001") -> SubmissionMeta:
    return SubmissionMeta(file_name=f"{sha}.csv", content_sha256=sha, file_format="csv", encoding="utf-8",
                          org_code=org, uploaded_by="test", uploaded_at=None, framework_hash="f", report=[])


def test_migrations_are_numbered_and_applied_once(store: Store) -> None:
    assert store.schema_version() == migrations()[-1][0]
    assert store.migrate() == []


def test_database_created_by_an_older_version_upgrades_itself(db_target: Path | str) -> None:
    old = Store(db_target, upto=1)
    assert old.schema_version() == 1
    # What the first version wrote (with SQL: today's commit also writes tables of later versions).
    old.write(lambda cur: cur.execute(
        "INSERT INTO submissions (org_code, file_name, content_sha256, file_format, encoding, uploaded_by, uploaded_at,"
        " status, row_count, framework_hash, report, raw_path) VALUES ('ASS-CAS-001', 'a.csv', ?, 'csv', 'utf-8',"
        " 'test', now()::TIMESTAMP, 'accepted', 1, 'f', '[]', '/dev/null')", ["a" * 64]).execute(
        "INSERT INTO observations (submission_id, line, org_code, indicator_code, period, granularity, period_start,"
        " period_end, value, unit, valid_from) VALUES (1, 2, 'ASS-CAS-001', 'R01', '2024', 'year', DATE '2024-01-01',"
        " DATE '2024-12-31', 10.0, 'persons', now()::TIMESTAMP)"))
    old.close()
    upgraded = Store(db_target)
    assert upgraded.schema_version() == migrations()[-1][0] > 1
    current = upgraded.query("SELECT org_code, indicator_code, period, value FROM observations_current")
    assert current.rows() == [("ASS-CAS-001", "R01", "2024", 10.0)]
    corrected = commit_submission(upgraded, rows(("ASS-CAS-001", "R01", "2024", 12.0)), meta("b" * 64), Path("/dev/null"))
    assert corrected.superseded == 1
    assert upgraded.query("SELECT action, target FROM audit_log").rows() == [("upload", f"submission:{corrected.submission_id}")]
    upgraded.close()


def test_an_upgraded_database_types_the_uploader_of_its_old_submissions(db_target: Path | str) -> None:
    """``member:CODE`` / ``steering:NAME`` / free text written before migration 6 become typed columns."""
    old = Store(db_target, upto=5)
    for n, who in enumerate(["member:ASS-CAS-001", "steering:comite", "funder", "Amina (script)", None], start=1):
        old.write(lambda cur, n=n, who=who: cur.execute(
            "INSERT INTO submissions (org_code, file_name, content_sha256, file_format, encoding, uploaded_by,"
            " uploaded_at, status, row_count, framework_hash, report, raw_path) VALUES ('ASS-CAS-001', 'a.csv', ?,"
            " 'csv', 'utf-8', ?, now()::TIMESTAMP, 'accepted', 1, 'f', '[]', '/dev/null')", [str(n) * 64, who]))
    old.close()
    upgraded = Store(db_target)
    typed = upgraded.query("SELECT uploader_kind, uploader_org, uploader_account FROM submissions ORDER BY id")
    assert typed.rows() == [
        ("member", "ASS-CAS-001", None),
        ("steering", None, "comite"),
        ("funder", None, None),
        ("other", None, "Amina (script)"),
        (None, None, None),
    ]
    upgraded.close()


@pytest.mark.parametrize(
    ("uploaded_by", "typed"),
    [("member:FON-RBT-003", ("member", "FON-RBT-003", None)), ("steering:demo", ("steering", None, "demo")),
     ("cli-import", ("other", None, "cli-import"))],
)
def test_a_commit_writes_the_uploader_as_typed_columns(store: Store, uploaded_by: str, typed: tuple) -> None:
    commit_submission(store, rows(("ASS-CAS-001", "R01", "2024", 1.0)),
                      replace(meta("c" * 64), uploaded_by=uploaded_by), Path("/dev/null"))
    assert store.query("SELECT uploader_kind, uploader_org, uploader_account FROM submissions").row(0) == typed


def test_correction_supersedes_earlier_value_and_keeps_history(store: Store) -> None:
    first = commit_submission(store, rows(("ASS-CAS-001", "R01", "2024", 10.0), ("ASS-CAS-001", "R03", "2024", 2.0)),
                              meta("a" * 64), Path("/dev/null"))
    second = commit_submission(store, rows(("ASS-CAS-001", "R01", "2024", 12.0)), meta("b" * 64), Path("/dev/null"))
    assert second.superseded == 1 and not second.already_received
    current = store.query("SELECT indicator_code, value, submission_id FROM observations_current ORDER BY 1")
    assert current.rows() == [("R01", 12.0, second.submission_id), ("R03", 2.0, first.submission_id)]
    history = observation_history(store, "ASS-CAS-001", "R01", "2024")
    assert history["value"].to_list() == [10.0, 12.0]
    assert history["valid_to"][0] is not None and history["valid_to"][1] is None
    assert history["superseded_by"][0] == second.submission_id
    # The first submission still has a current value (R03), so it stays accepted.
    assert store.scalar("SELECT status FROM submissions WHERE id = ?", [first.submission_id]) == "accepted"
    third = commit_submission(store, rows(("ASS-CAS-001", "R03", "2024", 3.0)), meta("c" * 64), Path("/dev/null"))
    assert third.superseded == 1
    assert store.scalar("SELECT status FROM submissions WHERE id = ?", [first.submission_id]) == "superseded"


def test_correction_without_a_breakdown_supersedes_only_the_values_stored_without_it(store: Store) -> None:
    by_sex = rows(("ASS-CAS-001", "R01", "2024", 4.0), ("ASS-CAS-001", "R01", "2024", 6.0),
                  ("ASS-CAS-001", "R01", "2024", 10.0)).with_columns(
        sex=pl.Series(["F", "M", None]), notes=pl.Series(["vérifié", None, None]))
    first = commit_submission(store, by_sex, meta("a" * 64), Path("/dev/null"))
    # The correction has no breakdown and no note at all: those columns are empty in every row.
    second = commit_submission(store, rows(("ASS-CAS-001", "R01", "2024", 11.0)), meta("b" * 64), Path("/dev/null"))
    assert second.superseded == 1
    stored = store.query("SELECT submission_id, line, sex, notes, value, unit, period_start, valid_to IS NULL AS current"
                         " FROM observations ORDER BY submission_id, line")
    assert stored.rows() == [
        (first.submission_id, 2, "F", "vérifié", 4.0, "persons", date(2024, 1, 1), True),
        (first.submission_id, 3, "M", None, 6.0, "persons", date(2024, 1, 1), True),
        (first.submission_id, 4, None, None, 10.0, "persons", date(2024, 1, 1), False),
        (second.submission_id, 2, None, None, 11.0, "persons", date(2024, 1, 1), True),
    ]


def test_same_bytes_for_same_organisation_are_received_once(store: Store) -> None:
    first = commit_submission(store, rows(("ASS-CAS-001", "R01", "2024", 10.0)), meta("a" * 64), Path("/dev/null"))
    again = commit_submission(store, rows(("ASS-CAS-001", "R01", "2024", 10.0)), meta("a" * 64), Path("/dev/null"))
    assert again.already_received and again.submission_id == first.submission_id
    assert store.scalar("SELECT count(*) FROM observations") == 1


def test_failed_write_leaves_the_database_unchanged(store: Store) -> None:
    commit_submission(store, rows(("ASS-CAS-001", "R01", "2024", 10.0)), meta("a" * 64), Path("/dev/null"))

    def half_then_fail(cur: duckdb.DuckDBPyConnection) -> None:
        cur.execute("UPDATE observations SET value = 0")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        store.write(half_then_fail)
    assert store.scalar("SELECT value FROM observations") == 10.0


def test_reads_from_many_threads_each_get_full_results(store: Store) -> None:
    commit_submission(store, rows(*[("ASS-CAS-001", f"X{i:02d}", "2024", float(i)) for i in range(50)]),
                      meta("a" * 64), Path("/dev/null"))
    results: list[int] = []
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(20):
                results.append(store.query("SELECT * FROM observations_current").height)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and results == [50] * 160


def test_stored_values_are_read_for_the_pairs_of_the_file_not_every_organisation_and_period(store: Store) -> None:
    """The read selects by each column's distinct texts; a value of the file's organisation in another
    of its periods (A in 2025 when the file has A in 2024 and B in 2025) is not one to compare with."""
    commit_submission(store, rows(("ASS-A", "R01", "2024", 10.0), ("ASS-A", "R01", "2025", 11.0),
                                  ("ASS-B", "R01", "2025", 12.0), ("ASS-B", "R03", "2025", 5.0)),
                      meta("d" * 64, org=None), Path("/dev/null"))
    keys = pl.DataFrame({"org_code": ["ASS-A", "ASS-B", "ASS-A"], "period": ["2024", "2025", "2024"]})
    found = stored_values(store, keys, ("R01",))
    assert sorted(found.select("org_code", "period", "value").rows()) == [("ASS-A", "2024", 10.0), ("ASS-B", "2025", 12.0)]
    assert stored_values(store, keys.with_columns(org_code=pl.lit("ASS-C")), ("R01",)).is_empty()


def test_the_dashboards_handle_closed_meanwhile_is_replaced_by_an_open_one(tmp_path: Path) -> None:
    from dashboard.context import get_store

    path = str(tmp_path / "athar.duckdb")
    first = get_store(path)
    first.close()
    second = get_store(path)
    assert first.closed and not second.closed and second is not first
    assert second.scalar("SELECT 1") == 1
    second.close()
