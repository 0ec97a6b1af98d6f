"""A scoring run on a small store filled through the real ingestion path; the command line and method card."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from run_tables import peer_scores, run_info, run_scores, run_sensitivity, run_trends

from framework.model import RobustnessSettings, load_framework
from i18n import LANGUAGES
from ingest.orgs import read_org_file
from ingest.pipeline import load_file
from metrics.cli import main
from metrics.method_card import build_card, render
from metrics.run import card_reads, score_store
from store.db import open_store
from store.registry import upsert_organizations
from store.scores import latest_run_id

ORGS = """code,name_fr,name_ar,name_en,kind,region,size_band,thematic_areas
ASS-CAS-101,Association Alpha,جمعية ألفا,Alpha Association,association,MA-06,small,education
ASS-RBT-102,Association Beta,جمعية بيتا,Beta Association,association,MA-04,medium,education
ASS-FES-103,Association Gamma,جمعية غاما,Gamma Association,association,MA-03,large,employment
FON-CAS-104,Fondation Delta,مؤسسة دلتا,Delta Foundation,foundation,MA-06,large,employment
COO-TRD-105,Coopérative Epsilon,تعاونية إبسيلون,Epsilon Cooperative,cooperative,MA-09,small,women
ASS-OUJ-106,Association Zeta,جمعية زيتا,Zeta Association,association,MA-02,small,education
"""
#: What each organisation reports (enough of every principle's weight to be scored), scaled by size.
REPORTED = (
    "R01",
    "R02",
    "R03",
    "R04",
    "R05",
    "R06",
    "R07",
    "E05",
    "J01",
    "J02",
    "J03",
    "J04",
    "P01",
    "P02",
    "P03",
    "P04",
    "S02",
    "S03",
    "S04",
    "S05",
    "C01",
    "C02",
    "C03",
)


def _submission(framework) -> bytes:
    rng = np.random.default_rng(11)
    lines = ["org_code,indicator_code,period,value,source"]
    whole = 0
    for n, org in enumerate(("ASS-CAS-101", "ASS-RBT-102", "ASS-FES-103", "FON-CAS-104", "COO-TRD-105")):
        scale = 1 + n
        for year in (2021, 2022, 2023, 2024):
            for code in REPORTED:
                unit = framework.unit_of(code)
                if unit.kind == "percent":
                    value = f"{min(95, 20 + 12 * scale + rng.uniform(0, 5) + year - 2021):.1f}"
                elif unit.kind == "boolean":
                    value = str(int(scale > 2))
                elif code == "S02":
                    value = str(200_000 * scale)
                else:
                    value = str(int(10 * scale**2 + rng.integers(0, 5) + 2 * (year - 2021)))
                    if framework.indicator_by_code[code].part_of == "R01":  # a part never exceeds R01
                        value = str(min(int(value), whole))
                    whole = int(value) if code == "R01" else whole
                source = "rapport.pdf" if code != "S03" else ""
                lines.append(f"{org},{code},{year},{value},{source}")
    lines.append("ASS-OUJ-106,R01,2024,15,")  # one lonely value: insufficient data everywhere
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """A store with six organisations, four years of values, and one recorded run."""
    path = tmp_path_factory.mktemp("metrics") / "athar.duckdb"
    framework = load_framework()
    store = open_store(path)
    parsed = read_org_file(ORGS.encode("utf-8"), "orgs.csv", framework)
    assert not parsed.has_errors, parsed.issues
    upsert_organizations(store, parsed.rows, actor="cli:test")
    result = load_file(
        store, _submission(framework), "values.csv", framework=framework, uploaded_at=datetime(2025, 2, 1)
    )
    assert result.status == "accepted", result.issues
    run_id, frames = score_store(
        store, framework, robustness_settings=RobustnessSettings(draws=200, seed=5), actor="cli:test"
    )
    yield store, path, run_id, frames, result.submission_id
    store.close()


def test_run_is_recorded_with_its_provenance(scored) -> None:
    store, _, run_id, _, submission_id = scored
    info = run_info(store, run_id)
    assert info["framework_hash"] == load_framework().content_hash and info["granularity"] == "year"
    assert info["submission_ids"] == [submission_id]
    assert (
        info["method"]["robustness"]["draws"] == 200
        and info["method"]["indicators"]["R01"]["transform"] == "log"
    )
    assert info["framework"]["meta"]["coverage_threshold"] == load_framework().meta.coverage_threshold == 0.25
    assert info["org_count"] == 6 and info["period_count"] == 4


def test_scores_coverage_quality_and_ranks_are_stored(scored) -> None:
    store, _, run_id, _, _ = scored
    scores = run_scores(store, run_id)
    assert scores.height == 5 * 4 * 6 + 6  # five orgs × four years × (5 principles + composite), Zeta's 2024
    lonely = scores.filter(pl.col("org_code") == "ASS-OUJ-106")
    assert (
        set(lonely.get_column("status")) == {"insufficient_data"}
        and lonely.get_column("score").is_null().all()
    )
    p3 = scores.filter(
        (pl.col("principle") == "P3") & (pl.col("period") == "2024") & pl.col("score").is_not_null()
    )
    assert p3.height == 5 and p3.get_column("score").n_unique() == 5  # differs between organisations
    composite = scores.filter(pl.col("principle").is_null() & pl.col("score").is_not_null())
    assert composite.get_column("grade").is_in(["A", "B", "C", "D"]).all()
    assert (composite.get_column("rank_p05") <= composite.get_column("rank_p95")).all()
    assert composite.filter(pl.col("period") == "2024").get_column("nominal_rank").sort().to_list() == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert set(run_sensitivity(store, run_id).get_column("choice")) == {
        "weights",
        "normalisation",
        "aggregation",
    }
    trends = run_trends(store, run_id, "FON-CAS-104")
    assert (
        trends.filter(pl.col("principle").is_null() & pl.col("indicator_code").is_null()).row(0, named=True)[
            "n_periods"
        ]
        == 4
    )


def test_peer_scores_feed_anonymised_distributions(scored) -> None:
    from peer_oracle import peer_comparison
    from run_tables import organisations

    store, _, run_id, _, _ = scored
    view = peer_comparison(peer_scores(store, run_id, "2024"), organisations(store), "ASS-CAS-101")
    assert view.get_column("group").to_list() == ["network"]  # the only group with five scored members


@pytest.mark.parametrize("lang", LANGUAGES)
def test_method_card_in_each_language(scored, lang: str) -> None:
    store, _, run_id, _, _ = scored
    card = build_card(card_reads(store, run_id, "FON-CAS-104", "2024", "P3", lang))
    text = render(card, lang)
    framework = load_framework()
    assert framework.principle_by_code["P3"].name.get(lang) in text
    for code in ("P01", "P02", "P03"):
        assert framework.indicator_by_code[code].name.get(lang) in text
    assert card.parts.filter(pl.col("indicator_code") == "P04").get_column("weight").item() == 0.5
    composite = render(build_card(card_reads(store, run_id, "FON-CAS-104", "2024", None, lang)), lang)
    assert all(framework.principle_by_code[p].name.get(lang) in composite for p in ("P1", "P5"))


@dataclass(frozen=True)
class _Reads:
    """Scoped reads as ``store.reads.method.card_reads`` returns them, made by hand."""

    run: dict
    scores: pl.DataFrame
    indicators: pl.DataFrame
    trends: pl.DataFrame
    org_code: str = "ASS-CAS-101"
    period: str = "2024"
    principle: str | None = "P1"
    org_name: str | None = None
    shown: frozenset[str] | None = None


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_method_card_writes_a_number_as_the_page_does_in_french_and_arabic(lang: str) -> None:
    """The card once wrote ``1 250.5`` in Arabic where the page around it wrote ``1.250,50``."""
    from dashboard.cells import display as _display
    from dashboard.context import PageContext

    framework = load_framework()
    code = next(i.code for i in framework.indicators if "P1" in i.weights and not i.derived)
    reads = _Reads(
        run={"id": 1, "created_at": datetime(2025, 3, 1, 9, 30), "framework_hash": framework.content_hash,
             "framework": framework.model_dump(mode="json"), "granularity": "year"},
        scores=pl.DataFrame({"principle": ["P1"], "score": [62.25], "coverage": [0.875]}),
        indicators=pl.DataFrame({"indicator_code": [code], "value": [1250.5], "n_values": [1],
                                 "normalised": [0.625], "robust_z": [None], "flagged": [False]}),
        trends=pl.DataFrame(schema={"org_code": pl.String, "principle": pl.String, "indicator_code": pl.String}),
    )
    text = render(build_card(reads), lang)
    page = PageContext(store=None, viewer=None, lang=lang, version=(), run=None)
    for value, kind in ((1250.5, "num2"), (62.25, "score"), (0.875, "pct")):
        assert _display(value, kind, page) in text, (value, kind, text)
    assert {"fr": "1\u202f250,50", "ar": "1.250,50"}[lang] in text


def test_cli_score_json_and_explain(scored, capsys) -> None:
    store, path, run_id, _, _ = scored
    assert main(["score", "--db", str(path), "--json", "--draws", "20"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["run_id"] == run_id + 1 == latest_run_id(store)
    first = payload["scores"][0]
    assert set(first) == {"org_code", "period", "principle", "score", "coverage"}
    assert any(row["principle"] is None for row in payload["scores"])
    assert main(["score", "--db", str(path), "--granularity", "quarter", "--draws", "0", "--lang", "en"]) == 1
    assert "Nothing to score" in capsys.readouterr().err  # only annual values: nothing fits in a quarter
    assert (
        main(["explain", "--db", str(path), "--org", "ASS-RBT-102", "--period", "2023", "--lang", "en"]) == 0
    )
    out = capsys.readouterr().out
    assert "Composite index" in out and "Principle P5" in out


def test_cli_usage_and_failures(scored, tmp_path: Path, capsys) -> None:
    _, path, _, _, _ = scored
    assert main(["score", "--db", str(tmp_path / "missing.duckdb")]) == 2
    assert main(["explain", "--db", str(path), "--org", "NOPE", "--period", "2024"]) == 1
    assert (
        main(["explain", "--db", str(path), "--org", "ASS-CAS-101", "--period", "2024", "--principle", "P9"])
        == 2
    )
    with pytest.raises(SystemExit) as caught:
        main(["score", "--db", str(path), "--granularity", "month"])
    assert caught.value.code == 2
    bad = tmp_path / "fw"
    bad.mkdir()
    assert main(["score", "--db", str(path), "--framework", str(bad)]) == 2
    capsys.readouterr()
