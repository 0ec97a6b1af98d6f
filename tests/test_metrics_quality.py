"""Data quality measures and their A–D grades on hand-checked cases."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl
import pytest

from framework.model import QualitySettings, framework_from_dict
from framework.periods import period_bounds
from metrics.quality import grade, overall_grade, quality, robust_z
from metrics.scoring import score

DEFAULTS = QualitySettings()


def test_robust_z_uses_the_median_absolute_deviation() -> None:
    z = robust_z(np.array([[[10.0], [11], [9], [10], [50]]]), min_history=4)[0, :, 0]
    assert z[4] == pytest.approx(0.6745 * 40) and z[1] == pytest.approx(0.6745) and z[0] == 0.0


def test_robust_z_falls_back_to_the_mean_absolute_deviation_and_needs_history() -> None:
    z = robust_z(np.array([[[10.0], [10], [10], [10], [14]]]), min_history=4)[0, :, 0]
    assert z[4] == pytest.approx(4 / (1.253314 * 0.8)) and abs(z[4]) > 3.5
    short = robust_z(np.array([[[10.0], [10], [90], [np.nan]]]), min_history=4)
    assert np.isnan(short).all()


@pytest.mark.parametrize(
    ("column", "values", "thresholds", "higher", "expected"),
    [
        (
            "completeness",
            [0.9, 0.89, 0.75, 0.5, 0.49, None],
            DEFAULTS.completeness,
            True,
            ["A", "B", "B", "C", "D", None],
        ),
        (
            "timeliness",
            [90, 91, 180, 365, 366, -10],
            DEFAULTS.timeliness_days,
            False,
            ["A", "B", "B", "C", "D", "A"],
        ),
        ("consistency", [0, 0.01, 0.1, 0.25, 0.3], DEFAULTS.consistency, False, ["A", "B", "B", "C", "D"]),
        ("evidence", [1.0, 0.9, 0.6, 0.3, 0.0], DEFAULTS.evidence, True, ["A", "A", "B", "C", "D"]),
    ],
)
def test_grade_thresholds(column, values, thresholds, higher, expected) -> None:
    frame = pl.DataFrame({column: values}, schema={column: pl.Float64})
    assert frame.select(grade(pl.col(column), thresholds, higher)).to_series().to_list() == expected


def test_overall_grade_is_the_mean_with_halves_going_to_the_worse_grade() -> None:
    frame = pl.DataFrame(
        {"a": ["A", "A", "A", "A", None], "b": ["A", "B", "B", "D", None], "c": ["A", "B", "C", "D", "C"]}
    )
    # AAA → A ; ABB → 3.33 → B ; ABC → 3 → B ; ADD → 2 → C ; C alone → C
    assert frame.select(overall_grade(["a", "b", "c"])).to_series().to_list() == ["A", "B", "B", "C", "C"]
    two = pl.DataFrame({"a": ["A"], "b": ["B"]})
    assert two.select(overall_grade(["a", "b"])).item() == "B"  # 3.5 → the worse one


def test_quality_per_principle_and_composite() -> None:
    names = {"fr": "x", "ar": "س", "en": "x"}

    def ind(code: str, w: dict) -> dict:
        return {
            "code": code,
            "name": names,
            "unit": "u",
            "aggregation": "sum",
            "goalposts": [0, 100],
            "weights": w,
        }

    fw = framework_from_dict(
        {
            "meta": {"name": names},
            "principles": [{"code": "A", "name": names}, {"code": "B", "name": names}],
            "indicators": [ind("a1", {"A": 1}), ind("a2", {"A": 1}), ind("b1", {"B": 1})],
            "units": [{"code": "u", "kind": "decimal", "name": names}],
        }
    )
    rows = []
    history = {2019: 10, 2020: 11, 2021: 9, 2022: 10, 2023: 50}
    for year, value in history.items():
        _, start, end = period_bounds(str(year))
        rows.append(
            ("o", "a1", start, end, value, "report.pdf" if year == 2023 else None, datetime(year + 1, 2, 15))
        )
    _, start, end = period_bounds("2023")
    rows.append(("o", "b1", start, end, 5, "list.xlsx", datetime(2024, 12, 31)))
    obs = pl.DataFrame(
        rows,
        orient="row",
        schema=["org_code", "indicator_code", "period_start", "period_end", "value", "source", "uploaded_at"],
    ).with_columns(granularity=pl.lit("year"))
    graded = quality(obs, score(obs, fw), fw).filter(pl.col("period_key") == 2023)
    a = graded.filter(pl.col("principle") == "A").row(0, named=True)
    assert a["completeness"] == 0.5 and a["grade_completeness"] == "C"
    assert a["consistency_flags"] == 1 and a["consistency"] == 1.0 and a["grade_consistency"] == "D"
    assert a["evidence"] == 1.0 and a["timeliness_days"] == 46 and a["grade_timeliness"] == "A"
    composite = graded.filter(pl.col("principle").is_null()).row(0, named=True)
    assert composite["completeness"] == pytest.approx(2 / 3) and composite[
        "timeliness_days"
    ] == pytest.approx((46 + 366) / 2)
    assert composite["consistency"] == pytest.approx(0.5) and composite["evidence"] == 1.0
    # completeness C, timeliness C (206 days), consistency D, evidence A → 2.25 → C
    assert [composite[f"grade_{g}"] for g in ("completeness", "timeliness", "consistency", "evidence")] == [
        "C",
        "C",
        "D",
        "A",
    ]
    assert composite["grade"] == "C"


def test_unusual_values_carry_their_own_series_context_whatever_the_row_order() -> None:
    """Series told apart by every key (a null breakdown is a key too), context from the value's own series."""
    from datetime import date

    from metrics.outliers import unusual_values

    def series(org: str, sex: str | None, values: list[float | None]) -> list[dict]:
        return [
            {"org_code": org, "indicator_code": "R01", "granularity": "year", "sex": sex,
             "period_start": date(2015 + i, 1, 1), "value": None if v is None else float(v)}
            for i, v in enumerate(values)
        ]

    rows = series("A", None, [10, 11, 9, 10, 12, 100]) + series("A", "F", [5, 5, 6, 5, None, 5]) + series(
        "B", None, [100, 102, 98, 101, 1000, 99]
    )
    history = pl.DataFrame(rows[::-1])  # any order: the function sorts by series and period
    flagged = unusual_values(history, outlier_z=3.5, min_history=4)
    # The constant female series (MAD 0) flags its one 6 through the mean absolute deviation.
    got = sorted(flagged.select("org_code", "sex", "value", "usual_level", "previous_value", "n_periods").rows(), key=str)
    expected = [
        ("A", None, 100.0, 10.5, 12.0, 6),
        ("A", "F", 6.0, 5.0, 5.0, 6),
        ("B", None, 1000.0, 100.5, 101.0, 6),
    ]
    assert got == sorted(expected, key=str)
    assert flagged.get_column("robust_z").abs().min() > 3.5
    assert unusual_values(history.head(0), outlier_z=3.5, min_history=4).is_empty()
