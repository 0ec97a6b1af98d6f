"""SMTP through the standard library: the settings (``ATHAR_SMTP_*``), one message, one send.

The password is read from the environment at the send and never leaves this module: it is not in
the messages table, the audit log or any error text (an SMTP error is reduced to its code and class).
"""

from __future__ import annotations

import email.policy
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import settings
from settings import InvalidSetting

TLS_MODES = ("none", "starttls", "ssl")
#: CRLF lines, folded only past RFC 5322's 998 characters: the standard library's folding of a
#: non-ASCII subject at 78 drops the space at a fold between encoded words ("في أجل" → "فيأجل").
POLICY = email.policy.SMTP.clone(max_line_length=998)
TIMEOUT_SECONDS = 30


class MailNotConfigured(Exception):
    """``ATHAR_SMTP_HOST`` or ``ATHAR_SMTP_SENDER`` is unset: nothing can be sent (a dry run still can)."""


@dataclass(frozen=True)
class Attachment:
    file_name: str
    mime: str  # e.g. application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
    data: bytes


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: str
    user: str | None
    password: str | None
    sender: str

    def __repr__(self) -> str:  # never print the password, even in a traceback's locals
        return f"SmtpConfig(host={self.host!r}, port={self.port}, tls={self.tls!r}, user={self.user!r})"


def smtp_config() -> SmtpConfig:
    """The declared settings; :class:`MailNotConfigured` without a host or a sender."""
    host, sender = settings.get("ATHAR_SMTP_HOST"), settings.get("ATHAR_SMTP_SENDER")
    if not host or not sender:
        raise MailNotConfigured()
    tls = str(settings.get("ATHAR_SMTP_TLS")).strip().lower()
    if tls not in TLS_MODES:
        raise InvalidSetting(f"Athar: ATHAR_SMTP_TLS={tls!r} is not one of {', '.join(TLS_MODES)}")
    return SmtpConfig(str(host), int(settings.get("ATHAR_SMTP_PORT")), tls, settings.get("ATHAR_SMTP_USER"),
                      settings.get("ATHAR_SMTP_PASSWORD"), str(sender))


def build(sender: str, recipients: tuple[str, ...], subject: str, body: str, lang: str,
          attachments: tuple[Attachment, ...] = ()) -> EmailMessage:
    """A plain-text UTF-8 message in ``lang`` (``Content-Language``), with its attachments."""
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="athar.invalid")
    message.set_content(body, charset="utf-8")
    for item in attachments:
        maintype, _, subtype = item.mime.partition("/")
        message.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.file_name)
    # last: set_content and add_attachment move Content-* headers into the body part
    message["Content-Language"] = lang
    return message


def send(config: SmtpConfig, message: EmailMessage) -> None:
    """Send one message; raises :class:`SendFailed` with a text that holds no secret."""
    try:
        if config.tls == "ssl":
            client = smtplib.SMTP_SSL(config.host, config.port, timeout=TIMEOUT_SECONDS,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=TIMEOUT_SECONDS)
        with client:
            if config.tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if config.user:
                client.login(config.user, config.password or "")
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise SendFailed(_reason(exc)) from None


class SendFailed(Exception):
    """The server refused or could not be reached; the text names the cause, never a credential."""


def _reason(exc: BaseException) -> str:
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__}{f' {code}' if code else ''}"
