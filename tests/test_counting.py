"""Counting rules (flow, stock, unique to date): declared per indicator, followed by scoring,
the method card and the template, and the network's reach shown as a range."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from framework.model import DEFAULT_FRAMEWORK_DIR, Counting, FrameworkError, TimeAggregation, load_framework


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "fw"
    shutil.copytree(DEFAULT_FRAMEWORK_DIR, target)
    return target


def _edit_indicators(directory: Path, old: str, new: str) -> None:
    path = directory / "indicators.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# -- the framework -----------------------------------------------------------------------------
def test_every_count_of_the_default_catalogue_declares_its_counting_rule() -> None:
    framework = load_framework()
    for indicator in framework.indicators:
        kind = framework.unit_of(indicator.code).kind.value
        if indicator.derived or kind in ("percent", "boolean"):
            assert indicator.counting is None, indicator.code
        else:
            assert indicator.counting is not None, indicator.code
    rules = {i.code: i.counting for i in framework.indicators}
    assert rules["R01"] is Counting.UNIQUE_TO_DATE
    assert rules["J01"] is Counting.FLOW and rules["S02"] is Counting.FLOW and rules["P05"] is Counting.FLOW
    assert rules["P04"] is Counting.STOCK and rules["S05"] is Counting.STOCK and rules["C01"] is Counting.STOCK


def test_unique_beneficiaries_are_never_summed_over_periods() -> None:
    r01 = load_framework().indicator_by_code["R01"]
    assert r01.aggregation is TimeAggregation.LAST


def test_a_counting_rule_that_contradicts_the_aggregation_is_a_typed_problem_in_three_languages(
    tmp_path: Path,
) -> None:
    directory = _copy(tmp_path)
    _edit_indicators(directory, 'aggregation = "last"\ncounting = "unique_to_date"',
                     'aggregation = "sum"\ncounting = "unique_to_date"')
    with pytest.raises(FrameworkError) as caught:
        load_framework(directory)
    (problem,) = caught.value.problems
    assert problem.code == "counting_contradicts_aggregation"
    assert "R01" in problem.text("fr") and "'last'" in problem.text("fr") and "'sum'" in problem.text("fr")
    assert "R01" in problem.text("ar") and "قاعدة العدّ" in problem.text("ar")
    assert problem.text("en").endswith("needs aggregation = 'last', not 'sum'")


def test_a_counting_rule_on_a_percentage_is_a_typed_problem(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit_indicators(directory, 'aggregation = "wmean"\nweight_by = "R01"',
                     'aggregation = "wmean"\ncounting = "flow"\nweight_by = "R01"')
    with pytest.raises(FrameworkError) as caught:
        load_framework(directory)
    codes = {p.code for p in caught.value.problems}
    assert "counting_contradicts_aggregation" in codes or "counting_needs_amount" in codes


def test_an_indicator_that_declares_only_its_counting_rule_gets_the_matching_aggregation(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    tail = 'transform = "log"\ngoalposts = [1, 500]\nweights = { P1 = 0.5, P2 = 0.5 }\nsdg = ["8.5"]'
    _edit_indicators(directory, f'aggregation = "sum"\ncounting = "flow"\n{tail}', f'counting = "stock"\n{tail}')
    assert load_framework(directory).indicator_by_code["J06"].aggregation is TimeAggregation.LAST


def test_a_framework_file_without_counting_rules_keeps_its_hash(tmp_path: Path) -> None:
    import hashlib
    import json

    directory = _copy(tmp_path)
    path = directory / "indicators.toml"
    path.write_text("".join(line for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
                            if not line.startswith("counting = ")), encoding="utf-8")
    framework = load_framework(directory)
    data = framework.model_dump(mode="json")
    for indicator in data["indicators"]:
        assert indicator.pop("counting") is None
    before = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    assert framework.content_hash == before
    assert load_framework().content_hash != before  # declaring counting rules is a change of version
