"""No traceback reaches a viewer: every page of every role renders without one, and when the
database fails under a session (a table gone, the file held by another program) the page says so
in the viewer's language — the trace goes to the server's log only.

``dashboard/app.py`` catches what a page raises and shows ``dashboard.app.unexpected_error``;
``dashboard/session.py`` shows ``DatabaseBusy``'s message (``store.errors.database_busy``) when the file is locked at start,
and ``DatabaseUnreachable``'s (``pgreach.database_unreachable``) when PostgreSQL refuses the connection.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
import streamlit as st

from dashboard.navigation import pages_for
from dashboard.testing import _nodes, open_page, start
from i18n import t
from store import links
from store.db import open_store
from store.errors import DatabaseBusy, DatabaseUnreachable
from store.viewer import Viewer

from .pages_harness import copy_db, page_text

MEMBER = "ASS-CAS-001"
TRACE_MARKS = ("Traceback", 'File "', "Exception", "Catalog Error", "Binder Error", "_duckdb", "SELECT ",
               "psycopg", "UndefinedTable", "does not exist")

#: On both backends: every page, and a table gone under a running session, over a DuckDB file and over a
#: PostgreSQL copy of the demo (``page_db``). A file held by another program is DuckDB's alone.
pytestmark = pytest.mark.backends("duckdb", "postgres")


@pytest.fixture(scope="module")
def db(page_db: Path | str) -> Path | str:
    return page_db


@pytest.fixture(scope="module")
def funder_token(db) -> str:
    _, token = links.create_link(
        open_store(db),
        label="Bailleur",
        org_codes=[MEMBER, "FON-RBT-003"],
        created_by="test:security",
        days=7,
    )
    return token


def no_trace(at) -> list[str]:
    """Exception boxes, and any text that reads like a trace or a raw database error."""
    found = [f"exception: {e.value[:100]}" for e in at.exception]
    for node in _nodes(at._tree):
        value = getattr(node, "value", None)
        if getattr(node, "type", None) in ("markdown", "error", "warning", "info", "caption", "code", "text"):
            found += [f"{node.type}: {str(value)[:100]!r}" for mark in TRACE_MARKS if mark in str(value)]
    return found


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_every_page_of_every_role_renders_without_a_trace(db, funder_token, lang) -> None:
    funder = links.check_token(open_store(db), funder_token).viewer()
    for role, how, pages in (
        ("steering", {"identity": "steering"}, pages_for(Viewer.steering())),
        ("member", {"identity": MEMBER}, pages_for(Viewer.member(MEMBER))),
        ("funder", {"link": funder_token}, pages_for(funder)),
    ):
        at = start(db, lang=lang, **how)
        for page in (spec.key for spec in pages):
            at = open_page(at, page)
            assert not no_trace(at), (role, page, no_trace(at)[:3])
            assert at.title, (role, page)


@pytest.fixture
def broken(db):
    """``broken(table)`` renames a table under the running app (as a failed migration or a hand
    edit would); every renamed table is put back, and the caches emptied, after the test."""
    store = open_store(db)
    renamed: list[str] = []

    def rename(table: str) -> None:
        store.write(lambda cur: cur.execute(f"ALTER TABLE {table} RENAME TO {table}_gone"))
        renamed.append(table)
        st.cache_data.clear()  # so the next run reads the store, not a warm cache

    yield rename
    for table in renamed:
        store.write(lambda cur, table=table: cur.execute(f"ALTER TABLE {table}_gone RENAME TO {table}"))
    st.cache_data.clear()


@pytest.mark.parametrize(
    ("who", "page", "table", "lang"),
    [
        ("steering", "compare", "scores", "fr"),  # a page's read
        ("steering", "overview", "score_runs", "ar"),  # the session's own read, before any page
        ("member", "profile", "score_indicators", "en"),
        ("member", "quality", "submissions", "fr"),
        ("member", "profile", "accounts", "ar"),  # the identity, checked again on every rerun
        ("funder", "profile", "share_links", "fr"),  # the link, checked again on every rerun
    ],
)
def test_a_database_failing_mid_session_shows_a_translated_message(
    db, funder_token, broken, caplog, who, page, table, lang
) -> None:
    how = {
        "steering": {"identity": "steering"},
        "member": {"identity": MEMBER},
        "funder": {"link": funder_token},
    }
    at = open_page(start(db, lang=lang, **how[who]), page)
    assert not at.exception and not at.error
    broken(table)
    with caplog.at_level(logging.ERROR, logger="dashboard.app"):
        at.run()
    assert not no_trace(at), no_trace(at)[:3]
    assert t("dashboard.app.unexpected_error", lang) in [e.value for e in at.error]
    assert any(r.exc_info for r in caplog.records if r.name == "dashboard.app"), "the trace is in the log"
    assert "Traceback" not in page_text(at)


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_database_held_by_another_program_says_so(demo_db_pristine, tmp_path, lang) -> None:
    """The file locked by another process (a command-line import) when a session starts."""
    db = copy_db(demo_db_pristine, tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "sys.stdin.read()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        at = start(db, identity=None, lang=lang)
        assert not no_trace(at), no_trace(at)[:3]
        assert [e.value for e in at.error] == [DatabaseBusy(db).message(lang)]
        assert not at.get("text_input")  # no sign-in form either: nothing runs on a database it cannot open
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_postgresql_database_that_cannot_be_reached_shows_a_translated_message_and_no_trace(
    pg_cluster, tmp_path, monkeypatch, caplog, lang
) -> None:
    """PostgreSQL's counterpart of a held file: the database named by the URL refuses the session
    (gone, renamed, or the server down). The viewer reads its own translated message; the cause is logged."""
    url = pg_cluster.url("athar_gone")
    monkeypatch.setenv("ATHAR_DB", str(tmp_path / "athar.duckdb"))
    monkeypatch.setenv("ATHAR_DATABASE_URL", url)
    with caplog.at_level(logging.ERROR, logger="dashboard.app"):
        at = start(url, identity=None, lang=lang)
    assert not no_trace(at), no_trace(at)[:3]
    assert [e.value for e in at.error] == [DatabaseUnreachable(url).message(lang)]  # its own words, not "unexpected"
    assert not at.get("text_input")  # no sign-in form on a database it cannot open
    assert any("athar_gone" in r.getMessage() for r in caplog.records if r.name == "dashboard.app"), "the cause is logged"
