"""Parts within totals: the framework's part-of relations and complete breakdowns, and the files they refuse."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES
from framework_hash import copy_without_later_fields, hash_without_later_fields

from framework.model import DEFAULT_FRAMEWORK_DIR, FrameworkError, load_framework
from i18n.bidi import strip_isolates

ORG = "ASS-CAS-001"
HEADER = "org_code,indicator_code,period,value,unit,sex\n"


def ingest(*args: str | Path, lang: str = "fr") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ingest", *map(str, args), "--lang", lang]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)


def written(tmp_path: Path, name: str, *rows: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def checked(path: Path, *options: str, lang: str = "fr") -> tuple[int, list[dict]]:
    result = ingest("check", path, "--json", *options, lang=lang)
    [report] = json.loads(result.stdout)
    return result.returncode, [i for i in report["issues"] if i["severity"] == "error"]


def plain(text: str) -> str:
    """Without the Arabic isolates and CLDR's narrow spaces, so an assertion reads the digits."""
    return re.sub("[\u2066-\u2069]", "", text).replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A real DuckDB file with the sample organisations and, stored, R01 = 100 and R03 = 40 for 2024."""
    path = tmp_path / "athar.duckdb"
    assert ingest("orgs", SAMPLES / "organizations.csv", "--db", path).returncode == 0
    first = written(tmp_path, "premier_envoi.csv", f"{ORG},R01,2024,100,personnes,", f"{ORG},R03,2024,40,personnes,")
    assert ingest("load", first, "--db", path).returncode == 0
    return path


# -- the framework ------------------------------------------------------------------------------
def test_the_default_catalogue_declares_the_parts_of_r01_and_every_breakdown_complete(framework) -> None:
    parts = {part for part, whole in framework.part_relations if whole == "R01"}
    assert {"R03", "R05", "R06"} <= parts
    assert all(framework.unit_of(p).code == "persons" for p in parts)
    assert set(framework.complete_breakdowns) == {"sex", "age_band", "disability", "area", "region"}


def _framework_copy(tmp_path: Path, edit) -> Path:
    directory = tmp_path / "fw"
    shutil.copytree(DEFAULT_FRAMEWORK_DIR, directory)
    path = directory / "indicators.toml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return directory


def _declare(text: str, code: str, whole: str) -> str:
    """``part_of = whole`` on ``code``, placed after its unit line as in the catalogue."""
    text = re.sub(rf'(code = "{code}"\n[^\n]*\nunit = "[^"]*"\n)part_of = "[^"]*"\n', r"\1", text, count=1)
    return re.sub(rf'(code = "{code}"\n[^\n]*\nunit = "[^"]*"\n)', rf'\1part_of = "{whole}"\n', text, count=1)


@pytest.mark.parametrize(
    ("code", "whole", "problem", "french", "arabic"),
    [
        ("R03", "R99", "unknown_reference", "renvoie à un indicateur inconnu 'R99'", "مؤشر غير معروف"),
        ("R07", "R01", "part_of_unit", "compté en households quand R01 l'est en persons", "بينما يُحسب R01"),
        ("R02", "R04", "part_of_kind", "pas une valeur en percent", "لا قيمة بـpercent"),
        ("R01", "R03", "part_of_cycle", "R01 ⊆ R03 ⊆ R01", "حلقة"),
        ("S01", "S02", "part_of_derived", "indicateur S01 : part_of S02 relie un indicateur calculé", "محسوبًا"),
    ],
)
def test_a_part_of_that_cannot_hold_is_refused_with_a_typed_problem_in_french_and_arabic(
    tmp_path: Path, code: str, whole: str, problem: str, french: str, arabic: str
) -> None:
    directory = _framework_copy(tmp_path, lambda text: _declare(text, code, whole))
    with pytest.raises(FrameworkError) as raised:
        load_framework(directory)
    assert [p.code for p in raised.value.problems] == [problem]
    assert french in raised.value.texts("fr")[0]
    assert arabic in strip_isolates(raised.value.texts("ar")[0])  # codes are isolated in Arabic


def test_a_framework_declaring_no_part_keeps_the_hash_it_had_before_parts_existed(tmp_path: Path) -> None:
    framework = load_framework(copy_without_later_fields(tmp_path / "framework"))
    assert framework.part_relations == () and framework.complete_breakdowns == ()
    assert framework.content_hash == hash_without_later_fields(framework)
    assert load_framework().content_hash != framework.content_hash  # declaring parts is a change of version


# -- refusals in one file -----------------------------------------------------------------------
def test_a_part_above_its_whole_is_refused_naming_both_lines_values_and_indicators(tmp_path: Path) -> None:
    path = written(tmp_path, "r03.csv", f"{ORG},R01,2024,100,personnes,", f"{ORG},R03,2024,500,personnes,",
                   f"{ORG},R06,2024,900,personnes,")
    status, errors = checked(path)
    assert status == 1
    assert [(e["code"], e["line"], e["value"]) for e in errors] == [
        ("part_above_whole", 3, "500"), ("part_above_whole", 4, "900")]
    assert errors[0]["message"] == (
        "R03 « Bénéficiaires en situation de handicap » = 500 (ligne 3) dépasse "
        "R01 « Bénéficiaires directs uniques » = 100 (ligne 2) : une partie ne peut pas dépasser son tout.")
    assert "corrigez la ligne 3 ou la ligne 2" in errors[0]["hint"]
    assert "R06 « Enfants et adolescents » = 900 (ligne 4)" in errors[1]["message"]


def test_a_part_above_its_whole_is_refused_in_arabic(tmp_path: Path) -> None:
    path = written(tmp_path, "r03.csv", f"{ORG},R01,2024,100,personnes,", f"{ORG},R03,2024,500,personnes,")
    status, [error] = checked(path, lang="ar")
    assert status == 1 and error["code"] == "part_above_whole"
    message = plain(error["message"])
    assert message.startswith("R03 «المستفيدون في وضعية إعاقة» = 500 (السطر 3) يتجاوز")
    assert "R01 «المستفيدون المباشرون الفريدون» = 100 (السطر 2)" in message
    assert "لا يمكن للجزء أن يتجاوز الكل" in message and "صحّح السطر 3 أو السطر 2" in plain(error["hint"])


def test_a_part_is_compared_with_its_whole_in_the_same_breakdown_cell_only(tmp_path: Path) -> None:
    path = written(tmp_path, "cells.csv", f"{ORG},R01,2024,100,personnes,", f"{ORG},R01,2024,30,personnes,F",
                   f"{ORG},R03,2024,50,personnes,F", f"{ORG},R03,2024,50,personnes,")
    status, [error] = checked(path)
    assert status == 1 and (error["line"], error["value"]) == (4, "50")
    assert "= 50 (ligne 4) dépasse R01 « Bénéficiaires directs uniques » = 30 (ligne 3) (ventilation sexe F)" in (
        error["message"])


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "Par sexe, R01 « Bénéficiaires directs uniques » fait 140 au total (F : 70, ligne 3 ; M : 70, ligne 4), "
               "plus que son total 100 (ligne 2)."),
        ("ar", "حسب الجنس، يبلغ مجموع R01 «المستفيدون المباشرون الفريدون» 140 (F: 70، السطر 3؛ M: 70، السطر 4)، "
               "وهو أكثر من مجموعه الكلي 100 (السطر 2)."),
    ],
)
def test_a_sex_breakdown_above_its_total_row_is_refused(tmp_path: Path, lang: str, expected: str) -> None:
    path = written(tmp_path, "sexe.csv", f"{ORG},R01,2024,100,personnes,", f"{ORG},R01,2024,70,personnes,F",
                   f"{ORG},R01,2024,70,personnes,M")
    status, [error] = checked(path, lang=lang)
    assert status == 1
    assert (error["code"], error["line"], error["value"]) == ("breakdown_above_total", 2, "140")
    assert plain(error["message"]) == expected


# -- against the database -----------------------------------------------------------------------
def test_a_part_above_the_whole_already_stored_is_refused_naming_the_stored_line(tmp_path: Path, db: Path) -> None:
    path = written(tmp_path, "handicap.csv", f"{ORG},R03,2024,500,personnes,")
    status, [error] = checked(path, "--db", db)
    assert status == 1 and (error["code"], error["line"], error["value"]) == ("part_above_stored_whole", 2, "500")
    assert error["message"] == (
        "R03 « Bénéficiaires en situation de handicap » = 500 (ligne 2) dépasse R01 « Bénéficiaires directs "
        "uniques » = 100, déjà enregistré pour ASS-CAS-001, 2024 (ligne 2 du fichier « premier_envoi.csv ») : "
        "une partie ne peut pas dépasser son tout.")
    status, [arabic] = checked(path, "--db", db, lang="ar")
    assert "المسجّل سابقًا لـASS-CAS-001، 2024 (السطر 2 من الملف «premier_envoi.csv»)" in plain(arabic["message"])
    assert checked(path)[0] == 0  # without the database there is no whole to compare with


def test_a_whole_below_the_parts_already_stored_is_refused_and_nothing_is_loaded(tmp_path: Path, db: Path) -> None:
    import duckdb

    path = written(tmp_path, "total.csv", f"{ORG},R01,2024,30,personnes,")
    result = ingest("load", path, "--db", db, "--json")
    [report] = json.loads(result.stdout)
    assert result.returncode == 1 and report["status"] == "rejected"
    [error] = report["issues"]
    assert (error["code"], error["line"], error["value"]) == ("whole_below_stored_part", 2, "30")
    assert "R01 « Bénéficiaires directs uniques » = 30 (ligne 2) est inférieur à R03" in error["message"]
    assert "= 40, déjà enregistré" in error["message"]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT value FROM observations_current WHERE indicator_code = 'R01'").fetchall() == [(100,)]


def test_a_file_correcting_the_stored_whole_together_with_its_part_is_accepted(tmp_path: Path, db: Path) -> None:
    path = written(tmp_path, "correction.csv", f"{ORG},R01,2024,600,personnes,", f"{ORG},R03,2024,500,personnes,")
    assert checked(path, "--db", db) == (0, [])
    other_period = written(tmp_path, "autre.csv", f"{ORG},R03,2023,500,personnes,")
    assert checked(other_period, "--db", db) == (0, [])


def test_a_breakdown_above_the_stored_total_is_refused(tmp_path: Path, db: Path) -> None:
    path = written(tmp_path, "sexe.csv", f"{ORG},R01,2024,70,personnes,F", f"{ORG},R01,2024,70,personnes,M")
    status, [error] = checked(path, "--db", db)
    assert status == 1 and (error["code"], error["line"], error["value"]) == ("breakdown_above_total", 2, "140")
    assert "plus que son total 100 (déjà enregistré : ligne 2 du fichier « premier_envoi.csv »)" in error["message"]


# -- what passes --------------------------------------------------------------------------------
def test_consistent_files_partial_breakdowns_and_breakdowns_without_total_pass(tmp_path: Path) -> None:
    consistent = written(tmp_path, "ok.csv", f"{ORG},R01,2024,100,personnes,", f"{ORG},R03,2024,100,personnes,",
                         f"{ORG},R06,2024,60,personnes,", f"{ORG},R01,2024,40,personnes,F",
                         f"{ORG},R01,2024,60,personnes,M")
    partial = written(tmp_path, "partiel.csv", f"{ORG},R01,2024,100,personnes,", f"{ORG},R01,2024,45,personnes,F")
    without_total = written(tmp_path, "sans_total.csv", f"{ORG},R01,2024,700,personnes,F",
                            f"{ORG},R01,2024,900,personnes,M", f"{ORG},R03,2024,50,personnes,")
    for path in (consistent, partial, without_total):
        assert checked(path) == (0, []), path.name


def test_percentages_are_never_added_up_nor_compared_with_counts(tmp_path: Path) -> None:
    path = written(tmp_path, "parts.csv", f"{ORG},R01,2024,50,personnes,", f"{ORG},R02,2024,60,%,",
                   f"{ORG},R02,2024,70,%,F", f"{ORG},R02,2024,65,%,M")
    assert checked(path) == (0, [])


def test_the_shared_samples_hold_no_part_above_its_whole(framework) -> None:
    """(The demo network is loaded file by file against its manifest in tests/test_demo_data.py.)"""
    from ingest.pipeline import check_file

    files = sorted(SAMPLES.glob("*.*"))
    codes = {"part_above_whole", "breakdown_above_total"}  # in one file (the stored cases need a database)
    found = [
        path.name for path in files if path.is_file() and path.suffix in {".csv", ".txt", ".xlsx", ".tsv"}
        and codes & set(check_file(path.read_bytes(), path.name, framework=framework)[0].issues["code"])
    ]
    assert found == []


# -- the upload page ----------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_upload_page_refuses_a_part_above_the_stored_whole_and_stores_nothing(
    demo_db_fresh, monkeypatch, lang: str
) -> None:
    from dashboard.testing import open_page, start
    from store.db import open_store

    monkeypatch.setenv("ATHAR_DB", str(demo_db_fresh))
    store = open_store(demo_db_fresh)
    whole = store.scalar("SELECT value FROM observations_current WHERE org_code = ? AND indicator_code = 'R01' "
                         "AND period = '2025-Q4' AND sex = 'F' AND age_band IS NULL AND area IS NULL "
                         "AND region IS NULL AND disability IS NULL", [ORG])
    before = (store.scalar("SELECT count(*) FROM submissions"), store.scalar("SELECT count(*) FROM observations"))
    # The demo member reports R01 by sex only: its women with disabilities cannot outnumber its women.
    data = f"org_code,indicator_code,period,value,unit,sexe\n{ORG},R03,2025-Q4,{int(whole) + 1},personnes,F\n".encode()
    at = open_page(start(demo_db_fresh, identity=ORG, lang=lang), "upload")
    at.file_uploader(key="upload_file").set_value(("handicap.csv", data, "text/csv"))
    at.run()
    assert not at.exception
    assert at.error, "the file is refused"
    table = at.table[0].value
    [message] = [plain(str(m)).replace("\\", "") for m in table.iloc[:, list(table.columns).index(
        "problème" if lang == "fr" else "المشكلة")]]
    shown = f"{int(whole):,}".replace(",", " ")
    if lang == "fr":
        assert message.startswith(f"R03 « Bénéficiaires en situation de handicap » = {int(whole) + 1:,}".replace(",", " "))
        assert f"R01 « Bénéficiaires directs uniques » = {shown}, déjà enregistré pour ASS-CAS-001, 2025-Q4 (ventilation sexe F)" in message
    else:
        assert "يتجاوز R01 «المستفيدون المباشرون الفريدون»" in message and "المسجّل سابقًا لـASS-CAS-001" in message
    assert not any(b.key == "upload_confirm" for b in at.button)
    assert (store.scalar("SELECT count(*) FROM submissions"),
            store.scalar("SELECT count(*) FROM observations")) == before
