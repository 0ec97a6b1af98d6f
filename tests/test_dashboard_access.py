"""Sign-in, sign-out, session timeout and the steering committee's administration pages, in real
AppTest sessions on a private copy of the demo database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dashboard.access import AUTH_KEY
from dashboard.testing import open_page, sign_in, start, visible_text
from i18n import t
from store import accounts, links
from store.accounts import DEMO_PASSWORD
from store.clients import ClientInfo
from store.db import open_store, utc_now
from store.settings import AccessSettings

MEMBER = "ASS-CAS-001"

#: On both backends: the same sessions over a DuckDB file and a PostgreSQL copy of the demo (``demo_copy``).
pytestmark = pytest.mark.backends("duckdb", "postgres")


@pytest.fixture
def db(demo_copy):
    """A private copy of the scored demo on the test's backend (``ATHAR_DB`` / ``ATHAR_DATABASE_URL`` naming it)."""
    return demo_copy


def titles(at) -> list[str]:
    return [x.value for x in at.title]


def test_nobody_gets_past_the_sign_in_screen(db) -> None:
    at = start(db, identity=None)
    assert titles(at) == [t("dashboard.access.sign_in_title", "fr")]
    assert not at.dataframe and not at.metric and not at.get("plotly_chart")
    # the demo accounts are announced in demo mode
    assert "athar-demo-2026" in visible_text(at)


def test_a_wrong_password_is_refused_and_audited(db) -> None:
    at = start(db, identity="steering", password="not-the-password")
    assert [e.value for e in at.error] == [t("dashboard.access.wrong_credentials", "fr")]
    assert titles(at) == [t("dashboard.access.sign_in_title", "fr")]
    store = open_store(db)
    row = store.query(
        "SELECT actor, outcome, detail::VARCHAR AS detail FROM audit_log WHERE action = 'sign_in_failed'"
    ).row(0, named=True)
    assert row["actor"] == "account:comite" and row["outcome"] == "refused"
    assert "not-the-password" not in row["detail"]


def test_an_unknown_user_gets_the_same_answer(db) -> None:
    at = start(db, identity="nobody-here", password="whatever-long-enough")
    assert [e.value for e in at.error] == [t("dashboard.access.wrong_credentials", "fr")]


def test_a_flood_of_wrong_passwords_does_not_lock_out_the_usual_browser(db, monkeypatch) -> None:
    """Anyone's wrong passwords slow the account down, not its owner in the browser they used before."""
    monkeypatch.setattr("dashboard.access.FAILURE_DELAY_S", 0.0)
    at = start(db, identity=MEMBER)  # a first sign-in: this browser is now known to the account
    assert titles(at) == [t("calendar.home.title", "fr")]  # a member opens on its home
    store = open_store(db)
    flood = ClientInfo.of("203.0.113.66", "curl/8.5")
    for n in range(3 * AccessSettings().sign_in_delay_after):
        accounts.authenticate(store, MEMBER.lower(), f"guess {n}", client=flood)
    assert accounts.authenticate(store, MEMBER.lower(), DEMO_PASSWORD, client=flood) == accounts.SignIn(None, "wrong")
    at = start(db, identity=None)
    at = sign_in(at, MEMBER.lower(), "still not the password")
    generic = [t("dashboard.access.wrong_credentials", "fr")]
    assert [e.value for e in at.error] == generic  # the same words as for an unknown user
    at = sign_in(at, "nobody-here", "whatever-long-enough")
    assert [e.value for e in at.error] == generic
    at = sign_in(at, MEMBER.lower(), DEMO_PASSWORD)
    assert titles(at) == [t("calendar.home.title", "fr")]


def test_sign_in_then_out(db) -> None:
    at = start(db, identity=MEMBER)
    assert titles(at) == [t("calendar.home.title", "fr")]  # a member opens on its home
    assert any(MEMBER.lower() in c.value for c in at.sidebar.caption)
    at.sidebar.button(key="sign_out").click().run()
    assert titles(at) == [t("dashboard.access.sign_in_title", "fr")]
    actions = open_store(db).query("SELECT action FROM audit_log ORDER BY id")["action"].to_list()
    assert actions[-3:] == ["sign_in", "session_created", "sign_out"]  # the server-side session made, then ended


def test_an_idle_session_ends(db) -> None:
    at = start(db, identity="steering")
    assert titles(at) == [t("dashboard.overview.title", "fr")]
    at.session_state[AUTH_KEY] = {
        **at.session_state[AUTH_KEY],
        "last_seen": utc_now() - timedelta(minutes=31),
    }
    at.run()
    assert titles(at) == [t("dashboard.access.sign_in_title", "fr")]
    assert [i.value for i in at.info][:1] == [t("dashboard.access.notice.expired", "fr")]


def test_a_disabled_account_stops_at_the_next_rerun(db) -> None:
    at = start(db, identity=MEMBER)
    store = open_store(db)
    account = accounts.find_by_username(store, MEMBER.lower())
    accounts.set_active(store, account.id, False, actor="test")
    at.run()
    assert titles(at) == [t("dashboard.access.sign_in_title", "fr")]


def test_demo_accounts_are_refused_outside_demo_mode(db, monkeypatch) -> None:
    at = start(db, identity=None)  # the first start creates the demo accounts (demo mode)
    monkeypatch.setenv("ATHAR_DEMO_MODE", "0")
    result = accounts.authenticate(open_store(db), "comite", DEMO_PASSWORD)
    assert not result.ok and result.reason == "inactive"
    assert at is not None


def test_the_first_steering_account_is_random_and_works(db, monkeypatch) -> None:
    start(db, identity=None)
    store = open_store(db)
    admin = accounts.find_by_username(store, "admin")
    assert admin is not None and admin.role == "steering" and not admin.demo
    # its password was printed once (server console); a new one can be set and used
    password = accounts.reset_password(store, admin.id, actor="test")
    assert accounts.authenticate(store, "admin", password).ok
    monkeypatch.setenv("ATHAR_DEMO_MODE", "0")
    assert accounts.authenticate(store, "admin", password).ok  # not a demo account


def test_links_page_creates_a_link_shown_once_that_opens_its_scope(db) -> None:
    at = open_page(start(db), "links")
    at.text_input(key="link_label").input("Fondation Test")
    at.multiselect(key="link_orgs").set_value([MEMBER])
    at.button(key="FormSubmitter:link_create-" + t("dashboard.links.create", "fr")).click().run()
    at.button(key="linksafe_confirm_create").click().run()  # the summary, then the confirmation
    codes = [c.value for c in at.code]
    assert len(codes) == 1 and "?link=" in codes[0]
    token = codes[0].split("link=")[1].split("&")[0]
    store = open_store(db)
    check = links.check_token(store, token)
    assert check.ok and check.scope.org_codes == {MEMBER}
    assert not store.query("SELECT * FROM share_links WHERE token_sha256 = $t", {"t": token}).height
    at.run()  # shown once: gone at the next interaction
    assert not at.code
    # the funder's session sees the organisation, and the steering page counts the use
    funder = start(db, link=token)
    assert titles(funder) == [t("dashboard.overview.title", "fr")]
    at = open_page(at, "links")
    assert "Fondation Test" in visible_text(at)
    assert store.scalar("SELECT use_count FROM share_links") == 1


def test_links_page_revokes(db) -> None:
    store = open_store(db)
    _, token = links.create_link(store, label="À révoquer", org_codes=[MEMBER], created_by="test")
    funder = start(db, link=token)
    assert titles(funder) == [t("dashboard.overview.title", "fr")]
    at = open_page(start(db), "links")
    at.button(key="links_revoke").click().run()
    at.button(key="linksafe_confirm_revoke").click().run()  # revoking asks first
    assert links.check_token(store, token).status == "revoked"
    funder.run()  # the same funder session, next interaction
    assert [e.value for e in funder.error] == [t("dashboard.access.link_revoked", "fr")]
    assert not funder.dataframe and not funder.metric


def test_accounts_page_creates_an_account_whose_password_works(db) -> None:
    at = open_page(start(db), "accounts")
    at.text_input(key="account_username").input("Nadia.B")
    at.radio(key="account_role").set_value("member")
    at.selectbox(key="account_org").set_value(MEMBER)
    at.button(key="FormSubmitter:account_create-" + t("dashboard.accounts.create", "fr")).click().run()
    assert len(at.code) == 1
    password = at.code[0].value
    member = start(db, identity="nadia.b", password=password)
    assert titles(member) == [t("calendar.home.title", "fr")]  # a member opens on its home
    hashed = open_store(db).scalar("SELECT password_hash FROM accounts WHERE username = 'nadia.b'")
    assert hashed.startswith("$argon2id$") and password not in hashed


def test_audit_page_lists_sign_ins_for_the_committee_only(db) -> None:
    start(db, identity="steering", password="wrong-wrong-wrong")
    at = open_page(start(db), "audit")
    text = visible_text(at)
    assert t("dashboard.audit.action.sign_in_failed", "fr") in text
    assert t("dashboard.audit.action.sign_in", "fr") in text
    member = start(db, identity=MEMBER)
    with pytest.raises(ValueError):
        open_page(member, "audit")


def test_a_page_asked_for_before_sign_in_is_opened_after(db) -> None:
    """AppTest has no browser URL; the wanted page is taken from the session (``WANTED_KEY``)."""
    from dashboard.access import WANTED_KEY

    at = start(db, identity=None)
    at.session_state[WANTED_KEY] = "compare"
    at = sign_in(at, "comite", DEMO_PASSWORD)
    assert titles(at)[0] == t("dashboard.compare.title", "fr")
    # a page the role may not see is not opened
    at = start(db, identity=None)
    at.session_state[WANTED_KEY] = "framework"
    at = sign_in(at, MEMBER.lower(), DEMO_PASSWORD)
    assert titles(at)[0] == t("calendar.home.title", "fr")  # a member opens on its home
