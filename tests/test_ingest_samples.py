"""Every shared sample gives exactly what INDEX.json says, through the real load path."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from conftest import SAMPLES

from framework.model import fold
from ingest.pipeline import load_path

INDEX_FILES = [
    "01_utf8_comma_lf.csv", "02_excel_utf8_bom_comma_crlf.csv", "03_excel_fr_utf8_bom_semicolon_decimal_comma.csv",
    "04_excel_fr_cp1252_semicolon_arabic_lost.csv", "05_excel_ar_cp1256_semicolon_decimal_comma.csv",
    "06_excel_ar_cp1256_comma.csv", "07_excel_unicode_text_utf16le_tab.txt", "08_fr_thousands_nbsp.csv",
    "09_fr_thousands_narrow_nbsp.csv", "10_arabic_indic_digits.csv", "11_extended_arabic_indic_digits.csv",
    "12_mojibake_double_encoded.csv", "13_excel_leftovers_french_headers.csv", "14_row_errors.csv",
    "15_hostile_strings.csv", "16_excel_workbook.xlsx",
]


def stored(store) -> pl.DataFrame:
    return store.query(
        "SELECT line, org_code, indicator_code, period, value, unit, notes FROM observations_current ORDER BY line"
    )


def test_index_lists_the_files_we_test(samples_index) -> None:
    assert sorted(samples_index["files"]) == sorted(INDEX_FILES)


@pytest.mark.parametrize("name", INDEX_FILES)
def test_sample_gives_what_the_index_says(name: str, samples_index, sample_orgs_store, framework) -> None:
    spec = samples_index["files"][name]
    store = sample_orgs_store
    result = load_path(store, SAMPLES / name, framework=framework)
    if spec["expect"] == "reject":
        assert result.status == "rejected"
        errors = result.issues.filter(pl.col("severity") == "error")
        per_line = errors.group_by("line").len().sort("line")
        assert per_line["line"].to_list() == spec["error_lines"]
        assert per_line["len"].to_list() == [1] * len(spec["error_lines"]), errors
        assert store.scalar("SELECT count(*) FROM observations") == 0
        assert store.scalar("SELECT count(*) FROM submissions") == 0
        return
    assert result.status == "accepted", result.report("en").to_dicts()
    assert result.error_count == 0
    if spec["expect"] == "accept_with_warning":
        assert result.warning_count >= 1
    else:
        assert result.warning_count == 0, result.report("en").to_dicts()
    rows = stored(store)
    assert rows.height == spec["rows"]
    canonical = samples_index["canonical_rows"][: spec["rows"]]
    if name == "15_hostile_strings.csv":
        canonical = None
    else:
        assert sum(Decimal(str(v)) for v in rows["value"]) == Decimal(samples_index["sum_value"])
        by_org = rows.group_by("org_code").agg(pl.col("value").sum())
        for org, total in by_org.iter_rows():
            assert Decimal(str(round(total, 6))).normalize() == Decimal(samples_index["sum_by_org"][org]).normalize()
    if canonical:
        aliases = framework.unit_alias_table()
        for got, (org, indicator, period, value, unit, notes) in zip(rows.iter_rows(named=True), canonical, strict=True):
            assert (got["org_code"], got["indicator_code"], got["period"]) == (org, indicator, period)
            assert Decimal(str(got["value"])) == Decimal(value)
            assert got["unit"] == aliases[fold(unit)]
            if spec["expect"] == "accept":
                assert got["notes"] == notes


def test_hostile_strings_are_stored_verbatim(sample_orgs_store, framework) -> None:
    import csv
    import io

    text = (SAMPLES / "15_hostile_strings.csv").read_text(encoding="utf-8")
    expected = [row["notes"] for row in csv.DictReader(io.StringIO(text, newline=""))]
    load_path(sample_orgs_store, SAMPLES / "15_hostile_strings.csv", framework=framework)
    assert stored(sample_orgs_store)["notes"].to_list() == expected
    assert sample_orgs_store.scalar("SELECT count(*) FROM observations") == 8  # the DROP TABLE did nothing


def test_hidden_sheet_of_the_workbook_is_never_imported(sample_orgs_store, framework) -> None:
    load_path(sample_orgs_store, SAMPLES / "16_excel_workbook.xlsx", framework=framework)
    assert 999999.0 not in stored(sample_orgs_store)["value"].to_list()


def test_title_rows_above_the_header_are_skipped_and_lines_stay_excel_lines(sample_orgs_store, framework, tmp_path) -> None:
    path = tmp_path / "titled.csv"
    path.write_text("Rapport annuel 2024;;;\n;;;\norg_code;indicator_code;period;value\n"
                    "ASS-CAS-001;R01;2024;1250\nASS-CAS-001;R03;2024;N/A\n", encoding="utf-8")
    result = load_path(sample_orgs_store, path, framework=framework)
    assert result.status == "rejected"
    assert result.issues.select("line", "code").rows() == [(5, "not_a_number")]


def test_title_rows_in_a_workbook(sample_orgs_store, framework, tmp_path) -> None:
    import xlsxwriter

    path = tmp_path / "titled.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Feuil1")
    sheet.write(0, 0, "Association Al Amal — indicateurs 2024")
    for col, text in enumerate(["Organisation", "Indicateur", "Période", "Valeur"]):
        sheet.write(2, col, text)
    for col, cell in enumerate(["ASS-CAS-001", "R01", "2024", 1250]):
        sheet.write(3, col, cell)
    book.close()
    result = load_path(sample_orgs_store, path, framework=framework)
    assert result.status == "accepted", result.report("en").to_dicts()
    assert stored(sample_orgs_store).select("line", "value").rows() == [(4, 1250.0)]
