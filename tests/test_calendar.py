"""The reporting calendar (issue 13): the committee sets it through either door, with the same audit
entry; every organisation then has a status per period (due, late, submitted; returned and approved
once submissions are reviewed); a member opens on its home, which says what is due, by when, and
offers the pre-filled template. Real DuckDB files (copies of the demo network), real sessions
(AppTest), a fixed today.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import polars as pl
import pytest
from test_audit_doors import CLI, STEERING, assert_same_entry, copy_file, last_entry, run

from dashboard.navigation import pages_for
from dashboard.testing import open_page, start, visible_text
from framework.model import load_framework
from i18n import formatting as fmt
from i18n import t
from ingest.template import template_bytes
from metrics.expectations import expected_indicators
from store import calendar, links, review
from store.db import Store, open_store
from store.reads import calendar as calendar_reads
from store.viewer import LinkScope, Viewer

STOPPED = "COO-BJD-029"  # stops reporting in 2025 (data/demo/README.md)
GAP = "ASS-MEK-025"  # misses 2025-Q4
REPORTER = "ASS-CAS-001"
MARCH = date(2026, 3, 1)  # 2025 ended, its 90-day deadline (31 March 2026) still ahead
APRIL = date(2026, 4, 15)  # that deadline passed
#: The store and the pages on both backends (a private copy of the demo each: ``demo_copy``).
pytestmark = pytest.mark.backends("duckdb", "postgres")


def set_demo_calendar(store: Store) -> None:
    """The year for everyone within 90 days from 2024; quarters within 30 days from 2025 for one member."""
    calendar.set_calendar(store, "year", deadline_days=90, from_year=2024, actor="test", source="test",
                          default_year=2026)
    calendar.set_calendar(store, "quarter", deadline_days=30, from_year=2025, everyone=False, add=[GAP],
                          actor="test", source="test", default_year=2026)


def statuses_at(store: Store, today: date, viewer: Viewer | None = None) -> dict[tuple[str, str], str]:
    frame = calendar_reads.statuses(store, viewer or Viewer.steering(), today, 30, "fr")
    return {(r["org_code"], r["period"]): r["status"] for r in frame.iter_rows(named=True)}


# -- the committee sets the calendar: two doors, one audit entry ------------------------------
def test_the_committee_sets_the_calendar_from_the_page_and_the_command_line_with_the_same_audit_entry(
    demo_db_pristine, tmp_path, monkeypatch
) -> None:
    from_cli = copy_file(demo_db_pristine, tmp_path, "cli.duckdb")
    done = run("store", "calendar", "set", "quarter", "--deadline-days", "30", "--from-year", "2025",
               "--only-listed", "--add", GAP, "--db", from_cli)
    assert done.returncode == 0, done.stdout + done.stderr
    from_page = copy_file(demo_db_pristine, tmp_path, "page.duckdb")
    monkeypatch.setenv("ATHAR_DB", str(from_page))
    at = open_page(start(from_page), "calendar")
    at.selectbox(key="calendar_kind").set_value("quarter").run()
    at.number_input(key="calendar_deadline_quarter").set_value(30)
    at.number_input(key="calendar_year_quarter").set_value(2025)
    at.radio(key="calendar_everyone_quarter").set_value(False)
    at.multiselect(key="calendar_add_quarter").set_value([GAP])
    at.button(key="calendar_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == t("calendar.page.saved", "fr", kind=t("calendar.kind.quarter", "fr"))
    cli, page = last_entry(from_cli, "calendar_changed"), last_entry(from_page, "calendar_changed")
    assert_same_entry(cli, page, r"calendar:quarter", CLI, STEERING)
    assert {**cli["detail"], "source": "dashboard"} == page["detail"]  # the same change; only the door differs
    assert page["detail"]["added"] == [GAP] and page["detail"]["deadline_days"] == 30
    stored = []
    for db in (from_cli, from_page):
        store = open_store(db)
        stored.append((calendar.calendar_table(store).drop("set_by", "set_at").to_dicts(),
                       calendar.calendar_exceptions(store).drop("set_by", "set_at").to_dicts()))
        store.close()
    assert stored[0] == stored[1] == (  # with the demo's year and its two exceptions (data/demo/cycle.toml)
        [{"period_kind": "year", "deadline_days": 90, "everyone": True, "from_year": 2025},
         {"period_kind": "quarter", "deadline_days": 30, "everyone": False, "from_year": 2025}],
        [{"org_code": "ASS-CHF-040", "period_kind": "quarter", "reports": False},
         {"org_code": GAP, "period_kind": "quarter", "reports": True},
         {"org_code": "ASS-SET-033", "period_kind": "quarter", "reports": False}],
    )


def test_calendar_show_and_status_answer_in_json(demo_db_pristine, tmp_path, monkeypatch) -> None:
    db = copy_file(demo_db_pristine, tmp_path, "cli.duckdb")
    assert run("store", "calendar", "set", "year", "--deadline-days", "90", "--from-year", "2024",
               "--db", db).returncode == 0
    shown = json.loads(run("store", "calendar", "show", "--json", "--db", db).stdout)
    assert [(r["period_kind"], r["from_year"]) for r in shown["calendar"]] == [("year", 2024), ("quarter", 2025)]
    assert [(r["org_code"], r["reports"]) for r in shown["exceptions"]] == [("ASS-CHF-040", False),
                                                                            ("ASS-SET-033", False)]
    late = json.loads(run("store", "calendar", "status", "--today", APRIL.isoformat(), "--status", "late",
                          "--json", "--db", db).stdout)
    assert {(r["org_code"], r["period"]) for r in late} >= {(STOPPED, "2025")}
    assert {r["status"] for r in late} == {"late"}


def test_a_refused_calendar_change_stores_nothing_and_is_said_in_the_language(store) -> None:
    with pytest.raises(calendar.CalendarError) as refused:
        calendar.set_calendar(store, "semester", actor="test", source="test", default_year=2026)
    assert refused.value.message("fr") == t("calendar.errors.deadline_needed", "fr", kind="semestre")  # the kind in words
    with pytest.raises(calendar.CalendarError) as unknown:
        calendar.set_calendar(store, "year", deadline_days=60, add=["NOPE-000"], actor="test", source="test",
                              default_year=2026)
    assert unknown.value.code == "unknown_org"
    assert store.scalar("SELECT count(*) FROM reporting_calendar") == 0
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'calendar_changed'") == 0


# -- statuses -------------------------------------------------------------------------------
def test_statuses_are_submitted_due_then_late_as_the_deadline_passes(demo_copy) -> None:
    store = open_store(demo_copy)
    set_demo_calendar(store)
    latest = latest_2025_submission(store, REPORTER)  # the demo's files count as approved: one awaits review
    store.write(lambda cur: cur.execute("UPDATE submissions SET review_status = 'submitted' WHERE id = ?", [latest]))
    march, april = statuses_at(store, MARCH), statuses_at(store, APRIL)
    assert march[(REPORTER, "2025")] == april[(REPORTER, "2025")] == "submitted"
    assert march[(REPORTER, "2024")] == "approved"
    assert march[(STOPPED, "2025")] == "due" and april[(STOPPED, "2025")] == "late"
    assert march[(GAP, "2025-Q4")] == "late"  # quarters: 30 days, passed on 30 January
    assert march[(GAP, "2025-Q3")] == "approved"
    assert (REPORTER, "2025-Q4") not in march  # only the listed member reports quarters
    assert (STOPPED, "2026") not in april and (GAP, "2026-Q2") not in april  # running periods are not due
    assert april[(GAP, "2026-Q1")] == "due"  # ended 31 March, 30 days to send it
    assert (REPORTER, "2023") not in march  # before the calendar's first year


def test_before_any_calendar_every_member_reports_last_year_within_the_framework_deadline(demo_copy) -> None:
    store = open_store(demo_copy)
    store.write(lambda cur: cur.execute("DELETE FROM reporting_calendar; DELETE FROM org_calendar"))  # the demo's
    frame = calendar_reads.statuses(store, Viewer.steering(), MARCH, 120, "fr")
    assert set(frame["period"]) == {"2025"}
    row = frame.filter(pl.col("org_code") == STOPPED).row(0, named=True)
    assert row["deadline"] == date(2026, 4, 30) and row["status"] == "due"


def latest_2025_submission(store: Store, org: str) -> int:
    return int(store.scalar("SELECT max(s.id) FROM submissions s JOIN observations o ON o.submission_id = s.id "
                            "WHERE o.org_code = ? AND o.period = '2025'", [org]))


def return_2025(store: Store, org: str) -> int:
    """The committee returns the organisation's latest 2025 submission: a comment, and one on a value."""
    latest = latest_2025_submission(store, org)
    store.write(lambda cur: cur.execute("UPDATE submissions SET review_status = 'submitted' WHERE id = ?", [latest]))
    review.return_submission(store, latest, "R01 doublé ?", actor="test",
                             values=[review.ValueComment(indicator_code="R01", period="2025", comment="1 250 ou 125 ?")])
    return latest


def test_a_reviewed_submission_reads_returned_with_its_comment_then_approved(demo_copy) -> None:
    """The statuses follow the committee's review (``submissions.review_status``, ``review_comments``)."""
    store = open_store(demo_copy)
    set_demo_calendar(store)
    latest = return_2025(store, REPORTER)
    rows = calendar_reads.statuses(store, Viewer.member(REPORTER), MARCH, 30, "fr", REPORTER)
    returned = rows.filter(pl.col("period") == "2025").row(0, named=True)
    assert (returned["status"], returned["review_comment"]) == ("returned", "R01 doublé ?")
    store.write(lambda cur: cur.execute("UPDATE submissions SET review_status = 'submitted' WHERE id = ?", [latest]))
    assert statuses_at(store, MARCH)[(REPORTER, "2025")] == "submitted"
    review.approve(store, latest, actor="test")
    assert statuses_at(store, MARCH)[(REPORTER, "2025")] == "approved"


def test_a_returned_submission_reads_returned_with_the_committees_comment_then_submitted_once_resent(
        demo_copy) -> None:
    """The statuses follow ``store.review``: returned with the comment on the whole submission
    (``review_comments``), submitted when a new file comes, approved once approved."""
    store = open_store(demo_copy)
    set_demo_calendar(store)
    latest = store.scalar("SELECT max(s.id) FROM submissions s JOIN observations o ON o.submission_id = s.id "
                          "WHERE o.org_code = ? AND o.period = '2025'", [REPORTER])
    store.write(lambda cur: cur.execute(f"UPDATE submissions SET review_status = 'submitted' WHERE id = {int(latest)}"))
    assert statuses_at(store, MARCH)[(REPORTER, "2025")] == "submitted"
    review.return_submission(store, latest, "R01 doublé ?", actor="account:comite",
                             values=[review.ValueComment("R01", "2025", "Le double de 2024 ?")])
    rows = calendar_reads.statuses(store, Viewer.member(REPORTER), MARCH, 30, "fr", REPORTER)
    returned = rows.filter(pl.col("period") == "2025").row(0, named=True)
    assert (returned["status"], returned["review_comment"]) == ("returned", "R01 doublé ?")
    assert returned["reviewed_at"] is not None
    assert rows.filter(pl.col("period") == "2024")["review_comment"].to_list() == [None]
    store.write(lambda cur: cur.execute(f"UPDATE submissions SET review_status = 'approved' WHERE id = {int(latest)}"))
    assert statuses_at(store, MARCH)[(REPORTER, "2025")] == "approved"


def test_the_member_home_shows_a_returned_period_with_the_comment_and_the_value_comment(
    demo_copy, monkeypatch
) -> None:
    monkeypatch.setenv("ATHAR_TEST_TODAY", MARCH.isoformat())
    store = open_store(demo_copy)
    set_demo_calendar(store)
    return_2025(store, REPORTER)
    at = start(demo_copy, identity=REPORTER)
    assert not at.exception and not at.error[1:]
    assert at.error[0].value == t("calendar.home.returned", "fr", period="2025")
    text = visible_text(at)
    assert "R01 doublé ?" in text and "1 250 ou 125 ?" in text
    assert t("calendar.home.download_template", "fr", period="2025") in [b.label for b in at.get("download_button")]


def test_a_member_reads_only_its_own_statuses_and_a_funder_link_none(demo_copy) -> None:
    store = open_store(demo_copy)
    set_demo_calendar(store)
    assert {org for org, _ in statuses_at(store, MARCH, Viewer.member(GAP))} == {GAP}
    for link in (LinkScope(frozenset({GAP})), LinkScope(frozenset({GAP}), run_id=1)):
        assert statuses_at(store, MARCH, Viewer.funder(link)) == {}  # the cycle is no funder's business


# -- the member's home ------------------------------------------------------------------------
def test_the_member_home_shows_the_due_period_its_deadline_and_the_template(demo_copy, monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_TEST_TODAY", MARCH.isoformat())
    set_demo_calendar(open_store(demo_copy))
    at = start(demo_copy, identity=STOPPED)  # a member opens on its home
    assert not at.exception and not at.error
    assert at.title[0].value == t("calendar.home.title", "fr")
    due = t("calendar.home.due", "fr", period="2025", kind=t("calendar.kind.year", "fr"),
            deadline=fmt.date_text(date(2026, 3, 31), "fr"), when=t("calendar.home.days_left.other", "fr", count="30"))
    assert [i.value for i in at.info] == [due]
    labels = [b.label for b in at.get("download_button")]
    assert t("calendar.home.download_template", "fr", period="2025") in labels


def test_the_member_home_says_a_late_period_is_late(demo_copy, monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_TEST_TODAY", MARCH.isoformat())
    set_demo_calendar(open_store(demo_copy))
    at = start(demo_copy, identity=GAP, lang="ar")
    assert not at.exception and not at.error
    late = [w.value for w in at.warning]
    assert len(late) == 1 and "2025-Q4" in late[0] and any("\u0600" <= ch <= "\u06ff" for ch in late[0])
    assert "2025-Q3" not in " ".join(late)


def test_a_member_with_nothing_due_is_told_so(demo_copy, monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_TEST_TODAY", MARCH.isoformat())
    set_demo_calendar(open_store(demo_copy))
    at = start(demo_copy, identity=REPORTER, lang="en")
    assert [s.value for s in at.success] == [t("calendar.home.nothing_due", "en")]
    assert not at.get("download_button")
    assert "2025" in visible_text(at)  # the history lists the periods sent


def test_the_home_template_lists_the_indicators_the_member_is_expected_to_report(demo_copy) -> None:
    store = open_store(demo_copy)
    framework = load_framework()
    facts = store.query("SELECT code AS org_code, kind, thematic_areas FROM organizations WHERE code = ?", [STOPPED])
    expected = expected_indicators(framework, facts)["indicator_code"].to_list()
    assert 0 < len(expected) < len([i for i in framework.indicators if not i.derived])
    data = template_bytes(framework, STOPPED, "2025", "fr", "csv", expected).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data), delimiter=";"))
    assert sorted(r["indicator_code"] for r in rows) == sorted(expected)
    assert {(r["org_code"], r["period"]) for r in rows} == {(STOPPED, "2025")}


def test_a_funder_link_never_sees_the_member_home(demo_copy, monkeypatch) -> None:
    store = open_store(demo_copy)
    _, token = links.create_link(store, label="Bailleur", org_codes=[STOPPED], created_by="test", days=7)
    assert "start" not in [p.key for p in pages_for(Viewer.funder(LinkScope(frozenset({STOPPED}))))]
    at = start(demo_copy, link=token)
    assert at.title[0].value != t("calendar.home.title", "fr")
    with pytest.raises(ValueError):
        open_page(at, "start")


def test_the_upload_template_and_the_form_open_on_the_calendars_open_period(demo_copy, monkeypatch) -> None:
    """One rule with the home: a yearly reporter that sent 2025 is asked by the demo's calendar for its
    quarters too, so in May 2026 the template and the form open on 2026-Q1 (late), not on 2025 (sent)."""
    monkeypatch.setenv("ATHAR_TEST_TODAY", "2026-05-15")
    member = "ASS-TIN-002"  # small: files once a year (demo data/README.md)
    rows = calendar_reads.statuses(open_store(demo_copy), Viewer.member(member), date(2026, 5, 15), 90, "fr", member)
    first_open = rows.filter(pl.col("status").is_in(["returned", "late", "due"])).row(0, named=True)
    assert (first_open["period"], first_open["status"]) == ("2026-Q1", "late")
    upload = open_page(start(demo_copy, identity=member), "upload")
    assert not upload.exception
    assert upload.selectbox(key="upload_template_period").value == "2026-Q1"
    late = t("dashboard.periods.due_late", "fr", period="2026-Q1", deadline=fmt.date_text(date(2026, 4, 30), "fr"))
    assert late in [w.value for w in upload.warning]
    form = open_page(start(demo_copy, identity=member), "form")
    assert form.selectbox(key=f"form_period_{member}").value == "2026-Q1"
