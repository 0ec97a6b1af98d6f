"""A small file's check takes shortcuts (one query for every test, no look for what cannot be there):
its report and rows must be exactly those of the long way, whatever the file holds, and a batch of
files checked by the workers must give each file the report it gets checked alone."""

from __future__ import annotations

import types
from datetime import date

import pytest

from ingest import check_pool
from ingest.assemble import MAX_CELL_CHARS
from ingest.pipeline import check, sha256_hex
from ingest.prefetch import ReadAhead
from ingest.read import read_table
from ingest.rules import layout, shape

ORGS = frozenset({"ASS-CAS-001", "ASS-RBT-014", "FON-FES-007"})
TODAY = date(2026, 11, 29)
LONG = "org_code,indicator_code,period,value,unit,notes\n"
#: Files of one layout (valid and not), then of others: what a batch of a network's history holds.
FILES = {
    "valid.csv": LONG + "ASS-CAS-001,R01,2024,1250,,\nASS-CAS-001,R03,2024,64,,\nASS-CAS-001,E03,2024,87.5,%,\n",
    "first_row_wrong.csv": LONG + "ASS-CAS-001,R01,2024,douze,,\nASS-CAS-001,R03,2024,64,,\n",
    "valid_too.csv": LONG + "ASS-RBT-014,R01,2024,300,,\nASS-RBT-014,R03,2024,12,,ok\n",
    "decimal_comma.csv": "org_code,indicator_code,period,value,notes\nASS-CAS-001,R01,2024,1250\n"
                         "ASS-CAS-001,E03,2024,87,5\n",
    "empty_cells.csv": LONG + "ASS-CAS-001,R01,,1250,,\n,R03,2024,,,\nASS-CAS-001,,2024,5,,\n",
    "part_above_whole.csv": LONG + "ASS-CAS-001,R01,2024,10,,\nASS-CAS-001,R03,2024,64,,\n",
    "unknown_and_duplicate.csv": LONG + "ASS-XXX-999,R01,2024,1,,\nASS-CAS-001,R01,2024,1,,\n"
                                 "ASS-CAS-001,R01,2024,2,,\nASS-CAS-001,R99,2024,3,,\n",
    "words_and_fractions.csv": LONG + "ASS-CAS-001,E03,2024,0.5,%,\nASS-CAS-001,E03,2023,0.25,,\n"
                               "FON-FES-007,R01,2024,1.250,,\n",
    "semicolons.csv": "org_code;indicator_code;period;value\nFON-FES-007;R01;2024-Q1;1 250\nFON-FES-007;E03;2024-Q1;87,5\n",
    "wide.csv": "org_code,period,R01,R03\nASS-CAS-001,2024,120,12\nASS-RBT-014,2024,,3\n",
}


def _report(framework, data: bytes, name: str, member: str | None = None) -> tuple:
    checked = check(data, name, framework=framework, member_org=member, today=TODAY,
                    state=check_pool._Detached(ORGS))  # type: ignore[arg-type]  (duck-typed, as the workers do)
    return (checked.result.status, checked.validation.issues.rows(), checked.validation.rows.rows(),
            checked.validation.rows.schema, checked.validation.skipped_rows)


@pytest.mark.parametrize("member", [None, "ASS-CAS-001"])
def test_a_small_file_gets_exactly_the_report_and_rows_of_the_long_way(framework, monkeypatch, member) -> None:
    short = {name: _report(framework, text.encode(), name, member) for name, text in FILES.items()}
    monkeypatch.setattr(shape, "FEW_ROWS", 0)
    monkeypatch.setattr(layout, "FEW_ROWS", 0)
    long = {name: _report(framework, text.encode(), name, member) for name, text in FILES.items()}
    assert short == long
    assert short["valid.csv"][0] == "valid" and short["valid.csv"][2]
    assert short["decimal_comma.csv"][1][0][2] == "decimal_comma_split"
    assert short["first_row_wrong.csv"][1][0][:3] == (2, "value", "not_a_number")


def test_a_cell_just_over_the_limit_is_reported_in_a_file_of_one_row() -> None:
    table = read_table(("notes\n" + "x" * (MAX_CELL_CHARS + 1) + "\n").encode(), "f.csv")
    assert table.issues.select("code", "line").rows() == [("cell_too_long", 2)]
    assert read_table(("notes\n" + "x" * MAX_CELL_CHARS + "\n").encode(), "f.csv").issues.is_empty()


def test_a_batch_checked_by_the_workers_gives_each_file_the_report_it_gets_alone(framework) -> None:
    """Mixed valid and invalid files of one layout, an error in row 1 next to a valid file, other
    layouts between them: each file's report, rows and the pairs it asked about, as checked alone."""
    batch = [(name, text.encode()) for name, text in FILES.items()] * 2
    alone = [_report(framework, data, name) for name, data in batch]
    checks = check_pool.checked_ahead(
        ((name, ReadAhead(data, sha256_hex(data))) for name, data in batch),
        types.SimpleNamespace(known_orgs=ORGS), framework=framework, member_org=None, today=TODAY, count=2)
    by_workers = []
    for name, _, future in checks:
        done = future.result()
        assert done.checked.file_name == name
        validation = done.checked.validation
        by_workers.append((done.checked.result.status, validation.issues.rows(), validation.rows.rows(),
                           validation.rows.schema, validation.skipped_rows))
    assert by_workers == alone
    assert [status for status, *_ in alone].count("rejected") >= 4
