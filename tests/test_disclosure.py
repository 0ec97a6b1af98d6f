"""Small-cell suppression (framework.disclosure): primary and secondary, on frames of breakdowns."""

from __future__ import annotations

import random

import polars as pl

from framework.disclosure import MIN_PEOPLE, suppress_aggregates, suppress_cells


def breakdown(period: str, dimension: str, cells: dict[str, tuple[float, int]], orgs_total: int | None = None):
    """Rows of one breakdown (category, people, orgs) and its total row (category null)."""
    rows = [{"period": period, "dimension": dimension, "category": c, "people": p, "orgs": o}
            for c, (p, o) in cells.items()]
    total_orgs = orgs_total if orgs_total is not None else max(o for _, o in cells.values())
    rows.append({"period": period, "dimension": dimension, "category": None,
                 "people": sum(p for p, _ in cells.values()), "orgs": total_orgs})
    return rows


def frame(*breakdowns: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([r for b in breakdowns for r in b],
                        schema={"period": pl.String, "dimension": pl.String, "category": pl.String,
                                "people": pl.Float64, "orgs": pl.Int64})


def recover(shown: pl.DataFrame) -> dict[tuple, float]:
    """What an attacker gets by subtraction: every breakdown is ``total = Σ cells``; an equation
    with one unknown left gives it, and the solved value may open another. Returns what was found."""
    found: dict[tuple, float] = {}
    groups = shown.partition_by("period", "dimension", as_dict=True)
    progress = True
    while progress:
        progress = False
        for key, group in groups.items():
            values = {(*key, r["category"]): r["people"] for r in group.iter_rows(named=True)}
            values = {k: found.get(k, v) for k, v in values.items()}
            unknown = [k for k, v in values.items() if v is None]
            total_key = (*key, None)
            if len(unknown) != 1 or total_key not in values:
                continue
            (target,) = unknown
            known = sum(v for k, v in values.items() if v is not None and k != total_key)
            found[target] = known if target == total_key else values[total_key] - known
            progress = True
    return found


def test_a_cell_below_five_people_is_hidden_and_so_is_the_next_smallest() -> None:
    shown = suppress_cells(frame(breakdown("2024", "age_band",
                                           {"0-14": (120, 8), "15-24": (40, 8), "25-64": (300, 8), "65+": (3, 6)})))
    hidden = dict(shown.filter(pl.col("suppressed")).select("category", "reason").iter_rows())
    assert hidden == {"65+": "people", "15-24": "secondary"}
    assert shown.filter(pl.col("suppressed"))["people"].null_count() == 2  # null, never 0
    assert recover(shown) == {}


def test_a_cell_over_fewer_than_five_organisations_is_hidden_whatever_its_size() -> None:
    shown = suppress_cells(frame(breakdown("2024", "disability", {"yes": (400, 3), "no": (900, 7)})))
    assert shown.filter(pl.col("category") == "yes")["reason"].item() == "orgs"
    assert shown.filter(pl.col("category") == "no")["suppressed"].item()  # else total − no = yes
    assert recover(shown) == {}


def test_a_breakdown_with_one_cell_hides_its_total_with_it() -> None:
    shown = suppress_cells(frame(breakdown("2024", "area", {"rural": (3, 6)})))
    assert shown["suppressed"].to_list() == [True, True]
    assert recover(shown) == {}


def test_a_total_over_fewer_than_five_organisations_hides_every_cell() -> None:
    shown = suppress_cells(frame(breakdown("2024", "sex", {"F": (900, 4), "M": (800, 4)})))
    assert shown["suppressed"].all() and shown["people"].null_count() == 3


def test_breakdowns_without_small_cells_are_shown_whole() -> None:
    cells = frame(breakdown("2024", "sex", {"F": (900, 9), "M": (800, 9)}))
    shown = suppress_cells(cells)
    assert not shown["suppressed"].any() and shown["people"].to_list() == cells["people"].to_list()


def test_no_hidden_cell_can_be_recovered_by_subtraction_in_a_thousand_random_breakdowns() -> None:
    rng = random.Random(12)
    parts = []
    for n in range(1000):
        size = rng.randint(1, 5)
        cells = {f"c{i}": (float(rng.choice([0, 1, 2, 4, 5, 6, 30, 300])), rng.choice([2, 4, 5, 6, 9]))
                 for i in range(size)}
        parts.append(breakdown(str(2000 + n), "age_band", cells, orgs_total=rng.choice([5, 9, 12])))
    shown = suppress_cells(frame(*parts))
    assert shown["suppressed"].sum() > 500  # the test means something: many cells are hidden
    assert recover(shown) == {}
    small = shown.filter(pl.col("reason") == "people")
    assert small["people"].null_count() == small.height and MIN_PEOPLE == 5


def test_an_aggregate_over_fewer_than_five_organisations_is_hidden() -> None:
    series = pl.DataFrame({"period": ["2023", "2024"], "n": [4, 5], "median": [10.0, 12.0], "q1": [8.0, 9.0]})
    shown = suppress_aggregates(series, ["median", "q1"])
    assert shown["median"].to_list() == [None, 12.0] and shown["suppressed"].to_list() == [True, False]
