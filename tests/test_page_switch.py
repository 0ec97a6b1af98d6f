"""A page switch does only the work the page shows (issue 15: every switch settles in ≤ 0.5 s).

Real AppTest sessions on the demo database: the tables behind the charts are built only once their
fold is opened, a figure is not rebuilt when the page is shown again with the same data, a warm
switch reads the database a bounded number of times, and a table writes each distinct value once.
"""

from __future__ import annotations

import polars as pl
import pytest

from dashboard import charts, figure_memo
from dashboard.folds import PREFIX
from dashboard.testing import open_folds, open_page, start
from dashboard.written_grid import remembered
from i18n import t
from store.db import Store

#: Columns of the profile radar's data table ("the data behind the chart").
RADAR_COLUMNS = {"label", "own"}


@pytest.fixture
def app_db(demo_db, monkeypatch):
    monkeypatch.setenv("ATHAR_TEST_TODAY", "2026-06-01")
    return demo_db


def _radar_tables(at) -> list:
    return [d for d in at.dataframe if RADAR_COLUMNS <= set(d.value.columns)]


def test_the_data_behind_a_chart_is_built_only_once_its_fold_is_opened(app_db) -> None:
    at = open_page(start(app_db), "profile", folds=False)
    assert not at.exception
    assert _radar_tables(at) == []
    assert at.session_state[f"{PREFIX}profile_radar"] is False
    assert t("dashboard.common.data_behind_chart", "fr") in [e.label for e in at.expander]  # the fold is there
    open_folds(at)
    assert not at.exception
    (table,) = _radar_tables(at)
    assert table.value.shape[0] >= 3  # one row per principle


def test_the_peer_table_of_the_profile_waits_for_its_fold_too(app_db) -> None:
    at = open_page(start(app_db), "profile", folds=False)
    assert not [d for d in at.dataframe if "group_label" in d.value.columns]
    at.session_state[f"{PREFIX}profile_peers"] = True
    at.run()
    assert [d for d in at.dataframe if "group_label" in d.value.columns]


def test_the_committees_sdg_panel_on_the_overview_waits_for_its_fold(app_db) -> None:
    at = open_page(start(app_db), "overview", folds=False)
    assert not at.exception
    sdg_tables = lambda: [d for d in at.dataframe if "goal_label" in d.value.columns]  # noqa: E731
    assert sdg_tables() == []
    assert t("dashboard.vocab.panel_committee", "fr") in [e.label for e in at.expander]  # the fold is there
    at.session_state[f"{PREFIX}overview_sdg"] = True
    at.run()
    assert not at.exception
    assert len(sdg_tables()) == 2  # goals, then targets with their indicators


def test_the_overviews_late_and_missing_list_waits_for_its_fold(app_db) -> None:
    at = open_page(start(app_db), "overview", folds=False)
    late_tables = lambda: [d for d in at.dataframe if "status_label" in d.value.columns]  # noqa: E731
    assert not at.exception and late_tables() == []
    at.session_state[f"{PREFIX}overview_late"] = True
    at.run()
    assert not at.exception
    (table,) = late_tables()
    assert table.value.shape[0] >= 1


def test_coming_back_to_a_chart_page_builds_none_of_its_figures_again(app_db) -> None:
    at = open_page(start(app_db), "sustainability", folds=False)
    open_page(at, "overview", folds=False)
    before = dict(figure_memo.counts)
    open_page(at, "sustainability", folds=False)
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 2
    assert figure_memo.counts["built"] == before["built"]
    assert figure_memo.counts["reused"] >= before["reused"] + len(at.get("plotly_chart"))


def test_a_figure_is_reused_only_for_exactly_the_same_arguments() -> None:
    figure_memo.clear()
    values = pl.Series("v", [float(i) for i in range(40)])
    changed = pl.Series("v", [99.0 if i == 20 else float(i) for i in range(40)])  # where a printed Series shows "…"
    labels = [f"ORG-{i:03d}" for i in range(40)]
    first = charts.bars(labels, values, "titre", "valeur", "fr")
    assert charts.bars(labels, values, "titre", "valeur", "fr") is first
    other = charts.bars(labels, changed, "titre", "valeur", "fr")
    assert other is not first and other.data[0].x[20] == 99.0
    assert charts.bars(labels, values, "titre", "valeur", "ar") is not first  # the language is part of it
    assert charts.bars(labels, values, "title", "valeur", "fr") is not first


def test_a_warm_page_switch_reads_the_database_a_bounded_number_of_times(app_db, monkeypatch) -> None:
    at = open_page(start(app_db), "profile", folds=False)
    open_page(at, "compare", folds=False)
    calls: list[str] = []
    for name in ("query", "column", "scalar"):
        original = getattr(Store, name)

        def counted(self, *args, _original=original, _name=name, **kwargs):
            calls.append(f"{_name}: {str(args[0])[:80]}" if args else _name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Store, name, counted)
    open_page(at, "profile", folds=False)
    assert not at.exception
    # The data version (part of every cache key) and the run's provisional pairs; every page read is cached.
    assert len(calls) <= 2, calls


def test_a_table_writes_each_distinct_value_once() -> None:
    written: list[object] = []

    def show(value: object) -> str:
        written.append(value)
        return f"<{value}>"

    text = remembered(show)
    assert [text(v) for v in (3, 3, 4, 3, 4)] == ["<3>", "<3>", "<4>", "<3>", "<4>"]
    assert written == [3, 4]
    assert text(["a", "b"]) == "<['a', 'b']>" and text(["a", "b"]) == "<['a', 'b']>"  # a list: not kept
    assert written.count(["a", "b"]) == 2


def _display_values(styler) -> list[list[str]]:
    import pyarrow as pa
    from streamlit.elements.lib.pandas_styler_utils import marshall_styler
    from streamlit.proto.Dataframe_pb2 import Dataframe

    proto = Dataframe()
    marshall_styler(proto.arrow_data, styler, "grid")
    shown = pa.ipc.open_stream(proto.arrow_data.styler.display_values).read_pandas()
    return [[str(v) for v in row] for row in shown.itertuples(index=False)]


def test_written_texts_reach_the_grid_exactly_as_pandas_would_render_them() -> None:
    from datetime import datetime

    import pandas as pd

    from dashboard.written_grid import written_styler

    data = pl.DataFrame(
        {
            "name": ["Amal", None, "Noor"],
            "count": [1050, None, 3],
            "share": [0.453, 0.5, None],
            "at": [datetime(2026, 3, 1, 9, 30), None, datetime(2026, 5, 2, 18, 5)],
        }
    ).to_arrow().to_pandas(date_as_object=False)
    shows = {
        "name": lambda v: "—" if v is None or v != v else f"«{v}»" if v == "Noor" else str(v),
        "count": lambda v: "—" if pd.isna(v) else f"{int(v):,}".replace(",", "\u202f"),
        "share": lambda v: "—" if pd.isna(v) else f"{100 * v:.1f} %",
        "at": lambda v: "—" if pd.isna(v) else v.strftime("%d/%m/%Y %H:%M"),
    }
    rendered = data.style.format(shows, na_rep="—")
    written = written_styler(data, {name: [show(v) for v in data[name]] for name, show in shows.items()})
    expected = _display_values(rendered)
    assert _display_values(written) == expected
    assert expected[0][1] == "1\u202f050" and expected[2][0] == "«Noor»"


def test_a_page_switch_sends_table_texts_without_pandas_rendering_each_cell(app_db, monkeypatch) -> None:
    from pandas.io.formats.style_render import StylerRenderer

    def refuse(*_args, **_kwargs):
        raise AssertionError("pandas rendered the cells of a table")

    at = open_page(start(app_db), "overview", folds=False)
    monkeypatch.setattr(StylerRenderer, "_translate", refuse)
    open_page(at, "quality", folds=False)
    assert not at.exception
    log = next(d for d in at.dataframe if "file_name" in d.value.columns)
    assert log.proto.arrow_data.styler.display_values  # the reader's texts travelled with the numbers


def test_texts_written_for_one_table_are_kept_for_the_next_in_the_same_language_only() -> None:
    from dashboard.written_grid import kept

    written: list[object] = []

    def show(value: object) -> str:
        written.append(value)
        return f"<{value!r}>"

    shared = kept(("test-kind", "xx", False))
    first, second = remembered(show, shared), remembered(show, kept(("test-kind", "xx", False)))
    values = (3, "a", 2.5, 0.0, float("nan"))
    assert [first(v) for v in values] == ["<3>", "<'a'>", "<2.5>", "<0.0>", "<nan>"]
    assert [second(v) for v in values] == ["<3>", "<'a'>", "<2.5>", "<0.0>", "<nan>"]
    assert written[:4] == [3, "a", 2.5, 0.0] and len(written) == 5  # the second table wrote nothing again
    other = remembered(show, kept(("test-kind", "yy", False)))  # another language: its own texts
    assert other(3) == "<3>" and written[-1] == 3


def test_values_equal_in_python_but_written_differently_never_share_a_kept_text() -> None:
    from datetime import UTC, datetime, timedelta, timezone
    from decimal import Decimal

    import pandas as pd

    from dashboard.written_grid import kept

    text = remembered(repr, kept(("test-equal", "xx", False)))
    assert [text(v) for v in (1, True, 1.0)] == ["1", "True", "1.0"]  # 1 == True == 1.0
    assert [text(v) for v in (0.0, -0.0)] == ["0.0", "-0.0"]
    assert [text(v) for v in (Decimal("1.0"), Decimal("1.00"))] == ["Decimal('1.0')", "Decimal('1.00')"]
    utc = pd.Timestamp(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    paris = utc.tz_convert(timezone(timedelta(hours=1)))
    assert utc == paris and text(utc) != text(paris)
    nan = float("nan")
    assert text(nan) == "nan" and text(float("nan")) == "nan"


def test_the_grid_gets_exactly_the_texts_streamlit_would_have_written_cell_by_cell() -> None:
    from datetime import datetime

    from streamlit import dataframe_util

    from dashboard.written_grid import WRITTEN, streamlit_display_values, written_styler

    data = pl.DataFrame(
        {
            "name": ["Amal", None, "Noor", "٣ نساء"],
            "count": [1050, None, 3, 0],
            "share": [0.453, 0.5, None, float("nan")],
            "at": [datetime(2026, 3, 1, 9, 30), None, datetime(2026, 5, 2, 18, 5), None],
            "flag": [True, False, None, True],
            "unit": ["persons", None, "percent", "MAD"],  # not written: shown as its values
        }
    ).to_arrow().to_pandas(date_as_object=False)
    texts = {
        "name": ["Amal", "–", "«Noor»", "٣ نساء"],  # two cells as they are, one rewritten, one missing
        "count": ["1\u202f050", "–", "3", "0"],
        "share": ["45 %", "50 %", "–", "–"],
        "at": ["1 mars 2026 09:30", "–", "2 mai 2026 18:05", "–"],
        "flag": ["oui", "non", "–", "oui"],
    }
    cells = [  # the cell-by-cell translation Streamlit reads from pandas (a cell shown as it is left out)
        [
            {"id": f"row{r}_col{c}", "display_value": texts[name][r]}
            for c, name in enumerate(data.columns)
            if name in texts and not (isinstance(data[name][r], str) and data[name][r] == texts[name][r])
        ]
        for r in range(len(data))
    ]
    by_cells = streamlit_display_values(data, {"body": cells})
    written = written_styler(data, texts)._translate(False, False)[WRITTEN]
    to_bytes = dataframe_util.convert_pandas_df_to_arrow_bytes
    assert to_bytes(written) == to_bytes(by_cells)
    assert _display_values(written_styler(data, texts))[0][1] == "1\u202f050"


def test_a_page_switch_leaves_streamlit_no_table_text_to_write_cell_by_cell(app_db, monkeypatch) -> None:
    from pandas.core.indexing import _iLocIndexer

    written_in: list[object] = []
    write = _iLocIndexer.__setitem__

    def record(indexer, key, value):  # how Streamlit writes each column's texts into its pandas frame
        written_in.append(key)
        return write(indexer, key, value)

    at = open_page(start(app_db), "overview", folds=False)
    monkeypatch.setattr(_iLocIndexer, "__setitem__", record)
    for page in ("quality", "profile", "overview"):
        open_page(at, page)
        assert not at.exception and not at.error
        assert at.dataframe and all(d.proto.arrow_data.styler.display_values for d in at.dataframe)
    assert written_in == []


def test_a_warmed_up_process_leaves_what_it_holds_out_of_the_collection_after_each_run(app_db) -> None:
    import gc

    at = open_page(start(app_db), "profile", folds=False)  # entry, sign-in, profile: three runs at least
    assert not at.exception
    assert gc.get_freeze_count() > 10_000  # modules, Plotly, pandas, Polars: frozen once
    before = gc.get_freeze_count()
    open_page(at, "compare", folds=False)
    assert gc.get_freeze_count() == before  # frozen once per process, not at every run


def test_the_what_if_sliders_are_built_only_once_their_fold_is_opened_and_keep_their_weights(app_db) -> None:
    at = open_page(start(app_db), "profile", folds=False)
    assert not at.exception
    assert not [s for s in at.select_slider if s.key.startswith("whatif_w_")]
    assert at.session_state[f"{PREFIX}whatif"] is False
    committee_fields = lambda: [m for m in at.multiselect if str(m.key).startswith("expect_chosen_")]  # noqa: E731
    assert not committee_fields()  # the committee's target forms wait for their fold too
    open_folds(at)
    assert [s for s in at.select_slider if s.key.startswith("whatif_w_")] and committee_fields()
    at.select_slider(key="whatif_w_P1").set_value(3.0).run()
    at.session_state[f"{PREFIX}whatif"] = False  # closed: the sliders are no longer drawn
    at.run()
    assert not [s for s in at.select_slider if s.key.startswith("whatif_w_")]
    open_folds(at)  # opened again: the weight chosen before is back
    assert at.select_slider(key="whatif_w_P1").value == 3.0
    at.button(key="whatif_reset").click().run()
    assert at.select_slider(key="whatif_w_P1").value != 3.0


def test_the_process_is_frozen_at_the_third_run_and_each_doubling_after_it_a_bounded_number_of_times(
    monkeypatch,
) -> None:
    from dashboard import gc_freeze

    frozen_at: list[int] = []
    monkeypatch.setattr(gc_freeze, "_state", {"runs": 0, "frozen": 0, "next": gc_freeze.WARM_RUNS})
    monkeypatch.setattr(gc_freeze.gc, "freeze", lambda: frozen_at.append(gc_freeze._state["runs"]))
    for _ in range(5_000):
        gc_freeze.after_warm_up()
    assert frozen_at == [gc_freeze.WARM_RUNS * 2**k for k in range(gc_freeze.FREEZES)]  # 3, 6, 12… 384
