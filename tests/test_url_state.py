"""The view's state in the address: page, organisation, period, principle and language.

Real AppTest sessions of ``dashboard/app.py`` on a copy of the demo network: a shared address
chooses among what the viewer may see, and only that; the pickers write their choice back.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import pg_module_copy
from streamlit.testing.v1 import AppTest

from dashboard import url_state
from dashboard.testing import ENTRY, open_folds, open_page, sign_in, start, visible_text
from i18n import t
from store import links
from store.accounts import DEMO_PASSWORD, DEMO_STEERING
from store.db import is_database_url, open_store

MEMBER = "ASS-CAS-001"
OTHER = "FON-RBT-003"
LINK_ORGS = ["ASS-CAS-001", "FON-RBT-003"]
OUTSIDE_LINK = "ENT-CAS-006"

#: On both backends: the same addresses over a DuckDB file and a PostgreSQL copy of the demo.
pytestmark = pytest.mark.backends("duckdb", "postgres")


@pytest.fixture(scope="module")
def db(backend: str, tmp_path_factory, request: pytest.FixtureRequest) -> Path | str:
    import shutil

    folder = tmp_path_factory.mktemp(f"urlstate-{backend}")
    if backend == "postgres":
        return pg_module_copy(request, folder)
    path = folder / "demo.duckdb"
    shutil.copy(request.getfixturevalue("demo_db_pristine"), path)
    return path


@pytest.fixture(scope="module")
def store(db):
    return open_store(db)


@pytest.fixture(scope="module")
def periods(store) -> list[str]:
    """The scored periods of the latest run, oldest first."""
    run = int(store.scalar("SELECT max(id) FROM score_runs"))
    frame = store.query("SELECT DISTINCT period FROM scores WHERE run_id = ? ORDER BY period", [run])
    return frame["period"].to_list()


def opened(db: Path | str, params: dict[str, str], *, identity: str | None = "steering",
           link: str | None = None) -> AppTest:
    """A browser opening an address with ``params``, then signing in (unless ``identity`` is None)."""
    if is_database_url(db):  # PostgreSQL: uploaded files stay beside ``ATHAR_DB``, as the fixture set it
        os.environ["ATHAR_DATABASE_URL"] = str(db)
    else:
        os.environ["ATHAR_DB"] = str(db)
        os.environ.pop("ATHAR_DATABASE_URL", None)
    os.environ["ATHAR_DEMO_MODE"] = "1"
    at = AppTest.from_file(str(ENTRY), default_timeout=30)
    at.query_params.update({"lang": "fr", **params})
    if link is not None:
        at.query_params["link"] = link
    at.run()
    if identity is None or link is not None:
        return at
    return sign_in(at, DEMO_STEERING if identity == "steering" else identity.lower(), DEMO_PASSWORD)


def infos(at: AppTest) -> list[str]:
    return [box.value for box in at.info]


def notice(key: str, **params: str) -> str:
    return t(f"dashboard.urlstate.{key}", "fr", **params)


def test_the_profile_address_opens_on_its_organisation_and_period(db, periods) -> None:
    older = periods[0]  # never the period the page opens on by itself
    at = open_page(opened(db, {"org": OTHER, "period": older}), "profile")
    assert at.selectbox(key="org").value == OTHER
    assert at.selectbox(key="period").value == older
    assert at.query_params["org"] == OTHER and at.query_params["period"] == older
    assert not infos(at) or all("adresse" not in text for text in infos(at))


def test_without_a_period_in_the_address_the_page_opens_on_the_latest_complete_one(db, periods) -> None:
    at = open_page(start(db), "profile")
    opened_on = at.selectbox(key="period").value
    assert opened_on in periods and opened_on != periods[0]
    assert at.query_params["period"] == opened_on


def test_choosing_in_the_pickers_writes_the_choice_to_the_address(db, periods) -> None:
    at = open_page(start(db), "profile")
    at.selectbox(key="org").set_value(OTHER).run()
    at.selectbox(key="period").set_value(periods[0]).run()
    assert at.query_params["org"] == OTHER
    assert at.query_params["period"] == periods[0]
    assert at.query_params["lang"] == "fr"
    at.selectbox(key="period").set_value(periods[-1]).run()  # the address follows every change
    assert at.query_params["period"] == periods[-1]
    assert at.selectbox(key="period").value == periods[-1]


def test_the_address_survives_signing_in(db, periods) -> None:
    """Opened signed out: the sign-in form keeps the query string, and the page then follows it."""
    at = opened(db, {"org": OTHER, "period": periods[0]}, identity=None)
    assert at.title[0].value == t("dashboard.access.sign_in_title", "fr")
    assert at.query_params["org"] == OTHER and at.query_params["period"] == periods[0]
    at = sign_in(at, DEMO_STEERING, DEMO_PASSWORD)
    assert at.query_params["period"] == periods[0]
    at = open_page(at, "profile")
    assert at.selectbox(key="org").value == OTHER
    assert at.selectbox(key="period").value == periods[0]


def test_a_member_opening_another_organisations_address_sees_its_own_with_a_notice(db, store) -> None:
    at = open_page(opened(db, {"org": OTHER}, identity=MEMBER), "profile", folds=False)
    own = store.scalar("SELECT name_fr FROM organizations WHERE code = ?", [MEMBER])
    assert notice("org_refused", shown=f"{own} ({MEMBER})") in infos(at)  # said once, on arrival
    at = open_folds(at)  # nothing of the other organisation behind a fold either
    assert at.query_params["org"] == MEMBER
    other = store.query("SELECT name_fr, name_ar, name_en FROM organizations WHERE code = ?", [OTHER]).row(0)
    text = visible_text(at)
    assert OTHER not in text and not [name for name in other if name and name in text]


def test_a_funder_link_with_an_organisation_outside_it_opens_on_the_links_first(db, store) -> None:
    _, token = links.create_link(
        store, label="Bailleur", org_codes=LINK_ORGS, created_by="test:urlstate", days=7
    )
    at = open_page(opened(db, {"org": OUTSIDE_LINK}, link=token), "profile", folds=False)
    assert any(text.startswith(notice("org_refused", shown="")[:40]) for text in infos(at))  # on arrival
    at = open_folds(at)
    picker = at.selectbox(key="org")
    assert picker.value == sorted(LINK_ORGS)[0]
    assert all(OUTSIDE_LINK not in option for option in picker.options)
    assert OUTSIDE_LINK not in visible_text(at)
    assert at.query_params["link"] == token  # the link keeps working


def test_a_period_that_was_never_scored_is_ignored_with_a_notice(db, periods) -> None:
    at = opened(db, {"period": "1999"})  # the committee lands on the overview, which has the period picker
    shown = at.selectbox(key="period").value
    assert shown in periods and shown != "1999"
    assert any(text.startswith(notice("period_refused", shown="")[:40]) for text in infos(at))
    assert at.query_params["period"] == shown
    at.selectbox(key="period").set_value(periods[0]).run()  # told once, not on every rerun
    assert not any(text.startswith(notice("period_refused", shown="")[:40]) for text in infos(at))


def test_the_principle_in_the_address_chooses_the_principle(db) -> None:
    at = open_page(opened(db, {"principle": "P2"}), "profile")
    assert at.selectbox(key="profile_card_principle").value == "P2"
    assert at.query_params["principle"] == "P2"
    at = opened(db, {"principle": "P99"})  # the overview's map picker reads it first
    assert at.selectbox(key="map_principle").value != "P99"
    assert any(text.startswith(notice("principle_refused", shown="")[:40]) for text in infos(at))


def test_the_language_in_the_address_is_kept_with_the_view(db) -> None:
    at = open_page(opened(db, {"lang": "ar", "org": OTHER}), "profile")
    assert at.query_params["lang"] == "ar"
    assert at.selectbox(key="org").value == OTHER


def test_a_share_address_carries_the_view_and_never_a_token() -> None:
    params = {"lang": "fr", "org": OTHER, "period": "2024", "link": "secret-token", "as": "steering"}
    url = url_state.share_url("http://127.0.0.1:8501/profile", params)
    assert url == f"http://127.0.0.1:8501/profile?org={OTHER}&period=2024&lang=fr"
    assert "secret-token" not in url and "link" not in url and "as=" not in url


def test_only_a_signed_in_accounts_own_view_is_offered_as_a_share_address() -> None:
    from dashboard.access import Identity
    from dashboard.share_link import offered
    from store.accounts import Account
    from store.viewer import LinkScope, Viewer

    committee = Account(1, "comite", "steering", None, None, True, True)
    link = LinkScope(org_codes=frozenset(LINK_ORGS), link_id=7)
    assert offered(Identity(viewer=committee.viewer(), account=committee), committee.viewer())
    funder = Viewer.funder(link)
    assert not offered(Identity(viewer=funder, link_token="secret-token"), funder)  # a link's session
    assert not offered(Identity(viewer=funder, account=committee), funder)  # the committee's preview of a link
    assert not offered(None, committee.viewer())


def test_a_link_limited_to_some_periods_and_principles_ignores_others_named_in_the_address(db, store, periods) -> None:
    _, token = links.create_link(
        store,
        label="Bailleur",
        org_codes=LINK_ORGS,
        created_by="test:urlstate",
        days=7,
        periods=[periods[-1]],
        principles=["P1"],
    )
    at = open_page(opened(db, {"period": periods[0], "principle": "P2"}, link=token), "profile")
    assert at.selectbox(key="period").options == [periods[-1]] or periods[0] not in at.selectbox(key="period").options
    assert at.selectbox(key="period").value != periods[0]
    assert "P2" not in at.selectbox(key="profile_card_principle").options
    assert at.query_params["principle"] != "P2" and at.query_params["period"] != periods[0]


@pytest.mark.parametrize(
    "value",
    ["<script>alert(1)</script>", "x" * 5000, "' OR 1=1 --", "network", "composite", "", "ASS-CAS-001\nFON-RBT-003"],
)
def test_hostile_values_in_the_address_never_fail_and_never_widen(db, value) -> None:
    at = open_page(opened(db, {"org": value, "period": value, "principle": value}, identity=MEMBER), "profile")
    assert not at.exception
    assert at.query_params["org"] == MEMBER  # a member sees its own, whatever the address names
    assert "<script>" not in visible_text(at)


def test_a_page_change_writes_the_sessions_choice_back_to_the_address(db, periods) -> None:
    at = open_page(start(db), "profile")
    at.selectbox(key="period").set_value(periods[0]).run()
    at.query_params.clear()  # what a browser does when the menu changes page
    at = open_page(at, "overview")
    assert at.selectbox(key="period").value == periods[0]
    assert at.query_params["period"] == periods[0] and at.query_params["lang"] == "fr"


def test_an_address_changed_during_the_session_is_followed(db, periods) -> None:
    """The browser's back button, or an address typed into the same tab: the address wins."""
    at = open_page(start(db), "profile")
    at.selectbox(key="period").set_value(periods[0]).run()
    at.query_params["period"] = periods[1]
    at.run()
    assert at.selectbox(key="period").value == periods[1]
    assert not infos(at) or all("adresse" not in text for text in infos(at))
