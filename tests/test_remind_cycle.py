"""Reminders follow the reporting cycle: the calendar's statuses (due, late, returned; never submitted
or approved), its deadline, and the review's comments.

Real DuckDB files, the real importer, the real calendar and review actions, a real SMTP server on
localhost (aiosmtpd, the inbox of ``test_remind``), the real command line in a child process and a
real session of the Reminders page.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import REPO
from openpyxl import load_workbook
from test_remind import Inbox, attachments, inbox  # noqa: F401 — the SMTP server fixture

from i18n import formatting as fmt
from i18n import t
from i18n.bidi import strip_isolates
from ingest.pipeline import load_file
from notify import remind, steps
from store import accounts, calendar, reminders, review
from store.db import Store
from store.registry import upsert_organizations

FR_ORG, AR_ORG = "ASS-FRA-001", "ASS-ARA-002"
MAIL = {FR_ORG: "fr@assoc.test", AR_ORG: "ar@assoc.test"}
COMMITTEE_PASSWORD = "Comite-du-reseau-2026!"
DEADLINE = date(2026, 7, 30)  # 2026-Q2 ends on 30 June; the calendar gives 30 days
BEFORE, AFTER = date(2026, 7, 29), date(2026, 7, 31)  # the default schedule: -7 (23 July) and +1 (31 July)
COMMENT = "Les effectifs semblent doublés par rapport au premier trimestre."
VALUE_COMMENT = "150 bénéficiaires en un trimestre : est-ce bien le cumul ?"


def upload(store: Store, framework, org: str, period: str, when: datetime, value: int = 120) -> int:
    data = f"org_code,indicator_code,period,value\n{org},R01,{period},{value}\n".encode()
    result = load_file(store, data, f"{org}_{period}.csv", framework=framework, member_org=org,
                       uploaded_by=f"member:{org}", uploaded_at=when)
    assert result.accepted
    return store.scalar("SELECT max(id) FROM submissions WHERE org_code = ?", [org])


def set_quarters(store: Store, days: int) -> None:
    calendar.set_calendar(store, "quarter", deadline_days=days, from_year=2026, everyone=True,
                          actor="account:comite", source="test", default_year=2026)


@pytest.fixture
def cycle(store: Store, framework) -> Store:
    """Two members (one writes in French, one in Arabic) reporting quarters within 30 days; both
    sent 2026-Q1, so 2026-Q2 is what they owe."""
    upsert_organizations(store, pl.DataFrame({
        "code": [FR_ORG, AR_ORG], "name_fr": ["Association Française", "Association Arabe"],
        "name_ar": ["الجمعية الفرنسية", "الجمعية العربية"], "name_en": [None, None],
        "kind": ["association", "association"], "region": ["MA-06", "MA-06"],
        "thematic_areas": [["health"], ["health"]], "size_band": ["small", "small"],
    }, schema_overrides={"name_en": pl.String}), actor="cli:test")
    reminders.set_preferred_language(store, AR_ORG, "ar", actor="cli:test", source="test")
    for org, address in MAIL.items():
        accounts.create_account(store, org.lower(), "member", org_code=org, email=address)
    accounts.create_account(store, "comite", "steering", email="committee@network.test", password=COMMITTEE_PASSWORD)
    set_quarters(store, 30)
    for org in MAIL:
        upload(store, framework, org, "2026-Q1", datetime(2026, 4, 10))
    return store


def member_outcomes(store: Store, framework, today: date, **options) -> list[remind.Outcome]:
    return [o for o in remind.run(store, framework, today=today, actor="cli:test", **options)
            if o.audience == "member"]


def body(message) -> str:
    return strip_isolates(message.get_body(("plain",)).get_content())


def test_a_late_organisation_gets_the_late_reminder_on_the_day_after_the_calendars_deadline_with_its_template_in_french_and_arabic(  # noqa: E501
        cycle: Store, framework, inbox: Inbox) -> None:  # noqa: F811
    before = member_outcomes(cycle, framework, BEFORE)
    assert {(o.org_code, o.period, o.kind, o.day) for o in before} == {
        (FR_ORG, "2026-Q2", "due", "2026-07-23"), (AR_ORG, "2026-Q2", "due", "2026-07-23")}
    assert member_outcomes(cycle, framework, DEADLINE) == []  # no step falls on the deadline itself
    after = member_outcomes(cycle, framework, AFTER)
    assert {(o.org_code, o.period, o.kind, o.day) for o in after} == {
        (FR_ORG, "2026-Q2", "late", "2026-07-31"), (AR_ORG, "2026-Q2", "late", "2026-07-31")}
    for org, lang, late_word in ((FR_ORG, "fr", "en retard"), (AR_ORG, "ar", "متأخرة")):
        message = inbox.to(MAIL[org])[-1]
        subject = strip_isolates(message["Subject"])
        assert message["Content-Language"] == lang and late_word in subject and "2026-Q2" in subject
        assert strip_isolates(fmt.date_text(DEADLINE, lang)) in subject  # the calendar's deadline, not the framework's
        book = load_workbook(io.BytesIO(attachments(message)[f"athar_{org}_2026-Q2.xlsx"]))
        sheet = book.worksheets[0]
        first = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
        assert first[0] == org and first[3] == "2026-Q2"
        assert bool(sheet.sheet_view.rightToLeft) == (lang == "ar")


def test_a_returned_submissions_reminder_carries_the_committees_comment_and_its_comment_on_a_value(
        cycle: Store, framework, inbox: Inbox) -> None:  # noqa: F811
    sent = upload(cycle, framework, AR_ORG, "2026-Q2", datetime(2026, 7, 20), value=150)
    review.return_submission(cycle, sent, COMMENT, actor="account:comite",
                             values=[review.ValueComment("R01", "2026-Q2", VALUE_COMMENT, line=2)])
    outcomes = member_outcomes(cycle, framework, AFTER, on_demand=True)
    assert {(o.org_code, o.kind) for o in outcomes} == {(FR_ORG, "late"), (AR_ORG, "returned")}
    [message] = inbox.to(MAIL[AR_ORG])
    text = body(message)
    framed = strip_isolates(t("remind.body.value_comment", "ar", indicator="R01", line="2", comment=VALUE_COMMENT))
    assert COMMENT in text and framed in text and "للتصحيح" in strip_isolates(message["Subject"])
    assert f"athar_{AR_ORG}_2026-Q2.xlsx" in attachments(message)  # the template still goes with it
    whatsapp = strip_isolates(next(o.whatsapp for o in outcomes if o.org_code == AR_ORG))
    assert COMMENT in whatsapp and framed in whatsapp  # the text the committee pastes says as much
    assert COMMENT not in body(inbox.to(MAIL[FR_ORG])[0])


def test_a_returned_period_is_reminded_on_the_schedule_from_the_day_it_was_returned(
        cycle: Store, framework, inbox: Inbox) -> None:  # noqa: F811
    sent = upload(cycle, framework, AR_ORG, "2026-Q2", datetime(2026, 7, 20))
    review.return_submission(cycle, sent, COMMENT, actor="account:comite")
    returned_on = cycle.scalar("SELECT reviewed_at::DATE FROM submissions WHERE id = ?", [sent])

    def q2(outcomes: list[remind.Outcome]) -> list[tuple[str, str]]:
        return [(o.kind, o.day) for o in outcomes if (o.org_code, o.period) == (AR_ORG, "2026-Q2")]

    assert q2(member_outcomes(cycle, framework, returned_on)) == [("returned", returned_on.isoformat())]
    assert q2(member_outcomes(cycle, framework, returned_on)) == []  # once


def test_a_submitted_or_approved_organisation_gets_no_reminder(cycle: Store, framework, inbox: Inbox) -> None:  # noqa: F811
    assert set(remind.preview(cycle, framework, AFTER)["org_code"]) == {FR_ORG, AR_ORG}
    upload(cycle, framework, FR_ORG, "2026-Q2", datetime(2026, 7, 20))  # submitted, awaiting review
    review.approve(cycle, upload(cycle, framework, AR_ORG, "2026-Q2", datetime(2026, 7, 21)), actor="account:comite")
    assert remind.preview(cycle, framework, AFTER).is_empty()
    assert member_outcomes(cycle, framework, AFTER) == [] and member_outcomes(cycle, framework, AFTER,
                                                                              on_demand=True) == []
    assert all(not inbox.to(address) for address in MAIL.values())


def test_changing_the_calendars_deadline_changes_who_is_reminded_and_the_deadline_they_read(
        cycle: Store, framework) -> None:
    late = remind.reminder_plan(cycle, framework, AFTER, on_demand=False)
    assert set(late["org_code"]) == {FR_ORG, AR_ORG} and set(late["kind"]) == {"late"}
    set_quarters(cycle, 60)  # 29 August: on 31 July nothing is late and no step falls before it
    assert remind.reminder_plan(cycle, framework, AFTER, on_demand=False).is_empty()
    now = remind.preview(cycle, framework, AFTER)
    assert set(now["kind"]) == {"due"} and set(now["deadline"]) == {date(2026, 8, 29)}
    assert all(strip_isolates(fmt.date_text(date(2026, 8, 29), "fr")) in strip_isolates(w)
               for w in now.filter(pl.col("org_code") == FR_ORG)["whatsapp"])
    calendar.set_calendar(cycle, "quarter", remove=[AR_ORG], actor="account:comite", source="test",
                          default_year=2026)  # AR_ORG no longer reports quarters
    assert set(remind.preview(cycle, framework, AFTER)["org_code"]) == {FR_ORG}


def test_the_whatsapp_text_names_the_same_next_steps_as_the_email_for_each_status(
        cycle: Store, framework, inbox: Inbox) -> None:  # noqa: F811
    refused = f"org_code,indicator_code,period,value\n{FR_ORG},R01,2026-Q2,beaucoup\n".encode()
    assert load_file(cycle, refused, "t2.csv", framework=framework, member_org=FR_ORG,
                     uploaded_by=f"member:{FR_ORG}").status == "rejected"
    sent = upload(cycle, framework, AR_ORG, "2026-Q2", datetime(2026, 7, 20))
    review.return_submission(cycle, sent, COMMENT, actor="account:comite")
    member_outcomes(cycle, framework, BEFORE, on_demand=True)  # due (FR, with its refused file), returned (AR)
    member_outcomes(cycle, framework, AFTER, on_demand=True)  # late (FR)
    stored = cycle.query("SELECT org_code, kind, lang, body, whatsapp, attachments FROM messages "
                         "WHERE audience = 'member' ORDER BY id")
    assert set(zip(stored["org_code"], stored["kind"], strict=True)) == {(AR_ORG, "returned"), (FR_ORG, "due"),
                                                                         (FR_ORG, "late")}
    for row in stored.iter_rows(named=True):
        mail_text, whatsapp = strip_isolates(row["body"]), strip_isolates(row["whatsapp"])
        deadline = strip_isolates(fmt.date_text(DEADLINE, row["lang"]))
        for step in ("t2.csv", COMMENT, deadline, "http"):
            assert (step in mail_text) == (step in whatsapp), (row["kind"], step)
        assert ("t2.csv" in whatsapp) == (row["org_code"] == FR_ORG)
        assert (COMMENT in whatsapp) == (row["kind"] == "returned")
        copy = [steps.annotated_file_name("t2.csv", "fr")] if row["org_code"] == FR_ORG else []
        assert row["attachments"] == [f"athar_{row['org_code']}_2026-Q2.xlsx", *copy]  # both still attached


def test_the_command_line_dry_run_lists_the_plan_the_page_shows(cycle: Store, db_path: Path, monkeypatch) -> None:
    from dashboard.testing import open_page, start
    from store.db import open_store
    from store.registry import framework_in_use

    sent = upload(cycle, framework_in_use(cycle), AR_ORG, "2026-Q2", datetime(2026, 7, 20))
    review.return_submission(cycle, sent, COMMENT, actor="account:comite")
    cycle.close()  # the child process opens the file
    result = subprocess.run([sys.executable, "-m", "store", "remind", "send", "--now", "--dry-run", "--json",
                             "--db", str(db_path), "--today", AFTER.isoformat()], cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    listed = [o for o in json.loads(result.stdout) if o["audience"] == "member"]
    assert [(o["org_code"], o["period"], o["kind"], o["status"]) for o in listed] == [
        (AR_ORG, "2026-Q2", "returned", "planned"), (FR_ORG, "2026-Q2", "late", "planned")]

    monkeypatch.setenv("ATHAR_TEST_TODAY", AFTER.isoformat())
    handle = open_store(db_path)  # the session below runs in this process and shares the handle
    planned = remind.preview(handle, framework_in_use(handle), AFTER)
    assert planned.select("org_code", "period", "kind").rows() == [(o["org_code"], o["period"], o["kind"])
                                                                   for o in listed]
    at = open_page(start(db_path, identity="comite", password=COMMITTEE_PASSWORD), "reminders")
    assert not at.exception
    assert [c.value for c in at.code] == [o["whatsapp"] for o in listed]
    assert handle.scalar("SELECT count(*) FROM messages") == 0  # neither door sent anything
