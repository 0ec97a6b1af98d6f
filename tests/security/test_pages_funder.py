"""A funder's link shows its scope and nothing else: on every page of its navigation, for every
choice on those pages, and in every file their download buttons give.

The link is for two organisations, one principle (P2) and one period (2025); one variant also
narrows the pages. Before the links are made, values no demo organisation has are loaded through
``ingest.pipeline.load_file`` and scored (``metrics.run.score_store``), one just outside each edge
of the scope:

- 987 654 households (R07, serves P2) for ASS-JDI-030 in 2025 — an organisation outside the link;
- 876 543 partnerships (C01, serves P4 only) for FON-RBT-003 in 2025 — an indicator outside P2;
- 765 432 pupils (E01, serves P1 and P2) for FON-RBT-003 in 2024 — a period outside the link.

A link with every principle and period for FON-RBT-003 shows the last two (so the check sees them
when they are there); the scoped links never do. Checked against what is rendered and the bytes
of every download (``pages_harness``), never against the queries.

What counts as "outside": another organisation's code or name (fr, ar, en); another principle's
code (``P1``… as a word) or name (fr, ar, en); the period labels ``2023`` and ``2024`` as words
(the funder sees no date that contains them: no submission log, no upload date). The method page
explains the whole charter (five principles, their names) in its text: that is documentation, the
same for everyone; its data — the weights table and its exports — is checked like the rest.

Pinning: a link pinned to the first run keeps showing that run's numbers after the second run
brought the planted values.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dashboard.navigation import PAGES, pages_for
from dashboard.testing import PAGE_FILES, open_page, start
from store import links
from store.db import open_store
from store.links import FUNDER_PAGES
from store.registry import framework_in_use

from .pages_harness import (
    csv_rows,
    digits_text,
    downloads,
    everything,
    leaks,
    load_rows,
    org_words,
    period_labels,
    score,
    walk,
)

ORGS = ["ASS-CAS-001", "FON-RBT-003"]
OTHER = "ASS-JDI-030"
PRINCIPLE = "P2"
PERIOD = "2025"
SUBSET_PAGES = ["overview", "profile", "compare"]
NEVER = ["start", "quality", "upload", "form", "review", "framework", "calendar", "links", "accounts", "reminders",
         "registry", "audit", "password"]
OUT_OF_ORG, OUT_OF_PRINCIPLE, OUT_OF_PERIOD = "987654", "876543", "765432"
OTHER_PERIODS = ("2023", "2024")
OTHER_PRINCIPLE_CODES = re.compile(r"(?<![\w-])P[1345](?![\w])")


#: On both backends: the same pages over a DuckDB file and over a PostgreSQL copy of the demo (``page_db``).
pytestmark = [pytest.mark.usefixtures("page_downloads"), pytest.mark.backends("duckdb", "postgres")]


@pytest.fixture(scope="module")
def funder_db(page_db: Path) -> Path:
    db = page_db
    store = open_store(db)
    framework = framework_in_use(store)
    assert store.scalar("SELECT max(id) FROM score_runs") == 1
    load_rows(
        store,
        framework,
        [
            {
                "org_code": OTHER,
                "indicator_code": "R07",
                "period": "2025",
                "value": OUT_OF_ORG,
                "unit": "ménages",
            },
        ],
        "jdi_2025.csv",
        member_org=OTHER,
        uploaded_by=f"member:{OTHER}",
    )
    load_rows(
        store,
        framework,
        [
            {
                "org_code": "FON-RBT-003",
                "indicator_code": "C01",
                "period": "2025",
                "value": OUT_OF_PRINCIPLE,
                "unit": "nombre",
            },
            {
                "org_code": "FON-RBT-003",
                "indicator_code": "E01",
                "period": "2024",
                "value": OUT_OF_PERIOD,
                "unit": "élèves",
            },
        ],
        "rbt_corrections.csv",
        member_org="FON-RBT-003",
        uploaded_by="member:FON-RBT-003",
    )
    assert score(store) == 2
    return db


@pytest.fixture(scope="module")
def tokens(funder_db) -> dict[str, str]:
    store = open_store(funder_db)
    scope = {
        "org_codes": ORGS,
        "principles": [PRINCIPLE],
        "periods": [PERIOD],
        "created_by": "test:security",
        "days": 7,
    }
    made = {
        "subset": links.create_link(store, label="Bailleur — trois pages", pages=SUBSET_PAGES, **scope),
        "all_pages": links.create_link(store, label="Bailleur — toutes les pages", **scope),
        "wide": links.create_link(
            store, label="Tout FON-RBT-003", org_codes=["FON-RBT-003"], created_by="test:security", days=7
        ),
        "pinned": links.create_link(
            store,
            label="Figé sur le calcul 1",
            org_codes=["FON-RBT-003"],
            created_by="test:security",
            days=7,
            run_id=1,
        ),
    }
    return {name: token for name, (_, token) in made.items()}


@pytest.fixture(scope="module")
def outside(funder_db) -> dict:
    store = open_store(funder_db)
    principles = store.query(
        "SELECT code, name_fr, name_ar, name_en FROM principles WHERE code <> ?", [PRINCIPLE]
    )
    assert principles.height == 4
    return {
        "orgs": org_words(store, exclude=tuple(ORGS)),
        "principle_names": {row[0]: list(row[1:]) for row in principles.rows()},
    }


def viewer_pages(store, token: str) -> list[str]:
    return [spec.key for spec in pages_for(links.check_token(store, token).viewer())]


def data_text(at, files) -> str:
    """What the page shows as data (tables, charts, choices, figures) and its exports, without its prose."""
    return "\n".join(
        [
            *(d.value.to_csv() for d in at.get("dataframe")),
            *(t.value.to_csv() for t in at.get("table")),
            *(c.proto.spec for c in at.get("plotly_chart")),
            *(
                str(o)
                for kind in ("selectbox", "multiselect", "radio")
                for w in at.get(kind)
                for o in w.options
            ),
            *(f"{m.label} {m.value}" for m in at.get("metric")),
            *(f.text for f in files),
        ]
    )


def outside_scope(text: str, outside: dict, *, principle_prose: bool = True) -> list[str]:
    found = leaks(text, outside["orgs"])
    if principle_prose:
        found += [
            f"{code}: {n!r}" for code, names in outside["principle_names"].items() for n in names if n in text
        ]
        found += sorted(set(OTHER_PRINCIPLE_CODES.findall(text)))
    found += period_labels(text, OTHER_PERIODS)  # as labels: not the decimals of a number
    flat = digits_text(text)
    found += [f"planted {v}" for v in (OUT_OF_ORG, OUT_OF_PRINCIPLE, OUT_OF_PERIOD) if v in flat]
    return found


def test_the_planted_values_show_where_a_link_allows_them(funder_db, tokens) -> None:
    """Positive control: a link with every principle and period for FON-RBT-003 shows them."""
    at = open_page(start(funder_db, link=tokens["wide"]), "profile")
    text, _ = everything(at)
    assert OUT_OF_PRINCIPLE in digits_text(text)  # C01 in 2025, the default period
    assert "2024" in [o for o in at.selectbox(key="period").options]
    at.selectbox(key="period").set_value("2024").run()
    text, files = everything(at)
    assert OUT_OF_PERIOD in digits_text(text)
    assert any(OUT_OF_PERIOD in f.text for f in files if f.file_name.endswith("_indicators.csv"))


def test_the_navigation_holds_the_link_pages_only(funder_db, tokens) -> None:
    store = open_store(funder_db)
    assert viewer_pages(store, tokens["subset"]) == SUBSET_PAGES
    assert viewer_pages(store, tokens["all_pages"]) == list(FUNDER_PAGES)
    at = start(funder_db, link=tokens["subset"])
    assert not at.exception and at.title[0].value == "Vue d'ensemble du réseau"
    for page in [p.key for p in PAGES if p.key not in SUBSET_PAGES]:
        with pytest.raises(ValueError):
            open_page(at, page)
    at = start(funder_db, link=tokens["all_pages"])
    for page in NEVER:
        with pytest.raises(ValueError):
            open_page(at, page)
    assert set(NEVER) | set(FUNDER_PAGES) == set(PAGE_FILES)


@pytest.mark.parametrize(
    ("link", "page"),
    [("subset", p) for p in SUBSET_PAGES] + [("all_pages", p) for p in FUNDER_PAGES if p not in SUBSET_PAGES],
)
def test_every_page_choice_and_export_stays_in_the_link_scope(funder_db, tokens, outside, link, page) -> None:
    store = open_store(funder_db)
    assert page in viewer_pages(store, tokens[link])
    used_before = store.scalar(
        "SELECT use_count FROM share_links WHERE token_sha256 = ?", [links.token_digest(tokens[link])]
    )
    at = open_page(start(funder_db, link=tokens[link]), page)
    states = exported = 0
    seen = set()
    for choice, state in walk(at, limit=50):
        assert not state.exception, (page, choice, [e.value for e in state.exception])
        text, files = everything(state)
        states += 1
        exported += len(files)
        seen |= {code for code in ORGS if code in text}
        # The method page explains the whole charter in prose: only its data is held to the principle.
        found = outside_scope(text, outside, principle_prose=page != "method")
        if page == "method":
            found += outside_scope(data_text(state, files), outside)
        assert not found, (link, page, choice, found[:6])
        assert page == "method" or PERIOD in text
    assert exported > 0, f"{page}: no download to check"
    if page in ("profile", "compare", "sustainability"):  # pages about organisations show the link's
        assert seen == set(ORGS), (page, seen)
    # Every download was counted as a use of the link (and audited).
    used_after = store.scalar(
        "SELECT use_count FROM share_links WHERE token_sha256 = ?", [links.token_digest(tokens[link])]
    )
    assert used_after - used_before >= exported


def test_a_pinned_link_keeps_the_numbers_of_its_run(funder_db, tokens) -> None:
    """After the second run brought new values, the link pinned to run 1 still shows run 1."""
    store = open_store(funder_db)
    run1 = store.scalar(
        "SELECT value FROM score_indicators WHERE run_id = 1 AND org_code = 'FON-RBT-003' "
        "AND period = '2025' AND indicator_code = 'C01'"
    )
    run2 = store.scalar(
        "SELECT value FROM score_indicators WHERE run_id = 2 AND org_code = 'FON-RBT-003' "
        "AND period = '2025' AND indicator_code = 'C01'"
    )
    assert run2 == float(OUT_OF_PRINCIPLE) != run1
    for page in ("profile", "compare", "overview", "sustainability"):
        at = open_page(start(funder_db, link=tokens["pinned"]), page)
        text, files = everything(at)
        assert not at.exception
        assert OUT_OF_PRINCIPLE not in digits_text(text), page
        if page == "profile":
            table = [d.value for d in at.get("dataframe") if "normalised_100" in d.value.columns]
            values = table[0].set_index("indicator_code")["value"].to_dict()
            assert values["C01"] == pytest.approx(run1)
            exported = [f for f in files if f.file_name.endswith("_indicators.csv")]
            # the indicator ("C01 · name") first, then its value as shown and at full precision
            c01 = [row for row in csv_rows(exported[0].data) if row[0].startswith("C01 · ")]
            assert float(c01[0][2].replace(",", ".")) == pytest.approx(run1)
            at.selectbox(key="period").set_value("2024").run()
            assert OUT_OF_PERIOD not in digits_text(everything(at)[0])
        captions = " ".join(c.value for c in at.sidebar.caption)
        assert "n° 1" in captions and "n° 2" not in captions, captions
    unpinned = open_page(start(funder_db, link=tokens["wide"]), "profile")
    assert "n° 2" in " ".join(c.value for c in unpinned.sidebar.caption)


def test_downloads_of_a_funder_are_audited_as_uses_of_its_link(funder_db, tokens) -> None:
    store = open_store(funder_db)
    at = open_page(start(funder_db, link=tokens["subset"]), "profile")
    files = downloads(at)
    assert files
    link_id = store.scalar(
        "SELECT id FROM share_links WHERE token_sha256 = ?", [links.token_digest(tokens["subset"])]
    )
    logged = store.query(
        "SELECT detail FROM audit_log WHERE action = 'link_download' AND actor = ? ORDER BY id DESC LIMIT ?",
        [f"link:{link_id}", len(files)],
    )["detail"].to_list()
    assert sorted(f.file_name for f in files) == sorted(json.loads(d)["download"] for d in logged)
    assert not any(tokens["subset"] in (d or "") for d in logged)
