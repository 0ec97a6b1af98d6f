"""Sessions that survive a reload (``store.sessions``, ``server.session_routes``, ``dashboard.access``).

The store part on a real DuckDB file and on a real PostgreSQL database; the routes through Starlette's TestClient on the real route
functions; the dashboard part in real AppTest sessions on private copies of the demo database (two
sessions of one account stand for two tabs: AppTest has no cookies, so there each session is one
tab's, still revocable from elsewhere). The browser part (reload, new tab, the cookie's flags) is
tests/browser/test_browser_sessions.py.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import database_of
from starlette.applications import Starlette
from starlette.testclient import TestClient

from dashboard.testing import open_page, start
from i18n import t
from server import session_routes
from store import accounts, sessions
from store.accounts import DEMO_PASSWORD
from store.db import Store, open_store, utc_now

MEMBER = "ASS-CAS-001"
PASSWORD = "Correct-horse-battery-9"
SIGN_IN = t("dashboard.access.sign_in_title", "fr")

#: The store, the routes and the command line on both backends; the dashboard part on the DuckDB demo.
pytestmark = pytest.mark.backends("duckdb", "postgres")


@pytest.fixture
def alice(store: Store) -> int:
    return accounts.create_account(store, "alice", "steering", password=PASSWORD, created_by="test")[0]


def _audit(store: Store, action: str) -> list[tuple]:
    return store.query("SELECT actor, target, outcome, detail::VARCHAR AS detail FROM audit_log WHERE action = ? "
                       "ORDER BY id", [action]).rows()


def _cookie_of(store: Store, account_id: int, page: str = "/profile?org=X&lang=ar") -> tuple[int, str]:
    session_id, code = sessions.create(store, account_id, actor="account:alice", handoff_next=page)
    issued = sessions.issue_cookie(store, code)
    assert issued is not None and issued.session_id == session_id
    return session_id, issued.token


# -- the store ---------------------------------------------------------------------------------
def test_the_token_and_the_handoff_code_are_stored_only_as_digests(store: Store, alice: int) -> None:
    session_id, code = sessions.create(store, alice, actor="account:alice", handoff_next="/")
    texts = lambda: " ".join(str(v) for row in store.query("SELECT * FROM sessions").rows() for v in row)  # noqa: E731
    assert code not in texts() and hashlib.sha256(code.encode()).hexdigest() in texts()
    token = sessions.issue_cookie(store, code).token
    everything = texts() + " ".join(str(r) for r in store.query("SELECT * FROM audit_log").rows())
    assert token not in everything and code not in everything
    assert hashlib.sha256(token.encode()).hexdigest() in texts()
    assert sessions.resolve(store, token).session_id == session_id


def test_a_handoff_code_gives_a_cookie_once_only(store: Store, alice: int) -> None:
    _, code = sessions.create(store, alice, actor="account:alice", handoff_next="/overview?lang=ar")
    first = sessions.issue_cookie(store, code)
    assert first is not None and first.next_path == "/overview?lang=ar"
    assert sessions.issue_cookie(store, code) is None
    assert sessions.resolve(store, first.token).ok  # the first cookie still holds
    assert [json.loads(d)["status"] for *_, d in _audit(store, "session_handoff_refused")] == ["unknown"]


def test_a_handoff_code_older_than_a_minute_gives_nothing(store: Store, alice: int) -> None:
    session_id, code = sessions.create(store, alice, actor="account:alice", handoff_next="/")
    store.write(lambda cur: cur.execute("UPDATE sessions SET handoff_expires_at = ? WHERE id = ?",
                                        [utc_now() - timedelta(seconds=1), session_id]))
    assert sessions.issue_cookie(store, code) is None
    assert store.scalar("SELECT token_sha256 FROM sessions WHERE id = ?", [session_id]) is None


def test_a_handoff_code_of_a_revoked_session_gives_nothing(store: Store, alice: int) -> None:
    session_id, code = sessions.create(store, alice, actor="account:alice", handoff_next="/")
    sessions.revoke(store, session_id, actor="account:alice")
    assert sessions.issue_cookie(store, code) is None


def test_the_page_to_return_to_is_always_on_this_server(store: Store, alice: int) -> None:
    for elsewhere in ("https://evil.example/", "//evil.example/x", "/\\evil", "javascript:alert(1)"):
        _, code = sessions.create(store, alice, actor="account:alice", handoff_next=elsewhere)
        assert sessions.issue_cookie(store, code).next_path == "/"


@pytest.mark.parametrize(("later", "status"), [(timedelta(minutes=31), "idle"), (timedelta(hours=13), "expired")])
def test_an_idle_or_too_old_session_opens_nothing(store: Store, alice: int, later: timedelta, status: str) -> None:
    session_id, token = _cookie_of(store, alice)
    assert sessions.resolve(store, token).ok
    assert sessions.resolve(store, token, now=utc_now() + later).status == status
    assert sessions.check(store, session_id, now=utc_now() + later).status == status
    assert sessions.open_count(store, alice) == 1 and sessions.open_count(store, alice, now=utc_now() + later) == 0


def test_an_active_session_outlives_the_idle_limit(store: Store, alice: int) -> None:
    _, token = _cookie_of(store, alice)
    now = utc_now()
    for step in range(1, 5):  # a click every 20 minutes for 80 minutes
        assert sessions.resolve(store, token, now=now + timedelta(minutes=20 * step)).ok


def test_last_seen_is_written_at_most_once_a_minute(store: Store, alice: int) -> None:
    session_id, token = _cookie_of(store, alice)
    seen = lambda: store.scalar("SELECT last_seen_at FROM sessions WHERE id = ?", [session_id])  # noqa: E731
    before = seen()
    sessions.resolve(store, token, now=before + timedelta(seconds=30))
    assert seen() == before
    sessions.resolve(store, token, now=before + timedelta(seconds=90))
    assert seen() == before + timedelta(seconds=90)


def test_a_forged_or_malformed_token_opens_nothing(store: Store, alice: int) -> None:
    _, token = _cookie_of(store, alice)
    forged = ("A" if token[0] != "A" else "B") + token[1:]
    assert sessions.resolve(store, forged).status == "unknown"
    for bad in (None, "", "short", token + "x", "' OR 1=1 --", hashlib.sha256(token.encode()).hexdigest()):
        assert not sessions.resolve(store, bad).ok


def test_sign_out_ends_one_session_and_is_audited_as_sign_out(store: Store, alice: int) -> None:
    first, token = _cookie_of(store, alice)
    second, other = _cookie_of(store, alice)
    assert sessions.revoke(store, first, actor="account:alice")
    assert sessions.resolve(store, token).status == "revoked" and sessions.resolve(store, other).ok
    assert [(a, tg) for a, tg, *_ in _audit(store, "sign_out")] == [("account:alice", f"session:{first}")]
    assert not sessions.revoke(store, first, actor="account:alice")  # once


def test_sign_out_everywhere_ends_every_session_of_the_account_and_no_other(store: Store, alice: int) -> None:
    bob = accounts.create_account(store, "bob", "steering", password=PASSWORD, created_by="test")[0]
    tokens = [_cookie_of(store, alice)[1] for _ in range(3)]
    _, bobs = _cookie_of(store, bob)
    assert sessions.open_count(store, alice) == 3
    assert sessions.revoke_all(store, alice, actor="account:alice", reason="sign_out_everywhere") == 3
    assert {sessions.resolve(store, tk).status for tk in tokens} == {"revoked"}
    assert sessions.resolve(store, bobs).ok and sessions.open_count(store, alice) == 0
    [(actor, target, _, detail)] = _audit(store, "sessions_revoked")
    assert (actor, target, json.loads(detail)["count"]) == ("account:alice", "account:alice", 3)


def test_a_password_change_ends_the_accounts_other_sessions_in_its_transaction(store: Store, alice: int) -> None:
    kept, mine = _cookie_of(store, alice)
    _, other = _cookie_of(store, alice)
    accounts.change_own_password(store, alice, PASSWORD, PASSWORD + "!", keep_session=kept)
    assert sessions.resolve(store, mine).ok and sessions.resolve(store, other).status == "revoked"
    assert sessions.check(store, sessions.resolve(store, mine).session_id).ok
    ids = store.query("SELECT id, action FROM audit_log WHERE action IN ('password_changed', 'sessions_revoked') "
                      "ORDER BY id").rows()
    assert [a for _, a in ids] == ["password_changed", "sessions_revoked"]
    accounts.reset_password(store, alice, actor="cli:test")  # the committee or the command line: all of them
    assert sessions.resolve(store, mine).status == "revoked"
    assert sessions.check(store, kept).reason == "password_changed"


def test_disabling_an_account_ends_its_sessions_for_good(store: Store, alice: int) -> None:
    bob = accounts.create_account(store, "bob", "steering", password=PASSWORD, created_by="test")[0]
    _, token = _cookie_of(store, bob)
    accounts.set_active(store, bob, False, actor="account:alice")
    accounts.set_active(store, bob, True, actor="account:alice")
    assert sessions.resolve(store, token).status == "revoked"
    [(actor, target, _, detail)] = _audit(store, "sessions_revoked")
    assert (actor, target, json.loads(detail)["reason"]) == ("account:alice", "account:bob", "account_disabled")


def test_a_sign_in_deletes_the_sessions_ended_over_a_day_ago_and_keeps_the_rest(store: Store, alice: int) -> None:
    bob = accounts.create_account(store, "bob", "steering", password=PASSWORD, created_by="test")[0]
    now = utc_now()
    made = {name: sessions.create(store, who, actor="test")[0] for name, who in (
        ("expired_long_ago", bob), ("revoked_long_ago", alice), ("expired_an_hour_ago", alice),
        ("revoked_an_hour_ago", bob), ("open", alice))}
    moves = {"expired_long_ago": ("expires_at", now - timedelta(days=2)),
             "revoked_long_ago": ("revoked_at", now - timedelta(days=1, minutes=1)),
             "expired_an_hour_ago": ("expires_at", now - timedelta(hours=1)),
             "revoked_an_hour_ago": ("revoked_at", now - timedelta(hours=1))}
    for name, (column, when) in moves.items():
        store.write(lambda cur, c=column, w=when, n=name: cur.execute(
            f"UPDATE sessions SET {c} = ? WHERE id = ?", [w, made[n]]))
    new_id, _ = sessions.create(store, alice, actor="account:alice")
    kept = set(store.query("SELECT id FROM sessions")["id"])
    assert kept == {made["expired_an_hour_ago"], made["revoked_an_hour_ago"], made["open"], new_id}
    assert sessions.check(store, made["revoked_an_hour_ago"]).status == "revoked"  # the reason still there
    detail = json.loads(_audit(store, "session_created")[-1][3])
    assert detail["pruned"] == 2 and detail["account_id"] == alice
    sessions.create(store, bob, actor="account:bob")
    assert json.loads(_audit(store, "session_created")[-1][3])["pruned"] == 0  # nothing more to prune


# -- the routes --------------------------------------------------------------------------------
@pytest.fixture
def client(store: Store, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setattr(sessions.CookieDoor, "open", False)  # restored after the test
    app = Starlette(routes=session_routes.routes(lambda: database_of(store), trust_proxy=False))
    return TestClient(app, base_url="http://athar.test", follow_redirects=False)


def _post(client: TestClient, code: str, **headers: str):
    return client.post("/session/start", data={"code": code}, headers={"origin": "http://athar.test", **headers})


def test_a_refused_code_returns_to_the_sign_in_page_in_its_language(client) -> None:
    reply = client.post("/session/start?lang=ar", data={"code": "x" * 43})
    assert reply.status_code == 303 and reply.headers["location"] == "/?lang=ar" and "set-cookie" not in reply.headers


def test_the_start_route_swaps_a_code_for_an_httponly_samesite_cookie_once(store: Store, alice: int, client) -> None:
    _, code = sessions.create(store, alice, actor="account:alice", handoff_next="/profile?org=X&lang=ar")
    reply = _post(client, code)
    assert reply.status_code == 303 and reply.headers["location"] == "/profile?org=X&lang=ar"
    cookie = reply.headers["set-cookie"]
    token = cookie.split(";")[0].split("=", 1)[1]
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= flags and "secure" not in flags  # plain HTTP here
    assert sessions.resolve(store, token).account_id == alice
    again = _post(client, code)
    assert again.status_code == 303 and again.headers["location"] == "/?lang=fr" and "set-cookie" not in again.headers


def test_the_cookie_is_secure_when_served_over_https(store: Store, alice: int, monkeypatch) -> None:
    monkeypatch.setattr(sessions.CookieDoor, "open", False)
    app = Starlette(routes=session_routes.routes(lambda: database_of(store), trust_proxy=True))
    https = TestClient(app, base_url="https://athar.test", follow_redirects=False)
    _, code = sessions.create(store, alice, actor="account:alice", handoff_next="/")
    reply = https.post("/session/start", data={"code": code}, headers={"origin": "https://athar.test"})
    assert "secure" in {part.strip().lower() for part in reply.headers["set-cookie"].split(";")}


def test_a_forged_code_or_a_post_from_another_site_gets_no_cookie(store: Store, alice: int, client) -> None:
    _, code = sessions.create(store, alice, actor="account:alice", handoff_next="/")
    assert "set-cookie" not in _post(client, "x" * 43).headers
    assert "set-cookie" not in _post(client, "not a code").headers
    assert _post(client, code, origin="https://evil.example").status_code == 403
    assert _post(client, code, **{"sec-fetch-site": "cross-site"}).status_code == 403
    assert _post(client, code, origin="null").status_code == 403  # an opaque origin, no Fetch metadata
    same_site = _post(client, "x" * 43, origin="null", **{"sec-fetch-site": "same-site"})
    assert same_site.status_code == 403  # a sibling subdomain is not this server
    # Chromium under Referrer-Policy: no-referrer: Origin null, Sec-Fetch-Site same-origin.
    assert "set-cookie" in _post(client, code, origin="null", **{"sec-fetch-site": "same-origin"}).headers


def test_the_start_page_keeps_the_code_out_of_the_address(client) -> None:
    page = client.get("/session/start?lang=ar")
    assert page.status_code == 200 and 'dir="rtl"' in page.text and t("session.start_waiting", "ar") in page.text
    assert '<form id="start" method="post" action="/session/start?lang=ar">' in page.text
    assert '<script src="/session/start.js">' in page.text
    script = client.get("/session/start.js")
    assert "location.hash" in script.text and "history.replaceState" in script.text
    assert client.post("/session/start", data={"code": "x"}).status_code == 303  # no Origin: a same-site form


def test_the_end_route_expires_the_cookie(client) -> None:
    reply = client.get("/session/end?lang=ar")
    assert reply.status_code == 303 and reply.headers["location"] == "/?lang=ar"
    cookie = reply.headers["set-cookie"].lower()
    assert cookie.startswith(f"{sessions.COOKIE_NAME}=") and "max-age=0" in cookie and "httponly" in cookie


# -- the dashboard (two AppTest sessions of one account: two tabs) -----------------------------
@pytest.fixture
def db(demo_db_fresh: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    return demo_db_fresh


def _titles(at) -> list[str]:
    return [x.value for x in at.title]


def test_sign_in_makes_a_server_session_that_sign_out_ends(db: Path) -> None:
    at = start(db, identity=MEMBER)
    store = open_store(db)
    account = accounts.find_by_username(store, MEMBER.lower())
    assert sessions.open_count(store, account.id) == 1
    at.sidebar.button(key="sign_out").click().run()
    assert _titles(at) == [SIGN_IN] and sessions.open_count(store, account.id) == 0


def test_sign_out_everywhere_ends_the_other_tabs_at_their_next_interaction(db: Path) -> None:
    other = open_page(start(db, identity=MEMBER), "profile")
    me = open_page(start(db, identity=MEMBER), "password")
    me.button(key="sessions_everywhere").click().run()
    assert _titles(me) == [SIGN_IN]
    other.run()
    assert _titles(other) == [SIGN_IN]
    assert t("session.notice_signed_out", "fr") in [i.value for i in other.info]
    store = open_store(db)
    [(actor, _, _, detail)] = _audit(store, "sessions_revoked")
    assert actor == f"account:{MEMBER.lower()}" and json.loads(detail)["count"] == 2


def test_the_committee_signs_an_account_out_everywhere(db: Path) -> None:
    member = open_page(start(db, identity=MEMBER), "profile")
    committee = open_page(start(db, identity="steering"), "accounts")
    store = open_store(db)
    account = accounts.find_by_username(store, MEMBER.lower())
    committee.selectbox(key="accounts_choose").select(account.id).run()
    committee.button(key="accounts_sign_out_everywhere").click().run()
    assert any(MEMBER.lower() in s.value for s in committee.success)
    assert _titles(committee) == [t("dashboard.accounts.title", "fr")]  # the committee itself carries on
    member.run()
    assert _titles(member) == [SIGN_IN]
    [(actor, target, _, detail)] = _audit(store, "sessions_revoked")
    assert target == f"account:{MEMBER.lower()}" and json.loads(detail)["reason"] == "committee"
    assert actor != f"account:{MEMBER.lower()}"


def test_a_password_change_ends_the_other_tabs_but_not_this_one(db: Path) -> None:
    other = open_page(start(db, identity=MEMBER), "profile")
    me = open_page(start(db, identity=MEMBER), "password")
    me.text_input(key="password_current").input(DEMO_PASSWORD)
    me.text_input(key="password_new").input(PASSWORD)
    me.text_input(key="password_again").input(PASSWORD)
    me = me.button(key=f"FormSubmitter:password_change-{t('dashboard.registry.password_submit', 'fr')}").click().run()
    assert _titles(me) == [t("dashboard.registry.password_title", "fr")]
    me.run()
    assert _titles(me) == [t("dashboard.registry.password_title", "fr")]
    other.run()
    assert _titles(other) == [SIGN_IN]
    assert t("dashboard.access.notice.password_changed", "fr") in [i.value for i in other.info]


# -- the command line --------------------------------------------------------------------------
def test_the_command_line_signs_an_account_out_everywhere_audited_as_cli(db_target: Path | str) -> None:
    from test_audit_doors import run

    from store.audit import cli_actor

    db_path = db_target
    store = Store(db_path)
    try:
        alice = accounts.create_account(store, "alice", "steering", password=PASSWORD, created_by="test")[0]
        tokens = [_cookie_of(store, alice)[1] for _ in range(2)]
    finally:
        store.close()
    done = run("store", "sessions", "revoke", "--account", "Alice", "--db", db_path, "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == t("session.cli_revoked", "en", username="alice", count=2)
    unknown = run("store", "sessions", "revoke", "--account", "nobody", "--db", db_path)
    assert unknown.returncode == 1 and unknown.stderr.strip() == t("access.errors.unknown_account", "fr")
    store = Store(db_path)
    try:
        assert {sessions.resolve(store, tk).status for tk in tokens} == {"revoked"}
        [(actor, target, _, detail)] = _audit(store, "sessions_revoked")
        assert (actor, target, json.loads(detail)["reason"]) == (cli_actor(), "account:alice", "cli")
    finally:
        store.close()
