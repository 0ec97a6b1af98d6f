"""A yes/no indicator's network figure is the real share of "yes" with the count of organisations,
never a median of 0 and 1 ("oui à 50 %" from a median, or plain "oui" when most said yes).

The demo network's S04 (a yes/no indicator) is narrowed, in the latest run, to five organisations in
2025: three answered yes, two no. Their median is 1 ("oui"); the share of yes is 60 %.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from dashboard.testing import open_page, start, visible_text
from i18n import formatting as fmt
from store.db import Store
from store.reads import compare as compare_reads
from store.reads import overview as overview_reads
from store.reads import sustainability as sustainability_reads
from store.viewer import Viewer

CODE, PERIOD = "S04", "2025"
SIXTY = {lang: fmt.percent(0.6, lang) for lang in ("fr", "ar", "en")}


@pytest.fixture(scope="module")
def yes_no_db(demo_db_pristine, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("yesno") / "demo.duckdb"
    shutil.copy(demo_db_pristine, path)
    store = Store(path)

    def narrow(cur) -> None:
        run = cur.execute("SELECT max(id) FROM score_runs").fetchall()[0][0]
        orgs = [r[0] for r in cur.execute(
            "SELECT org_code FROM score_indicators WHERE run_id = ? AND indicator_code = ? AND period = ? "
            "ORDER BY org_code LIMIT 5", [run, CODE, PERIOD]).fetchall()]
        cur.execute(
            "DELETE FROM score_indicators WHERE run_id = ? AND indicator_code = ? AND period = ? "
            "AND NOT list_contains(?::VARCHAR[], org_code)", [run, CODE, PERIOD, orgs])
        for n, org in enumerate(orgs):
            cur.execute(
                "UPDATE score_indicators SET value = ? WHERE run_id = ? AND indicator_code = ? AND period = ? "
                "AND org_code = ?", [1.0 if n < 3 else 0.0, run, CODE, PERIOD, org])

    store.write(narrow)
    store.close()
    return path


@pytest.fixture
def app(yes_no_db, monkeypatch):
    monkeypatch.setenv("ATHAR_DB", str(yes_no_db))
    return yes_no_db


def _shown(at, column: str) -> pl.DataFrame:
    """The grid holding ``column``, as the reader sees its cells (the Styler's display values)."""
    grid = next(d for d in at.dataframe if column in d.value.columns)
    return pl.from_pandas(pa.ipc.open_stream(grid.proto.arrow_data.styler.display_values).read_pandas())


def _run(store: Store) -> int:
    return int(store.scalar("SELECT max(id) FROM score_runs"))


def test_the_network_series_of_a_yes_no_indicator_is_the_share_of_yes_with_its_count(yes_no_db) -> None:
    store = Store(yes_no_db)
    try:
        frame = sustainability_reads.indicator_series(store, Viewer.steering("t"), _run(store), CODE)
    finally:
        store.close()
    row = frame.filter(frame["period"] == PERIOD).row(0, named=True)
    assert (row["n"], row["yes"], row["share_yes"]) == (5, 3, pytest.approx(0.6))
    assert row["median"] == 1.0  # what the pages used to show as "oui"


def test_group_figures_of_a_yes_no_indicator_are_shares_of_yes_and_others_stay_medians(yes_no_db) -> None:
    store = Store(yes_no_db)
    viewer = Viewer.steering("t")
    try:
        shares = compare_reads.group_indicators(store, viewer, _run(store), PERIOD, "region", (CODE,))
        medians = compare_reads.group_indicators(store, viewer, _run(store), PERIOD, "region", ())
        regions = overview_reads.region_indicator(store, viewer, _run(store), "2024", CODE, "share")
        values = store.query(
            "SELECT g.region, avg(v.value) AS share FROM score_indicators v JOIN organizations g ON g.code = v.org_code "
            "WHERE v.run_id = ? AND v.indicator_code = ? AND v.period = '2024' GROUP BY g.region",
            [_run(store), CODE],
        )
    finally:
        store.close()
    assert set(shares.filter(shares["indicator_code"] == CODE)["statistic"]) <= {"share_yes"}
    assert set(medians["statistic"]) == {"median"}
    expected = dict(values.iter_rows())
    assert regions.height and all(
        v == pytest.approx(expected[r]) for r, v in zip(regions["region"], regions["value"], strict=True)
    )


@pytest.mark.parametrize(("lang", "label"), [("fr", "Part de oui"), ("ar", "نسبة نعم"), ("en", "Share of yes")])
def test_the_sustainability_page_shows_sixty_percent_yes_not_a_median(app, lang, label) -> None:
    at = open_page(start(app, lang=lang), "sustainability")
    at = at.selectbox(key="sust_indicator").select(CODE).run()
    grid = _shown(at, "share_yes")
    row = grid.filter(pl.col("period") == PERIOD).row(0, named=True)
    assert (row["share_yes"].lstrip("\u200e"), row["n"].lstrip("\u200e")) == (SIXTY[lang], fmt.number(5, lang))
    traces = [t for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]]
    line = next(t for t in traces if t.get("name") == label)
    assert line["y"][line["x"].index(PERIOD)] == pytest.approx(60)
    assert "oui à" not in visible_text(at)


def test_the_indicator_page_shows_the_share_of_yes_and_the_organisations_answering_yes(app) -> None:
    at = open_page(start(app), "indicator")
    at = at.selectbox(key="ind_code").select(CODE).run()
    row = _shown(at, "yes").filter(pl.col("period") == PERIOD).row(0, named=True)
    assert (row["mean"], row["yes"], row["n"]) == (SIXTY["fr"], "3", "5")
    text = visible_text(at)
    assert "Part de oui" in text  # the series and its axis
    assert "Médiane des organisations" not in text
