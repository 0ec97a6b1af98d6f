"""Every ``ATHAR_*`` environment setting, declared once: name, default, bounds and meaning.

The bottom floor, below ``i18n``: the standard library only, so ``i18n.formatting`` and the
importer's read-ahead (``ingest.prefetch``, which must not wait for Pydantic) can read settings
without a back edge. Readers call :func:`get`; nothing else reads ``os.environ`` for ``ATHAR_*``.
The README's settings table is checked against :data:`SETTINGS` (``tests/test_settings.py``).
A value outside its bounds is refused at the read, with the setting named (never silently replaced).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DAY_MINUTES = 24 * 60


class InvalidSetting(SystemExit):
    """An ``ATHAR_*`` value that is not of its kind or not within its bounds (the process stops)."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    meaning: str
    kind: type = str  # str | int | float | bool ("1" = on)
    ge: float | None = None
    le: float | None = None
    #: How the README writes the default when it is not a value (e.g. "random, printed once").
    shown_default: str | None = None
    #: A hook for the test suite only: declared here, never documented for deployers.
    test_hook: bool = False

    @property
    def readme_default(self) -> str:
        if self.shown_default is not None:
            return self.shown_default
        return f"`{int(self.default)}`" if self.kind is bool else f"`{self.default}`"

    def parse(self, text: str) -> object:
        if self.kind is bool:
            return text == "1"
        try:
            value = self.kind(text)
        except ValueError:
            raise InvalidSetting(f"Athar: {self.name}={text!r} is not a {self.kind.__name__}") from None
        if (self.ge is not None and value < self.ge) or (self.le is not None and value > self.le):
            raise InvalidSetting(f"Athar: {self.name}={text!r} is outside {self.ge}–{self.le}")
        return value


def _int(name: str, default: int, ge: int, le: int, meaning: str) -> Setting:
    return Setting(name, default, meaning, int, ge, le)


_DECLARED = (
    Setting("ATHAR_DB", "data/athar.duckdb", "the database file (a relative path is taken from the checkout)"),
    Setting("ATHAR_DATABASE_URL", None,
            "a PostgreSQL database instead of the file, e.g. `postgresql://athar:PASSWORD@db-host/athar` (several "
            "app processes and the command lines share it); uploaded files are kept in `raw/` beside `ATHAR_DB`",
            shown_default="unset (the DuckDB file)"),
    Setting("ATHAR_DEMO_MODE", False, "demo data and demo accounts (below); `1` = on", bool),
    Setting("ATHAR_LANG", "fr", "language of the command lines' messages (`fr`, `ar` or `en`)"),
    Setting("ATHAR_ARABIC_DIGITS", False, "Arabic-Indic digits in Arabic (Moroccan usage is Latin digits); `1` = on",
            bool),
    Setting("ATHAR_BASE_URL", "http://localhost:8501", "address of the app, used in the links Athar prints"),
    _int("ATHAR_MAX_UPLOAD_MB", 100, 1, 4096, "largest file accepted for upload (MB)"),
    _int("ATHAR_MAX_ROWS", 2_000_000, 1, 100_000_000, "most data rows accepted in one file"),
    _int("ATHAR_LINK_MAX_DAYS", 90, 1, 366, "longest lifetime of a funder link (days)"),
    _int("ATHAR_LINK_DEFAULT_DAYS", 30, 1, 366, "lifetime when none is given (at most the maximum)"),
    _int("ATHAR_SESSION_IDLE_MINUTES", 30, 1, DAY_MINUTES,
         "a signed-in session ends after this long without interaction"),
    _int("ATHAR_SESSION_MAX_HOURS", 12, 1, 72, "…and after this long in any case"),
    _int("ATHAR_SIGN_IN_DELAY_AFTER", 5, 3, 50,
         "failed sign-ins of one account, or from one client address, before attempts are delayed"),
    _int("ATHAR_SIGN_IN_DELAY_SECONDS", 30, 1, 3600, "first delay; doubles with each further failure"),
    _int("ATHAR_SIGN_IN_DELAY_MAX_SECONDS", 900, 1, 24 * 3600, "longest delay"),
    _int("ATHAR_SIGN_IN_WINDOW_MINUTES", 60, 1, 7 * DAY_MINUTES,
         "failures older than this (since the last one) are forgotten"),
    _int("ATHAR_PASSWORD_MIN_LENGTH", 12, 10, 128, "shortest password accepted"),
    Setting("ATHAR_ADMIN_USER", "admin", "user name of the first steering account (`init`, or the app's first start)"),
    Setting("ATHAR_ADMIN_PASSWORD", None, "its password, instead of a random one (it must meet the policy)",
            shown_default="random, printed once"),
    Setting("ATHAR_OIDC_PROVIDER", None, "which `[auth]` provider `st.login` uses when several are configured",
            shown_default="the first complete one"),
    Setting("ATHAR_COMPLETE_SHARE", 0.8,
            "share of the expected members who must have reported for a period to count as complete before its "
            "deadline (`0` = every period is complete; `1` = only the deadline, or every member, completes it)",
            float, 0, 1),
    Setting("ATHAR_AUTO_SCORE", True,
            "scores follow the data: the app scores in the background after an accepted file (`0` = off; then run "
            "`python -m metrics score --pending` from cron)", bool),
    Setting("ATHAR_SMTP_HOST", None, "the SMTP server reminders and notifications are sent through; unset = no e-mail "
            "is sent (a dry run still shows what would go)", shown_default="unset"),
    _int("ATHAR_SMTP_PORT", 587, 1, 65535, "its port (`587` for STARTTLS, `465` for SSL, `25` for none)"),
    Setting("ATHAR_SMTP_TLS", "starttls", "how the connection is protected: `starttls`, `ssl` or `none`"),
    Setting("ATHAR_SMTP_USER", None, "the SMTP account, when the server asks for one", shown_default="unset"),
    Setting("ATHAR_SMTP_PASSWORD", None, "its password (never written to the audit log or the messages table)",
            shown_default="unset"),
    Setting("ATHAR_SMTP_SENDER", None, "the From address of every message, e.g. `Athar <athar@network.ma>`",
            shown_default="unset"),
    Setting("ATHAR_TRUST_PROXY", False,
            "believe `X-Forwarded-Proto` and `X-Forwarded-For` from any address (a TLS proxy on another host); "
            "by default only from a proxy on this host (`127.0.0.1`); `1` = on", bool),
    _int("ATHAR_API_RATE_PER_MINUTE", 120, 1, 100_000, "API requests one token may make per minute (then 429)"),
    Setting("ATHAR_REQUIRE_PG", False, "the PostgreSQL tests fail instead of skipping when PostgreSQL is absent "
            "(`.ci/run` sets it)", bool, test_hook=True),
    Setting("ATHAR_TEST_TODAY", None, "the date the dashboard takes for today (ISO, e.g. `2026-11-15`)",
            test_hook=True),
    Setting("ATHAR_TEST_PAUSE_IN_COMMIT", None, "seconds to wait inside a commit (the crash test kills it there)",
            float, 0, 3600, test_hook=True),
)
SETTINGS: dict[str, Setting] = {s.name: s for s in _DECLARED}


def get(name: str) -> object:
    """The value of a declared setting: the environment's when set (and valid), else its default."""
    setting = SETTINGS[name]
    text = os.environ.get(name, "")
    return setting.parse(text) if text.strip() else setting.default  # exact text: " 1" is not "1"


def configured(name: str) -> object | None:
    """The value the environment sets for ``name``, or None when it keeps the default."""
    return get(name) if os.environ.get(name, "").strip() else None
