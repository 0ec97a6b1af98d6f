"""Funder link tokens: guessing, tampering, expiry, revocation and rotation; only digests stored.

The contract of ``store.links.check_token``: only the exact token of a live link (not revoked, not
expired) opens anything, and what it opens comes from the store, never from the request.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import SAMPLES, new_database

from ingest.orgs import read_org_file
from store import audit, links
from store.clients import ClientInfo
from store.db import Store, utc_now
from store.registry import upsert_organizations

from .dbscan import columns_holding, file_holds

pytestmark = pytest.mark.backends("duckdb", "postgres")

ORGS = ["ASS-CAS-001", "ASS-RBT-014", "FON-FES-007"]
ACTOR = "cli:test"


def _store_with_orgs(path: Path | str, framework) -> Store:
    store = Store(path)
    parsed = read_org_file((SAMPLES / "organizations.csv").read_bytes(), "organizations.csv", framework)
    upsert_organizations(store, parsed.rows, actor="cli:test")
    return store


def _link(store: Store, **scope) -> tuple[int, str]:
    scope = {"label": "bailleur", "org_codes": ORGS[:2], "created_by": ACTOR, "days": 30, **scope}
    return links.create_link(store, **scope)


@pytest.fixture(scope="module")
def linked(tmp_path_factory, framework, backend, request):
    """A store holding a few real links of different scopes, and their tokens."""
    store = _store_with_orgs(new_database(request, backend, tmp_path_factory.mktemp("tokens") / "links.duckdb"),
                             framework)
    tokens = [
        _link(store)[1],
        _link(store, org_codes=ORGS, periods=["2024"], days=1)[1],
        _link(store, org_codes=ORGS[:1], pages=["overview"], label="un seul")[1],
    ]
    yield store, tokens
    store.close()


@pytest.fixture
def fresh(tmp_path, framework, backend, request):
    store = _store_with_orgs(new_database(request, backend, tmp_path / "links.duckdb"), framework)
    yield store
    store.close()


# -- guessing --------------------------------------------------------------------------------
def test_ten_thousand_random_tokens_are_all_refused(linked) -> None:
    store, tokens = linked
    assert all(links.check_token(store, token).ok for token in tokens)
    statuses = {links.check_token(store, secrets.token_urlsafe(links.TOKEN_BYTES)).status for _ in range(10_000)}
    assert statuses == {"unknown"}


def _one_changed(token: str, position: int) -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    replacement = alphabet[(alphabet.index(token[position]) + 1) % len(alphabet)]
    return token[:position] + replacement + token[position + 1:]


def test_the_real_token_with_any_one_character_changed_is_refused(linked) -> None:
    store, tokens = linked
    token = tokens[0]
    for position in range(len(token)):
        assert links.check_token(store, _one_changed(token, position)).status == "unknown", position
    assert links.check_token(store, token.swapcase()).status == "unknown"
    assert links.check_token(store, token[::-1]).status == "unknown"


def _malformed(token: str) -> list[str | None]:
    digest = links.token_digest(token)
    return [
        None,
        "",
        " ",
        token[:-1],
        token + "A",
        " " + token,
        token + " ",
        token + "\n",
        token + "\x00",
        "a" * 10_000,
        digest,  # the stored digest itself is not a token
        digest.upper(),
        "' OR '1'='1' --" + "A" * 28,
        "x' UNION SELECT token_sha256 FROM share_links --",
        "%" * 43,
        "*" * 43,
        "é" * 43,
        "٠" * 43,  # Arabic-Indic digits: \w-like for a Unicode regex, not URL-safe base64
        "ＡＢＣ" * 14 + "Ａ",  # full-width letters
        token[:21] + "\u200b" + token[22:],  # a zero-width space in place of one character
        token.replace(token[5], "+", 1),
        token.replace(token[5], "/", 1),
        token.replace(token[5], "=", 1),
        f"link={token}",
        f"https://athar.example.org/?link={token}",
    ]


def test_malformed_tokens_are_refused_before_any_lookup(linked, monkeypatch) -> None:
    store, tokens = linked

    def no_lookup():
        raise AssertionError("a malformed token reached the database")

    monkeypatch.setattr(store, "cursor", no_lookup)
    for candidate in _malformed(tokens[0]):
        assert links.check_token(store, candidate).status == "malformed", repr(candidate)


def test_well_formed_strings_that_are_not_a_live_token_are_refused(linked) -> None:
    store, tokens = linked
    digest = links.token_digest(tokens[0])
    for candidate in (digest[:43], "A" * 43, "-" * 43, "_" * 43, tokens[0][:42] + "=",
                      links.new_token()):
        check = links.check_token(store, candidate)
        assert not check.ok and check.scope is None, candidate


# -- expiry, revocation, rotation ------------------------------------------------------------
def test_expired_link_is_refused(fresh) -> None:
    now = utc_now()
    link_id, token = _link(fresh, expires_at=now + timedelta(minutes=2), days=None)
    assert links.check_token(fresh, token, now=now).ok
    assert links.check_token(fresh, token, now=now + timedelta(minutes=2)).status == "expired"
    assert links.check_token(fresh, token, now=now + timedelta(days=365)).status == "expired"
    other_id, other = _link(fresh)
    fresh.write(lambda cur: cur.execute(
        "UPDATE share_links SET expires_at = ? WHERE id = ?", [utc_now() - timedelta(seconds=1), other_id]))
    assert links.check_token(fresh, other).status == "expired"
    with pytest.raises(links.LinkError) as refused:
        links.rotate_link(fresh, other_id, actor=ACTOR)
    assert refused.value.code == "not_active"


def test_link_expiry_is_mandatory_and_bounded(fresh) -> None:
    for kwargs in ({"days": 0}, {"days": -3}, {"days": 10**9}, {"days": 91},
                   {"days": None, "expires_at": utc_now() - timedelta(seconds=1)},
                   {"days": None, "expires_at": utc_now() + timedelta(days=400)}):
        with pytest.raises(links.LinkError):
            _link(fresh, **kwargs)
    assert fresh.scalar("SELECT count(*) FROM share_links") == 0
    _, token = _link(fresh, days=None)  # no expiry given: the default, not "never"
    assert links.check_token(fresh, token).scope.expires_at <= utc_now() + timedelta(days=31)


def test_revoked_link_is_refused_at_once(fresh) -> None:
    link_id, token = _link(fresh)
    assert links.check_token(fresh, token).ok
    assert links.revoke_link(fresh, link_id, actor=ACTOR)
    check = links.check_token(fresh, token)
    assert check.status == "revoked" and check.scope is None
    with pytest.raises(links.LinkError):
        check.viewer()
    assert not links.revoke_link(fresh, link_id, actor=ACTOR)


def test_rotation_retires_the_old_token_and_keeps_the_scope(fresh) -> None:
    link_id, old = _link(fresh, org_codes=ORGS, periods=["2024"], pages=["overview", "method"], days=7)
    before = links.check_token(fresh, old).scope
    new_id, new = links.rotate_link(fresh, link_id, actor=ACTOR)
    assert new != old and new_id != link_id
    assert links.check_token(fresh, old).status == "revoked"
    after = links.check_token(fresh, new).scope
    assert after.link_id == new_id
    for field in ("org_codes", "principles", "periods", "pages", "run_id", "expires_at"):
        assert getattr(after, field) == getattr(before, field), field
    with pytest.raises(links.LinkError):
        links.rotate_link(fresh, link_id, actor=ACTOR)  # a revoked link cannot be rotated again


def test_a_tampered_row_cannot_open_a_page_a_funder_may_not_see(fresh) -> None:
    link_id, token = _link(fresh)
    fresh.write(lambda cur: cur.execute(
        "UPDATE share_links SET pages = ['upload', 'framework', 'accounts'] WHERE id = ?", [link_id]))
    assert links.check_token(fresh, token).scope.pages == frozenset()


# -- only digests are stored; nothing leaks into the audit log -------------------------------
def test_only_the_sha256_of_each_token_is_stored(tmp_path, framework, backend, request) -> None:
    path = new_database(request, backend, tmp_path / "digests.duckdb")
    store = _store_with_orgs(path, framework)
    made = [_link(store, label=f"bailleur-{n}-controle") for n in range(3)]
    new_id, rotated = links.rotate_link(store, made[0][0], actor=ACTOR)
    made.append((new_id, rotated))
    for link_id, token in made:
        links.record_use(store, link_id, page="overview")
        digest = store.scalar("SELECT token_sha256 FROM share_links WHERE id = ?", [link_id])
        assert digest == hashlib.sha256(token.encode("ascii")).hexdigest()
        assert columns_holding(store, token) == []
        assert columns_holding(store, digest) == ["share_links.token_sha256"]
        assert not file_holds(path, token)
    assert file_holds(path, "bailleur-1-controle")  # the scan does see what is stored
    store.close()
    for _, token in made:
        assert not file_holds(path, token)
    assert file_holds(path, "bailleur-1-controle")


def test_no_audit_entry_holds_a_token(fresh) -> None:
    link_id, token = _link(fresh)
    new_id, rotated = links.rotate_link(fresh, link_id, actor=ACTOR)
    url = links.link_url("https://athar.example.org", rotated, "ar")
    links.record_use(fresh, new_id, page="overview")
    links.record_use(fresh, new_id, download=f"scores {rotated}.csv")
    links.record_refusal(fresh, "revoked", page=f"overview?link={token}")
    audit.record(fresh, f"link:{rotated}", "link_refused", outcome="refused", target=url,
                 detail={"url": url, "pasted": [token, {"again": f"«{rotated}»"}], rotated: "as a key"})
    entries = fresh.query("SELECT actor, target, detail::VARCHAR AS detail FROM audit_log").rows()
    assert len(entries) >= 6
    for secret in (token, rotated):
        assert columns_holding(fresh, secret) == []
    assert any("[redacted]" in (detail or "") for _, _, detail in entries)
    details = [json.loads(detail) for _, _, detail in entries if detail]
    created = next(d for d in details if "label" in d)
    assert created["org_codes"] == ORGS[:2]  # redaction keeps what is not a token


@pytest.mark.parametrize(
    "text",
    ["{t}", "lien : {t}.", "https://athar.example.org/?link={t}&lang=fr", "/?lang=ar&link={t}",
     "token={t}", "\"{t}\"", "'{t}'", "«{t}»", "({t})", "{t}\n{t}"],
)
def test_redact_removes_tokens_from_text(text: str) -> None:
    token = links.new_token()
    redacted = audit.redact(text.format(t=token))
    assert token not in redacted and "[redacted]" in redacted


def test_redact_keeps_ordinary_text() -> None:
    sha = hashlib.sha256(b"file").hexdigest()  # a file's SHA-256 (64 characters) is not a token
    for text in ("ASS-CAS-001", "account:alice", "scores-2024.csv", sha, "Association Anaruz (Casablanca)"):
        assert audit.redact(text) == text


def test_a_refused_link_is_audited_with_the_clients_address_and_user_agent_and_no_token(fresh) -> None:
    _, token = _link(fresh)
    client = ClientInfo.of("2001:DB8::7", f"Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0 https://x.org/?link={token}")
    links.record_refusal(fresh, "revoked", client=client)
    detail = json.loads(fresh.scalar("SELECT detail FROM audit_log WHERE action = 'link_refused'"))
    assert detail["client"] == {"address": "2001:db8::7",
                                "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0 https://x.org/"}
    assert columns_holding(fresh, token) == []


@pytest.mark.parametrize(
    ("address", "agent", "expected"),
    [
        ("198.51.100.20", "Firefox/140.0", ClientInfo("198.51.100.20", "Firefox/140.0")),
        (None, None, ClientInfo(None, None)),  # localhost: Streamlit gives no address
        ("not an address", "a" * 500, ClientInfo(None, "a" * 160)),
        ("fe80::1%eth0", "line\r\nbreak", ClientInfo("fe80::1", "line break")),
        (object(), 42, ClientInfo(None, None)),  # whatever is not text is dropped
        ("203.0.113.1", "agent " + "A" * 43, ClientInfo("203.0.113.1", "agent [redacted]")),
    ],
)
def test_a_client_fingerprint_keeps_an_address_and_a_short_user_agent_only(address, agent, expected) -> None:
    assert ClientInfo.of(address, agent) == expected
