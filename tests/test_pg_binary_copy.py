"""PostgreSQL's binary COPY of a frame (store/pg_binary.py): the rows stored are those the CSV COPY stored.

Every test runs the real COPY on a throwaway cluster (``pg_cluster``); the CSV path is switched off
(``store.postgres._csv_buffer`` raises) where a test must prove the binary one was taken, and switched
on (``binary_plan`` answers None) where the two are compared.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import psycopg
import pytest
from conftest import SAMPLES

import store.postgres
from ingest.pipeline import load_file, load_path
from store.db import Store
from store.pg_binary import RowEncoder, binary_plan

pytestmark = pytest.mark.backends("duckdb", "postgres")

_TABLE = ("CREATE TABLE copied (big BIGINT, small SMALLINT, mid INTEGER, x DOUBLE PRECISION, r REAL, ok BOOLEAN, "
          "day DATE, at TIMESTAMP, text VARCHAR, extra VARCHAR)")


@pytest.fixture
def no_csv(monkeypatch):
    def refuse(frame):
        raise AssertionError("the CSV path was taken")

    monkeypatch.setattr(store.postgres, "_csv_buffer", refuse)


def awkward_frame() -> pl.DataFrame:
    return pl.DataFrame({
        "big": [2**62, -(2**63) + 1, None, 0, -1, 7],
        "small": pl.Series([32767, -32768, None, 0, 1, 2], dtype=pl.Int16),
        "mid": pl.Series([2**31 - 1, -(2**31), None, 3, 4, 5], dtype=pl.Int32),
        "x": [1e308, -1e-308, None, -0.0, 0.1, -123456789.125],
        "r": pl.Series([0.1, -3.5, None, 1e38, 0.0, 2.5], dtype=pl.Float32),
        "ok": [True, False, None, True, False, True],
        "day": [date(1999, 12, 31), date(2000, 1, 1), None, date(1900, 2, 28), date(2100, 12, 31), date(2024, 2, 29)],
        "at": [datetime(2000, 1, 1), datetime(1999, 12, 31, 23, 59, 59, 999999), None,
               datetime(1970, 1, 1, 0, 0, 0, 1), datetime(2026, 12, 6, 16, 32, 40, 114479), datetime(2200, 1, 1)],
        "text": ["", None, 'il a dit "oui", puis non', "جمعية الأمل للتنمية", "a\nb;c\\d\t", "ش" * 300],
    })


def stored(pg_store: Store) -> pl.DataFrame:
    return pg_store.query("SELECT big, small, mid, x, r, ok, day, at, text, extra FROM copied ORDER BY big NULLS LAST")


@pytest.mark.backends("postgres")
def test_rows_copied_as_binary_keep_nulls_empty_texts_arabic_dates_times_and_extreme_numbers(
    pg_store, no_csv, monkeypatch
) -> None:
    monkeypatch.setattr(store.postgres, "_COPY_SLICE", 4)  # six rows in two slices
    frame = awkward_frame()
    pg_store.write(lambda cur: cur.execute(_TABLE))
    pg_store.write(lambda cur: cur.copy_rows("copied", frame))
    back = stored(pg_store)
    assert back.drop("extra").equals(frame.sort("big", nulls_last=True))
    assert back["extra"].null_count() == frame.height
    assert back.filter(pl.col("text") == "")["big"].to_list() == [2**62]  # '' is not NULL
    assert back.filter(pl.col("text").is_null())["big"].to_list() == [-(2**63) + 1]


@pytest.mark.backends("postgres")
def test_a_binary_copy_stores_exactly_what_the_csv_copy_stored(pg_store, monkeypatch) -> None:
    frame = awkward_frame().with_columns(pl.Series("x", [float("nan"), float("inf"), None, -0.0, 1.5, 2.5]))
    pg_store.write(lambda cur: cur.execute(_TABLE))
    pg_store.write(lambda cur: cur.copy_rows("copied", frame))
    binary = stored(pg_store)
    pg_store.write(lambda cur: cur.execute("TRUNCATE copied"))
    monkeypatch.setattr(store.postgres, "binary_plan", lambda schema, types: None)
    pg_store.write(lambda cur: cur.copy_rows("copied", frame))
    as_text = pl.col("x").cast(pl.String)  # NaN and -0.0 compared as PostgreSQL gave them
    assert stored(pg_store).with_columns(as_text).equals(binary.with_columns(as_text))
    assert pg_store.scalar("SELECT count(*) FROM copied WHERE x = 'NaN'::float8") == 1


@pytest.mark.backends("postgres")
def test_texts_of_many_lengths_and_columns_all_null_go_through_the_binary_copy(pg_store, no_csv) -> None:
    texts = [("é" * (n % 7)) + "x" * n for n in range(400)]
    frame = pl.DataFrame({"text": texts, "big": list(range(400)), "extra": pl.Series([None] * 400, dtype=pl.Null)})
    pg_store.write(lambda cur: cur.execute(_TABLE))
    pg_store.write(lambda cur: cur.copy_rows("copied", frame))
    back = pg_store.query("SELECT text, big, extra FROM copied ORDER BY big")
    assert back["text"].to_list() == texts and back["extra"].null_count() == 400


@pytest.mark.backends("postgres")
def test_columns_binary_cannot_carry_exactly_go_as_csv_and_keep_their_values(pg_store) -> None:
    nanos = pl.Series("at", [datetime(2024, 1, 1, 0, 0, 0, 1)], dtype=pl.Datetime("ns"))
    assert binary_plan(pl.Schema({"at": nanos.dtype}), {"at": "timestamp"}) is None
    assert binary_plan(pl.Schema({"big": pl.UInt64()}), {"big": "int8"}) is None
    assert binary_plan(pl.Schema({"text": pl.Int64()}), {"text": "varchar"}) is None
    frame = pl.DataFrame({"big": pl.Series([2**62], dtype=pl.UInt64), "at": nanos})
    pg_store.write(lambda cur: cur.execute(_TABLE))
    pg_store.write(lambda cur: cur.copy_rows("copied", frame))
    assert pg_store.query("SELECT big, at FROM copied").row(0) == (2**62, datetime(2024, 1, 1, 0, 0, 0, 1))


@pytest.mark.backends("postgres")
def test_a_copy_failing_in_its_last_slice_leaves_nothing_of_the_earlier_slices(pg_store, monkeypatch) -> None:
    monkeypatch.setattr(store.postgres, "_COPY_SLICE", 2)
    pg_store.write(lambda cur: cur.execute("CREATE TABLE strict (n BIGINT NOT NULL, text VARCHAR)"))
    frame = pl.DataFrame({"n": [1, 2, 3, 4, None], "text": ["a", "b", "c", "d", "e"]})
    with pytest.raises(psycopg.errors.NotNullViolation):
        pg_store.write(lambda cur: cur.copy_rows("strict", frame))
    assert pg_store.scalar("SELECT count(*) FROM strict") == 0
    bad_text = pl.DataFrame({"n": [1, 2, 3], "text": ["a", "b", "nul \x00 byte"]})  # PostgreSQL refuses NUL
    with pytest.raises(psycopg.errors.DataError):
        pg_store.write(lambda cur: cur.copy_rows("strict", bad_text))
    assert pg_store.scalar("SELECT count(*) FROM strict") == 0


def test_a_commit_failing_in_the_middle_of_its_copy_stores_no_row_submission_or_audit_entry(
    sample_orgs_store, framework, monkeypatch
) -> None:
    import store.submissions as submissions

    monkeypatch.setattr(store.postgres, "_COPY_SLICE", 3)
    real = submissions._incoming_rows

    def last_row_broken(rows: pl.DataFrame):  # a value the table refuses, in the COPY's last slice
        incoming, empty = real(rows)
        frame = incoming.frame.with_columns(
            pl.when(pl.int_range(pl.len()) == pl.len() - 1).then(None).otherwise(pl.col("unit")).alias("unit"))
        return type(incoming)(frame), empty

    monkeypatch.setattr(submissions, "_incoming_rows", last_row_broken)
    audit_before = sample_orgs_store.scalar("SELECT count(*) FROM audit_log")
    with pytest.raises(Exception) as failed:  # noqa: PT011 (DuckDB reports its aborted transaction)
        load_path(sample_orgs_store, SAMPLES / "01_utf8_comma_lf.csv", framework=framework)
    if hasattr(sample_orgs_store, "url"):
        assert isinstance(failed.value, psycopg.errors.NotNullViolation)
    assert sample_orgs_store.scalar("SELECT count(*) FROM observations") == 0
    assert sample_orgs_store.scalar("SELECT count(*) FROM submissions") == 0
    assert sample_orgs_store.scalar("SELECT count(*) FROM audit_log") == audit_before


def test_a_file_with_nan_or_infinite_values_is_refused_and_stores_nothing(sample_orgs_store, framework) -> None:
    data = b"org_code,indicator_code,period,value\nASS-CAS-001,R01,2024-Q1,NaN\nASS-CAS-001,R03,2024-Q1,inf\n"
    result = load_file(sample_orgs_store, data, "nan.csv", framework=framework)
    assert result.status == "rejected"
    assert sample_orgs_store.scalar("SELECT count(*) FROM observations") == 0
    assert sample_orgs_store.scalar("SELECT count(*) FROM submissions") == 0


@pytest.mark.backends("postgres")
def test_a_registered_frame_of_categories_small_and_unsigned_integers_and_milliseconds_goes_as_binary(
    pg_store, no_csv
) -> None:
    frame = pl.DataFrame({
        "c": pl.Series(["a", None, "ب"], dtype=pl.Categorical), "e": pl.Series(["x", "y", None], dtype=pl.Enum(["x", "y"])),
        "u": pl.Series([1, None, 2**32 - 1], dtype=pl.UInt32), "i8": pl.Series([-128, 0, None], dtype=pl.Int8),
        "ms": pl.Series([datetime(2024, 1, 1, 1, 2, 3, 4000), None, datetime(1999, 1, 1)], dtype=pl.Datetime("ms")),
    })

    def round_trip(cur) -> pl.DataFrame:
        cur.register("incoming", frame)
        try:
            return cur.sql("SELECT * FROM incoming").pl()
        finally:
            cur.unregister("incoming")

    back = pg_store.write(round_trip)
    assert back.rows() == frame.rows()
    assert back.schema == pl.Schema({"c": pl.String(), "e": pl.String(), "u": pl.Int64(), "i8": pl.Int16(),
                                     "ms": pl.Datetime("us")})


@pytest.mark.backends("postgres")
def test_code_columns_are_sent_by_their_distinct_values_and_come_back_as_they_were(
    pg_store, no_csv, monkeypatch
) -> None:
    monkeypatch.setattr(store.postgres, "_COPY_SLICE", 700)  # three slices
    rows = 2000
    frame = pl.DataFrame({
        "text": pl.Series(["BEN-00001", "جمعية", "", None, "R01"] * (rows // 5)),  # few values, of several lengths
        "extra": [f"{'x' * (n % 13)}-{n}" for n in range(rows)],  # every value different
        "day": [date(2024, 1 + n % 12, 1) for n in range(rows)], "big": list(range(rows)),
        "mid": pl.Series([None if n % 7 == 0 else n for n in range(rows)], dtype=pl.Int32),
    })
    plan = binary_plan(frame.schema, {"text": "varchar", "extra": "varchar", "day": "date", "big": "int8",
                                      "mid": "int4"})
    encoder = RowEncoder(frame, plan)
    assert set(encoder.dictionaries) == {"text"}
    # Sent first, at the same place in every row: the columns of one width without NULL.
    assert [name for name, _ in encoder.columns] == ["day", "big", "mid", "text", "extra"]
    pg_store.write(lambda cur: cur.execute(_TABLE))
    pg_store.write(lambda cur: cur.copy_rows("copied", frame))
    back = pg_store.query("SELECT text, extra, day, big, mid FROM copied ORDER BY big")
    assert back.equals(frame)


def test_a_column_of_codes_all_of_one_length_is_written_with_the_numbers_in_one_record_per_row() -> None:
    frame = pl.DataFrame({"period": ["2024-Q1", "2024-Q2"] * 50, "big": list(range(100)), "x": [0.5] * 100})
    plan = binary_plan(frame.schema, {"period": "varchar", "big": "int8", "x": "float8"})
    encoder = RowEncoder(frame, plan)
    assert encoder.head == encoder.columns  # nothing written after the record: rows of one width
    rows = encoder.rows(0, 100).reshape(100, -1)
    assert rows.shape[1] == 2 + (4 + 8) * 2 + 4 + 7
    assert bytes(rows[1, -11:]) == b"\x00\x00\x00\x072024-Q2"


@pytest.mark.backends("postgres")
def test_a_copy_of_many_slices_through_a_queue_of_one_chunk_stores_every_row_in_order(pg_store, monkeypatch) -> None:
    monkeypatch.setattr(store.postgres, "_COPY_SLICE", 50)
    monkeypatch.setattr(store.postgres, "_QUEUED_CHUNKS", 1)  # the writer waits for the server at every chunk
    frame = pl.DataFrame({"big": list(range(1000)), "text": [f"ligne {n}" for n in range(1000)]})
    pg_store.write(lambda cur: cur.execute(_TABLE))
    pg_store.write(lambda cur: cur.copy_rows("copied", frame))
    assert pg_store.query("SELECT big, text FROM copied ORDER BY big").equals(frame)


@pytest.mark.backends("postgres")
def test_a_column_all_null_is_left_out_of_the_copy_yet_a_column_with_a_default_still_receives_its_nulls(
    pg_store, monkeypatch
) -> None:
    statements: list[str] = []
    copy = psycopg.Cursor.copy

    def seen(self, statement, *args, **kwargs):
        statements.append(str(statement))
        return copy(self, statement, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "copy", seen)
    pg_store.write(lambda cur: cur.execute(
        "CREATE TABLE defaults (n BIGINT, plain VARCHAR, kept VARCHAR DEFAULT 'défaut', day DATE)"))
    frame = pl.DataFrame({"n": [1, 2, 3], "plain": pl.Series([None] * 3, dtype=pl.String),
                          "kept": pl.Series([None] * 3, dtype=pl.String), "day": pl.Series([None] * 3, dtype=pl.Date)})
    pg_store.write(lambda cur: cur.copy_rows("defaults", frame))
    assert '"plain"' not in statements[-1] and '"day"' not in statements[-1] and '"kept"' in statements[-1]
    back = pg_store.query("SELECT n, plain, kept, day FROM defaults ORDER BY n")
    assert back["n"].to_list() == [1, 2, 3]
    assert back.select(pl.all().exclude("n").null_count()).row(0) == (3, 3, 3)  # NULL, not the default
    only_nulls = pl.DataFrame({"plain": pl.Series([None], dtype=pl.String)})  # nothing left to leave out
    pg_store.write(lambda cur: cur.copy_rows("defaults", only_nulls))
    assert pg_store.scalar("SELECT count(*) FROM defaults WHERE n IS NULL AND kept = 'défaut'") == 1


@pytest.mark.backends("postgres")
def test_codes_of_one_length_in_the_packed_record_of_every_slice_come_back_in_their_rows(
    pg_store, no_csv, monkeypatch
) -> None:
    monkeypatch.setattr(store.postgres, "_COPY_SLICE", 300)  # four slices, each finding its own rows' codes
    periods = [f"{2019 + n % 6}-Q{1 + n % 4}" for n in range(1000)]
    frame = pl.DataFrame({"text": periods, "big": list(range(1000)),
                          "day": [date(2024, 1, 1 + n % 28) for n in range(1000)]})
    encoder = RowEncoder(frame, binary_plan(frame.schema, {"text": "varchar", "big": "int8", "day": "date"}))
    assert encoder.head == encoder.columns and set(encoder.dictionaries) == {"text"}
    pg_store.write(lambda cur: cur.execute(_TABLE))
    pg_store.write(lambda cur: cur.copy_rows("copied", frame))
    assert pg_store.query("SELECT text, big, day FROM copied ORDER BY big").equals(frame)
