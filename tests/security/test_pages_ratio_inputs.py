"""A ratio shown through a link never gives back an input the link may not see.

S01 (cost per beneficiary) is the ratio S02 (annual budget) / R01 (beneficiaries). S02 serves no
principle; S01 serves P5 only; R01 serves P2 and P5. A link limited to P5 therefore shows S01 —
and, if it also showed R01, S02 = S01 × R01 for each organisation and period. The rule: a ratio
with an input outside the link shows alone, none of its inputs (``store.scope.shown_indicators``).

Checked on one organisation (a sum over the link's organisations is then that organisation's own
value) through the store's reads, the method card in three languages, and the rendered pages and
their downloads for every choice on them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.testing import open_page, start
from framework.groups import GROUPS
from i18n import t
from metrics.method_card import card_or_none, render
from store import links
from store.db import open_store
from store.reads import common as common_reads
from store.reads import compare as compare_reads
from store.reads import method as method_reads
from store.reads import overview as overview_reads
from store.reads import profile as profile_reads
from store.reads import sustainability as sustainability_reads
from store.viewer import Viewer

from .pages_harness import digits_text, everything, walk

ORG = "ASS-CAS-001"
HIDDEN = ("S02", "R01")
PERIODS = ("2023", "2024", "2025")

#: On both backends: the same pages over a DuckDB file and over a PostgreSQL copy of the demo (``page_db``).
pytestmark = [pytest.mark.usefixtures("page_downloads"), pytest.mark.backends("duckdb", "postgres")]


@pytest.fixture(scope="module")
def token(page_db: Path) -> str:
    store = open_store(page_db)
    _, made = links.create_link(
        store, label="Bailleur — P5", org_codes=[ORG], principles=["P5"], created_by="test:security", days=7
    )
    return made


@pytest.fixture(scope="module")
def secrets(page_db: Path) -> dict[str, list[str]]:
    """The integer part of every S02 and R01 value of the organisation (what must never be shown)."""
    store = open_store(page_db)
    frame = store.query(
        "SELECT indicator_code, value FROM score_indicators WHERE run_id = 1 AND org_code = ? "
        "AND list_contains(?, indicator_code)",
        [ORG, list(HIDDEN)],
    )
    found = {
        code: [str(int(v)) for v in frame.filter(frame["indicator_code"] == code)["value"]] for code in HIDDEN
    }
    assert all(len(values) == len(PERIODS) for values in found.values()), found
    return found


def shown_numbers(text: str, numbers: list[str]) -> list[str]:
    """``numbers`` written as whole numbers in ``text`` (not inside a longer number nor its decimals)."""
    flat = digits_text(text)
    return [n for n in numbers if re.search(rf"(?<![0-9])(?<![0-9][.,]){n}(?![0-9])", flat)]


def test_through_a_p5_link_the_store_keeps_the_cost_per_beneficiary_and_drops_both_its_inputs(
    page_db, token
) -> None:
    store = open_store(page_db)
    viewer = links.check_token(store, token).viewer()
    for period in PERIODS:
        own = profile_reads.org_indicators(store, viewer, 1, ORG, period)["indicator_code"].to_list()
        assert "S01" in own and not set(HIDDEN) & set(own), period
        side = compare_reads.indicator_values(store, viewer, 1, period, (ORG,))["indicator_code"].to_list()
        assert "S01" in side and not set(HIDDEN) & set(side), period
        for by in GROUPS:
            assert not set(HIDDEN) & set(
                compare_reads.group_indicators(store, viewer, 1, period, by)["indicator_code"]
            )
        assert overview_reads.network_summary(store, viewer, 1, period, "R01")["beneficiaries"] is None
        for code in HIDDEN:
            assert overview_reads.region_indicator(store, viewer, 1, period, code, "sum").is_empty()
    for code in HIDDEN:
        assert sustainability_reads.indicator_series(store, viewer, 1, code, ORG).is_empty()
        assert sustainability_reads.indicator_series(store, viewer, 1, code).is_empty()
    assert not set(HIDDEN) & set(profile_reads.org_trends(store, viewer, 1, ORG)["indicator_code"].drop_nulls())
    assert not set(HIDDEN) & set(sustainability_reads.target_progress(store, viewer, 1, "fr", ORG)["indicator_code"])
    scope = common_reads.indicators_in_scope(store, viewer, 1)  # what pickers offer
    assert "S01" in scope and not set(HIDDEN) & set(scope)


@pytest.mark.parametrize("lang", ["fr", "ar", "en"])
def test_the_method_card_through_the_link_says_the_input_is_outside_its_scope(
    page_db, token, secrets, lang
) -> None:
    store = open_store(page_db)
    viewer = links.check_token(store, token).viewer()
    for period in PERIODS:
        card = card_or_none(method_reads.card_reads(store, viewer, 1, ORG, period, "P5", lang))
        text = render(card, lang)
        assert "S02" not in text
        assert t("method.input_out_of_scope", lang) in text
        assert "S01" in text and "R01" in text  # the ratio shows; R01 is named, never valued
        assert not shown_numbers(text, secrets["S02"] + secrets["R01"]), (period, text)
    steering = card_or_none(method_reads.card_reads(store, Viewer.steering(), 1, ORG, "2025", "P5", lang))
    assert "S02" in render(steering, lang)  # without a link, the card names the ratio's inputs


@pytest.mark.parametrize("page", ["profile", "compare", "overview", "sustainability"])
def test_no_page_choice_or_download_of_a_p5_link_gives_the_budget_or_its_divisor(
    page_db, token, secrets, page
) -> None:
    at = open_page(start(page_db, link=token), page)
    states = exported = 0
    for choice, state in walk(at, limit=4):
        assert not state.exception, (page, choice, [e.value for e in state.exception])
        text, files = everything(state)
        states += 1
        exported += len(files)
        assert "S02" not in text, (page, choice)
        assert not shown_numbers(text, secrets["S02"] + secrets["R01"]), (page, choice)
        if page == "profile" and choice == "default":
            assert "S01" in text and t("method.input_out_of_scope", "fr") in text
            indicators = [f for f in files if f.file_name.endswith("_indicators.csv")]
            assert indicators and "S01" in indicators[0].text
    assert exported > 0, page
