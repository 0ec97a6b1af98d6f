"""Refusals leave a trace: a download refused after a link was revoked, a refused link and a failed
sign-in are audited with the reason and the client's fingerprint (address, user agent), never a
token and never a password typed in the user-name field.

Real AppTest sessions of ``dashboard/app.py``. AppTest has no browser connection, so the address
and headers Streamlit reads from the WebSocket handshake (``st.context.ip_address`` and
``st.context.headers``) are given by a stand-in for that connection; everything from
``st.context`` on — the dashboard's fingerprint, the store, the audit log — is the real code.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from dashboard.testing import open_page, start
from i18n import t
from store import links
from store.db import open_store

from .dbscan import columns_holding
from .pages_harness import click_download

LINK_ORGS = ["ASS-CAS-001", "FON-RBT-003"]
REFUSED_DOWNLOAD = t("dashboard.access.download_refused", "fr").encode("utf-8")
ADDRESS = "203.0.113.9"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"

#: On both backends: the same pages over a DuckDB file and over a PostgreSQL copy of the demo (``page_db``).
pytestmark = [pytest.mark.usefixtures("page_downloads"), pytest.mark.backends("duckdb", "postgres")]


@pytest.fixture(scope="module")
def db(page_db: Path) -> Path:
    return page_db


@pytest.fixture(scope="module")
def store(db):
    return open_store(db)


class _Connection:
    """What a browser's WebSocket handshake gives Streamlit: its address, headers and cookies."""

    def __init__(self, address: str, headers: list[tuple[str, str]]):
        self.remote_ip = address
        self.headers = headers
        self.cookies: dict[str, str] = {}


@pytest.fixture
def connection(monkeypatch):
    """Runs of this test come from ``ADDRESS`` with a user agent that also carries ``?link=…``."""
    leaked = secrets.token_urlsafe(32)
    agent = f"{BROWSER} https://athar.example.org/?link={leaked}"
    monkeypatch.setattr(
        "streamlit.runtime.context._get_client_context", lambda: _Connection(ADDRESS, [("User-Agent", agent)])
    )
    return leaked


def _last(store, action: str) -> tuple[str, str | None, str, dict]:
    actor, target, outcome, detail = store.query(
        "SELECT actor, target, outcome, detail::VARCHAR FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1",
        [action],
    ).row(0)
    return actor, target, outcome, json.loads(detail)


def _new_link(store) -> tuple[int, str]:
    return links.create_link(store, label="refusals", org_codes=LINK_ORGS, created_by="test:security", days=5)


def test_a_download_refused_after_revocation_is_audited_without_the_token(db, store, connection) -> None:
    link_id, token = _new_link(store)
    at = open_page(start(db, link=token), "profile")
    buttons = list(at.get("download_button"))
    assert buttons
    links.revoke_link(store, link_id, actor="test:security")
    got = click_download(buttons[0])
    assert got.data == REFUSED_DOWNLOAD
    actor, target, outcome, detail = _last(store, "download_refused")
    assert (actor, outcome) == (f"link:{link_id}", "refused")
    assert target == detail["file"] == got.file_name and detail["file"]
    assert detail["reason"] == "revoked" and detail["link"] == link_id
    assert detail["client"] == {"address": ADDRESS, "user_agent": f"{BROWSER} https://athar.example.org/"}
    assert columns_holding(store, token) == [] and columns_holding(store, connection) == []


def test_a_download_refused_after_expiry_names_the_reason(db, store, connection) -> None:
    link_id, token = _new_link(store)
    at = open_page(start(db, link=token), "overview")
    buttons = list(at.get("download_button"))
    assert buttons
    store.write(lambda cur: cur.execute("UPDATE share_links SET expires_at = created_at WHERE id = ?", [link_id]))
    assert click_download(buttons[0]).data == REFUSED_DOWNLOAD
    assert _last(store, "download_refused")[3]["reason"] == "expired"


def test_a_refused_link_is_audited_with_the_clients_address_and_browser(db, store, connection) -> None:
    token = secrets.token_urlsafe(32)
    at = start(db, link=token)
    assert [e.value for e in at.error] == [t("dashboard.access.link_unknown", "fr")]
    actor, _, outcome, detail = _last(store, "link_refused")
    assert (actor, outcome, detail["status"]) == ("link:?", "refused", "unknown")
    assert detail["client"] == {"address": ADDRESS, "user_agent": f"{BROWSER} https://athar.example.org/"}
    assert columns_holding(store, token) == [] and columns_holding(store, connection) == []


def test_a_password_typed_as_the_user_name_leaves_only_a_marker(db, store, connection) -> None:
    typed = "Oasis.Draa-2026"  # typed in the user-name field: someone's password
    at = start(db, identity=typed, password="")
    assert [e.value for e in at.error] == [t("dashboard.access.wrong_credentials", "fr")]
    actor, _, outcome, detail = _last(store, "sign_in_failed")
    assert (actor, outcome, detail["reason"]) == ("unknown", "refused", "no_account")
    assert detail["client"]["address"] == ADDRESS
    for form in (typed, typed.lower()):
        assert columns_holding(store, form) == []
