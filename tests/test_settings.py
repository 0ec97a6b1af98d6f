"""Every ``ATHAR_*`` setting is declared once (``settings``), read only through it, and documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import settings
from ingest.read import Limits
from store.settings import AccessSettings

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = ("i18n", "framework", "ingest", "store", "metrics", "notify", "dashboard")
_ROW = re.compile(r"^\| `(ATHAR_[A-Z_]+)` \|([^|]*)\|([^|]*)\|", re.M)


def readme_rows() -> dict[str, tuple[str, str]]:
    return {name: (default.strip(), bounds.strip())
            for name, default, bounds in _ROW.findall((ROOT / "README.md").read_text(encoding="utf-8"))}


def test_every_declared_setting_is_in_the_readme_table_with_its_default_and_bounds() -> None:
    rows = readme_rows()
    for setting in settings.SETTINGS.values():
        if setting.test_hook:
            assert setting.name not in rows, f"{setting.name} is a test hook, not a deployment setting"
            continue
        assert setting.name in rows, f"{setting.name} is missing from the README's settings table"
        default, bounds = rows[setting.name]
        assert default.strip("`") == setting.readme_default.strip("`"), setting.name
        if setting.kind is int:
            assert bounds == f"{setting.ge}–{setting.le}", setting.name


def test_every_athar_name_in_the_readme_is_declared() -> None:
    named = set(re.findall(r"ATHAR_[A-Z_]*[A-Z]", (ROOT / "README.md").read_text(encoding="utf-8")))
    assert named - set(settings.SETTINGS) == set()


def test_no_production_module_reads_an_athar_variable_from_the_environment_itself() -> None:
    direct = re.compile(r"os\.(environ\.get|getenv)\(\s*[\"']ATHAR_|os\.environ\[[\"']ATHAR_[A-Z_]+[\"']\](?!\s*=)")
    readers = [f"{path.relative_to(ROOT)}" for package in PRODUCTION for path in (ROOT / package).rglob("*.py")
               if direct.search(path.read_text(encoding="utf-8"))]
    assert readers == []


def test_a_value_outside_its_bounds_is_refused_naming_the_setting(monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_MAX_ROWS", "0")
    with pytest.raises(settings.InvalidSetting, match="ATHAR_MAX_ROWS"):
        Limits()
    monkeypatch.setenv("ATHAR_MAX_ROWS", "many")
    with pytest.raises(settings.InvalidSetting, match="ATHAR_MAX_ROWS"):
        Limits()
    monkeypatch.setenv("ATHAR_LINK_MAX_DAYS", "4000")
    with pytest.raises(settings.InvalidSetting, match="ATHAR_LINK_MAX_DAYS"):
        AccessSettings.from_env()


def test_access_settings_take_their_defaults_and_bounds_from_the_declarations(monkeypatch) -> None:
    monkeypatch.setenv("ATHAR_SESSION_MAX_HOURS", "2")
    assert AccessSettings.from_env().session_max_hours == 2
    assert AccessSettings().link_max_days == settings.SETTINGS["ATHAR_LINK_MAX_DAYS"].default
    field = AccessSettings.model_fields["password_min_length"]
    assert {m.ge for m in field.metadata if hasattr(m, "ge")} == {settings.SETTINGS["ATHAR_PASSWORD_MIN_LENGTH"].ge}
