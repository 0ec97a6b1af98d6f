"""OpenID Connect sign-in (dashboard/oidc.py): when it is on, and how an identity maps to an account.

``configured()`` reads real secrets files (Streamlit's ``secrets.files`` pointed at a temporary
one); the account mapping runs in AppTest sessions with a fake ``st.user``. The whole flow through
a browser and a mock provider is in tests/browser/test_browser_oidc.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import streamlit
from streamlit.runtime.secrets import Secrets
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.util import patch_config_options

from dashboard import oidc
from store import accounts
from store.db import open_store, utc_now

ORG = "ASS-TST-001"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-long-random-cookie-secret-for-tests",
    "client_id": "athar",
    "client_secret": "s3cret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
SHARED = {k: AUTH[k] for k in ("redirect_uri", "cookie_secret")}
PROVIDER = {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")}


# -- configured() -----------------------------------------------------------------------------
def test_authlib_and_its_http_client_are_installed():
    """Streamlit's /oauth2callback needs Authlib's Starlette client, which needs httpx2 (or httpx):
    without it the button would lead to an error page, so ``configured()`` says False."""
    assert oidc._client_available(), "pip install -r requirements.txt (Authlib, httpx2)"


def _toml(section: dict, prefix: str = "auth") -> str:
    lines, subsections = [f"[{prefix}]"], []
    for key, value in section.items():
        if isinstance(value, dict):
            subsections.append(_toml(value, f"{prefix}.{key}"))
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines + [""] + subsections)


@pytest.fixture
def secrets_file(tmp_path: Path, monkeypatch):
    """``write(text)`` puts a secrets file where Streamlit reads secrets (``secrets.files``), fresh."""
    path = tmp_path / "secrets.toml"
    monkeypatch.setattr(streamlit, "secrets", Secrets())
    monkeypatch.delenv(oidc.PROVIDER_ENV, raising=False)

    def write(text: str) -> Path:
        path.write_text(text, encoding="utf-8")
        return path

    with patch_config_options({"secrets.files": [str(path)]}):
        yield write


def test_not_configured_without_any_secrets_file(secrets_file):
    assert oidc.configured() is False
    assert oidc.provider_name() is None


def test_not_configured_without_an_auth_section(secrets_file):
    secrets_file('[other]\nkey = "value"\n')
    assert oidc.configured() is False


def test_an_unreadable_secrets_file_is_not_configured_and_does_not_raise(secrets_file):
    secrets_file("[auth\nredirect_uri = ")
    assert oidc.configured() is False


def test_default_provider_in_the_auth_section(secrets_file):
    secrets_file(_toml(AUTH))
    assert oidc.configured() is True
    assert oidc.provider_name() == "default"


def test_named_provider(secrets_file):
    secrets_file(_toml({**SHARED, "idp": PROVIDER}))
    assert oidc.configured() is True
    assert oidc.provider_name() == "idp"


def test_several_named_providers_first_or_the_one_chosen(secrets_file, monkeypatch):
    secrets_file(_toml({**SHARED, "first": PROVIDER, "second": PROVIDER}))
    assert oidc.provider_name() == "first"
    monkeypatch.setenv(oidc.PROVIDER_ENV, "second")
    assert oidc.provider_name() == "second"
    monkeypatch.setenv(oidc.PROVIDER_ENV, "missing")
    assert oidc.configured() is False


@pytest.mark.parametrize("missing", ["redirect_uri", "cookie_secret", "client_id", "client_secret",
                                     "server_metadata_url"])
def test_a_missing_key_means_not_configured(secrets_file, missing):
    secrets_file(_toml({k: v for k, v in AUTH.items() if k != missing}))
    assert oidc.configured() is False


@pytest.mark.parametrize(
    "change",
    [
        {"client_secret": ""},
        {"redirect_uri": "http://localhost:8501/"},  # Streamlit answers at /oauth2callback only
        {"redirect_uri": "/oauth2callback"},  # must be absolute
        {"server_metadata_url": "idp.example.org/.well-known/openid-configuration"},
    ],
)
def test_unusable_values_mean_not_configured(secrets_file, change):
    secrets_file(_toml({**AUTH, **change}))
    assert oidc.configured() is False


def test_a_provider_name_with_an_underscore_is_not_used(secrets_file):
    # Streamlit refuses such names in st.login.
    secrets_file(_toml({**SHARED, "my_idp": PROVIDER}))
    assert oidc.configured() is False


def test_redirect_uri_may_name_the_port_as_streamlit_fills_it(secrets_file):
    secrets_file(_toml({**AUTH, "redirect_uri": "http://localhost:{port}/oauth2callback"}))
    assert oidc.configured() is True


# -- the account mapping, in AppTest sessions -------------------------------------------------
def _screen(db: str) -> None:
    """What the sign-in screen does with oidc.py (the labels come from the caller)."""
    import streamlit as st

    from dashboard import oidc
    from store.db import open_store

    store = open_store(db)
    result = oidc.current_account(store)
    if result is None:
        oidc.login_button("Sign in with the network's account")
        st.markdown("state: anonymous")
    elif result.ok:
        st.markdown(f"state: signed-in {result.account.username} {result.account.role}")
        if st.button("Sign out"):
            oidc.logout()
    else:
        st.markdown(f"state: refused {result.reason}")


@pytest.fixture
def athar(tmp_path: Path):
    """A store with one organisation and accounts with e-mails."""
    store = open_store(tmp_path / "athar.duckdb")
    now = utc_now()
    store.write(lambda cur: cur.execute(
        "INSERT INTO organizations (code, name_fr, kind, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        [ORG, "Association de test", "association", now, now],
    ))
    accounts.create_account(store, "amina", "member", org_code=ORG, password="", email="Amina@Example.ORG")
    accounts.create_account(store, "comite-sso", "steering", password="", email="comite@example.org")
    gone, _ = accounts.create_account(store, "parti", "member", org_code=ORG, password="", email="parti@example.org")
    accounts.set_active(store, gone, False, actor="test")
    yield store
    store.close()


def _session(store, user: dict | None, auth: dict | None = AUTH) -> AppTest:
    at = AppTest.from_function(_screen, kwargs={"db": str(store.path)}, default_timeout=10)
    if auth is not None:
        at.secrets["auth"] = dict(auth)
    at.user = dict(user) if user is not None else {"is_logged_in": False}
    return at.run()


def _state(at: AppTest) -> str:
    assert not at.exception, at.exception
    return next(m.value for m in at.markdown if m.value.startswith("state:"))


#: The client fingerprint of an AppTest run: it has no browser connection (no address, no user agent).
NO_CONNECTION = {"address": None, "user_agent": None}


def _audit(store, action: str | None = None) -> list[tuple]:
    rows = store.query("SELECT actor, action, outcome, detail FROM audit_log ORDER BY id").rows()
    return [r for r in rows if r[1] in ("sign_in", "sign_in_failed") and (action is None or r[1] == action)]


def identity(email: str, sub: str = "sub-1", **claims) -> dict:
    """What Streamlit puts in ``st.user`` after a sign-in: the ID token's claims (``iat`` included)."""
    now = int(time.time())
    return {"is_logged_in": True, "sub": sub, "email": email, "provider": "default", "iss": "https://idp",
            "aud": "athar", "iat": now - 60, "exp": now + 3540, **claims}


def test_nobody_signed_in_gives_none_and_the_button(athar):
    at = _session(athar, None)
    assert _state(at) == "state: anonymous"
    assert [b.label for b in at.button] == ["Sign in with the network's account"]
    assert _audit(athar) == []


def test_not_configured_gives_none_and_no_button_even_with_an_identity(athar):
    at = _session(athar, identity("amina@example.org", email_verified=True), auth=None)
    assert _state(at) == "state: anonymous"
    assert not at.button
    assert _audit(athar) == []


def test_the_button_starts_st_login_with_the_configured_provider(athar, monkeypatch):
    calls = []
    monkeypatch.setattr(streamlit, "login", lambda provider=None: calls.append(provider))
    at = _session(athar, None)
    at.button[0].click().run()
    assert calls == [None]  # keys in [auth] itself: Streamlit's default provider
    at = _session(athar, None, auth={**SHARED, "idp": PROVIDER})
    at.button[0].click().run()
    assert calls == [None, "idp"]


def test_known_verified_email_signs_in_once_per_session(athar):
    at = _session(athar, identity("amina@example.org", email_verified=True))
    assert _state(at) == "state: signed-in amina member"
    at.run()
    at.run()
    assert _state(at) == "state: signed-in amina member"
    [(actor, action, outcome, detail)] = _audit(athar)
    assert (actor, action, outcome) == ("account:amina", "sign_in", "ok")
    assert json.loads(detail) == {"via": "oidc", "client": NO_CONNECTION}
    last = athar.scalar("SELECT last_sign_in FROM accounts WHERE username = 'amina'")
    assert last is not None


def test_email_is_matched_whatever_its_case_and_without_an_email_verified_claim(athar):
    at = _session(athar, identity("COMITE@example.org"))
    assert _state(at) == "state: signed-in comite-sso steering"


def test_email_verified_sent_as_text_true_is_accepted(athar):
    at = _session(athar, identity("amina@example.org", email_verified="true"))
    assert _state(at) == "state: signed-in amina member"


@pytest.mark.parametrize("verified", [False, "false", None, ""])
def test_an_unverified_email_is_refused_and_audited_once(athar, verified):
    at = _session(athar, identity("amina@example.org", email_verified=verified))
    assert _state(at) == "state: refused email_unverified"
    at.run()
    assert _state(at) == "state: refused email_unverified"
    refused = _audit(athar)
    assert len(refused) == 1
    actor, action, outcome, detail = refused[0]
    assert (actor, action, outcome) == ("oidc:amina@example.org", "sign_in_failed", "refused")
    assert json.loads(detail) == {"reason": "email_unverified", "via": "oidc", "client": NO_CONNECTION}
    assert athar.scalar("SELECT last_sign_in FROM accounts WHERE username = 'amina'") is None


def test_an_unknown_email_is_refused_and_audited_once(athar):
    at = _session(athar, identity("stranger@example.org", email_verified=True))
    assert _state(at) == "state: refused no_account"
    at.run()
    refused = _audit(athar)
    assert [(r[0], r[1], r[2], json.loads(r[3])["reason"]) for r in refused] == [
        ("oidc:stranger@example.org", "sign_in_failed", "refused", "no_account")
    ]


def test_an_identity_without_email_is_refused(athar):
    at = _session(athar, {"is_logged_in": True, "sub": "sub-9", "provider": "default", "iat": int(time.time())})
    assert _state(at) == "state: refused no_account"
    assert [r[0] for r in _audit(athar)] == ["oidc:sub-9"]


def test_an_inactive_account_is_refused(athar):
    at = _session(athar, identity("parti@example.org", email_verified=True))
    assert _state(at) == "state: refused inactive"
    assert [json.loads(r[3])["reason"] for r in _audit(athar)] == ["inactive"]


def test_a_demo_account_is_refused_outside_demo_mode(athar, monkeypatch):
    monkeypatch.setenv("ATHAR_DEMO_MODE", "0")
    athar.write(lambda cur: cur.execute("UPDATE accounts SET demo = TRUE WHERE username = 'amina'"))
    at = _session(athar, identity("amina@example.org", email_verified=True))
    assert _state(at) == "state: refused inactive"


def test_a_new_identity_in_the_session_is_asked_again(athar):
    at = _session(athar, identity("amina@example.org", email_verified=True))
    assert _state(at) == "state: signed-in amina member"
    at.user = identity("comite@example.org", sub="sub-2", email_verified=True)
    at.run()
    assert _state(at) == "state: signed-in comite-sso steering"
    assert [r[0] for r in _audit(athar)] == ["account:amina", "account:comite-sso"]


def test_an_identity_older_than_the_session_maximum_is_not_signed_in(athar, monkeypatch):
    """Streamlit's identity cookie lasts 30 days: past ``session_max_hours`` the button is shown again."""
    monkeypatch.setenv("ATHAR_SESSION_MAX_HOURS", "2")
    at = _session(athar, identity("amina@example.org", email_verified=True, iat=int(time.time()) - 2 * 3600 - 5))
    assert _state(at) == "state: anonymous"
    assert [b.label for b in at.button] == ["Sign in with the network's account"]
    at = _session(athar, identity("amina@example.org", email_verified=True, iat=int(time.time()) - 3600))
    assert _state(at) == "state: signed-in amina member"
    assert len(_audit(athar)) == 1


@pytest.mark.parametrize("iat", [None, "yesterday", True])
def test_an_identity_without_a_usable_iat_is_not_signed_in(athar, iat):
    user = identity("amina@example.org", email_verified=True)
    if iat is None:
        del user["iat"]
    else:
        user["iat"] = iat
    assert _state(_session(athar, user)) == "state: anonymous"
    assert _audit(athar) == []


def _screen_with_expiry(db: str) -> None:
    """A caller whose own session ended (idle): ``expire`` and not signed back in by the cookie."""
    import streamlit as st

    from dashboard import oidc
    from store.db import open_store

    if st.button("Idle too long"):
        oidc.expire()
    result = oidc.current_account(open_store(db))
    st.markdown("state: anonymous" if result is None else f"state: ok={result.ok}")


def test_expire_keeps_the_same_identity_out_until_a_new_sign_in(athar):
    at = AppTest.from_function(_screen_with_expiry, kwargs={"db": str(athar.path)}, default_timeout=10)
    at.secrets["auth"] = dict(AUTH)
    at.user = identity("amina@example.org", email_verified=True)
    at.run()
    assert _state(at) == "state: ok=True"
    at.button[0].click().run()
    assert _state(at) == "state: anonymous"
    at.run()
    assert _state(at) == "state: anonymous"
    # Signing in again at the provider gives a new identity (a new iat): accepted, audited again.
    at.user = identity("amina@example.org", email_verified=True, iat=int(time.time()))
    at.run()
    assert _state(at) == "state: ok=True"
    assert [r[1] for r in _audit(athar)] == ["sign_in", "sign_in"]


def test_logout_ends_the_oidc_session(athar, monkeypatch):
    calls = []
    monkeypatch.setattr(streamlit, "logout", lambda: calls.append("logout"))
    at = _session(athar, identity("amina@example.org", email_verified=True))
    next(b for b in at.button if b.label == "Sign out").click().run()
    assert calls == ["logout"]
    assert oidc._SESSION_KEY not in at.session_state


def test_logout_does_nothing_without_an_oidc_identity(monkeypatch, secrets_file):
    calls = []
    monkeypatch.setattr(streamlit, "logout", lambda: calls.append("logout"))
    oidc.logout()
    assert calls == []
