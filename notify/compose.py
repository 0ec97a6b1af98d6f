"""The words of every message, in the reader's language: subject, e-mail body and WhatsApp text.

A member's reminder names what is due, late or returned and the calendar's deadline, then the next
steps: the annotated copy of the last rejected file, the committee's return comments, the attached
template. The WhatsApp text is built from the same list of steps, one short line each (the comments
in full), so the text the committee pastes never says less than the e-mail. Dates and numbers go
through ``i18n.formatting``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from i18n import formatting as fmt
from i18n import t


@dataclass(frozen=True)
class Reminder:
    """What one reminder says (attachments are named here, built in ``notify.steps``)."""

    org_name: str
    period: str
    deadline: date
    kind: str  # due | late | returned (the calendar's status)
    lang: str
    url: str
    template_file: str
    annotated_file: str | None = None
    rejected_file: str | None = None
    comments: tuple[str, ...] = ()


def org_name(row: dict, lang: str) -> str:
    """The organisation's name in ``lang``, else in French, else its code."""
    return row.get(f"name_{lang}") or row.get("name_fr") or row["org_code"]


def _next_steps(r: Reminder, params: dict[str, str]) -> list[tuple[str, str]]:
    """(e-mail paragraph, WhatsApp lines) of each next step, in the order the member takes them."""
    steps = []
    if r.annotated_file:
        steps.append((t("remind.body.step_rejected", r.lang, file=r.rejected_file, copy=r.annotated_file),
                      t("remind.whatsapp.rejected", r.lang, file=r.rejected_file)))
    if r.comments:
        listed = [f"- {c}" for c in r.comments]
        steps.append(("\n".join([t("remind.body.step_comments", r.lang), *listed]),
                      "\n".join([t("remind.whatsapp.comments", r.lang), *listed])))
    steps.append((t("remind.body.step_template", r.lang, file=r.template_file, **params),
                  t("remind.whatsapp.step", r.lang, **params)))
    return steps


def reminder_texts(r: Reminder) -> tuple[str, str, str]:
    """(subject, e-mail body, WhatsApp text) of a member's reminder."""
    when = fmt.date_text(r.deadline, r.lang)
    params = {"org": r.org_name, "period": r.period, "deadline": when, "url": r.url}
    subject = t(f"remind.subject.{r.kind}", r.lang, **params)
    steps = _next_steps(r, params)
    body = "\n\n".join([t("remind.body.greeting", r.lang), t(f"remind.body.{r.kind}", r.lang, **params),
                         *(mail for mail, _ in steps), t("remind.body.signature", r.lang)])
    whatsapp = "\n".join([t(f"remind.whatsapp.{r.kind}", r.lang, **params), *(text for _, text in steps)])
    return subject, body, whatsapp


def value_comment(indicator: str | None, line: int | None, comment: str, lang: str) -> str:
    """One comment of the committee's in the member's language framing: on the whole submission as
    written; on a value, preceded by its indicator and its line in the file."""
    if indicator is None:
        return comment
    if line is None:
        return t("remind.body.value_comment_noline", lang, indicator=indicator, comment=comment)
    return t("remind.body.value_comment", lang, indicator=indicator, line=str(line), comment=comment)


def notification_texts(kind: str, org: str, period: str, day: date, files: list[str], values: int, lang: str,
                       url: str) -> tuple[str, str]:
    """(subject, body) telling the committee that a file arrived or corrected stored values."""
    params = {"org": org, "period": period, "day": fmt.date_text(day, lang), "url": url,
              "files": fmt.join_list(files, lang), "values": fmt.number(values, lang)}
    body = "\n\n".join([t("remind.body.greeting", lang), t(f"remind.body.{kind}", lang, **params),
                        t("remind.body.review", lang, **params), t("remind.body.signature", lang)])
    return t(f"remind.subject.{kind}", lang, **params), body
