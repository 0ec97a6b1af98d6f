"""Reminders and notifications: real e-mails through a real SMTP server on localhost (aiosmtpd).

Real DuckDB files, the real importer (an accepted and a rejected file), the real command line in a
child process; the received messages are parsed and their attachments opened with openpyxl.
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import socket
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from conftest import REPO, database_of
from openpyxl import load_workbook

from i18n.bidi import strip_isolates
from ingest.pipeline import load_file
from notify import mail, remind
from store import accounts, reminders, review
from store.db import Store
from store.registry import upsert_organizations

LATE = "ASS-RTD-001"  # reported 2024 only, writes in Arabic, its last file (2025) was rejected
ON_TIME = "ASS-OKT-002"  # reported 2025
TODAY = date(2026, 12, 6)  # 2025 was due on 31 March 2026 (period end + 90 days)
SMTP_USER, SMTP_PASSWORD = "athar-mailer", "s3cret-smtp-password-never-stored"
BAD_2025 = f"org_code,indicator_code,period,value\n{LATE},R01,2025,beaucoup\n"


class Inbox:
    """What the SMTP server received (aiosmtpd calls these from its own thread)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 — aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        ok = (auth_data.login.decode(), auth_data.password.decode()) == (SMTP_USER, SMTP_PASSWORD)
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in m["To"]]


#: The store, the command line and the reminders page on both backends.
pytestmark = pytest.mark.backends("duckdb", "postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox(monkeypatch) -> Inbox:
    received = Inbox()
    port = free_port()
    controller = Controller(received, hostname="127.0.0.1", port=port, authenticator=received.authenticate,
                            auth_require_tls=False)
    controller.start()
    for name, value in {"ATHAR_SMTP_HOST": "127.0.0.1", "ATHAR_SMTP_PORT": str(port), "ATHAR_SMTP_TLS": "none",
                        "ATHAR_SMTP_USER": SMTP_USER, "ATHAR_SMTP_PASSWORD": SMTP_PASSWORD,
                        "ATHAR_SMTP_SENDER": "Athar <athar@network.test>", "ATHAR_LANG": "fr"}.items():
        monkeypatch.setenv(name, value)
    yield received
    controller.stop()


@pytest.fixture
def network(store: Store, framework) -> Store:
    """Two members with an e-mail each and the committee: one late (last file rejected), one on time."""
    orgs = pl.DataFrame({
        "code": [LATE, ON_TIME], "name_fr": ["Association Retard", "Association Ponctuelle"],
        "name_ar": ["جمعية التأخر", "جمعية الالتزام"], "name_en": [None, None],
        "kind": ["association", "association"], "region": ["MA-06", "MA-06"],
        "thematic_areas": [["health"], ["health"]], "size_band": ["small", "small"],
    }, schema_overrides={"name_en": pl.String})
    upsert_organizations(store, orgs, actor="cli:test")
    reminders.set_preferred_language(store, LATE, "ar", actor="cli:test", source="test")
    accounts.create_account(store, "retard", "member", org_code=LATE, email="late@assoc.test")
    accounts.create_account(store, "ponctuel", "member", org_code=ON_TIME, email="ontime@assoc.test")
    accounts.create_account(store, "comite", "steering", email="committee@network.test")
    for org, period, when in ((LATE, "2024", datetime(2025, 6, 1)), (ON_TIME, "2025", datetime(2026, 12, 5, 10))):
        data = f"org_code,indicator_code,period,value\n{org},R01,{period},120\n".encode()
        assert load_file(store, data, f"{org}.csv", framework=framework, member_org=org, uploaded_by=f"member:{org}",
                         uploaded_at=when).accepted
    rejected = load_file(store, BAD_2025.encode(), "donnees_2025.csv", framework=framework, member_org=LATE,
                         uploaded_by=f"member:{LATE}")
    assert rejected.status == "rejected"
    return store


def send(store: Store, framework, **options) -> list[remind.Outcome]:
    return remind.run(store, framework, today=TODAY, actor="cli:test", **options)


def attachments(message: email.message.EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}


# -- member reminders -------------------------------------------------------------------------------
def test_a_late_organisation_gets_its_reminder_in_its_language_with_the_prefilled_template(
        network: Store, framework, inbox: Inbox) -> None:
    send(network, framework)
    [message] = inbox.to("late@assoc.test")
    assert message["Content-Language"] == "ar"
    subject, body = strip_isolates(message["Subject"]), strip_isolates(message.get_body(("plain",)).get_content())
    assert "متأخرة" in subject and "2025" in subject and "جمعية التأخر" in subject
    assert "الخطوة التالية" in body and f"athar_{LATE}_2025.xlsx" in body
    book = load_workbook(io.BytesIO(attachments(message)[f"athar_{LATE}_2025.xlsx"]))
    rows = [[c.value for c in row] for row in book.worksheets[0].iter_rows(min_row=2, max_row=4)]
    assert all(row[0] == LATE and row[3] == "2025" and row[4] is None for row in rows)
    assert book.worksheets[0].sheet_view.rightToLeft  # the template is in Arabic too


def test_the_reminder_carries_the_annotated_copy_of_the_last_rejected_file(network: Store, framework,
                                                                             inbox: Inbox) -> None:
    send(network, framework)
    [message] = inbox.to("late@assoc.test")
    files = attachments(message)
    copy = files["donnees_2025_اخطاء.csv"].decode("utf-8-sig")
    header, line = copy.splitlines()[:2]
    assert "أخطاء أثر" in header and "beaucoup" in line and line.count(";") + line.count(",") >= 4
    assert "donnees_2025.csv" in strip_isolates(message.get_body(("plain",)).get_content())


def test_an_organisation_that_reported_gets_no_reminder(network: Store, framework, inbox: Inbox) -> None:
    outcomes = send(network, framework)
    assert inbox.to("ontime@assoc.test") == []
    assert [(o.org_code, o.kind) for o in outcomes if o.audience == "member"] == [(LATE, "late")]


def test_sending_again_the_same_day_sends_nothing_more(network: Store, framework, inbox: Inbox) -> None:
    first = send(network, framework)
    again = send(network, framework) + send(network, framework, on_demand=False)
    assert len(inbox.messages) == len(first) == 2 and again == []
    assert network.scalar("SELECT count(*) FROM messages WHERE status = 'sent'") == 2


def test_on_demand_the_day_is_today_and_it_too_goes_once(network: Store, framework, inbox: Inbox) -> None:
    send(network, framework)
    now = [o for o in send(network, framework, on_demand=True) if o.audience == "member"]
    assert [(o.org_code, o.day, o.status) for o in now] == [(LATE, TODAY.isoformat(), "sent")]
    assert send(network, framework, on_demand=True) == []
    assert len(inbox.to("late@assoc.test")) == 2


def test_a_step_before_the_deadline_sends_a_due_reminder_and_is_not_caught_up_once_it_has_passed(
        network: Store, framework, inbox: Inbox) -> None:
    reminders.set_schedule(network, [-7], actor="cli:test", source="test")
    assert [o for o in send(network, framework) if o.audience == "member"] == []  # 31 March 2026 is gone
    early = remind.run(network, framework, today=date(2026, 3, 26), actor="cli:test")
    member = [o for o in early if o.audience == "member"]
    assert [(o.org_code, o.kind, o.day) for o in member] == [(LATE, "due", "2026-03-24")]  # ON_TIME has reported
    [message] = inbox.to("late@assoc.test")
    assert "مطلوبة في أجل أقصاه" in strip_isolates(message["Subject"]) and "2026" in message["Subject"]


def test_the_schedule_is_stored_and_every_change_audited(network: Store) -> None:
    assert reminders.schedule(network) == [-7, 1, 14]
    reminders.set_schedule(network, [30, -3, 30], actor="account:comite", source="test")
    assert reminders.schedule(network) == [-3, 30]
    detail = json.loads(network.scalar("SELECT detail FROM audit_log WHERE action = 'reminder_schedule_changed'"))
    assert detail["before"] == [-7, 1, 14] and detail["after"] == [-3, 30]
    with pytest.raises(reminders.ReminderError):
        reminders.set_schedule(network, [400], actor="account:comite", source="test")
    assert reminders.schedule(network) == [-3, 30]


# -- committee notifications ------------------------------------------------------------------------
def test_the_committee_is_told_when_a_file_arrives(network: Store, framework, inbox: Inbox) -> None:
    send(network, framework)
    [message] = inbox.to("committee@network.test")
    assert message["Content-Language"] == "fr"
    assert message["Subject"] == "Athar — Association Ponctuelle a envoyé ses indicateurs 2025"
    assert f"{ON_TIME}.csv" in message.get_body(("plain",)).get_content()


def test_a_file_replacing_values_of_a_period_still_under_review_is_told_as_an_arrival(
        network: Store, framework, inbox: Inbox) -> None:
    data = f"org_code,indicator_code,period,value\n{ON_TIME},R01,2025,150\n".encode()
    assert load_file(network, data, "correction.csv", framework=framework, member_org=ON_TIME,
                     uploaded_by=f"member:{ON_TIME}", uploaded_at=datetime(2026, 12, 6, 9)).accepted
    send(network, framework)
    subjects = sorted(m["Subject"] for m in inbox.to("committee@network.test"))
    assert subjects == ["Athar — Association Ponctuelle a envoyé ses indicateurs 2025"] * 2


def test_a_correction_of_an_approved_period_reopened_for_it_is_told_as_a_correction_after_approval(
        network: Store, framework, inbox: Inbox) -> None:
    first = network.scalar("SELECT max(id) FROM submissions WHERE org_code = ?", [ON_TIME])
    review.approve(network, first, actor="account:comite")
    data = f"org_code,indicator_code,period,value\n{ON_TIME},R01,2025,150\n".encode()
    with pytest.raises(review.PeriodLocked):  # locked: the correction needs a reopened period
        load_file(network, data, "correction.csv", framework=framework, member_org=ON_TIME,
                  uploaded_by=f"member:{ON_TIME}", uploaded_at=datetime(2026, 12, 6, 9))
    request = review.request_reopen(network, ON_TIME, "2025", "R01 mal compté", actor=f"member:{ON_TIME}")
    review.decide_reopen(network, request, grant=True, actor="account:comite")
    assert load_file(network, data, "correction.csv", framework=framework, member_org=ON_TIME,
                     uploaded_by=f"member:{ON_TIME}", uploaded_at=datetime(2026, 12, 6, 9)).accepted
    send(network, framework)
    told = {m["Subject"]: m.get_body(("plain",)).get_content() for m in inbox.to("committee@network.test")}
    assert sorted(told) == ["Athar — Association Ponctuelle a corrigé ses indicateurs 2025 déjà approuvés",
                            "Athar — Association Ponctuelle a envoyé ses indicateurs 2025"]
    body = told["Athar — Association Ponctuelle a corrigé ses indicateurs 2025 déjà approuvés"]
    assert "que le comité avait approuvée" in body and "correction.csv" in body


# -- audit, secrets, failures, dry run ----------------------------------------------------------------
def test_every_message_is_audited_with_its_record_and_never_a_password(network: Store, framework,
                                                                       inbox: Inbox) -> None:
    send(network, framework)
    assert inbox.logins and set(inbox.logins) == {(SMTP_USER, SMTP_PASSWORD)}  # the server did ask for it
    audit = network.query("SELECT actor, target, detail::VARCHAR AS detail FROM audit_log "
                          "WHERE action = 'message_sent' ORDER BY id")
    stored = network.query("SELECT id, org_code, kind, recipients FROM messages ORDER BY id")
    assert audit["target"].to_list() == [f"message:{i}" for i in stored["id"]]
    assert set(audit["actor"]) == {"cli:test"}
    late = json.loads(audit["detail"][0])
    assert (late["org"], late["kind"], late["recipients"]) == (LATE, "late", ["late@assoc.test"])
    everything = " ".join(network.query("SELECT detail::VARCHAR AS d FROM audit_log")["d"].drop_nulls()) + " ".join(
        str(r) for r in network.query("SELECT * FROM messages").rows())
    assert SMTP_PASSWORD not in everything and SMTP_USER not in everything


def test_a_failed_send_is_recorded_and_retried_at_the_next_run(network: Store, framework, inbox: Inbox,
                                                               monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_SMTP_PASSWORD", "wrong-password")
    failed = send(network, framework)
    assert {o.status for o in failed} == {"failed"} and inbox.messages == []
    assert network.scalar("SELECT count(*) FROM audit_log WHERE action = 'message_failed' AND outcome = 'refused'") == 2
    assert "wrong-password" not in network.scalar("SELECT string_agg(error, ' ') FROM messages")
    monkeypatch.setenv("ATHAR_SMTP_PASSWORD", SMTP_PASSWORD)
    assert {o.status for o in send(network, framework)} == {"sent"} and len(inbox.messages) == 2


def test_a_dry_run_composes_but_sends_and_writes_nothing(network: Store, framework, inbox: Inbox) -> None:
    audit_before = network.scalar("SELECT count(*) FROM audit_log")
    planned = send(network, framework, dry_run=True)
    assert {o.status for o in planned} == {"planned"} and len(planned) == 2
    assert "جمعية التأخر" in strip_isolates(planned[0].whatsapp)
    assert inbox.messages == [] and network.scalar("SELECT count(*) FROM messages") == 0
    assert network.scalar("SELECT count(*) FROM audit_log") == audit_before


def test_without_smtp_settings_nothing_is_sent_and_the_reason_is_given(network: Store, framework,
                                                                       monkeypatch) -> None:
    monkeypatch.delenv("ATHAR_SMTP_HOST", raising=False)
    with pytest.raises(mail.MailNotConfigured):
        send(network, framework)
    assert network.scalar("SELECT count(*) FROM messages") == 0


def test_the_command_line_sends_with_json(network: Store, inbox: Inbox) -> None:
    db_path = database_of(network)
    network.close()  # the child process opens the file
    result = subprocess.run([sys.executable, "-m", "store", "remind", "send", "--db", str(db_path), "--today",
                             TODAY.isoformat(), "--json"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    outcomes = json.loads(result.stdout)
    assert [(o["org_code"], o["kind"], o["status"]) for o in outcomes] == [(LATE, "late", "sent"),
                                                                          (ON_TIME, "arrival", "sent")]
    assert SMTP_PASSWORD not in result.stdout + result.stderr
    assert len(inbox.to("late@assoc.test")) == 1
    again = subprocess.run([sys.executable, "-m", "store", "remind", "send", "--db", str(db_path), "--today",
                            TODAY.isoformat(), "--dry-run", "--json"], cwd=REPO, capture_output=True, text=True,
                           timeout=300)
    assert json.loads(again.stdout) == []


# -- the page ---------------------------------------------------------------------------------------
def test_the_committee_sets_the_schedule_copies_whatsapp_texts_and_sends_from_the_page(
        demo_copy: Path, inbox: Inbox, monkeypatch) -> None:
    from dashboard.testing import open_page, start
    from i18n import t
    from store.db import open_store
    from store.registry import framework_in_use

    monkeypatch.setenv("ATHAR_TEST_TODAY", TODAY.isoformat())
    store = open_store(demo_copy)  # the session below runs in this process and shares the handle
    planned = remind.preview(store, framework_in_use(store), TODAY)
    assert not planned.is_empty()
    org, whatsapp = planned["org_code"][0], planned["whatsapp"][0]
    accounts.create_account(store, "relance", "member", org_code=org, email="relance@assoc.test")
    at = open_page(start(demo_copy, identity="steering"), "reminders")
    assert whatsapp in [c.value for c in at.code]  # ready to copy

    at.text_input(key="reminders_offsets").input("-3, 21")
    next(b for b in at.button if b.label == t("dashboard.reminders.save_schedule", "fr")).click().run()
    assert reminders.schedule(store) == [-3, 21]
    assert store.scalar("SELECT actor FROM audit_log WHERE action = 'reminder_schedule_changed' "
                        "ORDER BY id DESC LIMIT 1") == "account:comite"  # the demo set the first one

    at.button(key="reminders_send").click().run()
    assert not at.exception and at.success
    messages = inbox.to("relance@assoc.test")  # one per period due or late (the demo asks years and quarters)
    assert any(f"athar_{org}_{planned['period'][0]}.xlsx" in attachments(m) for m in messages)
    sent = store.query("SELECT m.status, a.actor FROM messages m JOIN audit_log a ON a.target = 'message:' || m.id "
                       "WHERE m.org_code = ? AND m.audience = 'member'", [org])
    assert sent.height and set(sent.rows()) == {("sent", "account:comite")}


def test_the_reminders_page_reads_in_arabic(demo_db: Path, monkeypatch) -> None:
    from dashboard.testing import open_page, start, visible_text

    monkeypatch.setenv("ATHAR_TEST_TODAY", TODAY.isoformat())
    at = open_page(start(demo_db, identity="steering", lang="ar"), "reminders")
    assert not at.exception and at.title[0].value == "التذكيرات"
    text = visible_text(at)
    assert "الأيام نسبةً إلى آخر أجل" in text and "نصوص للصق في واتساب" in text
    # the WhatsApp texts are in each member's language (French, Arabic for eleven demo members:
    # data/demo/cycle.toml), whatever the committee reads
    starts = {c.value.split("!")[0].strip() for c in at.code}
    assert starts == {"Bonjour", "السلام عليكم"}


def test_the_schedule_and_an_organisations_language_are_set_from_the_command_line_and_audited(
        network: Store) -> None:
    db_path = database_of(network)
    network.close()  # the child processes open the file

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "store", "remind", *args, "--db", str(db_path)], cwd=REPO,
                              capture_output=True, text=True, timeout=300)

    assert cli("schedule", "set", "--offset", "-3", "--offset", "10").returncode == 0
    assert json.loads(cli("schedule", "show", "--json").stdout) == {"offset_days": [-3, 10]}
    assert cli("lang", ON_TIME, "en").returncode == 0
    assert cli("schedule", "set", "--offset", "500").returncode == 1  # refused, translated, nothing written
    reopened = Store(db_path)
    try:
        assert reopened.scalar("SELECT preferred_lang FROM organizations WHERE code = ?", [ON_TIME]) == "en"
        actions = reopened.query("SELECT action, actor FROM audit_log WHERE action IN "
                                 "('reminder_schedule_changed', 'registry_changed') AND actor LIKE 'cli:%' "
                                 "AND actor <> 'cli:test' ORDER BY id")
        assert actions["action"].to_list() == ["reminder_schedule_changed", "registry_changed"]
        assert reminders.schedule(reopened) == [-3, 10]
    finally:
        reopened.close()
