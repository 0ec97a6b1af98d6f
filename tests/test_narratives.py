"""Narratives (issue 14): a member's text per organisation, period and principle, sent in a file's
``Récit`` sheet (French or Arabic headers), as ``narrative`` rows of a flat file or on the form;
checked with typed issues, stored in the submission's transaction, reviewed with it, and read
within each viewer's scope (``store.reads.narratives``)."""

from __future__ import annotations

import dataclasses
import io
import json

import polars as pl
import pytest
import xlsxwriter
from conftest import reopen_demo_periods

from ingest import pipeline
from ingest.narratives import form_found
from store import review
from store.db import open_store
from store.narratives import MAX_LENGTH, NarrativeRefused, record_in
from store.reads.narratives import COLUMNS, narratives, submission_narratives
from store.viewer import LinkScope, Viewer

MEMBER = "ASS-CAS-001"
OTHER = "ENT-CAS-006"
#: A quarter after the demo's approved (locked) 2025: values the demo never holds.
QUARTER = "2026-Q1"
VALUES = [("org_code", "indicator_code", "period", "value"), (MEMBER, "R01", QUARTER, 120)]
FRENCH = "Les ateliers de Tiznit ont réuni 40 femmes : <script>alert(1)</script> **gras**"
ARABIC = "شاركت النساء في تصميم الأنشطة منذ البداية."
#: The store and the pages on both backends (a private copy of the demo each: ``demo_copy``).
pytestmark = pytest.mark.backends("duckdb", "postgres")


def workbook(narrative_sheet: str, rows: list[tuple], values: list[tuple] = VALUES) -> bytes:
    """A workbook with a data sheet and a narrative sheet, written as Excel writes it."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    data = book.add_worksheet("Données")
    for r, row in enumerate(values):
        data.write_row(r, 0, row)
    sheet = book.add_worksheet(narrative_sheet)
    for r, row in enumerate(rows):
        sheet.write_row(r, 0, row)
    book.close()
    return buffer.getvalue()


def load(store, data: bytes, name: str, framework, org: str = MEMBER, **options):
    return pipeline.load_file(store, data, name, framework=framework, member_org=org, uploaded_by=f"member:{org}",
                              audit_actor="cli:test", **options)


def stored(store) -> pl.DataFrame:
    """The narratives a test sent (the demo's own, data/demo/cycle.toml, come from no file line)."""
    return store.query("SELECT submission_id, line, sheet, org_code, period, principle, lang, text, evidence_url, "
                       "origin FROM narratives WHERE NOT (line IS NULL AND origin = 'upload') ORDER BY line")


# -- a file's narratives ------------------------------------------------------------------------
def test_a_recit_sheet_with_french_headers_is_stored_with_its_submission_and_audited(demo_copy, framework):
    store = open_store(demo_copy)
    data = workbook("Récit", [("Principe", "Langue", "Texte", "Preuve"),
                              ("P1", "fr", FRENCH, "https://exemple.org/ateliers.pdf"),
                              ("Inclusion et équité territoriale", "", "Nous avons ouvert deux antennes rurales.", "")])
    result = load(store, data, "t1.xlsx", framework)
    assert result.status == "accepted", result.report("fr")
    rows = stored(store)
    assert rows.select("submission_id", "line", "sheet", "org_code", "period", "principle", "lang").rows() == [
        (result.submission_id, 2, "Récit", MEMBER, "2026", "P1", "fr"),
        (result.submission_id, 3, "Récit", MEMBER, "2026", "P2", "fr"),  # the language told from the text
    ]
    assert rows["text"][0] == FRENCH and rows["evidence_url"].to_list() == ["https://exemple.org/ateliers.pdf", None]
    audited = store.query("SELECT detail FROM audit_log WHERE action = 'narratives_written' AND target = ?",
                          [f"submission:{result.submission_id}"])
    assert json.loads(audited.item())["count"] == 2


def test_a_narrative_sheet_with_arabic_headers_and_principle_names_is_read(demo_copy, framework):
    store = open_store(demo_copy)
    data = workbook("السرد", [("المبدأ", "اللغة", "النص", "رابط الدليل"),
                              ("الكرامة والتمكين", "العربية", ARABIC, "https://example.org/ar.pdf")])
    result = load(store, data, "ar.xlsx", framework)
    assert result.status == "accepted", result.report("ar")
    assert stored(store).select("principle", "lang", "text", "sheet").rows() == [("P1", "ar", ARABIC, "السرد")]


def test_narrative_rows_of_a_csv_are_taken_out_of_the_values_and_stored(demo_copy, framework):
    store = open_store(demo_copy)
    csv = ("org_code,indicator_code,period,value,source,principe,langue,texte\n"
           f"{MEMBER},R01,{QUARTER},120,registre,,,\n"
           f"{MEMBER},récit,2026,,https://exemple.org/p3.pdf,P3,fr,Les habitants ont choisi les priorités.\n"
           f"{MEMBER},narrative,2026,,,P3,,{ARABIC}\n").encode()
    result = load(store, csv, "rows.csv", framework)
    assert result.status == "accepted" and result.rows == 1, result.report("fr")
    assert stored(store).select("line", "principle", "lang", "evidence_url").rows() == [
        (3, "P3", "fr", "https://exemple.org/p3.pdf"), (4, "P3", "ar", None)]
    assert store.scalar("SELECT count(*) FROM observations WHERE submission_id = ?", [result.submission_id]) == 1


def test_bad_narratives_are_each_reported_precisely_and_nothing_is_stored(demo_copy, framework):
    store = open_store(demo_copy)
    before = store.scalar("SELECT count(*) FROM submissions"), store.scalar("SELECT count(*) FROM narratives")
    assert before[1] > 0  # the demo's own narratives
    data = workbook("Récit", [("Principe", "Langue", "Texte", "Preuve"),
                              ("P9", "fr", "texte", ""),
                              ("P1", "fr", "", "https://exemple.org/sans-texte.pdf"),
                              ("P2", "fr", "x" * (MAX_LENGTH + 1), ""),
                              ("P3", "fr", "texte", "javascript:alert(1)"),
                              ("P4", "de", "Text", ""),
                              ("P5", "fr", "premier", ""),
                              ("P5", "fr", "second", "")])
    result = load(store, data, "bad.xlsx", framework)
    assert result.status == "rejected"
    report = result.report("fr")
    found = report.filter(pl.col("code").str.starts_with("narrative_")).select("line", "code").rows()
    assert found == [(2, "narrative_unknown_principle"), (3, "narrative_empty_text"), (4, "narrative_too_long"),
                     (5, "narrative_bad_url"), (6, "narrative_bad_language"), (8, "narrative_duplicate")]
    too_long = report.filter(pl.col("code") == "narrative_too_long").row(0, named=True)
    assert too_long["column"] == "Récit › Texte"
    assert "1501 caractères" in too_long["message"] and "1500 caractères" in too_long["hint"]
    duplicate = report.filter(pl.col("code") == "narrative_duplicate").row(0, named=True)
    assert "ligne 7" in duplicate["message"]
    arabic = result.report("ar").filter(pl.col("code") == "narrative_bad_url")["hint"].item()
    assert "https://" in arabic and "للوثيقة" in arabic
    after = store.scalar("SELECT count(*) FROM submissions"), store.scalar("SELECT count(*) FROM narratives")
    assert after == before


def test_a_narrative_of_an_approved_year_waits_for_review_beside_the_approved_one(demo_copy, framework):
    """Narratives are not locked with the values: a new one is a new version, provisional until approved."""
    store = open_store(demo_copy)
    data = workbook("Récit", [("Principe", "Langue", "Texte", "Période"), ("P1", "fr", "bilan 2025", "2025")])
    result = load(store, data, "late.xlsx", framework)
    assert result.status == "accepted"
    mine = narratives(store, Viewer.member(MEMBER), MEMBER, "2025").filter(pl.col("lang") == "fr")
    assert _texts(mine)[0] == ("P1", "bilan 2025", True) and _texts(mine)[1][2] is False  # the demo's approved P2
    funder = narratives(store, Viewer.funder(LinkScope(frozenset({MEMBER}), link_id=9)), MEMBER, "2025")
    approved_p1 = funder.filter(pl.col("principle") == "P1")
    assert approved_p1["text"].to_list() != ["bilan 2025"] and approved_p1["provisional"].to_list() == [False]


def test_the_store_refuses_an_unchecked_narrative_with_a_javascript_link(demo_copy):
    store = open_store(demo_copy)
    bad = pl.DataFrame([{"org_code": MEMBER, "period": "2026", "principle": "P1", "lang": "fr", "text": "t",
                         "evidence_url": "javascript:alert(1)"}])
    with pytest.raises(NarrativeRefused) as refused:
        store.write(lambda cur: record_in(cur, bad, 1, author="cli:test", origin="cli"))
    assert refused.value.code == "bad_url" and "https://" in refused.value.message("fr")


# -- the form -----------------------------------------------------------------------------------
def test_narratives_typed_on_the_form_go_through_the_same_check_and_commit(demo_copy, framework):
    store = open_store(demo_copy)
    csv = f"org_code,indicator_code,period,value\n{MEMBER},R01,{QUARTER},120\n".encode()
    typed = pl.DataFrame({"principle": ["P1", "P2"], "lang": ["ar", "ar"], "text": [ARABIC, ""],
                          "evidence_url": ["", ""]})
    found = form_found(typed, MEMBER, "2026")[0]
    checked = pipeline.check(csv, "form.csv", framework=framework, store=store, member_org=MEMBER, narratives=found)
    assert checked.narratives.select("principle", "lang").rows() == [("P1", "ar")]
    result = pipeline.commit(store, checked, framework=framework, uploaded_by=f"member:{MEMBER}",
                             audit_actor="cli:test", explanation_origin="form")
    assert stored(store).select("submission_id", "principle", "origin").rows() == [(result.submission_id, "P1", "form")]
    bad = form_found(typed.with_columns(evidence_url=pl.lit("ftp://x.org/a")), MEMBER, "2026")[0]
    refused = pipeline.check(csv, "form.csv", framework=framework, store=store, member_org=MEMBER, narratives=bad)
    assert refused.result.status == "rejected"
    assert set(refused.result.issues["code"]) >= {"narrative_bad_url"}


# -- scope and review ---------------------------------------------------------------------------
@pytest.fixture
def two_versions(demo_copy, framework):
    """MEMBER's 2026 narratives: P1 and P2 in French approved, then P1 rewritten and awaiting review."""
    store = open_store(demo_copy)
    first = load(store, workbook("Récit", [("Principe", "Langue", "Texte"), ("P1", "fr", "version 1"),
                                           ("P2", "fr", "inclusion")]), "v1.xlsx", framework)
    review.approve(store, first.submission_id, actor="cli:test")
    reopen_demo_periods(store, [(MEMBER, QUARTER)])  # the approval locked it: a correction is asked for
    values = [VALUES[0], (MEMBER, "R01", "2026-Q2", 130)]
    second = load(store, workbook("Récit", [("Principe", "Langue", "Texte"), ("P1", "fr", "version 2")], values),
                  "v2.xlsx", framework)
    other = load(store, workbook("Récit", [("Principe", "Langue", "Texte"), ("P1", "fr", "chez l'autre")],
                                 [VALUES[0], (OTHER, "R01", QUARTER, 9)]), "o.xlsx", framework, org=OTHER)
    assert {first.status, second.status, other.status} == {"accepted"}
    return store, first.submission_id, second.submission_id


def _texts(frame: pl.DataFrame) -> list[tuple]:
    return frame.select("principle", "text", "provisional").rows()


def test_the_member_reads_its_latest_narratives_labelled_provisional_and_never_another_members(two_versions):
    store, _, _ = two_versions
    mine = narratives(store, Viewer.member(MEMBER), MEMBER, "2026")
    assert mine.columns == list(COLUMNS)
    assert _texts(mine) == [("P1", "version 2", True), ("P2", "inclusion", False)]
    assert narratives(store, Viewer.member(OTHER), MEMBER, "2026").is_empty()
    assert _texts(narratives(store, Viewer.steering(), OTHER, "2026")) == [("P1", "chez l'autre", True)]


def test_a_funder_link_reads_approved_narratives_of_its_organisations_principles_and_periods(two_versions):
    store, _, second = two_versions
    link = LinkScope(frozenset({MEMBER}), principles=frozenset({"P1"}), periods=frozenset({"2026"}), link_id=7)
    funder = Viewer.funder(link)
    assert _texts(narratives(store, funder, MEMBER, "2026")) == [("P1", "version 1", False)]  # P2 outside, v2 not approved
    assert narratives(store, funder, OTHER, "2026").is_empty()
    assert narratives(store, Viewer.funder(dataclasses.replace(link, periods=frozenset({"2024"}))), MEMBER,
                      "2026").is_empty()
    provisional = Viewer.funder(dataclasses.replace(link, include_provisional=True))
    assert _texts(narratives(store, provisional, MEMBER, "2026")) == [("P1", "version 2", True)]
    assert submission_narratives(store, funder, second).is_empty()
    review.approve(store, second, actor="cli:test")
    assert _texts(narratives(store, funder, MEMBER, "2026")) == [("P1", "version 2", False)]


def test_a_returned_submission_keeps_its_narrative_from_funders_and_carries_the_comment(two_versions):
    store, _, second = two_versions
    comment = review.ValueComment("P1", "2026", "Précisez le nombre d'ateliers.", 2)
    review.return_submission(store, second, "À compléter", actor="cli:test", values=[comment])
    funder = Viewer.funder(LinkScope(frozenset({MEMBER}), link_id=8, include_provisional=False))
    assert _texts(narratives(store, funder, MEMBER, "2026"))[0] == ("P1", "version 1", False)
    assert _texts(narratives(store, Viewer.member(MEMBER), MEMBER, "2026"))[0] == ("P1", "version 2", True)
    on_narrative = review.comments(store, Viewer.member(MEMBER), submission_id=second)
    assert on_narrative.filter(pl.col("indicator_code") == "P1")["comment"].to_list() == [comment.comment]


# -- the template -------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["fr", "ar", "en"])
def test_the_template_lists_the_principles_in_its_narrative_sheet_and_reads_it_back_filled(
    tmp_path, framework, lang
):
    import openpyxl

    from i18n import t
    from ingest.template import write_template

    path = write_template(framework, MEMBER, QUARTER, lang, "xlsx", tmp_path / "modele.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book[t("narr.template.sheet", lang)]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == tuple(t(f"narr.template.{c}", lang) for c in
                                ("principle", "principle_name", "language", "text", "evidence"))
    assert [r[0] for r in rows[1:]] == [p.code for p in framework.principles]
    assert rows[1][1] == framework.principles[0].name.get(lang)
    untouched = pipeline.check(path.read_bytes(), path.name, framework=framework, member_org=MEMBER)
    assert not any(c.startswith("narrative_") for c in untouched.result.issues["code"])  # rows left empty: skipped
    data = book[t("template.data_sheet", lang)]
    data.cell(2, 5, 12)  # the first value of the data sheet
    sheet.cell(3, 4, ARABIC)
    book.save(path)
    filled = pipeline.check(path.read_bytes(), path.name, framework=framework, member_org=MEMBER)
    assert filled.narratives.select("principle", "lang", "period", "line").rows() == [("P2", "ar", "2026", 3)]


def test_a_rebuild_brings_back_the_files_narratives_and_carries_the_forms(sample_orgs_store, framework, tmp_path):
    from store.db import Store

    store = sample_orgs_store
    values = [("org_code", "indicator_code", "period", "value"), (MEMBER, "R01", "2024", 120)]
    load(store, workbook("Récit", [("Principe", "Texte"), ("P1", FRENCH)], values), "f.xlsx", framework)
    typed = form_found(pl.DataFrame({"principle": ["P2"], "lang": ["ar"], "text": [ARABIC], "evidence_url": [""]}),
                       MEMBER, "2023")[0]
    csv = f"org_code,indicator_code,period,value\n{MEMBER},R01,2023,90\n".encode()
    load(store, csv, "form.csv", framework, narratives=typed, explanation_origin="form")
    rebuilt = Store(tmp_path / "rebuilt.duckdb")
    try:
        pipeline.rebuild_from(store, rebuilt, framework, actor="cli:test")
        shown = "SELECT submission_id, line, period, principle, lang, text, origin FROM narratives ORDER BY submission_id"
        assert rebuilt.query(shown).equals(store.query(shown)) and store.query(shown).height == 2
    finally:
        rebuilt.close()


def test_a_file_without_narratives_reads_as_before_even_with_a_text_like_column(framework):
    csv = f"org_code,indicator_code,period,value,lien\n{MEMBER},R01,{QUARTER},120,voir dossier\n".encode()
    checked = pipeline.check(csv, "v.csv", framework=framework, member_org=MEMBER)
    assert checked.narratives.is_empty() and checked.validation.rows.height == 1
    assert checked.result.issues.select("code", "column").rows() == [("unknown_column", "lien")]


def test_narrative_rows_in_a_workbooks_data_sheet_count_beside_its_recit_sheet(framework):
    values = [("org_code", "indicator_code", "period", "value", "principle", "text"),
              (MEMBER, "R01", QUARTER, 120, "", ""), (MEMBER, "récit", "2026", "", "P4", "Un réseau de partage.")]
    data = workbook("Récit", [("Principe", "Texte"), ("P5", "Des comptes publiés chaque trimestre.")], values)
    checked = pipeline.check(data, "both.xlsx", framework=framework, member_org=MEMBER)
    assert checked.result.status == "valid", checked.result.report("en")
    assert sorted(checked.narratives["principle"]) == ["P4", "P5"] and checked.validation.rows.height == 1


def test_principles_languages_and_periods_are_read_once_per_value_and_a_blank_principle_is_reported(framework):
    rows = [("Principe", "Langue", "Période", "Texte"),
            ("P2 Gouvernance", "Français", "2026", "Un texte."), ("P2 Gouvernance", "العربية", "2026", ARABIC),
            ("   ", "fr", "2026", "Un autre texte."), ("P3", "", "2026", "Les comptes et les ateliers."),
            ("P4", "fr", "2026-13", "Une période fausse.")]
    checked = pipeline.check(workbook("Récit", rows), "mix.xlsx", framework=framework, member_org=MEMBER)
    report = checked.result.issues.filter(pl.col("code").str.starts_with("narrative_"))
    assert sorted(report.select("line", "code").rows()) == [(4, "narrative_unknown_principle"),
                                                            (6, "narrative_bad_period")]


def test_a_pinned_link_reads_the_narratives_its_run_scored_as_they_were_approved_then(two_versions, framework):
    from metrics.run import score_store

    store, first, second = two_versions
    run_id, _ = score_store(store, framework, actor="cli:test")
    pinned = Viewer.funder(LinkScope(frozenset({MEMBER}), link_id=10, run_id=run_id))
    assert _texts(narratives(store, pinned, MEMBER, "2026"))[0] == ("P1", "version 1", False)
    review.approve(store, second, actor="cli:test")  # approved after the run: not the pinned link's
    assert _texts(narratives(store, pinned, MEMBER, "2026"))[0] == ("P1", "version 1", False)
    assert _texts(narratives(store, Viewer.funder(LinkScope(frozenset({MEMBER}), link_id=11)), MEMBER, "2026"))[0] == (
        "P1", "version 2", False)
