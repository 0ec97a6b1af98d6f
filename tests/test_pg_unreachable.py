"""A PostgreSQL database out of reach (server down, connection refused, password or database refused)
says so at every door, in the reader's language, naming the host and the database but never the URL
(it may hold a password), and never with a traceback: the dashboard's pages, the command lines
(``python -m store``, ``ingest``, ``metrics``) and ``/healthz`` (503, ``reason: database_unreachable``).

A closed port on this machine stands for the server down: no PostgreSQL cluster is needed.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time

import psycopg
import pytest
import streamlit as st
from conftest import REPO, pg_demo_copy
from server_harness import call, serving_out_of_reach

from dashboard.testing import open_page, start
from i18n import t
from store.db import Store
from store.errors import DatabaseUnreachable, where

SECRET = "s3cret-Pa55"


@pytest.fixture(scope="module")
def closed_url() -> str:
    """A URL whose port nobody listens on (bound then released), with a password that must never show."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql://athar:{SECRET}@127.0.0.1:{port}/athar_prod"


def test_opening_a_database_nobody_answers_raises_the_typed_error_naming_host_and_database(closed_url) -> None:
    with pytest.raises(DatabaseUnreachable) as refused:
        Store(closed_url)
    port = closed_url.rsplit(":", 1)[1].split("/")[0]
    assert (refused.value.host, refused.value.database) == (f"127.0.0.1:{port}", "athar_prod")
    for lang in ("fr", "ar", "en"):
        message = refused.value.message(lang)
        assert "athar_prod" in message and f"127.0.0.1:{port}" in message
        assert SECRET not in message and "postgresql://" not in message and "athar:" not in message
    assert "Connection refused" in str(refused.value.__cause__)  # the driver's words kept for the log


def test_the_message_never_names_the_user_or_password_whatever_the_url_form() -> None:
    assert where("postgresql://bob:pw@db.example.org/athar") == ("db.example.org", "athar")
    assert where("postgresql:///athar?host=/run/postgresql&password=pw") == ("/run/postgresql", "athar")
    assert where("postgresql://bob:pw@h1:5433,h2:5434/x") == ("h1:5433", "x")


COMMANDS = [
    ["store", "accounts", "list"],
    ["store", "audit"],
    ["ingest", "check", "data/demo/organizations.csv"],
    ["ingest", "orgs", "data/demo/organizations.csv"],
    ["metrics", "score"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_every_command_line_says_the_database_is_out_of_reach_in_one_line_without_a_trace(
    closed_url, command, lang, tmp_path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", *command, "--db", closed_url, "--lang", lang],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "ATHAR_DB": str(tmp_path / "athar.duckdb")},
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == DatabaseUnreachable(closed_url).message(lang)
    assert "Traceback" not in done.stderr and SECRET not in done.stderr + done.stdout
    assert "OperationalError" not in done.stderr


@pytest.mark.parametrize("lang", ["fr", "ar", "en"])
def test_a_page_opened_on_a_database_nobody_answers_shows_its_own_message_and_no_form(
    closed_url, tmp_path, monkeypatch, caplog, lang
) -> None:
    monkeypatch.setenv("ATHAR_DB", str(tmp_path / "athar.duckdb"))
    monkeypatch.setenv("ATHAR_DATABASE_URL", closed_url)
    with caplog.at_level(logging.ERROR, logger="dashboard.app"):
        at = start(closed_url, identity=None, lang=lang)
    assert not at.exception
    assert [e.value for e in at.error] == [DatabaseUnreachable(closed_url).message(lang)]
    assert t("dashboard.app.unexpected_error", lang) not in [e.value for e in at.error]
    assert not at.get("text_input")  # no sign-in form on a database it cannot open
    assert any("database unreachable" in r.getMessage() for r in caplog.records), "the cause is in the log"
    assert SECRET not in caplog.text


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_database_that_goes_away_under_a_running_session_shows_its_own_message_on_the_next_run(
    pg_cluster, request, tmp_path, monkeypatch, caplog, lang
) -> None:
    """The pooled connections die with the database (dropped with FORCE: the server ends them, as a restart
    would): the next run reads on a broken connection, then cannot connect again."""
    url = pg_demo_copy(request, tmp_path, monkeypatch)
    at = open_page(start(url, lang=lang), "overview")
    assert not at.exception and not at.error
    pg_cluster.drop_database(url)
    st.cache_data.clear()  # so the next run reads the store, not a warm cache
    with caplog.at_level(logging.ERROR, logger="dashboard.app"):
        at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [DatabaseUnreachable(url).message(lang)]


def test_healthz_answers_503_with_the_reason_when_postgresql_is_out_of_reach(closed_url, tmp_path) -> None:
    with serving_out_of_reach(closed_url, tmp_path / "server") as served:
        reply = call(served.url, "/healthz")
    assert reply.status == 503
    assert reply.json() == {"status": "error", "database": "unreachable", "reason": "database_unreachable"}
    assert SECRET not in served.log.read_text(errors="replace")
    assert json.dumps(reply.json()).find("127.0.0.1") == -1  # a public endpoint: not even the host


@pytest.mark.parametrize("lang", ["fr", "ar", "en"])
def test_the_api_answers_503_in_json_with_retry_after_when_postgresql_is_out_of_reach(
    closed_url, tmp_path, lang
) -> None:
    """An API client gets the same JSON error shape as any refusal, a code it can act on and when to come back;
    never a 500, a trace, the host or the URL."""
    with serving_out_of_reach(closed_url, tmp_path / "server") as served:
        reply = call(served.url, f"/api/v1/scores?lang={lang}", token="a-token-the-server-cannot-check")
    assert reply.status == 503
    assert reply.headers["retry-after"] == "30"
    assert reply.json() == {"error": {"code": "database_unreachable", "message": t("api.errors.database_unreachable", lang)}}
    assert "127.0.0.1" not in json.dumps(reply.json(), ensure_ascii=False)
    log = served.log.read_text(errors="replace")
    assert SECRET not in log and "Traceback" not in log


def _end_every_connection_to(pg_cluster, url: str) -> None:
    """What a server restart does to a running app's pooled connections: the server ends each one."""
    from urllib.parse import urlsplit

    name = urlsplit(url).path.strip("/")
    others = f"FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    pg_cluster.execute(f"SELECT pg_terminate_backend(pid) {others}")
    # pg_terminate_backend only signals; a restart has ended them all before it answers again
    deadline = time.monotonic() + 10
    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as con:
        while con.execute(f"SELECT count(*) {others}").fetchone()[0] and time.monotonic() < deadline:
            time.sleep(0.02)


def test_the_first_reads_after_the_server_ended_the_pooled_connections_open_new_ones(pg_store, pg_cluster) -> None:
    """After a restart the server is back: the next reads, plain and bulk (ADBC), answer instead of
    reporting the database out of reach because the pool still held the ended connections."""
    store = pg_store
    assert store.scalar("SELECT 1") == 1
    assert store.query_bulk("SELECT 1 AS x").get_column("x").to_list() == [1]
    _end_every_connection_to(pg_cluster, store.url)
    assert store.scalar("SELECT 2") == 2
    assert store.query_bulk("SELECT 3 AS x").get_column("x").to_list() == [3]
    assert store.query("SELECT 4 AS x").get_column("x").to_list() == [4]


def test_a_bulk_read_on_a_dropped_database_raises_the_typed_error_not_the_drivers(pg_cluster) -> None:
    url = pg_cluster.fresh_database()
    store = Store(url)
    try:
        assert store.query_bulk("SELECT 1 AS x").height == 1
        pg_cluster.drop_database(url)
        with pytest.raises(DatabaseUnreachable) as raised:
            store.query_bulk("SELECT 1 AS x")
        assert SECRET not in str(raised.value)
    finally:
        store.close()
