"""The dashboard in real AppTest sessions on the demo database: pages per role, figures, languages."""

from __future__ import annotations

import polars as pl
import pytest

from dashboard import fmt
from dashboard.navigation import PAGES, pages_for
from dashboard.style import RTL_MARKER
from dashboard.testing import open_page, start, visible_text
from store.db import open_store
from store.viewer import Viewer

MEMBER = "ASS-CAS-001"
ROLES = {"steering": "steering", "member": MEMBER}
ROLE_PAGES = {
    role: [p.key for p in pages_for(viewer)]
    for role, viewer in (("steering", Viewer.steering()), ("member", Viewer.member(MEMBER)))
}


@pytest.fixture(scope="module")
def store(demo_db):
    return open_store(demo_db)


@pytest.fixture(scope="module")
def run_id(store) -> int:
    return int(store.scalar("SELECT max(id) FROM score_runs"))


@pytest.fixture
def app_db(demo_db, monkeypatch):
    monkeypatch.setenv("ATHAR_DB", str(demo_db))
    return demo_db


def metric(at, label: str) -> str:
    found = [m for m in at.metric if m.label == label]
    assert found, f"no metric {label!r} in {[m.label for m in at.metric]}"
    return found[0].value


def test_navigation_only_offers_the_role_pages() -> None:
    assert "framework" in ROLE_PAGES["steering"] and "framework" not in ROLE_PAGES["member"]
    assert len(ROLE_PAGES["steering"]) == len(PAGES)
    funder = Viewer.funder(
        __import__("store.viewer", fromlist=["LinkScope"]).LinkScope(
            frozenset({MEMBER}), pages=frozenset({"overview", "upload", "framework"})
        )
    )
    assert [p.key for p in pages_for(funder)] == ["overview"]  # a link narrows, never widens


@pytest.mark.parametrize(("role", "page"), [(r, p) for r in ROLES for p in ROLE_PAGES[r]])
def test_every_page_renders_for_each_role(app_db, role: str, page: str) -> None:
    at = open_page(start(app_db, identity=ROLES[role]), page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title, "every page has a title"


def test_member_cannot_reach_the_framework_page(app_db) -> None:
    at = start(app_db, identity=MEMBER)
    with pytest.raises(ValueError):
        open_page(at, "framework")


def test_overview_shows_the_network_figures(app_db, store, run_id) -> None:
    at = start(app_db)  # the overview is the default page
    reached = store.scalar(
        "SELECT sum(value) FROM score_indicators WHERE run_id = ? AND period = '2025' AND indicator_code = 'R01'",
        [run_id],
    )
    median = store.scalar(
        "SELECT median(score) FROM scores WHERE run_id = ? AND period = '2025' AND principle IS NULL",
        [run_id],
    )
    assert metric(at, "Organisations membres") == "40"
    assert metric(at, "Bénéficiaires atteints") == fmt.number(reached, "fr")
    assert metric(at, "Indice composite médian") == fmt.score(median, "fr")
    status = store.query(
        "SELECT o.code, s.org_code IS NOT NULL AS reported, s.timeliness_days FROM organizations o "
        "LEFT JOIN scores s ON s.org_code = o.code AND s.run_id = ? AND s.period = '2025' AND s.principle IS NULL "
        "WHERE o.active",
        [run_id],
    )
    missing = status.filter(~pl.col("reported")).height
    late = status.filter(pl.col("timeliness_days") > 90).height
    assert metric(at, "Manquant") == str(missing)
    assert metric(at, "En retard") == str(late)
    assert metric(at, "À temps") == str(40 - missing - late)
    assert "© OpenStreetMap contributors" in visible_text(at)


def test_profile_shows_the_composite_and_its_rank_interval(app_db, store, run_id) -> None:
    at = open_page(start(app_db, identity=MEMBER), "profile")
    row = store.query(
        "SELECT score, nominal_rank, ranked_count, rank_p05, rank_p95 FROM scores "
        "WHERE run_id = ? AND org_code = ? AND period = '2025' AND principle IS NULL",
        [run_id, MEMBER],
    ).row(0, named=True)
    assert metric(at, "Indice composite") == fmt.score(row["score"], "fr")
    assert metric(at, "Rang") == f"{row['nominal_rank']:.0f} sur {row['ranked_count']}"
    assert metric(at, "Rang plausible (5–95 %)") == f"entre {row['rank_p05']:.0f} et {row['rank_p95']:.0f}"
    text = visible_text(at)
    assert "Comment le score a été obtenu" in text  # the method card
    assert "Historique des dépôts" in text


def test_compare_ranks_by_median_rank_with_intervals(app_db, store, run_id) -> None:
    at = open_page(start(app_db), "compare")
    expected = store.query(
        "SELECT org_code FROM scores WHERE run_id = ? AND period = '2025' AND principle IS NULL "
        "AND median_rank IS NOT NULL ORDER BY median_rank, nominal_rank, org_code",
        [run_id],
    )["org_code"].to_list()
    ranking = at.dataframe[0].value
    assert list(ranking["org_code"]) == expected
    assert {"rank_p05", "rank_p95"} <= set(ranking.columns)


def test_sustainability_counts_match_the_run(app_db, store, run_id) -> None:
    at = open_page(start(app_db), "sustainability")
    improving = store.scalar(
        "SELECT count(*) FROM score_trends WHERE run_id = ? AND indicator_code IS NULL AND principle IS NULL "
        "AND trend = 'improving'",
        [run_id],
    )
    counts = at.dataframe[0].value
    composite = counts[counts["label"] == "Indice composite"]
    assert int(composite["improving"].iloc[0]) == improving


def test_quality_lists_every_submission(app_db, store) -> None:
    at = open_page(start(app_db), "quality")
    logs = [d.value for d in at.dataframe if "file_name" in d.value.columns]
    assert logs and len(logs[0]) == store.scalar("SELECT count(*) FROM submissions")


def test_method_is_generated_from_the_framework_in_use(app_db) -> None:
    at = open_page(start(app_db), "method")
    text = visible_text(at)
    assert "25\u202f%" in text  # the charter's coverage threshold (framework.toml: 0.25)
    assert "Dignité et pouvoir d'agir" in text
    at_ar = open_page(start(app_db, lang="ar"), "method")
    assert "المنهجية" in at_ar.title[0].value


def test_language_from_the_url_and_rtl_for_arabic(app_db) -> None:
    fr = start(app_db)
    assert fr.title[0].value == "Vue d'ensemble du réseau"
    assert not any(RTL_MARKER in h.proto.body for h in fr.get("html"))
    ar = start(app_db, lang="ar")
    assert ar.title[0].value == "نظرة عامة على الشبكة"
    css = "".join(h.proto.body for h in ar.get("html"))
    assert RTL_MARKER in css and "direction: rtl" in css
    assert ar.query_params["lang"] == "ar"
    en = start(app_db, lang="en")
    assert en.title[0].value == "Network overview"


def test_language_selector_keeps_the_choice_in_the_url(app_db) -> None:
    at = start(app_db)
    at.sidebar.selectbox(key="lang_select").set_value("ar").run()
    assert at.query_params["lang"] == "ar"
    assert at.title[0].value == "نظرة عامة على الشبكة"
    at.query_params.clear()  # what a browser does when the menu changes page
    at = open_page(at, "profile")
    assert at.query_params["lang"] == "ar"
    assert at.title[0].value == "ملف المنظمة"


def test_identity_survives_a_page_change(app_db) -> None:
    at = start(app_db, identity=MEMBER)
    at.query_params.clear()
    at = open_page(at, "profile")
    assert at.query_params["as"] == MEMBER
    assert at.selectbox(key="demo_as").value == MEMBER


def test_numbers_follow_the_language(app_db) -> None:
    assert metric(start(app_db, lang="fr"), "Bénéficiaires atteints").count("\u202f") == 1
    assert "," in metric(start(app_db, lang="en"), "Beneficiaries reached")


def test_steering_sees_the_organisations_the_member_may_not(app_db) -> None:
    """The leak check below is only meaningful if the same reader finds names where they are shown."""
    text = visible_text(open_page(start(app_db), "compare"))
    assert "ENT-CAS-006" in text and "Sahel Logistique" in text


def test_member_never_sees_another_organisation(app_db, store) -> None:
    orgs = store.query("SELECT code, name_fr, name_ar, name_en FROM organizations WHERE code <> ?", [MEMBER])
    forbidden = [v for row in orgs.rows() for v in row if v]
    at = start(app_db, identity=MEMBER)
    texts = []
    for page in ROLE_PAGES["member"]:
        at = open_page(at, page)
        texts.append(visible_text(at))
        if page == "sustainability":
            at.radio(key="sust_scope").set_value("network").run()
            texts.append(visible_text(at))
        if page == "overview":
            at.radio(key="map_kind").set_value("indicator").run()
            texts.append(visible_text(at))
    text = "\n".join(texts)
    assert MEMBER in text
    leaked = [v for v in forbidden if v in text]
    assert not leaked, leaked[:5]


def test_an_empty_database_explains_what_to_do(tmp_path, monkeypatch) -> None:
    from store.db import Store

    Store(tmp_path / "empty.duckdb").close()
    monkeypatch.setenv("ATHAR_DB", str(tmp_path / "empty.duckdb"))
    at = start(tmp_path / "empty.duckdb")
    for page in ROLE_PAGES["steering"]:
        at = open_page(at, page)
        assert not at.exception, (page, [e.value for e in at.exception])
    assert "Aucun score n'a encore été calculé" in visible_text(open_page(at, "overview"))
