"""SQL for the organisation registry and the framework tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import polars as pl

from framework.model import DEFAULT_FRAMEWORK_DIR, Framework, framework_from_dict, load_framework
from store.audit import record_in
from store.db import ArrowStream, Store, utc_now
from store.errors import StoreError

if TYPE_CHECKING:  # imported where a DuckDB database is opened (store.db), never for PostgreSQL
    import duckdb

ORG_COLUMNS = ("code", "name_fr", "name_ar", "name_en", "kind", "region", "thematic_areas", "size_band")


def org_codes(store: Store) -> frozenset[str]:
    return frozenset(store.column("SELECT code FROM organizations"))


def organisation_registry(store: Store) -> pl.DataFrame:
    """Every registered organisation, in the columns ``upsert_organizations`` takes."""
    return store.query(f"SELECT {', '.join(ORG_COLUMNS)} FROM organizations ORDER BY code")


class RegistryError(StoreError):
    """A refused registry change; ``code`` is a catalogue key under ``registry.errors``."""

    catalogue = "registry.errors"


#: What a single-organisation change expects of its code: ``new`` (add), ``known`` (edit), or either (a file).
Expect = Literal["new", "known"] | None


def registry_with_status(store: Store) -> pl.DataFrame:
    """Every registered organisation, active or not, with when it was registered and last changed."""
    return store.query(f"SELECT {', '.join(ORG_COLUMNS)}, active, created_at, updated_at FROM organizations ORDER BY code")


def upsert_organizations(
    store: Store, orgs: pl.DataFrame, *, actor: str, source: str | None = None, expect: Expect = None
) -> int:
    """Register new organisations and update known ones, with the ``registry_changed`` audit entry
    (by ``actor``; ``source`` names the file or screen the rows came from) in one transaction.

    The entry counts and names the organisations added and those whose registered details changed
    (or that were inactive: a file registers them again); returns the number of rows given.
    ``expect="new"`` refuses a code already registered (``code_taken``); ``expect="known"`` one
    that is not (``unknown_org``), and an edit leaves a deactivated organisation deactivated: the
    registry page's *add* and *edit*, and ``python -m ingest org add|edit``."""
    incoming = orgs.select(ORG_COLUMNS).to_arrow()
    changed = " OR ".join(f"i.{c} IS DISTINCT FROM o.{c}" for c in ORG_COLUMNS[1:])
    reactivate = expect != "known"

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        now = utc_now()
        cur.register("incoming_orgs", incoming)
        try:
            _expected_codes(cur, expect)
            added, updated = cur.execute(
                f"""
                SELECT list(i.code ORDER BY i.code) FILTER (WHERE o.code IS NULL),
                       list(i.code ORDER BY i.code) FILTER (WHERE o.code IS NOT NULL AND ((? AND NOT o.active) OR {changed}))
                FROM incoming_orgs i LEFT JOIN organizations o ON o.code = i.code
                """,
                [reactivate],
            ).fetchall()[0]
            cur.execute(
                """
                INSERT INTO organizations (code, name_fr, name_ar, name_en, kind, region, thematic_areas, size_band,
                                           active, created_at, updated_at)
                SELECT code, name_fr, name_ar, name_en, kind, region, thematic_areas, size_band, TRUE, ?, ?
                FROM incoming_orgs
                ON CONFLICT (code) DO UPDATE SET
                    name_fr = excluded.name_fr, name_ar = excluded.name_ar, name_en = excluded.name_en,
                    kind = excluded.kind, region = excluded.region, thematic_areas = excluded.thematic_areas,
                    size_band = excluded.size_band, updated_at = excluded.updated_at,
                    active = CASE WHEN ? THEN TRUE ELSE organizations.active END
                """,
                [now, now, reactivate],
            )
        finally:
            cur.unregister("incoming_orgs")
        added, updated = added or [], updated or []
        record_in(
            cur, actor, "registry_changed", target="registry:organizations",
            detail={"source": source, "rows": incoming.num_rows, "added": len(added), "updated": len(updated),
                    "unchanged": incoming.num_rows - len(added) - len(updated), "added_codes": added,
                    "updated_codes": updated},
        )
        return incoming.num_rows

    return store.write(work)


def _expected_codes(cur: duckdb.DuckDBPyConnection, expect: Expect) -> None:
    if expect is None:
        return
    known, unknown = cur.execute(
        "SELECT list(i.code ORDER BY i.code) FILTER (WHERE o.code IS NOT NULL), "
        "list(i.code ORDER BY i.code) FILTER (WHERE o.code IS NULL) "
        "FROM incoming_orgs i LEFT JOIN organizations o ON o.code = i.code"
    ).fetchall()[0]
    if expect == "new" and known:
        raise RegistryError("code_taken", org=", ".join(known))
    if expect == "known" and unknown:
        raise RegistryError("unknown_org", org=", ".join(unknown))


def set_organisation_active(store: Store, code: str, active: bool, *, actor: str, source: str) -> bool:
    """Deactivate an organisation (it leaves the pages, the peer groups and the expected reports;
    its data and accounts stay) or activate it again, audited as ``organisation_deactivated`` or
    ``organisation_reactivated`` in the same transaction. False, writing nothing, when it already was."""
    code = (code or "").strip().upper()

    def work(cur: duckdb.DuckDBPyConnection) -> bool:
        rows = cur.execute("SELECT active FROM organizations WHERE code = ?", [code]).fetchall()
        if not rows:
            raise RegistryError("unknown_org", org=code)
        if rows[0][0] == active:
            return False
        cur.execute("UPDATE organizations SET active = ?, updated_at = ? WHERE code = ?", [active, utc_now(), code])
        action = "organisation_reactivated" if active else "organisation_deactivated"
        record_in(cur, actor, action, target=f"org:{code}", detail={"source": source, "code": code})
        return True

    return store.write(work)


def framework_in_use(store: Store | None, directory: Path | None = None) -> Framework:
    """The framework to check and score with.

    An explicit ``directory`` wins (files checked against without being adopted); otherwise the
    version in use recorded in the database (adopted by ``python -m store framework adopt`` or the
    Framework page), and for a database that has none, the default files.
    """
    if directory is not None or store is None:
        return load_framework(directory or DEFAULT_FRAMEWORK_DIR)
    content = store.scalar("SELECT content FROM framework_versions ORDER BY created_at DESC, hash LIMIT 1")
    if content is None:
        return load_framework()
    return framework_from_dict(json.loads(content), source=f"{store.path} (recorded version)")


def recorded_framework_hash(store: Store) -> str | None:
    """The content hash of the framework version in use, None when the database has recorded none."""
    return store.scalar(_CURRENT_VERSION)


def adopt_framework(store: Store, framework: Framework, *, actor: str, source: str) -> bool:
    """Make ``framework`` the version in use, with its ``framework_change`` audit entry (by ``actor``,
    ``source`` saying where the version came from) in the same transaction.

    The version is recorded beside the earlier ones (a version seen before is not stored twice) and
    the framework tables describe it. Returns False, writing nothing, when it is already in use.
    Loading data never calls this: adoption is its own action (``python -m store framework adopt``,
    the Framework page), apart from :func:`adopt_first_framework`.
    """
    return store.write(lambda cur: _adopt(cur, framework, actor=actor, source=source, first_only=False))


def adopt_first_framework(store: Store, framework: Framework, *, actor: str, source: str) -> bool:
    """Record ``framework`` as the first version of a database that has none (audited as such);
    False, writing nothing, when a version is already recorded: loading never switches versions."""
    return store.write(lambda cur: _adopt(cur, framework, actor=actor, source=source, first_only=True))


_CURRENT_VERSION = "SELECT hash FROM framework_versions ORDER BY created_at DESC, hash LIMIT 1"


def _framework_tables(framework: Framework) -> dict[str, ArrowStream]:
    """The rows of the principles, indicators and indicator_principles tables for ``framework``."""
    principles = pl.DataFrame(
        [
            {"code": p.code, "name_fr": p.name.fr, "name_ar": p.name.ar, "name_en": p.name.en, "weight": p.weight}
            for p in framework.principles
        ]
    )
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
    )
    links = pl.DataFrame(
        [
            {"indicator_code": i.code, "principle_code": p, "weight": w}
            for i in framework.indicators
            for p, w in i.weights.items()
        ],
        schema={"indicator_code": pl.String, "principle_code": pl.String, "weight": pl.Float64},
    )
    return {"principles": ArrowStream(principles), "indicators": ArrowStream(indicators),
            "indicator_principles": ArrowStream(links)}


def _adopt(cur: duckdb.DuckDBPyConnection, framework: Framework, *, actor: str, source: str, first_only: bool) -> bool:
    rows = cur.execute(_CURRENT_VERSION).fetchall()
    previous = rows[0][0] if rows else None
    if previous is not None and first_only:
        return False
    if previous == framework.content_hash and cur.execute("SELECT count(*) FROM indicators").fetchall()[0][0]:
        return False
    cur.execute(
        "INSERT INTO framework_versions VALUES (?, ?, ?, ?) "
        "ON CONFLICT (hash) DO UPDATE SET created_at = excluded.created_at",
        [framework.content_hash, utc_now(), source, json.dumps(framework.model_dump(mode="json"), ensure_ascii=False)],
    )
    for table, data in _framework_tables(framework).items():
        cur.register("incoming_table", data)
        try:
            cur.execute(f"DELETE FROM {table}")
            columns = ", ".join(data.frame.columns)  # by name (one text for both backends: no BY NAME)
            cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming_table")
        finally:
            cur.unregister("incoming_table")
    record_in(
        cur, actor, "framework_change", target=f"framework:{framework.content_hash[:12]}",
        detail={"version": framework.content_hash, "previous": previous, "first": previous is None,
                "source": source, "principles": len(framework.principles),
                "indicators": len(framework.indicators)},
    )
    return True
