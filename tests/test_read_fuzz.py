"""Seeded fuzz test of reading and validation: thousands of damaged variants of realistic files
(the shared samples and the demo submissions) each get a status and a precise report through the
path the command line takes (``ingest.pipeline.check_file``, no database), never an exception,
and nothing on stdout or stderr. The mutations are in ``fuzz_mutations``; the same seed gives the
same files, so a failure names a mutation that can be replayed."""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES
from fuzz_mutations import mutations

from i18n import LANGUAGES
from ingest.pipeline import check_file

SEED = 20_261_206
#: Enough to meet every mutator on every kind of file many times, within about a minute here.
COUNT = 2_000


def _sources() -> dict[str, bytes]:
    files = [p for p in sorted(SAMPLES.glob("*")) if p.suffix in (".csv", ".txt", ".xlsx")]
    files = [p for p in files if p.name != "organizations.csv"]
    demo = sorted((REPO / "data" / "demo" / "submissions").rglob("*"))
    sources = {p.name: p.read_bytes() for p in files}
    sources.update({str(p.relative_to(REPO)): p.read_bytes() for p in demo if p.is_file()})
    return sources


def test_every_mutated_file_gets_a_status_and_a_precise_report(
    framework, samples_index: dict, capfd: pytest.CaptureFixture[str]
) -> None:
    cases = mutations(_sources(), COUNT, SEED)
    statuses: Counter[str] = Counter()
    for number, case in enumerate(cases):
        name = Path(case.source).name
        where = f"mutation {number} ({case.kind} of {case.source})"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result, _ = check_file(case.data, name, framework=framework)
        assert not caught, f"{where}: {[str(w.message) for w in caught]}"
        assert result.status in ("valid", "rejected"), where
        assert (result.status == "rejected") == (result.error_count > 0), where
        codes = set(result.issues["code"].to_list())
        if name.endswith(".xlsx") and case.data.startswith(b"PK\x03\x04"):  # still a zip: never "not a table"
            assert "not_a_table" not in codes, f"{where}: a damaged workbook reported as {sorted(codes)}"
        lang = LANGUAGES[number % len(LANGUAGES)]  # each language in turn
        report = result.report(lang)
        assert report.is_empty() or report["message"].str.len_chars().min(), where
        assert not report["message"].str.contains(r"ingest\.|\{[a-z_]+\}").any(), f"{where}: {lang} text"
        statuses[result.status] += 1
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert statuses["rejected"] and statuses["valid"], statuses  # the mutations hurt some files, not all


def test_the_mutations_are_the_same_for_the_same_seed() -> None:
    sources = _sources()
    first = mutations(sources, 50, SEED)
    assert [m.data for m in first] == [m.data for m in mutations(sources, 50, SEED)]
    assert {m.kind.split("+")[0] for m in mutations(sources, 300, SEED)} >= {
        "flip_bytes", "nul_bytes", "truncate", "stray_quotes", "stray_delimiters", "huge_cell", "reencode",
        "damaged_deflate", "damaged_directory", "damaged_xml",
    }
