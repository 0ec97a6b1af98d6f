"""Submission templates: what a member downloads before filling in a period's values."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from conftest import reopen_demo_periods

from framework.model import UnitKind, fold, load_framework
from i18n import LANGUAGES, t
from ingest.columns import match_header
from ingest.template import (
    CSV_DELIMITERS,
    TARGET_INSTRUCTIONS,
    TEMPLATE_COLUMNS,
    column_text,
    template_main,
    write_template,
)

ORG = "ASS-CAS-001"
FRAMEWORK = load_framework()
SUBMITTABLE = [ind for ind in FRAMEWORK.indicators if not ind.derived]


@pytest.fixture(scope="module")
def csv_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("csv")
    return {
        lang: write_template(FRAMEWORK, ORG, "2024-Q2", lang, "csv", folder / f"t_{lang}.csv")
        for lang in LANGUAGES
    }


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, openpyxl.Workbook]:
    folder = tmp_path_factory.mktemp("xlsx")
    paths = {
        lang: write_template(FRAMEWORK, ORG, "2024", lang, "xlsx", folder / f"t_{lang}.xlsx")
        for lang in LANGUAGES
    }
    return {lang: openpyxl.load_workbook(path) for lang, path in paths.items()}


def _csv_rows(path: Path, lang: str) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=CSV_DELIMITERS[lang]))


def _data_rows(wb: openpyxl.Workbook) -> list[tuple]:
    return [row for row in wb.worksheets[0].iter_rows(values_only=True) if any(v is not None for v in row)]


# -- CSV -------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGUAGES)
def test_csv_starts_with_bom_and_uses_crlf(csv_files: dict[str, Path], lang: str) -> None:
    raw = csv_files[lang].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == len(SUBMITTABLE) + 1
    assert b"\n" not in raw.replace(b"\r\n", b"")


@pytest.mark.parametrize(("lang", "delimiter"), [("fr", ";"), ("ar", ";"), ("en", ",")])
def test_csv_delimiter_is_what_excel_expects_in_that_language(
    csv_files: dict[str, Path], lang: str, delimiter: str
) -> None:
    """Every text cell is quoted, so no other separator can split one (see ``ingest.safe_write``)."""
    header_line = csv_files[lang].read_bytes().decode("utf-8-sig").split("\r\n")[0]
    assert header_line == delimiter.join(f'"{c}"' for c in TEMPLATE_COLUMNS)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_csv_lists_each_submittable_indicator_once_with_org_period_and_unit(
    csv_files: dict[str, Path], lang: str
) -> None:
    header, *rows = _csv_rows(csv_files[lang], lang)
    assert tuple(header) == TEMPLATE_COLUMNS
    assert [r[1] for r in rows] == [ind.code for ind in SUBMITTABLE]
    assert "S01" not in {r[1] for r in rows}
    for row, ind in zip(rows, SUBMITTABLE, strict=True):
        record = dict(zip(header, row, strict=True))
        assert record["org_code"] == ORG and record["period"] == "2024-Q2"
        assert record["indicator_name"] == ind.name.get(lang)
        assert record["unit"] == FRAMEWORK.unit_of(ind.code).name.get(lang)
        assert record["value"] == record["notes"] == record["source"] == ""


def test_csv_quotes_names_containing_the_delimiter(tmp_path: Path) -> None:
    path = write_template(FRAMEWORK, ORG, "2024", "en", "csv", tmp_path / "t.csv")
    assert '"Young people not in education, employment or training supported"' in path.read_text("utf-8-sig")


def test_template_headers_are_recognised_by_the_importer() -> None:
    assert [match_header(name) for name in TEMPLATE_COLUMNS] == list(TEMPLATE_COLUMNS)


def test_units_in_template_are_recognised_unit_aliases() -> None:
    aliases = FRAMEWORK.unit_alias_table()
    for lang in LANGUAGES:
        for ind in SUBMITTABLE:
            assert aliases[fold(FRAMEWORK.unit_of(ind.code).name.get(lang))] == ind.unit


# -- XLSX ------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGUAGES)
def test_xlsx_sheets_data_first_instructions_visible_lists_hidden(
    workbooks: dict[str, openpyxl.Workbook], lang: str
) -> None:
    wb = workbooks[lang]
    expected = [
        t("template.data_sheet", lang),
        t("template.instructions_sheet", lang),
        t("narr.template.sheet", lang),
        t("template.lists_sheet", lang),
    ]
    assert wb.sheetnames == expected
    assert [ws.sheet_state for ws in wb.worksheets] == ["visible", "visible", "visible", "hidden"]
    assert wb.active.title == expected[0]
    assert expected[0] in {"Données", "Data", "البيانات"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_xlsx_data_rows_prefilled_in_language(workbooks: dict[str, openpyxl.Workbook], lang: str) -> None:
    header, *rows = _data_rows(workbooks[lang])
    assert header == TEMPLATE_COLUMNS
    assert [r[1] for r in rows] == [ind.code for ind in SUBMITTABLE]
    for row, ind in zip(rows, SUBMITTABLE, strict=True):
        assert row[0] == ORG and row[3] == "2024"
        assert row[2] == ind.name.get(lang)
        assert row[5] == FRAMEWORK.unit_of(ind.code).name.get(lang)
        assert row[4] is None


@pytest.mark.parametrize("lang", LANGUAGES)
def test_xlsx_header_frozen_commented_and_value_cells_unlocked(
    workbooks: dict[str, openpyxl.Workbook], lang: str
) -> None:
    ws = workbooks[lang].worksheets[0]
    assert ws.freeze_panes == "A2"
    assert ws.protection.sheet
    assert t("template.help_value", lang) in ws["E1"].comment.text
    assert t("template.label_org_code", lang) in ws["A1"].comment.text
    for row in range(2, len(SUBMITTABLE) + 2):
        assert ws.cell(row, 5).protection.locked is False
        assert ws.cell(row, 1).protection.locked is True
    assert ws.cell(2, 5).number_format == "0"  # R01: persons, whole numbers
    assert ws.column_dimensions["C"].width > ws.column_dimensions["A"].width


@pytest.mark.parametrize("lang", LANGUAGES)
def test_xlsx_dropdowns_for_indicator_and_unit_come_from_lists_sheet(
    workbooks: dict[str, openpyxl.Workbook], lang: str
) -> None:
    wb = workbooks[lang]
    ws, lists = wb.worksheets[0], wb[t("template.lists_sheet", lang)]
    by_range = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    codes_dv = next(dv for ref, dv in by_range.items() if ref.startswith("B2:"))
    units_dv = next(dv for ref, dv in by_range.items() if ref.startswith("F2:"))
    assert codes_dv.type == units_dv.type == "list"
    assert lists.title in codes_dv.formula1 and lists.title in units_dv.formula1
    listed_codes = [c.value for c in lists["A"][1:] if c.value]
    listed_units = [c.value for c in lists["C"][1:] if c.value]
    assert listed_codes == [ind.code for ind in SUBMITTABLE]
    assert set(listed_units) == {FRAMEWORK.unit_of(i.code).name.get(lang) for i in SUBMITTABLE}
    assert f"$A${len(listed_codes) + 1}" in codes_dv.formula1


@pytest.mark.parametrize("lang", LANGUAGES)
def test_xlsx_value_validation_follows_each_indicator_range(
    workbooks: dict[str, openpyxl.Workbook], lang: str
) -> None:
    ws = workbooks[lang].worksheets[0]
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    row_of = {ind.code: n for n, ind in enumerate(SUBMITTABLE, start=2)}
    percent = rules[f"E{row_of['R02']}"]
    assert percent.operator in (None, "between")  # "between" is the default, left out of the XML
    assert (percent.type, float(percent.formula1), float(percent.formula2)) == ("decimal", 0.0, 100.0)
    assert percent.prompt
    persons = rules[f"E{row_of['R01']}"]
    assert persons.type == "whole" and persons.operator == "greaterThanOrEqual"
    assert t("template.value_hint_whole", lang) in persons.prompt
    yes_no = rules[f"E{row_of['S04']}"]
    assert (yes_no.type, float(yes_no.formula1), float(yes_no.formula2)) == ("whole", 0.0, 1.0)
    assert rules[f"E{row_of['S02']}"].type == "decimal"


def test_xlsx_arabic_sheets_are_right_to_left(workbooks: dict[str, openpyxl.Workbook]) -> None:
    assert all(ws.sheet_view.rightToLeft for ws in workbooks["ar"].worksheets[:2])
    assert not any(ws.sheet_view.rightToLeft for ws in workbooks["fr"].worksheets)
    assert not any(ws.sheet_view.rightToLeft for ws in workbooks["en"].worksheets)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_xlsx_instructions_come_from_the_catalogue(
    workbooks: dict[str, openpyxl.Workbook], lang: str
) -> None:
    ws = workbooks[lang].worksheets[1]
    texts = {v for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)}
    assert t("template.title", lang) in texts
    assert {ORG, "2024", t("template.org", lang), t("template.period", lang)} <= texts
    for n in range(1, 8):
        assert t(f"template.instr_{n}", lang) in texts
    for column in TEMPLATE_COLUMNS:
        assert column_text("help", column, lang) in texts


# -- command line ----------------------------------------------------------------------------
def test_cli_writes_template_and_infers_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "modele.xlsx"
    assert template_main(["--org", ORG, "--period", "2024-t1", "--lang", "fr", "-o", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "Données"
    assert wb.worksheets[0]["D2"].value == "2024-T1"
    assert str(out) in capsys.readouterr().out


def test_cli_explicit_csv_format(tmp_path: Path) -> None:
    out = tmp_path / "template.txt"
    assert (
        template_main(
            ["--org", ORG, "--period", "2024-03", "--lang", "en", "--format", "csv", "-o", str(out)]
        )
        == 0
    )
    assert out.read_bytes().startswith(b'\xef\xbb\xbf"org_code","indicator_code",')


@pytest.mark.parametrize("period", ["2024-Q5", "24", "2024-13", "T1", "2024/03", ""])
def test_cli_rejects_invalid_period_with_usage_error(tmp_path: Path, period: str) -> None:
    out = tmp_path / "t.csv"
    assert template_main(["--org", ORG, "--period", period, "-o", str(out)]) == 2
    assert not out.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--period", "2024", "-o", "x.csv"],
        ["--org", ORG, "--period", "2024", "--lang", "de", "-o", "x.csv"],
        ["--org", ORG, "--period", "2024", "--format", "ods", "-o", "x.csv"],
        ["--org", "ASS CAS 001", "--period", "2024", "-o", "x.csv"],
    ],
)
def test_cli_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert template_main(argv) == 2
    assert capsys.readouterr().err


def test_cli_invalid_framework_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--org", ORG, "--period", "2024", "-o", str(tmp_path / "t.csv"), "--framework", str(tmp_path)]
    assert template_main(args) == 2
    assert "framework.toml" in capsys.readouterr().err


# -- the importer reads what the template gives ----------------------------------------------
def _fill(path: Path, fmt: str, lang: str) -> None:
    """Type a value on every row, the way a member would in Excel."""

    def value(code: str, decimal_comma: bool) -> str | float | int:
        kind = FRAMEWORK.unit_of(code).kind
        if kind is UnitKind.BOOLEAN:
            return 1
        if kind in (UnitKind.PERCENT, UnitKind.DECIMAL):
            return "55,5" if decimal_comma else 55.5
        return 12

    if fmt == "xlsx":
        wb = openpyxl.load_workbook(path)
        ws = wb.worksheets[0]
        for row in range(2, len(SUBMITTABLE) + 2):
            ws.cell(row, 5).value = value(ws.cell(row, 2).value, decimal_comma=False)
        wb.save(path)
        return
    delimiter = CSV_DELIMITERS[lang]
    header, *rows = _csv_rows(path, lang)
    for row in rows:
        row[4] = str(value(row[1], decimal_comma=delimiter == ";"))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(out.getvalue().encode("utf-8-sig"))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_importer_skips_the_empty_template_and_accepts_it_filled(tmp_path: Path, lang: str, fmt: str) -> None:
    from ingest.pipeline import check_file

    path = write_template(FRAMEWORK, ORG, "2024-Q1", lang, fmt, tmp_path / f"modele.{fmt}")
    empty, _ = check_file(path.read_bytes(), path.name, framework=FRAMEWORK, member_org=ORG)
    # Left untouched, it holds nothing to store: refused, saying so (not "accepted, 0 values").
    assert empty.status == "rejected" and empty.rows == 0 and empty.skipped_rows == len(SUBMITTABLE)
    assert empty.issues["code"].to_list() == ["no_data_rows"]
    _fill(path, fmt, lang)
    filled, _ = check_file(path.read_bytes(), path.name, framework=FRAMEWORK, member_org=ORG)
    assert filled.status == "valid" and filled.issues.is_empty()
    assert filled.rows == len(SUBMITTABLE)


# -- targets and baselines -------------------------------------------------------------------
def test_both_templates_offer_empty_baseline_and_target_columns(
    csv_files: dict[str, Path], workbooks: dict[str, openpyxl.Workbook]
) -> None:
    for lang in LANGUAGES:
        header, *rows = _csv_rows(csv_files[lang], lang)
        assert header[-2:] == ["baseline", "target"] and all(row[-2:] == ["", ""] for row in rows)
        sheet = workbooks[lang].worksheets[0]
        columns = [c.value for c in sheet[1]]
        assert columns[-2:] == ["baseline", "target"]
        for name in ("baseline", "target"):  # unlocked, with what it is in the header's comment
            cell = sheet.cell(2, columns.index(name) + 1)
            assert cell.value is None and not cell.protection.locked
            assert column_text("help", name, lang) in sheet.cell(1, columns.index(name) + 1).comment.text


@pytest.mark.parametrize(("lang", "words"), [
    ("fr", ("ligne de base", "cible", "ligne de total", "la plus récente")),
    ("ar", ("خط الأساس", "الهدف", "سطر المجموع", "أحدث فترة")),
    ("en", ("baseline", "target", "total row", "latest period")),
])
def test_the_instructions_say_what_a_baseline_and_a_target_are_and_which_row_and_period_win(
    workbooks: dict[str, openpyxl.Workbook], lang: str, words: tuple[str, ...]
) -> None:
    ws = workbooks[lang].worksheets[1]
    texts = {v for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)}
    lines = [t(f"trends2.template.targets_{n}", lang) for n in range(1, TARGET_INSTRUCTIONS + 1)]
    assert t("trends2.template.targets_heading", lang) in texts and set(lines) <= texts
    said = " ".join(lines)
    assert all(word in said for word in words), [w for w in words if w not in said]


def _with_targets(path: Path, fmt: str, lang: str, code: str, baseline: str, target: str) -> None:
    """Type a baseline and a target on ``code``'s row of a filled template."""
    if fmt == "xlsx":
        wb = openpyxl.load_workbook(path)
        ws = wb.worksheets[0]
        columns = [c.value for c in ws[1]]
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == code)
        ws.cell(row, columns.index("baseline") + 1).value = float(baseline.replace(",", "."))
        ws.cell(row, columns.index("target") + 1).value = float(target.replace(",", "."))
        wb.save(path)
        return
    header, *rows = _csv_rows(path, lang)
    for row in rows:
        if row[1] == code:
            row[header.index("baseline")], row[header.index("target")] = baseline, target
    out = io.StringIO()
    csv.writer(out, delimiter=CSV_DELIMITERS[lang], lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(out.getvalue().encode("utf-8-sig"))


@pytest.mark.parametrize(("lang", "fmt"), [("fr", "csv"), ("ar", "xlsx"), ("en", "csv")])
def test_a_template_filled_with_a_baseline_and_a_target_loads_and_shows_on_the_profile(
    demo_db_fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, fmt: str
) -> None:
    from dashboard.testing import open_page, start
    from i18n.formatting import number as fmt_number
    from ingest.pipeline import load_file
    from metrics.run import score_store
    from store.db import Store

    path = write_template(FRAMEWORK, ORG, "2025", lang, fmt, tmp_path / f"modele.{fmt}")
    _fill(path, fmt, lang)
    _with_targets(path, fmt, lang, "R01", "8", "40")
    store = Store(demo_db_fresh)
    try:
        reopen_demo_periods(store, [(ORG, "2025")])  # the demo approved (locked) its 2025
        result = load_file(store, path.read_bytes(), path.name, framework=FRAMEWORK, member_org=ORG,
                           uploaded_by="test")
        assert result.accepted, result.issues
        assert store.query("SELECT indicator_code, baseline, target, origin FROM org_targets WHERE org_code = ?",
                           [ORG]).rows() == [("R01", 8.0, 40.0, "file")]
        score_store(store, FRAMEWORK, actor="cli:test")
    finally:
        store.close()
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    at = open_page(start(demo_db_fresh, lang=lang), "profile")
    at.selectbox(key="org").set_value(ORG).run()
    assert not at.exception
    grid = next(f.value for f in at.dataframe if "progress" in getattr(f.value, "data", f.value).columns)
    shown = getattr(grid, "data", grid).reset_index(drop=True)
    assert len(shown) == 1 and shown["indicator"][0].startswith("R01")
    digits = {lang: (fmt_number(8, lang), fmt_number(40, lang), fmt_number(12, lang))}
    assert (shown["baseline_text"][0], shown["target_text"][0], shown["value_text"][0]) == digits[lang]
    assert shown["progress"][0] == pytest.approx((12 - 8) / (40 - 8))
