"""Time done right: pages open on the latest complete period, a partial one is labelled with its
count and never compared with a complete one, and templates default to the period due now.

The dashboard tests run the real app (AppTest) on a copy of the demo network where one member has
uploaded the next, unfinished period and the committee has recomputed the scores — the January
situation. Today is injected (``ATHAR_TEST_TODAY``); nothing here depends on the wall clock.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.testing import open_page, start, visible_text
from framework.model import load_framework
from framework.periods import due_period, period_states, usual_granularity
from i18n.bidi import strip_isolates
from ingest import pipeline
from ingest.template import template_main
from metrics.run import score_store
from store import calendar
from store.db import Store, open_store
from store.links import create_link

MEMBER = "ASS-CAS-001"
PARTIAL_FILE = (
    "org_code,indicator_code,period,value,unit\n"
    f"{MEMBER},R01,2026-Q3,1480,personnes\n"
    f"{MEMBER},R05,2026-Q3,600,personnes\n"
).encode()
#: When the committee recomputed (the run's time, fixed so a pinned link's view does not drift).
RUN_MADE = datetime(2026, 11, 15, 10, 0)
NOVEMBER = "2026-11-15"  # 2026 is running: 2025's deadline (2026-03-31) has passed
FEBRUARY = "2026-02-15"  # 2025 has ended, its deadline (2026-03-31) is still open
NEXT_SUMMER = "2027-06-01"  # 2026's deadline (2027-03-31) has passed


@pytest.fixture(scope="module")
def partial_db(demo_db_pristine, tmp_path_factory) -> Path:
    """The demo network plus one member's 2026-Q3 file, scored again."""
    path = tmp_path_factory.mktemp("partial") / "demo.duckdb"
    shutil.copy(demo_db_pristine, path)
    store = Store(path)
    framework = load_framework()
    result = pipeline.load_file(
        store, PARTIAL_FILE, "2026-T3.csv", framework=framework, member_org=MEMBER,
        uploaded_by="test", today=date(2026, 11, 10),
    )
    assert result.status == "accepted", result.issues
    run_id, _ = score_store(store, framework, actor="cli:test", today=RUN_MADE.date())
    store.write(lambda cur: cur.execute("UPDATE score_runs SET created_at = ? WHERE id = ?", [RUN_MADE, run_id]))
    store.close()
    return path


@pytest.fixture
def app(partial_db, monkeypatch):
    monkeypatch.setenv("ATHAR_DB", str(partial_db))
    monkeypatch.setenv("ATHAR_TEST_TODAY", NOVEMBER)
    monkeypatch.delenv("ATHAR_COMPLETE_SHARE", raising=False)
    return partial_db


def _period_box(at):
    return at.selectbox(key="period")


def _metric_deltas(at) -> dict[str, str]:
    return {m.label: str(m.proto.delta) for m in at.metric}


# -- the rule (pure) ---------------------------------------------------------------------------
def test_a_period_is_complete_once_its_deadline_passes_or_enough_members_reported() -> None:
    counts = pl.DataFrame({"period": ["2025", "2026"], "reporting": [38, 1], "expected": [40, 40]})
    states = period_states(counts, today=date(2026, 11, 15), deadline_days=90, share=0.8)
    assert states["complete"].to_list() == [True, False]
    assert states["deadline"].to_list() == [date(2026, 3, 31), date(2027, 3, 31)]
    early = period_states(counts, today=date(2026, 2, 15), deadline_days=90, share=0.8)
    assert early["complete"].to_list() == [True, False]  # 38 of 40 reported: enough before the deadline
    strict = period_states(counts, today=date(2026, 2, 15), deadline_days=90, share=1.0)
    assert strict["complete"].to_list() == [False, False]
    later = period_states(counts, today=date(2027, 4, 1), deadline_days=90, share=1.0)
    assert later["complete"].to_list() == [True, True]


def test_the_period_due_is_the_latest_that_has_ended_never_the_running_one() -> None:
    assert due_period(date(2026, 1, 5), "year") == "2025"
    assert due_period(date(2026, 12, 31), "year") == "2025"
    assert due_period(date(2026, 11, 15), "quarter") == "2026-Q3"
    assert due_period(date(2026, 1, 5), "quarter") == "2025-Q4"
    assert due_period(date(2026, 7, 1), "semester") == "2026-S1"
    assert due_period(date(2026, 3, 1), "month") == "2026-02"
    assert usual_granularity(pl.Series("granularity", ["quarter", "quarter", "year"])) == "quarter"
    assert usual_granularity(pl.Series("granularity", [], dtype=pl.String), "semester") == "semester"


# -- the overview on the January situation -----------------------------------------------------
def test_overview_opens_on_the_latest_complete_period_and_labels_the_partial_one(app) -> None:
    at = start(app)
    box = _period_box(at)
    assert box.value == "2025"
    labels = [box.format_func(option) for option in box.options]
    assert labels[:2] == ["2026 — en cours, 1 organisation sur 40", "2025"]
    assert "Période 2025 ·" in visible_text(at)


def test_a_partial_period_is_never_set_against_a_complete_one(app) -> None:
    at = start(app)
    assert any(delta for delta in _metric_deltas(at).values())  # 2025 against 2024: both complete
    at = _period_box(at).select("2026").run()
    text = visible_text(at)
    assert "Période 2026 — en cours, 1 organisation sur 40" in text
    assert all(not delta for delta in _metric_deltas(at).values()), _metric_deltas(at)
    assert "Pas de variation entre 2025 et 2026 : 2026 — en cours, 1 organisation sur 40." in text
    assert "−135" not in text and "−37" not in text
    assert not [df for df in at.dataframe if "Médiane en 2025" in df.value.columns]


def test_the_partial_label_follows_the_language(app) -> None:
    arabic = start(app, lang="ar")
    box = _period_box(arabic)
    assert strip_isolates(box.format_func("2026")) == "2026 — جارية، المنظمات المصرِّحة: 1 من أصل 40"
    english = start(app, lang="en")
    assert _period_box(english).format_func("2026") == "2026 — in progress, 1 organisation of 40"


def test_the_profile_opens_on_the_complete_period_and_shows_no_change_on_a_partial_one(app) -> None:
    at = open_page(start(app, identity=MEMBER), "profile")
    assert _period_box(at).value == "2025"
    at = _period_box(at).select("2026").run()
    composite = next(m for m in at.metric if m.label == "Indice composite")
    assert not composite.proto.delta


def test_the_complete_share_setting_changes_which_period_opens(app, monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_TEST_TODAY", FEBRUARY)
    assert _period_box(start(app)).value == "2025"  # 2025: most members reported, enough before the deadline
    monkeypatch.setenv("ATHAR_COMPLETE_SHARE", "1")
    box = _period_box(start(app))
    assert box.value == "2024"
    assert box.format_func("2025").startswith("2025 — en cours, ")


def test_a_period_is_complete_once_its_deadline_has_passed_whoever_reported(app, monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_TEST_TODAY", NEXT_SUMMER)
    box = _period_box(start(app))
    assert box.value == "2026" and box.format_func("2026") == "2026"


def test_a_link_pinned_to_a_run_sees_the_periods_as_they_stood_at_that_run(app, monkeypatch) -> None:
    store = Store(app)
    try:
        orgs = store.query(
            "SELECT code FROM organizations WHERE active AND code <> ? ORDER BY code LIMIT 4", [MEMBER]
        )["code"].to_list()
        run_id = int(store.scalar("SELECT max(id) FROM score_runs"))
        _, pinned = create_link(store, label="pinned", org_codes=[MEMBER, *orgs], created_by="cli:test",
                                run_id=run_id)
        _, live = create_link(store, label="live", org_codes=[MEMBER, *orgs], created_by="cli:test")
    finally:
        store.close()
    monkeypatch.setenv("ATHAR_TEST_TODAY", NEXT_SUMMER)
    box = _period_box(start(app, link=pinned))
    assert box.value == "2025"
    assert strip_isolates(box.format_func("2026")) == "2026 — en cours, 1 organisation sur 5"
    assert _period_box(start(app, link=live)).value == "2026"  # live: 2026's deadline has passed


# -- what a member has to report now -----------------------------------------------------------
def test_the_upload_page_offers_the_period_due_not_the_running_year(app) -> None:
    at = open_page(start(app, identity="ENT-CAS-006"), "upload")
    box = at.selectbox(key="upload_template_period")
    assert box.value == "2026-Q3"  # the demo's calendar asks for quarters; 2026-Q3 ended, 2026 runs
    assert box.format_func("2026") == "2026 (pas encore terminée)"
    # the calendar's deadline (30 days after the quarter), passed on 15 November
    assert "2026-Q3 n'est pas encore déclarée et l'échéance du 30 octobre 2026 est passée" in visible_text(at)


def test_the_upload_page_says_when_the_due_period_is_done(app) -> None:
    """Nothing open in the calendar (the member reports the year only, 2025 sent): the period under
    way at its usual granularity, 2026-Q3, is said to be sent."""
    store = open_store(app)
    calendar.set_calendar(store, "quarter", remove=[MEMBER], actor="test", source="test", default_year=2026)
    try:
        at = open_page(start(app, identity=MEMBER), "upload")
        assert "2026-Q3 est déclarée." in visible_text(at)
    finally:
        calendar.set_calendar(store, "quarter", reset=[MEMBER], actor="test", source="test", default_year=2026)


def test_the_template_command_defaults_to_the_period_due_on_the_given_day(tmp_path, capsys) -> None:
    out = tmp_path / "modele.xlsx"
    assert template_main(["--org", MEMBER, "-o", str(out)], today=date(2026, 1, 5)) == 0
    assert openpyxl.load_workbook(out).worksheets[0]["D2"].value == "2025"
    assert "modèle pour 2025" in capsys.readouterr().out
    assert template_main(["--org", MEMBER, "--granularity", "quarter", "-o", str(out)], today=date(2026, 11, 15)) == 0
    assert openpyxl.load_workbook(out).worksheets[0]["D2"].value == "2026-Q3"


def test_the_funder_link_form_labels_the_partial_period(app) -> None:
    at = open_page(start(app), "links")
    assert at.multiselect(key="link_periods").format_func("2026") == "2026 — en cours, 1 organisation sur 40"


def test_the_period_tables_of_quality_and_sustainability_name_the_partial_period(app) -> None:
    partial = "2026 — en cours, 1 organisation sur 40"
    quality = open_page(start(app), "quality")
    assert partial in visible_text(quality)
    sustainability = open_page(start(app), "sustainability")
    assert partial in visible_text(sustainability)


def test_before_its_deadline_an_organisation_that_has_not_reported_is_not_called_missing(app) -> None:
    at = _period_box(start(app)).select("2026").run()
    labels = [m.label for m in at.metric]
    assert "Pas encore déclaré (échéance le 31 mars 2027)" in labels and "Manquant" not in labels
    assert "Manquant" in [m.label for m in start(app).metric]  # 2025: its deadline has passed


# -- trends count complete periods only -----------------------------------------------------------
def _trends(path: Path, org: str) -> pl.DataFrame:
    store = Store(path)
    try:
        return store.query(
            "SELECT principle, indicator_code, last_period, n_periods, slope, trend, persistence, sustained "
            "FROM score_trends WHERE run_id = (SELECT max(id) FROM score_runs) AND org_code = ? "
            "ORDER BY principle NULLS LAST, indicator_code NULLS FIRST",
            [org],
        )
    finally:
        store.close()


def test_a_partial_period_does_not_move_an_organisations_trend_or_sustained_status(
    demo_db_pristine, partial_db
) -> None:
    before, after = _trends(demo_db_pristine, MEMBER), _trends(partial_db, MEMBER)
    assert after.height == before.height and "2026" not in after["last_period"].to_list()
    # Equal up to the order a parallel sum adds in (the last bits of a slope), not one status more or less.
    assert_frame_equal(after, before, check_exact=False, rel_tol=1e-9, abs_tol=1e-12)


def test_once_its_deadline_has_passed_the_period_counts_in_the_trend(demo_db_pristine, tmp_path) -> None:
    path = tmp_path / "later.duckdb"
    shutil.copy(demo_db_pristine, path)
    store = Store(path)
    framework = load_framework()
    pipeline.load_file(
        store, PARTIAL_FILE, "2026-T3.csv", framework=framework, member_org=MEMBER,
        uploaded_by="test", today=date(2026, 11, 10),
    )
    score_store(store, framework, actor="cli:test", today=date(2027, 6, 1))
    store.close()
    assert "2026" in _trends(path, MEMBER)["last_period"].to_list()


def test_the_sustainability_series_draws_the_partial_period_apart_and_labels_it(app) -> None:
    at = open_page(start(app), "sustainability")
    at = at.selectbox(key="sust_org").select(MEMBER).run()
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    traces = [t for c in charts for t in c["data"] if "(en cours)" in str(t.get("name", ""))]
    assert traces, "no series labels its partial point"
    assert all(t["line"]["dash"] == "dot" and "2026" in t["x"] for t in traces)
    solid = [t for c in charts for t in c["data"] if t.get("legendgroup") == traces[0]["legendgroup"]
             and t is not traces[0]]
    assert solid and all(y is None for x, y in zip(solid[0]["x"], solid[0]["y"], strict=True) if x == "2026")
    text = visible_text(at)
    assert "ne comptent que les périodes complètes : 2026 (en cours)" in text


def test_the_profile_trend_card_says_the_partial_period_is_left_out(app) -> None:
    at = open_page(start(app), "profile")
    assert "ne comptent que les périodes complètes : 2026 (en cours)" in visible_text(at)
