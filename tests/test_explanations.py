"""Explained unusual values (issue 13): asked at upload, stored with the value and audited, shown to
the reviewer, on the profile and in the method card, counted half in the consistency grade; members'
notes and sources beside their values (never the notes to a funder's link)."""

from __future__ import annotations

import json
from datetime import date, datetime

import polars as pl
import pytest

from dashboard.testing import open_page, start, visible_text
from framework.model import QualitySettings, framework_from_dict
from framework.periods import period_bounds
from ingest import pipeline
from metrics.method_card import card_or_none, render
from metrics.outliers import incoming_unusual
from metrics.quality import quality
from metrics.run import compute_run, score_store
from metrics.scoring import score
from store import explanations, review
from store.db import open_store
from store.explanations import ExplanationRefused
from store.reads import method as method_reads
from store.reads import profile as profile_reads
from store.reads import quality as quality_reads
from store.scores import scoring_inputs
from store.viewer import LinkScope, Viewer

MEMBER = "ASS-CAS-001"
WHY = "nouveau programme à Tiznit"
#: J01 of ASS-CAS-001 is about 650 a quarter in the demo: 20 000 stands far out of its history.
FLAGGED_FILE = (
    "org_code,indicator_code,period,value,unit,source,notes\n"
    f"{MEMBER},J01,2025-Q4,20000,personnes,registre des inscriptions,campagne d'été à Tiznit\n"
).encode()
#: The explanations of MEMBER's values (the demo's own explain other members' values: data/demo/cycle.toml).
OURS = f"org_code = '{MEMBER}'"
SERIES = {"org_code": "o", "indicator_code": "x", "granularity": "quarter", "unit": "u"}


def quarters(values: dict[str, float]) -> pl.DataFrame:
    rows = [{**SERIES, "period": p, "period_start": period_bounds(p)[1], "value": float(v)} for p, v in values.items()]
    return pl.DataFrame(rows)


def history() -> pl.DataFrame:
    return quarters({f"2024-Q{q}": 100 + q for q in range(1, 5)} | {f"2025-Q{q}": 100 - q for q in range(1, 4)})


# -- the rule, on an upload ---------------------------------------------------------------------
def test_incoming_value_far_from_the_stored_history_is_flagged_and_stored_values_never_come_back() -> None:
    stored = pl.concat([history(), quarters({"2023-Q1": 900})])  # a stored outlier is not the upload's
    incoming = quarters({"2025-Q4": 1000, "2026-Q1": 104}).with_columns(line=pl.Series([2, 3]))
    flagged = incoming_unusual(incoming, stored, QualitySettings())
    assert flagged["period"].to_list() == ["2025-Q4"]
    assert flagged["line"].to_list() == [2] and flagged["usual_level"][0] == pytest.approx(101.5, abs=2)


def test_an_incoming_correction_replaces_the_value_it_corrects_in_the_history() -> None:
    stored = pl.concat([history(), quarters({"2025-Q4": 5000})])
    corrected = incoming_unusual(quarters({"2025-Q4": 97}), stored, QualitySettings())
    assert corrected.is_empty()  # checked against the series as it will stand, not beside the old 5000


def test_a_short_history_flags_nothing() -> None:
    stored = quarters({"2025-Q1": 100, "2025-Q2": 101})
    assert incoming_unusual(quarters({"2025-Q3": 10_000}), stored, QualitySettings()).is_empty()


# -- the grade ----------------------------------------------------------------------------------
def _framework():
    names = {"fr": "x", "ar": "س", "en": "x"}
    indicators = [
        {"code": f"a{n}", "name": names, "unit": "u", "aggregation": "sum", "goalposts": [0, 100], "weights": {"A": 1}}
        for n in range(1, 6)
    ]
    return framework_from_dict({
        "meta": {"name": names},
        "principles": [{"code": "A", "name": names}],
        "indicators": indicators,
        "units": [{"code": "u", "kind": "decimal", "name": names}],
    })


def _observations(explained: bool) -> pl.DataFrame:
    rows = []
    for n in range(1, 6):
        for year, value in {2019: 10, 2020: 11, 2021: 9, 2022: 10, 2023: 50 if n == 1 else 10}.items():
            _, start, end = period_bounds(str(year))
            rows.append(("o", f"a{n}", start, end, value, "doc", datetime(year + 1, 1, 15),
                         explained and n == 1 and year == 2023))
    schema = ["org_code", "indicator_code", "period_start", "period_end", "value", "source", "uploaded_at", "explained"]
    return pl.DataFrame(rows, orient="row", schema=schema).with_columns(granularity=pl.lit("year"))


def test_an_explained_flagged_value_counts_half_against_consistency_and_lifts_the_grade() -> None:
    fw = _framework()

    def composite(explained: bool) -> dict:
        obs = _observations(explained)
        graded = quality(obs, score(obs, fw), fw).filter(pl.col("period_key") == 2023, pl.col("principle").is_null())
        return graded.row(0, named=True)

    unexplained, explained = composite(False), composite(True)
    assert unexplained["consistency_flags"] == explained["consistency_flags"] == 1
    assert unexplained["consistency"] == pytest.approx(1 / 5) and unexplained["grade_consistency"] == "C"
    assert explained["consistency"] == pytest.approx(0.5 / 5) and explained["grade_consistency"] == "B"
    assert explained["consistency_explained"] == 1 and unexplained["consistency_explained"] == 0


# -- the store ----------------------------------------------------------------------------------
def _answers(value: float, text: str) -> pl.DataFrame:
    return pl.DataFrame([{"org_code": MEMBER, "indicator_code": "J01", "period": "2025-Q4", "value": value,
                          "explanation": text}])


def test_a_too_long_explanation_stores_neither_the_file_nor_the_explanation(demo_db_fresh, framework) -> None:
    store = open_store(demo_db_fresh)
    before = store.scalar("SELECT count(*) FROM submissions")
    with pytest.raises(ExplanationRefused) as refused:
        pipeline.load_file(store, FLAGGED_FILE, "j01.csv", framework=framework, member_org=MEMBER,
                           uploaded_by=f"member:{MEMBER}", audit_actor="account:test",
                           explanations=_answers(20000, "x" * (explanations.MAX_LENGTH + 1)))
    assert "501" in refused.value.message("fr")
    assert store.scalar("SELECT count(*) FROM submissions") == before
    assert store.scalar(f"SELECT count(*) FROM value_explanations WHERE {OURS}") == 0


def test_explanations_of_values_not_in_the_file_are_not_stored(demo_db_fresh, framework) -> None:
    store = open_store(demo_db_fresh)
    stray = pl.concat([_answers(20000, WHY), _answers(1, "autre").with_columns(indicator_code=pl.lit("R01"))])
    result = pipeline.load_file(store, FLAGGED_FILE, "j01.csv", framework=framework, member_org=MEMBER,
                                uploaded_by=f"member:{MEMBER}", audit_actor="cli:test", explanations=stray)
    stored = store.query(f"SELECT indicator_code, submission_id, author, origin, value FROM value_explanations "
                         f"WHERE {OURS}")
    assert stored.rows() == [("J01", result.submission_id, "cli:test", "upload", 20000.0)]


def test_explaining_a_stored_value_afterwards_replaces_the_earlier_explanation_and_is_audited(
    demo_db_fresh, framework
) -> None:
    store = open_store(demo_db_fresh)
    result = pipeline.load_file(store, FLAGGED_FILE, "j01.csv", framework=framework, member_org=MEMBER,
                                uploaded_by=f"member:{MEMBER}", audit_actor="cli:test",
                                explanations=_answers(20000, "première version"))
    assert explanations.explain(store, MEMBER, "J01", "2025-Q4", WHY, actor="account:x", origin="page") == (
        result.submission_id
    )
    rows = store.query(f"SELECT explanation, valid_to IS NULL AS current FROM value_explanations WHERE {OURS} "
                       "ORDER BY explained_at")
    assert rows.rows() == [("première version", False), (WHY, True)]
    audited = store.query("SELECT actor, detail FROM audit_log WHERE action = 'value_explained' AND target = ? "
                          "ORDER BY id", [f"submission:{result.submission_id}"])
    assert audited["actor"].to_list() == ["cli:test", "account:x"]
    assert json.loads(audited["detail"][1])["values"][0]["explanation"] == WHY
    with pytest.raises(ExplanationRefused):
        explanations.explain(store, MEMBER, "J01", "1999", WHY, actor="account:x", origin="page")
    with pytest.raises(ExplanationRefused):
        explanations.explain(store, MEMBER, "J01", "2025-Q4", "   ", actor="account:x", origin="page")
    assert store.scalar(f"SELECT count(*) FROM value_explanations WHERE {OURS}") == 2


def test_a_correction_is_not_explained_by_the_explanation_of_the_value_it_replaces(demo_db_fresh, framework) -> None:
    store = open_store(demo_db_fresh)
    pipeline.load_file(store, FLAGGED_FILE, "j01.csv", framework=framework, member_org=MEMBER,
                       uploaded_by=f"member:{MEMBER}", audit_actor="cli:test", explanations=_answers(20000, WHY))
    ours = pl.col("explained") & (pl.col("org_code") == MEMBER)
    assert scoring_inputs(store).filter(ours).height == 1
    corrected = FLAGGED_FILE.replace(b"20000", b"700")
    pipeline.load_file(store, corrected, "j01_bis.csv", framework=framework, member_org=MEMBER,
                       uploaded_by=f"member:{MEMBER}", audit_actor="cli:test")
    assert scoring_inputs(store).filter(ours).is_empty()


# -- the pages ----------------------------------------------------------------------------------
def _explain_boxes(at) -> list:
    return [box for box in at.text_input if str(box.key).startswith("upload_explain_")]


def test_upload_with_a_flagged_value_asks_for_an_explanation_stores_it_and_every_page_shows_it(
    demo_db_fresh, framework, monkeypatch
) -> None:
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    store = open_store(demo_db_fresh)
    at = open_page(start(demo_db_fresh, identity=MEMBER), "upload")
    at.file_uploader(key="upload_file").set_value(("j01.csv", FLAGGED_FILE, "text/csv")).run()
    assert not at.exception, at.exception
    boxes = _explain_boxes(at)
    assert len(boxes) == 1 and "J01" in boxes[0].label and "2025-Q4" in boxes[0].label
    assert any("1 valeur inhabituelle" in w.value for w in at.warning)
    boxes[0].input(WHY).run()
    at.button(key="upload_confirm").click().run()
    assert not at.exception and any("explication enregistrée" in c.value for c in at.caption)
    submission = store.scalar("SELECT max(id) FROM submissions")
    stored = store.query("SELECT org_code, indicator_code, period, submission_id, explanation, author, origin "
                         f"FROM value_explanations WHERE {OURS}")
    assert stored.rows() == [(MEMBER, "J01", "2025-Q4", submission, WHY, f"account:{MEMBER.lower()}", "upload")]
    audited = store.query("SELECT target FROM audit_log WHERE action = 'value_explained' AND actor = ?",
                          [f"account:{MEMBER.lower()}"])
    assert audited.rows() == [(f"submission:{submission}",)]

    score_store(store, framework, actor="cli:test", today=date(2026, 6, 1))
    # The reviewer: the committee's quality page shows the explanation, the source and the notes.
    text = visible_text(open_page(start(demo_db_fresh), "quality"))
    assert WHY in text and "registre des inscriptions" in text and "campagne d'été à Tiznit" in text
    # The member's profile: the value as submitted, with its source, notes and explanation; the card says it.
    at = open_page(start(demo_db_fresh, identity=MEMBER), "profile")
    at.selectbox(key="period").set_value("2025").run()
    text = visible_text(at)
    assert not at.exception
    assert WHY in text and "campagne d'été à Tiznit" in text and "registre des inscriptions" in text
    assert "confirmé par l'organisation (2025-Q4" in text  # the method card, composite by default


def test_method_card_says_confirmed_by_the_organisation(demo_db_fresh, framework) -> None:
    store = open_store(demo_db_fresh)
    pipeline.load_file(store, FLAGGED_FILE, "j01.csv", framework=framework, member_org=MEMBER,
                       uploaded_by=f"member:{MEMBER}", audit_actor="cli:test", explanations=_answers(20000, WHY))
    run_id, _ = score_store(store, framework, actor="cli:test", today=date(2026, 6, 1))
    for principle in (None, next(p for p in framework.principles if "J01" in
                                 {i.code for i in framework.indicators if p.code in i.weights}).code):
        reads = method_reads.card_reads(store, Viewer.member(MEMBER), run_id, MEMBER, "2025", principle, "fr")
        card = render(card_or_none(reads), "fr")
        assert "J01 · confirmé par l'organisation (2025-Q4" in card and f"« {WHY} »" in card
    other = method_reads.card_reads(store, Viewer.steering(), run_id, MEMBER, "2024", None, "fr")
    assert "confirmé par l'organisation" not in render(card_or_none(other), "fr")


def test_the_grade_of_the_explained_value_follows_its_explanation(demo_db_fresh, framework) -> None:
    """Scored by quarter, the corrected J01 is flagged in the cube: explained, it counts half."""
    store = open_store(demo_db_fresh)
    pipeline.load_file(store, FLAGGED_FILE, "j01.csv", framework=framework, member_org=MEMBER,
                       uploaded_by=f"member:{MEMBER}", audit_actor="cli:test", explanations=_answers(20000, WHY))
    inputs = scoring_inputs(store).filter(pl.col("indicator_code").is_in([i.code for i in framework.indicators]))

    def composite(frame: pl.DataFrame) -> dict:
        scores = compute_run(frame, framework, "quarter").scores
        row = scores.filter(pl.col("org_code") == MEMBER, pl.col("period") == "2025-Q4", pl.col("principle").is_null())
        return row.row(0, named=True)

    explained, unexplained = composite(inputs), composite(inputs.with_columns(explained=pl.lit(False)))
    assert explained["consistency_explained"] >= 1 and unexplained["consistency_explained"] == 0
    assert explained["consistency_flags"] == unexplained["consistency_flags"]
    assert explained["consistency"] < unexplained["consistency"]


# -- notes and sources --------------------------------------------------------------------------
def test_notes_and_source_are_shown_to_the_member_and_the_committee_and_only_the_source_to_a_funder(
    demo_db_fresh, framework
) -> None:
    store = open_store(demo_db_fresh)
    loaded = pipeline.load_file(store, FLAGGED_FILE, "j01.csv", framework=framework, member_org=MEMBER,
                                uploaded_by=f"member:{MEMBER}", audit_actor="cli:test")
    review.approve(store, loaded.submission_id, actor="cli:test")  # a funder's link reads approved values only
    run_id, _ = score_store(store, framework, actor="cli:test", today=date(2026, 6, 1))
    funder = Viewer.funder(LinkScope(org_codes=frozenset({MEMBER})))
    for viewer, notes in ((Viewer.member(MEMBER), "campagne d'été à Tiznit"),
                          (Viewer.steering(), "campagne d'été à Tiznit"), (funder, None)):
        values = profile_reads.submitted_values(store, viewer, run_id, MEMBER, "2025")
        j01 = values.filter(pl.col("indicator_code") == "J01", pl.col("period") == "2025-Q4",
                            pl.col("sex").is_null(), pl.col("age_band").is_null(), pl.col("area").is_null(),
                            pl.col("region").is_null(), pl.col("disability").is_null())
        assert j01.select("source", "notes").rows() == [("registre des inscriptions", notes)]
    # Another member sees none of them.
    assert profile_reads.submitted_values(store, Viewer.member("ASS-RAB-002"), run_id, MEMBER, "2025").is_empty()
    flagged = quality_reads.unusual_values(store, Viewer.steering(), run_id, "fr").filter(
        pl.col("org_code") == MEMBER, pl.col("indicator_code") == "J01", pl.col("period") == "2025-Q4")
    assert flagged.select("source", "notes").rows()[:1] == [("registre des inscriptions", "campagne d'été à Tiznit")]


def test_member_profile_shows_its_notes_and_sources(demo_db_fresh, framework, monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    store = open_store(demo_db_fresh)
    pipeline.load_file(store, FLAGGED_FILE, "j01.csv", framework=framework, member_org=MEMBER,
                       uploaded_by=f"member:{MEMBER}", audit_actor="cli:test")
    score_store(store, framework, actor="cli:test", today=date(2026, 6, 1))
    at = open_page(start(demo_db_fresh, identity=MEMBER), "profile")
    at.selectbox(key="period").set_value("2025").run()
    text = visible_text(at)
    assert "registre des inscriptions" in text and "campagne d'été à Tiznit" in text
    assert "Valeurs transmises" in text


def test_member_explains_afterwards_on_the_quality_page_a_value_the_run_flagged(
    demo_db_fresh, framework, monkeypatch
) -> None:
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    store = open_store(demo_db_fresh)
    result = pipeline.load_file(store, FLAGGED_FILE, "j01.csv", framework=framework, member_org=MEMBER,
                                uploaded_by=f"member:{MEMBER}", audit_actor="cli:test")
    score_store(store, framework, actor="cli:test", today=date(2026, 6, 1))
    assert not any(b.key == "explain_after_save" for b in open_page(start(demo_db_fresh), "quality").button)
    at = open_page(start(demo_db_fresh, identity=MEMBER), "quality")
    choice = at.selectbox(key="explain_after_value")
    j01 = next(n for n, label in enumerate(choice.options) if "J01" in label and "2025-Q4" in label)
    choice.select_index(j01).run()
    at.text_input(key="explain_after_text").input(WHY).run()
    at.button(key="explain_after_save").click().run()
    assert not at.exception
    assert any("Explication enregistrée" in s.value for s in at.success)
    stored = store.query("SELECT submission_id, author, origin FROM value_explanations WHERE explanation = ?", [WHY])
    assert stored.rows() == [(result.submission_id, f"account:{MEMBER.lower()}", "page")]
    assert WHY in visible_text(at)


def test_the_review_page_shows_a_flagged_value_with_its_explanation_before_any_scoring_run(
    demo_db_fresh, framework, monkeypatch
) -> None:
    """The reviewer reads the flag as the upload raised it (by quarter), with its explanation, without
    waiting for a run (the latest run is the demo's: it never saw this value)."""
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    store = open_store(demo_db_fresh)
    runs = store.scalar("SELECT count(*) FROM score_runs")
    loaded = pipeline.load_file(store, FLAGGED_FILE, "j01.csv", framework=framework, member_org=MEMBER,
                                uploaded_by=f"member:{MEMBER}", audit_actor="cli:test",
                                explanations=_answers(20000, WHY))
    at = open_page(start(demo_db_fresh), "review")
    at.selectbox(key="review_submission").set_value(loaded.submission_id).run()
    assert not at.exception
    flagged = next(tbl.value for tbl in at.table if "z robuste" in tbl.value.columns)
    assert flagged.iloc[:, [0, 1, 2, 5]].values.tolist() == [[MEMBER, "J01 · Personnes formées", "2025-Q4", WHY]]
    assert store.scalar("SELECT count(*) FROM score_runs") == runs
