"""The Indicator page through real sessions: committee, member and funder links (scope applied in
SQL, pinned runs too), and small-cell suppression that an attacker cannot undo by subtraction from
anything the page shows or exports."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from dashboard.testing import open_page, start, visible_text
from store import links
from store.db import open_store
from store.registry import framework_in_use

from .pages_harness import csv_rows, downloads, load_rows, score

#: On both backends: the same pages over a DuckDB file and over a PostgreSQL copy of the demo (``page_db``).
pytestmark = [pytest.mark.usefixtures("page_downloads"), pytest.mark.backends("duckdb", "postgres")]

MEMBER = "ASS-CAS-001"
PERIOD = "2024"
CELLS_TABLE_COLUMNS = ("period", "dimension_label", "category_label", "people", "note", "orgs")


def _age_rows(orgs: list[str]) -> list[dict]:
    """2024 beneficiaries by age band for eight organisations (65+: three people in all) and by
    disability for three of them (too few organisations)."""
    rows = []
    for i, org in enumerate(orgs):
        for band, value in (("0-14", 100 + 7 * i), ("15-24", 50 + i), ("25-64", 200), ("65+", 1 if i < 3 else 0)):
            rows.append({"org_code": org, "indicator_code": "R01", "period": PERIOD, "value": value,
                         "unit": "personnes", "age_band": band, "disability": ""})
        if i < 3:
            for flag, value in (("oui", 40), ("non", 300)):
                rows.append({"org_code": org, "indicator_code": "R01", "period": PERIOD, "value": value,
                             "unit": "personnes", "age_band": "", "disability": flag})
    return rows


@pytest.fixture(scope="module")
def setup(page_db: Path) -> dict:
    store = open_store(page_db)
    codes = store.query("SELECT code FROM organizations WHERE active ORDER BY code")["code"].to_list()
    orgs = [c for c in codes if c != MEMBER][:8]
    load_rows(store, framework_in_use(store), _age_rows(orgs), "ages_2024.csv", uploaded_by="steering:test")
    first_run = 1
    assert score(store) == 2
    link_orgs = [MEMBER, *orgs[:6]]  # six of the eight, and one with the demo's sex breakdown
    _, token = links.create_link(store, label="Bailleur — âges", org_codes=link_orgs, created_by="test", days=7)
    _, pinned = links.create_link(store, label="Bailleur — 1er calcul", org_codes=link_orgs,
                                  created_by="test", days=7, run_id=first_run)
    return {"db": page_db, "orgs": orgs, "link_orgs": link_orgs, "token": token, "pinned": pinned}


def _page(db: Path, lang: str = "fr", **who) -> object:
    at = open_page(start(db, lang=lang, **who), "indicator")
    assert not at.exception, [e.value for e in at.exception]
    return at


def _cells(at) -> pl.DataFrame:
    """The breakdown table the page shows (every breakdown, every period)."""
    frames = [pl.from_pandas(d.value) for d in at.dataframe if "category_label" in d.value.columns]
    assert len(frames) == 1
    return frames[0]


def _export(at) -> list[list[str]]:
    (csv,) = [d for d in downloads(at) if d.file_name == "athar_indicator_breakdowns.csv"]
    return csv_rows(csv.data)


def _number(text: str) -> float | None:
    cleaned = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
    return float(cleaned) if cleaned else None


def recover(rows: list[tuple[str, str, str, float | None]], total_label: str) -> dict[tuple, float]:
    """Every hidden cell an attacker gets by subtraction: per breakdown ``total = Σ cells``,
    solved again and again while one unknown is left (a found value can open another equation)."""
    groups: dict[tuple, dict[str, float | None]] = {}
    for period, dimension, category, people in rows:
        groups.setdefault((period, dimension), {})[category] = people
    found: dict[tuple, float] = {}
    progress = True
    while progress:
        progress = False
        for key, cells in groups.items():
            values = {c: found.get((*key, c), v) for c, v in cells.items()}
            unknown = [c for c, v in values.items() if v is None]
            if len(unknown) != 1 or total_label not in values:
                continue
            known = sum(v for c, v in values.items() if v is not None and c != total_label)
            (target,) = unknown
            found[(*key, target)] = known if target == total_label else values[total_label] - known
            progress = True
    return found


@pytest.mark.parametrize("who", [{"identity": MEMBER}, "link"])
def test_no_hidden_cell_can_be_recovered_from_the_page_or_its_export(setup, who) -> None:
    at = _page(setup["db"], link=setup["token"]) if who == "link" else _page(setup["db"], **who)
    shown = _cells(at)
    hidden = shown.filter(pl.col("note").is_not_null())
    assert hidden.height >= 4, "the data must hold small cells for this test to mean anything"
    assert hidden["people"].is_null().all()  # "< 5" or "masqué", never 0
    assert set(hidden["note"]) <= {"< 5", "masqué"}
    page_rows = [tuple(r) for r in shown.select("period", "dimension_label", "category_label", "people").rows()]
    assert recover(page_rows, "Total") == {}
    header, *body = _export(at)
    index = {name: header.index(name) for name in ("Période", "Ventilation", "Catégorie", "Personnes", "Note")}
    export_rows = [(r[index["Période"]], r[index["Ventilation"]], r[index["Catégorie"]],
                    _number(r[index["Personnes"]])) for r in body]
    hidden_in_export = [r for r in body if r[index["Note"]]]
    assert len(hidden_in_export) == hidden.height
    assert all(not r[index["Personnes"]] for r in hidden_in_export)
    assert recover(export_rows, "Total") == {}


def test_a_breakdown_below_five_people_hides_a_second_cell_for_a_member(setup) -> None:
    shown = _cells(_page(setup["db"], identity=MEMBER)).filter(
        (pl.col("period") == PERIOD) & (pl.col("dimension_label") == "tranche d'âge")
    )
    notes = dict(shown.select("category_label", "note").rows())
    assert notes["65 ans et plus"] == "< 5" and notes["15–24 ans"] == "masqué"
    assert notes["0–14 ans"] is None and notes["Total"] is None
    disability = _cells(_page(setup["db"], identity=MEMBER)).filter(pl.col("dimension_label") == "handicap")
    assert disability["people"].is_null().all()  # three organisations only


def test_the_committee_sees_every_cell(setup) -> None:
    shown = _cells(_page(setup["db"]))
    assert shown["note"].is_null().all() and shown["people"].is_not_null().all()
    ages = shown.filter((pl.col("period") == PERIOD) & (pl.col("dimension_label") == "tranche d'âge"))
    assert dict(ages.select("category_label", "people").rows())["65 ans et plus"] == 3


def test_an_organisation_outside_the_link_never_contributes(setup) -> None:
    store = open_store(setup["db"])
    outside = [o for o in setup["orgs"] if o not in setup["link_orgs"]]
    assert outside
    ages = _cells(_page(setup["db"], link=setup["token"])).filter(
        (pl.col("period") == PERIOD) & (pl.col("dimension_label") == "tranche d'âge")
    )
    expected = store.query(
        "SELECT count(DISTINCT org_code) AS n, sum(value) AS people FROM observations_current "
        "WHERE indicator_code = 'R01' AND period = ? AND age_band IS NOT NULL AND list_contains(?, org_code)",
        [PERIOD, setup["link_orgs"]],
    ).row(0, named=True)
    total = ages.filter(pl.col("category_label") == "Total").row(0, named=True)
    assert (total["orgs"], total["people"]) == (expected["n"], expected["people"])
    assert total["orgs"] == 6 < len(setup["orgs"])


def test_a_link_pinned_to_a_run_sees_only_the_values_that_run_scored(setup) -> None:
    pinned = _cells(_page(setup["db"], link=setup["pinned"]))
    assert "tranche d'âge" not in pinned["dimension_label"].to_list()  # loaded after run 1
    assert "sexe" in pinned["dimension_label"].to_list()


def test_the_page_renders_for_every_role_with_translated_labels_in_arabic(setup) -> None:
    for who in ({}, {"identity": MEMBER}, {"link": setup["token"]}):
        at = _page(setup["db"], lang="ar", **who)
        at = at.selectbox(key="ind_period").set_value(PERIOD).run()
        text = visible_text(at)
        assert "PI4060" in text and "1.2" in text  # R01's IRIS+ metric and SDG target
        assert "الفئة العمرية" in text and "65 سنة فأكثر" in text
        for raw in ("age_band", "65+", "sex=", "'F'", "disability"):
            assert raw not in "\n".join(
                str(d.value.get("category_label", "").tolist()) for d in at.dataframe if "category_label" in d.value
            ), raw
        charts = [e for e in at.get("plotly_chart")]
        assert charts, "the series and breakdown charts"
        spec = "".join(json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in charts)
        assert "65 سنة فأكثر" in spec and '"65+"' not in spec and "age_band" not in spec


def test_the_store_reads_themselves_hide_small_cells_from_members_and_links(setup) -> None:
    """Suppression is in the data layer: a read called directly (as an API or a PDF would) returns the
    same protected cells as the page, and every cell to the steering committee only."""
    from store.reads import indicator as indicator_reads
    from store.viewer import Viewer

    store = open_store(setup["db"])
    run = store.scalar("SELECT max(id) FROM score_runs")
    member = Viewer.member(MEMBER)
    for viewer in (member, links.check_token(store, setup["token"]).viewer()):
        cells = indicator_reads.breakdown_cells(store, viewer, run, "R01", "year", "last")
        assert cells["suppressed"].any(), viewer.role
        assert cells.filter(pl.col("suppressed"))["people"].is_null().all()
        rows = [(p, d, c if c is not None else "Total", v) for p, d, c, v in
                cells.select("period", "dimension", "category", "people").rows()]
        assert recover(rows, "Total") == {}
    everything = indicator_reads.breakdown_cells(store, Viewer.steering("comité"), run, "R01", "year", "last")
    assert not everything["suppressed"].any() and everything["people"].is_not_null().all()
