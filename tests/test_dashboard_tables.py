"""Tables and figures people can read (issue 12): key columns first, values by their unit's kind,
breakdowns by their names, exports rounded as shown plus the full value, plain words on the pages
(the technical terms on the method page), trends told apart by more than colour."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from openpyxl import load_workbook

from dashboard import tables
from dashboard.cells import Col, column_texts, display
from dashboard.context import PageContext
from dashboard.exports import to_csv, to_xlsx
from dashboard.testing import open_page, start, visible_text
from i18n.bidi import strip_isolates
from store.db import open_store
from store.reads import common as common_reads
from store.viewer import Viewer

JARGON = ("Theil", "z robuste", "robust z", "Robust z", "z المتين")


def _ctx(lang: str, db: Path | None = None) -> PageContext:
    store = open_store(db) if db is not None else None
    run = common_reads.latest_run(store, Viewer.steering()) if store is not None else None
    return PageContext(store=store, viewer=Viewer.steering(), lang=lang, version=(), run=run)


def _shown(element) -> pl.DataFrame:
    """A data grid's cells as the reader sees them (the Styler's display values)."""
    values = element.proto.arrow_data.styler.display_values
    return pl.from_pandas(pa.ipc.open_stream(values).read_pandas())


def _grid(at, column: str):
    return next(d for d in at.dataframe if column in d.value.columns)


@pytest.mark.parametrize(
    ("lang", "count", "share", "yes", "half_yes"),
    [
        ("fr", "1\u202f050", "45,3\xa0%", "oui", "oui à 50\xa0%"),
        ("ar", "1.050", "45,3%", "نعم", "نعم بنسبة 50%"),
        ("en", "1,050", "45.3%", "yes", "yes for 50%"),
    ],
)
def test_counts_have_no_decimals_percentages_one_and_yes_no_reads_as_words(
    lang: str, count: str, share: str, yes: str, half_yes: str
) -> None:
    ctx = _ctx(lang)
    assert display(1050.0, "count", ctx) == count  # never "1 050,00 personnes"
    assert display(45.26, "share", ctx) == share  # the percent unit, stored in points
    assert display(1.0, "yesno", ctx) == yes
    assert strip_isolates(display(0.5, "yesno", ctx)) == half_yes  # a median of yes/no: the share of "yes", never "0,5"


def test_a_measure_column_reads_each_row_by_its_indicators_unit(demo_db: Path) -> None:
    ctx = _ctx("fr", demo_db)
    frame = pl.DataFrame(
        {"value": [1050.0, 45.26, 1.0, 0.0, 0.75, 12500.5], "unit": ["persons", "percent", "yes_no", "yes_no", "yes_no", "MAD"]}
    )
    texts = column_texts(ctx, frame, "value", Col("Valeur", "measure", unit="unit"))
    assert texts == ["1\u202f050", "45,3\xa0%", "oui", "non", "oui à 75\xa0%", "12\u202f500,50"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", ["Femmes · 15–24 ans · Rural", "Hommes", "Casablanca-Settat", "Ensemble"]),
        ("ar", ["إناث، 15–24 سنة، قروي", "ذكور", "الدار البيضاء سطات", "المجموع"]),
    ],
)
def test_breakdowns_read_by_their_translated_labels_not_codes(demo_db: Path, lang: str, expected: list[str]) -> None:
    frame = pl.DataFrame(
        {
            "sex": ["F", "M", None, None],
            "age_band": ["15-24", None, None, None],
            "area": ["rural", None, None, None],
            "region": [None, None, "MA-06", None],
        }
    )
    labels = frame.select(tables.breakdown_label(_ctx(lang, demo_db), frame).alias("b"))["b"].to_list()
    assert labels[:2] == expected[:2] and labels[3] == expected[3]
    assert expected[2].split()[0] in labels[2]  # the region's name in the reader's language
    assert not any("=" in label for label in labels)


def test_flagged_values_table_puts_the_organisation_the_value_and_its_comparisons_first(demo_db: Path) -> None:
    at = open_page(start(demo_db), "quality")
    assert not at.exception
    grid = _grid(at, "usual_level")
    assert list(grid.proto.column_order)[:5] == ["name", "indicator", "value", "usual_level", "previous_value"]
    assert len(grid.proto.column_order) <= 7  # nothing pushed beyond the right edge at 1280 px
    assert "robust_z" not in grid.proto.column_order and "org_code" not in grid.proto.column_order
    shown = _shown(grid)
    counts = shown.filter(pl.col("unit") == "persons")["value"].to_list()
    percents = shown.filter(pl.col("unit") == "percent")["value"].to_list()
    assert counts and all("," not in v for v in counts)  # "6 430", never "6 430,0"
    assert percents and all(v.endswith("\xa0%") and v.count(",") == 1 and len(v.split(",")[1]) == 3 for v in percents)
    # Breakdowns by their names, never codes (which breakdowns the demo flags depends on its data).
    assert "Ensemble" in shown["breakdown"].to_list() and not any("=" in b for b in shown["breakdown"].to_list())


def test_flagged_values_table_in_arabic_names_breakdowns_in_arabic(demo_db: Path) -> None:
    at = open_page(start(demo_db, lang="ar"), "quality")
    breakdowns = _shown(_grid(at, "usual_level"))["breakdown"].to_list()
    assert "المجموع" in breakdowns
    assert not any("=" in b or "Hommes" in b or "Ensemble" in b for b in breakdowns)


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_exports_carry_the_precision_shown_and_a_full_precision_column(demo_db: Path) -> None:
    ctx = _ctx("fr", demo_db)
    frame = pl.DataFrame(
        {
            "name": ["Association A", "Association B"],
            "value": [1050.0, 45.2634],
            "unit": ["persons", "percent"],
            "score": [74.56789, 61.04321],
            "open": [1.0, 0.5],
            "completeness": [0.87654, 0.5],
        }
    )
    columns = {
        "name": Col("Organisation"),
        "value": Col("Valeur", "measure", unit="unit", full=True),
        "score": Col("Score", "score", full=True),
        "open": Col("Ouvert", "yesno"),
        "completeness": Col("Complétude", "pct"),
    }
    rows = _csv_rows(to_csv(ctx, frame, columns))
    assert rows[0] == [
        "Organisation",
        "Valeur",
        "Valeur (précision complète)",
        "Score",
        "Score (précision complète)",
        "Ouvert",
        "Complétude",
    ]
    assert rows[1] == ["Association A", "1050", "1050", "74,6", "74,56789", "oui", "88"]
    assert rows[2] == ["Association B", "45,3", "45,2634", "61", "61,04321", "oui à 50\xa0%", "50"]
    sheet = load_workbook(io.BytesIO(to_xlsx(ctx, frame, columns))).active
    assert [c.value for c in sheet[1]] == rows[0]
    assert [c.value for c in sheet[2]] == ["Association A", 1050, 1050, 74.6, 74.56789, "oui", 0.88]
    assert sheet["B3"].value == 45.3 and sheet["C3"].value == 45.2634 and sheet["G2"].number_format == "0%"
    assert sheet["D2"].number_format == "0.0"


def test_the_distance_from_usual_is_exported_in_plain_words_with_its_full_value(demo_db: Path) -> None:
    ctx = _ctx("fr", demo_db)
    frame = pl.DataFrame({"value": [6430.0], "unit": ["persons"], "robust_z": [12.345678], "org_code": ["X"]})
    rows = _csv_rows(
        to_csv(
            ctx,
            frame,
            {
                "value": Col("Valeur", "measure", unit="unit", full=True),
                "org_code": Col("Code"),
                "robust_z": Col(ctx.t("tables.quality.gap"), "num1", full=True),
            },
        )
    )
    assert rows[0][-2:] == ["Écart à l'habituel", "Écart à l'habituel (précision complète)"]
    assert rows[1] == ["6430", "6430", "X", "12,3", "12,345678"]


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_no_technical_term_on_the_pages_outside_the_method_page(demo_db: Path, lang: str) -> None:
    for page in ("quality", "sustainability", "profile", "overview", "compare"):
        text = visible_text(open_page(start(demo_db, lang=lang), page))
        assert not [w for w in JARGON if w in text], page
    method = visible_text(open_page(start(demo_db, lang=lang), "method"))
    assert "Theil–Sen" in method and ("z robuste" in method if lang == "fr" else "z المتين" in method)


def test_the_sidebar_names_the_run_by_number_and_date_not_a_version_hash(demo_db: Path) -> None:
    at = open_page(start(demo_db), "overview")
    run = common_reads.latest_run(open_store(demo_db), Viewer.steering())
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert f"calcul n° {run['id']} du " in captions
    assert run["framework_hash"][:8] not in captions


def test_trends_carry_a_sign_and_a_pattern_besides_their_colour(demo_db: Path) -> None:
    at = open_page(start(demo_db), "sustainability")
    assert not at.exception
    chart = next(
        json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        if any(t.get("name", "").startswith("▲") for t in json.loads(c.proto.spec)["data"])
    )
    names = [t["name"] for t in chart["data"]]
    assert names == ["▲ En progrès", "■ Stable", "▼ En recul", "○ Pas assez de périodes"]
    shapes = [t["marker"].get("pattern", {}).get("shape") for t in chart["data"]]
    assert shapes[0] != shapes[2] and shapes[0] and shapes[2]  # progress and decline differ in shape
    columns = json.loads(_grid(at, "improving").proto.columns)
    assert columns["improving"]["label"] == "▲ En progrès" and columns["declining"]["label"] == "▼ En recul"


def test_score_changes_read_with_an_arrow_and_a_sign(demo_db: Path) -> None:
    changes = _shown(_grid(open_page(start(demo_db), "overview"), "median_before"))["change"].to_list()
    assert changes and all(c[0] in "▲▼■" for c in changes)
    assert all(("+" in c) if c[0] == "▲" else ("-" in c) if c[0] == "▼" else True for c in changes)
