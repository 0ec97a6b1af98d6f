"""Local accounts: argon2id hashes, answers that do not tell users apart, lockout, audit, demo accounts."""

from __future__ import annotations

import json
import statistics
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import SAMPLES

from ingest.orgs import read_org_file
from store import accounts
from store.accounts import DEMO_PASSWORD, DEMO_STEERING, AccountError
from store.db import Store, utc_now
from store.registry import upsert_organizations
from store.settings import AccessSettings

from .dbscan import columns_holding, file_holds

ORG = "ASS-CAS-001"
PASSWORD = "correct horse battery staple"
SETTINGS = AccessSettings()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "accounts.duckdb"


@pytest.fixture
def store(db: Path, framework, monkeypatch):
    for name in ("ATHAR_DEMO_MODE", "ATHAR_ADMIN_USER", "ATHAR_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name in AccessSettings.model_fields:
        monkeypatch.delenv(f"ATHAR_{name.upper()}", raising=False)
    handle = Store(db)
    parsed = read_org_file((SAMPLES / "organizations.csv").read_bytes(), "organizations.csv", framework)
    upsert_organizations(handle, parsed.rows)
    yield handle
    handle.close()


@pytest.fixture
def alice(store: Store) -> int:
    account_id, _ = accounts.create_account(store, "alice", "member", org_code=ORG, password=PASSWORD,
                                            created_by="cli:test")
    return account_id


def _audit(store: Store) -> list[tuple]:
    return store.query("SELECT actor, action, target, outcome, detail::VARCHAR FROM audit_log ORDER BY id").rows()


# -- hashes ----------------------------------------------------------------------------------
def test_password_is_stored_as_argon2id_and_nowhere_in_clear(store: Store, db: Path, alice: int) -> None:
    digest = store.scalar("SELECT password_hash FROM accounts WHERE id = ?", [alice])
    assert digest.startswith("$argon2id$")
    assert accounts.authenticate(store, "alice", PASSWORD).ok
    accounts.authenticate(store, "alice", PASSWORD + "!")
    generated_id, generated = accounts.create_account(store, "bob", "steering", created_by="cli:test")
    assert generated and len(generated) >= SETTINGS.password_min_length
    assert store.scalar("SELECT password_hash FROM accounts WHERE id = ?", [generated_id]).startswith("$argon2id$")
    for secret in (PASSWORD, PASSWORD + "!", generated):
        assert columns_holding(store, secret) == []
        assert not file_holds(db, secret)
    assert file_holds(db, "alice")  # the scan does see what is stored
    store.close()
    for secret in (PASSWORD, generated):
        assert not file_holds(db, secret)


def test_same_password_gives_different_hashes(store: Store, alice: int) -> None:
    accounts.create_account(store, "alice2", "member", org_code=ORG, password=PASSWORD)
    hashes = store.query("SELECT password_hash FROM accounts WHERE username IN ('alice', 'alice2')")["password_hash"]
    assert hashes.n_unique() == 2  # salted


def test_short_passwords_are_refused(store: Store, alice: int) -> None:
    with pytest.raises(AccountError) as refused:
        accounts.create_account(store, "carol", "member", org_code=ORG, password="x" * (SETTINGS.password_min_length - 1))
    assert refused.value.code == "password_too_short"
    with pytest.raises(AccountError):
        accounts.set_password(store, alice, "short", actor="cli:test")
    assert accounts.authenticate(store, "alice", PASSWORD).ok


# -- answers that do not tell a wrong user from a wrong password ----------------------------
def test_wrong_password_and_unknown_user_get_the_same_answer(store: Store, alice: int) -> None:
    wrong_password = accounts.authenticate(store, "alice", "not the password")
    unknown_user = accounts.authenticate(store, "zineb", "not the password")
    assert wrong_password == unknown_user == accounts.SignIn(None, "wrong")
    oidc_id, _ = accounts.create_account(store, "nadia", "member", org_code=ORG, password="", email="n@example.org")
    assert accounts.authenticate(store, "nadia", "") == accounts.SignIn(None, "wrong")
    assert accounts.authenticate(store, "nadia", "anything at all") == accounts.SignIn(None, "wrong")
    details = [json.loads(d) for _, action, _, _, d in _audit(store) if action == "sign_in_failed"]
    assert [d["reason"] for d in details] == ["wrong"] * 4


def _median_seconds(attempt, times: int = 5) -> float:
    durations = []
    for _ in range(times):
        start = time.perf_counter()
        attempt()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations)


def test_unknown_users_cost_a_hash_like_known_ones(store: Store, alice: int) -> None:
    """No account enumeration by timing: each refusal checks one argon2id hash."""
    accounts.create_account(store, "nadia", "member", org_code=ORG, password="", email="n@example.org")
    settings = AccessSettings(lockout_after=20)
    known = _median_seconds(lambda: accounts.authenticate(store, "alice", "wrong guess", settings=settings))
    unknown = _median_seconds(lambda: accounts.authenticate(store, "nobody-here", "wrong guess", settings=settings))
    oidc_only = _median_seconds(lambda: accounts.authenticate(store, "nadia", "wrong guess", settings=settings))
    assert unknown > known / 3 and oidc_only > known / 3, (known, unknown, oidc_only)


# -- lockout ---------------------------------------------------------------------------------
def test_account_locks_after_repeated_failures_even_for_the_right_password(store: Store, alice: int) -> None:
    for attempt in range(1, SETTINGS.lockout_after):
        assert accounts.authenticate(store, "alice", f"guess {attempt}").reason == "wrong"
    locking = accounts.authenticate(store, "alice", "one guess too many")
    assert locking.reason == "locked" and locking.retry_after > utc_now()
    refused = accounts.authenticate(store, "alice", PASSWORD)
    assert not refused.ok and refused.reason == "locked"
    failed = store.scalar("SELECT failed_count FROM accounts WHERE id = ?", [alice])
    assert failed == SETTINGS.lockout_after  # attempts while locked do not count, and are not checked
    store.write(lambda cur: cur.execute(
        "UPDATE accounts SET locked_until = ? WHERE id = ?", [utc_now() - timedelta(seconds=1), alice]))
    assert accounts.authenticate(store, "alice", PASSWORD).ok
    assert store.query("SELECT failed_count, locked_until FROM accounts WHERE id = ?", [alice]).row(0) == (0, None)


def test_lock_grows_with_each_further_failure(store: Store, alice: int) -> None:
    for _ in range(SETTINGS.lockout_after):
        accounts.authenticate(store, "alice", "guess")
    first = store.scalar("SELECT locked_until FROM accounts WHERE id = ?", [alice]) - utc_now()
    store.write(lambda cur: cur.execute(
        "UPDATE accounts SET locked_until = ? WHERE id = ?", [utc_now() - timedelta(seconds=1), alice]))
    again = accounts.authenticate(store, "alice", "guess again")
    second = again.retry_after - utc_now()
    assert again.reason == "locked"
    assert timedelta(minutes=SETTINGS.lockout_minutes) - timedelta(seconds=5) < first <= timedelta(minutes=SETTINGS.lockout_minutes)
    assert second > first + timedelta(seconds=30)


def test_parallel_guesses_all_count_towards_the_lock(store: Store, alice: int) -> None:
    """Guesses sent at once must not each read the same count and write it back plus one."""
    barrier = threading.Barrier(SETTINGS.lockout_after * 2)

    def guess(n: int) -> None:
        barrier.wait()
        accounts.authenticate(store, "alice", f"parallel guess {n}")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(SETTINGS.lockout_after * 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.scalar("SELECT failed_count FROM accounts WHERE id = ?", [alice]) >= SETTINGS.lockout_after
    assert accounts.authenticate(store, "alice", PASSWORD).reason == "locked"


def test_every_attempt_is_audited_without_the_password(store: Store, alice: int) -> None:
    attempts = [("alice", "first wrong guess"), ("ALICE", PASSWORD), ("zineb", "guess for nobody"),
                ("alice", "second wrong guess"), ("x' OR 1=1 --", "sql guess")]
    for username, password in attempts:
        accounts.authenticate(store, username, password)
    sign_ins = [row for row in _audit(store) if row[1] in ("sign_in", "sign_in_failed")]
    assert [(actor, action, outcome) for actor, action, _, outcome, _ in sign_ins] == [
        ("account:alice", "sign_in_failed", "refused"),
        ("account:alice", "sign_in", "ok"),
        ("account:zineb", "sign_in_failed", "refused"),
        ("account:alice", "sign_in_failed", "refused"),
        ("unknown", "sign_in_failed", "refused"),
    ]
    for _, password in attempts:
        assert columns_holding(store, password) == []


def test_disabled_account_is_refused_and_the_last_steering_account_stays(store: Store, alice: int) -> None:
    accounts.set_active(store, alice, False, actor="cli:test")
    assert accounts.authenticate(store, "alice", PASSWORD).reason == "inactive"
    boss_id, boss_password = accounts.create_account(store, "boss", "steering")
    with pytest.raises(AccountError) as refused:
        accounts.set_active(store, boss_id, False, actor="cli:test")
    assert refused.value.code == "last_steering"
    assert accounts.authenticate(store, "boss", boss_password).ok


# -- demo accounts ---------------------------------------------------------------------------
def test_demo_accounts_exist_only_in_demo_mode(store: Store, monkeypatch) -> None:
    assert accounts.ensure_demo_accounts(store) == 0
    monkeypatch.setenv("ATHAR_DEMO_MODE", "1")
    orgs = store.query("SELECT code FROM organizations")["code"].to_list()
    assert accounts.ensure_demo_accounts(store) == 1 + len(orgs)
    assert accounts.ensure_demo_accounts(store) == 0  # once
    demo = set(store.query("SELECT username FROM accounts WHERE demo")["username"])
    assert demo == {DEMO_STEERING, *(code.lower() for code in orgs)}
    assert accounts.authenticate(store, DEMO_STEERING, DEMO_PASSWORD).account.role == "steering"
    member = accounts.authenticate(store, ORG.lower(), DEMO_PASSWORD).account
    assert member.role == "member" and member.org_code == ORG
    for value in ("0", "", "true", "yes", "on", " 1"):
        monkeypatch.setenv("ATHAR_DEMO_MODE", value)
        for username in (DEMO_STEERING, ORG.lower()):
            assert accounts.authenticate(store, username, DEMO_PASSWORD).reason == "inactive", (value, username)
    monkeypatch.delenv("ATHAR_DEMO_MODE")
    assert accounts.authenticate(store, DEMO_STEERING, DEMO_PASSWORD).reason == "inactive"
    assert accounts.steering_count(store) == 0  # a demo account is never the first steering account
    username, password = accounts.ensure_first_steering(store)
    assert accounts.authenticate(store, username, password).ok


def test_first_steering_account_from_the_environment(store: Store, monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_ADMIN_PASSWORD", "too short")
    with pytest.raises(AccountError):
        accounts.ensure_first_steering(store)
    monkeypatch.setenv("ATHAR_ADMIN_USER", "Presidente")
    monkeypatch.setenv("ATHAR_ADMIN_PASSWORD", PASSWORD)
    username, shown = accounts.ensure_first_steering(store)
    assert username == "presidente" and PASSWORD not in shown
    assert accounts.authenticate(store, "presidente", PASSWORD).ok
    assert accounts.ensure_first_steering(store) is None
