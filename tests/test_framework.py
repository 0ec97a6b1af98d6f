"""The framework files load, and an inconsistent framework is rejected with every problem named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from framework_hash import copy_without_later_fields, hash_without_later_fields

from framework.model import DEFAULT_FRAMEWORK_DIR, FrameworkError, Roles, fold, load_framework
from i18n.bidi import strip_isolates


def test_default_framework_has_the_charter_catalogue(framework) -> None:
    assert [p.code for p in framework.principles] == ["P1", "P2", "P3", "P4", "P5"]
    assert len(framework.indicators) == 34
    r01 = framework.indicator_by_code["R01"]
    assert r01.weights == {"P2": 0.6, "P5": 0.4} and r01.name.ar and r01.name.en
    assert framework.unit_of("E03").kind == "percent" and framework.value_range(framework.indicator_by_code["E03"]) == (0, 100)
    assert framework.unit_of("R01").kind == "integer" and framework.value_range(r01) == (0, None)
    assert framework.indicator_by_code["S01"].derived
    assert framework.unit_alias_table()[fold("أشخاص")] == "persons"
    assert len(framework.content_hash) == 64


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "fw"
    shutil.copytree(DEFAULT_FRAMEWORK_DIR, target)
    return target


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('unit = "persons"', 'unit = "kilos"', "unknown unit 'kilos'"),
        ("weights = { P2 = 0.6, P5 = 0.4 }", "weights = { P2 = 0.6, P9 = 0.4 }", "unknown principle 'P9'"),
        ("weights = { P2 = 0.6, P5 = 0.4 }", "weights = { P2 = 0.6, P5 = -0.4 }", "greater than 0"),
        ("goalposts = [10, 20000]", "goalposts = [20000, 10]", "must be below max"),
        ('numerator = "S02"', 'numerator = "S01"', "cycle"),
        ('code = "R03"', 'code = "R01"', "defined twice"),
    ],
)
def test_inconsistent_framework_is_rejected_with_a_clear_message(tmp_path: Path, old: str, new: str, message: str) -> None:
    directory = _copy(tmp_path)
    path = directory / "indicators.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(FrameworkError) as caught:
        load_framework(directory)
    assert any(message in problem for problem in caught.value.problems), caught.value.problems


def test_unit_alias_claimed_twice_is_rejected(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    path = directory / "units.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('"heures", "heure"', '"heures", "personnes"'), encoding="utf-8")
    with pytest.raises(FrameworkError, match="claimed by units"):
        load_framework(directory)


def test_missing_framework_directory(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError, match="framework.toml not found"):
        load_framework(tmp_path)


def test_default_framework_declares_the_indicators_pages_rely_on_by_role(framework) -> None:
    assert framework.meta.roles.beneficiaries == "R01"
    assert framework.meta.roles.follow_up == ("J02", "J05")


def test_a_role_naming_an_unknown_indicator_is_rejected(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    main = directory / "framework.toml"
    main.write_text(main.read_text(encoding="utf-8").replace('beneficiaries = "R01"', 'beneficiaries = "R99"'))
    with pytest.raises(FrameworkError, match="roles.beneficiaries refers to unknown indicator 'R99'"):
        load_framework(directory)


def test_a_framework_without_roles_keeps_the_hash_it_had_before_roles_existed(tmp_path: Path) -> None:
    framework = load_framework(copy_without_later_fields(tmp_path / "framework"))
    assert framework.meta.roles == Roles()
    assert framework.content_hash == hash_without_later_fields(framework)
    assert load_framework().content_hash != framework.content_hash  # declaring roles is a change of version


def test_a_framework_file_written_before_issue_12_keeps_its_published_hash() -> None:
    """The default framework as released before counting rules, parts and expectations existed
    (its files kept in tests/data) still has the hash databases recorded for it."""
    framework = load_framework(Path(__file__).parent / "data" / "framework_before_issue_12")
    assert framework.content_hash == "6885c9c3a609381e8086980f331599c8f1795e96d1732106207d43b00cce3ead"

def test_framework_problems_are_reported_in_the_readers_language(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    indicators = directory / "indicators.toml"
    indicators.write_text(indicators.read_text(encoding="utf-8").replace('unit = "persons"', 'unit = "people"', 1))
    with pytest.raises(FrameworkError) as caught:
        load_framework(directory)
    error = caught.value
    assert any("unknown unit 'people'" in p for p in error.texts("en"))
    assert any("unité inconnue 'people'" in p for p in error.texts("fr"))
    assert any("وحدة غير معروفة 'people'" in p for p in map(strip_isolates, error.texts("ar")))
    assert "Le référentiel" in error.report("fr") and "unité inconnue" in error.report("fr")


def test_a_field_error_from_the_model_is_translated_with_its_place(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    main = directory / "framework.toml"
    main.write_text(main.read_text(encoding="utf-8").replace("coverage_threshold = 0.25", "coverage_threshold = 2"))
    with pytest.raises(FrameworkError) as caught:
        load_framework(directory)
    assert caught.value.texts("fr") == ["meta.coverage_threshold: doit être inférieur ou égal à 1"]
    assert [strip_isolates(p) for p in caught.value.texts("ar")] == ["meta.coverage_threshold: يجب أن يكون أقل من أو يساوي 1"]
    assert str(caught.value.problems[0]) == "meta.coverage_threshold: Input should be less than or equal to 1"
