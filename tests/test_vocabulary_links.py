"""Funder vocabulary (issue 14): a link names indicators by IRIS+ metric IDs or SDG targets beside
Athar's codes, on its pages and in its exports; an SDG contribution panel per link, pinned to its
run; the committee edits the framework's IRIS+/SDG mappings as a new, audited framework version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from conftest import pg_module_copy
from security.pages_harness import capturing_downloads, csv_rows, downloads, find_widget, load_rows, score

from dashboard.testing import open_page, start
from dashboard.vocabulary_labels import indicator_label
from framework import mappings
from framework.model import FrameworkError, framework_from_dict
from metrics import sdg as sdg_metrics
from metrics.reach import reach_range
from store import audit, links
from store.db import open_store
from store.links import LinkError
from store.reads import overview as overview_reads
from store.reads import sdg as sdg_reads
from store.registry import framework_in_use
from store.viewer import LinkScope, Viewer

ORGS = ["ASS-CAS-001", "FON-RBT-003"]
OTHER = "ASS-JDI-030"

#: On both backends: links, pages, SDG reads and the mapping editor over a DuckDB file and a PostgreSQL copy of
#: the demo (``demo_copy``, or one per module); the framework's own checks, which open no database, run once.
pytestmark = pytest.mark.backends("duckdb", "postgres")


@pytest.fixture(scope="module")
def vocab_db(backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path | str:
    folder = tmp_path_factory.mktemp(f"vocab-{backend}")
    if backend == "postgres":
        return pg_module_copy(request, folder)
    path = folder / "athar.duckdb"
    shutil.copy(request.getfixturevalue("demo_db_pristine"), path)
    return path


@pytest.fixture(scope="module")
def tokens(vocab_db: Path) -> dict[str, str]:
    store = open_store(vocab_db)
    made = {
        name: links.create_link(
            store, label=f"Bailleur {name}", org_codes=ORGS, created_by="cli:test", days=7, vocabulary=vocab
        )
        for name, vocab in (("athar", "athar"), ("iris", "iris"), ("sdg", "sdg"))
    }
    return {name: token for name, (_, token) in made.items()}


@pytest.fixture(autouse=True, scope="module")
def _downloads():
    with capturing_downloads():
        yield


# -- the link property ---------------------------------------------------------------------------
def test_a_link_keeps_its_vocabulary_through_check_and_rotation_and_the_audit_says_it(vocab_db, tokens) -> None:
    store = open_store(vocab_db)
    checked = links.check_token(store, tokens["iris"])
    assert checked.ok and checked.scope.vocabulary == "iris"
    assert links.check_token(store, tokens["athar"]).scope.vocabulary == "athar"
    created = audit.entries(store, Viewer.steering(), actions=["link_created"])
    assert "iris" in {json.loads(d)["vocabulary"] for d in created["detail"].to_list()}
    link_id, _ = links.create_link(store, label="rotated", org_codes=ORGS, created_by="cli:test", days=7,
                                   vocabulary="sdg")
    new_id, new_token = links.rotate_link(store, link_id, actor="cli:test")
    assert links.check_token(store, new_token).scope.vocabulary == "sdg"
    listed = links.list_links(store, Viewer.steering())
    assert listed.filter(pl.col("id") == new_id)["vocabulary"].item() == "sdg"


def test_an_unknown_vocabulary_is_refused_and_nothing_is_written(vocab_db) -> None:
    store = open_store(vocab_db)
    before = store.scalar("SELECT count(*) FROM share_links")
    with pytest.raises(LinkError) as refused:
        links.create_link(store, label="x", org_codes=ORGS, created_by="cli:test", days=7, vocabulary="gri")
    assert refused.value.code == "vocab_unknown"
    texts = {lang: refused.value.message(lang) for lang in ("fr", "ar", "en")}
    assert "gri" in texts["fr"] and "Vocabulaire inconnu" in texts["fr"] and "مفردات" in texts["ar"]
    assert store.scalar("SELECT count(*) FROM share_links") == before


# -- the one labelling function -------------------------------------------------------------------
def test_labels_put_the_funders_identifier_beside_athars_code_in_each_language() -> None:
    name, sdg = "Bénéficiaires directs", ("1.2", "10.2")
    assert indicator_label("R01", name, "PI4060", sdg, "athar", "fr") == "R01 · Bénéficiaires directs"
    assert indicator_label("R01", name, "PI4060", sdg, "iris", "fr") == "PI4060 · R01 — Bénéficiaires directs"
    assert indicator_label("R01", name, "PI4060", sdg, "sdg", "fr") == "ODD 1.2, 10.2 · R01 — Bénéficiaires directs"
    assert indicator_label("R01", "Unique direct beneficiaries", "PI4060", sdg, "sdg", "en").startswith("SDG 1.2, 10.2 · R01")
    assert indicator_label("R01", "المستفيدون", "PI4060", ("1.2",), "sdg", "ar").startswith("هدف التنمية المستدامة")
    assert indicator_label("R02", "Part de femmes", None, (), "iris", "fr") == "R02 — Part de femmes (pas d'équivalent IRIS+)"


# -- funder sessions ------------------------------------------------------------------------------
def _indicator_names(at) -> list[str]:
    return [name for frame in at.dataframe if "name" in frame.value.columns for name in frame.value["name"]]


def _indicator_export(at) -> list[list[str]]:
    files = [d for d in downloads(at) if d.file_name.endswith("_indicators.csv")]
    assert files, [d.file_name for d in downloads(at)]
    return csv_rows(files[0].data)


def test_the_vocabulary_switch_changes_a_funders_labels_and_export_columns(vocab_db, tokens) -> None:
    athar = open_page(start(vocab_db, link=tokens["athar"]), "profile")
    iris = open_page(start(vocab_db, link=tokens["iris"]), "profile")
    assert not athar.exception and not iris.exception
    plain, named = _indicator_names(athar), _indicator_names(iris)
    assert any(n.startswith("R01 · ") for n in plain) and not any("PI4060" in n for n in plain)
    assert any(n.startswith("PI4060 · R01 — ") for n in named), named[:8]
    assert any(n.startswith("R02 — ") and "pas d'équivalent IRIS+" in n for n in named)
    header, *rows = _indicator_export(iris)
    assert header[-1] == "iris_metric"
    assert any(row[-1] == "PI4060" for row in rows)
    assert "iris_metric" not in _indicator_export(athar)[0]


def test_an_sdg_link_in_english_names_targets_and_exports_them(vocab_db, tokens) -> None:
    at = open_page(start(vocab_db, link=tokens["sdg"], lang="en"), "profile")
    assert not at.exception
    assert any(n.startswith("SDG 1.2, 10.2 · R01 — ") for n in _indicator_names(at))
    header, *rows = _indicator_export(at)
    assert header[-1] == "sdg_targets" and any(row[-1] == "1.2, 10.2" for row in rows)


def test_the_indicator_picker_speaks_the_links_vocabulary(vocab_db, tokens) -> None:
    at = open_page(start(vocab_db, link=tokens["iris"]), "indicator")
    assert not at.exception
    assert any(o.startswith("PI4060 · R01 — ") for o in at.selectbox(key="ind_code").options)


def test_the_committee_picks_a_vocabulary_for_its_own_exports(vocab_db) -> None:
    at = open_page(start(vocab_db), "profile")
    choice = find_widget(at, "selectbox", "profile_indicators_csv_vocab") or next(
        w for w in at.selectbox if (w.key or "").endswith("_vocab")
    )
    assert "iris_metric" not in _indicator_export(at)[0]
    choice.set_value("sdg").run()
    assert not at.exception
    header, *rows = _indicator_export(at)
    assert header[-1] == "sdg_targets" and any(row[-1] == "1.2, 10.2" for row in rows)


# -- the SDG contribution panel -------------------------------------------------------------------
def test_the_sdg_panel_shows_on_an_sdg_links_overview_only(vocab_db, tokens) -> None:
    sdg = start(vocab_db, link=tokens["sdg"])
    assert not sdg.exception
    assert any(h.value.startswith("Contribution aux ODD") for h in sdg.subheader)
    assert any("ODD 1" in str(f.value.to_csv()) for f in sdg.dataframe)
    iris = start(vocab_db, link=tokens["iris"])
    assert not any(h.value.startswith("Contribution aux ODD") for h in iris.subheader)


def test_the_sdg_panel_counts_only_the_links_organisations_in_its_pinned_run(demo_copy) -> None:
    store = open_store(demo_copy)
    framework = framework_in_use(store)
    scope = LinkScope(frozenset(ORGS), principles=frozenset({"P2"}), periods=frozenset({"2025"}), run_id=1)
    pinned = Viewer.funder(scope)
    before = sdg_reads.target_reporting(store, pinned, 1, "2025")
    totals_before = sdg_reads.indicator_totals(store, pinned, 1, "2025")
    assert set(before["orgs"]) == {2}  # two organisations at most, whatever the network has
    load_rows(store, framework, [{"org_code": OTHER, "indicator_code": "R01", "period": "2025", "value": "987654",
                                  "unit": "personnes"}], "jdi.csv", member_org=OTHER, uploaded_by=f"member:{OTHER}")
    load_rows(store, framework, [{"org_code": ORGS[0], "indicator_code": "R01", "period": "2025", "value": "876543",
                                  "unit": "personnes"}], "cas.csv", member_org=ORGS[0], uploaded_by=f"member:{ORGS[0]}")
    assert score(store) == 2
    # pinned to run 1: the later run's values (the link's own organisation's too) never show
    assert before.equals(sdg_reads.target_reporting(store, pinned, 2, "2025"))
    assert totals_before.equals(sdg_reads.indicator_totals(store, pinned, 2, "2025"))
    unpinned = Viewer.funder(LinkScope(frozenset(ORGS), principles=frozenset({"P2"})))
    latest = sdg_reads.indicator_totals(store, unpinned, 2, "2025").filter(pl.col("indicator_code") == "R01")
    assert latest["largest"].item() == 876543  # the link's organisation, never the outside one's 987654
    assert latest["orgs"].item() == 2


def test_people_counts_are_a_reach_range_never_a_sum_across_indicators(demo_copy, framework) -> None:
    store = open_store(demo_copy)
    steering = Viewer.steering()
    totals = sdg_reads.indicator_totals(store, steering, 1, "2025")
    figures = sdg_metrics.indicator_figures(totals, framework)
    r01 = figures.filter(pl.col("indicator_code") == "R01").row(0, named=True)
    parts = overview_reads.reach_parts(store, steering, 1, "2025", "R01")
    expected = reach_range(totals.filter(pl.col("indicator_code") == "R01")["value"].item(),
                           parts["beneficiaries_largest"], parts["beneficiaries_shared"],
                           programmes=parts["beneficiaries_programmes"])
    assert r01["figure"] == "reach" and (r01["low"], r01["high"]) == (expected.low, expected.high)
    pairs = mappings.sdg_pairs(framework)
    rows = sdg_metrics.contributions(figures, pairs, sdg_reads.target_reporting(store, steering, 1, "2025"))
    target_10_2 = rows.filter(pl.col("target") == "10.2")
    # R01 and R03 (a part of R01) both serve 10.2: each keeps its own figure, one row each
    assert {"R01", "R03"} <= set(target_10_2["indicator_code"])
    assert target_10_2.filter(pl.col("indicator_code") == "R01")["high"].item() == r01["high"]


# -- the committee's mapping editor ----------------------------------------------------------------
def test_bad_iris_ids_and_sdg_targets_are_refused_with_typed_messages(framework) -> None:
    table = mappings.mapping_table(framework)
    table.loc[table["code"] == "R01", "iris"] = "PX12"
    table.loc[table["code"] == "R02", "sdg"] = "18.1, 4.aa"
    with pytest.raises(FrameworkError) as refused:
        framework_from_dict(mappings.apply_mappings(framework, table))
    codes = sorted(p.code for p in refused.value.problems)
    assert codes == ["vocab_iris_malformed", "vocab_sdg_malformed", "vocab_sdg_malformed"]
    fr, ar, en = (" ".join(refused.value.texts(lang)) for lang in ("fr", "ar", "en"))
    assert "PX12" in fr and "identifiant IRIS+" in fr and "18.1" in en and "SDG target" in en and "المؤشر" in ar


def test_unchanged_mappings_keep_the_hash_and_good_ones_make_a_new_version(framework) -> None:
    table = mappings.mapping_table(framework)
    same = framework_from_dict(mappings.apply_mappings(framework, table))
    assert same.content_hash == framework.content_hash
    table.loc[table["code"] == "R02", "iris"] = " pi1234 "
    table.loc[table["code"] == "R02", "sdg"] = "5.5; 10.2 4.a,3"  # a goal alone serves it as a whole
    new = framework_from_dict(mappings.apply_mappings(framework, table))
    assert new.indicator_by_code["R02"].iris == "PI1234"
    assert new.indicator_by_code["R02"].sdg == ("5.5", "10.2", "4.a", "3")
    assert new.content_hash != framework.content_hash
    assert set(mappings.mapping_differences(framework, new)["field"]) == {"iris", "sdg"}


def _edit_mappings(at, row: int, **cells: str):
    """What typing into the mapping table's cells sends (the data editor's edited rows)."""
    at.session_state["vocab_edit_table"] = {"edited_rows": {row: cells}, "added_rows": [], "deleted_rows": []}
    return at.button(key="vocab_validate").click().run()


def test_the_framework_page_refuses_bad_mappings_then_adopts_good_ones_as_an_audited_version(
    demo_copy, framework
) -> None:
    store = open_store(demo_copy)
    versions = store.scalar("SELECT count(*) FROM framework_versions")
    at = open_page(start(demo_copy, lang="en"), "framework")
    assert not at.exception and any(s.value == "IRIS+ and SDG mappings" for s in at.subheader)
    r02 = [i.code for i in framework.indicators].index("R02")
    _edit_mappings(at, r02, iris="PX12", sdg="18.1")
    assert [e.value for e in at.error] == ["These mappings are not valid; nothing was saved:"]
    problems = " ".join(m.value for m in at.markdown)
    assert "PX12" in problems and "is not an IRIS+ metric ID" in problems and "is not an SDG target" in problems
    assert not any(b.key == "vocab_adopt" for b in at.button)
    _edit_mappings(at, r02, iris="pi1234", sdg="5.5, 4.a")
    assert any("2 mappings change" in m.value for m in at.markdown)
    at.button(key="vocab_adopt").click().run()
    assert not at.exception
    in_use = framework_in_use(store)
    assert in_use.indicator_by_code["R02"].iris == "PI1234" and in_use.indicator_by_code["R02"].sdg == ("5.5", "4.a")
    assert store.scalar("SELECT count(*) FROM framework_versions") == versions + 1
    change = audit.entries(store, Viewer.steering(), actions=["framework_change"]).row(0, named=True)
    assert change["actor"] == "account:comite" and in_use.content_hash in change["detail"]


def test_the_links_page_creates_a_link_in_a_vocabulary_and_lists_it(vocab_db) -> None:
    from i18n import t

    at = open_page(start(vocab_db), "links")
    at.text_input(key="link_label").input("Fondation ODD")
    at.multiselect(key="link_orgs").set_value([ORGS[0]])
    at.selectbox(key="link_vocabulary").set_value("sdg")
    at.button(key="FormSubmitter:link_create-" + t("dashboard.links.create", "fr")).click().run()
    assert not at.exception
    summary = " ".join(m.value for m in at.markdown) + " ".join(str(f.value) for f in at.dataframe)
    assert t("dashboard.vocab.name_sdg", "fr") in summary  # the summary names the vocabulary before creating
    at.button(key="linksafe_confirm_create").click().run()
    assert not at.exception
    token = at.code[0].value.split("link=")[1].split("&")[0]
    assert links.check_token(open_store(vocab_db), token).scope.vocabulary == "sdg"
    table = next(f.value for f in at.dataframe if "vocabulary_label" in f.value.columns)
    assert t("dashboard.vocab.name_sdg", "fr") in set(table["vocabulary_label"])


@pytest.mark.parametrize(("lang", "title", "goal"), [("ar", "المساهمة في أهداف التنمية المستدامة", "هدف التنمية المستدامة"),
                                                     ("en", "SDG contribution", "SDG 1")])
def test_the_sdg_panel_reads_in_arabic_and_english(vocab_db, tokens, lang, title, goal) -> None:
    at = start(vocab_db, link=tokens["sdg"], lang=lang)
    assert not at.exception
    assert any(h.value.startswith(title) for h in at.subheader)
    assert any(goal in f.value.to_csv() for f in at.dataframe)
