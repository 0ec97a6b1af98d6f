"""The in-app form (issue 13): the expected indicators of the due period, typed instead of uploaded,
checked and stored by the upload's own pipeline — same messages, same submission, same audit entry.

Today is fixed at 10 February 2026: ASS-CAS-001 reports by quarter, so the due period is 2025-Q4
and the reference values are 2025-Q3's (the demo's R01 by sex 4 747 / 6 096, R06 6 749).
"""

from __future__ import annotations

import json
import re

import polars as pl
import pytest

from dashboard.testing import open_page, start
from framework.model import load_framework
from ingest import pipeline
from ingest.form import form_file, form_lines, previous_period
from ingest.issues import render_hint, render_message
from store.db import open_store

MEMBER = "ASS-CAS-001"
PERIOD = "2025-Q4"
TODAY = "2026-02-10"


def key(field: str, column: str = "value") -> str:
    return f"form_{MEMBER}_{PERIOD}_{field}_{column}"


@pytest.fixture
def form_page(demo_db_fresh, monkeypatch):
    """The member's form page on a private copy of the demo, today fixed."""
    monkeypatch.setenv("ATHAR_TEST_TODAY", TODAY)
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    at = open_page(start(demo_db_fresh, identity=MEMBER), "form")
    assert not at.exception, [e.value for e in at.exception]
    return at


def submitted(at, values: dict[str, str]):
    for field, typed in values.items():
        at.text_input(key=key(field)).input(typed)
    return at.button(key="form_check").click().run()


def counts(db) -> tuple[int, int, int]:
    store = open_store(db)
    return (store.scalar("SELECT count(*) FROM submissions"), store.scalar("SELECT count(*) FROM observations"),
            store.scalar("SELECT count(*) FROM audit_log"))


def errors(at) -> list[str]:
    """The error boxes as read (Markdown escapes removed)."""
    return [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]


def file_messages(db, rows: str, lang: str = "fr") -> list[str]:
    """What the same values give through a file: the report's message and hint, as the form shows them."""
    data = ("org_code;indicator_code;period;value\n" + rows).encode()
    checked = pipeline.check(data, "valeurs.csv", framework=load_framework(), store=open_store(db), member_org=MEMBER)
    return [
        f"{render_message(r['code'], lang, r['value'], r['expected'], r['column'])} "
        f"{render_hint(r['code'], lang, r['value'], r['expected'], r['column'])}".strip()
        for r in checked.result.issues.filter(pl.col("severity") == "error").to_dicts()
    ]


def test_the_form_lists_the_expected_indicators_of_the_due_period_with_units_and_parts_by_sex(form_page) -> None:
    at = form_page
    assert at.selectbox(key=f"form_period_{MEMBER}").value == PERIOD
    labels = {w.key: w.label for w in at.text_input}
    # education|youth: the rules every member has (R01…) and education's (R06, E01…), not employment's J01
    assert key("R01__total") in labels and key("R06__total") in labels and key("E01__total") in labels
    assert key("J01__total") not in labels
    assert labels[key("R01__total")] == "Valeur (personnes)"
    assert labels[key("R01__F")] == "Femmes (personnes)" and labels[key("R01__M")] == "Hommes (personnes)"
    assert key("R06__total", "notes") in labels and key("R06__total", "source") in labels


def test_the_form_shows_the_previous_period_values_as_reference(form_page) -> None:
    at = form_page
    assert previous_period(PERIOD) == "2025-Q3"
    # 2025-Q3 R01 was reported by sex only, R06 as a total: each figure sits under its own field.
    assert at.text_input(key=key("R01__F")).proto.placeholder == "4\u202f747"
    assert at.text_input(key=key("R01__M")).proto.placeholder == "6\u202f096"
    assert at.text_input(key=key("R06__total")).proto.placeholder == "6\u202f749"
    assert at.text_input(key=key("R01__total")).proto.placeholder == ""
    captions = [c.value for c in at.caption]
    assert "Unité : personnes · 2025-Q3 : 6\u202f749" in captions
    assert "Unité : personnes · 2025-Q3 : aucune valeur" in captions
    assert at.text_input(key=key("R06__total")).value == ""  # a reference, never a value sent again


def test_a_member_fills_the_form_and_the_values_are_stored_with_an_audit_entry_like_an_upload(
    form_page, demo_db_fresh
) -> None:
    at = form_page
    before = counts(demo_db_fresh)
    at.text_input(key=key("R06__total", "notes")).input("Nouveau programme à Tiznit")
    at.text_input(key=key("R06__total", "source")).input("Liste de présence")
    at = submitted(at, {"R01__F": "5200", "R01__M": "6100", "R06__total": "7012"})
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(s.value.startswith("valide — 3 valeurs") for s in at.success)
    assert counts(demo_db_fresh) == before  # checked, not stored
    at = at.button(key="form_confirm").click().run()
    assert any("accepté — 3 valeurs enregistrées" in s.value for s in at.success), [s.value for s in at.success]
    store = open_store(demo_db_fresh)
    sid = store.scalar("SELECT max(id) FROM submissions")
    assert store.query("SELECT file_name, org_code, uploaded_by FROM submissions WHERE id = ?", [sid]).rows() == [
        (f"form_{MEMBER}_{PERIOD}.csv", MEMBER, f"member:{MEMBER}")
    ]
    stored = store.query(
        "SELECT indicator_code, sex, value, notes, source FROM observations WHERE submission_id = ? "
        "ORDER BY indicator_code, sex", [sid]
    ).rows()
    assert stored == [("R01", "F", 5200, None, None), ("R01", "M", 6100, None, None),
                      ("R06", None, 7012, "Nouveau programme à Tiznit", "Liste de présence")]
    entry = store.query("SELECT actor, action, target, outcome, detail FROM audit_log ORDER BY id DESC LIMIT 1").row(
        0, named=True)
    assert (entry["actor"], entry["action"], entry["target"], entry["outcome"]) == (
        f"account:{MEMBER.lower()}", "upload", f"submission:{sid}", "ok")
    detail = json.loads(entry["detail"])
    assert detail["file"] == f"form_{MEMBER}_{PERIOD}.csv" and detail["uploaded_by"] == f"member:{MEMBER}"
    assert detail["rows"] == 3


def test_text_in_a_number_gets_the_files_message_beside_the_field_and_nothing_is_stored(
    form_page, demo_db_fresh
) -> None:
    before = counts(demo_db_fresh)
    at = submitted(form_page, {"R06__total": "douze"})
    expected = file_messages(demo_db_fresh, f"{MEMBER};R06;{PERIOD};douze\n")
    assert expected and "douze" in expected[0]
    shown = errors(at)
    assert expected[0] in shown, shown
    assert any(s.startswith("refusé — rien n'a été enregistré") for s in shown), shown
    assert "form_confirm" not in [b.key for b in at.button]
    assert counts(demo_db_fresh) == before


def test_a_part_above_its_whole_gets_the_files_message_and_nothing_is_stored(form_page, demo_db_fresh) -> None:
    """R06 (young people) is a part of R01 (people reached): 500 of 100 is refused, as in a file."""
    before = counts(demo_db_fresh)
    at = submitted(form_page, {"R01__total": "100", "R06__total": "500"})
    expected = file_messages(demo_db_fresh, f"{MEMBER};R01;{PERIOD};100\n{MEMBER};R06;{PERIOD};500\n")
    shown = errors(at)
    parts = [m for m in expected if "R06" in m and "R01" in m]
    assert parts and all(m in shown for m in parts), (expected, shown)
    assert counts(demo_db_fresh) == before


def test_the_forms_file_has_one_line_per_typed_field_in_the_templates_columns(framework) -> None:
    lines = form_lines(framework, ["R01", "R06", "S01"])
    assert lines["field"].to_list()[:3] == ["R01__total", "R01__F", "R01__M"]
    assert "S01__total" not in lines["field"].to_list()  # derived (cost per beneficiary): Athar computes it
    entries = pl.DataFrame({"field": ["R01__M", "R06__total"], "value": ["12", " "], "notes": [None, "vu"],
                            "source": [None, None]})
    data, positions = form_file(framework, lines, entries, MEMBER, PERIOD, "ar")
    text = data.decode("utf-8-sig").splitlines()
    assert text[0] == '"org_code";"indicator_code";"period";"value";"unit";"sex";"notes";"source"'
    assert text[1] == f'"{MEMBER}";"R01";"{PERIOD}";"12";"أشخاص";"M";;'
    assert text[2] == f'"{MEMBER}";"R06";"{PERIOD}";;"أشخاص";;"vu";'  # a note without a value still goes
    assert positions.rows() == [(2, "R01__M"), (3, "R06__total")]


def test_in_arabic_the_form_and_the_upload_page_show_the_same_message_for_the_same_value(
    demo_db_fresh, monkeypatch
) -> None:
    """The upload page's report (a table) and the form's field say the same words, isolated alike."""
    monkeypatch.setenv("ATHAR_TEST_TODAY", TODAY)
    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    at = open_page(start(demo_db_fresh, identity=MEMBER, lang="ar"), "upload")
    data = f"org_code;indicator_code;period;value\n{MEMBER};R06;{PERIOD};abc\n".encode()
    at.file_uploader(key="upload_file").set_value(("valeurs.csv", data, "text/csv"))
    at = at.run()
    report = at.table[0].value.to_dict("records")
    assert len(report) == 1
    words = [re.sub(r"\\(.)", r"\1", str(v)) for v in report[0].values()]  # Markdown escapes removed
    at = submitted(open_page(at, "form"), {"R06__total": "abc"})
    shown = errors(at)
    beside = [e for e in shown if "abc" in e]
    assert len(beside) == 1, shown
    message, hint = words[-2], words[-1]  # the report's last columns: message, hint
    assert beside[0] == f"{message} {hint}", (beside, words)


def test_checking_an_empty_form_says_nothing_was_typed_and_stores_nothing(form_page, demo_db_fresh) -> None:
    before = counts(demo_db_fresh)
    at = form_page.button(key="form_check").click().run()
    assert [w.value for w in at.warning] == ["Aucune valeur saisie : rien à vérifier."]
    assert "form_confirm" not in [b.key for b in at.button]
    assert counts(demo_db_fresh) == before


def test_a_value_the_consistency_rule_flags_asks_for_an_explanation_stored_with_the_value(
    form_page, demo_db_fresh
) -> None:
    """As on the upload page: one box per flagged value, the answer stored with it (origin ``form``)."""
    at = submitted(form_page, {"E02__total": "90"})  # E02 stays between 11 and 17 here
    assert not at.error, errors(at)
    boxes = [box for box in at.text_input if str(box.key).startswith("form_explain_")]
    assert len(boxes) == 1 and "E02" in boxes[0].label and PERIOD in boxes[0].label
    boxes[0].input("Nouveau programme à Tiznit").run()
    at = at.button(key="form_confirm").click().run()
    assert not at.exception and not at.error, errors(at)
    assert any("explication enregistrée" in c.value for c in at.caption), [c.value for c in at.caption]
    store = open_store(demo_db_fresh)
    sid = store.scalar("SELECT max(id) FROM submissions")
    assert store.query("SELECT indicator_code, period, submission_id, explanation, author, origin "
                       "FROM value_explanations WHERE submission_id = ?", [sid]).rows() == [  # not the demo's own
        ("E02", PERIOD, sid, "Nouveau programme à Tiznit", f"account:{MEMBER.lower()}", "form")]


def test_a_locked_period_refuses_the_form_with_the_upload_message_and_stores_nothing(
    form_page, demo_db_fresh
) -> None:
    from store import review
    from store.review import PeriodLocked

    store = open_store(demo_db_fresh)
    data = f"org_code,indicator_code,period,value\n{MEMBER},R06,{PERIOD},7000\n".encode()
    approved = pipeline.load_file(store, data, "r06.csv", framework=load_framework(), member_org=MEMBER,
                                  uploaded_by=f"member:{MEMBER}")
    review.approve(store, approved.submission_id, actor="account:comite")
    stored = ("SELECT (SELECT count(*) FROM submissions), (SELECT count(*) FROM observations), "
              "(SELECT count(*) FROM value_explanations)")
    before = store.query(stored).row(0)
    at = submitted(form_page, {"R06__total": "7012"})
    at = at.button(key="form_confirm").click().run()
    assert not at.exception
    # the upload page's words: the period is approved, ask to reopen it
    assert errors(at) == [re.sub(r"\\(.)", r"\1", PeriodLocked([(MEMBER, PERIOD)]).message("fr"))]
    assert "verrouill" in errors(at)[0] and PERIOD in errors(at)[0]
    assert store.query(stored).row(0) == before
    refused = json.loads(store.scalar("SELECT detail FROM audit_log WHERE action = 'upload_rejected' "
                                      "ORDER BY id DESC LIMIT 1"))
    assert (refused["status"], refused["file"]) == ("period_locked", f"form_{MEMBER}_{PERIOD}.csv")
