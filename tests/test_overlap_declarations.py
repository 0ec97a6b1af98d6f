"""Declaring overlap outside the file — on the upload page and from the command line — and programme
umbrellas: the same rule and words as the file's columns, stored with an audit entry, and used by the
network's reach (a range whose lower bound counts each programme once)."""

from __future__ import annotations

import getpass
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from conftest import REPO

from dashboard.testing import open_page, start
from i18n import formatting as fmt
from ingest.issues import render_report
from ingest.pipeline import load_file
from metrics.reach import reach_range, with_low_bound
from store import registry
from store.db import Store, open_store
from store.reads.overview import network_summary
from store.viewer import Viewer

MEMBER, PARTNER = "ASS-CAS-001", "ENT-CAS-006"  # two demo members of Casablanca-Settat
PERIOD, RUN, VALUE = "2025-Q4", 1, 16727  # the demo member's R01 for 2025-Q4 (by sex), scored in run 1
CLI = f"cli:{getpass.getuser()}"
OVERLAP_HEADER = "org_code,indicator_code,period,value,shared_with,shared_count"


def csv(rows: list[tuple], header: str = OVERLAP_HEADER) -> bytes:
    return ("\n".join([header, *(",".join(str(c) for c in r) for r in rows)]) + "\n").encode()


def reach_of(db: Path | Store) -> tuple[float, float, dict]:
    """(low, high, the read's parts) of the demo network's R01 reach for 2025, as the overview makes it."""
    store = db if isinstance(db, Store) else Store(db)
    try:
        summary = network_summary(store, Viewer.steering(), RUN, "2025", "R01")
    finally:
        if store is not db:
            store.close()
    reach = reach_range(summary["beneficiaries"], summary["beneficiaries_largest"], summary["beneficiaries_shared"],
                        programmes=summary["beneficiaries_programmes"])
    return reach.low, reach.high, summary


def declare_on_page(at, partner: str, shared: int, programme: str = ""):
    at.selectbox(key="overlap_value").set_value(f"R01|{PERIOD}")
    if any(w.key == "overlap_partner_code" for w in at.text_input):  # a member types the code
        at.text_input(key="overlap_partner_code").set_value(partner)
    else:  # the committee picks it from the registry
        at.selectbox(key="overlap_partner").set_value(partner)
    at.number_input(key="overlap_shared").set_value(shared)
    at.text_input(key="overlap_programme").set_value(programme)
    return at.button(key="overlap_declare").click().run()


def file_message(store: Store, data: bytes, code: str, lang: str) -> str:
    """What the file check says for ``code``, message then hint (the file is refused: nothing is stored)."""
    result = load_file(store, data, "shared.csv", framework=registry.framework_in_use(store))
    assert result.status == "rejected"
    report = render_report(result.issues, lang).filter(pl.col("code") == code)
    return f"{report['message'][0]} {report['hint'][0]}"


def stored(db: Path) -> tuple[int, int, int]:
    store = Store(db)
    try:
        return store.query("SELECT (SELECT count(*) FROM shared_beneficiaries), (SELECT count(*) FROM programme_members),"
                           " (SELECT count(*) FROM audit_log WHERE action = 'overlap_declared')").row(0)
    finally:
        store.close()


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "store", *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


# -- the page and the file agree -------------------------------------------------------------
def test_a_declaration_on_the_upload_page_narrows_the_overviews_range_exactly_as_the_file_column_does(
    demo_db_pristine, tmp_path, monkeypatch
) -> None:
    import shutil

    by_file, by_page = tmp_path / "file.duckdb", tmp_path / "page.duckdb"
    shutil.copy(demo_db_pristine, by_file)
    shutil.copy(demo_db_pristine, by_page)
    low_before, high, _ = reach_of(by_file)
    store = open_store(by_file)
    data = csv([(MEMBER, "R01", PERIOD, VALUE, PARTNER, 1200)])
    assert load_file(store, data, "shared.csv", framework=registry.framework_in_use(store)).status == "accepted"
    store.close()

    monkeypatch.setenv("ATHAR_DB", str(by_page))
    at = declare_on_page(open_page(start(by_page, identity=MEMBER), "upload"), PARTNER, 1200)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("R01" in s.value for s in at.success)
    shown = at.dataframe[-1].value  # the declarations in force
    assert list(shown["partner"]) == [PARTNER] and list(shown["shared"]) == [1200]

    file_low, file_high, file_parts = reach_of(by_file)
    page_low, page_high, page_parts = reach_of(by_page)
    assert (page_low, page_high) == (file_low, file_high) == (high - 1200, high)
    assert page_parts["beneficiaries_shared"] == file_parts["beneficiaries_shared"] == 1200
    assert low_before < page_low  # narrower than the largest organisation alone
    overview = open_page(at, "overview")  # the same session: the headline shows the narrowed range
    assert any(fmt.number_range(page_low, page_high, "fr") in m.value for m in overview.metric)


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_upload_page_refuses_an_unknown_partner_itself_and_a_count_above_the_value_with_the_files_words(
    demo_db_fresh, monkeypatch, lang
) -> None:
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    store = open_store(demo_db_fresh)
    above = file_message(store, csv([(MEMBER, "R01", PERIOD, VALUE, PARTNER, VALUE + 1)]), "shared_count_invalid",
                         lang)
    itself = file_message(store, csv([(PARTNER, "R01", PERIOD, VALUE, PARTNER, 5)]), "shared_with_itself", lang)
    unknown = file_message(store, csv([(MEMBER, "R01", PERIOD, VALUE, "ASS-NEW-099", 5)]), "shared_with_unknown", lang)
    before = stored(demo_db_fresh)

    at = start(demo_db_fresh, lang=lang)  # the committee, declaring for the member
    at = open_page(at, "upload")
    at.selectbox(key="upload_org").set_value(MEMBER).run()
    at = declare_on_page(at, PARTNER, VALUE + 1)
    assert [e.value for e in at.error] == [above]

    # A partner picked, then gone from the registry before the click (the picker was stale).
    store.write(lambda cur: cur.execute("INSERT INTO organizations (code, name_fr, kind, created_at, updated_at) "
                                        "VALUES ('ASS-NEW-099', 'Nouvelle', 'association', now(), now())"))
    at.run()
    at.selectbox(key="overlap_partner").set_value("ASS-NEW-099")
    at.number_input(key="overlap_shared").set_value(5)
    at.run()
    store.write(lambda cur: cur.execute("DELETE FROM organizations WHERE code = 'ASS-NEW-099'"))
    at.button(key="overlap_declare").click().run()
    assert [e.value for e in at.error] == [unknown]

    # The partner picked, then the organisation switched to that partner: it would name itself.
    at.selectbox(key="overlap_partner").set_value(PARTNER)
    at.number_input(key="overlap_shared").set_value(5)
    at.run()
    at.selectbox(key="upload_org").set_value(PARTNER)
    at.button(key="overlap_declare").click().run()
    assert [e.value for e in at.error] == [itself]
    store.close()
    assert stored(demo_db_fresh) == before  # nothing stored, nothing audited


def test_removing_a_declaration_on_the_page_widens_the_range_back(demo_db_fresh, monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    low_before, high, _ = reach_of(demo_db_fresh)
    at = declare_on_page(open_page(start(demo_db_fresh, identity=MEMBER), "upload"), PARTNER, 800)
    assert reach_of(demo_db_fresh)[0] == high - 800
    at.selectbox(key="overlap_remove_choice").set_value(f"R01|{PERIOD}|{PARTNER}")
    at.button(key="overlap_remove").click().run()
    assert not at.exception and any(s.value == "Déclaration retirée." for s in at.success)
    assert reach_of(demo_db_fresh)[0] == low_before
    store = Store(demo_db_fresh)
    try:
        entry = store.query("SELECT actor, target, detail FROM audit_log WHERE action = 'overlap_removed'").row(0)
        kept = store.scalar("SELECT count(*) FROM shared_beneficiaries WHERE valid_to IS NOT NULL")
    finally:
        store.close()
    assert entry[:2] == (f"account:{MEMBER.lower()}", f"org:{MEMBER}") and json.loads(entry[2])["partner"] == PARTNER
    assert kept == 1  # withdrawn, not erased: the history stays


# -- the command line ------------------------------------------------------------------------
def test_the_command_line_declares_replaces_and_refuses_with_the_files_words(demo_db_fresh) -> None:
    done = run_cli("overlap", "set", MEMBER, "R01", PERIOD, PARTNER, "900", "--db", demo_db_fresh, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"org": MEMBER, "indicator": "R01", "period": PERIOD, "partner": PARTNER,
                                            "shared": 900.0, "programme": None, "value": float(VALUE), "origin": "cli"}
    again = run_cli("overlap", "set", MEMBER, "R01", PERIOD, PARTNER, "1500", "--db", demo_db_fresh)
    assert again.returncode == 0, again.stderr
    assert reach_of(demo_db_fresh)[2]["beneficiaries_shared"] == 1500  # the later declaration replaced it
    before = stored(demo_db_fresh)
    refused = run_cli("overlap", "set", MEMBER, "R01", PERIOD, PARTNER, "2,5", "--db", demo_db_fresh, "--json",
                      "--lang", "en")
    assert refused.returncode == 1
    answer = json.loads(refused.stdout)
    assert answer["refused"] == "shared_count_invalid"
    assert answer["message"].startswith("“2,5” in “shared_count” is not a valid number of people in common.")
    assert stored(demo_db_fresh) == before
    listed = json.loads(run_cli("overlap", "list", MEMBER, "--db", demo_db_fresh, "--json").stdout)
    assert [(d["partner"], d["shared"], d["origin"]) for d in listed] == [(PARTNER, 1500.0, "cli")]


# -- programme umbrellas ---------------------------------------------------------------------
CAS, RBT, FES = "ASS-CAS-001", "ASS-RBT-014", "FON-FES-007"


@pytest.fixture
def three_orgs(sample_orgs_store, framework):
    """R01 reported by quarter in 2024, ending at 300, 200 and 150 distinct people (and R02, so there are scores)."""
    latest = {CAS: 300, RBT: 200, FES: 150}
    rows = [(org, "R01", f"2024-Q{q}", value * q // 4) for org, value in latest.items() for q in range(1, 5)]
    rows += [(org, "R02", f"2024-Q{q}", 55) for org in latest for q in range(1, 5)]
    assert load_file(sample_orgs_store, csv(rows, "org_code,indicator_code,period,value"), "r01.csv",
                     framework=framework).status == "accepted"
    return sample_orgs_store


def _reach_2024(store, framework):
    from metrics.run import score_store

    run_id = score_store(store, framework, actor="cli:test")[0]
    s = network_summary(store, Viewer.steering(), run_id, "2024", "R01")
    return reach_range(s["beneficiaries"], s["beneficiaries_largest"], s["beneficiaries_shared"],
                       programmes=s["beneficiaries_programmes"])


def test_two_members_declaring_one_programme_count_once(three_orgs, framework) -> None:
    header = "org_code,indicator_code,period,value,برنامج"  # the Arabic header of the programme column
    data = csv([(CAS, "R01", "2024-Q4", 300, "PROG-TIZNIT-2025"), (RBT, "R01", "2024-Q4", 200, " prog-tiznit-2025 ")],
               header)
    assert load_file(three_orgs, data, "programme.csv", framework=framework).status == "accepted"
    reach = _reach_2024(three_orgs, framework)
    # 650 added up; the programme's members count once, by the largest (300): 650 − 200.
    assert (reach.low, reach.high, reach.programmes) == (450.0, 650.0, 200.0)
    assert reach.deduplicated


def test_a_programme_and_a_pairwise_overlap_both_narrow_the_range_without_subtracting_a_pair_twice(
    three_orgs, framework
) -> None:
    from store import overlaps

    codes = overlaps.people_counts(framework)
    for org in (CAS, RBT):
        overlaps.declare(three_orgs, org, "R01", "2024-Q4", programme="PROG-TIZNIT-2025", people_count_codes=codes,
                         actor="cli:test", origin="cli")
    overlaps.declare(three_orgs, FES, "R01", "2024-Q4", partner=CAS, shared=50, people_count_codes=codes,
                     actor="cli:test", origin="cli")
    overlaps.declare(three_orgs, RBT, "R01", "2024-Q4", partner=CAS, shared=120, people_count_codes=codes,
                     actor="cli:test", origin="cli")  # within the programme: already counted once
    reach = _reach_2024(three_orgs, framework)
    assert (reach.low, reach.high) == (400.0, 650.0)  # 650 − 200 (programme) − 50 (FES with CAS)
    # Everyone in one programme: never below the largest organisation.
    overlaps.declare(three_orgs, FES, "R01", "2024-Q4", programme="prog-tiznit-2025", people_count_codes=codes,
                     actor="cli:test", origin="cli")
    assert _reach_2024(three_orgs, framework).low == 300.0


def test_the_region_map_range_subtracts_each_programmes_members_beyond_the_largest() -> None:
    frame = pl.DataFrame({"value": [650.0, 100.0], "largest": [300.0, 100.0], "shared": [50.0, 0.0],
                          "programmes": [200.0, 0.0]})
    assert with_low_bound(frame)["low"].to_list() == [400.0, 100.0]
    assert with_low_bound(frame.with_columns(programmes=pl.lit(900.0)))["low"].to_list() == [300.0, 100.0]


def test_a_programme_cell_that_is_not_a_code_is_refused_naming_line_and_column(three_orgs, framework) -> None:
    data = csv([(CAS, "R01", "2024-Q4", 300, "PROG TIZNIT"), (RBT, "R01", "2024-Q4", 200, "<b>?</b>")],
               "org_code,indicator_code,period,value,programme")
    result = load_file(three_orgs, data, "programme.csv", framework=framework)
    assert result.status == "rejected"
    report = render_report(result.issues, "fr").filter(pl.col("code") == "programme_invalid")
    assert report.select("line", "column", "value").rows() == [(3, "programme", "<b>?</b>")]
    assert three_orgs.scalar("SELECT count(*) FROM programme_members") == 0


def test_the_method_page_says_programme_members_count_once_and_why_the_bound_is_cautious() -> None:
    from dashboard.method_text import sections
    from framework.model import load_framework
    from i18n import t

    for lang in ("fr", "ar", "en"):
        body = next(s.body for s in sections(load_framework(), lang, "year")
                    if s.title == t("dashboard.counting.method_title", lang))
        assert t("overlap.method_programmes", lang) in body and "PROG-TIZNIT-2025" in body
