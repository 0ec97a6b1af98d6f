"""SQL for the organisation registry and the framework tables."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl

from framework.model import DEFAULT_FRAMEWORK_DIR, Framework, framework_from_dict, load_framework
from store.db import Store, utc_now

ORG_COLUMNS = ("code", "name_fr", "name_ar", "name_en", "kind", "region", "thematic_areas", "size_band")


def org_codes(store: Store) -> frozenset[str]:
    return frozenset(store.query("SELECT code FROM organizations")["code"].to_list())


def organisation_registry(store: Store) -> pl.DataFrame:
    """Every registered organisation, in the columns ``upsert_organizations`` takes."""
    return store.query(f"SELECT {', '.join(ORG_COLUMNS)} FROM organizations ORDER BY code")


def upsert_organizations(store: Store, orgs: pl.DataFrame) -> int:
    """Register new organisations and update known ones, in one transaction."""
    incoming = orgs.select(ORG_COLUMNS).to_arrow()

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        now = utc_now()
        cur.register("incoming_orgs", incoming)
        try:
            cur.execute(
                """
                INSERT INTO organizations (code, name_fr, name_ar, name_en, kind, region, thematic_areas, size_band,
                                           active, created_at, updated_at)
                SELECT code, name_fr, name_ar, name_en, kind, region, thematic_areas, size_band, TRUE, ?, ?
                FROM incoming_orgs
                ON CONFLICT (code) DO UPDATE SET
                    name_fr = excluded.name_fr, name_ar = excluded.name_ar, name_en = excluded.name_en,
                    kind = excluded.kind, region = excluded.region, thematic_areas = excluded.thematic_areas,
                    size_band = excluded.size_band, active = TRUE, updated_at = excluded.updated_at
                """,
                [now, now],
            )
        finally:
            cur.unregister("incoming_orgs")
        return incoming.num_rows

    return store.write(work)


def framework_in_use(store: Store | None, directory: Path | None = None) -> Framework:
    """The framework to check and score with.

    An explicit ``directory`` wins (that is how a new version is adopted from files); otherwise the
    newest version recorded in the database (the dashboard records its edits there), and for a
    database that has none, the default files.
    """
    if directory is not None or store is None:
        return load_framework(directory or DEFAULT_FRAMEWORK_DIR)
    rows = store.query("SELECT content FROM framework_versions ORDER BY created_at DESC, hash LIMIT 1")
    if rows.is_empty():
        return load_framework()
    return framework_from_dict(json.loads(rows["content"][0]), source=f"{store.path} (recorded version)")


def sync_framework(store: Store, framework: Framework, source: str = "") -> bool:
    """Record a framework version and make it the one the framework tables describe.

    Returns True when the tables changed. A version seen before is not stored twice.
    """
    current = store.scalar(
        "SELECT hash FROM framework_versions ORDER BY created_at DESC, hash LIMIT 1"
    )
    if current == framework.content_hash and store.scalar("SELECT count(*) FROM indicators"):
        return False
    principles = pl.DataFrame(
        [
            {"code": p.code, "name_fr": p.name.fr, "name_ar": p.name.ar, "name_en": p.name.en, "weight": p.weight}
            for p in framework.principles
        ]
    ).to_arrow()
    indicators = pl.DataFrame(
        [
            {
                "code": i.code, "name_fr": i.name.fr, "name_ar": i.name.ar, "name_en": i.name.en, "unit": i.unit,
                "direction": i.direction.value, "aggregation": i.aggregation.value, "transform": i.transform.value,
                "goalpost_min": i.goalposts[0] if i.goalposts else None,
                "goalpost_max": i.goalposts[1] if i.goalposts else None,
                "iris": i.iris, "sdg": list(i.sdg),
            }
            for i in framework.indicators
        ],
        schema_overrides={"goalpost_min": pl.Float64, "goalpost_max": pl.Float64, "iris": pl.String,
                          "sdg": pl.List(pl.String)},
    ).to_arrow()
    links = pl.DataFrame(
        [
            {"indicator_code": i.code, "principle_code": p, "weight": w}
            for i in framework.indicators
            for p, w in i.weights.items()
        ],
        schema={"indicator_code": pl.String, "principle_code": pl.String, "weight": pl.Float64},
    ).to_arrow()

    def work(cur: duckdb.DuckDBPyConnection) -> bool:
        cur.execute(
            "INSERT INTO framework_versions VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO UPDATE SET created_at = excluded.created_at",
            [framework.content_hash, utc_now(), source,
             json.dumps(framework.model_dump(mode="json"), ensure_ascii=False)],
        )
        for table, data in (("principles", principles), ("indicators", indicators), ("indicator_principles", links)):
            cur.register("incoming_table", data)
            try:
                cur.execute(f"DELETE FROM {table}")
                cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_table")
            finally:
                cur.unregister("incoming_table")
        return True

    return store.write(work)
