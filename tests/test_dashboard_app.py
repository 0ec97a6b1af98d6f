"""The dashboard in real AppTest sessions on the demo database: pages per role, figures, languages."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import polars as pl
import pytest

from dashboard.cells import MISSING
from dashboard.navigation import PAGES, pages_for
from dashboard.style import RTL_MARKER
from dashboard.testing import open_page, start, visible_text
from i18n import formatting as fmt
from i18n import t
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


def grids_write_missing_values_as_a_dash(at) -> None:
    """A data grid writes "None" in an empty cell unless told otherwise: every one is told."""
    for grid in at.dataframe:
        assert grid.proto.placeholder == MISSING, grid.proto.id
    for table in at.table:  # static tables (validation reports) are text already
        cells = {str(v) for v in table.value.to_numpy().ravel()}
        assert not cells & {"None", "nan", "NaN", "null"}, cells


def demo_generator():
    """data/demo/generate.py (what the demo plants: OUTLIERS…)."""
    path = Path(__file__).resolve().parent.parent / "data" / "demo" / "generate.py"
    spec = importlib.util.spec_from_file_location("demo_generate", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("demo_generate", module)
    spec.loader.exec_module(module)
    return module


def metric(at, label: str) -> str:
    found = [m for m in at.metric if m.label == label]
    assert found, f"no metric {label!r} in {[m.label for m in at.metric]}"
    return found[0].value


def test_navigation_only_offers_the_role_pages() -> None:
    assert "framework" in ROLE_PAGES["steering"] and "framework" not in ROLE_PAGES["member"]
    assert set(ROLE_PAGES["steering"]) | set(ROLE_PAGES["member"]) == {p.key for p in PAGES}
    assert ROLE_PAGES["member"][0] == "start" and "start" not in ROLE_PAGES["steering"]
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
    grids_write_missing_values_as_a_dash(at)


def test_member_cannot_reach_the_framework_page(app_db) -> None:
    at = start(app_db, identity=MEMBER)
    with pytest.raises(ValueError):
        open_page(at, "framework")


def test_overview_shows_the_network_figures(app_db, store, run_id) -> None:
    at = start(app_db)  # the overview is the default page
    largest, reached = store.query(
        "SELECT max(value), sum(value) FROM score_indicators WHERE run_id = ? AND period = '2025' "
        "AND indicator_code = 'R01'",
        [run_id],
    ).row(0)
    median = store.scalar(
        "SELECT median(score) FROM scores WHERE run_id = ? AND period = '2025' AND principle IS NULL",
        [run_id],
    )
    assert metric(at, t("dashboard.states.count.organisations_network", "fr")) == "40"
    # Distinct people: from the largest organisation to the plain sum, each bound said in words.
    assert metric(at, "Bénéficiaires atteints") == fmt.number_range(largest, reached, "fr")
    assert largest < reached
    assert f"{fmt.number(reached, 'fr')} est la somme des organisations" in visible_text(at)
    assert f"{fmt.number(largest, 'fr')} est le plus grand nombre déclaré par une seule organisation" in visible_text(at)
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
    assert metric(at, "Rang") == f"{row['nominal_rank']:.0f} sur {row['ranked_count']} notées"
    assert metric(at, t("dashboard.profile.rank_interval", "fr")) == f"entre {row['rank_p05']:.0f} et {row['rank_p95']:.0f}"
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


def test_compare_side_by_side_shows_gaps_as_a_dash(app_db) -> None:
    """Organisations side by side do not all report every indicator: the gaps are cells to fill."""
    at = open_page(start(app_db), "compare")
    side = next(d for d in at.dataframe if "unit_code" in d.value.columns and "unit" in d.value.columns)
    assert side.value.isna().any().any(), "the demo has indicators some of these organisations skip"
    grids_write_missing_values_as_a_dash(at)


def test_quality_flags_the_planted_outliers_with_their_context(app_db, store) -> None:
    """Values ten times an organisation's level (data/demo/generate.py OUTLIERS) are flagged as
    submitted (quarterly: twelve periods) with the organisation, its usual level and the period
    before — even though the yearly run, with three periods, cannot flag anything."""
    codes = store.query("SELECT code FROM organizations")["code"].to_list()
    planted = {
        (next(c for c in codes if c.endswith(f"-{n:03d}")), indicator, period)
        for n, indicator, period in demo_generator().OUTLIERS
    }
    series = store.query(
        """
        WITH s AS (SELECT org_code, indicator_code, period, period_start, value,
                          median(value) OVER w AS usual, lag(value) OVER (w ORDER BY period_start) AS before,
                          count(*) OVER w AS n
                   FROM observations_current
                   WHERE sex IS NULL AND age_band IS NULL AND disability IS NULL AND area IS NULL AND region IS NULL
                   WINDOW w AS (PARTITION BY org_code, indicator_code, granularity))
        SELECT * FROM s
        """
    )
    context = {(r["org_code"], r["indicator_code"], r["period"]): r for r in series.iter_rows(named=True)}
    still_there = {key for key in planted if context[key]["value"] > 5 * context[key]["usual"]}
    assert len(still_there) == 3  # the fourth was corrected by a later submission (a zero too many)
    at = open_page(start(app_db), "quality")
    flagged = next(d.value for d in at.dataframe if "usual_level" in d.value.columns)
    # planted on totals: the period column names the period alone
    keys = [(r["org_code"], r["indicator"].split(" · ")[0], r["period_cell"]) for r in flagged.to_dict("records")]
    rows = dict(zip(keys, flagged.to_dict("records"), strict=True))
    assert set(keys[:3]) == still_there  # flagged, and first: the largest deviations come first
    assert not (planted - still_there) & set(keys)  # the corrected value is not flagged
    for key in still_there:
        row, expected = rows[key], context[key]
        assert row["value"] == expected["value"] and row["usual_level"] == pytest.approx(expected["usual"])
        assert row["previous_value"] == expected["before"] and row["n_periods"] == expected["n"] >= 4
        assert row["name"] and row["robust_z"] > 3.5
    assert "Aucune valeur signalée" not in visible_text(at)


def test_member_sees_only_its_own_unusual_values(app_db) -> None:
    at = open_page(start(app_db, identity=MEMBER), "quality")
    flagged = next(d.value for d in at.dataframe if "usual_level" in d.value.columns)
    assert set(flagged["org_code"]) == {MEMBER}


def test_submission_logs_say_who_uploaded_in_words(app_db, store) -> None:
    at = open_page(start(app_db), "quality")
    log = next(d.value for d in at.dataframe if "file_name" in d.value.columns)
    name = store.scalar("SELECT name_fr FROM organizations WHERE code = 'ASS-GLM-012'")
    assert {"comité de pilotage", f"membre — {name}"} <= set(log["uploader"])
    text = visible_text(at)
    assert "member:" not in text and "steering:" not in text
    at = open_page(start(app_db, identity="ASS-GLM-012", lang="ar"), "profile")
    log = next(d.value for d in at.dataframe if "file_name" in d.value.columns)
    name_ar = store.scalar("SELECT name_ar FROM organizations WHERE code = 'ASS-GLM-012'")
    assert set(log["uploader"]) == {"لجنة القيادة", f"عضو — {name_ar}"}


def test_a_member_never_learns_who_else_uploaded_for_it(demo_db_fresh, monkeypatch) -> None:
    """An upload recorded as another organisation's is shown to the member without its name."""
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    store = open_store(demo_db_fresh)
    store.write(
        lambda con: con.execute(
            "UPDATE submissions SET uploaded_by = 'member:ENT-CAS-006', uploader_kind = 'member', "
            "uploader_org = 'ENT-CAS-006', uploader_account = NULL WHERE id = "
            "(SELECT max(id) FROM submissions WHERE org_code = ?)",
            [MEMBER],
        )
    )
    other = store.query("SELECT name_fr, name_ar, name_en FROM organizations WHERE code = 'ENT-CAS-006'").row(
        0
    )
    at = open_page(start(demo_db_fresh, identity=MEMBER), "profile")
    log = next(d.value for d in at.dataframe if "file_name" in d.value.columns)
    assert "organisation membre" in set(log["uploader"])
    text = visible_text(at)
    assert "ENT-CAS-006" not in text and not any(name in text for name in other)
    steering = next(
        d.value
        for d in open_page(start(demo_db_fresh), "quality").dataframe
        if "file_name" in d.value.columns
    )
    assert f"membre — {other[0]}" in set(steering["uploader"])


def test_method_is_generated_from_the_framework_in_use(app_db) -> None:
    at = open_page(start(app_db), "method")
    text = visible_text(at)
    assert "25\xa0%" in text  # the charter's coverage threshold (framework.toml: 0.25)
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
    assert "as" not in at.query_params  # the identity is the session's, never the URL's
    assert MEMBER.lower() in " ".join(c.value for c in at.sidebar.caption)
    assert at.title[0].value == "Profil d'organisation"


def test_the_url_cannot_choose_an_identity(app_db) -> None:
    """The old demo ``?as=`` parameter (or any other) does not sign anyone in."""
    import os

    from streamlit.testing.v1 import AppTest

    from dashboard.testing import ENTRY

    os.environ["ATHAR_DB"] = str(app_db)
    at = AppTest.from_file(str(ENTRY), default_timeout=30)
    at.query_params.update({"as": "steering", "role": "steering", "org": MEMBER})
    at.run()
    assert [t.value for t in at.title] == ["Connexion à Athar"]
    assert not at.dataframe and not at.metric


def test_numbers_follow_the_language(app_db) -> None:
    assert metric(start(app_db, lang="fr"), "Bénéficiaires atteints").count("\u202f") == 2  # both bounds
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
    text = visible_text(open_page(at, "overview"))
    assert "Les scores : aucun calcul de scores pour l'instant." in text  # why, then what to do
    assert t("dashboard.states.step.score", "fr") in text
