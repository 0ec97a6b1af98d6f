"""Narratives on the pages (issue 14), in real Streamlit sessions: the profile shows them beside the
principles as text only (a hostile text reads literally), in the reader's language first; the
review page shows a submission's narratives and sends a comment back on one; the upload preview
lists them; the form stores what is typed in its text areas."""

from __future__ import annotations

import pytest
from test_narratives import MEMBER, workbook

from dashboard.testing import open_page, start
from ingest import pipeline
from store.db import open_store

HOSTILE = "<script>alert('x')</script> **gras** [clic](javascript:alert(1))"
ARABIC = "شاركت النساء في تصميم الأنشطة منذ البداية."
QUARTER_VALUES = [("org_code", "indicator_code", "period", "value"), (MEMBER, "R01", "2026-Q1", 120)]
SHEET = [("Principe", "Langue", "Texte", "Preuve", "Période"),
         ("P1", "fr", HOSTILE, "https://exemple.org/preuve.pdf", "2025"),
         ("P1", "ar", ARABIC, "", "2025")]


@pytest.fixture
def with_narratives(demo_db_fresh, framework, monkeypatch):
    """MEMBER's 2025 narratives (French and Arabic on P1), sent with a 2026 file, awaiting review."""
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    store = open_store(demo_db_fresh)
    result = pipeline.load_file(store, workbook("Récit", SHEET, QUARTER_VALUES), "recit.xlsx", framework=framework,
                                member_org=MEMBER, uploaded_by=f"member:{MEMBER}", audit_actor="cli:test")
    assert result.status == "accepted", result.report("fr")
    return demo_db_fresh, result.submission_id


def _texts(at) -> list[str]:
    return [element.value for element in at.text]


def _rendered(at) -> str:
    """Everything rendered as Markdown or HTML (where a hostile text must never land)."""
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "subheader", "title", "header")
    return "\n".join(str(getattr(e, "value", "")) for kind in kinds for e in getattr(at, kind, []))


def test_the_profile_shows_the_narratives_as_written_beside_the_principles(with_narratives) -> None:
    db, _ = with_narratives
    at = open_page(start(db, identity=MEMBER), "profile")
    at.selectbox(key="period").set_value("2025").run()
    assert not at.exception, at.exception
    texts = _texts(at)
    assert HOSTILE in texts and ARABIC in texts  # as typed, in st.text: no tag, no bold, no link
    assert "<script>" not in _rendered(at) and "javascript:" not in _rendered(at)
    assert texts.index(HOSTILE) < texts.index(ARABIC)  # French reader: the French text first
    assert "Preuve : https://exemple.org/preuve.pdf" in texts
    assert any("Provisoire" in t for t in texts)
    assert "https://exemple.org/preuve.pdf" in [b.url for b in at.get("link_button")]


def test_an_arabic_reader_reads_the_arabic_narrative_first(with_narratives) -> None:
    db, _ = with_narratives
    at = open_page(start(db, identity=MEMBER, lang="ar"), "profile")
    at.selectbox(key="period").set_value("2025").run()
    texts = _texts(at)
    assert texts.index(ARABIC) < texts.index(HOSTILE)
    assert "اللغة: العربية" in texts


def test_the_review_page_shows_the_narratives_and_returns_a_comment_on_one(with_narratives) -> None:
    db, submission = with_narratives
    at = open_page(start(db), "review")
    at.selectbox(key="review_submission").set_value(submission).run()
    assert not at.exception, at.exception
    assert HOSTILE in _texts(at) and "<script>" not in _rendered(at)
    choice = at.selectbox(key="review_value")
    assert "P1 2025 Récit (français)" in choice.options and "P1 2025 Récit (arabe)" in choice.options
    choice.set_value("P1|2025|2").run()  # the French narrative, row 2 of the Récit sheet
    at.text_input(key="review_value_comment").input("Combien d'ateliers ?").run()
    at.text_area(key="review_comment").input("À préciser").run()
    at.button(key="review_return").click().run()
    assert not at.exception, at.exception
    store = open_store(db)
    assert store.scalar("SELECT review_status FROM submissions WHERE id = ?", [submission]) == "returned"
    comments = store.query("SELECT indicator_code, period, comment FROM review_comments WHERE submission_id = ? "
                           "AND indicator_code IS NOT NULL", [submission])
    assert comments.rows() == [("P1", "2025", "Combien d'ateliers ?")]


def test_the_upload_preview_lists_the_narratives_of_the_file(demo_db_fresh, monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    at = open_page(start(demo_db_fresh, identity=MEMBER), "upload")
    data = workbook("Récit", SHEET, QUARTER_VALUES)
    at.file_uploader(key="upload_file").set_value(("recit.xlsx", data, "application/octet-stream")).run()
    assert not at.exception, at.exception
    assert any("2 récits trouvés" in s.value for s in at.subheader)
    assert HOSTILE in _texts(at) and "<script>" not in _rendered(at)


def test_the_form_stores_the_narrative_typed_for_a_principle(demo_db_fresh, monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_TEST_TODAY", "2026-02-10")
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    at = open_page(start(demo_db_fresh, identity=MEMBER), "form")
    period = at.selectbox(key=f"form_period_{MEMBER}").value
    at.text_input(key=f"form_{MEMBER}_{period}_R06__total_value").input("6800")
    at.text_area(key=f"narr_form_{MEMBER}_{period}_P2_text").input("Deux antennes rurales ouvertes.")
    at.text_input(key=f"narr_form_{MEMBER}_{period}_P2_evidence").input("https://exemple.org/antennes")
    at.button(key="form_check").click().run()
    assert not at.exception, at.exception
    at.button(key="form_confirm").click().run()
    assert not at.exception, at.exception
    stored = open_store(demo_db_fresh).query("SELECT org_code, period, principle, lang, text, evidence_url, origin "
                                             "FROM narratives WHERE origin = 'form'")
    assert stored.rows() == [(MEMBER, period[:4], "P2", "fr", "Deux antennes rurales ouvertes.",
                              "https://exemple.org/antennes", "form")]


def test_a_bad_link_on_the_form_is_refused_with_the_files_message(demo_db_fresh, monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_TEST_TODAY", "2026-02-10")
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    at = open_page(start(demo_db_fresh, identity=MEMBER), "form")
    period = at.selectbox(key=f"form_period_{MEMBER}").value
    at.text_input(key=f"form_{MEMBER}_{period}_R06__total_value").input("6800")
    at.text_area(key=f"narr_form_{MEMBER}_{period}_P2_text").input("Texte")
    at.text_input(key=f"narr_form_{MEMBER}_{period}_P2_evidence").input("javascript:alert(1)")
    at.button(key="form_check").click().run()
    assert not at.exception, at.exception
    shown = "\n".join(e.value for e in at.error) + "\n".join(str(w.value) for w in at.warning)
    assert "n'est pas un lien web" in shown.replace("\\", "")
    assert open_store(demo_db_fresh).query("SELECT * FROM narratives WHERE origin = 'form'").is_empty()
