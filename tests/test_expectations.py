"""Completeness against what each organisation is expected to report, and its targets and baselines.

Real DuckDB files, the real command line in a child process, real Streamlit sessions (AppTest).
"""

from __future__ import annotations

import getpass
import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from conftest import REPO, reopen_demo_periods

from dashboard.testing import open_page, start
from framework.model import FrameworkError, framework_from_dict, load_framework
from i18n.bidi import strip_isolates
from ingest.pipeline import check_file, load_file
from metrics.expectations import expected_indicators
from metrics.progress import progress
from metrics.run import compute_run, score_store
from store import expectations as expectation_store
from store.db import Store
from store.reads import targets as target_reads
from store.registry import upsert_organizations
from store.scores import scoring_inputs
from store.viewer import LinkScope, Viewer

HEALTH = "ASS-SAN-001"  # a health association
SCHOOL = "ASS-EDU-002"  # an education association
STEERING = Viewer.steering("test")
#: What every member is expected to report, plus the health rule's H01 (data/framework/expectations.toml).
HEALTH_FILE = (
    "org_code,indicator_code,period,value\n"
    f"{HEALTH},R01,2024,320\n{HEALTH},R02,2024,55\n{HEALTH},S02,2024,900000\n{HEALTH},S04,2024,1\n"
    f"{HEALTH},S05,2024,4\n{HEALTH},P01,2024,40\n{HEALTH},P02,2024,80\n{HEALTH},H01,2024,300\n"
    f"{SCHOOL},R01,2024,90\n{SCHOOL},E01,2024,80\n{SCHOOL},E02,2024,12\n"
)
#: A demo health association (thematic areas rural | health) and a demo organisation of another member.
DEMO_HEALTH = "ASS-GLM-012"
DEMO_OTHER = "ASS-CAS-001"


def registry(store: Store) -> None:
    orgs = pl.DataFrame({
        "code": [HEALTH, SCHOOL], "name_fr": ["Association Santé", "Association École"], "name_ar": [None, None],
        "name_en": [None, None], "kind": ["association", "association"], "region": ["MA-06", "MA-06"],
        "thematic_areas": [["health"], ["education"]], "size_band": ["small", "small"],
    }, schema_overrides={"name_ar": pl.String, "name_en": pl.String})
    upsert_organizations(store, orgs, actor="cli:test")


@pytest.fixture
def network(store: Store, framework) -> Store:
    """Two members, one year of values each, scored."""
    registry(store)
    result = load_file(store, HEALTH_FILE.encode(), "values.csv", framework=framework, uploaded_by="cli:test")
    assert result.accepted, result.issues
    score_store(store, framework, actor="cli:test")
    return store


def composite(store: Store, org: str) -> dict:
    return store.query(
        "SELECT completeness, grade_completeness FROM scores WHERE principle IS NULL AND org_code = ? "
        "AND run_id = (SELECT max(id) FROM score_runs)", [org]).row(0, named=True)


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "store", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


# -- expectations ----------------------------------------------------------------------------------
def test_a_health_association_completeness_ignores_education_indicators(network: Store, framework) -> None:
    expected = set(network.column("SELECT indicator_code FROM score_expected WHERE org_code = ?", [HEALTH]))
    assert expected == {"R01", "R02", "S02", "S04", "S05", "P01", "P02", "H01"}
    assert composite(network, HEALTH) == {"completeness": 1.0, "grade_completeness": "A"}
    # Against the whole catalogue (before expectations) the same report was 8 of 33: grade D.
    whole = compute_run(scoring_inputs(network), framework).scores
    assert whole.filter((pl.col("org_code") == HEALTH) & pl.col("principle").is_null())["completeness"].item() < 0.25


def test_an_education_association_is_told_which_expected_indicators_it_left_out(network: Store) -> None:
    rows = target_reads.expected_reported(network, STEERING, 1, "2024", SCHOOL)
    missing = set(rows.filter(~pl.col("reported"))["indicator_code"].to_list())
    assert {"E03", "R06", "P02"} <= missing and "H01" not in missing and "E02" not in missing
    assert not target_reads.expected_reported(network, STEERING, 1, "2024", HEALTH)["reported"].is_in([False]).any()


def test_an_organisation_without_thematic_areas_is_expected_the_whole_catalogue(framework) -> None:
    orgs = pl.DataFrame({"org_code": ["X"], "kind": ["association"], "thematic_areas": [[]]},
                        schema_overrides={"thematic_areas": pl.List(pl.String)})
    assert expected_indicators(framework, orgs).height == len(framework.required_indicators)


def test_a_framework_without_expectations_keeps_its_hash_and_bad_rules_are_typed_problems(framework) -> None:
    data = framework.model_dump(mode="json")
    data.pop("expectations")
    without = framework_from_dict(data)
    assert without.content_hash == framework_from_dict({**data, "expectations": []}).content_hash
    assert without.content_hash != framework.content_hash
    with pytest.raises(FrameworkError) as error:
        framework_from_dict({**data, "expectations": [{"themes": ["sante"], "indicators": ["R01"]}]})
    assert [p.code for p in error.value.problems] == ["expectation_theme"]
    assert "« sante »" in error.value.texts("fr")[0]
    with pytest.raises(FrameworkError) as error:
        framework_from_dict({**data, "expectations": [{"kinds": ["company"], "indicators": ["ZZ9"]}]})
    assert [p.code for p in error.value.problems] == ["expectation_indicator"]
    assert "«ZZ9»" in strip_isolates(error.value.texts("ar")[0])


def test_an_override_from_the_command_line_changes_completeness_and_is_audited(network: Store, db_path: Path,
                                                                              framework) -> None:
    network.close()
    done = run_cli("expect", "set", HEALTH, "--add", "E02", "--db", db_path, "--lang", "en")
    assert done.returncode == 0, done.stderr
    refused = run_cli("expect", "set", "NOPE-000", "--add", "E02", "--db", db_path, "--lang", "fr")
    assert refused.returncode == 1 and "Organisation inconnue : NOPE-000." in refused.stderr
    store = Store(db_path)
    try:
        entries = store.query("SELECT actor, target, detail FROM audit_log WHERE action = 'expectation_changed'")
        assert entries.height == 1  # the refused change wrote neither an override nor an entry
        assert entries.row(0)[:2] == (f"cli:{getpass.getuser()}", f"org:{HEALTH}")
        assert json.loads(entries["detail"][0]) == {"added": ["E02"], "removed": [], "reset": [],
                                                    "source": "python -m store"}
        assert store.query("SELECT org_code FROM org_expectations")["org_code"].to_list() == [HEALTH]
        score_store(store, framework, actor="cli:test")
        assert composite(store, HEALTH)["completeness"] == pytest.approx(8 / 9)
    finally:
        store.close()


def test_an_override_that_fails_writes_no_audit_entry(network: Store) -> None:
    with pytest.raises(expectation_store.ExpectationError):
        expectation_store.set_expectations(network, "NOPE-000", add=["E02"], known_indicators={"E02"},
                                           actor="account:comite", source="dashboard")
    assert network.scalar("SELECT count(*) FROM audit_log WHERE action = 'expectation_changed'") == 0
    assert network.scalar("SELECT count(*) FROM org_expectations") == 0


# -- targets -----------------------------------------------------------------------------------------
def test_bad_target_values_are_refused_with_the_row_and_column(framework) -> None:
    data = ("org_code,indicator_code,period,value,Cible,Ligne de base\n"
            f"{HEALTH},R01,2024,120,200,80\n{HEALTH},P02,2024,80,beaucoup,70\n{HEALTH},R02,2024,55,150,40\n").encode()
    result, _ = check_file(data, "cibles.csv", framework=framework)
    issues = result.issues.select("line", "column", "code", "value", "expected").rows()
    assert issues == [(3, "Cible", "not_a_number", "beaucoup", None), (4, "Cible", "out_of_range", "150", "0 – 100")]
    report = result.report("fr")
    assert "« beaucoup » n'est pas un nombre" in " ".join(report["message"].to_list()).replace("“", "« ").replace("”", " »")


def test_a_target_that_is_not_a_number_is_refused_by_the_command_line_and_nothing_is_written(
        network: Store, db_path: Path) -> None:
    network.close()
    refused = run_cli("target", "set", HEALTH, "H01", "--baseline", "200", "--target", "mille", "--db", db_path,
                      "--lang", "fr")
    assert refused.returncode == 1 and refused.stderr.strip() == "La cible doit être un nombre, pas « mille »."
    done = run_cli("target", "set", HEALTH, "H01", "--baseline", "200,5", "--target", "1000", "--db", db_path,
                   "--lang", "en")
    assert done.returncode == 0 and "baseline 200.5, target 1,000" in done.stdout
    store = Store(db_path)
    try:
        assert store.query("SELECT baseline, target, origin FROM org_targets").rows() == [(200.5, 1000.0, "committee")]
        assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'target_set'") == 1
    finally:
        store.close()


def test_targets_from_a_file_column_are_stored_with_the_latest_period(network: Store, framework) -> None:
    data = ("org_code,indicator_code,period,value,objectif,valeur de référence\n"
            f"{HEALTH},H01,2024,300,\"1 000\",200\n").encode()
    assert load_file(network, data, "cibles.csv", framework=framework, uploaded_by="cli:test").accepted
    row = network.query("SELECT baseline, baseline_period, target, target_period, origin FROM org_targets").row(0)
    assert row == (200.0, "2024", 1000.0, "2024", "file")
    shown = progress(target_reads.targets_progress(network, STEERING, 1, "fr", HEALTH), {"H01": "up"})
    assert shown.select("value", "progress", "reached").row(0) == (300.0, pytest.approx(0.125), False)


def test_a_down_indicator_progresses_when_it_decreases() -> None:
    frame = pl.DataFrame({"indicator_code": ["E02", "E02", "R01"], "value": [15.0, 9.0, 150.0],
                          "baseline": [20.0, 20.0, 100.0], "target": [10.0, 10.0, 200.0]})
    done = progress(frame, {"E02": "down", "R01": "up"})
    assert done["progress"].to_list() == [0.5, 1.1, 0.5]
    assert done["reached"].to_list() == [False, True, False]


def test_a_funder_link_outside_the_organisation_sees_no_targets(network: Store) -> None:
    expectation_store.set_target(network, HEALTH, "H01", baseline=200, target=1000, known_indicators={"H01"},
                                 actor="cli:test", source="test")
    outside = Viewer.funder(LinkScope(frozenset({SCHOOL}), link_id=1))
    inside = Viewer.funder(LinkScope(frozenset({HEALTH}), link_id=2))
    assert target_reads.targets_progress(network, outside, 1, "fr").is_empty()
    assert target_reads.targets_progress(network, outside, 1, "fr", HEALTH).is_empty()
    assert target_reads.expected_reported(network, outside, 1, "2024", HEALTH).is_empty()
    assert target_reads.targets_progress(network, inside, 1, "fr")["org_code"].to_list() == [HEALTH]


# -- the pages -------------------------------------------------------------------------------------
@pytest.fixture
def demo(demo_db_fresh: Path) -> Path:
    return demo_db_fresh


def profile_of(db: Path, org: str, lang: str = "fr"):
    at = open_page(start(db, lang=lang), "profile")
    at.selectbox(key="org").set_value(org).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def missing_text(at) -> str:
    return " ".join(m.value for m in at.markdown if "Indicateurs attendus non déclarés" in m.value)


def progress_frame(at) -> pl.DataFrame:
    for frame in at.dataframe:
        value = frame.value
        data = value.data if hasattr(value, "data") else value
        if "progress" in data.columns:
            return pl.from_pandas(data.reset_index(drop=True))
    return pl.DataFrame()


def test_the_profile_never_names_an_indicator_the_organisation_is_not_expected_to_report(demo: Path) -> None:
    at = profile_of(demo, DEMO_HEALTH)
    said = " ".join([m.value for m in at.markdown] + [c.value for c in at.caption])
    assert "Taux d'abandon scolaire" not in said and "Élèves soutenus" not in said  # E02, E01: not its theme
    at.multiselect(key=f"expect_chosen_{DEMO_HEALTH}").select("E02")  # a form: sent with its button
    at.button[[b.label for b in at.button].index("Enregistrer les indicateurs attendus")].click().run()
    assert not at.exception
    store = Store(demo)
    try:
        entry = store.query("SELECT actor, target, detail FROM audit_log WHERE action = 'expectation_changed'").row(0)
        assert entry[:2] == ("account:comite", f"org:{DEMO_HEALTH}")
        # the same entry as the command line's, but for the actor and the door named in ``source``
        assert json.loads(entry[2]) == {"added": ["E02"], "removed": [], "reset": [], "source": "dashboard"}
        score_store(store, load_framework(), actor="cli:test")
    finally:
        store.close()
    assert "E02" in missing_text(profile_of(demo, DEMO_HEALTH))


def test_a_target_set_on_the_page_shows_as_progress_on_the_profile(demo: Path) -> None:
    at = profile_of(demo, DEMO_OTHER)
    at.selectbox(key=f"target_indicator_{DEMO_OTHER}").set_value("R01")
    at.number_input(key=f"target_baseline_{DEMO_OTHER}").set_value(0.0)
    at.number_input(key=f"target_value_{DEMO_OTHER}").set_value(1_000_000.0)
    at.button[[b.label for b in at.button].index("Enregistrer la cible")].click().run()
    assert not at.exception
    shown = progress_frame(profile_of(demo, DEMO_OTHER))
    assert shown.height == 1 and shown["target_text"].item() == "1\u202f000\u202f000"
    assert 0 < shown["progress"].item() < 1
    store = Store(demo)
    try:
        detail = store.query("SELECT detail FROM audit_log WHERE action = 'target_set'")["detail"].item()
        assert json.loads(detail)["target"] == 1_000_000.0
    finally:
        store.close()


def test_targets_from_a_file_show_as_progress_on_the_profile_and_the_sustainability_page(demo: Path, tmp_path) -> None:
    framework = load_framework()
    store = Store(demo)
    try:
        data = ("indicateur,organisation,période,valeur,cible,ligne de base\n"
                f"R01,{DEMO_OTHER},2025,1500,3000,1000\n").encode()
        reopen_demo_periods(store, [(DEMO_OTHER, "2025")])  # the demo approved (locked) its 2025
        assert load_file(store, data, "cibles.csv", framework=framework, uploaded_by="cli:test").accepted
        score_store(store, framework, actor="cli:test")
    finally:
        store.close()
    shown = progress_frame(profile_of(demo, DEMO_OTHER, "en"))
    assert shown.select("value_text", "baseline_text", "target_text").row(0) == ("1,500", "1,000", "3,000")
    assert shown["progress"].item() == pytest.approx(0.25)
    at = open_page(start(demo, lang="ar"), "sustainability")
    assert not at.exception
    assert "الأهداف الخاصة بكل منظمة: التقدم" in [s.value for s in at.subheader]
    assert progress_frame(at).height >= 1
    shutil.rmtree(tmp_path, ignore_errors=True)
