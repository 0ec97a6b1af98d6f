"""Files committed in groups (``ingest.group_load``, ``store.group_commit``) store exactly what loading
them one by one stores, on both backends: every table, every file's result, the audit log's order.

The files: the shared samples (every format, a refused file, files of several organisations) and small
generated ones — new years, a correction of a file of the same command (it supersedes), the same bytes
twice, a part above a whole an earlier file of the command stored (refused against it), a bad value,
targets (stored beside the values), two files for the same organisation and period in a row.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import polars as pl
import pytest
from conftest import SAMPLES

from ingest import check_pool, group_load
from ingest.batch import load_files
from ingest.command_state import CommandState
from ingest.group_load import load_in_groups
from ingest.orgs import read_org_file
from ingest.pipeline import FileResult, check, load_file, sha256_hex
from ingest.prefetch import ReadAhead
from store.db import Store
from store.registry import upsert_organizations
from store.review import PeriodLocked, approve

pytestmark = pytest.mark.backends("duckdb", "postgres")

HEADER = "org_code,indicator_code,period,value,unit\n"
GENERATED = {
    "g_cas_2021.csv": HEADER + "ASS-CAS-001,R01,2021,1100,\nASS-CAS-001,R03,2021,50,\n",
    "g_rbt_2022.csv": HEADER + "ASS-RBT-014,R01,2022,280,\nASS-RBT-014,P05,2022,3000,\n",
    "g_cas_2022.csv": HEADER + "ASS-CAS-001,R01,2022,1150,\nASS-CAS-001,R03,2022,55,\n",
    "g_fes_2022.csv": HEADER + "FON-FES-007,R01,2022,90,\n",
    "g_cas_2022_fix.csv": HEADER + "ASS-CAS-001,R01,2022,1160,\nASS-CAS-001,R03,2022,56,\n",
    "g_fes_2022_psh.csv": HEADER + "FON-FES-007,R03,2022,150,\n",
    "g_rbt_2022_again.csv": HEADER + "ASS-RBT-014,R01,2022,280,\nASS-RBT-014,P05,2022,3000,\n",
    "g_bad.csv": HEADER + "ASS-RBT-014,R01,2021,N/A,\n",
    "g_targets.csv": "org_code,indicator_code,period,value,target,baseline\nCOO-AGD-021,R01,2022,40,60,30\n",
    "g_ouj_2021.csv": HEADER + "ASS-OUJ-030,R01,2021,70,\n",
    "g_ouj_2021_b.csv": HEADER + "ASS-OUJ-030,R01,2021,75,\nASS-OUJ-030,R03,2021,5,\n",
    "g_agd_2021.csv": HEADER + "COO-AGD-021,R01,2021,33,\n",
}
OPTIONS = {"uploaded_by": "steering:t", "audit_actor": "cli:test"}


def files() -> list[tuple[str, bytes]]:
    """The samples and the generated files, interleaved (groups then hold files of every kind)."""
    samples = [(p.name, p.read_bytes()) for p in sorted(SAMPLES.iterdir())
               if p.suffix in {".csv", ".txt", ".xlsx"} and p.name != "organizations.csv"]
    generated = [(name, text.encode()) for name, text in GENERATED.items()]
    mixed = []
    for i in range(max(len(samples), len(generated))):
        mixed += samples[i:i + 1] + generated[i:i + 1]
    return mixed


def open_two(backend: str, tmp_path: Path, request: pytest.FixtureRequest, framework) -> tuple[Store, Store]:
    """Two stores holding the samples' registry: one to load in groups, one to load file by file."""
    stores = []
    for name in ("groups", "single"):
        folder = tmp_path / name
        folder.mkdir()
        if backend == "duckdb":
            store = Store(folder / "athar.duckdb")
        else:
            cluster = request.getfixturevalue("pg_cluster")
            url = cluster.fresh_database()
            store = Store(url, raw_dir=folder / "raw")
            request.addfinalizer(partial(cluster.drop_database, url))
        request.addfinalizer(store.close)
        parsed = read_org_file((SAMPLES / "organizations.csv").read_bytes(), "organizations.csv", framework)
        upsert_organizations(store, parsed.rows, actor="cli:test")
        stores.append(store)
    return stores[0], stores[1]


@pytest.fixture
def two(backend, tmp_path, request, framework) -> tuple[Store, Store]:
    return open_two(backend, tmp_path, request, framework)


def in_groups(store: Store, batch: list[tuple[str, bytes]], framework) -> list[FileResult]:
    return load_files(store, [(Path(n), ReadAhead(data, None)) for n, data in batch], framework=framework,
                      **OPTIONS)


def one_by_one(store: Store, batch: list[tuple[str, bytes]], framework) -> list[FileResult]:
    return [load_file(store, data, name, framework=framework, **OPTIONS) for name, data in batch]


def snapshot(store: Store) -> dict[str, pl.DataFrame]:
    """Every table (without its clocks: the two loads ran at different times, nor the folder of the
    kept bytes), sorted; the kept bytes."""
    tables = store.column("SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                          "AND table_schema IN ('main', 'public') ORDER BY 1")
    held = {}
    for table in tables:
        frame = store.query(f"SELECT * FROM {table}")
        frame = frame.select(c for c, t in frame.schema.items() if not isinstance(t, pl.Datetime))
        frame = frame.with_columns(pl.col(c).cast(pl.String) for c, t in frame.schema.items() if t.is_nested())
        if "raw_path" in frame.columns:  # each store keeps the bytes in its own folder
            frame = frame.with_columns(pl.col("raw_path").str.replace(str(store.raw_dir), "", literal=True))
        held[table] = frame.sort(frame.columns, nulls_last=True) if frame.width else frame
    held["raw"] = pl.DataFrame({"kept": sorted(p.name for p in store.raw_dir.rglob("*") if p.is_file())})
    return held


def assert_same(a: Store, b: Store) -> None:
    left, right = snapshot(a), snapshot(b)
    assert left.keys() == right.keys()
    for table in left:
        assert left[table].equals(right[table]), f"{table}:\n{left[table].to_dicts()}\n{right[table].to_dicts()}"


@pytest.mark.parametrize(("group_files", "workers"), [(3, 0), (100, 0), (4, 2)],
                         ids=["groups of 3", "groups of 100", "checked by 2 workers"])
def test_files_committed_in_groups_store_what_loading_them_one_by_one_stores(
        two, framework, monkeypatch, group_files, workers) -> None:
    monkeypatch.setattr(group_load, "GROUP_FILES", group_files)
    monkeypatch.setattr(check_pool, "MIN_FILES", 1 if workers else 10**9)
    monkeypatch.setattr(check_pool, "workers", lambda: workers)
    grouped, single = two
    batch = files()
    results = in_groups(grouped, batch, framework)
    alone = one_by_one(single, batch, framework)
    assert [r.to_json("fr") for r in results] == [r.to_json("fr") for r in alone]
    by_file = {r.file_name: r for r in results}
    assert by_file["g_cas_2022_fix.csv"].superseded == 2
    assert by_file["g_rbt_2022_again.csv"].status == "already_received"
    # checked against the R01 an earlier file of the command stored (a worker, told "nothing stored", is
    # not believed: the file is checked again in the command)
    assert [i["code"] for i in by_file["g_fes_2022_psh.csv"].to_json("fr")["issues"]] == ["part_above_stored_whole"]
    assert by_file["g_bad.csv"].status == "rejected" and by_file["14_row_errors.csv"].status == "rejected"
    assert by_file["g_ouj_2021_b.csv"].superseded == 1
    assert_same(grouped, single)


def test_the_audit_log_keeps_the_order_of_the_files(two, framework) -> None:
    grouped, _ = two
    batch = files()
    in_groups(grouped, batch, framework)
    logged = grouped.column("SELECT json_extract_string(detail, '$.file') FROM audit_log "
                            "WHERE action IN ('upload', 'upload_rejected') ORDER BY id")
    named = [n for n, _ in batch]
    assert logged == sorted(logged, key=named.index)
    assert "g_bad.csv" in logged and "g_cas_2021.csv" in logged


def test_a_second_command_with_the_same_files_stores_nothing_new(two, framework) -> None:
    grouped, single = two
    batch = files()
    in_groups(grouped, batch, framework)
    one_by_one(single, batch, framework)
    again = in_groups(grouped, batch, framework)
    alone = one_by_one(single, batch, framework)
    assert [r.to_json("fr") for r in again] == [r.to_json("fr") for r in alone]
    assert {r.status for r in again} == {"already_received", "rejected"}
    assert_same(grouped, single)


def locked_first(store: Store, framework) -> None:
    """ASS-OUJ-030's 2020, loaded and approved: its period is locked."""
    result = load_file(store, (HEADER + "ASS-OUJ-030,R01,2020,60,\n").encode(), "ouj_2020.csv", framework=framework,
                       **OPTIONS)
    store.write(lambda cur: cur.execute("UPDATE submissions SET review_status = 'submitted' WHERE id = ?",
                                        [result.submission_id]))
    approve(store, result.submission_id, actor="cli:test")


LOCKED = [("g_cas_2021.csv", GENERATED["g_cas_2021.csv"].encode()),
          ("g_agd_2021.csv", GENERATED["g_agd_2021.csv"].encode()),
          ("ouj_2020_fix.csv", (HEADER + "ASS-OUJ-030,R01,2020,65,\n").encode()),
          ("g_rbt_2022.csv", GENERATED["g_rbt_2022.csv"].encode())]


def test_a_file_of_a_locked_period_stops_the_command_where_loading_one_by_one_stops(two, framework) -> None:
    grouped, single = two
    for store in two:
        locked_first(store, framework)
    with pytest.raises(PeriodLocked):
        in_groups(grouped, LOCKED, framework)
    with pytest.raises(PeriodLocked):
        one_by_one(single, LOCKED, framework)
    assert_same(grouped, single)
    assert grouped.column("SELECT file_name FROM submissions ORDER BY id") == [
        "ouj_2020.csv", "g_cas_2021.csv", "g_agd_2021.csv"]


def test_a_lock_taken_while_the_group_waits_rolls_it_back_and_each_file_gets_its_own_result(
        two, framework) -> None:
    grouped, single = two
    for store in two:
        load_file(store, (HEADER + "ASS-OUJ-030,R01,2020,60,\n").encode(), "ouj_2020.csv", framework=framework,
                  **OPTIONS)
    # each command's view is read before the lock: the commit's transaction is the first to see it
    digests = [sha256_hex(data) for _, data in LOCKED]
    states = [CommandState.load(store, digests) for store in two]
    for store in two:
        first = store.scalar("SELECT min(id) FROM submissions")
        store.write(lambda cur, first=first: cur.execute(
            "UPDATE submissions SET review_status = 'submitted' WHERE id = ?", [first]))
        approve(store, first, actor="cli:test")
    ahead = [(n, ReadAhead(data, sha256_hex(data))) for n, data in LOCKED]
    with pytest.raises(PeriodLocked):
        load_in_groups(grouped, ahead, states[0], framework=framework, **OPTIONS)
    with pytest.raises(PeriodLocked):  # the command as it was: each file in its own transaction
        for name, data in LOCKED:
            load_file(single, data, name, framework=framework, state=states[1], **OPTIONS)
    assert_same(grouped, single)
    refused = grouped.column("SELECT json_extract_string(detail, '$.status') FROM audit_log "
                             "WHERE action = 'upload_rejected'")
    assert refused == ["period_locked"]
    assert grouped.column("SELECT file_name FROM submissions ORDER BY id") == [
        "ouj_2020.csv", "g_cas_2021.csv", "g_agd_2021.csv"]


def test_the_workers_checks_are_kept_unless_an_earlier_file_of_the_command_stored_what_they_asked_about(
        two, framework, monkeypatch) -> None:
    monkeypatch.setattr(check_pool, "MIN_FILES", 1)
    monkeypatch.setattr(check_pool, "workers", lambda: 2)
    again = []
    monkeypatch.setattr(group_load, "check", lambda data, name, **kw: again.append(name) or check(data, name, **kw))
    grouped, _ = two
    in_groups(grouped, [(n, GENERATED[n].encode()) for n in ("g_fes_2022.csv", "g_cas_2021.csv", "g_fes_2022_psh.csv",
                                                              "g_agd_2021.csv")], framework)
    assert again == ["g_fes_2022_psh.csv"]  # it asked for FON-FES-007's 2022, which g_fes_2022.csv stored


@pytest.mark.backends("duckdb")
def test_workers_start_when_the_main_script_is_one_they_cannot_run(two, framework, monkeypatch, tmp_path) -> None:
    """A Streamlit page's script stands in as ``__main__`` (AppTest's does too): ``spawn`` would run it
    again in each worker, and a worker that fails there breaks the whole pool."""
    import sys
    import types

    script = tmp_path / "page.py"
    script.write_text("raise SystemExit('a page script run again in a worker')\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)
    monkeypatch.setattr(check_pool, "MIN_FILES", 1)
    monkeypatch.setattr(check_pool, "workers", lambda: 2)
    grouped, single = two
    batch = [(name, text.encode()) for name, text in GENERATED.items()]
    results = in_groups(grouped, batch, framework)
    assert sys.modules["__main__"] is page  # given back once the workers started
    assert [r.to_json("fr") for r in results] == [r.to_json("fr") for r in one_by_one(single, batch, framework)]


@pytest.mark.backends("duckdb")
def test_the_workers_are_handed_many_small_files_ahead_but_few_large_ones(framework, monkeypatch) -> None:
    """Small files go to the workers by the dozen ahead of the command (a group's commit must not leave
    them idle); beyond one file per worker, no more than ``AHEAD_BYTES`` are held."""
    import types

    handed: list[str] = []
    batch = [(name, GENERATED[name].encode()) for name in list(GENERATED)[:6]]

    def given():
        for name, data in batch:
            handed.append(name)
            yield name, ReadAhead(data, sha256_hex(data))

    def handed_before_the_first_is_taken() -> int:
        handed.clear()
        checked = check_pool.checked_ahead(given(), types.SimpleNamespace(known_orgs=frozenset()),
                                           framework=framework, member_org=None, today=None, count=2)
        _, _, first = next(checked)
        seen = len(handed)
        assert first.result().checked.file_name == batch[0][0]  # checked, in its turn
        checked.close()
        return seen

    assert handed_before_the_first_is_taken() == len(batch)
    monkeypatch.setattr(check_pool, "AHEAD_BYTES", 0)
    assert handed_before_the_first_is_taken() == 3  # one per worker, and the file that passed the bytes


def test_a_files_pairs_are_the_same_made_distinct_by_python_or_by_polars(monkeypatch) -> None:
    from store import group_commit

    rows = pl.DataFrame({"org_code": ["A", "A", "B", "A"], "period": ["2023", "2024", "2023", "2023"],
                         "value": [1.0, 2.0, 3.0, 4.0]})
    by_python = group_commit.pairs_of(rows)
    monkeypatch.setattr(group_commit, "FEW_ROWS", 0)
    assert group_commit.pairs_of(rows) == by_python == {("A", "2023"), ("A", "2024"), ("B", "2023")}


def test_a_groups_rows_are_stored_in_the_order_of_its_files_whatever_their_columns() -> None:
    from store.group_commit import _STORED_FROM_FILE, GroupItem, _stored_rows

    def item(values: list[float], extra: bool) -> GroupItem:
        rows = pl.DataFrame({c: [None] * len(values) for c in _STORED_FROM_FILE}, schema={
            c: pl.String for c in _STORED_FROM_FILE}).with_columns(pl.Series("value", values, pl.Float64))
        if extra:
            rows = rows.with_columns(pl.lit("x").alias("extra"))
        return GroupItem(rows, None, Path("raw"), [])  # type: ignore[arg-type]  (only the rows are read)

    same = _stored_rows([item([1.0, 2.0], False), item([3.0], False)])
    mixed = _stored_rows([item([1.0, 2.0], False), item([3.0], True)])
    assert same.columns == mixed.columns == list(_STORED_FROM_FILE)
    assert same.get_column("value").to_list() == mixed.get_column("value").to_list() == [1.0, 2.0, 3.0]
    reordered = _stored_rows([item([1.0], False), GroupItem(item([2.0], False).rows.select(
        list(reversed(_STORED_FROM_FILE))), None, Path("raw"), [])])  # type: ignore[arg-type]
    assert reordered.get_column("value").to_list() == [1.0, 2.0]
