"""Many files in one ``python -m ingest load`` command store exactly what loading them one by one stores.

The command reads the database's state once for all its files (``ingest.command_state``) and reads
the next files ahead (``ingest.batch``): what it learns from each committed file must be what a
fresh read would say, so a later file of the same command is checked against the values, the
received files and the locks as they are after the earlier ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from conftest import SAMPLES

from ingest.cli import main
from store.db import close_all, open_store

HEADER = "org_code,indicator_code,period,value,unit\n"
#: (file name, content): several organisations and years, a correction of an earlier file of the same
#: command (it supersedes), a part above a whole stored by an earlier file of the command (refused
#: against the stored value), the same bytes twice (the second is already received), a bad value.
FILES = {
    "cas_2023.csv": HEADER + "ASS-CAS-001,R01,2023,1200,\nASS-CAS-001,R03,2023,60,\nASS-CAS-001,E03,2023,81.5,\n",
    "cas_2024.csv": HEADER + "ASS-CAS-001,R01,2024,1250,\nASS-CAS-001,R03,2024,64,\n",
    "rbt_2024.csv": HEADER + "ASS-RBT-014,R01,2024,300,\nASS-RBT-014,P05,2024,3420.75,\n",
    "fes_2024.csv": HEADER + "FON-FES-007,R01,2024,90,\n",
    "cas_2024_fix.csv": HEADER + "ASS-CAS-001,R01,2024,1300,\nASS-CAS-001,R03,2024,66,\n",
    "fes_2024_psh.csv": HEADER + "FON-FES-007,R03,2024,150,\n",
    "rbt_2024_again.csv": HEADER + "ASS-RBT-014,R01,2024,300,\nASS-RBT-014,P05,2024,3420.75,\n",
    "rbt_2023_bad.csv": HEADER + "ASS-RBT-014,R01,2023,N/A,\nASS-RBT-014,P05,2023,12,\n",
    "fes_2023.csv": HEADER + "FON-FES-007,R01,2023,85,\nFON-FES-007,R03,2023,9,\n",
}
ACCEPTED = {"cas_2023.csv", "cas_2024.csv", "rbt_2024.csv", "fes_2024.csv", "cas_2024_fix.csv", "fes_2023.csv"}


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "files"
    folder.mkdir()
    paths = []
    for name, text in FILES.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def registered(tmp_path: Path, name: str) -> Path:
    db = tmp_path / name / "athar.duckdb"
    db.parent.mkdir()
    assert main(["orgs", str(SAMPLES / "organizations.csv"), "--db", str(db), "--json"]) == 0
    return db


def load(db: Path, paths: list[Path], capsys) -> tuple[int, list[dict]]:
    capsys.readouterr()
    status = main(["load", *map(str, paths), "--db", str(db), "--json", "--uploaded-by", "steering:t"])
    return status, json.loads(capsys.readouterr().out)


def stored(db: Path) -> dict[str, pl.DataFrame]:
    """What the database holds, without its clocks and the ids of the rows (the same in both runs)."""
    store = open_store(db)
    return {
        "values": store.query(
            "SELECT s.file_name, o.org_code, o.indicator_code, o.period, o.value, o.line, o.valid_to IS NULL AS current,"
            " o.superseded_by FROM observations o JOIN submissions s ON s.id = o.submission_id ORDER BY ALL"),
        "submissions": store.query(
            "SELECT id, file_name, org_code, content_sha256, status, row_count, uploaded_by, report FROM submissions "
            "ORDER BY id"),
        "audit": store.query(
            "SELECT action, outcome, target, json_extract_string(detail, '$.file') AS file, "
            "json_extract_string(detail, '$.status') AS status, count(*) AS entries FROM audit_log "
            "WHERE action IN ('upload', 'upload_rejected') GROUP BY ALL ORDER BY ALL"),
        "raw": pl.DataFrame({"kept": sorted(p.name for p in (db.parent / "raw").rglob("*") if p.is_file())}),
    }


def test_one_command_stores_exactly_what_loading_the_files_one_by_one_stores(tmp_path, files, capsys) -> None:
    together, one_by_one = registered(tmp_path, "together"), registered(tmp_path, "one_by_one")
    status, results = load(together, files, capsys)
    singles = []
    for path in files:
        singles += load(one_by_one, [path], capsys)[1]
    assert status == 1  # a file was rejected
    assert results == singles
    assert {r["file"] for r in results if r["status"] == "accepted"} == ACCEPTED
    for (what, a), b in zip(stored(together).items(), stored(one_by_one).values(), strict=True):
        assert a.equals(b), what
    close_all()


def test_a_later_file_of_the_command_is_checked_against_what_the_earlier_ones_stored(tmp_path, files, capsys) -> None:
    db = registered(tmp_path, "db")
    _, results = load(db, files, capsys)
    by_file = {r["file"]: r for r in results}
    # FON-FES-007's R03 of 2024 is above the R01 an earlier file of the same command stored
    assert by_file["fes_2024_psh.csv"]["status"] == "rejected"
    assert [i["code"] for i in by_file["fes_2024_psh.csv"]["issues"]] == ["part_above_stored_whole"]
    # the correction supersedes the values of the file before it
    assert by_file["cas_2024_fix.csv"]["superseded"] == 2
    # the same bytes for the same organisation, later in the command: recognised, nothing stored twice
    assert by_file["rbt_2024_again.csv"]["status"] == "already_received"
    assert by_file["rbt_2024_again.csv"]["submission_id"] == by_file["rbt_2024.csv"]["submission_id"]
    close_all()


def test_one_bad_file_among_good_ones_is_rejected_alone_with_its_message(tmp_path, files, capsys) -> None:
    db = registered(tmp_path, "db")
    status, results = load(db, files, capsys)
    assert status == 1
    bad = next(r for r in results if r["file"] == "rbt_2023_bad.csv")
    assert bad["status"] == "rejected" and bad["summary"] == "refusé — rien n'a été enregistré · 1 erreur"
    assert [(i["line"], i["code"], i["message"]) for i in bad["issues"]] == [
        (2, "not_a_number", "« N/A » n'est pas un nombre.")]
    held = stored(db)
    assert "rbt_2023_bad.csv" not in held["values"]["file_name"].to_list()
    assert sorted(held["submissions"]["file_name"].to_list()) == sorted(ACCEPTED)
    rejected = held["audit"].filter(pl.col("action") == "upload_rejected")
    assert sorted(rejected["file"].to_list()) == ["fes_2024_psh.csv", "rbt_2023_bad.csv"]
    close_all()


def test_running_the_same_command_again_stores_nothing_new(tmp_path, files, capsys) -> None:
    db = registered(tmp_path, "db")
    load(db, files, capsys)
    before = stored(db)
    status, again = load(db, files, capsys)
    after = stored(db)
    assert status == 1  # the bad files are still bad, and said so
    assert {r["file"]: r["status"] for r in again} == {
        **{name: "already_received" for name in ACCEPTED}, "rbt_2024_again.csv": "already_received",
        "fes_2024_psh.csv": "rejected", "rbt_2023_bad.csv": "rejected"}
    assert after["values"].equals(before["values"]) and after["submissions"].equals(before["submissions"])
    uploads = after["audit"].filter(pl.col("action") == "upload")
    assert uploads.equals(before["audit"].filter(pl.col("action") == "upload"))
    close_all()


def test_the_pairs_of_a_committed_file_are_worked_out_only_when_a_later_file_asks(tmp_path) -> None:
    from ingest.command_state import CommandState

    db = tmp_path / "athar.duckdb"
    store = open_store(db)
    state = CommandState.load(store, [])
    rows = pl.DataFrame({"org_code": ["ASS-CAS-001"] * 3, "period": ["2023", "2024", "2024"]})
    state.committed("digest", None, 1, rows)
    assert state.held == set()  # a command's last (or only) file never pays for them
    assert state.held_pairs() == {("ASS-CAS-001", "2023"), ("ASS-CAS-001", "2024")}
    assert state.unheld == []
    close_all()
