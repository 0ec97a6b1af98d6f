"""What-if weights (issue 14): a simulation of the composite and its rank under other principle
weights, from the stored principle scores — equal to the stored composite with the framework's
weights, moving as expected when weights move, within the viewer's scope, never written."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from dashboard.testing import open_page, start, visible_text
from framework.model import framework_from_dict, load_framework
from metrics import whatif
from store import links
from store.db import Store, open_store
from store.reads import whatif as whatif_reads
from store.viewer import Viewer

MEMBER = "ASS-CAS-001"


def _run(store: Store) -> tuple[int, object, list[str]]:
    run_id = store.scalar("SELECT max(id) FROM score_runs")
    framework = framework_from_dict(json.loads(store.scalar("SELECT framework FROM score_runs WHERE id = ?", [run_id])))
    periods = store.column("SELECT DISTINCT period FROM scores WHERE run_id = ? ORDER BY period", [run_id])
    return run_id, framework, periods


@pytest.fixture(scope="module")
def demo(demo_db: Path):
    return open_store(demo_db)


def test_simulated_composite_with_the_frameworks_weights_equals_the_stored_composite_for_every_org(demo) -> None:
    run_id, framework, periods = _run(demo)
    steering = Viewer.steering()
    for period in periods:
        scores = whatif_reads.principle_scores(demo, steering, run_id, period)
        simulated = whatif.simulate(scores, framework, whatif.framework_weights(framework), key=period)
        stored = whatif_reads.published_composite(demo, steering, run_id, period)
        both = simulated.join(stored, on="unit", how="full", coalesce=True)
        assert both.height == stored.height == simulated.height > 30
        assert both.filter(pl.col("composite").is_null() != pl.col("score").is_null()).is_empty()
        gap = both.select((pl.col("composite") - pl.col("score")).abs().max()).item()
        assert gap < 1e-9, period
        assert both.filter(pl.col("rank") != pl.col("nominal_rank")).is_empty(), period
        assert both.filter(pl.col("ranked_count") != pl.col("ranked_count_right")).is_empty()


def _tiny(scores: dict[str, list[float | None]]) -> pl.DataFrame:
    """A hand-built network: unit → the five principle scores (coverage 1 where scored)."""
    rows = [
        {"unit": unit, "principle": f"P{k + 1}", "score": s, "coverage": 1.0 if s is not None else 0.0}
        for unit, values in scores.items()
        for k, s in enumerate(values)
    ]
    return pl.DataFrame(rows, schema={"unit": pl.String, "principle": pl.String, "score": pl.Float64,
                                      "coverage": pl.Float64})


def test_moving_the_weights_moves_the_composite_and_the_ranks_as_the_weighted_mean_says() -> None:
    framework = load_framework()  # geometric composite, equal weights P1…P5
    network = _tiny({"A": [90, 40, 40, 40, 40], "B": [40, 90, 40, 40, 40], "C": [60, 60, 60, 60, 60]})
    equal = whatif.simulate(network, framework).sort("unit")
    assert equal["rank"].to_list() == [2.0, 2.0, 1.0]  # A and B tie, C's balance wins under a geometric mean
    expected = float(np.exp((np.log(0.9) + 4 * np.log(0.4)) / 5)) * 100
    assert equal["composite"][0] == pytest.approx(expected)
    on_p1 = whatif.simulate(network, framework, {"P1": 1.0}).sort("unit")
    assert on_p1["composite"].to_list() == pytest.approx([90.0, 40.0, 60.0])
    assert on_p1["rank"].to_list() == [1.0, 3.0, 2.0]
    tilted = whatif.simulate(network, framework, {"P1": 1, "P2": 6, "P3": 1, "P4": 1, "P5": 1}).sort("unit")
    assert tilted["rank"].to_list() == [3.0, 1.0, 2.0]
    scaled = whatif.simulate(network, framework, {"P1": 2, "P2": 12, "P3": 2, "P4": 2, "P5": 2}).sort("unit")
    assert scaled["composite"].to_list() == pytest.approx(tilted["composite"].to_list())  # weights are normalised


def test_a_principle_without_data_leaves_the_composite_to_the_coverage_rule() -> None:
    framework = load_framework()  # the composite needs a quarter of the principles' weight (coverage_threshold)
    network = _tiny({"A": [80, None, None, None, None], "B": [50, 50, 50, 50, 50]})
    equal = whatif.simulate(network, framework).sort("unit")
    assert equal["composite"][0] is None and equal["status"][0] == "insufficient_data"
    assert equal["rank"].to_list() == [None, 1.0] and equal["ranked_count"][1] == 1
    on_two = whatif.simulate(network, framework, {"P1": 1, "P2": 1, "P3": 1}).sort("unit")
    assert on_two["composite"].to_list() == pytest.approx([80.0, 50.0])
    assert on_two["rank"].to_list() == [1.0, 2.0]


def test_weights_all_at_zero_are_refused() -> None:
    with pytest.raises(whatif.WeightsError):
        whatif.simulate(_tiny({"A": [1, 2, 3, 4, 5]}), load_framework(), {"P1": 0.0})


def test_the_simulated_rank_interval_contains_the_simulated_rank_and_is_reproducible(demo) -> None:
    run_id, framework, periods = _run(demo)
    scores = whatif_reads.principle_scores(demo, Viewer.steering(), run_id, periods[-1])
    for weights in (None, {"P1": 3, "P2": 0.5, "P3": 1, "P4": 0.2, "P5": 1}):
        first = whatif.simulate(scores, framework, weights, key=periods[-1])
        ranked = first.filter(pl.col("rank").is_not_null())
        assert ranked.height >= 20
        assert ranked.filter((pl.col("rank") < pl.col("rank_p05")) | (pl.col("rank") > pl.col("rank_p95"))).is_empty()
        assert ranked.filter(pl.col("rank_p05") < pl.col("rank_p95")).height > 0  # the draws do move ranks
        assert first.equals(whatif.simulate(scores, framework, weights, key=periods[-1]))


def test_one_simulation_on_the_demo_network_takes_well_under_a_second(demo) -> None:
    run_id, framework, periods = _run(demo)
    scores = whatif_reads.principle_scores(demo, Viewer.steering(), run_id, periods[-1])
    began = time.perf_counter()
    whatif.simulate(scores, framework, {"P1": 2.0, "P2": 1.0, "P3": 1.0, "P4": 1.0, "P5": 0.5}, key=periods[-1])
    assert time.perf_counter() - began < 0.5


def test_a_member_reads_its_own_scores_by_code_and_the_network_only_anonymised(demo) -> None:
    run_id, _, periods = _run(demo)
    rows = whatif_reads.principle_scores(demo, Viewer.member(MEMBER), run_id, periods[-1])
    codes = set(demo.column("SELECT code FROM organizations"))
    assert set(rows.filter(pl.col("own"))["unit"].to_list()) == {MEMBER}
    others = set(rows.filter(~pl.col("own"))["unit"].to_list())
    assert len(others) > 5 and not others & codes and all(u.startswith("#") for u in others)
    published = whatif_reads.published_composite(demo, Viewer.member(MEMBER), run_id, periods[-1])
    assert published["unit"].to_list() == [MEMBER]


def test_a_member_moving_the_weights_sees_its_own_simulation_and_no_other_organisation(demo_db: Path) -> None:
    at = open_page(start(demo_db, identity=MEMBER), "compare")
    at.select_slider(key="whatif_w_P1").set_value(3.0).run()
    assert not at.exception
    text = visible_text(at)
    assert "Simulation — non enregistrée" in text and "**Simulation :**" in text
    store = open_store(demo_db)
    others = store.query("SELECT code, name_fr FROM organizations WHERE code <> ?", [MEMBER])
    for code, name in others.iter_rows():
        assert code not in text and name not in text


def test_a_funder_link_without_every_principle_is_told_why_there_is_no_simulation(demo_db: Path) -> None:
    store = open_store(demo_db)
    _, partial = links.create_link(store, label="Un principe", org_codes=[MEMBER, "ASS-AGD-038"],
                                   created_by="test", days=5, principles=["P2"])
    at = open_page(start(demo_db, link=partial), "compare")
    assert not at.exception
    assert any("demande tous les principes" in info.value for info in at.info)
    assert not at.select_slider or all(not s.key.startswith("whatif_w_") for s in at.select_slider)
    _, whole = links.create_link(store, label="Tous", org_codes=[MEMBER, "ASS-AGD-038"], created_by="test", days=5)
    at = open_page(start(demo_db, link=whole), "compare")
    at.select_slider(key="whatif_w_P2").set_value(0.0).run()
    table = next(d.value for d in at.dataframe if {"composite", "interval"} <= set(d.value.columns))
    assert sorted(table["unit"].tolist()) == ["ASS-AGD-038", MEMBER]


def _counts(store: Store) -> dict[str, int]:
    tables = store.column("SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                          "ORDER BY table_name")
    return {name: store.scalar(f'SELECT count(*) FROM "{name}"') for name in tables}


def test_simulating_never_writes_to_the_store(demo_db_fresh: Path, monkeypatch) -> None:
    at = open_page(start(demo_db_fresh, identity="steering"), "compare")
    store = open_store(demo_db_fresh)
    before = _counts(store)
    assert "audit_log" in before and "scores" in before
    wal = Path(f"{demo_db_fresh}.wal")
    wal_before = wal.stat().st_size if wal.exists() else 0
    writes: list[object] = []
    real_write = Store.write
    monkeypatch.setattr(Store, "write", lambda self, work: writes.append(work) or real_write(self, work))
    at.select_slider(key="whatif_w_P1").set_value(2.5).run()
    at.select_slider(key="whatif_w_P4").set_value(0.0).run()
    at.button(key="whatif_reset").click().run()
    at = open_page(at, "profile")
    at.select_slider(key="whatif_w_P3").set_value(3.0).run()
    assert not at.exception
    assert "Simulation — non enregistrée" in visible_text(at)
    assert writes == []
    assert _counts(store) == before
    assert (wal.stat().st_size if wal.exists() else 0) == wal_before


def _compare_slider(demo_db: Path, monkeypatch, lang: str, digits: str | None, key: str):
    """The compare page in ``lang`` (Arabic-Indic digits when ``digits``) and its select slider ``key``."""
    if digits:
        monkeypatch.setenv("ATHAR_ARABIC_DIGITS", digits)
    at = open_page(start(demo_db, lang=lang), "compare")
    return at, at.select_slider(key=key)


@pytest.mark.parametrize(
    ("lang", "digits", "one", "three"),
    [("fr", None, "1,00", "3,00"), ("en", None, "1.00", "3.00"), ("ar", None, "1,00", "3,00"),
     ("ar", "1", "١٫٠٠", "٣٫٠٠")],
)
def test_the_weight_sliders_write_their_numbers_as_the_page_does(
    demo_db: Path, monkeypatch, lang: str, digits: str | None, one: str, three: str
) -> None:
    at, slider = _compare_slider(demo_db, monkeypatch, lang, digits, "whatif_w_P1")
    assert slider.value == 1.0
    assert slider.options[0] != "0.00" or lang == "en"
    assert one in slider.options and slider.options[-1] == three
    assert slider.options[slider.options.index(one) + 1] in ("1,05", "1.05", "١٫٠٥")
    slider.set_value(2.5).run()
    assert not at.exception
    assert at.select_slider(key="whatif_w_P1").value == 2.5


def test_the_weight_steps_hold_the_frameworks_own_weights() -> None:
    from dashboard.whatif_view import weight_steps

    framework = load_framework()
    steps = weight_steps(framework)
    assert steps[0] == 0.0 and steps[-1] == 3.0 and len(steps) == 61
    assert all(float(p.weight) in steps for p in framework.principles)


@pytest.mark.parametrize(("lang", "digits", "first", "default"),
                         [("fr", None, "5", "25"), ("ar", None, "5", "25"), ("ar", "1", "٥", "٢٥")])
def test_the_ranking_length_slider_writes_its_counts_as_the_page_does(
    demo_db: Path, monkeypatch, lang: str, digits: str | None, first: str, default: str
) -> None:
    at, slider = _compare_slider(demo_db, monkeypatch, lang, digits, "compare_top")
    assert slider.options[0] == first and slider.value == 25
    assert slider.options[slider.options.index(default) + 1] in ("26", "٢٦")
    slider.set_value(7).run()
    assert not at.exception
    assert at.select_slider(key="compare_top").value == 7
