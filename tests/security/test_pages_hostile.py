"""Every payload of ``../shared/samples/15_hostile_strings.csv`` is inert on screen and neutralised
in the CSV and XLSX exports.

The payloads (formula starters ``=`` ``+`` ``-`` ``@`` and tab, ``=HYPERLINK(…)``, ``<script>`` and
``<img onerror>``, SQL) are put where the app shows free text, all through the real paths:

- the sample itself, loaded with ``ingest.pipeline.load_file`` once its organisations are
  registered (``ingest.orgs`` + ``store.registry``): notes stored verbatim (the app shows no note,
  but the annotated copy of a rejected file gives them back);
- organisations *named* with each payload (an organisations file read by ``ingest.orgs``), each
  with a year of values whose notes are the payload, in a file *named* after the payload, then
  scored: their names reach headers, captions, pickers, tables, charts and exports, their file
  names the submission logs, and the demo account made for each (display name = its name) the
  sidebar;
- a variant of the sample uploaded through the upload page with a payload in every ``value``
  cell: rejected, so the validation report shows each payload and offers the report and the
  annotated copy for download.

Inert on screen (AppTest tree): no element that renders HTML (``st.html``, markdown with
``unsafe_allow_html``) holds any part of a payload; static tables (``st.table`` renders Markdown)
hold them Markdown-escaped; each payload does reach the screen, as text. Data grids and Plotly
charts draw text only (Plotly keeps a short list of style tags and drops the rest).
Neutralised exports (``pages_harness.export_problems``): every header, index and data cell of every
CSV, split with ``;``, ``,`` and tab alike, is free of formula-like text (``ingest.safe_write``:
``=`` ``+`` ``-`` ``@`` tab, CR or LF, also after blanks or full-width, unless a plain number); in
every XLSX no cell is a formula and every formula-like text cell carries Excel's quote prefix.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from dashboard.navigation import pages_for
from dashboard.testing import _nodes, open_page, start
from ingest.orgs import read_org_file
from ingest.pipeline import load_file
from ingest.safe_write import csv_text
from store.db import open_store
from store.registry import framework_in_use, upsert_organizations
from store.viewer import Viewer

from .pages_harness import (
    SAMPLES,
    csv_rows,
    downloads,
    export_problems,
    find_widget,
    load_rows,
    page_text,
    register_sample_orgs,
    score,
    walk,
    xlsx_rows,
)

SAMPLE = SAMPLES / "15_hostile_strings.csv"
with open(SAMPLE, encoding="utf-8", newline="") as _fh:
    PAYLOADS = [row["notes"] for row in csv.DictReader(_fh)]
#: A payload as an organisation registry keeps a name (surrounding blanks trimmed).
NAMES = {f"HOS-{n:03d}": payload.strip() for n, payload in enumerate(PAYLOADS, start=1)}
#: Fragments that must never reach an element rendering HTML.
MARKERS = (
    "<script",
    "<img",
    "onerror",
    "HYPERLINK",
    "attacker.invalid",
    "DROP TABLE",
    "cmd|",
    "=1+1",
    "@SUM",
)


def file_name_of(payload: str) -> str:
    return payload.replace("/", "_") + ".csv"


#: On both backends: the same pages over a DuckDB file and over a PostgreSQL copy of the demo (``page_db``).
pytestmark = [pytest.mark.usefixtures("page_downloads"), pytest.mark.backends("duckdb", "postgres")]


@pytest.fixture(scope="module")
def hostile_db(page_db: Path) -> Path:
    db = page_db
    store = open_store(db)
    framework = framework_in_use(store)
    register_sample_orgs(store, framework)
    # The sample's ASS-CAS-001 2024-Q1 (R01 = 1250) contradicts the demo's stored parts for that quarter
    # (R05 = 3346): sent for a quarter the demo lacks, it is new and consistent.
    data = SAMPLE.read_bytes().replace(b",2024-Q1,", b",2022-Q1,")
    result = load_file(store, data, SAMPLE.name, framework=framework, uploaded_by="steering:comite")
    assert result.status == "accepted" and result.rows == 8, result.report("en").to_dicts()
    # Organisations named with the payloads, registered from a file like any other.
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["code", "name_fr", "name_ar", "name_en", "kind", "region", "size_band", "thematic_areas"]
    )
    for code, payload in NAMES.items():
        writer.writerow([code, payload, payload, payload, "association", "MA-06", "small", "education"])
    parsed = read_org_file(out.getvalue().encode("utf-8"), "organisations.csv", framework)
    assert not parsed.has_errors, parsed.issues.to_dicts()
    upsert_organizations(store, parsed.rows, actor="cli:test")
    # A year of values for each (a demo organisation's 2025 totals), notes and file named by the payload.
    model = store.query(
        "SELECT indicator_code, period, value FROM observations_current WHERE org_code = 'ASS-JDI-030' "
        "AND period LIKE '2025%' AND sex IS NULL AND age_band IS NULL AND disability IS NULL "
        "AND area IS NULL AND region IS NULL ORDER BY indicator_code, period"
    )
    assert model.height > 10
    for code, original in zip(NAMES, PAYLOADS, strict=True):
        rows = [
            {"org_code": code, "indicator_code": i, "period": p, "value": repr(v), "notes": original}
            for i, p, v in model.rows()
        ]
        load_rows(
            store, framework, rows, file_name_of(original), member_org=code, uploaded_by=f"member:{code}"
        )
    score(store)
    return db


def inert_problems(at) -> list[str]:
    """Elements that would turn a payload into markup rather than show it as text."""
    problems = []
    for node in _nodes(at._tree):
        kind = getattr(node, "type", None)
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        body = str(getattr(node, "value", "")) if kind != "table" else ""
        renders_html = kind == "html" or bool(getattr(proto, "allow_html", False))
        if renders_html and any(m in body for m in MARKERS):
            problems.append(f"{kind} renders HTML with a payload: {body[:120]!r}")
        if kind == "table":  # st.table renders Markdown in its cells
            for cell in node.value.to_numpy().ravel():
                text = str(cell)
                for i, char in enumerate(text):
                    if char in "<[`*_" and (i == 0 or text[i - 1] != "\\"):
                        problems.append(f"table cell not escaped: {text[:80]!r}")
                        break
    return problems


def shown(texts: list[str]) -> list[str]:
    """The payloads (as stored names) found nowhere in ``texts``."""
    joined = "\n".join(texts)
    return [p for p in set(NAMES.values()) if p not in joined]


def test_the_sample_is_stored_verbatim(hostile_db) -> None:
    store = open_store(hostile_db)
    notes = store.query(
        "SELECT o.notes FROM observations o JOIN submissions s ON s.id = o.submission_id "
        "WHERE s.file_name = ? ORDER BY o.line",
        [SAMPLE.name],
    )["notes"].to_list()
    assert notes == PAYLOADS
    assert (
        store.scalar("SELECT count(*) FROM observations") > 0
    )  # '; DROP TABLE observations; -- was only text
    names = store.query("SELECT code, name_fr, name_ar, name_en FROM organizations WHERE code LIKE 'HOS-%'")
    assert {r[0]: r[1] for r in names.rows()} == NAMES
    assert all(r[1] == r[2] == r[3] for r in names.rows())


def test_steering_pages_show_payloads_as_text_only(hostile_db) -> None:
    at = start(hostile_db, identity="steering")
    texts, files, problems = [], [], []
    for spec in pages_for(Viewer.steering()):
        at = open_page(at, spec.key)
        states = [("default", at)]
        if spec.key == "profile":
            states = []
            for code in NAMES:
                find_widget(at, "selectbox", "org").set_value(code).run()
                states.append((code, at))
                texts.append(page_text(at))
                problems += [f"profile {code}: {p}" for p in inert_problems(at)]
                files += downloads(at)
            continue
        if spec.key == "quality":
            states = walk(at, limit=len(NAMES) + 2, skip=frozenset())
        for choice, state in states:
            assert not state.exception, (spec.key, choice)
            texts.append(page_text(state))
            problems += [f"{spec.key} {choice}: {p}" for p in inert_problems(state)]
            files += downloads(state)
    assert not problems, problems[:5]
    assert not shown(texts), "payloads never shown: " + repr(shown(texts))
    file_names = "\n".join(texts)
    assert all(file_name_of(p) in file_names for p in PAYLOADS)  # the submission logs show them
    assert not export_problems(files), export_problems(files)[:5]
    assert not shown([f.text for f in files]), "payloads in no export: " + repr(
        shown([f.text for f in files])
    )


@pytest.mark.parametrize("code", ["HOS-007", "HOS-005", "HOS-001"])
def test_a_member_named_with_a_payload_sees_it_as_text(hostile_db, code) -> None:
    """Its name is in the sidebar (its account's display name), page headers, captions and exports."""
    at = start(hostile_db, identity=code)
    texts, files, problems = [], [], []
    for spec in pages_for(Viewer.member(code)):
        at = open_page(at, spec.key)
        assert not at.exception
        texts.append(page_text(at))
        problems += [f"{spec.key}: {p}" for p in inert_problems(at)]
        files += downloads(at)
    assert not problems, problems[:5]
    assert NAMES[code] in "\n".join(texts)
    assert NAMES[code] in " ".join(m.value for m in at.sidebar.markdown)
    assert not export_problems(files), export_problems(files)[:5]


def test_a_rejected_hostile_upload_reports_and_exports_the_payloads_neutralised(hostile_db) -> None:
    """Payloads in the value column: every line is refused, and each value is in the report."""
    rows = list(csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    value = header.index("value")
    hostile = [header] + [[*r[:value], PAYLOADS[i], *r[value + 1 :]] for i, r in enumerate(body)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(hostile)
    name = file_name_of(PAYLOADS[4])  # =HYPERLINK(…).csv
    at = open_page(start(hostile_db, identity="steering"), "upload")
    at.selectbox(key="upload_org").set_value("__network__").run()
    at.get("file_uploader")[0].set_value((name, out.getvalue().encode("utf-8"), "text/csv")).run()
    assert not at.exception
    assert at.error, "the file is refused"
    problems = inert_problems(at)
    assert not problems, problems[:5]
    report = "\n".join(page_text(at) for _ in [0])
    assert not [p for p in PAYLOADS if p.strip() not in report.replace("\\", "")], "a payload is missing"
    files = downloads(at)
    names = {f.file_name for f in files}
    assert any(n.endswith(".xlsx") for n in names) and any("rapport" in n for n in names)
    assert any(n.startswith(name.removesuffix(".csv")) for n in names)  # the annotated copy
    assert not export_problems(files), export_problems(files)[:5]
    annotated = [f for f in files if f.file_name.startswith(name.removesuffix(".csv"))][0]
    cells = [c for row in csv_rows(annotated.data) for c in row]
    for payload in PAYLOADS:
        assert csv_text(payload) in cells, payload
    xlsx = [f for f in files if f.file_name.endswith(".xlsx")][0]
    values = [v for row in xlsx_rows(xlsx.data) for v in row if isinstance(v, str)]
    assert any("HYPERLINK" in v for v in values)
