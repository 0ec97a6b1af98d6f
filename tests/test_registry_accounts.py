"""The organisation registry and the accounts in the app: the committee adds, edits, deactivates and
imports organisations on the Registry page (the registry file's rules and messages, an audit entry
per change), members change their own password, the committee sees who has never signed in; the
command line ``python -m ingest org`` does the same with the same audit entries.

Real AppTest sessions on private copies of the demo database, on both backends (a DuckDB file, or a
PostgreSQL copy by template); the command line in child processes.
"""

from __future__ import annotations

import json

import polars as pl
import pytest
from test_audit_doors import (
    STEERING,
    assert_same_entry,
    copy_of_fixture,  # noqa: F401 — the fixture ``copy_of``, one demo copy per door
    last_entry,
    reading,
    run,
)

from dashboard.navigation import pages_for
from dashboard.testing import open_page, start
from i18n import t
from ingest.issues import render_report
from ingest.orgs import read_org_file
from store import accounts, registry
from store.accounts import DEMO_PASSWORD
from store.audit import cli_actor
from store.db import open_store
from store.settings import AccessSettings
from store.viewer import LinkScope, Viewer

pytestmark = pytest.mark.backends("duckdb", "postgres")

MEMBER = "ASS-CAS-001"
NEW = "ASS-TIZ-099"
#: A registry row with a region and a thematic area nobody knows (the file's own column names).
BAD_ROW = {"code": NEW, "name_fr": "Association Tiznit Avenir", "kind": "association", "region": "Atlantide",
           "thematic_areas": "education|astrologie"}


@pytest.fixture
def db(demo_copy, monkeypatch):
    """A private copy of the demo on this test's backend (``demo_copy`` points the settings at it)."""
    monkeypatch.setattr("dashboard.screens.password.FAILURE_DELAY_S", 0.0)
    return demo_copy


def submit(at, label_key: str):
    return at.button(key=f"FormSubmitter:registry_form-{t(label_key, 'fr')}").click().run()


def fill(at, **fields: str):
    for name, value in fields.items():
        if name in ("kind", "size_band"):
            at.selectbox(key=f"registry_{name}").set_value(value)
        else:
            at.text_input(key=f"registry_{name}").input(value)
    return at


def entries(db, action: str) -> list[dict]:
    with reading(db) as store:
        frame = store.query("SELECT actor, target, outcome, detail::VARCHAR AS detail FROM audit_log "
                            "WHERE action = ? ORDER BY id", [action])
    return [{**row, "detail": json.loads(row["detail"]) if row["detail"] else None}
            for row in frame.iter_rows(named=True)]


def org(db, code: str) -> dict | None:
    frame = registry.registry_with_status(open_store(db)).filter(registry_code(code))
    return frame.row(0, named=True) if frame.height else None


def registry_code(code: str) -> pl.Expr:
    return pl.col("code") == code


def report_messages(at) -> list[str]:
    """The messages column of the validation report tables on the page."""
    column = t("report.message", "fr")
    return [m for table in at.table for m in table.value[column].tolist()]


# -- the registry page -----------------------------------------------------------------------
def test_the_committee_adds_an_organisation_on_the_registry_page_with_its_audit_entry(db) -> None:
    at = open_page(start(db), "registry")
    fill(at, code=NEW.lower(), name_fr="Association Tiznit Avenir", name_ar="جمعية تيزنيت المستقبل",
         kind="cooperative", size_band="small", region="MA-09",
         thematic_areas=f"education | {t('dashboard.themes.youth', 'ar')}")  # a theme named in Arabic
    at = submit(at, "dashboard.registry.add")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [s.value for s in at.success] == [t("dashboard.registry.added", "fr", code=NEW)]
    row = org(db, NEW)
    assert (row["kind"], row["region"], row["thematic_areas"], row["size_band"], row["active"]) == (
        "cooperative", "MA-09", ["education", "youth"], "small", True)
    [entry] = [e for e in entries(db, "registry_changed") if e["detail"]["source"] == "registry page"]
    assert entry["actor"] == STEERING and entry["detail"]["added_codes"] == [NEW]
    assert at.selectbox(key="registry_choose").value == NEW  # the page now shows what it saved


def test_editing_an_organisation_on_the_page_changes_its_details_with_an_audit_entry(db) -> None:
    at = open_page(start(db), "registry")
    at = at.selectbox(key="registry_choose").set_value(MEMBER).run()
    before = org(db, MEMBER)
    assert at.text_input(key="registry_name_fr").value == before["name_fr"]  # the form holds its details
    assert at.text_input(key="registry_code").disabled
    at = submit(fill(at, name_en="Anaruz Association (renamed)"), "dashboard.registry.save")
    assert [s.value for s in at.success] == [t("dashboard.registry.saved", "fr", code=MEMBER)]
    after = org(db, MEMBER)
    assert after["name_en"] == "Anaruz Association (renamed)" and after["name_fr"] == before["name_fr"]
    entry = entries(db, "registry_changed")[-1]
    assert entry["actor"] == STEERING and entry["detail"]["updated_codes"] == [MEMBER]
    assert entry["detail"]["added_codes"] == []


def test_deactivating_an_organisation_on_the_page_takes_it_off_the_pages_and_is_audited(db) -> None:
    at = open_page(start(db), "registry")
    at = at.selectbox(key="registry_choose").set_value(MEMBER).run()
    at = at.button(key="registry_deactivate").click().run()
    assert [s.value for s in at.success] == [t("dashboard.registry.deactivated", "fr", code=MEMBER)]
    assert org(db, MEMBER)["active"] is False
    from store.reads import common as common_reads

    listed = common_reads.organisations(open_store(db), Viewer.steering(), "fr")["org_code"].to_list()
    assert MEMBER not in listed
    [entry] = entries(db, "organisation_deactivated")
    assert (entry["actor"], entry["target"], entry["detail"]) == (
        STEERING, f"org:{MEMBER}", {"source": "registry page", "code": MEMBER})
    # an edit of a deactivated organisation leaves it deactivated; reactivating is its own action
    at = submit(fill(at, name_en="Still asleep"), "dashboard.registry.save")
    assert org(db, MEMBER)["active"] is False
    at = at.button(key="registry_reactivate").click().run()
    assert org(db, MEMBER)["active"] is True and len(entries(db, "organisation_reactivated")) == 1


def test_a_bad_region_or_theme_on_the_page_gets_the_message_the_registry_file_gives(db, framework) -> None:
    csv = ("code,name_fr,kind,region,thematic_areas\n"
           + ",".join(BAD_ROW[c] for c in ("code", "name_fr", "kind", "region", "thematic_areas")) + "\n")
    from_file = render_report(read_org_file(csv.encode(), "registre.csv", framework).issues, "fr")
    assert {*from_file["code"]} == {"invalid_value", "unknown_theme"}
    registered, changes = len(registry.org_codes(open_store(db))), len(entries(db, "registry_changed"))

    at = open_page(start(db), "registry")
    at = submit(fill(at, **BAD_ROW), "dashboard.registry.add")
    assert [e.value for e in at.error] == [t("dashboard.registry.form_rejected", "fr")]
    on_page = report_messages(at)
    at.file_uploader(key="registry_file").set_value(("registre.csv", csv.encode(), "text/csv"))
    at = at.run()
    assert t("dashboard.registry.import_rejected", "fr", file="registre.csv") in [e.value for e in at.error]
    through_file = report_messages(at)  # the form's report is gone: this is the file's
    assert sorted(on_page) == sorted(through_file) and len(on_page) == from_file.height == 2
    assert any("Atlantide" in m for m in on_page) and any("astrologie" in m for m in on_page)
    store = open_store(db)
    assert len(registry.org_codes(store)) == registered and len(entries(db, "registry_changed")) == changes


def test_adding_a_code_already_registered_is_refused_and_stores_nothing(db) -> None:
    at = open_page(start(db), "registry")
    before = org(db, MEMBER)
    at = submit(fill(at, code=MEMBER, name_fr="Doublon", kind="association"), "dashboard.registry.add")
    assert [e.value for e in at.error] == [t("registry.errors.code_taken", "fr", org=MEMBER)]
    assert org(db, MEMBER) == before


def test_the_registry_file_imported_on_the_page_is_registered_with_its_audit_entry(db) -> None:
    csv = f"code,name_fr,kind,region,thematic_areas\n{NEW},Association Tiznit Avenir,association,MA-09,rural\n"
    at = open_page(start(db), "registry")
    at.file_uploader(key="registry_file").set_value(("nouvelles.csv", csv.encode(), "text/csv"))
    at = at.run()
    at = at.button(key="registry_import").click().run()
    assert not at.exception and org(db, NEW)["thematic_areas"] == ["rural"]
    entry = entries(db, "registry_changed")[-1]
    assert entry["actor"] == STEERING and entry["detail"]["source"] == "nouvelles.csv"
    assert entry["detail"]["added_codes"] == [NEW]


def test_a_member_cannot_open_the_registry_page_but_has_its_password_page(db) -> None:
    keys = [p.key for p in pages_for(Viewer.member(MEMBER))]
    assert "registry" not in keys and "password" in keys
    assert "password" not in [p.key for p in pages_for(Viewer.funder(LinkScope(frozenset({MEMBER}))))]
    at = start(db, identity=MEMBER)
    with pytest.raises(ValueError):
        open_page(at, "registry")


# -- one's own password ----------------------------------------------------------------------
def change(at, current: str, new: str, again: str | None = None):
    at.text_input(key="password_current").input(current)
    at.text_input(key="password_new").input(new)
    at.text_input(key="password_again").input(new if again is None else again)
    return at.button(key=f"FormSubmitter:password_change-{t('dashboard.registry.password_submit', 'fr')}").click().run()


def test_a_member_changes_its_password_and_the_old_one_no_longer_works(db) -> None:
    at = open_page(start(db, identity=MEMBER), "password")
    at = change(at, "not-my-password", "a brand new passphrase")
    assert [e.value for e in at.error] == [t("access.errors.wrong_current_password", "fr")]
    minimum = AccessSettings.from_env().password_min_length
    at = change(at, DEMO_PASSWORD, "short")
    assert [e.value for e in at.error] == [t("access.errors.password_too_short", "fr", minimum=minimum)]
    store = open_store(db)
    assert accounts.authenticate(store, MEMBER.lower(), DEMO_PASSWORD).ok  # nothing changed so far
    at = change(at, DEMO_PASSWORD, "a brand new passphrase")
    assert not at.error and [s.value for s in at.success] == [t("dashboard.registry.password_done", "fr")]
    assert not accounts.authenticate(store, MEMBER.lower(), DEMO_PASSWORD).ok
    assert accounts.authenticate(store, MEMBER.lower(), "a brand new passphrase").ok
    changes = entries(db, "password_changed")
    assert [(e["actor"], e["outcome"], e["detail"]["reason"]) for e in changes] == [
        (f"account:{MEMBER.lower()}", "refused", "wrong_current_password"),
        (f"account:{MEMBER.lower()}", "refused", "password_too_short"),
        (f"account:{MEMBER.lower()}", "ok", None),
    ]
    assert not any("passphrase" in json.dumps(e) or DEMO_PASSWORD in json.dumps(e) for e in changes)


def test_changing_ones_password_ends_the_accounts_other_sessions_but_not_this_one(db) -> None:
    elsewhere = start(db, identity=MEMBER)
    here = open_page(start(db, identity=MEMBER), "password")
    here = change(here, DEMO_PASSWORD, "another long passphrase")
    assert here.success
    here = open_page(here, "overview")
    assert [x.value for x in here.title] == [t("dashboard.overview.title", "fr")]
    elsewhere.run()
    assert [x.value for x in elsewhere.title] == [t("dashboard.access.sign_in_title", "fr")]
    assert t("dashboard.access.notice.password_changed", "fr") in [i.value for i in elsewhere.info]


def test_a_password_reset_by_the_committee_ends_the_members_open_session(db) -> None:
    member = start(db, identity=MEMBER)
    assert [x.value for x in member.title] == [t("calendar.home.title", "fr")]
    store = open_store(db)
    accounts.reset_password(store, accounts.find_by_username(store, MEMBER.lower()).id, actor=STEERING)
    member.run()
    assert [x.value for x in member.title] == [t("dashboard.access.sign_in_title", "fr")]


# -- who has never signed in -----------------------------------------------------------------
def test_the_committee_sees_the_accounts_never_signed_in(db) -> None:
    start(db, identity=MEMBER)  # this member has signed in once
    at = open_page(start(db), "accounts")
    store = open_store(db)
    never = sorted(store.column("SELECT username FROM accounts WHERE last_sign_in IS NULL"))
    assert MEMBER.lower() not in never and "comite" not in never and len(never) > 1
    assert t("dashboard.registry.never_signed_in_count.other", "fr", count=len(never)) in [c.value for c in at.caption]
    at = at.toggle(key="accounts_never_signed_in").set_value(True).run()
    shown = at.dataframe[0].value["username"].tolist()
    assert sorted(shown) == never


# -- the command line ------------------------------------------------------------------------
def test_an_organisation_added_edited_and_deactivated_from_the_command_line_is_audited_like_the_page(
    copy_of
) -> None:
    cli_db = copy_of("cli")
    added = run("ingest", "org", "add", NEW, "--name-fr", "Association Tiznit Avenir", "--kind", "association",
                "--region", "MA-09", "--themes", "rural|Jeunesse", "--db", cli_db, "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["organisation"]["thematic_areas"] == ["rural", "youth"]
    cli_add = last_entry(cli_db, "registry_changed")
    edited = run("ingest", "org", "edit", NEW, "--name-en", "Tiznit Future", "--db", cli_db, "--json")
    assert json.loads(edited.stdout)["status"] == "updated", edited.stderr
    cli_edit = last_entry(cli_db, "registry_changed")
    assert cli_edit["detail"]["updated_codes"] == [NEW]
    gone = run("ingest", "org", "deactivate", NEW, "--db", cli_db, "--json")
    assert json.loads(gone.stdout) == {"code": NEW, "status": "deactivated", "active": False}
    cli_off = last_entry(cli_db, "organisation_deactivated")

    page_db = copy_of("page")
    at = open_page(start(page_db), "registry")
    at = submit(fill(at, code=NEW, name_fr="Association Tiznit Avenir", kind="association", region="MA-09",
                     thematic_areas="rural|Jeunesse"), "dashboard.registry.add")
    page_add = last_entry(page_db, "registry_changed")
    at = submit(fill(at, name_en="Tiznit Future"), "dashboard.registry.save")
    page_edit = last_entry(page_db, "registry_changed")
    at.button(key="registry_deactivate").click().run()
    page_off = last_entry(page_db, "organisation_deactivated")
    cli = cli_actor()
    for from_cli, from_page, target in ((cli_add, page_add, r"registry:organizations"),
                                        (cli_edit, page_edit, r"registry:organizations"),
                                        (cli_off, page_off, rf"org:{NEW}")):
        assert_same_entry(from_cli, from_page, target, cli, STEERING)
    assert {k: v for k, v in cli_edit["detail"].items() if k != "source"} == {
        k: v for k, v in page_edit["detail"].items() if k != "source"}
    assert org(cli_db, NEW) | {"created_at": None, "updated_at": None} == org(page_db, NEW) | {
        "created_at": None, "updated_at": None}


def test_a_bad_region_from_the_command_line_gets_the_message_of_the_registry_file(
    copy_of, framework
) -> None:
    cli_db = copy_of("cli")
    done = run("ingest", "org", "add", NEW, "--name-fr", BAD_ROW["name_fr"], "--kind", "association",
               "--region", BAD_ROW["region"], "--themes", BAD_ROW["thematic_areas"], "--db", cli_db, "--json",
               "--lang", "ar")
    assert done.returncode == 1
    answer = json.loads(done.stdout)
    csv = ("code,name_fr,kind,region,thematic_areas\n"
           + ",".join(BAD_ROW[c] for c in ("code", "name_fr", "kind", "region", "thematic_areas")) + "\n")
    from_file = render_report(read_org_file(csv.encode(), "registre.csv", framework).issues, "ar")
    assert answer["status"] == "rejected"
    assert sorted(i["message"] for i in answer["issues"]) == sorted(from_file["message"].to_list())
    taken = run("ingest", "org", "add", MEMBER, "--name-fr", "Doublon", "--kind", "association", "--db", cli_db,
                "--json")
    assert taken.returncode == 1 and json.loads(taken.stdout)["refused"] == "code_taken"
    assert org(cli_db, NEW) is None  # opened here last: the command lines above needed the file to themselves


def test_an_edit_leaves_a_deactivated_organisation_deactivated_while_the_file_registers_it_again(
    sample_orgs_store, framework
) -> None:
    store = sample_orgs_store
    code = sorted(registry.org_codes(store))[0]
    assert registry.set_organisation_active(store, code, False, actor="cli:test", source="test")
    assert not registry.set_organisation_active(store, code, False, actor="cli:test", source="test")  # already
    rows = registry.organisation_registry(store).filter(registry_code(code))
    registry.upsert_organizations(store, rows, actor="cli:test", source="edit", expect="known")
    assert org_active(store, code) is False
    registry.upsert_organizations(store, rows, actor="cli:test", source="file.csv")
    assert org_active(store, code) is True


def org_active(store, code: str) -> bool:
    return store.scalar("SELECT active FROM organizations WHERE code = ?", [code])


def test_the_accounts_list_command_can_list_only_the_accounts_never_signed_in(copy_of) -> None:
    db = copy_of("cli")
    with reading(db) as store:
        for name in ("amina", "brahim"):
            accounts.create_account(store, name, "member", org_code=MEMBER, password=f"{name} long password",
                                    created_by="cli:test")
        assert accounts.authenticate(store, "amina", "amina long password").ok
    done = run("store", "accounts", "list", "--never-signed-in", "--json", "--db", db)
    assert done.returncode == 0, done.stderr
    listed = [a["username"] for a in json.loads(done.stdout)]
    assert "brahim" in listed and "amina" not in listed
