"""``dashboard.lookup.labelled``: a frame's labels without Python inside Polars (Polars 2.1 deadlocks
when one session's ``map_elements`` runs in its thread pool while another rechunks holding the GIL)."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from dashboard.lookup import labelled

ROOT = Path(__file__).resolve().parent.parent
FRAME = pl.DataFrame({"code": ["R02", "R01", None, "R02", "R03"], "n": [1, 2, 3, None, 1]})


def test_labels_equal_map_elements_row_for_row_with_nulls_left_null() -> None:
    expected = FRAME.select(pl.col("code").map_elements(str.lower, return_dtype=pl.String))["code"]
    assert labelled(FRAME, "code", str.lower).to_list() == expected.to_list() == ["r02", "r01", None, "r02", "r03"]


def test_the_label_function_runs_once_per_distinct_value_in_the_callers_thread() -> None:
    import threading

    calls: list[tuple[str | None, str]] = []

    def name(code: str | None) -> str:
        calls.append((code, threading.current_thread().name))
        return f"<{code}>"

    assert labelled(FRAME, "code", name, nulls=True).to_list() == ["<R02>", "<R01>", "<None>", "<R02>", "<R03>"]
    assert sorted(calls, key=str) == sorted(
        [(c, threading.current_thread().name) for c in ("R02", "R01", None, "R03")], key=str
    )


def test_several_columns_label_each_row_like_a_struct_would() -> None:
    got = labelled(FRAME, ["code", "n"], lambda c, n: f"{c}/{n}", nulls=True)
    assert got.to_list() == ["R02/1", "R01/2", "None/3", "R02/None", "R03/1"]
    assert labelled(FRAME, ["code", "n"], lambda c, n: f"{c}/{n}").to_list() == ["R02/1", "R01/2", None, None, "R03/1"]


def test_an_empty_frame_gets_an_empty_string_column() -> None:
    got = FRAME.head(0).with_columns(label=labelled(FRAME.head(0), "code", str.lower))
    assert got.height == 0 and got.schema["label"] == pl.String


def test_the_most_visited_pages_and_the_sdg_panel_run_no_python_inside_polars() -> None:
    pages = ["dashboard/screens/overview.py", "dashboard/screens/profile.py", "dashboard/screens/compare.py",
             "dashboard/screens/sustainability.py", "dashboard/screens/quality.py", "dashboard/sdg_panel.py"]
    for page in pages:
        source = (ROOT / page).read_text(encoding="utf-8")
        assert not re.search(r"map_elements|map_batches|tables\.labels\(", source), page


def test_no_module_of_the_dashboard_runs_python_inside_polars() -> None:
    from dashboard import tables

    modules = sorted((ROOT / "dashboard").rglob("*.py"))
    assert len(modules) > 40
    calling = [str(m.relative_to(ROOT)) for m in modules
               if re.search(r"\.map_(elements|batches)\b|tables\.labels\(", m.read_text(encoding="utf-8"))]
    assert calling == []
    assert not hasattr(tables, "labels")


@pytest.mark.parametrize("package", ["ingest", "metrics", "store", "framework", "i18n"])
def test_no_module_of_the_data_packages_runs_python_inside_polars(package: str) -> None:
    """The app imports these too (an upload is checked in a page's run): the same deadlock applies."""
    modules = sorted((ROOT / package).rglob("*.py"))
    assert modules
    calling = [str(m.relative_to(ROOT)) for m in modules
               if re.search(r"\.map_(elements|batches)\b", m.read_text(encoding="utf-8"))]
    assert calling == []


def test_a_list_column_is_labelled_as_map_elements_labelled_it() -> None:
    pages = pl.DataFrame({"pages": [["overview", "profile"], None, [], ["overview", "profile"], ["compare"]]})
    expected = pages.select(pl.col("pages").map_elements(lambda p: "+".join(p), return_dtype=pl.String))["pages"]
    got = labelled(pages, "pages", lambda p: "+".join(p))
    assert got.to_list() == expected.to_list() == ["overview+profile", None, "", "overview+profile", "compare"]


def test_numbers_with_nulls_are_labelled_as_map_batches_labelled_them() -> None:
    values = pl.DataFrame({"value": [1.0, 2.5, None, 1.0]})
    name = lambda v: "–" if v is None else f"{v:g}"  # noqa: E731
    expected = values.select(pl.col("value").map_batches(
        lambda s: pl.Series([name(v) for v in s.to_list()], dtype=pl.String), return_dtype=pl.String))["value"]
    assert labelled(values, "value", name, nulls=True).to_list() == expected.to_list() == ["1", "2.5", "–", "1"]
