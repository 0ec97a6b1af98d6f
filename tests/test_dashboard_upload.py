"""Upload through the dashboard: live validation, report in the user's language, preview, commit."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from dashboard import cells, exports
from dashboard.testing import open_page, start, visible_text
from framework.model import load_framework
from framework.periods import reportable_periods
from i18n import t
from ingest import annotate, preview
from ingest import read as reading
from ingest.issues import ISSUE_SCHEMA
from ingest.safe_write import neutralise
from ingest.template import template_bytes
from store.db import open_store

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "samples"
MEMBER = "ASS-CAS-001"
GOOD_FILE = (
    "org_code,indicator_code,period,value,unit,notes\n"
    f"{MEMBER},R01,2022-Q1,120,personnes,nouvelle valeur\n"
    f"{MEMBER},J01,2025-Q4,1040,personnes,correction\n"
    f"{MEMBER},R05,2025-Q4,11769,personnes,identique\n"
).encode()


def uploaded(at, name: str, data: bytes):
    at.file_uploader(key="upload_file").set_value((name, data, "text/csv"))
    return at.run()


def report_rows(at) -> list[dict[str, str]]:
    """The validation report as shown (a static table), Markdown escapes removed."""
    table = at.table[0].value
    return [{k: re.sub(r"\\(.)", r"\1", str(v)) for k, v in row.items()} for row in table.to_dict("records")]


def counts(store) -> tuple[int, int]:
    return store.scalar("SELECT count(*) FROM submissions"), store.scalar("SELECT count(*) FROM observations")


def test_good_file_is_previewed_then_stored(demo_db_fresh, monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    store = open_store(demo_db_fresh)
    before = counts(store)
    at = uploaded(open_page(start(demo_db_fresh, identity=MEMBER), "upload"), "mes_valeurs.csv", GOOD_FILE)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value.startswith("valide — 3 valeurs")
    assert [m.value for m in at.metric] == ["1", "1", "1"]  # new, corrected, identical
    preview = at.dataframe[0].value
    details = at.dataframe[1].value  # the secondary columns, in the "Détails" expander (issue 12)
    assert list(preview["change_label"]) == ["nouvelle", "corrigée", "identique"]
    assert preview.loc[preview["indicator"].str.startswith("J01 · "), "current_value"].item() == 1031
    # Units in words of the reader's language, not the framework's codes (persons, percent…).
    assert list(preview["unit_label"]) == ["personnes"] * 3
    # A new value has no current value nor difference: those cells show a dash, not "None".
    new = preview["indicator"].str.startswith("R01 · ")
    assert preview.loc[new, "current_value"].isna().all() and details.loc[new, "difference"].isna().all()
    assert at.dataframe[0].proto.placeholder == cells.MISSING
    assert counts(store) == before  # nothing stored before confirming
    at.button(key="upload_confirm").click().run()
    assert any("accepté — 3 valeurs enregistrées" in s.value for s in at.success)
    submission = store.scalar("SELECT max(id) FROM submissions")
    assert store.scalar("SELECT org_code FROM submissions WHERE id = ?", [submission]) == MEMBER
    assert (
        store.scalar("SELECT uploaded_by FROM submissions WHERE id = ?", [submission]) == f"member:{MEMBER}"
    )
    assert store.scalar("SELECT count(*) FROM observations WHERE submission_id = ?", [submission]) == 3
    assert (
        store.scalar(
            "SELECT value FROM observations_current WHERE org_code = ? AND indicator_code = 'J01' AND period = '2025-Q4'",
            [MEMBER],
        )
        == 1040
    )
    at.run()  # a rerun shows the outcome only; it does not store twice
    assert next(s.value for s in at.success).startswith("accepté — 3 valeurs enregistrées")
    assert store.scalar("SELECT count(*) FROM submissions") == before[0] + 1
    # Audited once, by the commit itself, under the signed-in account.
    audited = store.query(
        "SELECT actor, outcome FROM audit_log WHERE action = 'upload' AND target = ?",
        [f"submission:{submission}"],
    )
    assert audited.rows() == [(f"account:{MEMBER.lower()}", "ok")]


def test_bad_file_shows_the_report_in_french_and_stores_nothing(demo_db_fresh, monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    store = open_store(demo_db_fresh)
    before = counts(store)
    data = (SAMPLES / "14_row_errors.csv").read_bytes()
    at = uploaded(open_page(start(demo_db_fresh, identity=MEMBER), "upload"), "14_row_errors.csv", data)
    assert not at.exception
    assert "refusé — rien n'a été enregistré" in at.error[0].value
    assert at.error[0].value.lower().count("rien n'a été enregistré") == 1  # said once
    report = report_rows(at)
    line3 = [row for row in report if row["ligne"] == "3"]
    assert [row["colonne"] for row in line3] == ["value"]
    assert [row["valeur"] for row in line3] == ["N/A"]
    assert [row["problème"] for row in line3] == ["« N/A » n'est pas un nombre."]
    assert line3[0]["que faire"].startswith("Saisissez uniquement un nombre")
    assert any(
        b.label.startswith("Télécharger le fichier avec une colonne d'erreurs")
        for b in at.get("download_button")
    )
    assert at.get("button") == [] or not any(b.key == "upload_confirm" for b in at.button)
    assert counts(store) == before


def test_report_follows_the_language(demo_db_fresh, monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    data = (SAMPLES / "14_row_errors.csv").read_bytes()
    at = uploaded(open_page(start(demo_db_fresh, identity=MEMBER, lang="ar"), "upload"), "14.csv", data)
    message = next(row for row in report_rows(at) if row["السطر"] == "3")["المشكلة"]
    assert any("\u0600" <= ch <= "\u06ff" for ch in message)
    assert at.error[0].value.count("أي شيء") == 1  # "nothing was stored", said once
    # Lines 6 and 7 have no column: the report writes the dash, like every table.
    assert {row["العمود"] for row in report_rows(at) if row["السطر"] in ("6", "7")} == {cells.MISSING}


def register_sample_organisations(db: Path) -> None:
    """The shared samples' organisations the demo lacks (the demo keeps its own names)."""
    from ingest.orgs import read_org_file
    from store.registry import upsert_organizations

    store = open_store(db)
    known = set(store.query("SELECT code FROM organizations")["code"].to_list())
    parsed = read_org_file(
        (SAMPLES / "organizations.csv").read_bytes(), "organizations.csv", load_framework()
    )
    upsert_organizations(store, parsed.rows.filter(~pl.col("code").is_in(known)), actor="cli:test")


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_network_samples_show_units_in_words_and_gaps_as_dashes(demo_db_fresh, monkeypatch, lang) -> None:
    """What QA saw with the shared samples as the steering committee's network files."""
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    register_sample_organisations(demo_db_fresh)
    at = open_page(start(demo_db_fresh, lang=lang), "upload")
    at.selectbox(key="upload_org").set_value("__network__").run()
    # The sample's ASS-CAS-001 2024-Q1 (R01 = 1250) contradicts the demo's (R05 = 3346 stored, R01 F + M
    # = 4581): refused as a whole below its stored parts. Sent for a quarter the demo lacks, it is new.
    data = (SAMPLES / "01_utf8_comma_lf.csv").read_bytes().replace(b",2024-Q1,", b",2022-Q1,")
    at = uploaded(at, "01_utf8_comma_lf.csv", data)
    assert not at.error, [e.value for e in at.error]
    grid = at.dataframe[0]
    framework = load_framework()
    names = {u.code: u.name.get(lang) for u in framework.units}
    units = set(grid.value["unit_label"])  # e.g. "personnes", "%", "heures" — never "persons", "percent"
    assert units <= set(names.values()) and not units & {c for c, n in names.items() if n != c}
    assert grid.value["current_value"].isna().any()  # new values: nothing to compare with
    assert grid.proto.placeholder == cells.MISSING
    at = uploaded(at, "14_row_errors.csv", (SAMPLES / "14_row_errors.csv").read_bytes())
    line, column, value = (t(f"report.{k}", lang) for k in ("line", "column", "value"))
    rows = {row[line]: row for row in report_rows(at)}
    assert rows["5"][value] == rows["6"][column] == rows["7"][column] == cells.MISSING


@pytest.mark.parametrize(
    "name", sorted(p.name for p in SAMPLES.glob("*") if p.suffix in (".csv", ".txt", ".xlsx"))
)
def test_every_shared_sample_gets_a_report_not_a_traceback(demo_db, monkeypatch, name: str) -> None:
    monkeypatch.setenv("ATHAR_DB", str(demo_db))
    at = open_page(start(demo_db), "upload")
    at.selectbox(key="upload_org").set_value("__network__").run()
    at = uploaded(at, name, (SAMPLES / name).read_bytes())
    assert not at.exception, [e.value for e in at.exception]
    assert at.error or at.success  # refused with its report, or valid with a preview
    if at.error:
        assert report_rows(at), "a refused file comes with its report"


def test_annotated_copy_keeps_lines_and_neutralises_formulas() -> None:
    data = b"org_code,indicator_code,period,value\nASS-CAS-001,R01,2024-Q1,=1+1\nASS-CAS-001,R02,2024-Q1,@x\n"
    report = pl.DataFrame(
        [{"line": 2, "column": "value", "message": "« =1+1 » n'est pas un nombre.", "hint": "Un nombre."}],
        schema={"line": pl.Int64, "column": pl.String, "message": pl.String, "hint": pl.String},
    )
    copy = annotate.annotated_copy(data, "f.csv", report, "Erreurs Athar")
    rows = list(csv.reader(io.StringIO(copy.decode("utf-8-sig"))))
    assert rows[0] == ["org_code", "indicator_code", "period", "value", "Erreurs Athar"]
    assert rows[1][3] == "'=1+1" and "n'est pas un nombre" in rows[1][4]
    assert rows[2][3] == "'@x" and rows[2][4] == ""
    for cell in ("=SUM(A1)", "+1+1", "-1-A1", "@a", "\tx", "\rx", "\nx"):
        assert neutralise(cell).startswith("'")
    assert [neutralise(n) for n in ("1250", "+1", "-1")] == ["1250", "+1", "-1"]  # numbers stay numbers


_REPORT_SCHEMA = {"line": pl.Int64, "column": pl.String, "message": pl.String, "hint": pl.String}


def test_annotated_copy_of_an_xlsx_upload_is_the_workbook_with_an_error_column() -> None:
    """Same workbook, same sheet, rows on their own lines (a title row above the header), one more
    column whose header and cells are strings a spreadsheet will not run."""
    import xlsxwriter
    from openpyxl import load_workbook

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("Données")
    sheet.write_string(0, 0, "Rapport annuel 2024")
    for r, row in enumerate(
        [
            ["org_code", "indicator_code", "period", "value"],
            ["ASS-CAS-001", "R01", "2024-Q1", "=1+1"],
            ["ASS-CAS-001", "R02", "2024-Q1", "12"],
        ],
        start=1,
    ):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    report = pl.DataFrame(
        [
            {"line": 3, "column": None, "message": "=1+1 n'est pas un nombre.", "hint": "Un nombre."},
            {"line": None, "column": None, "message": "@SUM(1,1) au niveau du fichier", "hint": "-"},
        ],
        schema=_REPORT_SCHEMA,
    )
    copy = annotate.annotated_copy(out.getvalue(), "rapport.xlsx", report, "=Erreurs")
    assert annotate.annotated_name("rapport.xlsx", "erreurs") == "rapport_erreurs.xlsx"
    assert annotate.annotated_mime("rapport.xlsx") == exports.XLSX_MIME
    sheet = load_workbook(io.BytesIO(copy))["Données"]
    assert sheet["A1"].value == "Rapport annuel 2024" and sheet["D3"].value == "=1+1"
    header, error, fine = sheet["E2"], sheet["E3"], sheet["E4"]
    assert header.value == "=Erreurs — @SUM(1,1) au niveau du fichier"
    assert error.value.startswith("=1+1 n'est pas un nombre.") and fine.value is None
    for cell in (header, error):
        assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]


@pytest.mark.parametrize(("delimiter", "name"), [(";", "f.csv"), (",", "f.csv"), ("\t", "f.txt")])
def test_annotated_copy_of_a_text_upload_keeps_its_delimiter_and_quotes_every_cell(delimiter, name) -> None:
    from security.pages_harness import csv_formula_cells

    rows = [
        ["org_code", "indicator_code", "period", "value", "notes"],
        ["ASS-CAS-001", "R01", "2024-Q1", "=1+1", "x,=1+1"],
        ["ASS-CAS-001", "R02", "2024-Q1", "12", "x;@SUM(1,1)"],
    ]
    data = "\r\n".join(delimiter.join(f'"{c}"' for c in row) for row in rows).encode("utf-8")
    report = pl.DataFrame(
        [{"line": 2, "column": "value", "message": "« =1+1 » n'est pas un nombre.", "hint": "Un nombre."}],
        schema=_REPORT_SCHEMA,
    )
    copy = annotate.annotated_copy(data, name, report, "Erreurs Athar")
    assert annotate.annotated_name(name, "erreurs").endswith(name[-4:])
    parsed = list(csv.reader(io.StringIO(copy.decode("utf-8-sig"), newline=""), delimiter=delimiter))
    quoted = [delimiter.join('"' + c.replace('"', '""') + '"' if c else "" for c in row) for row in parsed]
    assert copy.decode("utf-8-sig") == "".join(line + "\r\n" for line in quoted)  # every cell quoted
    assert parsed[0] == [*rows[0], "Erreurs Athar"]
    assert parsed[1][3:] == ["'=1+1", "x,'=1+1", "value: « =1+1 » n'est pas un nombre. → Un nombre."]
    assert parsed[2][3:] == ["12", "x;'@SUM(1,1)", ""]
    assert not csv_formula_cells(name, copy)


def test_preview_marks_new_changed_and_unchanged() -> None:
    keys = {"org_code": ["A", "A", "A"], "indicator_code": ["R01", "R02", "R03"], "period": ["2024"] * 3}
    breakdown = {k: [None] * 3 for k in ("sex", "age_band", "disability", "area", "region")}
    rows = pl.DataFrame(
        {**keys, **breakdown, "value": [1.0, 2.0, 3.0], "line": [2, 3, 4]},
        schema_overrides={k: pl.String for k in breakdown},
    )
    current = pl.DataFrame(
        {
            **{k: v[1:] for k, v in keys.items()},
            **{k: v[1:] for k, v in breakdown.items()},
            "current_value": [2.0, 5.0],
            "current_submission": [7, 8],
        },
        schema_overrides={k: pl.String for k in breakdown},
    )
    assert preview.diff(rows, current)["change"].to_list() == ["new", "unchanged", "changed"]


def test_template_is_the_ingest_template_and_periods_have_started() -> None:
    framework = load_framework()
    data = template_bytes(framework, MEMBER, "2024", "fr", "csv")
    assert data.startswith("\ufeff".encode()) and MEMBER.encode() in data
    assert template_bytes(framework, MEMBER, "2024", "ar", "xlsx")[:2] == b"PK"
    periods = reportable_periods(date(2026, 5, 10))
    assert periods[:4] == ["2026", "2026-S1", "2026-Q2", "2026-Q1"] and "2026-Q3" not in periods
    assert "2025-Q4" in periods


def test_stored_reports_render_in_the_quality_page(demo_db, monkeypatch) -> None:
    """The submissions log shows each stored report through the same renderer as the upload page."""
    monkeypatch.setenv("ATHAR_DB", str(demo_db))
    at = open_page(start(demo_db), "quality")
    assert "aucun problème signalé" in visible_text(at)
    assert json.loads("[]") == [] and set(ISSUE_SCHEMA) >= {"line", "column", "code"}


def counting_reads(monkeypatch) -> list[str]:
    """Every call of ``ingest.read.read_table`` from now on, by file name."""
    calls: list[str] = []
    real = reading.read_table
    monkeypatch.setattr(reading, "read_table", lambda data, name, **o: calls.append(name) or real(data, name, **o))
    return calls


def test_the_page_reads_an_upload_once_from_check_to_confirm(demo_db_fresh, monkeypatch) -> None:
    """The page hands its check (bytes, validation, table) to the commit: one read, reruns included."""
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    reads = counting_reads(monkeypatch)
    at = uploaded(open_page(start(demo_db_fresh, identity=MEMBER), "upload"), "mes_valeurs.csv", GOOD_FILE)
    at.button(key="upload_confirm").click().run()
    assert any("accepté — 3 valeurs enregistrées" in s.value for s in at.success)
    at.run()
    assert reads == ["mes_valeurs.csv"]


def test_the_page_reads_a_refused_upload_once_and_audits_the_refusal_once_as_the_command_line_does(
    demo_db_fresh, monkeypatch
) -> None:
    """Report and annotated copy come from the one check; the refusal is audited once, by the pipeline
    (the entry ``ingest load`` writes), so the member's home and the reminders know of it."""
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    store = open_store(demo_db_fresh)
    audited = store.scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'upload%'")
    reads = counting_reads(monkeypatch)
    data = (SAMPLES / "14_row_errors.csv").read_bytes()
    at = uploaded(open_page(start(demo_db_fresh, identity=MEMBER), "upload"), "14_row_errors.csv", data)
    at.run()
    assert "refusé — rien n'a été enregistré" in at.error[0].value
    assert any(b.label.startswith("Télécharger le fichier avec une colonne d'erreurs")
               for b in at.get("download_button"))
    assert reads == ["14_row_errors.csv"]
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'upload%'") == audited + 1
    entry = store.query("SELECT actor, outcome, detail FROM audit_log WHERE action = 'upload_rejected' "
                        "ORDER BY id DESC LIMIT 1").row(0, named=True)
    detail = json.loads(entry["detail"])
    assert (entry["actor"], entry["outcome"]) == (f"account:{MEMBER.lower()}", "refused")
    assert (detail["file"], detail["org"], detail["status"]) == ("14_row_errors.csv", MEMBER, "rejected")
    assert detail["errors"] > 0
