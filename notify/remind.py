"""Who gets a reminder or a notification today, and sending them: on the committee's schedule
(``python -m store remind send``, run daily) or on demand (``--now``, the page's button).

A member organisation is *due* for the latest period of the granularity it usually reports at that
has ended (``framework.periods.due_period``); its deadline is the period's end plus the framework's
first timeliness threshold (as ``framework.periods.deadline``), until the reporting calendar sets
it. It is *late* once the deadline has passed. An organisation holding any value inside the period
has reported and gets nothing. On the schedule, the step that applies is the latest
``deadline + offset`` not after today (a day the job did not run is caught up once, with the latest
step only); on demand, the day is today. One message per (organisation, period, kind, day) is sent,
however often either door runs: the ``messages`` table is the key's memory.

The committee is told of files accepted in the last :data:`ARRIVAL_WINDOW_DAYS` days, one message per
organisation, period and upload day (``arrival``, or ``correction`` when the file replaced values).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from datetime import date, timedelta

import polars as pl

import settings
from framework.model import Framework
from framework.periods import due_period, period_bounds
from i18n import normalise_language
from notify import compose, mail, steps
from store import reminders
from store.db import Store
from store.reminders import Message

ARRIVAL_WINDOW_DAYS = 7
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
    """Days after a period's end it is due (the framework's first timeliness threshold)."""
    return int(framework.meta.quality.timeliness_days[0])


def reminder_plan(store: Store, framework: Framework, today: date, *, on_demand: bool) -> pl.DataFrame:
    """The member reminders to send today: one row per organisation (org_code, names, lang, emails,
    period, deadline, kind, day), already-sent keys and organisations that reported left out."""
    contacts = reminders.member_contacts(store)
    if contacts.is_empty():
        return contacts
    due = {g: due_period(today, g) for g in ("year", "semester", "quarter")}
    bounds = {label: period_bounds(label)[1:] for label in due.values()}
    wanted = contacts.with_columns(period=pl.col("granularity").replace_strict(due, return_dtype=pl.String))
    wanted = wanted.with_columns(
        period_start=pl.col("period").replace_strict({k: v[0] for k, v in bounds.items()}, return_dtype=pl.Date),
        period_end=pl.col("period").replace_strict({k: v[1] for k, v in bounds.items()}, return_dtype=pl.Date),
    )
    done = reminders.reported(store, wanted).filter(pl.col("reported")).select("org_code", "period")
    plan = (wanted.join(done, on=["org_code", "period"], how="anti")
            .with_columns(deadline=pl.col("period_end").dt.offset_by(f"{deadline_days(framework)}d")))
    if on_demand:
        plan = plan.with_columns(day=pl.lit(today))
    else:
        plan = _scheduled_day(plan, reminders.schedule(store), today)
    plan = plan.with_columns(kind=pl.when(pl.col("day") > pl.col("deadline")).then(pl.lit("late"))
                             .otherwise(pl.lit("due")))
    # a step before the deadline caught up after it has passed would announce a date already gone
    plan = plan.filter((pl.col("kind") == "late") | (pl.col("deadline") >= pl.lit(today)))
    if plan.is_empty():
        return plan
    sent = reminders.sent_keys(store, plan["day"].min())
    return plan.join(sent, on=["org_code", "period", "kind", "day"], how="anti").sort("org_code")


def _scheduled_day(plan: pl.DataFrame, offsets: list[int], today: date) -> pl.DataFrame:
    """Each row's latest schedule day (deadline + offset) not after ``today``; rows with none dropped."""
    if not offsets:
        return plan.with_columns(day=pl.lit(None, pl.Date)).clear()
    steps_frame = pl.DataFrame({"offset": offsets}, schema={"offset": pl.Int64})
    return (
        plan.join(steps_frame, how="cross")
        .with_columns(day=pl.col("deadline").dt.offset_by(pl.format("{}d", pl.col("offset"))))
        .filter(pl.col("day") <= pl.lit(today))
        .group_by("org_code", maintain_order=True).agg(pl.all().sort_by("day").last())
        .drop("offset")
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
    """The reminders the page's button would send now, with their WhatsApp text, without building
    any attachment (cheap enough for every page run): org_code, period, kind, deadline, recipients, whatsapp."""
    plan = reminder_plan(store, framework, today, on_demand=True)
    if plan.is_empty():
        return pl.DataFrame(schema={"org_code": pl.String, "period": pl.String, "kind": pl.String,
                                    "deadline": pl.Date, "recipients": pl.String, "whatsapp": pl.String})
    rejected = dict(reminders.last_rejections(store).select("org_code", "file_name").iter_rows())
    texts = []
    for row in plan.iter_rows(named=True):
        lang = normalise_language(row["lang"])
        texts.append(compose.reminder_texts(compose.Reminder(
            org_name=compose.org_name(row, lang), period=row["period"], deadline=row["deadline"], kind=row["kind"],
            lang=lang, url=_url(), template_file=steps.template_file_name(row["org_code"], row["period"]),
            annotated_file=rejected.get(row["org_code"]), rejected_file=rejected.get(row["org_code"])))[2])
    return plan.select("org_code", "period", "kind", "deadline",
                       recipients=pl.col("emails").list.join(", ")).with_columns(whatsapp=pl.Series(texts))


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
    subject, body, whatsapp = compose.reminder_texts(compose.Reminder(
        org_name=compose.org_name(row, lang), period=period, deadline=row["deadline"], kind=row["kind"], lang=lang,
        url=_url(), template_file=attachments[0].file_name,
        annotated_file=annotated.file_name if annotated else None,
        rejected_file=rejection.file_name if annotated else None,
        comments=tuple(steps.return_comments(store, org, period, lang)),
    ))
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
