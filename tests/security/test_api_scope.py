"""The API answers a funder link's token with exactly the link's scope, and nothing to anyone else.

The REAL server (``python -m server``) on a copy of the demo database, once for the module and backend
(a DuckDB file; a PostgreSQL copy of the demo template, ``ATHAR_DATABASE_URL`` naming it); the expected rows
come from the database itself (an oracle written here in plain SQL for each dialect, through the driver, not
the reads the server calls), so a scope predicate the API forgot, or one it applied twice, fails a test.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import psycopg
import pytest
from conftest import pg_module_copy
from server_harness import Served, call, prepared_copy, serving, serving_postgres

from store import accounts, api_tokens, links
from store.db import Store, utc_now

REPO = Path(__file__).resolve().parents[2]
ORGS = ["ASS-AGD-038", "ASS-CAS-001", "FON-RBT-003"]
PRINCIPLES = ["P1", "P2"]
PERIODS = ["2024"]

#: On both backends: the same server, tokens and oracle over a DuckDB file and a PostgreSQL database.
pytestmark = pytest.mark.backends("duckdb", "postgres")


def _second_run(db: Path | str) -> None:
    """Score again, so the pinned run (1) is no longer the latest (2)."""
    done = subprocess.run([sys.executable, "-m", "metrics", "score", "--db", str(db)], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def _prepare(store: Store) -> dict[str, object]:
    orgs = [o for o in ORGS if store.scalar("SELECT count(*) FROM organizations WHERE code = ?", [o])]
    made = {}
    made["scoped"] = links.create_link(store, label="Fondation", org_codes=orgs, created_by="test",
                                       principles=PRINCIPLES, periods=PERIODS, run_id=1)
    made["revoked"] = links.create_link(store, label="Ancien", org_codes=orgs, created_by="test")
    links.revoke_link(store, made["revoked"][0], actor="test")
    made["expired"] = links.create_link(store, label="Échu", org_codes=orgs, created_by="test")
    store.write(lambda cur: cur.execute("UPDATE share_links SET expires_at = ? WHERE id = ?",
                                        [utc_now() - timedelta(days=1), made["expired"][0]]))
    made["orgs"] = orgs
    member_id, _ = accounts.create_account(store, "membre-api", "member", org_code="FON-RBT-003", created_by="test")
    steering_id, _ = accounts.create_account(store, "comite-api", "steering", created_by="test")
    made["member"] = api_tokens.create_token(store, member_id, "site", actor="test")[1]
    made["steering"] = api_tokens.create_token(store, steering_id, "entrepôt", actor="test")[1]
    old_id, made["member_revoked"] = api_tokens.create_token(store, member_id, "ancien", actor="test")
    api_tokens.revoke_token(store, old_id, account_id=member_id, actor="test")
    made["active_orgs"] = store.scalar("SELECT count(*) FROM organizations WHERE active")
    return made


def _plain_rows(database: Path | str, duckdb_sql: str, postgres_sql: str, params: list) -> list[tuple]:
    """Rows read with the driver alone (no store between the test and the data): a DuckDB file read-only,
    or a PostgreSQL database (which the running server may hold meanwhile)."""
    if isinstance(database, str):
        with psycopg.connect(database) as con:
            return con.execute(postgres_sql, params).fetchall()
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(duckdb_sql, params).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def served(backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp(f"api-scope-{backend}")
    if backend == "postgres":  # a PostgreSQL copy of the demo, scored again, prepared, then served
        url = pg_module_copy(request, folder)
        _second_run(url)
        with serving_postgres(url, folder, folder / "live", _prepare) as live:
            yield live
        return
    db, _ = prepared_copy(request.getfixturevalue("demo_db_pristine"), folder / "base", None)
    _second_run(db)
    with serving(db, folder / "live", _prepare) as live:
        yield live


def _oracle_scores(database: Path | str, orgs: list[str]) -> set[tuple]:
    """Run 1's approved scores of the link's organisations, principles and periods (plain SQL)."""
    where = """run_id = 1 AND {org} AND {principle} AND {period}
               AND NOT EXISTS (SELECT 1 FROM score_provisional p
                               WHERE p.run_id = 1 AND p.org_code = s.org_code AND p.period = s.period)"""
    select = "SELECT org_code, period, principle FROM scores s WHERE "
    duckdb_sql = select + where.format(org="list_contains(?, org_code)", principle="list_contains(?, principle)",
                                       period="list_contains(?, period)")
    postgres_sql = select + where.format(org="org_code = ANY(%s)", principle="principle = ANY(%s)",
                                         period="period = ANY(%s)")
    return set(_plain_rows(database, duckdb_sql, postgres_sql, [orgs, PRINCIPLES, PERIODS]))


@pytest.fixture(scope="module")
def oracle(served: Served) -> set[tuple]:
    # DuckDB: read from the base copy (same rows as the live file, which the server holds);
    # PostgreSQL: the served database itself.
    database = served.db if isinstance(served.db, str) else served.db.parent.parent / "base" / "demo.duckdb"
    return _oracle_scores(database, served.prepared["orgs"])


def test_scores_with_a_link_token_are_exactly_the_links_orgs_principles_periods_and_pinned_run(
    served: Served, oracle: set[tuple]
) -> None:
    reply = call(served.url, "/api/v1/scores", token=served.prepared["scoped"][1])
    assert reply.status == 200
    body = reply.json()
    assert body["run_id"] == 1  # pinned, though run 2 is the latest
    got = {(r["org_code"], r["period"], r["principle"]) for r in body["data"]}
    assert oracle and got == oracle


def test_organisations_with_a_link_token_are_the_links_organisations_only(served: Served) -> None:
    reply = call(served.url, "/api/v1/organisations", token=served.prepared["scoped"][1])
    assert sorted(r["org_code"] for r in reply.json()["data"]) == sorted(served.prepared["orgs"])


def test_indicator_values_stay_within_the_links_organisations_and_periods(served: Served) -> None:
    rows = call(served.url, "/api/v1/indicators", token=served.prepared["scoped"][1]).json()["data"]
    assert rows and {r["org_code"] for r in rows} <= set(served.prepared["orgs"])
    assert {r["period"] for r in rows} == set(PERIODS)


def test_a_filter_outside_the_scope_widens_nothing(served: Served) -> None:
    token = served.prepared["scoped"][1]
    assert call(served.url, "/api/v1/scores?org=ASS-ZAG-009", token=token).json()["data"] == []
    assert call(served.url, "/api/v1/scores?period=2025", token=token).json()["data"] == []
    assert call(served.url, "/api/v1/scores?principle=composite", token=token).json()["data"] == []


def test_trends_are_withheld_from_a_link_narrowed_to_some_periods(served: Served) -> None:
    assert call(served.url, "/api/v1/trends", token=served.prepared["scoped"][1]).json()["data"] == []


def test_the_quality_endpoint_is_refused_to_a_funder_link_as_its_page_is(served: Served) -> None:
    reply = call(served.url, "/api/v1/quality", token=served.prepared["scoped"][1])
    assert reply.status == 403 and reply.json()["error"]["code"] == "outside_scope"


def test_a_members_personal_token_reads_its_own_organisation_only(served: Served) -> None:
    token = served.prepared["member"]
    orgs = call(served.url, "/api/v1/organisations", token=token).json()["data"]
    scores = call(served.url, "/api/v1/scores", token=token).json()
    assert [o["org_code"] for o in orgs] == ["FON-RBT-003"]
    assert scores["run_id"] == 2 and {r["org_code"] for r in scores["data"]} == {"FON-RBT-003"}
    assert call(served.url, "/api/v1/scores?org=ASS-CAS-001", token=token).json()["data"] == []


def test_a_steering_accounts_personal_token_reads_the_whole_network(served: Served) -> None:
    orgs = call(served.url, "/api/v1/organisations", token=served.prepared["steering"]).json()["data"]
    assert len(orgs) == served.prepared["active_orgs"] > len(served.prepared["orgs"])
    assert call(served.url, "/api/v1/quality", token=served.prepared["steering"]).json()["data"]


@pytest.mark.parametrize("which", ["none", "random", "malformed", "revoked", "expired", "personal_revoked",
                                   "personal_random"])
def test_no_wrong_expired_or_revoked_token_gets_anything_but_a_401_json_error(served: Served, which: str) -> None:
    token = {
        "none": None,
        "random": secrets.token_urlsafe(32),
        "malformed": "not a token",
        "revoked": served.prepared["revoked"][1],
        "expired": served.prepared["expired"][1],
        "personal_revoked": served.prepared["member_revoked"],
        "personal_random": api_tokens.PREFIX + secrets.token_urlsafe(32),
    }[which]
    for endpoint in ("scores", "organisations", "runs"):
        reply = call(served.url, f"/api/v1/{endpoint}", token=token)
        assert reply.status == 401
        body = reply.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
        assert reply.headers["www-authenticate"] == "Bearer"


def test_a_valid_token_in_the_query_string_is_refused(served: Served) -> None:
    token = served.prepared["scoped"][1]
    for name in ("token", "link"):
        reply = call(served.url, f"/api/v1/scores?{name}={token}")
        assert reply.status == 400 and set(reply.json()) == {"error"}
        assert reply.json()["error"]["code"] == "token_in_query"


@contextlib.contextmanager
def _counting_server(backend: str, tmp_path: Path, request: pytest.FixtureRequest,
                     prepare) -> Iterator[Served]:
    """A fresh demo copy with ``prepare`` applied, served; ``Served.db`` is what to read afterwards."""
    if backend == "duckdb":
        with serving(request.getfixturevalue("demo_db_pristine"), tmp_path, prepare) as live:
            yield live
        return
    with serving_postgres(request.getfixturevalue("demo_copy"), tmp_path, tmp_path, prepare) as live:
        yield live


def test_every_api_use_is_counted_and_audited_like_a_page_view(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    def prepare(store: Store) -> tuple[int, str]:
        return links.create_link(store, label="Compté", org_codes=["ASS-CAS-001"], created_by="test")

    with _counting_server(backend, tmp_path, request, prepare) as live:
        link_id, token = live.prepared
        for endpoint in ("scores", "organisations"):
            assert call(live.url, f"/api/v1/{endpoint}", token=token).status == 200
        assert call(live.url, f"/api/v1/scores?token={token}").status == 400
    [(count,)] = _plain_rows(live.db, "SELECT use_count FROM share_links WHERE id = ?",
                             "SELECT use_count FROM share_links WHERE id = %s", [link_id])
    # JSON as its text on both (psycopg alone would parse PostgreSQL's into a dict).
    used = _plain_rows(live.db, "SELECT detail FROM audit_log WHERE action = 'link_used' AND actor = ?",
                       "SELECT detail::text FROM audit_log WHERE action = 'link_used' AND actor = %s",
                       [f"link:{link_id}"])
    refused = _plain_rows(live.db, "SELECT detail FROM audit_log WHERE action = 'link_refused'",
                          "SELECT detail::text FROM audit_log WHERE action = 'link_refused'", [])
    assert count == 2
    assert sorted('"api:scores"' in d or '"api:organisations"' in d for (d,) in used) == [True, True]
    assert any('"token_in_query"' in d and token not in d for (d,) in refused)
