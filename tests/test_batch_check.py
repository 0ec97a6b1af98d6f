"""Small files of one layout checked as one table (``ingest.batch_check``): each file's status, report
(rows, columns, codes, values, order), rows, organisations, skipped rows and the pairs its check asks
stored values for must be exactly what checking it alone gives, whatever the batch holds."""

from __future__ import annotations

import random
import re
from datetime import date

import pytest

from ingest import batch_check, check_pool
from ingest.batch_check import ToCheck
from ingest.pipeline import check
from ingest.read import Limits

ORGS = frozenset({f"ASS-T{i:02d}-{i:04d}" for i in range(80)} | {"FON-FES-007"})
TODAY = date(2026, 11, 29)
HEADER = "org_code,indicator_code,period,value,unit\n"
#: A valid file's rows: (indicator, value, unit); R03 is a part of R01, E03 and S03 percentages, S04 yes/no.
ROWS = [("R01", "1250", ""), ("R03", "64", ""), ("E03", "87.5", "%"), ("S03", "44.4", ""), ("S04", "non", ""),
        ("S02", "45834906", ""), ("P05", "12.75", ""), ("H01", "300", "")]
#: Each way a cell can break a row: (indicator, value, unit) replacing a row of the file.
BROKEN = {
    "not_a_number": ("R01", "douze", ""),
    "ambiguous_point": ("S02", "1.250", ""),
    "decimal_comma": ("S02", "1,5", ""),
    "negative": ("R03", "-4", ""),
    "fraction_among_others": ("E03", "0.5", ""),
    "word_for_a_number": ("R01", "oui", ""),
    "spelled_yes": ("S04", " Oui ", ""),
    "excel_error": ("R01", "#N/A", ""),
    "unknown_indicator": ("R99", "3", ""),
    "wrong_unit": ("R01", "12", "%"),
    "empty_value": ("R01", "", ""),
    "not_whole": ("R01", "12.5", ""),
    "part_above_whole": ("R03", "99999", ""),
    "scientific": ("S02", "1e6", ""),
    "arabic_digits": ("R01", "١٢٣", ""),
}


def _file(org: str, period: str = "2024", rows: list[tuple[str, str, str]] = ROWS) -> str:
    return HEADER + "".join(f"{org},{ind},{period},{value},{unit}\n" for ind, value, unit in rows)


def _broken(org: str, kind: str, at: int) -> str:
    rows = list(ROWS)
    rows[at] = BROKEN[kind]
    return _file(org, rows=rows)


def _corpus(member: str | None = None) -> dict[str, str]:
    """Files of one layout (valid, broken in their first or last row, whole-file cases) and others; for a
    member, its own organisation's, each (but two) of another quarter."""
    files = _files()
    if member is None:
        return files
    return {name: re.sub(r"ASS-T\d\d-\d{4}", member, text).replace(",2024,", f",{2000 + i // 4}-Q{i % 4 + 1},")
            for i, (name, text) in enumerate(files.items())}


def _files() -> dict[str, str]:
    files = {f"valid-{i}.csv": _file(f"ASS-T{i:02d}-{i:04d}") for i in range(40)}
    for n, kind in enumerate(BROKEN):
        files[f"{kind}-first.csv"] = _broken(f"ASS-T{40 + n % 20:02d}-{40 + n % 20:04d}", kind, 0)
        files[f"{kind}-last.csv"] = _broken(f"ASS-T{60 + n % 20:02d}-{60 + n % 20:04d}", kind, len(ROWS) - 1)
    files |= {
        "all_percent_fractions.csv": _file("ASS-T01-0001", "2023", [("E03", "0.5", ""), ("S03", "1", "")]),
        "zero_percent.csv": _file("ASS-T02-0002", "2023", [("E03", "0", ""), ("R01", "5", "")]),
        "percent_ones.csv": _file("ASS-T18-0018", "2023", [("E03", "1", ""), ("S03", "1", ""), ("R01", "5", "")]),
        "ambiguous_alone.csv": _file("ASS-T19-0019", "2023", [("S02", "1.255", ""), ("R01", "5", "")]),
        "evidence_elsewhere.csv": _file("ASS-T03-0003", "2023", [("S02", "1.250", ""), ("S05", "2.5", "")]),
        "unknown_org.csv": _file("ASS-XXX-999"),
        "org_lower_case.csv": _file("ass-t04-0004", "2022"),
        "duplicate_rows.csv": _file("ASS-T05-0005", "2022", [*ROWS, ROWS[0]]),
        "same_pair_as_valid_0.csv": _file("ASS-T00-0000", "2024", [("R05", "3", "")]),
        "duplicate_of_valid_1.csv": _file("ASS-T01-0001", "2024", [("R01", "7", "")]),
        "whole_across_files.csv": _file("ASS-T02-0002", "2024", [("R06", "99999", "")]),
        "quarter.csv": _file("ASS-T06-0006", "2024-Q2"),
        "bad_period.csv": _file("ASS-T07-0007", "2024-13"),
        "future_period.csv": _file("ASS-T08-0008", "2031"),
        "header_only.csv": HEADER,
        "not_a_table.csv": "just some words\n",
        "refused_header.csv": "foo,bar\n1,2\n",
        "wrong_cell_count.csv": HEADER + "ASS-T09-0009,R01,2024,5\n",
        "remark_row.csv": "org_code,indicator_code,period,value,unit,notes\nASS-T10-0010,R01,2024,5,,\n,,,,,NB provisoire\n",
        "template_row.csv": HEADER + "ASS-T11-0011,R01,2024,5,\nASS-T11-0011,R03,2024,,\n",
        "notes_layout.csv": "org_code,indicator_code,period,value,notes\nASS-T12-0012,R01,2024,1250,ok\n"
                            "ASS-T12-0012,E03,2024,87,5\n",
        "notes_layout_valid.csv": "org_code,indicator_code,period,value,notes\nASS-T13-0013,R01,2024,1250,ok\n",
        "semicolons.csv": "org_code;indicator_code;period;value\nFON-FES-007;R01;2024-Q1;1 250\nFON-FES-007;E03;2024-Q1;87,5\n",
        "wide.csv": "org_code,period,R01,R03\nASS-T14-0014,2024,120,12\nASS-T15-0015,2024,,3\n",
        "narrative_row.csv": HEADER.replace("\n", ",principle,text\n") + "ASS-T16-0016,R01,2024,5,,,\n"
                             "ASS-T16-0016,narrative,2024,,,P1,Un texte\n",
        "other_order.csv": "indicator_code,org_code,period,value\nR01,ASS-T17-0017,2024,5\nR03,ASS-T17-0017,2024,2\n",
    }
    return files


def _key(done: check_pool.Checked) -> tuple:
    checked = done.checked
    validation, result = checked.validation, checked.result
    return (checked.file_name, result.status, result.rows, result.skipped_rows, result.content_sha256,
            result.file_format, result.encoding, result.delimiter, result.sheet,
            validation.issues.rows(), validation.issues.schema, validation.rows.rows(), validation.rows.schema,
            validation.skipped_rows, validation.org_codes, done.asked, checked.narratives.rows(),
            checked.narratives.schema, checked.raw.headers, checked.member_org, checked.framework_hash)


@pytest.fixture()
def worker(framework, request):
    """The worker's command as a pool gives it (registry, member, day), in this process."""
    member = getattr(request, "param", None)
    check_pool._WORKER[:] = [check_pool._Command(framework, ORGS, member, TODAY)]
    yield member
    check_pool._WORKER.clear()


def _alone(framework, member: str | None, name: str, data: bytes) -> tuple:
    detached = check_pool._Detached(ORGS)
    checked = check(data, name, framework=framework, member_org=member, today=TODAY, limits=Limits(),
                    content_sha256="x" + name, state=detached)  # type: ignore[arg-type]  (duck-typed)
    return _key(check_pool.Checked(checked, frozenset(detached.asked)))


def _batch(names: list[str], corpus: dict[str, str]) -> list[ToCheck]:
    return [ToCheck(corpus[n].encode(), n, "x" + n, Limits()) for n in names]


def _batches(corpus: dict[str, str]) -> list[list[str]]:
    """Batches drawn from the corpus: one file, two, a few dozen, 64; mostly valid files of one layout."""
    names = sorted(corpus)
    valid = [n for n in names if n.startswith("valid-")]
    shaped = random.Random(15)
    batches = [[valid[0]], [valid[0], valid[1]], valid[:32] * 2, names[:64], ["header_only.csv", valid[2], valid[3]]]
    batches += [[n, *valid[:5]] for n in names if not n.startswith("valid-")]  # each case next to valid files
    batches += [[*valid[:5], n] for n in names if not n.startswith("valid-")]
    for size in (2, 3, 7, 17, 32, 64) * 4:
        batches.append([shaped.choice(valid if shaped.random() < 0.7 else names) for _ in range(size)])
    return batches


@pytest.mark.parametrize("worker", [None, "ASS-T00-0000"], indirect=True)
def test_each_file_of_a_batch_gets_exactly_the_check_it_gets_alone(framework, worker) -> None:
    corpus = _corpus(worker)
    alone = {name: _alone(framework, worker, name, text.encode()) for name, text in corpus.items()}
    taken = 0
    for names in _batches(corpus):
        files = _batch(names, corpus)
        assert [_key(done) for done in check_pool._check_many(files)] == [alone[n] for n in names], names
        raws = batch_check.read_all(files)
        taken += sum(t is not None for t in batch_check.check_tables(
            files, raws, framework=framework, known_orgs=ORGS, member_org=worker, today=TODAY,
            nothing_stored=check_pool._Detached(ORGS).stored_values))
    assert taken > 500  # (most files were taken from their tables: the test compares that path)


def test_the_files_a_table_may_not_answer_for_are_checked_alone(framework, worker) -> None:
    corpus = _corpus()
    names = ["valid-0.csv", "valid-1.csv", "all_percent_fractions.csv", "evidence_elsewhere.csv",
             "same_pair_as_valid_0.csv", "not_a_number-first.csv", "wide.csv", "header_only.csv"]
    files = _batch(names, corpus)
    taken = batch_check.check_tables(files, batch_check.read_all(files), framework=framework, known_orgs=ORGS,
                                     member_org=None, today=TODAY, nothing_stored=check_pool._Detached(ORGS).stored_values)
    assert [t is not None for t in taken] == [False] * 8  # (valid-0 shares its pair: the whole table goes alone)
    files = _batch(["valid-0.csv", "all_percent_fractions.csv", "valid-1.csv", "not_a_number-last.csv", "valid-2.csv"],
                   corpus)
    taken = batch_check.check_tables(files, batch_check.read_all(files), framework=framework, known_orgs=ORGS,
                                     member_org=None, today=TODAY, nothing_stored=check_pool._Detached(ORGS).stored_values)
    assert [t is not None for t in taken] == [True, False, True, False, True]
    assert taken[0].checked.validation.rows["line"].to_list() == list(range(2, 2 + len(ROWS)))
    assert taken[2].asked == {("ASS-T01-0001", "2024")}


def test_the_workers_are_given_small_files_by_the_batch_all_along_a_long_load(framework, monkeypatch) -> None:
    """Once the window ahead of the command is full, files still reach the workers by the batch (not one
    by one as the command takes each), and every file comes back in its turn with its own check."""
    import types

    from ingest.pipeline import sha256_hex
    from ingest.prefetch import ReadAhead

    corpus = _corpus()
    names = [f"valid-{i % 40}.csv" for i in range(300)]
    given: list[int] = []
    submit = check_pool._submit
    monkeypatch.setattr(check_pool, "_submit", lambda pool, files: given.append(len(files)) or submit(pool, files))
    files = ((name, ReadAhead(corpus[name].encode(), sha256_hex(corpus[name].encode()))) for name in names)
    checks = check_pool.checked_ahead(files, types.SimpleNamespace(known_orgs=ORGS), framework=framework,
                                      member_org=None, today=TODAY, count=2)
    assert [done.result().checked.file_name for _, _, done in checks] == names
    assert given[:-1] == [check_pool.BATCH_FILES] * (len(given) - 1) and sum(given) == len(names)


def test_a_batch_whose_table_check_fails_is_checked_file_by_file(framework, worker, monkeypatch) -> None:
    """A bug in the table's check must surface in its own file's turn: the batch's files go alone."""
    corpus = _corpus()
    names = ["valid-0.csv", "not_a_number-first.csv", "valid-1.csv"]

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(check_pool, "check_tables", broken)
    assert [_key(done) for done in check_pool._check_many(_batch(names, corpus))] == [
        _alone(framework, None, name, corpus[name].encode()) for name in names]
