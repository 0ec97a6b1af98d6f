"""Who gets a reminder or a notification today, and sending them: on the committee's schedule
(``python -m store remind send``, run daily) or on demand (``--now``, the page's button).

What an organisation owes is the reporting calendar's: the statuses of
``store.reads.calendar.statuses`` (the same read as the member home, the Calendar page and
``python -m store calendar status``, with its default rule before the committee sets a calendar).
A member organisation is reminded of each period whose status is *due* (before the calendar's
deadline), *late* (after it) or *returned* (the committee's comments travel with it); never of one
submitted or approved. On the schedule, the step that applies is the latest ``deadline + offset``
not after today (a day the job did not run is caught up once, with the latest step only; a step
before the deadline is not caught up once it has passed); a returned period is reminded on the
first run after its return, then on the steps that follow it. On demand, the day is today. One
message per (organisation, period, kind, day) is sent, however often either door runs: the
``messages`` table is the key's memory.

The committee is told of files accepted in the last :data:`ARRIVAL_WINDOW_DAYS` days, one message per
organisation, period and upload day: ``correction`` when the period had been approved (the values
are corrected after approval), ``arrival`` when it is new or still under review.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from datetime import date, timedelta

import polars as pl

import settings
from framework.model import Framework
from i18n import normalise_language
from notify import compose, mail, steps
from store import reminders
from store.db import Store
from store.reads import calendar as calendar_reads
from store.reminders import Message
from store.viewer import Viewer

ARRIVAL_WINDOW_DAYS = 7
#: Reminders are the network's business, whoever presses the button: the calendar is read whole.
SYSTEM = Viewer.steering("system")
#: One run at a time in this process (the page's button pressed twice, the button during a run).
_RUN_LOCK = threading.Lock()


@dataclass(frozen=True)
class Outcome:
    """One message of a run, as ``--json`` prints it (never a body's attachment bytes)."""

    org_code: str
    period: str
    kind: str
    day: str
    audience: str
    lang: str
    recipients: list[str]
    subject: str
    attachments: list[str]
    status: str  # planned (dry run) | sent | failed | no_address
    whatsapp: str | None = None
    error: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


def deadline_days(framework: Framework) -> int:
    """The calendar's default deadline before the committee sets one: days after a period's end
    (the framework's first timeliness threshold, as the pages pass it)."""
    return int(framework.meta.quality.timeliness_days[0])


def open_periods(store: Store, framework: Framework, today: date) -> pl.DataFrame:
    """org_code, period, deadline, kind (due | late | returned), reviewed_at: the calendar's statuses
    that call for a reminder, read as the system (every organisation)."""
    frame = calendar_reads.statuses(store, SYSTEM, today, deadline_days(framework), "fr")
    return frame.filter(pl.col("status").is_in(reminders.MEMBER_KINDS)).select(
        "org_code", "period", "deadline", kind=pl.col("status"), reviewed_at=pl.col("reviewed_at").dt.date())


def reminder_plan(store: Store, framework: Framework, today: date, *, on_demand: bool) -> pl.DataFrame:
    """The member reminders to send today: one row per organisation and open period (org_code,
    names, lang, emails, period, deadline, kind, day), already-sent keys left out."""
    plan = reminders.member_contacts(store).join(open_periods(store, framework, today), on="org_code")
    if on_demand:
        plan = plan.with_columns(day=pl.lit(today))
    else:
        plan = _scheduled_day(plan, reminders.schedule(store), today)
    # a step before the deadline caught up after it has passed would announce a date already gone
    plan = plan.filter((pl.col("kind") != "late") | (pl.col("day") > pl.col("deadline")))
    if plan.is_empty():
        return plan
    sent = reminders.sent_keys(store, plan["day"].min())
    return plan.join(sent, on=["org_code", "period", "kind", "day"], how="anti").sort("org_code", "period")


def _scheduled_day(plan: pl.DataFrame, offsets: list[int], today: date) -> pl.DataFrame:
    """Each row's latest schedule day (deadline + offset) not after ``today``; for a returned period,
    its return day and the steps after it only. Rows with no such day are dropped."""
    if not offsets:
        return plan.with_columns(day=pl.lit(None, pl.Date)).clear()
    returned = pl.col("kind") == "returned"
    steps_frame = pl.DataFrame({"offset": offsets}, schema={"offset": pl.Int64})
    stepped = (plan.join(steps_frame, how="cross")
               .with_columns(day=pl.col("deadline").dt.offset_by(pl.format("{}d", pl.col("offset"))))
               .drop("offset")
               .filter(~returned | (pl.col("day") >= pl.col("reviewed_at"))))
    on_return = plan.filter(returned).with_columns(day=pl.col("reviewed_at"))
    return (
        pl.concat([stepped, on_return])
        .filter(pl.col("day") <= pl.lit(today))
        .group_by("org_code", "period", maintain_order=True).agg(pl.all().sort_by("day").last())
    )


def arrival_plan(store: Store, today: date) -> pl.DataFrame:
    """Files accepted in the window the committee has not been told of yet."""
    since = today - timedelta(days=ARRIVAL_WINDOW_DAYS)
    found = reminders.arrivals(store, since)
    if found.is_empty():
        return found
    return found.join(reminders.sent_keys(store, since), on=["org_code", "period", "kind", "day"], how="anti")


def run(store: Store, framework: Framework, *, today: date, actor: str, dry_run: bool = False,
        on_demand: bool = False) -> list[Outcome]:
    """Compose, send and record today's messages (a dry run composes only, sends and writes nothing).

    Raises :class:`notify.mail.MailNotConfigured` before anything is sent when SMTP is not set."""
    config = None if dry_run else mail.smtp_config()
    with _RUN_LOCK:
        rejected = {org: steps.Rejection(name, sha) for org, name, sha, _ in reminders.last_rejections(store).rows()}
        outcomes = [_remind(store, framework, row, rejected.get(row["org_code"]), config, actor)
                    for row in reminder_plan(store, framework, today, on_demand=on_demand).iter_rows(named=True)]
        committee = tuple(reminders.committee_emails(store))
        names = {r["org_code"]: r for r in reminders.member_contacts(store).iter_rows(named=True)}
        outcomes += [_notify(store, row, names.get(row["org_code"], {"org_code": row["org_code"]}), committee,
                             config, actor) for row in arrival_plan(store, today).iter_rows(named=True)]
    return outcomes


def preview(store: Store, framework: Framework, today: date) -> pl.DataFrame:
    """The reminders the page's button would send now, with their WhatsApp text (the same words as
    the e-mail's, see :func:`_reminder`), without building any attachment (cheap enough for every page
    run): org_code, period, kind, deadline, recipients, whatsapp."""
    plan = reminder_plan(store, framework, today, on_demand=True)
    if plan.is_empty():
        return pl.DataFrame(schema={"org_code": pl.String, "period": pl.String, "kind": pl.String,
                                    "deadline": pl.Date, "recipients": pl.String, "whatsapp": pl.String})
    rejected = dict(reminders.last_rejections(store).select("org_code", "file_name").iter_rows())
    texts = []
    for row in plan.iter_rows(named=True):
        lang = normalise_language(row["lang"])
        name = rejected.get(row["org_code"])
        texts.append(compose.reminder_texts(_reminder(
            store, row, lang, steps.template_file_name(row["org_code"], row["period"]), name,
            steps.annotated_file_name(name, lang) if name else None))[2])
    return plan.select("org_code", "period", "kind", "deadline",
                       recipients=pl.col("emails").list.join(", ")).with_columns(whatsapp=pl.Series(texts))


def _reminder(store: Store, row: dict, lang: str, template_file: str, rejected_file: str | None,
              annotated_file: str | None) -> compose.Reminder:
    """What a reminder of the plan says, sent or previewed: a returned period carries the comments."""
    comments = steps.return_comments(store, row["org_code"], row["period"], lang) if row["kind"] == "returned" else []
    return compose.Reminder(
        org_name=compose.org_name(row, lang), period=row["period"], deadline=row["deadline"], kind=row["kind"],
        lang=lang, url=_url(), template_file=template_file, annotated_file=annotated_file,
        rejected_file=rejected_file if annotated_file else None, comments=tuple(comments))


def _url() -> str:
    return str(settings.get("ATHAR_BASE_URL")).rstrip("/")


def _remind(store: Store, framework: Framework, row: dict, rejection: steps.Rejection | None,
            config: mail.SmtpConfig | None, actor: str) -> Outcome:
    """One member's reminder: texts in the organisation's language and the next step attached
    (``rejection``: the organisation's last file, when it was rejected and nothing accepted since)."""
    lang = normalise_language(row["lang"])
    org, period = row["org_code"], row["period"]
    attachments = [steps.template_attachment(framework, org, period, lang)]
    annotated = steps.annotated_attachment(store, framework, org, rejection, lang) if rejection else None
    if annotated is not None:
        attachments.append(annotated)
    subject, body, whatsapp = compose.reminder_texts(_reminder(
        store, row, lang, attachments[0].file_name, rejection.file_name if rejection else None,
        annotated.file_name if annotated else None))
    message = Message(org, period, row["kind"], row["day"], "member", lang, tuple(row["emails"]), subject, body,
                      whatsapp, tuple(a.file_name for a in attachments))
    return _deliver(store, message, tuple(attachments), config, actor)


def _notify(store: Store, row: dict, org: dict, committee: tuple[str, ...], config: mail.SmtpConfig | None,
            actor: str) -> Outcome:
    """One message to the committee: a file arrived, or corrected values already stored."""
    lang = normalise_language(settings.get("ATHAR_LANG"))
    subject, body = compose.notification_texts(row["kind"], compose.org_name(org, lang), row["period"], row["day"],
                                               row["files"], row["values"], lang, _url())
    message = Message(row["org_code"], row["period"], row["kind"], row["day"], "committee", lang, committee,
                      subject, body)
    return _deliver(store, message, (), config, actor)


def _deliver(store: Store, message: Message, attachments: tuple[mail.Attachment, ...],
             config: mail.SmtpConfig | None, actor: str) -> Outcome:
    """Send (unless a dry run), then record the message with its audit entry in one transaction."""
    status, error = "planned", None
    if config is not None:
        if not message.recipients:
            status = "no_address"
        else:
            try:
                mail.send(config, mail.build(config.sender, message.recipients, message.subject, message.body,
                                             message.lang, attachments))
                status = "sent"
            except mail.SendFailed as exc:
                status, error = "failed", str(exc)
        reminders.record_message(store, message, status=status, error=error, actor=actor)
    return Outcome(message.org_code, message.period, message.kind, message.day.isoformat(), message.audience,
                   message.lang, list(message.recipients), message.subject, list(message.attachments), status,
                   message.whatsapp, error)
