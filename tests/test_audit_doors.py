"""The same action writes the same audit entry from the command line and from the dashboard, in the
transaction that makes the change; loading data never adopts a framework version.

Each action runs through both doors on real databases (child processes for the command line,
AppTest sessions or the store function a page calls for the dashboard), one copy of the demo per door;
the entries must agree on action, target shape, outcome and detail keys, and differ only by actor.
On both backends: DuckDB files, and PostgreSQL copies of the demo (``CREATE DATABASE … TEMPLATE``).
"""

from __future__ import annotations

import getpass
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES, database_of, new_database, pg_demo_copy
from test_dashboard_upload import GOOD_FILE, MEMBER, uploaded

from dashboard.testing import open_page, start
from framework import edit as framework_edit
from framework.model import DEFAULT_FRAMEWORK_DIR, load_framework
from ingest.orgs import read_org_file
from metrics.run import score_store
from store import registry, scores
from store.db import Store, is_database_url, open_store
from store.registry import upsert_organizations

CLI = f"cli:{getpass.getuser()}"
STEERING = "account:comite"  # the demo steering account the AppTest session signs in as
MEMBER_ACCOUNT = f"account:{MEMBER.lower()}"

pytestmark = pytest.mark.backends("duckdb", "postgres")


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    return done


@contextmanager
def reading(db: Path | str) -> Iterator[Store]:
    """A handle for the test's own reads: a DuckDB file opened and closed here; a PostgreSQL database through
    the process's handle (closed when its copy is dropped), which a page session of this process may share."""
    if is_database_url(db):
        yield open_store(db)
        return
    store = Store(db)
    try:
        yield store
    finally:
        store.close()


def last_entry(db: Path | str, action: str) -> dict:
    """The newest entry of ``action``, its detail parsed."""
    with reading(db) as store:
        frame = store.query("SELECT actor, action, target, outcome, detail FROM audit_log WHERE action = ? "
                            "ORDER BY id DESC LIMIT 1", [action])
    assert frame.height == 1, f"no {action} entry"
    row = frame.row(0, named=True)
    row["detail"] = json.loads(row["detail"])
    return row


def assert_same_entry(cli: dict, page: dict, target: str, cli_actor: str, page_actor: str) -> None:
    """Same action, target shape, outcome and detail keys; the actor says which door."""
    assert (cli["actor"], page["actor"]) == (cli_actor, page_actor)
    assert cli["action"] == page["action"] and cli["outcome"] == page["outcome"] == "ok"
    assert re.fullmatch(target, cli["target"]) and re.fullmatch(target, page["target"]), (cli, page)
    assert cli["detail"].keys() == page["detail"].keys(), (cli["detail"], page["detail"])


def copy_file(pristine: Path, tmp_path: Path, name: str) -> Path:
    """A copy of the DuckDB file ``pristine`` named ``name`` in ``tmp_path`` (tests on DuckDB alone)."""
    path = tmp_path / name
    shutil.copy(pristine, path)
    return path


@pytest.fixture(name="copy_of")
def copy_of_fixture(backend: str, tmp_path: Path, request: pytest.FixtureRequest,
            monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path | str]:
    """``copy_of(door)``: a private copy of the scored demo for one door, named for it; the settings
    (``ATHAR_DB``, and ``ATHAR_DATABASE_URL`` on PostgreSQL) then name that copy, for the door used next."""

    def copy(door: str) -> Path | str:
        if backend == "postgres":
            return pg_demo_copy(request, tmp_path / door, monkeypatch)
        path = tmp_path / f"{door}.duckdb"
        shutil.copy(request.getfixturevalue("demo_db_pristine"), path)
        monkeypatch.setenv("ATHAR_DB", str(path))
        return path

    return copy


def framework_with_p1_weight(tmp_path: Path, weight: int) -> Path:
    """A copy of the framework files with principle P1 weighted ``weight`` (a new version)."""
    directory = tmp_path / "framework"
    shutil.copytree(DEFAULT_FRAMEWORK_DIR, directory)
    main = directory / "framework.toml"
    text = main.read_text(encoding="utf-8")
    assert text.count("\nweight = 1\n") >= 1
    main.write_text(text.replace("\nweight = 1\n", f"\nweight = {weight}\n", 1), encoding="utf-8")
    return directory


# -- scoring runs ----------------------------------------------------------------------------
def test_a_scoring_run_is_audited_alike_from_the_command_line_and_the_framework_page(
    copy_of, tmp_path
) -> None:
    from_cli = copy_of("cli")
    done = run("metrics", "score", "--db", from_cli)
    assert done.returncode == 0, done.stderr
    from_page = copy_of("page")
    at = open_page(start(from_page), "framework")
    at.button(key="framework_recompute").click().run()
    assert not at.exception and at.success
    cli, page = last_entry(from_cli, "scores_recomputed"), last_entry(from_page, "scores_recomputed")
    assert_same_entry(cli, page, r"run:2", CLI, STEERING)
    assert cli["detail"] == page["detail"]  # same data, same framework, same granularity
    assert cli["detail"]["framework_hash"] == load_framework().content_hash and cli["detail"]["granularity"] == "year"


# -- registry changes ------------------------------------------------------------------------
def test_a_registry_change_is_audited_alike_from_the_command_line_and_the_store_function(
    backend, tmp_path, framework, request
) -> None:
    """There is no registry page yet: the store function is called as a page would, with the account."""
    from_cli = new_database(request, backend, tmp_path / "cli.duckdb")
    to_page = new_database(request, backend, tmp_path / "page.duckdb")
    done = run("ingest", "orgs", SAMPLES / "organizations.csv", "--db", from_cli)
    assert done.returncode == 0, done.stderr
    parsed = read_org_file((SAMPLES / "organizations.csv").read_bytes(), "organizations.csv", framework)
    with reading(to_page) as page_store:
        upsert_organizations(page_store, parsed.rows, actor=STEERING, source="organizations.csv")
    cli, page = last_entry(from_cli, "registry_changed"), last_entry(to_page, "registry_changed")
    assert_same_entry(cli, page, r"registry:organizations", CLI, STEERING)
    codes = sorted(parsed.rows["code"].to_list())
    assert cli["detail"] == page["detail"] == {
        "source": "organizations.csv", "rows": len(codes), "added": len(codes), "updated": 0, "unchanged": 0,
        "added_codes": codes, "updated_codes": [],
    }


def test_a_registry_entry_names_only_the_organisations_whose_details_changed(store, framework) -> None:
    parsed = read_org_file((SAMPLES / "organizations.csv").read_bytes(), "organizations.csv", framework)
    upsert_organizations(store, parsed.rows, actor=CLI)
    first = parsed.rows["code"][0]
    renamed = parsed.rows.with_columns(
        name_fr=parsed.rows["name_fr"].scatter(0, "Nouveau nom")
    )
    upsert_organizations(store, renamed, actor=STEERING, source="screen")
    detail = json.loads(store.scalar("SELECT detail::VARCHAR FROM audit_log ORDER BY id DESC LIMIT 1"))
    assert detail["added_codes"] == [] and detail["updated_codes"] == [first]
    assert (detail["added"], detail["updated"], detail["unchanged"]) == (0, 1, parsed.rows.height - 1)


# -- framework adoption ----------------------------------------------------------------------
def test_framework_adoption_is_audited_alike_from_the_command_and_the_framework_page(
    copy_of, tmp_path
) -> None:
    from_cli = copy_of("cli")
    files = framework_with_p1_weight(tmp_path, 3)
    done = run("store", "framework", "adopt", "--framework", files, "--db", from_cli, "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    new = load_framework(files)
    assert answer["adopted"] is True and answer["version"] == new.content_hash
    again = run("store", "framework", "adopt", "--framework", files, "--db", from_cli, "--lang", "en")
    assert again.returncode == 0 and "already the one in use" in again.stdout

    from_page = copy_of("page")
    at = open_page(start(from_page), "framework")
    at.session_state["_framework_draft"] = new  # what "Check the changes" leaves after validating the same edit
    at.run()
    at.button(key="framework_adopt").click().run()
    assert not at.exception

    cli, page = last_entry(from_cli, "framework_change"), last_entry(from_page, "framework_change")
    assert_same_entry(cli, page, rf"framework:{new.content_hash[:12]}", CLI, STEERING)
    assert cli["detail"]["version"] == page["detail"]["version"] == new.content_hash
    assert cli["detail"]["previous"] == page["detail"]["previous"] == load_framework().content_hash
    assert cli["detail"]["first"] is page["detail"]["first"] is False
    with reading(from_cli) as store:  # adopted once: the second command changed nothing and wrote nothing
        assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'framework_change'") == 2  # demo + adopt
        assert registry.recorded_framework_hash(store) == new.content_hash


def test_an_invalid_framework_directory_is_a_translated_usage_error(tmp_path, sample_orgs_store) -> None:
    db = database_of(sample_orgs_store)
    sample_orgs_store.close()
    done = run("store", "framework", "adopt", "--framework", tmp_path / "nowhere", "--db", db, "--lang", "en")
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stderr.strip()


# -- uploads ---------------------------------------------------------------------------------
def test_an_upload_is_audited_alike_from_the_command_line_and_the_upload_page(
    copy_of, tmp_path
) -> None:
    from_cli = copy_of("cli")
    data = tmp_path / "mes_valeurs.csv"
    data.write_bytes(GOOD_FILE)
    done = run("ingest", "load", data, "--db", from_cli, "--org", MEMBER, "--uploaded-by", f"member:{MEMBER}")
    assert done.returncode == 0, done.stdout + done.stderr
    from_page = copy_of("page")
    at = uploaded(open_page(start(from_page, identity=MEMBER), "upload"), "mes_valeurs.csv", GOOD_FILE)
    at.button(key="upload_confirm").click().run()
    assert not at.exception
    cli, page = last_entry(from_cli, "upload"), last_entry(from_page, "upload")
    assert_same_entry(cli, page, r"submission:\d+", CLI, MEMBER_ACCOUNT)
    assert cli["detail"] == page["detail"]  # same file, same organisation, same label of on whose behalf
    assert cli["detail"]["uploaded_by"] == f"member:{MEMBER}"


# -- declared overlap ------------------------------------------------------------------------
def test_a_declared_overlap_is_audited_alike_from_the_command_line_and_the_upload_page(
    copy_of, tmp_path
) -> None:
    partner = "ENT-CAS-006"
    from_cli = copy_of("cli")
    done = run("store", "overlap", "set", MEMBER, "R01", "2025-Q4", partner, "700", "--db", from_cli)
    assert done.returncode == 0, done.stderr
    from_page = copy_of("page")
    at = open_page(start(from_page, identity=MEMBER), "upload")
    at.selectbox(key="overlap_value").set_value("R01|2025-Q4")
    at.text_input(key="overlap_partner_code").set_value(partner)  # a member types its partner's code
    at.number_input(key="overlap_shared").set_value(700)
    at.button(key="overlap_declare").click().run()
    assert not at.exception and not at.error
    cli, page = last_entry(from_cli, "overlap_declared"), last_entry(from_page, "overlap_declared")
    assert_same_entry(cli, page, rf"org:{MEMBER}", CLI, MEMBER_ACCOUNT)
    assert cli["target"] == page["target"] == f"org:{MEMBER}"
    assert {**cli["detail"], "origin": "page"} == page["detail"]  # the same declaration; only the door differs
    assert page["detail"]["partner"] == partner and page["detail"]["shared"] == 700


# -- loading never adopts --------------------------------------------------------------------
def test_loading_against_other_framework_files_never_changes_the_version_in_use(demo_copy, tmp_path) -> None:
    with reading(demo_copy) as store:
        in_use = registry.recorded_framework_hash(store)
        versions = store.scalar("SELECT count(*) FROM framework_versions")
    data = tmp_path / "mes_valeurs.csv"
    data.write_bytes(GOOD_FILE)
    files = framework_with_p1_weight(tmp_path, 4)
    done = run("ingest", "load", data, "--db", demo_copy, "--org", MEMBER, "--framework", files)
    assert done.returncode == 0, done.stdout + done.stderr
    with reading(demo_copy) as store:
        assert registry.recorded_framework_hash(store) == in_use
        assert store.scalar("SELECT count(*) FROM framework_versions") == versions
        assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'framework_change'") == 1  # the demo's


def test_the_first_load_of_a_database_without_a_version_records_it_as_an_audited_first_adoption(
    sample_orgs_store,
) -> None:
    db = database_of(sample_orgs_store)
    assert registry.recorded_framework_hash(sample_orgs_store) is None
    sample_orgs_store.close()
    rejected = run("ingest", "load", SAMPLES / "organizations.csv", "--db", db)
    assert rejected.returncode == 1
    with reading(db) as store:
        assert registry.recorded_framework_hash(store) is None  # a load that stores nothing adopts nothing
    done = run("ingest", "load", SAMPLES / "01_utf8_comma_lf.csv", "--db", db, "--lang", "en")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "recorded as its first version" in done.stderr
    entry = last_entry(db, "framework_change")
    assert entry["actor"] == CLI and entry["detail"]["first"] is True and entry["detail"]["previous"] is None
    assert entry["detail"]["version"] == load_framework().content_hash


# -- atomicity -------------------------------------------------------------------------------
class Crash(Exception):
    """Raised after the audit entry is written, before the transaction commits."""


def crash_after(record_in):
    def recording_then_crashing(cur, *args, **kwargs):
        record_in(cur, *args, **kwargs)
        raise Crash()

    return recording_then_crashing


def test_a_failure_inside_the_operation_leaves_neither_the_change_nor_its_audit_entry(
    demo_copy, monkeypatch, framework
) -> None:
    store = open_store(demo_copy)
    counts = "SELECT (SELECT count(*) FROM score_runs), (SELECT count(*) FROM organizations), " \
             "(SELECT count(*) FROM framework_versions), (SELECT count(*) FROM audit_log)"
    before = store.query(counts).row(0)
    monkeypatch.setattr(scores, "record_in", crash_after(scores.record_in))
    monkeypatch.setattr(registry, "record_in", crash_after(registry.record_in))
    with pytest.raises(Crash):
        score_store(store, framework, actor=STEERING)
    parsed = read_org_file((SAMPLES / "organizations.csv").read_bytes(), "organizations.csv", framework)
    with pytest.raises(Crash):
        upsert_organizations(store, parsed.rows, actor=STEERING)
    principles = framework_edit.principle_table(framework)
    principles.loc[principles["code"] == "P2", "weight"] = 5.0
    with pytest.raises(Crash):
        registry.adopt_framework(
            store, framework_edit.draft(framework, principles, framework_edit.indicator_table(framework)),
            actor=STEERING, source="test",
        )
    assert store.query(counts).row(0) == before
    assert registry.recorded_framework_hash(store) == framework.content_hash
