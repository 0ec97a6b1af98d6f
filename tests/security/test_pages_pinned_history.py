"""A link pinned to a run reads that run for everything, the submission history included.

The demo network is scored once (run 1). Then ASS-CAS-001 sends a corrected copy of its 2025
annual file (every value again, the budget S02 changed), which closes every value of the original
file, and the network is scored again (run 2). A link pinned to run 1 must show the history and
the values that run 1 used — the original file, still ``accepted``, its budget — and nothing of the
correction: not its name, time, row count or values. What "used" means is what the run recorded:
``score_runs.submission_ids``, values as they stood when it ran.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.testing import open_page, start
from store import links
from store.db import open_store
from store.reads import common as common_reads
from store.reads import quality as quality_reads
from store.reads import uploads as uploads_reads
from store.registry import framework_in_use

from .pages_harness import digits_text, everything, load_rows, score

ORG = "ASS-CAS-001"
ORIGINAL_FILE = "ASS-CAS-001_2025_annuel.csv"
LATER_FILE = "cas001_2025_corrige_apres_calcul_1.csv"
UNSCORED_FILE = "cas001_2025_encore_plus_tard.csv"
LATER_BUDGET = 73829461.0

#: On both backends: the same pages over a DuckDB file and over a PostgreSQL copy of the demo (``page_db``).
pytestmark = [pytest.mark.usefixtures("page_downloads"), pytest.mark.backends("duckdb", "postgres")]


@pytest.fixture(scope="module")
def pinned_db(page_db: Path) -> Path:
    store = open_store(page_db)
    assert store.scalar("SELECT max(id) FROM score_runs") == 1
    original = store.scalar("SELECT id FROM submissions WHERE file_name = ?", [ORIGINAL_FILE])
    rows = store.query(
        "SELECT org_code, indicator_code, period, value, unit FROM observations WHERE submission_id = ? ORDER BY line",
        [original],
    ).to_dicts()
    assert any(r["indicator_code"] == "S02" for r in rows)
    corrected = [
        {**r, "value": str(LATER_BUDGET if r["indicator_code"] == "S02" else r["value"])} for r in rows
    ]
    load_rows(
        store, framework_in_use(store), corrected, LATER_FILE, member_org=ORG, uploaded_by=f"member:{ORG}"
    )
    assert store.scalar("SELECT status FROM submissions WHERE id = ?", [original]) == "superseded"
    assert score(store) == 2
    return page_db


@pytest.fixture(scope="module")
def tokens(pinned_db: Path) -> dict[str, str]:
    store = open_store(pinned_db)
    made = {
        name: links.create_link(
            store, label=f"Bailleur {name}", org_codes=[ORG], created_by="test:security", days=7, run_id=run
        )
        for name, run in (("pinned", 1), ("latest", None))
    }
    return {name: token for name, (_, token) in made.items()}


def _viewer(store, token: str):
    return links.check_token(store, token).viewer()


def test_a_pinned_link_history_holds_exactly_the_submissions_its_run_scored(pinned_db, tokens) -> None:
    store = open_store(pinned_db)
    pinned, latest = _viewer(store, tokens["pinned"]), _viewer(store, tokens["latest"])
    run1 = set(store.scalar("SELECT submission_ids FROM score_runs WHERE id = 1"))
    org_submissions = set(store.query("SELECT id FROM submissions WHERE org_code = ?", [ORG])["id"])
    history = uploads_reads.submissions(store, pinned, "fr", ORG)
    assert set(history["id"]) == run1 & org_submissions
    assert LATER_FILE not in history["file_name"].to_list()
    assert ORIGINAL_FILE in history["file_name"].to_list()
    # As it stood for run 1: the original file was accepted (its correction came later).
    assert set(history["status"]) == {"accepted"}
    later = store.scalar("SELECT id FROM submissions WHERE file_name = ?", [LATER_FILE])
    assert uploads_reads.submission_report(store, pinned, later) is None
    # Positive control: the unpinned link sees the correction and the superseded original.
    log = uploads_reads.submissions(store, latest, "fr", ORG)
    assert LATER_FILE in log["file_name"].to_list()
    assert "superseded" in log["status"].to_list()
    assert uploads_reads.submission_report(store, latest, later) is not None


def test_a_pinned_link_reads_the_values_its_run_used_not_a_later_correction(pinned_db, tokens) -> None:
    store = open_store(pinned_db)
    pinned, latest = _viewer(store, tokens["pinned"]), _viewer(store, tokens["latest"])

    def budget(viewer) -> list[float]:
        history = quality_reads.observation_history(store, viewer, 1)
        return history.filter(
            (history["org_code"] == ORG)
            & (history["indicator_code"] == "S02")
            & (history["period"] == "2025")
        )["value"].to_list()

    original = store.scalar(
        "SELECT value FROM score_indicators WHERE run_id = 1 AND org_code = ? AND indicator_code = 'S02' "
        "AND period = '2025'",
        [ORG],
    )
    assert budget(pinned) == [original] != [LATER_BUDGET]
    assert budget(latest) == [LATER_BUDGET]
    assert common_reads.framework_in_use(store, pinned)["hash"] == common_reads.latest_run(store, pinned)["framework_hash"]


def test_a_file_loaded_after_its_run_does_not_change_what_a_pinned_link_reads(pinned_db, tokens) -> None:
    store = open_store(pinned_db)
    pinned, latest = _viewer(store, tokens["pinned"]), _viewer(store, tokens["latest"])
    before = common_reads.data_version(store, pinned), common_reads.data_version(store, latest)
    load_rows(
        store,
        framework_in_use(store),
        [{"org_code": ORG, "indicator_code": "S04", "period": "2025", "value": "0", "unit": "boolean"}],
        UNSCORED_FILE,
        member_org=ORG,
        uploaded_by=f"member:{ORG}",
    )
    assert common_reads.data_version(store, pinned) == before[0]
    assert common_reads.data_version(store, latest) != before[1]
    assert UNSCORED_FILE not in uploads_reads.submissions(store, pinned, "fr", ORG)["file_name"].to_list()


def test_the_profile_page_of_a_pinned_link_shows_no_file_loaded_after_its_run(pinned_db, tokens) -> None:
    at = open_page(start(pinned_db, link=tokens["pinned"]), "profile")
    assert not at.exception
    text, files = everything(at)
    assert ORIGINAL_FILE in text  # the history is there, with what run 1 used
    assert any(ORIGINAL_FILE in f.text for f in files if f.file_name.endswith("_submissions.csv"))
    assert LATER_FILE not in text and UNSCORED_FILE not in text
    assert str(int(LATER_BUDGET)) not in digits_text(text)
    unpinned = open_page(start(pinned_db, link=tokens["latest"]), "profile")
    assert LATER_FILE in everything(unpinned)[0]
