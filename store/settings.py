"""Access settings, read from the environment (a deployment sets them beside ``ATHAR_DB``).

Defaults are the safe choice; every limit can only be set within bounds that keep it safe
(a link cannot live for years, a session cannot stay open for days).
"""

from __future__ import annotations

import os

from pydantic import BaseModel, Field, ValidationError


class AccessSettings(BaseModel):
    #: Longest lifetime a funder link may be given (days).
    link_max_days: int = Field(90, ge=1, le=366)
    #: Lifetime proposed when a link is created (days).
    link_default_days: int = Field(30, ge=1, le=366)
    #: A signed-in session ends after this long without any interaction (minutes).
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60)
    #: …and after this long in any case (hours).
    session_max_hours: int = Field(12, ge=1, le=72)
    #: Failed sign-ins (of one account, or from one client address) before attempts are delayed.
    sign_in_delay_after: int = Field(5, ge=3, le=50)
    #: First delay (seconds); it doubles with each further failure, up to ``sign_in_delay_max_seconds``.
    sign_in_delay_seconds: int = Field(30, ge=1, le=3600)
    sign_in_delay_max_seconds: int = Field(900, ge=1, le=24 * 3600)
    #: Failures older than this (minutes, since the last one) are forgotten.
    sign_in_window_minutes: int = Field(60, ge=1, le=7 * 24 * 60)
    #: Shortest password accepted for a local account.
    password_min_length: int = Field(12, ge=10, le=128)

    @classmethod
    def from_env(cls) -> AccessSettings:
        """``ATHAR_LINK_MAX_DAYS``, ``ATHAR_SESSION_IDLE_MINUTES``… (upper-cased field names)."""
        values = {
            name: os.environ[f"ATHAR_{name.upper()}"]
            for name in cls.model_fields
            if os.environ.get(f"ATHAR_{name.upper()}")
        }
        try:
            settings = cls(**values)
        except ValidationError as error:
            raise SystemExit(f"Athar: invalid access setting in the environment: {error}") from None
        if settings.link_default_days > settings.link_max_days:
            settings = settings.model_copy(update={"link_default_days": settings.link_max_days})
        return settings


def demo_mode() -> bool:
    """Demo mode (``ATHAR_DEMO_MODE=1``; ``make run`` sets it): demo data and the demo accounts.

    Off unless asked for, so a deployment never carries the demo accounts' published passwords.
    """
    return os.environ.get("ATHAR_DEMO_MODE", "0") == "1"
