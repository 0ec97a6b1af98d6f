"""Optional sign-in through an OpenID Connect provider, with Streamlit's ``st.login``.

Off unless Streamlit's secrets hold a usable ``[auth]`` section (see ``configured``): either one
provider whose keys sit in ``[auth]`` itself, or named providers in ``[auth.NAME]`` sections (the
first complete one is used, or the one named by ``ATHAR_OIDC_PROVIDER``)::

    [auth]
    redirect_uri = "https://athar.example.org/oauth2callback"
    cookie_secret = "…a long random string…"
    client_id = "athar"
    client_secret = "…"
    server_metadata_url = "https://idp.example.org/.well-known/openid-configuration"

The provider proves an identity; Athar decides what it may see. An identity maps to the Athar
account holding the same e-mail (``store.accounts.sign_in_oidc``, which audits the attempt) and
is refused when the provider says the e-mail is not verified. Streamlit keeps the identity in a
signed cookie for 30 days; Athar accepts it for ``session_max_hours`` (``ATHAR_SESSION_MAX_HOURS``)
after the provider issued it, and asks for the account once per Streamlit session.

No text here is shown to users: the caller passes its translated labels.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

import streamlit as st

import settings
from store import accounts, audit
from store.accounts import SignIn
from store.clients import ClientInfo
from store.db import Store
from store.settings import AccessSettings

#: Where this session's answer is kept: ``((provider, sub, email, iat), SignIn)``.
_SESSION_KEY = "_athar_oidc_sign_in"
#: The identity this session ended (``expire``): not signed back in from the same cookie.
_ENDED_KEY = "_athar_oidc_ended"
#: The shared keys every provider needs (Streamlit refuses ``st.login`` without them).
SHARED_KEYS = ("redirect_uri", "cookie_secret")
#: The keys one provider needs, in ``[auth]`` (the default provider) or in ``[auth.NAME]``.
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
#: Streamlit serves its OpenID Connect callback at this path only.
CALLBACK_PATH = "/oauth2callback"
#: Choose among several ``[auth.NAME]`` providers (default: the first complete one).
PROVIDER_ENV = "ATHAR_OIDC_PROVIDER"
DEFAULT = "default"


def _auth_section() -> Mapping[str, Any] | None:
    """The ``[auth]`` section of Streamlit's secrets, or None (no secrets file, no section, unreadable)."""
    try:
        secrets = st.secrets
        if not secrets.load_if_toml_exists():
            return None
        section = secrets.get("auth")
    except Exception:  # a broken secrets file must not take the sign-in screen down
        return None
    return section if isinstance(section, Mapping) else None


def _filled(section: Mapping[str, Any], keys: tuple[str, ...]) -> bool:
    return all(isinstance(section.get(key), str) and section.get(key).strip() for key in keys)


def _absolute_url(value: str) -> bool:
    parsed = urlparse(value.replace("{port}", "8501"))
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def _complete(provider: Mapping[str, Any]) -> bool:
    return _filled(provider, PROVIDER_KEYS) and _absolute_url(provider["server_metadata_url"])


def _provider(section: Mapping[str, Any]) -> str | None:
    """The provider name ``st.login`` is given (``default``: keys in ``[auth]`` itself), or None."""
    named = [
        name
        for name, value in section.items()
        if isinstance(value, Mapping) and "_" not in name and _complete(value)  # Streamlit refuses "_"
    ]
    wanted = (settings.get(PROVIDER_ENV) or "").strip()
    if wanted:
        if wanted == DEFAULT:
            return DEFAULT if _complete(section) else None
        return wanted if wanted in named else None
    if _complete(section):
        return DEFAULT
    return named[0] if named else None


@functools.cache
def _client_available() -> bool:
    """Streamlit's callback needs Authlib's Starlette client (and the HTTP client under it)."""
    try:
        from authlib.integrations import starlette_client  # noqa: F401
    except Exception:
        return False
    return True


def provider_name() -> str | None:
    """The provider ``login_button`` signs in with, or None when OpenID Connect is not configured."""
    section = _auth_section()
    if section is None or not _filled(section, SHARED_KEYS):
        return None
    redirect = section["redirect_uri"].strip()
    if not _absolute_url(redirect) or not urlparse(redirect).path.endswith(CALLBACK_PATH):
        return None
    return _provider(section)


def configured() -> bool:
    """True when the secrets hold a usable ``[auth]`` section and Authlib can run it.

    Usable: ``redirect_uri`` (absolute, ending in ``/oauth2callback``) and ``cookie_secret``, plus
    ``client_id``, ``client_secret`` and ``server_metadata_url`` in ``[auth]`` or in one
    ``[auth.NAME]`` section. Never raises (no secrets file means False).
    """
    try:
        return provider_name() is not None and _client_available()
    except Exception:
        return False


def login_button(label: str, *, key: str = "_athar_oidc_login", width: str = "stretch") -> None:
    """A button that sends the browser to the provider (``st.login``); nothing when not configured."""
    name = provider_name() if _client_available() else None
    if name is None:
        return
    if st.button(label, key=key, type="primary", width=width):
        st.session_state.pop(_SESSION_KEY, None)
        st.login(None if name == DEFAULT else name)


def _identity() -> dict[str, Any]:
    try:
        return dict(st.user.to_dict())
    except Exception:
        return {}


def _verified(value: Any) -> bool:
    """``email_verified`` as a boolean (some providers send the string ``"true"``)."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() == "true"


def _issued_at(user: Mapping[str, Any]) -> float | None:
    """The ID token's ``iat`` (seconds since the epoch), which Authlib has checked; None if unusable."""
    value = user.get("iat")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _key(user: Mapping[str, Any]) -> tuple[str, str, str, float | None]:
    """What tells one sign-in at the provider from another: provider, ``sub``, e-mail, ``iat``."""
    return (
        str(user.get("provider") or ""),
        str(user.get("sub") or ""),
        str(user.get("email") or "").strip().lower(),
        _issued_at(user),
    )


def _fresh(user: Mapping[str, Any]) -> bool:
    """Proven at the provider less than ``session_max_hours`` ago (Streamlit's cookie lasts 30 days)."""
    issued = _issued_at(user)
    if issued is None:
        return False
    return time.time() - issued < AccessSettings.from_env().session_max_hours * 3600


def current_account(store: Store, client: ClientInfo | None = None) -> SignIn | None:
    """The Athar account of the identity signed in through OpenID Connect, or why it is refused.

    None when OpenID Connect is not configured, nobody is signed in through it, the identity was
    proven at the provider more than ``session_max_hours`` ago (Streamlit's identity cookie lasts
    30 days: the person signs in again with the button) or this session ended it (``expire``).
    Otherwise a ``SignIn``: the account with the identity's e-mail, or a refusal
    (``email_unverified`` when the provider says the e-mail is not verified, ``no_account``,
    ``inactive``); ``client`` (the connection's fingerprint) goes to the audit. The store is asked, and the attempt audited, once per Streamlit session and
    identity (keyed by its ``sub``); later runs get the remembered answer.
    """
    if not configured():
        return None
    user = _identity()
    if not user.get("is_logged_in"):
        st.session_state.pop(_SESSION_KEY, None)
        return None
    key = _key(user)
    if st.session_state.get(_ENDED_KEY) == key or not _fresh(user):
        st.session_state.pop(_SESSION_KEY, None)
        return None
    remembered = st.session_state.get(_SESSION_KEY)
    if isinstance(remembered, tuple) and len(remembered) == 2 and remembered[0] == key:
        return remembered[1]
    _, subject, email, _ = key
    if "email_verified" in user and not _verified(user["email_verified"]):
        audit.record(
            store,
            f"oidc:{(email or subject or '?')[:120]}",
            "sign_in_failed",
            outcome="refused",
            detail={"reason": "email_unverified", "via": "oidc", "client": (client or ClientInfo()).audit()},
        )
        result = SignIn(None, "email_unverified")
    else:
        result = accounts.sign_in_oidc(store, email, subject, client=client)
    st.session_state[_SESSION_KEY] = (key, result)
    return result


def expire() -> None:
    """End this session's use of the current identity (Athar's idle or maximum time is up).

    ``current_account`` then answers None for it in this session, so the sign-in screen shows
    the button again instead of signing the same identity back in on the next run; a new
    ``st.login`` gives a new identity. The browser's cookie stays (``logout`` clears it).
    """
    user = _identity()
    st.session_state.pop(_SESSION_KEY, None)
    if user.get("is_logged_in"):
        st.session_state[_ENDED_KEY] = _key(user)


def signed_in() -> bool:
    """Whether the browser holds an OpenID Connect identity (whatever Athar made of it)."""
    return configured() and bool(_identity().get("is_logged_in"))


def logout() -> None:
    """Forget this session's OpenID Connect sign-in; with an identity, end it and do not return.

    ``st.logout`` sends the browser to Streamlit's ``/auth/logout`` (which clears the identity
    cookie, then the provider's end-session endpoint when it has one). That redirect is a queued
    message which a following ``st.rerun()`` would discard (the cookie would stay and the next
    visit would sign in again), so the run stops here. Without an identity it simply returns.
    """
    st.session_state.pop(_SESSION_KEY, None)
    st.session_state.pop(_ENDED_KEY, None)
    if signed_in():
        st.logout()
        st.stop()
