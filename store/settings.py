"""Access settings, declared in ``settings`` (name, default, bounds, meaning) and read from there.

Defaults are the safe choice; every limit can only be set within bounds that keep it safe
(a link cannot live for years, a session cannot stay open for days). The Pydantic model takes its
defaults and bounds from the one declaration table, so a value built in code is held to them too.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

import settings


def _declared(field: str):
    """The Pydantic field of ``ATHAR_<FIELD>``: its declared default, bounds and meaning."""
    setting = settings.SETTINGS[f"ATHAR_{field.upper()}"]
    return Field(setting.default, ge=setting.ge, le=setting.le, description=setting.meaning)


class AccessSettings(BaseModel):
    link_max_days: int = _declared("link_max_days")
    link_default_days: int = _declared("link_default_days")
    session_idle_minutes: int = _declared("session_idle_minutes")
    session_max_hours: int = _declared("session_max_hours")
    sign_in_delay_after: int = _declared("sign_in_delay_after")
    sign_in_delay_seconds: int = _declared("sign_in_delay_seconds")
    sign_in_delay_max_seconds: int = _declared("sign_in_delay_max_seconds")
    sign_in_window_minutes: int = _declared("sign_in_window_minutes")
    password_min_length: int = _declared("password_min_length")

    @classmethod
    def from_env(cls) -> AccessSettings:
        """``ATHAR_LINK_MAX_DAYS``, ``ATHAR_SESSION_IDLE_MINUTES``… (upper-cased field names)."""
        values = {name: settings.get(f"ATHAR_{name.upper()}") for name in cls.model_fields}
        built = cls(**values)
        if built.link_default_days > built.link_max_days:
            built = built.model_copy(update={"link_default_days": built.link_max_days})
        return built


def demo_mode() -> bool:
    """Demo mode (``ATHAR_DEMO_MODE=1``; ``make run`` sets it): demo data and the demo accounts.

    Off unless asked for, so a deployment never carries the demo accounts' published passwords.
    """
    return settings.get("ATHAR_DEMO_MODE")
