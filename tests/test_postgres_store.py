"""PostgreSQL, the second backend: the dialect adapter, the schema, registered frames, concurrent writers.

The store's own behaviour runs on both backends in tests/test_store.py, tests/test_ingest_commit.py and
the security tests marked ``backends("duckdb", "postgres")``; here is what only the second backend adds.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

import settings
from store.db import DatabaseUrl, Store, configured_database, database_arg, migrations
from store.dialect import to_postgres
from store.postgres import PostgresStore


@pytest.fixture
def duck_store(tmp_path: Path):
    handle = Store(tmp_path / "athar.duckdb")
    yield handle
    handle.close()


# -- the dialect adapter ------------------------------------------------------------------------
def test_placeholders_are_rewritten_outside_string_literals_and_comments_only() -> None:
    sql = "SELECT '?', $name, ? -- what? $x\nFROM t WHERE a LIKE 'x%' AND b = $name AND c = \"col?\""
    assert to_postgres(sql, {"name": 1}) == (
        "SELECT '?', %(name)s, %s  \nFROM t WHERE a LIKE 'x%%' AND b = %(name)s AND c = \"col?\"")
    assert to_postgres("SELECT 'x%' WHERE d = 1.5::DOUBLE", None) == "SELECT 'x%' WHERE d = 1.5::DOUBLE PRECISION"


def test_nested_duckdb_functions_are_rewritten_from_the_inside_out() -> None:
    sql = "SELECT list_contains(?::VARCHAR[], arg_max(code, median(v)))"
    assert to_postgres(sql, [["a"]]) == (
        "SELECT ((array_agg(code ORDER BY percentile_cont(0.5) WITHIN GROUP (ORDER BY v) DESC) "
        "FILTER (WHERE percentile_cont(0.5) WITHIN GROUP (ORDER BY v) IS NOT NULL))[1] = ANY(%s::VARCHAR[]))")


_SAME_ANSWER = [
    ("median and quartiles", "SELECT median(v) AS m, quantile_cont(v, 0.25) AS q1, quantile_cont(v, 0.75) AS q3 "
                             "FROM (VALUES (1.0::DOUBLE), (2.0), (4.0), (10.0)) t(v)", None),
    ("median with a filter", "SELECT median(v) FILTER (WHERE v > 1) AS m FROM (VALUES (1.0::DOUBLE), (2.0), (4.0)) t(v)", None),
    ("arg_max skips null keys", "SELECT arg_max(k, v) AS k FROM (VALUES ('a', 1), ('b', 3), ('c', NULL)) t(k, v)",
     None),
    ("any_value skips nulls", "SELECT any_value(k) AS k FROM (VALUES (NULL), ('b')) t(k)", None),
    ("list_contains and list_position", "SELECT list_contains(?::VARCHAR[], 'b') AS has, "
                                        "list_position(?::VARCHAR[], 'c') AS pos", [["a", "b"], ["a", "b", "c"]]),
    ("a distinct ordered list", "SELECT list(DISTINCT k ORDER BY k) AS ks FROM (VALUES ('b'), ('a'), ('b')) t(k)",
     None),
    ("named parameters", "SELECT $a || $b AS ab, $a AS a", {"a": "x", "b": "y"}),
    ("dates as text", "SELECT strftime(DATE '2024-03-05', '%Y-%m') AS ym, quarter(DATE '2024-05-01') AS q, "
                      "month(DATE '2024-05-01') AS m", None),
    ("regular expressions", "SELECT regexp_extract('ab/cd/ef', '([^/]+/[^/]+)$', 1) AS tail, "
                            "regexp_full_match('abc', 'a.c') AS full, regexp_full_match('abcd', 'a.c') AS part", None),
    ("a JSON field", "SELECT json_extract_string('{\"sha256\": \"f00\"}', '$.sha256') AS sha", None),
    ("a list's length", "SELECT len(?::VARCHAR[]) AS n", [["a", "b", "c"]]),
    ("a range unnested, integer division", "SELECT unnest(range(1, 12 // 5 + 1)) AS sub ORDER BY sub", None),
    ("try_cast", "SELECT TRY_CAST(split_part('3.1', '.', 1) AS INTEGER) AS goal, "
                 "TRY_CAST(split_part('x.1', '.', 1) AS INTEGER) AS none", None),
    ("a JSON list unnested", "SELECT unnest(from_json('{\"sdg\": [\"1.2\", \"4.1\"]}'::JSON -> 'sdg', "
                             "'[\"VARCHAR\"]')) AS target ORDER BY target", None),
    ("subqueries without a name", "SELECT count(*) AS n FROM (SELECT DISTINCT k FROM (SELECT 1 AS k UNION ALL "
                                  "SELECT 1) WHERE k > 0)", None),
    ("an interval of months", "SELECT (make_date(2024, 4, 1) + to_months(3) - INTERVAL 1 DAY)::DATE AS last", None),
]


@pytest.mark.parametrize(("sql", "params"), [case[1:] for case in _SAME_ANSWER], ids=[c[0] for c in _SAME_ANSWER])
def test_one_duckdb_text_gives_the_same_answer_on_both_backends(pg_store, duck_store, sql, params) -> None:
    assert pg_store.query(sql, params).rows() == duck_store.query(sql, params).rows()


# -- the schema -----------------------------------------------------------------------------------
_COLUMNS = ("SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema IN ('main', 'public') ORDER BY table_name, column_name")
#: DuckDB's information_schema type → PostgreSQL's (the same values, spelt by each).
_SAME_TYPE = {"VARCHAR": "character varying", "BIGINT": "bigint", "INTEGER": "integer", "DOUBLE": "double precision",
              "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp without time zone", "JSON": "json",
              "VARCHAR[]": "ARRAY", "BIGINT[]": "ARRAY"}


def test_a_migrated_postgres_database_has_the_tables_columns_and_types_of_a_duckdb_file(
    pg_store, duck_store
) -> None:
    duck = duck_store.query(_COLUMNS)
    pg = pg_store.query(_COLUMNS)
    assert pg.select("table_name", "column_name").rows() == duck.select("table_name", "column_name").rows()
    assert pg_store.schema_version() == duck_store.schema_version() == len(migrations())
    mismatched = [(t, c, d, p) for (t, c, d), p in zip(duck.rows(), pg["data_type"], strict=True)
                  if _SAME_TYPE.get(d) != p]
    assert mismatched == []


def test_a_query_reads_the_column_types_duckdb_gives(pg_store, duck_store) -> None:
    sql = ("SELECT id, content_sha256, uploaded_at, row_count, report FROM submissions "
           "UNION ALL SELECT 1, 'x', TIMESTAMP '2024-01-01 10:00:00', 2, '[]'")
    assert pg_store.query(sql).schema == duck_store.query(sql).schema
    assert pg_store.query(sql).rows() == [(1, "x", datetime(2024, 1, 1, 10), 2, "[]")]  # JSON as text, as DuckDB


def test_a_bulk_read_through_adbc_equals_the_cursor_read(pg_store) -> None:
    pg_store.write(lambda cur: cur.execute(
        "CREATE TABLE big AS SELECT i::BIGINT AS id, 'ORG-' || (i % 20) AS org, i / 7.0 AS value, "
        "DATE '2024-01-01' + (i % 365) AS day FROM generate_series(1, 20000) i"))
    sql = "SELECT id, org, value::DOUBLE AS value, day FROM big WHERE org = ? ORDER BY id"
    bulk = pg_store.query_bulk(sql, ["ORG-3"])
    assert bulk.height == 1000 and bulk.equals(pg_store.query(sql, ["ORG-3"]))


# -- registered frames ---------------------------------------------------------------------------
def test_a_registered_frame_keeps_nulls_empty_texts_quotes_arabic_dates_and_lists(pg_store) -> None:
    frame = pl.DataFrame({
        "text": ["", None, 'il a dit "oui", puis non', "جمعية الأمل", "a\nb;c\\d"],
        "n": [1, None, 3, 4, 5],
        "x": [0.1, 2.5, None, -1e-9, 1e12],
        "day": [date(2024, 2, 29), None, date(1999, 12, 31), date(2024, 1, 1), date(2024, 1, 2)],
        "at": [datetime(2024, 1, 1, 10, 0, 0, 123456), None, None, None, datetime(2025, 6, 1)],
        "ok": [True, False, None, True, False],
        "tags": [["a", 'b"c'], None, [], ["ش"], ["x,y", None]],
    })

    def round_trip(cur) -> pl.DataFrame:
        cur.register("incoming", frame)
        try:
            return cur.sql("SELECT * FROM incoming").pl()
        finally:
            cur.unregister("incoming")

    assert pg_store.write(round_trip).equals(frame)
    assert pg_store.scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'incoming'") == 0


def test_rows_copied_into_a_table_in_slices_keep_nulls_empty_texts_and_arabic_and_roll_back_with_the_write(
    pg_store, monkeypatch
) -> None:
    import store.postgres

    monkeypatch.setattr(store.postgres, "_COPY_SLICE", 2)  # five rows in three slices
    frame = pl.DataFrame({"text": ["", None, 'il a dit "oui"', "جمعية الأمل", "a\nb;c"], "n": [1, None, 3, 4, 5],
                          "day": [date(2024, 2, 29), None, date(1999, 12, 31), date(2024, 1, 1), None]})
    pg_store.write(lambda cur: cur.execute("CREATE TABLE copied (n BIGINT, text VARCHAR, day DATE, extra VARCHAR)"))
    pg_store.write(lambda cur: cur.copy_rows("copied", frame))
    back = pg_store.query("SELECT text, n, day, extra FROM copied ORDER BY n NULLS FIRST")
    assert back.drop("extra").sort("n", nulls_last=False).equals(frame.sort("n", nulls_last=False))
    assert back["extra"].null_count() == 5

    def fails(cur) -> None:
        cur.copy_rows("copied", frame)
        raise RuntimeError("after the copy")

    with pytest.raises(RuntimeError):
        pg_store.write(fails)
    assert pg_store.scalar("SELECT count(*) FROM copied") == 5


def test_a_frame_registered_in_a_failed_write_leaves_nothing_behind(pg_store) -> None:
    def fails(cur) -> None:
        cur.register("incoming_rows", pl.DataFrame({"code": ["A"]}))
        try:
            cur.execute("INSERT INTO organizations (code) SELECT code FROM incoming_rows")  # NOT NULL columns
        finally:
            cur.unregister("incoming_rows")

    with pytest.raises(Exception, match="null value"):
        pg_store.write(fails)
    assert pg_store.scalar("SELECT count(*) FROM organizations") == 0


# -- several processes --------------------------------------------------------------------------
def test_writes_through_two_handles_on_one_database_are_serialised_by_the_database(pg_cluster, tmp_path) -> None:
    """Two handles stand for two processes (each has its own lock): a read-then-insert in each write would
    lose or repeat numbers unless the database serialises the writes."""
    url = pg_cluster.fresh_database()
    first, second = (PostgresStore(url, raw_dir=tmp_path / "raw") for _ in range(2))
    first.write(lambda cur: cur.execute("CREATE TABLE counter (n INTEGER)"))
    errors: list[BaseException] = []

    def next_number(cur) -> None:
        n = cur.execute("SELECT coalesce(max(n), 0) FROM counter").fetchall()[0][0]
        cur.execute("SELECT pg_sleep(0.001)")
        cur.execute("INSERT INTO counter VALUES (?)", [n + 1])

    def worker(handle: PostgresStore) -> None:
        try:
            for _ in range(40):
                handle.write(next_number)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(h,)) for h in (first, second, first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert first.column("SELECT n FROM counter ORDER BY n") == list(range(1, 161))
    finally:
        first.close()
        second.close()
        pg_cluster.drop_database(url)


def test_a_second_handle_on_a_migrated_database_applies_no_migration(pg_store) -> None:
    again = PostgresStore(pg_store.url, raw_dir=pg_store.raw_dir)
    try:
        assert again.migrate() == [] and again.schema_version() == len(migrations())
    finally:
        again.close()


# -- selecting the backend -----------------------------------------------------------------------
def test_the_database_url_setting_selects_postgres_and_the_file_stays_the_default(monkeypatch) -> None:
    monkeypatch.delenv("ATHAR_DATABASE_URL", raising=False)
    assert configured_database(Path("data/athar.duckdb")) == Path("data/athar.duckdb")
    monkeypatch.setenv("ATHAR_DATABASE_URL", "postgresql://athar:secret@db/athar")
    assert configured_database(Path("data/athar.duckdb")) == "postgresql://athar:secret@db/athar"
    assert "ATHAR_DATABASE_URL" in settings.SETTINGS


def test_a_database_url_on_the_command_line_is_printed_without_its_password() -> None:
    url = database_arg("postgresql://athar:s3cret@db-host:5432/athar")
    assert isinstance(url, DatabaseUrl) and url.exists() and url.is_file()
    assert f"{url}" == "postgresql://athar:***@db-host:5432/athar" and "s3cret" in str(url)
    assert database_arg("data/athar.duckdb") == Path("data/athar.duckdb")


def test_a_literal_a_rewrite_adds_is_never_read_as_a_parameter(pg_store) -> None:
    sql = "SELECT regexp_full_match($name, $pattern) AS ok"
    assert pg_store.query(sql, {"name": "alice", "pattern": "[a-z]+"}).rows() == [(True,)]
    assert "'^(?:'" in to_postgres(sql, {"name": "x", "pattern": "y"})


def test_a_list_literal_becomes_an_array_and_a_subscript_stays() -> None:
    sql = "UPDATE s SET pages = ['a', 'b'] WHERE tags[1] = 'x' AND (regexp_match(a, b))[2] = ARRAY['y'][1]"
    assert to_postgres(sql, None) == (
        "UPDATE s SET pages = ARRAY['a', 'b'] WHERE tags[1] = 'x' AND (regexp_match(a, b))[2] = ARRAY['y'][1]")


def test_four_command_line_loads_at_once_on_one_database_lose_nothing(pg_store, framework, tmp_path, monkeypatch) -> None:
    """Four processes write to one PostgreSQL database at the same time (DuckDB would refuse all but one)."""
    import subprocess
    import sys

    from conftest import REPO, SAMPLES

    from ingest.orgs import read_org_file
    from store.registry import upsert_organizations

    parsed = read_org_file((SAMPLES / "organizations.csv").read_bytes(), "organizations.csv", framework)
    upsert_organizations(pg_store, parsed.rows, actor="cli:test")
    monkeypatch.setenv("ATHAR_DB", str(tmp_path / "athar.duckdb"))  # the processes' shared raw/ folder
    orgs = ["ASS-CAS-001", "ASS-RBT-014", "FON-FES-007", "COO-AGD-021"]
    files = []
    for n, org in enumerate(orgs):
        path = tmp_path / f"load{n}.csv"
        lines = [f"{org},{ind},{2015 + n}-Q{q},{10 * n + q}" for ind in ("R01", "R03") for q in range(1, 5)]
        path.write_text("org_code,indicator_code,period,value\n" + "\n".join(lines) + "\n", encoding="utf-8")
        files.append(path)
    loads = [subprocess.Popen([sys.executable, "-m", "ingest", "load", str(f), "--db", pg_store.url], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for f in files]
    outcomes = [(p.wait(timeout=300), p.stderr.read().decode()) for p in loads]
    assert [code for code, _ in outcomes] == [0] * 4, outcomes
    assert pg_store.scalar("SELECT count(*) FROM submissions") == 4
    assert pg_store.scalar("SELECT count(*) FROM observations_current") == 4 * 8
    assert pg_store.scalar("SELECT count(*) FROM audit_log WHERE action = 'upload'") == 4
    assert sorted(pg_store.column("SELECT DISTINCT org_code FROM observations")) == sorted(orgs)
