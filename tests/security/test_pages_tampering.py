"""Nothing a person can change in the address widens what they see, and access that ends (a link
expired or revoked, an account disabled, a session idle) ends on the next rerun — downloads made
ready before included.

Every session here is a real AppTest session of ``dashboard/app.py`` (sign-in through the form,
or a link's token in the URL). What a person sees is read from the rendered elements and from the
bytes the page's download buttons give (``pages_harness``).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import pytest

from dashboard.access import AUTH_KEY
from dashboard.testing import open_page, start
from i18n import t
from store import accounts, links
from store.db import open_store, utc_now

from .pages_harness import (
    choose,
    click_download,
    downloads,
    everything,
    find_widget,
    leaks,
    org_words,
    page_text,
    period_labels,
)

MEMBER = "ASS-CAS-001"
OTHER = "FON-RBT-003"
LINK_A = ["ASS-CAS-001", "FON-RBT-003"]
LINK_B = ["ENT-CAS-006", "COO-TRD-004"]
ADMIN_PAGES = ["framework", "calendar", "links", "accounts", "reminders", "registry", "audit"]
SIGN_IN = t("dashboard.access.sign_in_title", "fr")
LINK_TITLE = t("dashboard.access.link_title", "fr")
REFUSED_DOWNLOAD = t("dashboard.access.download_refused", "fr").encode("utf-8")


#: On both backends: the same pages over a DuckDB file and over a PostgreSQL copy of the demo (``page_db``).
pytestmark = [pytest.mark.usefixtures("page_downloads"), pytest.mark.backends("duckdb", "postgres")]


@pytest.fixture(scope="module")
def db(page_db: Path) -> Path:
    return page_db


@pytest.fixture(scope="module")
def store(db):
    return open_store(db)


@pytest.fixture(scope="module")
def words(store) -> dict[str, list[str]]:
    return org_words(store)


def new_link(store, orgs: list[str], **scope) -> tuple[int, str]:
    return links.create_link(
        store, label="Bailleur", org_codes=orgs, created_by="test:security", days=7, **scope
    )


def others(words: dict[str, list[str]], allowed: list[str]) -> dict[str, list[str]]:
    return {code: found for code, found in words.items() if code not in allowed}


def shows_nothing(at) -> None:
    """A refusal or sign-in screen: no data of any kind, no page of the app."""
    for kind in ("dataframe", "table", "metric", "plotly_chart", "download_button"):
        assert not at.get(kind), kind
    assert not at.exception


def visible_orgs(text: str, words: dict[str, list[str]]) -> set[str]:
    return {code for code in words if code in text}


# -- the URL cannot choose an identity or a scope ------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"as": "steering"},
        {"as": MEMBER},
        {"role": "steering", "org": OTHER},
        {"user": "comite"},
        {"link": ""},
    ],
)
def test_url_parameters_do_not_sign_anyone_in(db, words, params) -> None:
    at = start(db, identity=None)
    at.query_params.update(params)
    at.run()
    assert [x.value for x in at.title] == [SIGN_IN]
    shows_nothing(at)
    assert not leaks(page_text(at), words)


def test_a_member_cannot_widen_its_scope_through_the_url(db, words) -> None:
    at = open_page(start(db, identity=MEMBER), "profile")
    forbidden = others(words, [MEMBER])
    for params in (
        {"as": "steering"},
        {"org": OTHER},
        {"org_code": OTHER, "period": "2024"},
        {"role": "funder", "link": ""},
        {"lang": "xx<script>"},
        {"lang": "../../etc/passwd"},
    ):
        at.query_params.update(params)
        at.run()
        assert not at.exception, params
        text, files = everything(at)
        assert MEMBER in text, params
        assert not leaks(text, forbidden), (params, leaks(text, forbidden)[:3])
        assert files
        for page in ADMIN_PAGES:
            with pytest.raises(ValueError):
                open_page(at, page)
    assert at.query_params["lang"] == "fr"  # junk languages fall back to French, written back to the URL


@pytest.mark.parametrize("page", ADMIN_PAGES + ["upload", "form", "quality"])
def test_a_funder_cannot_switch_to_a_page_outside_its_link(db, store, page) -> None:
    _, token = new_link(store, LINK_A)
    at = start(db, link=token)
    with pytest.raises(ValueError):
        open_page(at, page)


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_a_member_cannot_switch_to_an_administration_page(db, page) -> None:
    at = start(db, identity=MEMBER)
    with pytest.raises(ValueError):
        open_page(at, page)
    assert at.title[0].value == t("calendar.home.title", "fr")  # still on the member's home


def test_a_period_outside_the_link_cannot_be_asked_for(db, store, words) -> None:
    _, token = new_link(store, LINK_A, periods=["2025"])
    at = open_page(start(db, link=token), "profile")
    for period in ("2024", "2023", "2025'; --"):
        at.query_params["period"] = period
        at.run()
        assert find_widget(at, "selectbox", "period").options == ["2025"]
        text, _ = everything(at)
        assert not period_labels(text, ("2023", "2024")), period
    # Nor through the picker: a browser sending "2024" as the picker's choice gets 2025.
    choose(find_widget(at, "selectbox", "period"), "2024")
    at.run()
    assert not at.exception
    assert find_widget(at, "selectbox", "period").value == "2025"
    assert not period_labels(everything(at)[0], ("2023", "2024"))


def test_changing_the_token_mid_session_shows_the_new_link_scope_only(db, store, words) -> None:
    _, token_a = new_link(store, LINK_A)
    _, token_b = new_link(store, LINK_B)
    at = open_page(start(db, link=token_a), "profile")
    assert [o.split(" — ")[0] for o in find_widget(at, "selectbox", "org").options] == sorted(LINK_A)
    assert visible_orgs(everything(at)[0], words) == set(LINK_A)
    at.query_params["link"] = token_b
    at.run()
    assert [o.split(" — ")[0] for o in find_widget(at, "selectbox", "org").options] == sorted(LINK_B)
    for page in ("overview", "profile", "compare"):
        at = open_page(at, page)
        at.query_params["link"] = token_b  # as the browser keeps it
        at.run()
        text, _ = everything(at)
        assert visible_orgs(text, words) <= set(LINK_B), page  # never A's, never a union
    assert visible_orgs(everything(open_page(at, "compare"))[0], words) == set(LINK_B)
    # A token that is not a link (a random one of the right shape, a truncated one) ends the session.
    for bad in (secrets.token_urlsafe(32), token_b[:-1], token_a + "x"):
        at.query_params["link"] = bad
        at.run()
        assert [x.value for x in at.title] == [LINK_TITLE], bad
        shows_nothing(at)
        assert not leaks(page_text(at), words)
        assert at.error[0].value == t("dashboard.access.link_unknown", "fr")


def test_a_signed_in_member_opening_a_link_gets_the_link_scope_not_a_union(db, store, words) -> None:
    _, token_b = new_link(store, LINK_B)
    at = open_page(start(db, identity=MEMBER), "compare")
    at.query_params["link"] = token_b
    at.run()
    text, _ = everything(open_page(at, "compare"))
    assert visible_orgs(text, words) == set(LINK_B)  # the member's own organisation is not added


# -- tokens that are refused -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["expired", "revoked", "random", "malformed", "rotated"])
def test_refused_tokens_show_the_refusal_screen_and_no_data(db, store, words, kind) -> None:
    link_id, token = new_link(store, LINK_A)
    expected = {"expired": "link_expired", "revoked": "link_revoked"}.get(kind, "link_unknown")
    if kind == "expired":
        store.write(
            lambda cur: cur.execute(
                "UPDATE share_links SET expires_at = ? WHERE id = ?",
                [utc_now() - timedelta(seconds=1), link_id],
            )
        )
    elif kind == "revoked":
        assert links.revoke_link(store, link_id, actor="test:security")
    elif kind == "random":
        token = secrets.token_urlsafe(32)
    elif kind == "malformed":
        token = "<script>alert(1)</script>"
    elif kind == "rotated":
        links.rotate_link(store, link_id, actor="test:security")
        expected = "link_revoked"
    refused_before = store.scalar("SELECT count(*) FROM audit_log WHERE action = 'link_refused'")
    at = start(db, link=token)
    assert [x.value for x in at.title] == [LINK_TITLE]
    assert [e.value for e in at.error] == [t(f"dashboard.access.{expected}", "fr")]
    shows_nothing(at)
    assert not leaks(page_text(at), words)
    assert "link" not in at.query_params  # the refused token is dropped from the address
    for page in ("overview", "profile"):  # asking for a page next: the token is gone, so sign-in
        try:
            at = open_page(at, page)
        except ValueError:
            continue
        assert [x.value for x in at.title] == [SIGN_IN]
        shows_nothing(at)
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'link_refused'") == refused_before + 1
    logged = store.query(
        "SELECT detail FROM audit_log WHERE action = 'link_refused' ORDER BY id DESC LIMIT 1"
    )
    assert token not in logged["detail"][0]


# -- access that ends mid-session ------------------------------------------------------------------
@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_a_link_ended_mid_session_stops_the_next_rerun_and_every_download(db, store, words, how) -> None:
    link_id, token = new_link(store, LINK_A)
    at = open_page(start(db, link=token), "profile")
    buttons = list(at.get("download_button"))
    assert buttons and REFUSED_DOWNLOAD not in {d.data for d in downloads(at)}  # they work before
    if how == "revoked":
        links.revoke_link(store, link_id, actor="test:security")
    else:
        store.write(
            lambda cur: cur.execute(
                "UPDATE share_links SET expires_at = ? WHERE id = ?",
                [utc_now() - timedelta(seconds=1), link_id],
            )
        )
    # A download button made ready before the revocation gives the refusal text, not the data.
    for button in buttons:
        got = click_download(button)
        assert got.data == REFUSED_DOWNLOAD, (got.file_name, got.data[:80])
    at.run()
    assert [x.value for x in at.title] == [LINK_TITLE]
    assert [e.value for e in at.error] == [t(f"dashboard.access.link_{how}", "fr")]
    shows_nothing(at)
    assert not leaks(page_text(at), words)


def test_a_disabled_account_is_signed_out_on_the_next_rerun(db, store, words) -> None:
    org = "ASS-TIN-002"
    at = open_page(start(db, identity=org), "profile")
    assert org in page_text(at)
    buttons = list(at.get("download_button"))
    assert buttons
    account = accounts.find_by_username(store, org.lower())
    accounts.set_active(store, account.id, False, actor="test:security")
    try:
        assert {click_download(b).data for b in buttons} == {REFUSED_DOWNLOAD}
        at.run()
        assert [x.value for x in at.title] == [SIGN_IN]
        assert t("dashboard.access.notice.expired", "fr") in [i.value for i in at.info]
        shows_nothing(at)
        assert not leaks(page_text(at), words)
        # Signing in again is refused while the account is disabled.
        from dashboard.testing import sign_in
        from store.accounts import DEMO_PASSWORD

        at = sign_in(at, org.lower(), DEMO_PASSWORD)
        assert [x.value for x in at.title] == [SIGN_IN]
        shows_nothing(at)
    finally:
        accounts.set_active(store, account.id, True, actor="test:security")


@pytest.mark.parametrize(
    ("field", "delta"), [("last_seen", timedelta(minutes=31)), ("signed_in_at", timedelta(hours=13))]
)
def test_an_idle_or_too_old_session_ends(db, store, words, field, delta) -> None:
    """ATHAR_SESSION_IDLE_MINUTES (30) without interaction, or ATHAR_SESSION_MAX_HOURS (12) in all.

    Time passing is the session's own record moved back (``st.session_state[AUTH_KEY]``, in place).
    A click on a download is not a rerun: a button drawn before the session went idle is refused
    too, before any rerun.
    """
    at = open_page(start(db, identity=MEMBER), "profile")
    buttons = list(at.get("download_button"))
    assert buttons
    at.session_state[AUTH_KEY][field] -= delta
    assert {click_download(b).data for b in buttons} == {REFUSED_DOWNLOAD}
    expired_before = store.scalar("SELECT count(*) FROM audit_log WHERE action = 'session_expired'")
    at.run()
    assert [x.value for x in at.title] == [SIGN_IN]
    assert t("dashboard.access.notice.expired", "fr") in [i.value for i in at.info]
    shows_nothing(at)
    assert not leaks(page_text(at), words)
    assert (
        store.scalar("SELECT count(*) FROM audit_log WHERE action = 'session_expired'") == expired_before + 1
    )


def test_signing_out_ends_the_downloads_of_the_session(db) -> None:
    at = open_page(start(db, identity=MEMBER), "profile")
    buttons = list(at.get("download_button"))
    assert {click_download(b).data for b in buttons} != {REFUSED_DOWNLOAD}
    at.sidebar.button(key="sign_out").click().run()
    assert [x.value for x in at.title] == [SIGN_IN]
    assert {click_download(b).data for b in buttons} == {REFUSED_DOWNLOAD}


def test_an_active_session_is_kept_alive_by_its_reruns(db) -> None:
    at = open_page(start(db, identity=MEMBER), "profile")
    for _ in range(3):
        auth = dict(at.session_state[AUTH_KEY])
        auth["last_seen"] = auth["last_seen"] - timedelta(minutes=20)  # 20 minutes between clicks
        at.session_state[AUTH_KEY] = auth
        at.run()
        assert at.title[0].value == t("dashboard.profile.title", "fr")
