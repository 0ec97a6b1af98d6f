"""Generality check: configured as the HDI, Athar reproduces UNDP's published HDI 2021 for all 191 countries.

UNDP's components go in as an ordinary submission through the ingestion path (registry, file
validation, commit), are scored by the command line with the HDI framework of
``data/examples/hdi/``, and the composite / 100 must equal the published ``hdi_2021`` to three
decimals. Data: UNDP Human Development Report 2021-22, CC BY 3.0 IGO.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import math
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from framework.model import load_framework
from ingest.orgs import read_org_file
from ingest.pipeline import load_file
from metrics.cli import main
from store.db import open_store
from store.registry import upsert_organizations

REPO = Path(__file__).resolve().parent.parent
HDI_DIR = REPO / "data" / "examples" / "hdi"
HDR_CSV = REPO.parent / "shared" / "reference" / "hdr" / "HDR21-22_Composite_indices_complete_time_series.csv"


def _converter():
    spec = importlib.util.spec_from_file_location("hdi_convert", HDI_DIR / "convert.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def hdi_scores(tmp_path_factory) -> tuple[pl.DataFrame, pl.DataFrame]:
    if not HDR_CSV.is_file():
        pytest.skip(f"UNDP reference table not found at {HDR_CSV}")
    convert = _converter()
    hdr = convert.read_hdr(HDR_CSV)
    framework = load_framework(HDI_DIR)
    path = tmp_path_factory.mktemp("hdi") / "hdi.duckdb"
    store = open_store(path)
    try:
        registry = read_org_file(
            convert.countries(hdr).write_csv().encode("utf-8"), "countries.csv", framework
        )
        assert not registry.has_errors, registry.issues
        upsert_organizations(store, registry.rows, actor="cli:test")
        data = convert.submission(hdr, 2021).write_csv().encode("utf-8")
        loaded = load_file(store, data, "hdi_2021.csv", framework=framework, uploaded_at=datetime(2022, 9, 8))
        assert loaded.status == "accepted", loaded.issues
        assert loaded.rows == 772
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = main(["score", "--db", str(path), "--framework", str(HDI_DIR), "--json", "--draws", "0"])
        assert status == 0
        scores = pl.DataFrame(json.loads(out.getvalue())["scores"], infer_schema_length=None)
    finally:
        store.close()
    components = convert.submission(hdr, 2021).filter(pl.col("org_code") == "MAR")
    morocco = {r["indicator_code"]: float(r["value"]) for r in components.to_dicts()}
    return scores, convert.published_hdi(hdr, 2021), morocco


def test_hdi_2021_is_reproduced_to_three_decimals_for_all_191_countries(hdi_scores) -> None:
    scores, published, _ = hdi_scores
    assert published.height == 191
    composite = scores.filter(pl.col("principle").is_null()).select("org_code", ours=pl.col("score") / 100)
    compared = published.join(composite, on="org_code", how="left")
    wrong = compared.filter(pl.col("ours").is_null() | (pl.col("ours").round(3) != pl.col("hdi")))
    assert wrong.is_empty(), wrong


def test_countries_missing_a_component_get_no_index(hdi_scores) -> None:
    scores, published, _ = hdi_scores
    composite = scores.filter(pl.col("principle").is_null())
    without = composite.join(published, on="org_code", how="anti")
    assert sorted(without.get_column("org_code")) == ["MCO", "NRU", "PRK", "SOM"]
    assert without.get_column("score").is_null().all() and (without.get_column("coverage") < 1).all()


def test_dimension_indices_follow_undp_formulas(hdi_scores) -> None:
    scores, published, components = hdi_scores
    ours = {r["principle"]: r["score"] / 100 for r in scores.filter(pl.col("org_code") == "MAR").to_dicts()}
    # HDR technical notes: (actual − min) / (max − min); education = mean of the two; income on ln
    health = (components["le"] - 20) / 65
    education = (min(components["eys"], 18) / 18 + min(components["mys"], 15) / 15) / 2
    income = (math.log(components["gnipc"]) - math.log(100)) / (math.log(75_000) - math.log(100))
    assert ours["health"] == pytest.approx(health)
    assert ours["education"] == pytest.approx(education)
    assert ours["income"] == pytest.approx(income)
    assert ours[None] == pytest.approx((health * education * income) ** (1 / 3))
    assert (
        round(ours[None], 3)
        == published.filter(pl.col("org_code") == "MAR").get_column("hdi").item()
        == 0.683
    )
