"""SQL of reminders and notifications: the committee's schedule, who to write to and in which
language, which files arrived (and whether they correct approved values), and the ``messages`` table.
What each organisation owes is the calendar's (``store.reads.calendar.statuses``).

Every message is written with its audit entry (``message_sent`` or ``message_failed``) in one
transaction; the schedule and an organisation's language change with theirs. Composing and
sending live in ``notify`` (which may use the importer's template and annotated copy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import polars as pl

from i18n import LANGUAGES
from store.audit import record_in
from store.db import Store, utc_now
from store.errors import StoreError
from store.viewer import Viewer

#: Member reminders follow the calendar's statuses (due, late, returned); the committee's notifications
#: say a file arrived or corrected approved values.
MEMBER_KINDS = ("due", "late", "returned")
KINDS = (*MEMBER_KINDS, "arrival", "correction")
#: Statuses that settle a key: sent, or nobody to send it to (the committee copies the WhatsApp text).
SETTLED = ("sent", "no_address")
#: The furthest a schedule step may sit from the deadline (a year either side).
MAX_OFFSET_DAYS = 366


class ReminderError(StoreError):
    """A refused schedule or language change (``remind.errors.<code>``)."""

    catalogue = "remind.errors"


@dataclass(frozen=True)
class Message:
    """One message as ``messages`` holds it (the e-mail itself is built in ``notify``)."""

    org_code: str
    period: str
    kind: str
    day: date
    audience: str  # member | committee
    lang: str
    recipients: tuple[str, ...]
    subject: str
    body: str
    whatsapp: str | None = None
    attachments: tuple[str, ...] = field(default=())


# -- the schedule ------------------------------------------------------------------------------
def schedule(store: Store) -> list[int]:
    """The committee's steps, in days from the deadline (negative = before), earliest first."""
    return store.column("SELECT offset_days FROM reminder_schedule ORDER BY offset_days")


def set_schedule(store: Store, offsets: list[int], *, actor: str, source: str) -> list[int]:
    """Replace the schedule, with the ``reminder_schedule_changed`` audit entry; returns it sorted."""
    steps = sorted(set(int(o) for o in offsets))
    if any(abs(o) > MAX_OFFSET_DAYS for o in steps):
        raise ReminderError("offset_out_of_range", limit=MAX_OFFSET_DAYS)

    def work(cur: duckdb.DuckDBPyConnection) -> list[int]:
        before = [r[0] for r in cur.execute("SELECT offset_days FROM reminder_schedule ORDER BY 1").fetchall()]
        cur.execute("DELETE FROM reminder_schedule")
        now = utc_now()
        for offset in steps:
            cur.execute("INSERT INTO reminder_schedule VALUES (?, ?, ?)", [offset, actor, now])
        record_in(cur, actor, "reminder_schedule_changed", target="reminders:schedule",
                  detail={"before": before, "after": steps, "source": source})
        return steps

    return store.write(work)


# -- organisations and their contacts ------------------------------------------------------------
def set_preferred_language(store: Store, org_code: str, lang: str, *, actor: str, source: str) -> None:
    """The language Athar writes to ``org_code`` in, audited as a registry change."""
    if lang not in LANGUAGES:
        raise ReminderError("unknown_language", lang=lang)

    def work(cur: duckdb.DuckDBPyConnection) -> None:
        rows = cur.execute("SELECT preferred_lang FROM organizations WHERE code = ?", [org_code]).fetchall()
        if not rows:
            raise ReminderError("unknown_org", org=org_code)
        cur.execute("UPDATE organizations SET preferred_lang = ?, updated_at = ? WHERE code = ?",
                    [lang, utc_now(), org_code])
        record_in(cur, actor, "registry_changed", target=f"org:{org_code}",
                  detail={"preferred_lang": lang, "before": rows[0][0], "source": source})

    store.write(work)


def member_contacts(store: Store) -> pl.DataFrame:
    """Active organisations: names, preferred language and the e-mails of their active member accounts."""
    return store.query(
        """
        WITH mail AS (
            SELECT org_code, list(DISTINCT email ORDER BY email) AS emails
            FROM accounts WHERE active AND role = 'member' AND email IS NOT NULL AND email <> ''
            GROUP BY org_code
        )
        SELECT o.code AS org_code, o.name_fr, o.name_ar, o.name_en,
               coalesce(o.preferred_lang, 'fr') AS lang,
               coalesce(m.emails, []::VARCHAR[]) AS emails
        FROM organizations o LEFT JOIN mail m ON m.org_code = o.code
        WHERE o.active
        ORDER BY o.code
        """
    )


def committee_emails(store: Store) -> list[str]:
    """The addresses of the active steering accounts (arrival and correction notifications)."""
    return store.column("SELECT DISTINCT email FROM accounts WHERE active AND role = 'steering' "
                        "AND email IS NOT NULL AND email <> '' ORDER BY email")


def last_rejections(store: Store) -> pl.DataFrame:
    """Per organisation, its last rejected file when no file of it was accepted since:
    (org_code, file_name, content_sha256, rejected_at)."""
    return store.query(
        """
        WITH rejected AS (
            SELECT detail->>'org' AS org_code, detail->>'file' AS file_name, detail->>'sha256' AS content_sha256,
                   logged_at AS rejected_at,
                   row_number() OVER (PARTITION BY detail->>'org' ORDER BY logged_at DESC, id DESC) AS n
            FROM audit_log WHERE action = 'upload_rejected' AND detail->>'org' IS NOT NULL
              AND coalesce(detail->>'status', 'rejected') = 'rejected'  -- not a locked period's refusal
        )
        SELECT r.org_code, r.file_name, r.content_sha256, r.rejected_at
        FROM rejected r
        WHERE r.n = 1 AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.org_code = r.org_code
                                      AND s.uploaded_at > r.rejected_at)
        """
    )


def arrivals(store: Store, since: date) -> pl.DataFrame:
    """Files accepted on or after ``since``, per organisation, period and upload day:
    (org_code, period, day, kind = arrival | correction, files, values). A file for a period the
    committee had approved (an earlier approved submission holds values for it, or it was locked and
    reopened) is a correction; a file for a period still under review (submitted or returned) is an
    arrival, whether or not it replaces values."""
    return store.query(
        """
        WITH per_submission AS (
            SELECT s.id, s.org_code, s.file_name, s.uploaded_at::DATE AS day, o.period,
                   count(*) AS n_values,
                   EXISTS (SELECT 1 FROM observations c JOIN submissions a ON a.id = c.submission_id
                           WHERE c.org_code = s.org_code AND c.period = o.period AND c.submission_id < s.id
                             AND a.review_status = 'approved')
                   OR EXISTS (SELECT 1 FROM period_locks l WHERE l.org_code = s.org_code AND l.period = o.period
                              AND l.locked_at < s.uploaded_at) AS corrects
            FROM submissions s JOIN observations o ON o.submission_id = s.id
            WHERE s.uploaded_at::DATE >= ? AND o.org_code = s.org_code
            GROUP BY s.id, s.org_code, s.file_name, s.uploaded_at, o.period
        )
        SELECT org_code, period, day,
               CASE WHEN bool_or(corrects) THEN 'correction' ELSE 'arrival' END AS kind,
               list(DISTINCT file_name ORDER BY file_name) AS files, sum(n_values)::BIGINT AS "values"
        FROM per_submission
        GROUP BY org_code, period, day
        ORDER BY day, org_code, period
        """,
        [since],
    )


# -- messages ------------------------------------------------------------------------------------
def sent_keys(store: Store, since: date) -> pl.DataFrame:
    """(org_code, period, kind, day) of every settled message on or after ``since`` (the idempotency key)."""
    return store.query("SELECT DISTINCT org_code, period, kind, day FROM messages "
                       "WHERE list_contains(?, status) AND day >= ?", [list(SETTLED), since])


def record_message(store: Store, message: Message, *, status: str, error: str | None, actor: str) -> int | None:
    """Write one message and its audit entry in one transaction; returns its id, or None when a
    message of the same key was sent meanwhile (nothing is written then)."""

    def work(cur: duckdb.DuckDBPyConnection) -> int | None:
        key = [message.org_code, message.period, message.kind, message.day]
        if status in SETTLED and cur.execute(
                "SELECT count(*) FROM messages WHERE org_code = ? AND period = ? AND kind = ? AND day = ? "
                "AND list_contains(?, status)", [*key, list(SETTLED)]).fetchall()[0][0]:
            return None
        message_id = cur.execute(
            "INSERT INTO messages (org_code, period, kind, day, audience, lang, recipients, subject, body, whatsapp, "
            "attachments, status, error, sent_at, sent_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            [*key, message.audience, message.lang, list(message.recipients), message.subject, message.body,
             message.whatsapp, list(message.attachments), status, error, utc_now(), actor],
        ).fetchall()[0][0]
        record_in(cur, actor, "message_sent" if status == "sent" else "message_failed",
                  target=f"message:{message_id}", outcome="ok" if status == "sent" else "refused",
                  detail={"org": message.org_code, "period": message.period, "kind": message.kind,
                          "day": message.day.isoformat(), "audience": message.audience, "lang": message.lang,
                          "recipients": list(message.recipients), "subject": message.subject,
                          "attachments": list(message.attachments), "error": error})
        return message_id

    return store.write(work)


def recent_messages(store: Store, viewer: Viewer, limit: int = 200) -> pl.DataFrame:
    """The newest messages first; the steering committee only (anyone else gets no rows)."""
    return store.query(
        "SELECT id, sent_at, org_code, period, kind, day, audience, lang, recipients, subject, whatsapp, "
        "attachments, status, error FROM messages WHERE $steering ORDER BY id DESC LIMIT $limit",
        {"steering": viewer.role == "steering", "limit": int(limit)},
    )
