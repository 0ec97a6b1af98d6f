"""The other end of a sign-in, a refused link or a refused download: a client fingerprint.

The address as Streamlit gives it (``st.context.ip_address``) and the browser's user agent, both
cleaned and cut short. It feeds the audit log and the sign-in throttle; it is never a proof of who
someone is (an address is shared behind a NAT or a proxy, a user agent is whatever the browser says).
Nothing in it comes from the address bar, so it never holds a token; a user agent that carries a
query string or token-shaped text loses it all the same.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass

from store.audit import redact

#: Longest user agent kept (browsers send about 120 characters; the rest is noise or an attack).
USER_AGENT_MAX = 160
_QUERY = re.compile(r"\?\S*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _address(value: object) -> str | None:
    """A real IPv4 or IPv6 address in its canonical form, else None (localhost, tests, garbage)."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        return str(ipaddress.ip_address(value.split("%", 1)[0]))
    except ValueError:
        return None


def _user_agent(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = redact(_QUERY.sub("", _CONTROL.sub(" ", value))).strip()
    return cleaned[:USER_AGENT_MAX] or None


def _sha256(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ClientInfo:
    """Who is asking, as far as the connection tells: ``None`` fields when it does not say."""

    address: str | None = None
    user_agent: str | None = None

    @classmethod
    def of(cls, address: object, user_agent: object) -> ClientInfo:
        """From what the web server reports, cleaned (anything that is not text is dropped)."""
        return cls(_address(address), _user_agent(user_agent))

    def audit(self) -> dict[str, str | None]:
        """The fingerprint written to the audit log."""
        return {"address": self.address, "user_agent": self.user_agent}

    @property
    def key(self) -> str:
        """The per-client throttle's key: a hash of the address (every unknown address shares one)."""
        return _sha256("client", self.address or "")

    @property
    def marker(self) -> str:
        """What an account remembers of a client it signed in from: a hash of address and user agent."""
        return _sha256("known", self.address or "", self.user_agent or "")
