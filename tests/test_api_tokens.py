"""Personal API tokens (``store.api_tokens``): an account makes and revokes its own on its My password
page and through ``python -m store tokens``; the token is shown once and stored as a digest only;
each change is audited with the account (or ``cli:<user>``) as actor; a revoked or expired token,
or one whose account is disabled, opens nothing.

Real AppTest sessions and child processes on private copies of the demo database, on DuckDB and on
PostgreSQL.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from test_audit_doors import run

from dashboard.testing import open_page, start
from i18n import t
from store import accounts, api_tokens
from store.audit import cli_actor
from store.db import Store, open_store, utc_now

MEMBER = "ASS-CAS-001"
pytestmark = pytest.mark.backends("duckdb", "postgres")


@pytest.fixture
def db(demo_copy: Path | str) -> Path | str:
    return demo_copy


def _audit(store: Store, action: str) -> list[tuple]:
    return store.query("SELECT actor, target, detail::VARCHAR AS detail FROM audit_log WHERE action = ? ORDER BY id",
                       [action]).rows()


def test_a_member_creates_a_token_on_its_page_sees_it_once_and_revokes_it(db: Path) -> None:
    at = open_page(start(db, identity=MEMBER), "password")
    at.text_input(key="api_token_label").input("Site web")
    at = at.button(key=f"FormSubmitter:api_token_create-{t('api.tokens.create', 'fr')}").click().run()
    shown = [c.value for c in at.code]
    assert len(shown) == 1 and re.fullmatch(r"athar_pat_[A-Za-z0-9_-]{43}", shown[0])
    token = shown[0]
    store = open_store(db)
    check = api_tokens.check_token(store, token)
    assert check.ok and check.account.username == MEMBER.lower() and check.account.viewer().org_code == MEMBER
    assert store.scalar("SELECT count(*) FROM api_tokens WHERE token_sha256 = ? OR label = ?", [token, token]) == 0
    actor = f"account:{MEMBER.lower()}"
    assert [(a, json.loads(d)["label"]) for a, _, d in _audit(store, "api_token_created")] == [(actor, "Site web")]
    at = at.run()
    assert [c.value for c in at.code] == []  # shown once: gone at the next rerun
    revoke = [b for b in at.button if b.key and b.key.startswith("api_token_revoke_")]
    assert len(revoke) == 1
    revoke[0].click().run()
    assert api_tokens.check_token(store, token).status == "revoked"
    assert [a for a, _, _ in _audit(store, "api_token_revoked")] == [actor]


def test_an_account_cannot_revoke_another_accounts_token(db: Path) -> None:
    store = open_store(db)
    accounts.ensure_demo_accounts(store)
    owner = accounts.find_by_username(store, MEMBER.lower())
    other = accounts.find_by_username(store, "fon-rbt-003")
    token_id, token = api_tokens.create_token(store, owner.id, "mine", actor=owner.actor)
    assert not api_tokens.revoke_token(store, token_id, account_id=other.id, actor=other.actor)
    assert api_tokens.check_token(store, token).ok


def test_an_expired_token_or_a_disabled_accounts_token_opens_nothing(db: Path) -> None:
    store = open_store(db)
    accounts.ensure_demo_accounts(store)
    owner = accounts.find_by_username(store, MEMBER.lower())
    token_id, token = api_tokens.create_token(store, owner.id, "court", actor=owner.actor, days=1)
    assert api_tokens.check_token(store, token, now=utc_now() + timedelta(days=2)).status == "expired"
    accounts.set_active(store, owner.id, False, actor="test")
    assert api_tokens.check_token(store, token).status == "account_unusable"
    with pytest.raises(api_tokens.ApiTokenError):
        api_tokens.create_token(store, owner.id, "long", actor=owner.actor, days=api_tokens.MAX_DAYS + 1)
    with pytest.raises(api_tokens.ApiTokenError):
        api_tokens.create_token(store, owner.id, "   ", actor=owner.actor)


def test_the_command_line_creates_lists_and_revokes_an_accounts_tokens(db: Path | str) -> None:
    assert run("store", "accounts", "add", "bob", "--role", "member", "--org", MEMBER, "--db", db).returncode == 0
    made = run("store", "tokens", "create", "bob", "--label", "Entrepôt", "--days", "30", "--db", db, "--lang", "en")
    assert made.returncode == 0, made.stderr
    token = re.search(r"athar_pat_[A-Za-z0-9_-]{43}", made.stdout).group(0)
    listed = run("store", "tokens", "list", "bob", "--json", "--db", db)
    rows = json.loads(listed.stdout)
    assert [(r["label"], r["status"]) for r in rows] == [("Entrepôt", "active")] and token not in listed.stdout
    assert run("store", "tokens", "revoke", "bob", str(rows[0]["id"]), "--db", db).returncode == 0
    assert run("store", "tokens", "revoke", "bob", str(rows[0]["id"]), "--db", db).returncode == 1
    store = Store(db)
    try:
        assert api_tokens.check_token(store, token).status == "revoked"
        assert [a for a, _, _ in _audit(store, "api_token_created")] == [cli_actor()]
        assert [a for a, _, _ in _audit(store, "api_token_revoked")] == [cli_actor()]
    finally:
        store.close()
