"""The command line: exit statuses, human and JSON reports, organisation registry, demo loader."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO, SAMPLES


def ingest(*args: str | Path, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ingest", *map(str, args)]
    if lang:
        command += ["--lang", lang]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)


def test_check_exit_status_and_french_report() -> None:
    good = ingest("check", SAMPLES / "03_excel_fr_utf8_bom_semicolon_decimal_comma.csv")
    assert good.returncode == 0, good.stderr
    assert "valide — 10 valeurs" in good.stdout
    bad = ingest("check", SAMPLES / "14_row_errors.csv")
    assert bad.returncode == 1
    assert "ligne 3" in bad.stdout and "« N/A » n'est pas un nombre" in bad.stdout


def test_check_report_in_arabic_and_json(tmp_path: Path) -> None:
    result = ingest("check", SAMPLES / "14_row_errors.csv", "--json", lang="ar")
    assert result.returncode == 1
    [report] = json.loads(result.stdout)
    assert report["status"] == "rejected"
    lines = {i["line"] for i in report["issues"] if i["severity"] == "error"}
    assert lines >= {3, 4, 6, 7, 8, 9, 10, 11}
    first = next(i for i in report["issues"] if i["line"] == 3)
    assert first["code"] == "not_a_number" and first["column"] == "value" and first["value"] == "N/A"
    assert "ليس عددًا" in first["message"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert ingest("check", tmp_path / "missing.csv").returncode == 2
    assert ingest("load", SAMPLES / "01_utf8_comma_lf.csv").returncode == 2  # --db is required
    assert ingest("frobnicate").returncode == 2
    assert ingest("check", SAMPLES / "01_utf8_comma_lf.csv", "--framework", tmp_path).returncode == 2


def test_check_and_load_refuse_a_database_that_does_not_exist(tmp_path: Path) -> None:
    """A mistyped --db would otherwise be created empty, and every organisation rejected as unknown."""
    missing = tmp_path / "typo.duckdb"
    for command in (["check"], ["load"], ["load", "--dry-run"]):
        result = ingest(*command, SAMPLES / "01_utf8_comma_lf.csv", "--db", missing)
        assert result.returncode == 2, command
        assert result.stderr.startswith(f"Base introuvable : {missing}.") and "Traceback" not in result.stderr
        assert result.stdout == ""
    english = ingest("check", SAMPLES / "01_utf8_comma_lf.csv", "--db", missing, "--json", lang="en")
    assert english.returncode == 2 and f"Database not found: {missing}." in english.stderr
    assert ingest("load", SAMPLES / "01_utf8_comma_lf.csv", "--db", tmp_path, lang="ar").returncode == 2
    assert list(tmp_path.iterdir()) == []


def test_orgs_demo_and_rebuild_still_create_their_database(tmp_path: Path) -> None:
    from ingest.cli import _parser, _require_existing_db

    db, copy = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    assert ingest("orgs", SAMPLES / "organizations.csv", "--db", db).returncode == 0 and db.is_file()
    rebuilt = ingest("rebuild", "--db", db, "--to", copy)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert copy.is_file()
    _require_existing_db(_parser().parse_args(["demo", "--db", str(tmp_path / "demo.duckdb")]))  # no UsageError


def test_a_directory_given_as_the_file_is_a_usage_error(tmp_path: Path) -> None:
    result = ingest("check", tmp_path)
    assert result.returncode == 2
    assert f"Fichier introuvable : {tmp_path}" in result.stderr and "Traceback" not in result.stderr


def test_orgs_then_load_then_already_received(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    registered = ingest("orgs", SAMPLES / "organizations.csv", "--db", db)
    assert registered.returncode == 0 and "5 organisations" in registered.stdout
    loaded = ingest("load", SAMPLES / "01_utf8_comma_lf.csv", SAMPLES / "05_excel_ar_cp1256_semicolon_decimal_comma.csv",
                    "--db", db, "--json")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    first, second = json.loads(loaded.stdout)
    assert first["status"] == "accepted" and second["status"] == "accepted" and second["superseded"] == 10
    again = ingest("load", SAMPLES / "01_utf8_comma_lf.csv", "--db", db)
    assert again.returncode == 0 and f"déjà reçu (dépôt n° {first['submission_id']})" in again.stdout


def test_loading_a_file_never_imports_pyarrow(tmp_path: Path) -> None:
    """pyarrow costs a load a few hundredths of a second to import and a copy of every column;
    the rows reach DuckDB as an Arrow stream and the reads before the commit build no frame."""
    db = tmp_path / "a.duckdb"
    assert ingest("orgs", SAMPLES / "organizations.csv", "--db", db).returncode == 0
    loaded = subprocess.run([sys.executable, "-X", "importtime", "-m", "ingest", "load", str(SAMPLES / "01_utf8_comma_lf.csv"),
                             "--db", str(db)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert loaded.returncode == 0 and "enregistrée" in loaded.stdout, loaded.stdout + loaded.stderr
    imported = {line.rsplit("|", 1)[1].strip() for line in loaded.stderr.splitlines() if line.startswith("import time:")}
    assert "ingest.cli" in imported and "pyarrow" not in imported


def test_dry_run_stores_nothing(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    ingest("orgs", SAMPLES / "organizations.csv", "--db", db)
    result = ingest("load", SAMPLES / "01_utf8_comma_lf.csv", "--db", db, "--dry-run", "--json")
    assert result.returncode == 0 and json.loads(result.stdout)[0]["status"] == "valid"
    import duckdb

    with duckdb.connect(str(db)) as con:
        assert con.execute("SELECT count(*) FROM observations").fetchone()[0] == 0


def test_invalid_organisation_file_is_rejected_whole(tmp_path: Path) -> None:
    bad = tmp_path / "orgs.csv"
    bad.write_text("code,name_fr,kind,region\nA-1,Alpha,association,MA-01\nA-1,Beta,club,MA-13\n,Gamma,association,\n",
                   encoding="utf-8")
    db = tmp_path / "a.duckdb"
    result = ingest("orgs", bad, "--db", db, "--json")
    assert result.returncode == 1
    codes = sorted((i["line"], i["code"]) for i in json.loads(result.stdout)["issues"])
    assert codes == [(3, "duplicate_org"), (3, "invalid_value"), (3, "invalid_value"), (4, "empty_required")]


def test_commands_use_the_framework_version_recorded_in_the_database(tmp_path: Path, framework) -> None:
    """A version adopted in the dashboard is what later command-line loads check against."""
    from framework.model import framework_from_dict
    from store.db import Store
    from store.registry import adopt_framework

    db = tmp_path / "a.duckdb"
    content = framework.model_dump(mode="json")
    content["indicators"] = [i for i in content["indicators"] if i["code"] != "R03"]
    for indicator in content["indicators"]:  # nothing may refer to the dropped indicator
        assert "R03" not in (indicator.get("weight_by"), indicator.get("numerator"), indicator.get("denominator"))
    content["expectations"] = [{**rule, "indicators": [c for c in rule["indicators"] if c != "R03"]}
                               for rule in content["expectations"] if rule["indicators"] != ["R03"]]
    store = Store(db)
    adopt_framework(store, framework_from_dict(content), actor="account:test", source="dashboard edit")
    store.close()
    ingest("orgs", SAMPLES / "organizations.csv", "--db", db)
    adopted = ingest("check", SAMPLES / "01_utf8_comma_lf.csv", "--db", db, "--json")
    assert adopted.returncode == 1
    assert [i["code"] for i in json.loads(adopted.stdout)[0]["issues"]] == ["unknown_indicator"]
    from_files = ingest("check", SAMPLES / "01_utf8_comma_lf.csv", "--db", db, "--framework", REPO / "data" / "framework")
    assert from_files.returncode == 0


def test_database_held_by_another_process_gives_a_message_not_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "busy.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
                               "print('ready', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = ingest("load", SAMPLES / "01_utf8_comma_lf.csv", "--db", db)
        assert result.returncode == 1
        assert "utilisée par un autre programme" in result.stderr and "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()


def test_a_bug_while_reading_is_one_translated_line_and_status_3_not_a_traceback(monkeypatch, capsys) -> None:
    import ingest.csv_parser
    from ingest.cli import INTERNAL_ERROR, main

    def bug(*args):
        raise ZeroDivisionError("a bug of ours")

    monkeypatch.setattr(ingest.csv_parser, "parse_text", bug)
    status = main(["check", str(SAMPLES / "01_utf8_comma_lf.csv"), "--lang", "en"])
    err = capsys.readouterr().err
    assert status == INTERNAL_ERROR == 3
    assert err.startswith("Internal error in Athar (ZeroDivisionError)") and "Traceback" not in err


def fresh_prefetch():
    """``ingest.prefetch`` keeps its state in the module (one command per process): start anew."""
    import importlib

    from ingest import prefetch

    return importlib.reload(prefetch)


def test_read_ahead_reads_the_first_file_not_an_option_value(tmp_path: Path) -> None:
    import hashlib

    prefetch = fresh_prefetch()
    db = tmp_path / "x.duckdb"
    db.write_bytes(b"not a submission")
    data = tmp_path / "a.csv"
    data.write_bytes(b"org_code,indicator_code,period,value\nASS-CAS-001,R01,2024,12\n")
    assert prefetch.start(["load", "--db", str(db), "--uploaded-by", "someone", str(data), str(db)])
    prefetch.read_first_table(lambda content, name, limits: (name, content), "limits")
    ahead = prefetch.take(data)
    assert ahead is not None and ahead.data == data.read_bytes()
    assert ahead.content_sha256 == hashlib.sha256(data.read_bytes()).hexdigest()
    assert ahead.table == ("a.csv", data.read_bytes()) and ahead.limits == "limits"
    assert prefetch.take(data) is None  # handed out once
    assert prefetch.take(db) is None  # only the first file is read ahead
    assert not fresh_prefetch().start(["orgs", str(data), "--db", str(db)])


def test_a_file_changed_after_it_was_read_ahead_is_read_again(tmp_path: Path) -> None:
    import time

    prefetch = fresh_prefetch()
    path = tmp_path / "a.csv"
    path.write_bytes(b"org_code,indicator_code,period,value\n")
    assert prefetch.start(["check", str(path)])
    deadline = time.monotonic() + 10
    while not prefetch._files and time.monotonic() < deadline:
        time.sleep(0.01)
    path.write_bytes(b"org_code,indicator_code,period,value\nASS-CAS-001,R01,2024,12\n")
    assert prefetch.take(path) is None


def test_load_through_the_read_ahead_is_the_same_as_without(tmp_path: Path) -> None:
    """``python -m ingest`` reads the first file ahead; the in-process ``main`` does not."""
    from ingest.cli import main

    fresh_prefetch()
    files = [SAMPLES / "02_excel_utf8_bom_comma_crlf.csv", SAMPLES / "10_arabic_indic_digits.csv"]
    for db in (tmp_path / "a.duckdb", tmp_path / "b.duckdb"):
        assert ingest("orgs", SAMPLES / "organizations.csv", "--db", db).returncode == 0
    loaded = ingest("load", *files, "--db", tmp_path / "a.duckdb", "--json")
    assert loaded.returncode == 0, loaded.stderr
    assert main(["load", *map(str, files), "--db", str(tmp_path / "b.duckdb")]) == 0
    from store.db import open_store

    open_store(tmp_path / "b.duckdb").close()  # the handle ``main`` opened in this process
    import duckdb

    columns = "org_code, indicator_code, period, granularity, period_start, period_end, value, unit, line, notes"
    tables = []
    for db in ("a", "b"):
        with duckdb.connect(str(tmp_path / f"{db}.duckdb")) as con:
            tables.append(con.execute(f"SELECT {columns} FROM observations_current ORDER BY ALL").fetchall())
    assert tables[0] == tables[1] and len(tables[0]) > 0


def test_an_unregistered_organisation_given_with_org_is_a_usage_error(tmp_path: Path) -> None:
    db = tmp_path / "reg.duckdb"
    subprocess.run([sys.executable, "-m", "ingest", "orgs", str(SAMPLES / "organizations.csv"), "--db", str(db)],
                   cwd=REPO, check=True, capture_output=True)
    data = tmp_path / "mine.csv"
    data.write_text("indicator_code;period;value\nR01;2024;12\n", encoding="utf-8")
    for command in ("check", "load"):
        done = subprocess.run([sys.executable, "-m", "ingest", command, str(data), "--db", str(db), "--org", "NOPE-999",
                               "--lang", "en"], cwd=REPO, capture_output=True, text=True)
        assert done.returncode == 2 and "NOPE-999" in done.stderr and "not registered" in done.stderr
    ok = subprocess.run([sys.executable, "-m", "ingest", "check", str(data), "--db", str(db), "--org", "ass-cas-001"],
                        cwd=REPO, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_orgs_refuses_a_thematic_area_outside_the_vocabulary_and_changes_nothing(tmp_path: Path) -> None:
    """``=1+1`` or ``@SUM(1,1)`` as a thematic area would become a column label on Compare: refused,
    with the file, line, column, value and accepted areas; the registry stays as it was."""
    import csv

    import duckdb

    db = tmp_path / "a.duckdb"
    assert ingest("orgs", SAMPLES / "organizations.csv", "--db", db).returncode == 0
    with duckdb.connect(str(db)) as con:
        before = con.execute("SELECT * FROM organizations ORDER BY code").fetchall()
    bad = tmp_path / "themes.csv"
    with open(bad, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["code", "name_fr", "kind", "region", "thematic_areas"])
        writer.writerow(["ASS-CAS-001", "Alpha", "association", "MA-06", "=1+1|education"])
        writer.writerow(["ASS-NEW-900", "Beta", "association", "MA-06", "@SUM(1,1)"])
        writer.writerow(["ASS-NEW-901", "Gamma", "association", "MA-06", "Éducation | santé|youth"])
    result = ingest("orgs", bad, "--db", db, lang="en")
    assert result.returncode == 1
    out = result.stdout
    assert "themes.csv" in out and "thematic_areas" in out
    for line, value in ((2, "=1+1"), (3, "@SUM(1,1)")):
        shown = [row for row in out.splitlines() if f"line {line} " in row and value in row]
        assert shown and "education, employment, health" in shown[0], out
    assert "Gamma" not in out and "Éducation" not in out  # names in fr, ar or en are accepted
    report = json.loads(ingest("orgs", bad, "--db", db, "--json").stdout)
    assert sorted((i["line"], i["code"], i["value"]) for i in report["issues"]) == [
        (2, "unknown_theme", "=1+1"),
        (3, "unknown_theme", "@SUM(1,1)"),
    ]
    with duckdb.connect(str(db)) as con:
        assert con.execute("SELECT * FROM organizations ORDER BY code").fetchall() == before


def test_thematic_areas_are_stored_as_codes_whatever_language_names_them(framework) -> None:
    from ingest.orgs import read_org_file

    data = "code,name_fr,kind,thematic_areas\nA-1,Alpha,association,Éducation | الصحة|youth|education\n"
    parsed = read_org_file(data.encode("utf-8"), "orgs.csv", framework)
    assert not parsed.has_errors, parsed.issues.to_dicts()
    assert parsed.rows["thematic_areas"].to_list() == [["education", "health", "youth"]]
