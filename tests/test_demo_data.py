"""The demo network: fictional organisations and three years of realistic member files.

These tests read the committed files back with a small independent reader (encodings,
delimiters, decimal commas, Arabic-Indic digits, header aliases, XLSX) and check them against
the framework's rules, so the demo loads cleanly through the real ingestion path.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import openpyxl
import pytest

from framework.model import UnitKind, fold, load_framework
from ingest.columns import match_header

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"
SUBMISSIONS = DEMO / "submissions"  # manifest paths are relative to it
FRAMEWORK = load_framework()
KINDS = {
    "association": "ASS",
    "foundation": "FON",
    "cooperative": "COO",
    "company": "ENT",
    "public_body": "PUB",
}
REGIONS = {f"MA-{n:02d}" for n in range(1, 13)}
THEMES = {"education", "employment", "health", "disability", "rural", "women", "youth"}
TO_LATIN = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")
ARABIC_LETTERS = re.compile(r"[\u0621-\u064A]")


def _load_generator():
    spec = importlib.util.spec_from_file_location("demo_generate", DEMO / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["demo_generate"] = module
    spec.loader.exec_module(module)
    return module


generate = _load_generator()


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


ORGS = _read_csv(DEMO / "organizations.csv")
MANIFEST = _read_csv(DEMO / "manifest.csv")


# -- a small independent reader --------------------------------------------------------------
def decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xff\xfe"):
        return raw[2:].decode("utf-16-le"), "utf-16le-bom"
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-bom"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1256"), "cp1256"


def read_table(path: Path) -> tuple[list[str], list[list[object]], str, str]:
    """Header, rows, encoding and delimiter, as the importer should see them."""
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        values = [list(row) for row in wb["Données"].iter_rows(values_only=True)]
        wb.close()
        return [str(v) for v in values[0]], values[1:], "xlsx", ""
    text, encoding = decode(path.read_bytes())
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", "\t", ","), key=first_line.count)
    header, *rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return header, rows, encoding, delimiter


def to_number(cell: object) -> float:
    if isinstance(cell, int | float):
        return float(cell)
    text = str(cell).translate(TO_LATIN).replace("\u00a0", "").replace("\u202f", "").replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", text):
        raise ValueError(f"not a plain number: {cell!r}")
    return float(text)


def to_period(cell: object) -> str:
    text = str(cell).translate(TO_LATIN).strip()
    match = re.fullmatch(r"T([1-4]) (\d{4})", text)
    return f"{match[2]}-Q{match[1]}" if match else text


def parse(path: Path, org_code: str) -> list[dict]:
    """Records with canonical keys and values; org_code from the uploader when the column is absent."""
    header, rows, _, _ = read_table(path)
    canon = [match_header(h) for h in header]
    assert None not in canon, f"{path.name}: unrecognised header in {header}"
    sex = FRAMEWORK.breakdown_alias_table("sex")
    area = FRAMEWORK.breakdown_alias_table("area")
    records = []
    for line, row in enumerate(rows, start=2):
        cells = dict(zip(canon, row, strict=True))
        cells = {k: ("" if v is None else v) for k, v in cells.items()}
        records.append(
            {
                "line": line,
                "org": cells.get("org_code", org_code),
                "indicator": str(cells["indicator_code"]),
                "period": to_period(cells["period"]),
                "value_text": cells["value"],
                "unit": cells.get("unit", ""),
                "sex": sex[fold(cells["sex"])] if cells.get("sex") else None,
                "area": area[fold(cells["area"])] if cells.get("area") else None,
                "note": cells.get("notes", ""),
            }
        )
    return records


@pytest.fixture(scope="module")
def parsed() -> dict[str, list[dict]]:
    return {m["file"]: parse(SUBMISSIONS / m["file"], m["org_code"]) for m in MANIFEST}


@pytest.fixture(scope="module")
def network():
    return generate.build_network(FRAMEWORK)


# -- organisations ---------------------------------------------------------------------------
def test_between_35_and_45_organisations_with_unique_codes() -> None:
    codes = [o["code"] for o in ORGS]
    assert 35 <= len(codes) <= 45
    assert len(set(codes)) == len(codes)


def test_codes_say_kind_city_and_number() -> None:
    for org in ORGS:
        assert re.fullmatch(r"(ASS|FON|COO|ENT|PUB)-[A-Z]{3}-\d{3}", org["code"])
        assert org["code"].startswith(KINDS[org["kind"]] + "-")


def test_all_twelve_regions_and_five_kinds_present_associations_most_common() -> None:
    assert {o["region"] for o in ORGS} == REGIONS
    kinds = Counter(o["kind"] for o in ORGS)
    assert set(kinds) == set(KINDS)
    assert kinds.most_common(1)[0][0] == "association"
    assert {o["size_band"] for o in ORGS} == {"small", "medium", "large"}


def test_names_in_three_languages_and_themes_from_vocabulary() -> None:
    for org in ORGS:
        assert org["name_fr"] and org["name_en"] and ARABIC_LETTERS.search(org["name_ar"])
        assert not ARABIC_LETTERS.search(org["name_fr"] + org["name_en"])
        assert set(org["thematic_areas"].split("|")) <= THEMES
    assert len({o["name_fr"] for o in ORGS}) == len(ORGS)


# -- manifest and files ----------------------------------------------------------------------
def test_every_manifest_file_exists_and_no_file_is_left_out() -> None:
    listed = {m["file"] for m in MANIFEST}
    assert len(listed) == len(MANIFEST)
    on_disk = {p.relative_to(SUBMISSIONS).as_posix() for p in SUBMISSIONS.rglob("*") if p.is_file()}
    assert listed == on_disk


def test_no_two_files_have_the_same_bytes() -> None:
    contents = {(SUBMISSIONS / m["file"]).read_bytes() for m in MANIFEST}
    assert len(contents) == len(MANIFEST)  # an identical re-upload would be "already received"


def test_size_limits() -> None:
    assert len(MANIFEST) < 400
    assert sum((SUBMISSIONS / m["file"]).stat().st_size for m in MANIFEST) < 3_000_000


def test_manifest_rows_are_well_formed_and_in_load_order() -> None:
    codes = {o["code"] for o in ORGS}
    times = []
    for m in MANIFEST:
        assert m["org_code"] in codes
        assert m["uploaded_by"] in (f"member:{m['org_code']}", "steering:demo")
        assert m["expect"] in ("accept", "reject")
        moment = dt.datetime.strptime(m["uploaded_at"], "%Y-%m-%dT%H:%M:%SZ")
        assert moment < dt.datetime(2026, 11, 1)
        times.append(moment)
    assert times == sorted(times)


def test_exactly_two_rejected_files_each_followed_by_its_fixed_version(parsed: dict[str, list[dict]]) -> None:
    rejected = [m for m in MANIFEST if m["expect"] == "reject"]
    assert len(rejected) == 2
    for bad in rejected:
        fixed_name = bad["file"].replace("_envoi1", "_envoi2")
        fixed = next(m for m in MANIFEST if m["file"] == fixed_name)
        assert fixed["expect"] == "accept" and fixed["uploaded_at"] > bad["uploaded_at"]
        assert fixed["org_code"] == bad["org_code"]
    problems = [_problems(r, m["org_code"]) for m in rejected for r in parsed[m["file"]]]
    assert sorted(p for ps in problems for p in ps) == ["not_a_number", "unknown_indicator"]


def test_corrections_come_later_for_the_same_organisation_and_periods(parsed: dict[str, list[dict]]) -> None:
    corrections = [m for m in MANIFEST if re.search(r"_(correction|rectificatif|budget_audite)\.", m["file"])]
    assert 2 <= len(corrections) <= 3
    for fix in corrections:
        fixed_keys = {(r["indicator"], r["period"]) for r in parsed[fix["file"]]}
        earlier = [
            m for m in MANIFEST if m["org_code"] == fix["org_code"] and m["uploaded_at"] < fix["uploaded_at"]
        ]
        earlier_keys = {(r["indicator"], r["period"]) for m in earlier for r in parsed[m["file"]]}
        assert fixed_keys <= earlier_keys


def test_several_encodings_and_delimiters_present() -> None:
    seen = Counter()
    for m in MANIFEST:
        path = SUBMISSIONS / m["file"]
        raw = path.read_bytes()
        if raw.startswith(b"PK\x03\x04"):
            seen["xlsx"] += 1
            continue
        _, _, encoding, delimiter = read_table(path)
        seen[encoding] += 1
        seen[repr(delimiter)] += 1
        text = decode(raw)[0]
        seen["nbsp"] += "\u00a0" in text
        seen["narrow nbsp"] += "\u202f" in text
        seen["arabic-indic"] += bool(re.search("[\u0660-\u0669]", text))
        seen["T1 2024 style"] += bool(re.search(r"T[1-4] 20\d\d", text))
        seen["crlf"] += b"\r\n" in raw
    for kind in (
        "utf-8",
        "utf-8-bom",
        "cp1256",
        "utf-16le-bom",
        "xlsx",
        "';'",
        "','",
        "'\\t'",
        "nbsp",
        "narrow nbsp",
        "arabic-indic",
        "T1 2024 style",
        "crlf",
    ):
        assert seen[kind] >= 1, kind
    assert seen["utf-8"] + seen["utf-8-bom"] > len(MANIFEST) / 2
    assert seen["xlsx"] >= 3 and seen["cp1256"] >= 3 and seen["utf-16le-bom"] >= 2


def test_header_aliases_breakdowns_and_missing_org_column_appear() -> None:
    headers: Counter[str] = Counter()
    without_org = []
    for m in MANIFEST:
        header, *_ = read_table(SUBMISSIONS / m["file"])
        headers.update(header)
        if "org_code" not in [match_header(h) for h in header]:
            without_org.append(m)
    assert {
        "Période",
        "Valeur",
        "Indicateur",
        "الفترة",
        "القيمة",
        "sex",
        "Sexe",
        "Milieu",
        "indicator_name",
    } <= set(headers)
    assert len(without_org) >= 4
    assert all(m["uploaded_by"] == f"member:{m['org_code']}" for m in without_org)


# -- every value valid per the framework -----------------------------------------------------
def _problems(record: dict, org_code: str) -> list[str]:
    """The rule codes a record breaks (same codes as the importer)."""
    indicator = FRAMEWORK.indicator_by_code.get(record["indicator"])
    if indicator is None:
        return ["unknown_indicator"]
    if indicator.derived:
        return ["derived_indicator"]
    try:
        value = to_number(record["value_text"])
    except ValueError:
        return ["not_a_number"]
    problems = []
    unit = FRAMEWORK.unit_by_code[indicator.unit]
    low, high = FRAMEWORK.value_range(indicator)
    if (low is not None and value < low) or (high is not None and value > high):
        problems.append("out_of_range")
    if unit.kind in (UnitKind.INTEGER, UnitKind.BOOLEAN) and value != int(value):
        problems.append("not_integer")
    if record["unit"] and FRAMEWORK.unit_alias_table().get(fold(str(record["unit"]))) != indicator.unit:
        problems.append("unit_mismatch")
    if not re.fullmatch(r"\d{4}(-Q[1-4])?", record["period"]):
        problems.append("invalid_period")
    if record["org"] != org_code:
        problems.append("other_org")
    return problems


def test_accepted_files_break_no_rule(parsed: dict[str, list[dict]]) -> None:
    for m in MANIFEST:
        if m["expect"] == "accept":
            for record in parsed[m["file"]]:
                assert _problems(record, m["org_code"]) == [], (m["file"], record)


def test_keys_unique_within_a_file_and_breakdowns_never_mixed_with_totals(
    parsed: dict[str, list[dict]],
) -> None:
    for name, records in parsed.items():
        keys = [(r["org"], r["indicator"], r["period"], r["sex"], r["area"]) for r in records]
        assert len(keys) == len(set(keys)), name
        shapes = defaultdict(set)
        for r in records:
            shapes[(r["org"], r["indicator"], r["period"])].add((r["sex"] is None, r["area"] is None))
        assert all(len(s) == 1 for s in shapes.values()), name


def test_quarters_for_flows_rates_and_unique_counts_years_for_stocks_and_budget(
    parsed: dict[str, list[dict]],
) -> None:
    for records in parsed.values():
        for r in records:
            indicator = FRAMEWORK.indicator_by_code.get(r["indicator"])
            if indicator is not None:
                unique = indicator.counting is not None and indicator.counting.value == "unique_to_date"
                annual = not unique and (indicator.aggregation.value == "last" or indicator.code == "S02")
                assert ("-Q" not in r["period"]) == annual, r


def test_unique_to_date_counts_never_fall_within_a_year(network) -> None:
    """Members report distinct people since 1 January: each quarter's total holds the earlier ones."""
    from framework.model import Counting

    unique = {i.code for i in FRAMEWORK.indicators if i.counting is Counting.UNIQUE_TO_DATE}
    series: dict[tuple[str, str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in generate.effective_rows(network[1]).values():
        if row.indicator in unique and "-Q" in row.period:
            series[(row.org, row.indicator, row.period[:4])][row.period] += float(row.value)
    rising = 0
    for key, by_quarter in series.items():
        values = [by_quarter[p] for p in sorted(by_quarter)]
        falls = [(a, b) for a, b in zip(values, values[1:], strict=False) if b < a]
        assert len(falls) <= 1, (key, values)  # one planted outlier at most
        rising += not falls and len(values) == 4 and values[-1] > values[0]
    assert rising > 100


def test_years_2023_to_2025_covered(parsed: dict[str, list[dict]]) -> None:
    years = {r["period"][:4] for records in parsed.values() for r in records}
    assert years == {"2023", "2024", "2025"}


def test_uploads_after_period_end_mostly_on_time(parsed: dict[str, list[dict]]) -> None:
    delays = []
    for m in MANIFEST:
        uploaded = dt.datetime.strptime(m["uploaded_at"], "%Y-%m-%dT%H:%M:%SZ").date()
        last_end = max(generate.period_end(r["period"]) for r in parsed[m["file"]])
        assert uploaded > last_end, m["file"]
        delays.append((uploaded - last_end).days)
    assert sum(d <= 30 for d in delays) > len(delays) / 2
    assert sum(60 <= d <= 200 for d in delays) >= 5


def test_files_hold_exactly_what_the_generator_meant(network, parsed: dict[str, list[dict]]) -> None:
    _, files = network
    assert [f.name for f in files] == [m["file"] for m in MANIFEST]
    for f in files:
        records = parsed[f.name]
        assert len(records) == len(f.rows), f.name
        for row, record in zip(f.rows, records, strict=True):
            assert (row.org, row.indicator, row.period, row.sex, row.area) == (
                record["org"],
                record["indicator"],
                record["period"],
                record["sex"],
                record["area"],
            )
            assert row.note == record["note"]
            if not isinstance(row.value, str):
                assert to_number(record["value_text"]) == pytest.approx(row.value), (f.name, row)


def test_regeneration_is_deterministic(tmp_path: Path) -> None:
    generate.write_all(tmp_path, FRAMEWORK)
    names = ["organizations.csv", "manifest.csv", *(f"submissions/{m['file']}" for m in MANIFEST)]
    for name in names:
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


# -- plausible magnitudes and trends ---------------------------------------------------------
def _r01_by_year(network) -> dict[str, dict[int, float]]:
    """Annual R01 from the values in force after corrections (all four quarters reported): R01 counts
    distinct people to date, so the year's figure is its fourth quarter, breakdown rows added up."""
    _, files = network
    by_period: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in generate.effective_rows(files).values():
        if row.indicator == "R01":
            by_period[(row.org, int(row.period[:4]))][row.period] += row.value
    totals: dict[str, dict[int, float]] = defaultdict(dict)
    for (org, year), periods in by_period.items():
        if len(periods) == 4:
            totals[org][year] = periods[max(periods)]
    return totals


def test_some_organisations_improve_and_some_decline_on_r01(network) -> None:
    totals = _r01_by_year(network)
    complete = {org: [t[y] for y in (2023, 2024, 2025)] for org, t in totals.items() if len(t) == 3}
    improving = [o for o, (a, b, c) in complete.items() if a < b < c and c >= 1.25 * a]
    declining = [o for o, (a, b, c) in complete.items() if a > b > c and c <= 0.8 * a]
    assert len(improving) >= 3 and len(declining) >= 2


def test_beneficiaries_scale_with_size_band(network) -> None:
    size = {o["code"]: o["size_band"] for o in ORGS}
    outlier_orgs = {f"{generate.build_orgs()[n - 1].code}" for n, ind, _ in generate.OUTLIERS if ind == "R01"}
    bounds = {"small": (30, 400), "medium": (300, 3500), "large": (4000, 22000)}
    for org, by_year in _r01_by_year(network).items():
        if org in outlier_orgs:
            continue
        low, high = bounds[size[org]]
        assert all(low <= v <= high for v in by_year.values()), (org, dict(by_year))


def test_two_organisations_stop_reporting_in_2025(parsed: dict[str, list[dict]]) -> None:
    years_by_org = defaultdict(set)
    for m in MANIFEST:
        years_by_org[m["org_code"]].update(r["period"][:4] for r in parsed[m["file"]])
    stopped = [org for org, years in years_by_org.items() if years == {"2023", "2024"}]
    assert len(stopped) == 2
    assert len(years_by_org) == len(ORGS)


def test_shares_of_women_and_yes_no_values_plausible(parsed: dict[str, list[dict]]) -> None:
    for m in MANIFEST:
        if m["expect"] != "accept":
            continue
        for r in parsed[m["file"]]:
            if r["indicator"] == "R02":
                assert 25 <= to_number(r["value_text"]) <= 100
            if r["indicator"] == "S04":
                assert to_number(r["value_text"]) in (0, 1)


def test_organisations_report_a_subset_of_the_catalogue(parsed: dict[str, list[dict]]) -> None:
    submittable = {i.code for i in FRAMEWORK.indicators if not i.derived}
    reported = defaultdict(set)
    for m in MANIFEST:
        reported[m["org_code"]].update(r["indicator"] for r in parsed[m["file"]])
    for org, codes in reported.items():
        codes &= submittable
        assert 6 <= len(codes) < len(submittable), org
    assert "S01" not in set().union(*reported.values())


# -- the real validator agrees ---------------------------------------------------------------
def _sample_files(network) -> list:
    """One file of each habit, the corrections and both rejected files: fast, and every shape."""
    _, files = network
    chosen = {}
    for f in files:
        chosen.setdefault(f.style.habit + str(bool(f.style.with_org)), f)
        if f.purpose != "regular":
            chosen[f.name] = f
    return list(chosen.values())


def test_importer_accepts_and_rejects_what_the_manifest_expects(network) -> None:
    from ingest.pipeline import check_file

    expect = {m["file"]: m for m in MANIFEST}
    for f in _sample_files(network):
        entry = expect[f.name]
        result, _ = check_file(
            f.content, Path(f.name).name, framework=FRAMEWORK, member_org=entry["org_code"]
        )
        codes = result.issues["code"].to_list()
        if entry["expect"] == "reject":
            assert result.status == "rejected" and len(codes) == 1, (f.name, codes)
        else:
            assert result.status == "valid" and codes == [] and result.rows == len(f.rows), (f.name, codes)
