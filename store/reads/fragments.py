"""What the reads share: SQL fragments (an organisation's name in the reader's language, group
memberships, a run's header columns) and the decoding of a run's header."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from framework.groups import GroupBy

NAME_COLUMN = {"fr": "name_fr", "ar": "name_ar", "en": "name_en"}


def name_sql(lang: str, table: str | None = None) -> str:
    """The organisation name in ``lang`` (French when missing), of ``table`` when given."""
    prefix = f"{table}." if table else ""
    column = NAME_COLUMN.get(lang, "name_fr")
    return f"coalesce({prefix}{column}, {prefix}name_fr)"


def memberships_sql(by: GroupBy, where: str) -> str:
    """org_code, group_value for one grouping of the organisations passing ``where``."""
    if by == "network":
        return f"SELECT code AS org_code, 'all' AS group_value FROM organizations WHERE active AND {where}"
    if by == "thematic_area":
        return (
            "SELECT DISTINCT org_code, group_value FROM (SELECT code AS org_code, "
            f"unnest(thematic_areas) AS group_value FROM organizations WHERE active AND {where}) "
            "WHERE group_value IS NOT NULL AND trim(group_value) <> ''"
        )
    if by not in ("region", "kind", "size_band"):
        raise ValueError(f"unknown grouping {by!r}")
    return (
        f"SELECT code AS org_code, {by} AS group_value FROM organizations "
        f"WHERE active AND {where} AND {by} IS NOT NULL AND trim({by}) <> ''"
    )


#: The header of a recorded run, as pages and the method card read it.
RUN_COLUMNS = "id, created_at, framework_hash, framework, granularity, method, org_count, period_count"


def run_row(frame: pl.DataFrame) -> dict[str, Any] | None:
    """The first run of ``frame`` (``RUN_COLUMNS``) with its framework and method decoded, or None."""
    if frame.is_empty():
        return None
    row = frame.row(0, named=True)
    row["framework"] = json.loads(row["framework"])
    row["method"] = json.loads(row["method"])
    return row
