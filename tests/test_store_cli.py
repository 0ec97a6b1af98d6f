"""``python -m store``: accounts, funder links and the audit log from the command line.

Every command runs as a real process on a real DuckDB file, and again on a real PostgreSQL database; what it
printed once (a password, a link address) is then checked against the store itself.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import REPO, SAMPLES

import i18n
from store import accounts, links
from store.clients import ClientInfo
from store.db import Store, utc_now
from store.errors import DatabaseBusy
from store.settings import AccessSettings

ORG = "ASS-CAS-001"
OTHER_ORG = "FON-FES-007"
URL = re.compile(r"^(?P<base>\S+)/\?link=(?P<token>[A-Za-z0-9_-]+)&lang=(?P<lang>[a-z]{2})$", re.MULTILINE)
ACTOR = f"cli:{getpass.getuser()}"

#: On both backends: the same commands on a DuckDB file and on a PostgreSQL database (``--db`` taking its URL).
pytestmark = pytest.mark.backends("duckdb", "postgres")


def store_cli(*args: str | Path, db: Path | str | None = None, lang: str | None = None, stdin: str | None = None,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "store", *map(str, args)]
    if db is not None:
        command += ["--db", str(db)]
    if lang:
        command += ["--lang", lang]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ATHAR_")}
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60, input=stdin,
                          env={**environment, **(env or {})})


@contextmanager
def opened(db: Path | str) -> Iterator[Store]:
    """The file in this process, closed again before the next command needs it."""
    store = Store(db)
    try:
        yield store
    finally:
        store.close()


def printed_password(output: str, lang: str = "fr") -> str:
    prefix = i18n.t("store_cli.password", lang, password="")
    [password] = [line[len(prefix):] for line in output.splitlines() if line.startswith(prefix)]
    return password


def printed_token(output: str) -> str:
    [match] = URL.finditer(output)
    return match["token"]


@pytest.fixture(scope="module")
def orgs_db(backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path | str:
    """The five organisations of the shared samples, registered once (``python -m ingest orgs``): a DuckDB
    file, or a PostgreSQL database that each test copies (``CREATE DATABASE … TEMPLATE``)."""
    path = tmp_path_factory.mktemp(f"store-cli-{backend}") / "orgs.duckdb"
    target: Path | str = path
    if backend == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        target = cluster.fresh_database(migrated=False)
        request.addfinalizer(lambda: cluster.drop_database(target))
    done = subprocess.run([sys.executable, "-m", "ingest", "orgs", str(SAMPLES / "organizations.csv"), "--db",
                           str(target)], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return target


@pytest.fixture
def db(orgs_db: Path | str, tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """A private copy of that database for one test."""
    if isinstance(orgs_db, str):
        cluster = request.getfixturevalue("pg_cluster")
        url = cluster.fresh_database(template=urlsplit(orgs_db).path.strip("/"))
        request.addfinalizer(lambda: cluster.drop_database(url))
        return url
    path = tmp_path / "athar.duckdb"
    shutil.copy(orgs_db, path)
    return path


# -- init ------------------------------------------------------------------------------------
def test_init_prints_the_first_password_once_and_it_signs_in(db: Path) -> None:
    first = store_cli("init", db=db)
    assert first.returncode == 0, first.stderr
    assert i18n.t("store_cli.init_created", "fr", username="admin") in first.stdout
    assert i18n.t("store_cli.shown_once", "fr") in first.stdout
    password = printed_password(first.stdout)
    again = store_cli("init", db=db)
    assert again.returncode == 0 and i18n.t("store_cli.init_exists", "fr") in again.stdout
    assert password not in again.stdout
    listed = store_cli("accounts", "list", db=db).stdout + store_cli("audit", db=db).stdout
    assert "admin" in listed and password not in listed
    with opened(db) as store:
        signed = accounts.authenticate(store, "admin", password)
        assert signed.ok and signed.account.role == "steering"
        assert store.scalar("SELECT created_by FROM accounts WHERE username = 'admin'") == ACTOR


def test_init_uses_the_administrator_from_the_environment(db: Path) -> None:
    secret = "chef-du-comite-2026"
    done = store_cli("init", db=db, lang="en", env={"ATHAR_ADMIN_USER": "Chef", "ATHAR_ADMIN_PASSWORD": secret})
    assert done.returncode == 0, done.stderr
    assert "chef" in done.stdout and secret not in done.stdout
    assert i18n.t("store_cli.init_password_env", "en") in done.stdout
    with opened(db) as store:
        assert accounts.authenticate(store, "chef", secret).ok


def test_init_refuses_an_administrator_password_below_the_policy(db: Path) -> None:
    done = store_cli("init", db=db, lang="ar", env={"ATHAR_ADMIN_PASSWORD": "short"})
    assert done.returncode == 1
    assert i18n.t("access.errors.password_too_short", "ar", minimum=12) in done.stderr


# -- accounts --------------------------------------------------------------------------------
def test_member_account_password_is_printed_once_and_signs_in(db: Path) -> None:
    done = store_cli("accounts", "add", "Alice", "--role", "member", "--org", ORG, "--name", "Alice B.",
                     "--email", "Alice@Example.org", db=db, lang="en")
    assert done.returncode == 0, done.stderr
    assert "“alice”" in done.stdout and ORG in done.stdout
    password = printed_password(done.stdout, "en")
    assert len(password) >= AccessSettings().password_min_length
    with opened(db) as store:
        signed = accounts.authenticate(store, "alice", password)
        assert signed.ok and signed.account.org_code == ORG and signed.account.viewer().visible_orgs == (ORG,)
        assert not accounts.authenticate(store, "alice", password + "x").ok
        assert accounts.find_by_email(store, "alice@example.org").username == "alice"


def test_password_from_standard_input_is_never_printed(db: Path) -> None:
    secret = "une phrase de passe assez longue"
    done = store_cli("accounts", "add", "comite2", "--role", "steering", "--password-stdin", db=db, stdin=secret + "\n")
    assert done.returncode == 0, done.stderr
    assert secret not in done.stdout + done.stderr
    assert not [line for line in done.stdout.splitlines() if line.startswith(i18n.t("store_cli.password", "fr", password=""))]
    with opened(db) as store:
        assert accounts.authenticate(store, "comite2", secret).ok
    short = store_cli("accounts", "add", "comite3", "--role", "steering", "--password-stdin", db=db, stdin="court\n",
                      lang="ar")
    assert short.returncode == 1 and i18n.t("access.errors.password_too_short", "ar", minimum=12) in short.stderr
    empty = store_cli("accounts", "add", "comite3", "--role", "steering", "--password-stdin", db=db, stdin="")
    assert empty.returncode == 2 and i18n.t("store_cli.password_stdin_empty", "fr") in empty.stderr


def test_oidc_only_account_has_no_password(db: Path) -> None:
    done = store_cli("accounts", "add", "nadia", "--role", "member", "--org", ORG, "--oidc-only", "--email",
                     "Nadia@Example.org", db=db)
    assert done.returncode == 0, done.stderr
    assert "nadia@example.org" in done.stdout
    assert not [line for line in done.stdout.splitlines() if line.startswith(i18n.t("store_cli.password", "fr", password=""))]
    with opened(db) as store:
        assert store.scalar("SELECT password_hash FROM accounts WHERE username = 'nadia'") is None
        assert accounts.authenticate(store, "nadia", "").reason == "wrong"
    refused = store_cli("accounts", "add", "omar", "--role", "member", "--org", ORG, "--oidc-only", db=db)
    assert refused.returncode == 1 and i18n.t("access.errors.oidc_needs_email", "fr") in refused.stderr


@pytest.mark.parametrize(
    ("arguments", "status", "key", "params"),
    [
        (["x y", "--role", "member", "--org", ORG], 1, "bad_username", {"username": "x y"}),
        (["bob", "--role", "member"], 1, "member_needs_org", {}),
        (["bob", "--role", "member", "--org", "NOPE-000"], 1, "unknown_org", {"org": "NOPE-000"}),
        (["bob", "--role", "steering", "--org", ORG], 2, "store_cli.steering_no_org", {}),
        (["bob", "--role", "funder"], 2, None, {}),
        (["bob", "--role", "member", "--org", ORG, "--oidc-only", "--password-stdin"], 2, None, {}),
    ],
)
def test_refused_account_creation(db: Path, arguments: list[str], status: int, key: str | None, params: dict) -> None:
    done = store_cli("accounts", "add", *arguments, db=db)
    assert done.returncode == status, done.stdout + done.stderr
    if key:
        full = key if key.startswith("store_cli.") else f"access.errors.{key}"
        assert i18n.t(full, "fr", **params) in done.stderr
    with opened(db) as store:
        assert store.scalar("SELECT count(*) FROM accounts") == 0


def test_username_taken_is_refused(db: Path) -> None:
    assert store_cli("accounts", "add", "alice", "--role", "member", "--org", ORG, db=db).returncode == 0
    again = store_cli("accounts", "add", "ALICE", "--role", "member", "--org", OTHER_ORG, db=db, lang="en")
    assert again.returncode == 1
    assert i18n.t("access.errors.username_taken", "en", username="alice") in again.stderr


def test_account_list_never_shows_a_hash(db: Path) -> None:
    store_cli("init", db=db)
    store_cli("accounts", "add", "alice", "--role", "member", "--org", ORG, "--email", "a@example.org", db=db)
    listed = store_cli("accounts", "list", "--json", db=db)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert {r["username"] for r in rows} == {"admin", "alice"}
    assert all("password_hash" not in r for r in rows)
    human = store_cli("accounts", "list", db=db, lang="ar")
    assert i18n.t("store_cli.role.member", "ar") in human.stdout
    for output in (listed.stdout, human.stdout):
        assert "$argon2" not in output and "argon2" not in output


def test_reset_password_replaces_the_old_one(db: Path) -> None:
    old = printed_password(store_cli("accounts", "add", "alice", "--role", "member", "--org", ORG, db=db).stdout)
    done = store_cli("accounts", "reset-password", "alice", db=db)
    assert done.returncode == 0, done.stderr
    new = printed_password(done.stdout)
    assert new != old and i18n.t("store_cli.shown_once", "fr") in done.stdout
    with opened(db) as store:
        assert not accounts.authenticate(store, "alice", old).ok
        assert accounts.authenticate(store, "alice", new).ok
    chosen = "un mot de passe choisi par alice"
    assert store_cli("accounts", "reset-password", "alice", "--password-stdin", db=db, stdin=chosen).returncode == 0
    with opened(db) as store:
        assert accounts.authenticate(store, "alice", chosen).ok
    unknown = store_cli("accounts", "reset-password", "zed", db=db)
    assert unknown.returncode == 1 and i18n.t("access.errors.unknown_account", "fr") in unknown.stderr


def test_disable_enable_and_the_last_steering_account(db: Path) -> None:
    admin = printed_password(store_cli("init", db=db).stdout)
    last = store_cli("accounts", "disable", "admin", db=db)
    assert last.returncode == 1 and i18n.t("access.errors.last_steering", "fr") in last.stderr
    password = printed_password(store_cli("accounts", "add", "alice", "--role", "member", "--org", ORG, db=db).stdout)
    assert store_cli("accounts", "disable", "alice", db=db).returncode == 0
    with opened(db) as store:
        assert accounts.authenticate(store, "alice", password).reason == "inactive"
    assert store_cli("accounts", "enable", "alice", db=db).returncode == 0
    with opened(db) as store:
        assert accounts.authenticate(store, "alice", password).ok
        assert accounts.authenticate(store, "admin", admin).ok
    assert store_cli("accounts", "disable", "ghost", db=db).returncode == 1


def test_unlock_lifts_a_lock_after_failed_sign_ins(db: Path) -> None:
    password = printed_password(store_cli("accounts", "add", "alice", "--role", "member", "--org", ORG, db=db).stdout)
    flood, person = ClientInfo.of("203.0.113.66", "curl/8.5"), ClientInfo.of("192.0.2.44", "Firefox/140.0")
    with opened(db) as store:
        for _ in range(AccessSettings().sign_in_delay_after):
            accounts.authenticate(store, "alice", "wrong password!", client=flood)
        assert not accounts.authenticate(store, "alice", password, client=person).ok
    done = store_cli("accounts", "unlock", "alice", db=db, lang="en")
    assert done.returncode == 0 and "“alice”" in done.stdout
    with opened(db) as store:
        assert accounts.authenticate(store, "alice", password, client=person).ok
    listed = json.loads(store_cli("audit", "--action", "account_changed", "--json", db=db).stdout)
    assert [e["detail"] for e in listed] == [{"unlocked": True, "clients_unlocked": 0}]
    assert listed[0]["actor"] == ACTOR


# -- links -----------------------------------------------------------------------------------
def test_link_url_printed_once_opens_its_scope(db: Path) -> None:
    done = store_cli("links", "create", "--label", "Fondation Avenir 2024", "--org", ORG, "--org", OTHER_ORG,
                     "--period", "2024", "--page", "overview", "--page", "profile", "--days", "10",
                     "--lang-link", "ar", db=db, env={"ATHAR_BASE_URL": "https://athar.example.org/"})
    assert done.returncode == 0, done.stderr
    assert i18n.t("store_cli.link_url_once", "fr") in done.stdout
    [url] = URL.finditer(done.stdout)
    assert url["base"] == "https://athar.example.org" and url["lang"] == "ar"
    with opened(db) as store:
        check = links.check_token(store, url["token"])
        assert check.ok
        scope = check.scope
        assert scope.org_codes == {ORG, OTHER_ORG} and scope.periods == {"2024"} and scope.principles is None
        assert scope.pages == {"overview", "profile"} and scope.run_id is None
        assert 9.9 < (scope.expires_at - store.scalar("SELECT created_at FROM share_links")).total_seconds() / 86400 <= 10


def test_link_expiry_date_and_default_base_url(db: Path) -> None:
    tomorrow = (utc_now().date() + timedelta(days=2)).isoformat()
    done = store_cli("links", "create", "--label", "court", "--org", ORG, "--expires", tomorrow, db=db, lang="en")
    assert done.returncode == 0, done.stderr
    assert f"{tomorrow} 00:00 UTC" in done.stdout
    [url] = URL.finditer(done.stdout)
    assert url["base"] == "http://localhost:8501" and url["lang"] == "en"


@pytest.mark.parametrize(
    ("arguments", "status", "key", "params"),
    [
        (["--org", "NOPE-000"], 1, "access.errors.unknown_org", {"org": "NOPE-000"}),
        (["--org", ORG, "--days", "400"], 1, "access.errors.expiry_too_far", {"days": 90}),
        (["--org", ORG, "--days", "0"], 1, "access.errors.expiry_past", {}),
        (["--org", ORG, "--expires", "2020-01-01"], 1, "access.errors.expiry_past", {}),
        (["--org", ORG, "--expires", "31/12/2030"], 2, "store_cli.bad_date", {"value": "31/12/2030"}),
        (["--org", ORG, "--period", "24"], 1, "access.errors.bad_period", {"period": "24"}),
        (["--org", ORG, "--pin-latest"], 1, "store_cli.no_run", {}),
        (["--org", ORG, "--pin-run", "7"], 1, "access.errors.unknown_run", {"run": 7}),
        (["--org", ORG, "--page", "upload"], 2, None, {}),
        (["--org", ORG, "--days", "3", "--expires", "2030-01-01"], 2, None, {}),
    ],
)
def test_refused_link_creation(db: Path, arguments: list[str], status: int, key: str | None, params: dict) -> None:
    done = store_cli("links", "create", "--label", "x", *arguments, db=db)
    assert done.returncode == status, done.stdout + done.stderr
    if key:
        assert i18n.t(key, "fr", **params) in done.stderr
    assert "?link=" not in done.stdout
    with opened(db) as store:
        assert store.scalar("SELECT count(*) FROM share_links") == 0


def test_blank_label_is_refused(db: Path) -> None:
    done = store_cli("links", "create", "--label", "  ", "--org", ORG, db=db)
    assert done.returncode == 1 and i18n.t("access.errors.label_missing", "fr") in done.stderr


def test_pinned_links_on_a_scored_database(demo_copy: Path | str) -> None:
    latest = store_cli("links", "create", "--label", "figé", "--org", ORG, "--pin-latest", db=demo_copy)
    assert latest.returncode == 0, latest.stderr
    assert i18n.t("store_cli.pinned_run", "fr", run=1) in latest.stdout
    chosen = store_cli("links", "create", "--label", "P1", "--org", ORG, "--principle", "P1", "--pin-run", "1",
                       db=demo_copy)
    assert chosen.returncode == 0, chosen.stderr
    unknown = store_cli("links", "create", "--label", "P9", "--org", ORG, "--principle", "P9", db=demo_copy)
    assert unknown.returncode == 1
    assert i18n.t("access.errors.unknown_principle", "fr", principle="P9") in unknown.stderr
    with opened(demo_copy) as store:
        assert links.check_token(store, printed_token(latest.stdout)).scope.run_id == 1
        scope = links.check_token(store, printed_token(chosen.stdout)).scope
        assert scope.run_id == 1 and scope.principles == {"P1"}


def test_link_list_shows_scope_and_use_never_a_token_or_digest(db: Path) -> None:
    tokens = [
        printed_token(store_cli("links", "create", "--label", f"bailleur {n}", "--org", ORG, db=db).stdout)
        for n in range(2)
    ]
    with opened(db) as store:
        scope = links.check_token(store, tokens[0]).scope
        links.record_use(store, scope.link_id, page="overview")
        links.record_use(store, scope.link_id, download="scores.csv")
    listed = store_cli("links", "list", "--json", db=db)
    assert listed.returncode == 0, listed.stderr
    rows = {r["label"]: r for r in json.loads(listed.stdout)}
    assert rows["bailleur 0"]["use_count"] == 2 and rows["bailleur 0"]["last_used_at"]
    assert rows["bailleur 1"]["use_count"] == 0 and rows["bailleur 1"]["status"] == "active"
    assert all(r["org_codes"] == [ORG] and r["expires_at"] for r in rows.values())
    assert all("token_sha256" not in r for r in rows.values())
    human = store_cli("links", "list", db=db, lang="ar")
    assert i18n.t("store_cli.status.active", "ar") in human.stdout
    for output in (listed.stdout, human.stdout, store_cli("audit", "--json", db=db).stdout):
        for token in tokens:
            assert token not in output and links.token_digest(token) not in output


def test_revoke_stops_a_link(db: Path) -> None:
    token = printed_token(store_cli("links", "create", "--label", "x", "--org", ORG, db=db).stdout)
    done = store_cli("links", "revoke", "1", db=db)
    assert done.returncode == 0 and i18n.t("store_cli.link_revoked", "fr", id=1) in done.stdout
    with opened(db) as store:
        assert links.check_token(store, token).status == "revoked"
    again = store_cli("links", "revoke", "1", db=db, lang="en")
    assert again.returncode == 1 and i18n.t("store_cli.link_not_revoked", "en", id=1) in again.stderr
    assert store_cli("links", "revoke", "99", db=db).returncode == 1
    [row] = json.loads(store_cli("links", "list", "--json", db=db).stdout)
    assert row["status"] == "revoked" and row["revoked_by"] == ACTOR


def test_rotate_gives_a_new_address_for_the_same_scope(db: Path) -> None:
    old = printed_token(store_cli("links", "create", "--label", "x", "--org", ORG, "--org", OTHER_ORG,
                                  "--period", "2024", db=db).stdout)
    done = store_cli("links", "rotate", "1", "--lang-link", "en", db=db)
    assert done.returncode == 0, done.stderr
    new = printed_token(done.stdout)
    assert new != old and URL.search(done.stdout)["lang"] == "en"
    with opened(db) as store:
        assert links.check_token(store, old).status == "revoked"
        before_expiry = store.scalar("SELECT expires_at FROM share_links WHERE id = 1")
        scope = links.check_token(store, new).scope
        assert scope.link_id == 2 and scope.org_codes == {ORG, OTHER_ORG} and scope.periods == {"2024"}
        assert scope.expires_at == before_expiry
    refused = store_cli("links", "rotate", "1", db=db)
    assert refused.returncode == 1 and i18n.t("access.errors.not_active", "fr") in refused.stderr
    assert "?link=" not in refused.stdout


# -- audit -----------------------------------------------------------------------------------
def test_audit_filters_by_action_actor_and_limit(db: Path) -> None:
    store_cli("init", db=db)
    token = printed_token(store_cli("links", "create", "--label", "x", "--org", ORG, db=db).stdout)
    store_cli("links", "rotate", "1", db=db)
    with opened(db) as store:
        accounts.authenticate(store, "admin", "not the password")
    everything = json.loads(store_cli("audit", "--json", db=db).stdout)
    assert [e["action"] for e in everything] == [
        "sign_in_failed", "link_rotated", "link_created", "account_created", "registry_changed"  # python -m ingest orgs
    ]
    created = json.loads(store_cli("audit", "--action", "link_created", "--action", "link_rotated", "--json",
                                   db=db).stdout)
    assert {e["action"] for e in created} == {"link_created", "link_rotated"}
    mine = json.loads(store_cli("audit", "--actor", ACTOR, "--json", db=db).stdout)
    assert {e["actor"] for e in mine} == {ACTOR} and len(mine) == 4
    assert len(json.loads(store_cli("audit", "--limit", "1", "--json", db=db).stdout)) == 1
    human = store_cli("audit", db=db, lang="ar")
    assert human.returncode == 0 and i18n.t("store_cli.outcome.refused", "ar") in human.stdout
    assert token not in human.stdout and "not the password" not in human.stdout
    nothing = store_cli("audit", "--action", "upload", db=db)
    assert nothing.returncode == 0 and i18n.t("store_cli.no_entries", "fr") in nothing.stdout
    assert store_cli("audit", "--action", "frobnicate", db=db).returncode == 2


# -- usage and a busy database ---------------------------------------------------------------
def test_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = store_cli("accounts", "list", db=tmp_path / "none.duckdb", lang="en")
    assert missing.returncode == 2
    assert i18n.t("store_cli.db_not_found", "en", db=tmp_path / "none.duckdb") in missing.stderr
    assert not (tmp_path / "none.duckdb").exists()
    assert store_cli("accounts", "list").returncode == 2  # --db is required
    assert store_cli("frobnicate").returncode == 2
    assert store_cli("links", "revoke", "one", db=tmp_path / "x.duckdb").returncode == 2


def test_database_held_by_another_process_is_a_translated_refusal_on_duckdb_and_shared_on_postgresql(
    backend: str, db: Path | str
) -> None:
    """DuckDB lets one process hold the file: the command says so. PostgreSQL serves both at once."""
    with opened(db) as store:
        done = store_cli("accounts", "add", "alice", "--role", "member", "--org", ORG, db=db, lang="ar")
        if backend == "postgres":
            assert done.returncode == 0, done.stderr
            assert accounts.find_by_username(store, "alice") is not None  # seen by the holder at once
            return
    assert done.returncode == 1
    assert DatabaseBusy(db).message("ar") in done.stderr


# -- every message has a translation, every setting and command is documented ----------------
def _raised_codes() -> set[str]:
    source = "".join((REPO / "store" / name).read_text(encoding="utf-8") for name in ("accounts.py", "links.py"))
    return set(re.findall(r"(?:AccountError|LinkError)\(\s*\"([a-z_]+)\"", source))


def test_every_access_error_code_is_translated() -> None:
    codes = _raised_codes()
    assert {"bad_username", "username_taken", "expiry_too_far", "not_active"} <= codes
    for lang in i18n.LANGUAGES:
        for code in codes:
            assert i18n.t(f"access.errors.{code}", lang).strip(), (lang, code)


def test_every_cli_message_key_exists() -> None:
    source = (REPO / "store" / "cli.py").read_text(encoding="utf-8")
    keys = set(re.findall(r"\"(store_cli\.[a-z_.]+[a-z_])\"", source))
    assert keys, "no literal keys found"
    for lang in i18n.LANGUAGES:
        for key in keys:
            assert key in i18n.catalogue(lang), (lang, key)


def test_readme_documents_the_commands_and_the_settings() -> None:
    from store.cli import COMMANDS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        assert f"python -m store {command}" in readme, command
    for name in AccessSettings.model_fields:
        assert f"ATHAR_{name.upper()}" in readme, name
    for variable in ("ATHAR_ADMIN_USER", "ATHAR_ADMIN_PASSWORD", "ATHAR_DEMO_MODE", "ATHAR_BASE_URL"):
        assert variable in readme, variable
