"""The API's whole-run reads (``compare.run_scores``, ``compare.run_indicator_values``): one query for
every period, the same rows, columns, types and order as the page reads asked period by period."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from store.db import open_store
from store.reads import common, compare
from store.viewer import Viewer

VIEWERS = [Viewer.steering(), Viewer(role="member", org_code="ASS-CAS-001")]

#: On both backends: the same reads over the DuckDB demo and a PostgreSQL copy of it (``demo_copy``).
pytestmark = pytest.mark.backends("duckdb", "postgres")


def _period_by_period(read, periods: list[str]) -> pl.DataFrame:
    frames = [read(p).with_columns(pl.lit(p).alias("period")) for p in periods]
    return pl.concat([f for f in frames if not f.is_empty()], how="diagonal_relaxed")


@pytest.mark.parametrize("viewer", VIEWERS, ids=lambda v: v.role)
def test_a_whole_run_read_equals_the_period_reads_put_together(demo_copy: Path | str, viewer: Viewer) -> None:
    store = open_store(demo_copy)
    run_id = common.latest_run(store, viewer)["id"]
    periods = common.run_periods(store, viewer, run_id)
    orgs = tuple(common.organisations(store, viewer, "ar")["org_code"])
    assert len(periods) > 1
    scores = compare.run_scores(store, viewer, run_id, None, "ar")
    assert_frame_equal(scores, _period_by_period(
        lambda p: compare.period_scores(store, viewer, run_id, p, "ar"), periods))
    values = compare.run_indicator_values(store, viewer, run_id, None, orgs)
    assert_frame_equal(values, _period_by_period(
        lambda p: compare.indicator_values(store, viewer, run_id, p, orgs), periods))


def test_a_whole_run_read_narrowed_to_a_period_keeps_that_period_only(demo_copy: Path | str) -> None:
    store, viewer = open_store(demo_copy), Viewer.steering()
    run_id = common.latest_run(store, viewer)["id"]
    first = common.run_periods(store, viewer, run_id)[0]
    scores = compare.run_scores(store, viewer, run_id, first, "fr")
    assert set(scores["period"]) == {first}
    assert_frame_equal(scores.drop("period"), compare.period_scores(store, viewer, run_id, first, "fr"))
    assert compare.run_scores(store, viewer, run_id, "1999", "fr").is_empty()
