"""The demo network holds the reporting cycle (issue 13), as ``data/demo/cycle.toml`` declares it:
a calendar with exceptions, a reminder schedule and Arabic-speaking members, 2025 files approved
(locked), returned with comments, corrected, awaiting review or missing, explained outliers and a
granted reopening. Read from the demo database ``python -m ingest demo`` + ``python -m metrics
score`` build (the ``demo_db`` fixtures), through the store's reads and real AppTest sessions."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from pydantic import ValidationError

from dashboard.testing import open_page, start, visible_text
from i18n import t
from ingest import demo_cycle, pipeline
from store import calendar, registry, reminders, review
from store.accounts import DEMO_EMAIL_DOMAIN, ensure_demo_accounts
from store.db import open_store
from store.reads import calendar as calendar_reads
from store.viewer import Viewer

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"
#: After the last demo file (26 June 2026): every 2025 period's deadline has passed.
JULY = date(2026, 7, 1)
STOPPED = {"COO-BJD-029", "ASS-IFR-031"}  # stop reporting in 2025 (data/demo/README.md)
AWAITING = {"PUB-TNT-034", "ASS-ERR-019"}  # their whole 2025 file awaits review
RETURNED_FR, RETURNED_AR = "FON-TNG-013", "ASS-LAA-010"


def manifest_files() -> set[str]:
    with open(DEMO / "manifest.csv", encoding="utf-8", newline="") as fh:
        return {row["file"] for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def cycle() -> demo_cycle.DemoCycle:
    return demo_cycle.load_cycle(DEMO / "cycle.toml", manifest_files())


@pytest.fixture
def demo(demo_db_fresh):
    store = open_store(demo_db_fresh)
    yield store
    store.close()


def statuses_2025(store) -> pl.DataFrame:
    frame = calendar_reads.statuses(store, Viewer.steering(), JULY, 90, "fr")
    return frame.filter(pl.col("period").str.starts_with("2025"))


def orgs_with(frame: pl.DataFrame, status: str, kind: str) -> set[str]:
    return set(frame.filter(pl.col("status") == status, pl.col("period_kind") == kind)["org_code"])


# -- the declaration --------------------------------------------------------------------------
def test_the_cycle_file_names_only_manifest_files_and_refuses_an_unknown_key(cycle, tmp_path) -> None:
    assert cycle.files() <= manifest_files()
    assert len(cycle.returned) == 3 and len(cycle.awaiting) == 3 and len(cycle.explained) == 6
    with pytest.raises(ValueError, match="not in manifest"):
        demo_cycle.load_cycle(DEMO / "cycle.toml", manifest_files() - {cycle.awaiting[0]})
    typo = tmp_path / "cycle.toml"
    typo.write_text((DEMO / "cycle.toml").read_text(encoding="utf-8").replace("deadline_days = 90", "deadline = 90"),
                    encoding="utf-8")
    with pytest.raises(ValidationError):
        demo_cycle.load_cycle(typo, manifest_files())


# -- the calendar and the reminders -----------------------------------------------------------
def test_the_demo_has_a_calendar_with_two_per_organisation_exceptions_set_through_the_audited_door(demo) -> None:
    table = calendar.calendar_table(demo).select("period_kind", "deadline_days", "everyone", "from_year")
    assert table.rows() == [("year", 90, True, 2025), ("quarter", 30, True, 2025)]
    exceptions = calendar.calendar_exceptions(demo).select("org_code", "period_kind", "reports")
    assert exceptions.rows() == [("ASS-CHF-040", "quarter", False), ("ASS-SET-033", "quarter", False)]
    assert demo.scalar("SELECT count(*) FROM audit_log WHERE action = 'calendar_changed'") == 2
    frame = statuses_2025(demo)
    assert not frame.filter(pl.col("org_code") == "ASS-SET-033", pl.col("period_kind") == "quarter").height
    assert frame.filter(pl.col("org_code") == "ASS-SET-033")["period"].to_list() == ["2025"]


def test_the_demo_sets_a_reminder_schedule_arabic_members_and_example_addresses(demo, monkeypatch) -> None:
    assert reminders.schedule(demo) == [-7, 1, 14, 42]
    monkeypatch.setenv("ATHAR_DEMO_MODE", "1")
    ensure_demo_accounts(demo)
    contacts = {r["org_code"]: r for r in reminders.member_contacts(demo).iter_rows(named=True)}
    assert contacts["ASS-ZAG-009"]["lang"] == "ar" and contacts["ASS-CAS-001"]["lang"] == "fr"
    assert contacts["ASS-ZAG-009"]["emails"] == [f"ass-zag-009@{DEMO_EMAIL_DOMAIN}"]
    assert sum(r["lang"] == "ar" for r in contacts.values()) == 11
    assert reminders.committee_emails(demo) == [f"comite@{DEMO_EMAIL_DOMAIN}"]
    assert all(e.endswith("@demo.example.org") for r in contacts.values() for e in r["emails"])


# -- 2025 under review ------------------------------------------------------------------------
def test_the_demo_2025_statuses_are_mostly_approved_with_returned_awaiting_and_late_members(demo) -> None:
    frame = statuses_2025(demo)
    counts = dict(frame.group_by("status").len().rows())
    assert counts == {"approved": 166, "returned": 4, "submitted": 11, "late": 11}
    assert orgs_with(frame, "late", "year") == STOPPED
    assert orgs_with(frame, "late", "quarter") == STOPPED | {"ASS-MEK-025"}  # and its missing 2025-Q4
    assert orgs_with(frame, "submitted", "year") == AWAITING
    assert orgs_with(frame, "submitted", "quarter") == AWAITING | {"FON-CAS-032"}  # its late 2025-Q4
    assert orgs_with(frame, "returned", "year") == {RETURNED_AR}
    assert orgs_with(frame, "returned", "quarter") == {RETURNED_AR, RETURNED_FR}
    assert review.status_counts(demo) == {"submitted": 3, "approved": 264, "returned": 3}


def test_each_returned_demo_file_carries_a_comment_and_one_per_value_audited(demo) -> None:
    rows = demo.query("SELECT s.file_name, c.indicator_code, c.period, c.comment FROM review_comments c "
                      "JOIN submissions s ON s.id = c.submission_id ORDER BY c.id")
    assert rows.height == 6 and rows["file_name"].n_unique() == 3
    per_value = rows.filter(pl.col("indicator_code").is_not_null())
    assert per_value.select("indicator_code", "period").rows() == [("C02", "2025-Q1"), ("R01", "2025-Q2"),
                                                                 ("S02", "2025")]  # in the order files arrived
    assert any("\u0600" <= ch <= "\u06ff" for ch in rows["comment"][-1])
    assert demo.scalar("SELECT count(*) FROM audit_log WHERE action = 'review_returned'") == 3


def test_a_returned_demo_file_is_corrected_by_the_next_one_which_is_approved(demo) -> None:
    """ASS-TET-028's first half-year is returned, then its correction (late registrations) arrives."""
    first, fixed = demo.query(
        "SELECT review_status FROM submissions WHERE org_code = 'ASS-TET-028' AND file_name LIKE '%2025_S1%' "
        "ORDER BY id")["review_status"]
    assert (first, fixed) == ("returned", "approved")
    returned_at = demo.scalar("SELECT logged_at FROM audit_log WHERE action = 'review_returned' "
                              "AND detail->>'org' = 'ASS-TET-028'")
    corrected_at = demo.scalar("SELECT logged_at FROM audit_log WHERE action = 'upload' "
                               "AND detail->>'file' LIKE 'ASS-TET-028_2025_S1_rectificatif%'")
    assert returned_at < corrected_at
    assert {r["status"] for r in statuses_2025(demo).filter(pl.col("org_code") == "ASS-TET-028").to_dicts()} == {
        "approved"}


def test_the_history_is_approved_without_locks_and_2025_approvals_lock_their_periods(demo) -> None:
    locked = demo.query("SELECT DISTINCT period FROM period_locks")["period"].to_list()
    assert locked and all(p.startswith("2025") for p in locked)
    assert demo.scalar("SELECT count(*) FROM submissions s WHERE review_status <> 'approved' AND NOT EXISTS ("
                       "SELECT 1 FROM observations o WHERE o.submission_id = s.id AND o.period >= '2025')") == 0
    # The same J01 as approved, one person more: valid, but its period is locked.
    late_registrations = b"org_code,indicator_code,period,value,unit\nENT-RBT-037,J01,2025-Q2,2430,personnes\n"
    before = demo.scalar("SELECT count(*) FROM observations")
    with pytest.raises(review.PeriodLocked):
        pipeline.load_file(demo, late_registrations, "j01.csv", framework=registry.framework_in_use(demo),
                           member_org="ENT-RBT-037", uploaded_by="member:ENT-RBT-037")
    assert demo.scalar("SELECT count(*) FROM observations") == before


def test_the_demo_reopens_two_approved_periods_on_members_requests_with_their_reasons(demo) -> None:
    requests = demo.query("SELECT org_code, period, requested_by, status FROM reopen_requests ORDER BY id").rows()
    assert requests == [("ASS-CAS-001", "2025-Q4", "member:ASS-CAS-001", "granted"),
                        ("ASS-MEK-025", "2025-Q4", "member:ASS-MEK-025", "granted")]
    assert not demo.scalar("SELECT count(*) FROM period_locks WHERE org_code = 'ASS-MEK-025' AND released_at IS NULL "
                           "AND period_end >= '2025-10-01'")  # its missing quarter can still be sent
    open_locks = demo.column("SELECT period FROM period_locks WHERE org_code = 'ASS-CAS-001' AND released_at IS NULL "
                             "ORDER BY period")
    assert open_locks == ["2025-Q1", "2025-Q2", "2025-Q3"]  # the quarter and the year are open again


# -- explained outliers -----------------------------------------------------------------------
def test_the_demo_explanations_are_on_values_the_run_flags_and_the_quality_page_shows_them(demo_db_fresh, cycle) -> None:
    store = open_store(demo_db_fresh)
    try:
        flagged = store.query(
            "SELECT u.org_code, u.indicator_code, u.period, e.explanation FROM score_unusual_values u "
            "JOIN value_explanations e ON e.org_code = u.org_code AND e.indicator_code = u.indicator_code "
            "AND e.period = u.period AND e.submission_id = u.submission_id AND e.valid_to IS NULL "
            "WHERE u.run_id = (SELECT max(id) FROM score_runs)")
        assert store.scalar("SELECT count(*) FROM value_explanations WHERE origin = 'upload'") == 6
    finally:
        store.close()
    assert sorted(flagged.select("org_code", "indicator_code", "period").rows()) == sorted(
        (e.org, e.indicator, e.period) for e in cycle.explained)
    text = visible_text(open_page(start(demo_db_fresh), "quality"))
    for explained in cycle.explained:
        assert explained.text in text


# -- the member's home ------------------------------------------------------------------------
@pytest.mark.parametrize(("org", "lang", "period"), [(RETURNED_FR, "fr", "2025-Q1"), (RETURNED_AR, "ar", "2025")])
def test_the_member_home_of_a_returned_organisation_shows_the_committee_comment(
    demo_db_fresh, cycle, monkeypatch, org, lang, period
) -> None:
    monkeypatch.setenv("ATHAR_TEST_TODAY", JULY.isoformat())
    at = start(demo_db_fresh, identity=org, lang=lang)  # a member opens on its home
    assert not at.exception and at.title[0].value == t("calendar.home.title", lang)
    assert t("calendar.home.returned", lang, period=period) in [e.value for e in at.error]
    comment = next(r.comment for r in cycle.returned if org in r.file)
    assert comment in visible_text(at)
