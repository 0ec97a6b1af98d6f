"""The API answers a funder link's token with exactly the link's scope, and nothing to anyone else.

The REAL server (``python -m server``) on a copy of the demo database, once for the module; the
expected rows come from the database itself (an oracle written here in plain SQL, not the reads the
server calls), so a scope predicate the API forgot, or one it applied twice, fails a test.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from server_harness import Served, call, prepared_copy, serving

from store import accounts, api_tokens, links
from store.db import Store, utc_now

REPO = Path(__file__).resolve().parents[2]
ORGS = ["ASS-AGD-038", "ASS-CAS-001", "FON-RBT-003"]
PRINCIPLES = ["P1", "P2"]
PERIODS = ["2024"]


def _second_run(db: Path) -> None:
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


@pytest.fixture(scope="module")
def served(demo_db_pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("api-scope")
    db, _ = prepared_copy(demo_db_pristine, folder / "base", None)
    _second_run(db)
    with serving(db, folder / "live", _prepare) as live:
        yield live


def _oracle_scores(db: Path, orgs: list[str]) -> set[tuple]:
    """Run 1's approved scores of the link's organisations, principles and periods (plain SQL)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            """SELECT org_code, period, principle FROM scores s
               WHERE run_id = 1 AND list_contains(?, org_code) AND list_contains(?, principle)
                 AND list_contains(?, period)
                 AND NOT EXISTS (SELECT 1 FROM score_provisional p
                                 WHERE p.run_id = 1 AND p.org_code = s.org_code AND p.period = s.period)""",
            [orgs, PRINCIPLES, PERIODS],
        ).fetchall()
    finally:
        con.close()
    return set(rows)


@pytest.fixture(scope="module")
def oracle(served: Served) -> set[tuple]:
    # Read from the base copy: same rows as the live file, which the server holds.
    return _oracle_scores(served.db.parent.parent / "base" / "demo.duckdb", served.prepared["orgs"])


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


def test_every_api_use_is_counted_and_audited_like_a_page_view(
    demo_db_pristine: Path, tmp_path: Path
) -> None:
    def prepare(store: Store) -> tuple[int, str]:
        return links.create_link(store, label="Compté", org_codes=["ASS-CAS-001"], created_by="test")

    with serving(demo_db_pristine, tmp_path, prepare) as live:
        link_id, token = live.prepared
        for endpoint in ("scores", "organisations"):
            assert call(live.url, f"/api/v1/{endpoint}", token=token).status == 200
        assert call(live.url, f"/api/v1/scores?token={token}").status == 400
    con = duckdb.connect(str(live.db), read_only=True)
    try:
        count = con.execute("SELECT use_count FROM share_links WHERE id = ?", [link_id]).fetchone()[0]
        used = con.execute("SELECT detail FROM audit_log WHERE action = 'link_used' AND actor = ?",
                           [f"link:{link_id}"]).fetchall()
        refused = con.execute("SELECT detail FROM audit_log WHERE action = 'link_refused'").fetchall()
    finally:
        con.close()
    assert count == 2
    assert sorted('"api:scores"' in d or '"api:organisations"' in d for (d,) in used) == [True, True]
    assert any('"token_in_query"' in d and token not in d for (d,) in refused)

