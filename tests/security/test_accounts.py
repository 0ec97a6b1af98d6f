"""Local accounts: argon2id hashes, answers that do not tell users apart, sign-in throttling, audit, demo accounts."""

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
from store.clients import ClientInfo
from store.db import Store, utc_now
from store.registry import upsert_organizations
from store.settings import AccessSettings

from .dbscan import columns_holding, file_holds

ORG = "ASS-CAS-001"
PASSWORD = "correct horse battery staple"
SETTINGS = AccessSettings()
#: Three connections: the person's usual browser, an attacker's, and the person on a new device.
OFFICE = ClientInfo.of("198.51.100.20", "Mozilla/5.0 (Windows NT 10.0) Firefox/140.0")
ATTACKER = ClientInfo.of("203.0.113.66", "curl/8.5")
NEW_DEVICE = ClientInfo.of("192.0.2.44", "Mozilla/5.0 (Android 14) Chrome/139.0")


pytestmark = pytest.mark.backends("duckdb", "postgres")


@pytest.fixture
def db(db_target: Path | str) -> Path | str:
    """The DuckDB file, or the (empty) PostgreSQL database, of the test."""
    return db_target


@pytest.fixture
def store(db: Path, framework, monkeypatch):
    for name in ("ATHAR_DEMO_MODE", "ATHAR_ADMIN_USER", "ATHAR_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name in AccessSettings.model_fields:
        monkeypatch.delenv(f"ATHAR_{name.upper()}", raising=False)
    handle = Store(db)
    parsed = read_org_file((SAMPLES / "organizations.csv").read_bytes(), "organizations.csv", framework)
    upsert_organizations(handle, parsed.rows, actor="cli:test")
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
    assert [d["reason"] for d in details] == ["wrong", "no_account", "wrong", "wrong"]  # the committee may know


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
    settings = AccessSettings(sign_in_delay_after=50)
    known = _median_seconds(lambda: accounts.authenticate(store, "alice", "wrong guess", settings=settings))
    unknown = _median_seconds(lambda: accounts.authenticate(store, "nobody-here", "wrong guess", settings=settings))
    oidc_only = _median_seconds(lambda: accounts.authenticate(store, "nadia", "wrong guess", settings=settings))
    assert unknown > known / 3 and oidc_only > known / 3, (known, unknown, oidc_only)


# -- throttling ------------------------------------------------------------------------------
def _flood(store: Store, username: str, count: int, client: ClientInfo = ATTACKER) -> None:
    for n in range(count):
        accounts.authenticate(store, username, f"guess {n}", client=client)


def _unthrottle(store: Store) -> None:
    """Let every delay run out (as time would)."""
    past = utc_now() - timedelta(seconds=1)
    store.write(lambda cur: (cur.execute("UPDATE accounts SET locked_until = ? WHERE locked_until IS NOT NULL", [past]),
                             cur.execute("UPDATE sign_in_clients SET locked_until = ?", [past])))


def test_a_throttled_account_refuses_the_right_password_from_a_new_client_without_telling(store, alice) -> None:
    _flood(store, "alice", SETTINGS.sign_in_delay_after)
    assert store.scalar("SELECT locked_until FROM accounts WHERE id = ?", [alice]) > utc_now()
    refused = accounts.authenticate(store, "alice", PASSWORD, client=NEW_DEVICE)
    assert refused == accounts.SignIn(None, "wrong")  # the same answer as a wrong password
    last = json.loads(_audit(store)[-1][4])
    assert last["reason"] == "throttled" and last["throttled"] and not last["known_client"]
    _unthrottle(store)
    assert accounts.authenticate(store, "alice", PASSWORD, client=NEW_DEVICE).ok
    assert store.query("SELECT failed_count, locked_until FROM accounts WHERE id = ?", [alice]).row(0) == (0, None)


def test_anyones_wrong_passwords_no_longer_lock_the_committee_out(store) -> None:
    """The finding: six wrong passwords from anyone locked any named account, the committee's included."""
    boss_id, boss_password = accounts.create_account(store, "boss", "steering", created_by="cli:test")
    assert accounts.authenticate(store, "boss", boss_password, client=OFFICE).ok  # the committee's usual browser
    _flood(store, "boss", 3 * SETTINGS.sign_in_delay_after)
    assert store.scalar("SELECT locked_until FROM accounts WHERE id = ?", [boss_id]) > utc_now()
    assert accounts.authenticate(store, "boss", boss_password, client=OFFICE).ok
    assert not accounts.authenticate(store, "boss", boss_password, client=NEW_DEVICE).ok
    # a known client's wrong password is still refused, and still counted
    assert accounts.authenticate(store, "boss", "not it", client=OFFICE) == accounts.SignIn(None, "wrong")


def test_the_committee_unlock_lifts_the_account_and_its_known_clients_delays(store, alice) -> None:
    assert accounts.authenticate(store, "alice", PASSWORD, client=OFFICE).ok
    _flood(store, "zineb", SETTINGS.sign_in_delay_after, client=OFFICE)  # the office address sprays (a NAT)
    _flood(store, "alice", SETTINGS.sign_in_delay_after, client=NEW_DEVICE)
    assert not accounts.authenticate(store, "alice", PASSWORD, client=NEW_DEVICE).ok
    accounts.unlock(store, alice, actor="cli:test")
    assert store.query("SELECT failed_count, locked_until FROM accounts WHERE id = ?", [alice]).row(0) == (0, None)
    assert store.scalar("SELECT count(*) FROM sign_in_clients WHERE client_sha256 = ?", [OFFICE.key]) == 0
    assert store.scalar("SELECT count(*) FROM sign_in_clients WHERE client_sha256 = ?", [NEW_DEVICE.key]) == 1
    assert accounts.authenticate(store, "alice", PASSWORD, client=ClientInfo.of("198.51.100.20", "another browser")).ok


def _lock_seconds(store: Store, sql: str, params: list) -> float:
    return (store.scalar(sql, params) - utc_now()).total_seconds()


def test_account_delay_grows_with_each_further_failure_up_to_the_cap(store: Store, alice: int) -> None:
    settings = AccessSettings(sign_in_delay_seconds=10, sign_in_delay_max_seconds=100)
    seen = []
    for n in range(settings.sign_in_delay_after + 6):
        # each guess from its own address: only the account's count is at work here
        accounts.authenticate(store, "alice", "guess", client=ClientInfo.of(f"192.0.2.{n + 1}", "x"), settings=settings)
        until = store.scalar("SELECT locked_until FROM accounts WHERE id = ?", [alice])
        seen.append(None if until is None else round((until - utc_now()).total_seconds()))
    after = settings.sign_in_delay_after
    assert seen[: after - 1] == [None] * (after - 1)
    assert seen[after - 1:] == [10, 20, 40, 80, 100, 100, 100]


def test_a_client_spraying_user_names_is_delayed_more_and_more(store: Store, alice: int) -> None:
    """Per client: one address trying many names (known or not) is slowed, whoever the names are."""
    delays = []
    for n in range(SETTINGS.sign_in_delay_after + 4):
        accounts.authenticate(store, f"user{n}", "Summer2026!", client=ATTACKER)
        if store.scalar("SELECT locked_until FROM sign_in_clients WHERE client_sha256 = ?", [ATTACKER.key]):
            delays.append(_lock_seconds(
                store, "SELECT locked_until FROM sign_in_clients WHERE client_sha256 = ?", [ATTACKER.key]))
    assert len(delays) == 5 and all(b > a + 10 for a, b in zip(delays, delays[1:], strict=False)), delays
    # the sprayer gets nothing more, not even with a right password; anyone else is not slowed
    assert not accounts.authenticate(store, "alice", PASSWORD, client=ATTACKER).ok
    assert accounts.authenticate(store, "alice", PASSWORD, client=NEW_DEVICE).ok
    assert columns_holding(store, ATTACKER.address) == ["audit_log.detail"]  # hashed in the throttle tables


def test_parallel_guesses_all_count_towards_the_delay(store: Store, alice: int) -> None:
    """Guesses sent at once must not each read the same count and write it back plus one."""
    barrier = threading.Barrier(SETTINGS.sign_in_delay_after * 2)

    def guess(n: int) -> None:
        barrier.wait()
        accounts.authenticate(store, "alice", f"parallel guess {n}", client=ClientInfo.of(f"192.0.2.{n + 1}", "x"))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(SETTINGS.sign_in_delay_after * 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.scalar("SELECT failed_count FROM accounts WHERE id = ?", [alice]) == SETTINGS.sign_in_delay_after * 2
    assert not accounts.authenticate(store, "alice", PASSWORD, client=NEW_DEVICE).ok


def test_unknown_user_wrong_password_and_throttled_account_look_the_same(store: Store, alice: int) -> None:
    """Same answer, same timing (medians within noise), with the real argon2id hasher."""
    bob_id, _ = accounts.create_account(store, "bob", "member", org_code=ORG, password=PASSWORD + " bob")
    _flood(store, "bob", SETTINGS.sign_in_delay_after)
    settings = AccessSettings(sign_in_delay_after=50)  # the measuring itself must not throttle anyone
    cases = {
        "unknown user": ("nobody-here", PASSWORD, ClientInfo.of("192.0.2.1", "a")),
        "wrong password": ("alice", "not the password", ClientInfo.of("192.0.2.2", "b")),
        "throttled account": ("bob", PASSWORD + " bob", ClientInfo.of("192.0.2.3", "c")),  # even the right one
    }
    durations: dict[str, list[float]] = {name: [] for name in cases}
    answers = set()
    for _ in range(15):
        for name, (username, password, client) in cases.items():  # interleaved: drift hits all alike
            start = time.perf_counter()
            answers.add(accounts.authenticate(store, username, password, client=client, settings=settings))
            durations[name].append(time.perf_counter() - start)
    assert answers == {accounts.SignIn(None, "wrong")}
    assert store.scalar("SELECT locked_until FROM accounts WHERE id = ?", [bob_id]) > utc_now()
    medians = {name: statistics.median(values) for name, values in durations.items()}
    base = medians["wrong password"]
    for median in medians.values():
        assert 0.7 <= median / base <= 1.4, medians


def test_every_attempt_is_audited_without_the_password(store: Store, alice: int) -> None:
    attempts = [("alice", "first wrong guess"), ("ALICE", PASSWORD), ("zineb", "guess for nobody"),
                ("alice", "second wrong guess"), ("x' OR 1=1 --", "sql guess")]
    for username, password in attempts:
        accounts.authenticate(store, username, password)
    sign_ins = [row for row in _audit(store) if row[1] in ("sign_in", "sign_in_failed")]
    assert [(actor, action, outcome) for actor, action, _, outcome, _ in sign_ins] == [
        ("account:alice", "sign_in_failed", "refused"),
        ("account:alice", "sign_in", "ok"),
        ("unknown", "sign_in_failed", "refused"),
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


# -- what a failed sign-in leaves in the audit log -----------------------------------------------
def test_a_password_typed_as_the_user_name_is_not_stored(store: Store, alice: int) -> None:
    typed = "Tiznit.Soleil-2026"  # a well-formed user name, and someone's password
    refused = accounts.authenticate(store, typed, "", client=OFFICE)
    assert refused == accounts.SignIn(None, "wrong")
    actor, action, _, _, detail = _audit(store)[-1]
    assert (actor, action) == ("unknown", "sign_in_failed")
    for form in (typed, typed.lower()):
        assert columns_holding(store, form) == []


def test_sign_in_audits_carry_the_client_fingerprint(store: Store, alice: int) -> None:
    accounts.authenticate(store, "alice", "wrong guess", client=OFFICE)
    accounts.authenticate(store, "alice", PASSWORD, client=OFFICE)
    for _, action, _, _, detail in _audit(store)[-2:]:
        assert json.loads(detail)["client"] == {"address": "198.51.100.20", "user_agent": OFFICE.user_agent}, action
