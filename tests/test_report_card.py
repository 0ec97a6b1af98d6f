"""The report card (PDF): the stored scores, Arabic that extracts as Arabic with its font embedded,
a funder link's scope and nothing else, escaped text, the committee's network report.

One demo database and one warm exporter for the whole module; the cards are made once and read
by several tests (``pdftotext``, ``pdffonts``).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from datetime import UTC, datetime

import polars as pl
import pytest
from report_helpers import ORG, PERIOD, needs_pdf_tools, normalised, pdf_fonts, pdf_text

from framework.model import framework_from_dict
from i18n import formatting as fmt
from i18n import t
from report import card_data, charts, make, network, render
from store import links
from store.db import open_store
from store.report_cards import CardRefused, find_card, link_viewer
from store.viewer import Viewer

pytestmark = needs_pdf_tools


@pytest.fixture(scope="module")
def store(demo_db_pristine, tmp_path_factory):
    path = tmp_path_factory.mktemp("card") / "demo.duckdb"
    shutil.copy(demo_db_pristine, path)
    charts.warm()
    return open_store(path)


@pytest.fixture(scope="module")
def committee() -> Viewer:
    return Viewer.steering("cli:test")


@pytest.fixture(scope="module")
def cards(store, committee, tmp_path_factory):
    """The French and Arabic cards of one organisation, as the committee sees them."""
    folder = tmp_path_factory.mktemp("cards")
    out = {}
    for lang in ("fr", "ar"):
        made = make.card(store, committee, ORG, PERIOD, lang, actor="cli:test")
        (folder / f"{lang}.pdf").write_bytes(made.pdf)
        out[lang] = (folder / f"{lang}.pdf", made)
    return out


@pytest.fixture(scope="module")
def funder_link(store):
    """A link for two organisations, one principle and one period."""
    orgs = store.column("SELECT code FROM organizations WHERE active ORDER BY code LIMIT 2")
    link_id, _ = links.create_link(
        store, label="Bailleur test", org_codes=orgs, principles=["P2"], periods=[PERIOD], created_by="test"
    )
    return link_id, orgs


def _stored_scores(store, org: str, period: str) -> pl.DataFrame:
    return store.query(
        "SELECT principle, score FROM scores WHERE run_id = (SELECT max(id) FROM score_runs) "
        "AND org_code = $org AND period = $period AND score IS NOT NULL",
        {"org": org, "period": period},
    )


def test_french_card_prints_the_stored_composite_and_principle_scores(store, cards) -> None:
    text = pdf_text(cards["fr"][0])
    stored = _stored_scores(store, ORG, PERIOD)
    assert stored.height >= 2
    for score in stored["score"]:
        assert fmt.score(score, "fr") in text
    assert t("card.title", "fr") in text and t("card.method_heading", "fr") in text


def test_arabic_card_extracts_as_arabic_text_with_an_embedded_arabic_font(store, cards) -> None:
    path, _ = cards["ar"]
    text = pdf_text(path)
    words = [t(f"card.{k}", "ar") for k in ("principles_heading", "quality_heading", "method_heading", "indicators_heading")]
    assert all(normalised(w) in text for w in words), [w for w in words if normalised(w) not in text]
    for score in _stored_scores(store, ORG, PERIOD)["score"]:
        assert fmt.score(score, "ar") in text
    arabic = [row for row in pdf_fonts(path) if "Arabic" in row[0]]
    assert arabic and all(row[-5] == "yes" for row in arabic), pdf_fonts(path)


def test_every_card_made_is_in_the_audit_log_with_its_sha256(store, committee, cards) -> None:
    import hashlib

    for lang, (path, made) in cards.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == made.sha256
        found = find_card(store, committee, made.sha256)
        assert [(e.action, e.detail["org"], e.detail["lang"], e.detail["link"]) for e in found] == [
            ("report_card_made", ORG, lang, None)
        ]
    assert find_card(store, Viewer.member(ORG), cards["fr"][1].sha256) == []  # the committee's register


def test_a_card_through_a_funder_link_shows_nothing_outside_the_link(store, funder_link, tmp_path) -> None:
    link_id, orgs = funder_link
    made = make.card(store, link_viewer(store, link_id), orgs[0], PERIOD, "fr", actor=f"link:{link_id}")
    path = tmp_path / "link.pdf"
    path.write_bytes(made.pdf)
    text = pdf_text(path)
    others = store.query("SELECT code, name_fr FROM organizations WHERE NOT list_contains($o, code)", {"o": orgs})
    assert not [c for c in others["code"] if c in text]
    assert not [n for n in others["name_fr"] if n and normalised(n) in text]
    fw = framework_from_dict(card_data.run_for(store, link_viewer(store, link_id))["framework"])
    outside = [p for p in fw.principles if p.code != "P2"]
    assert not [p.code for p in outside if f"{p.code} · " in text]
    assert not [p.name.get("fr") for p in outside if normalised(p.name.get("fr")) in text]
    assert "P2 · " in text
    # the generation time and the run's date are dates, not periods: left out before looking for one
    run = card_data.run_for(store, link_viewer(store, link_id))
    dated = re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", "", text).replace(fmt.date_text(run["created_at"], "fr"), "")
    periods = store.column("SELECT DISTINCT period FROM scores WHERE period <> $p", {"p": PERIOD})
    assert periods and not [p for p in periods if p in dated]
    assert t("card.view_link", "fr", link=link_id) in text
    assert find_card(store, Viewer.steering(), made.sha256)[0].detail["link"] == link_id


def test_a_card_through_an_iris_link_names_indicators_as_the_funder_does(store, tmp_path) -> None:
    link_id, _ = links.create_link(store, label="Bailleur IRIS+", org_codes=[ORG], created_by="test", vocabulary="iris")
    viewer = link_viewer(store, link_id)
    assert viewer.link.vocabulary == "iris"
    data = card_data.gather(store, viewer, ORG, PERIOD, "fr")
    made = make.card(store, viewer, ORG, PERIOD, "fr", actor=f"link:{link_id}")
    path = tmp_path / "iris.pdf"
    path.write_bytes(made.pdf)
    text = pdf_text(path)
    iris = {i.code: i.iris for i in data.framework.indicators}
    shown = data.indicators["indicator_code"].to_list()
    mapped = [c for c in shown if iris.get(c)]
    assert mapped and all(f"{iris[c]} · {c}" in text for c in mapped)
    if len(mapped) < len(shown):
        assert normalised(t("vocab.none_iris", "fr")) in text
    committee_path = tmp_path / "committee.pdf"
    committee_path.write_bytes(make.card(store, Viewer.steering("cli:test"), ORG, PERIOD, "fr", actor="cli:test").pdf)
    committee_text = pdf_text(committee_path)
    assert not [c for c in mapped if iris[c] in committee_text]  # Athar's own codes for the committee


def test_a_card_outside_the_funder_link_is_refused_not_empty(store, funder_link) -> None:
    link_id, orgs = funder_link
    outsider = store.column("SELECT code FROM organizations WHERE NOT list_contains($o, code) LIMIT 1", {"o": orgs})[0]
    viewer = link_viewer(store, link_id)
    with pytest.raises(CardRefused) as refused:
        make.card(store, viewer, outsider, PERIOD, "ar", actor="test")
    assert refused.value.code == "org_out_of_scope" and outsider in refused.value.message("ar")
    with pytest.raises(CardRefused) as other_period:
        card_data.gather(store, viewer, orgs[0], "2023", "fr")
    assert other_period.value.code == "period_out_of_scope"


def test_a_revoked_link_makes_no_card(store) -> None:
    link_id, _ = links.create_link(store, label="Révoqué", org_codes=[ORG], created_by="test")
    links.revoke_link(store, link_id, actor="test")
    with pytest.raises(CardRefused) as refused:
        link_viewer(store, link_id)
    assert refused.value.code == "link_revoked"
    assert "révoqué" in refused.value.message("fr")


def test_script_in_a_narrative_or_an_organisation_name_is_printed_as_text(store, committee, tmp_path) -> None:
    data = card_data.gather(store, committee, ORG, PERIOD, "fr")
    hostile = "<script>alert('x')</script>"
    narratives = pl.DataFrame(
        {"principle": ["P1"], "lang": ["fr"], "text": [f"Nous avons {hostile} progressé."],
         "evidence_url": ["javascript:alert(1)"], "provisional": [False]}
    )
    data = dataclasses.replace(data, narratives=narratives, org_name=f"Org {hostile}")
    html = render.card_html(data, datetime.now(UTC), with_charts=False)
    assert "<script>" not in html and "&lt;script&gt;" in html
    path = tmp_path / "escaped.pdf"
    path.write_bytes(render.to_pdf(html))
    text = pdf_text(path)
    assert f"Nous avons {hostile} progressé." in text and f"Org {hostile}" in text


def test_card_shows_a_target_with_its_progress(store, committee) -> None:
    from store.expectations import set_target

    row = store.query(
        "SELECT indicator_code, value FROM score_indicators WHERE run_id = (SELECT max(id) FROM score_runs) "
        "AND org_code = $o AND period = $p AND value > 0 ORDER BY indicator_code LIMIT 1",
        {"o": ORG, "p": PERIOD},
    ).row(0)
    set_target(store, ORG, row[0], baseline=0, target=row[1] * 2, baseline_period="2023", target_period="2026",
               known_indicators={row[0]}, actor="test", source="test")
    data = card_data.gather(store, committee, ORG, PERIOD, "fr")
    html = render.card_html(data, datetime.now(UTC), with_charts=False)
    assert t("card.targets_heading", "fr") in html
    assert data.targets.filter(pl.col("indicator_code") == row[0])["progress"].is_not_null().all()


def test_the_network_report_lists_the_period_s_organisations_for_the_committee_only(store, committee, tmp_path, funder_link) -> None:
    made = make.network_report(store, committee, PERIOD, "fr", actor="test")
    path = tmp_path / "network.pdf"
    path.write_bytes(made.pdf)
    text = pdf_text(path)
    codes = store.column("SELECT DISTINCT org_code FROM scores WHERE period = $p", {"p": PERIOD})
    assert codes and all(c in text for c in codes)
    assert find_card(store, committee, made.sha256)[0].action == "network_report_made"
    with pytest.raises(CardRefused):
        network.gather(store, link_viewer(store, funder_link[0]), PERIOD, "fr")


def test_report_charts_use_the_dashboard_palette() -> None:
    from dashboard import charts as dashboard_charts

    assert charts.PALETTE == dashboard_charts.PALETTE
