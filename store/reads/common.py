"""Reads every page shares: the data version, the run, the framework in use, organisations, groups."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from framework.model import BREAKDOWN_COLUMNS
from store.db import Store
from store.reads.fragments import RUN_COLUMNS, name_sql, run_row
from store.scope import aggregable, period_ok, query, shown_indicators, visible
from store.viewer import Viewer

BREAKDOWN_KEYS = BREAKDOWN_COLUMNS  # the framework's breakdown columns, one definition


def data_version(store: Store, viewer: Viewer) -> tuple:
    """Changes whenever anything a page shows may have changed (part of every cache key).

    A pinned link's pages change with its run and the registry only: a later file is no part of it.
    """
    row = query(
        store,
        viewer,
        """
        SELECT (SELECT coalesce(max(id), 0) FROM submissions WHERE $v_run IS NULL) AS submission,
               (SELECT count(*) FROM submissions WHERE $v_run IS NULL) AS submissions,
               (SELECT coalesce(max(id), 0) FROM score_runs WHERE $v_run IS NULL OR id = $v_run) AS run,
               (SELECT coalesce(max(created_at)::VARCHAR, '') FROM framework_versions WHERE $v_run IS NULL) AS framework,
               (SELECT coalesce(max(updated_at)::VARCHAR, '') FROM organizations) AS orgs,
               (SELECT coalesce(max(set_at)::VARCHAR, '') FROM org_targets) AS targets,
               (SELECT coalesce(max(set_at)::VARCHAR, '') || count(*) FROM org_expectations) AS expectations,
               (SELECT coalesce(max(greatest(valid_from, coalesce(valid_to, valid_from)))::VARCHAR, '') || count(*)
                FROM shared_beneficiaries) AS overlaps,
               (SELECT coalesce(max(greatest(valid_from, coalesce(valid_to, valid_from)))::VARCHAR, '') || count(*)
                FROM programme_members) AS programmes,
               (SELECT coalesce(max(set_at)::VARCHAR, '') || count(*) FROM reporting_calendar WHERE $v_run IS NULL) AS calendar,
               (SELECT coalesce(max(set_at)::VARCHAR, '') || count(*) FROM org_calendar WHERE $v_run IS NULL)
                   AS calendar_exceptions,
               (SELECT coalesce(max(id), 0) FROM audit_log WHERE action = 'upload_rejected' AND $v_run IS NULL)
                   AS rejected,
               (SELECT coalesce(max(reviewed_at)::VARCHAR, '') FROM submissions WHERE $v_run IS NULL) AS reviewed,
               (SELECT coalesce(max(explained_at)::VARCHAR, '') || count(*) FROM value_explanations) AS explanations
        """,
    ).row(0)
    return tuple(row)


def latest_run(store: Store, viewer: Viewer) -> dict[str, Any] | None:
    """The run every page reads: id, time, framework (content and hash), granularity, method."""
    return run_row(
        query(
            store,
            viewer,
            f"SELECT {RUN_COLUMNS} FROM score_runs WHERE $v_run IS NULL OR id = $v_run ORDER BY id DESC LIMIT 1",
        )
    )


def framework_in_use(store: Store, viewer: Viewer) -> dict[str, Any] | None:
    """The latest recorded framework version (what uploads are checked against); a pinned link's run's."""
    frame = query(
        store,
        viewer,
        """
        SELECT hash, created_at, source, content FROM (
            SELECT hash, created_at, source, content FROM framework_versions WHERE $v_run IS NULL
            UNION ALL
            SELECT framework_hash, created_at, 'score_runs:' || id, framework FROM score_runs WHERE id = $v_run
        ) ORDER BY created_at DESC, hash LIMIT 1
        """,
    )
    if frame.is_empty():
        return None
    row = frame.row(0, named=True)
    row["content"] = json.loads(row["content"])
    return row


def framework_versions(store: Store, viewer: Viewer) -> pl.DataFrame:
    """Every recorded framework version, newest first (steering only)."""
    return query(
        store,
        viewer,
        "SELECT hash, created_at, source FROM framework_versions WHERE $v_all ORDER BY created_at DESC, hash",
    )


def run_periods(store: Store, viewer: Viewer, run_id: int) -> list[str]:
    frame = query(
        store,
        viewer,
        f"SELECT DISTINCT period FROM scores WHERE run_id = $run AND {period_ok('period')} ORDER BY period",
        run=run_id,
    )
    return frame.get_column("period").to_list()


def period_reporting(store: Store, viewer: Viewer, run_id: int) -> pl.DataFrame:
    """Per period of the run: members who reported (an organisation with a score row) and members
    expected to (the active ones), both among the organisations this viewer's aggregates cover —
    the counts that decide whether a period is complete (``framework.periods.period_states``)."""
    return query(
        store,
        viewer,
        f"""
        WITH expected AS (SELECT code FROM organizations WHERE active AND {aggregable("code")}),
        reported AS (SELECT period, count(DISTINCT org_code) AS reporting FROM scores
                     WHERE run_id = $run AND {aggregable("org_code")} AND {period_ok("period")}
                       AND org_code IN (SELECT code FROM expected)
                     GROUP BY period)
        SELECT p.period, coalesce(r.reporting, 0)::BIGINT AS reporting,
               (SELECT count(*) FROM expected)::BIGINT AS expected
        FROM (SELECT DISTINCT period FROM scores WHERE run_id = $run AND {period_ok("period")}) p
        LEFT JOIN reported r USING (period)
        ORDER BY p.period
        """,
        run=run_id,
    )


def organisations(store: Store, viewer: Viewer, lang: str) -> pl.DataFrame:
    """The active organisations this viewer may see: code, name, kind, region, size band, themes."""
    return query(
        store,
        viewer,
        f"""
        SELECT code AS org_code, {name_sql(lang)} AS name, kind, region, size_band, thematic_areas
        FROM organizations WHERE active AND {visible("code")} ORDER BY code
        """,
    )


def can_see_org(store: Store, viewer: Viewer, org_code: str) -> bool:
    return bool(
        query(
            store,
            viewer,
            f"SELECT count(*) AS n FROM organizations WHERE code = $org AND {visible('code')}",
            org=org_code,
        ).item()
    )




def indicators_in_scope(store: Store, viewer: Viewer, run_id: int) -> list[str] | None:
    """The indicators of the run this viewer may see (``None``: every one), as every read applies it."""
    if viewer.principles is None:
        return None
    return shown_indicators(store, viewer, viewer.pinned_run or run_id)


def provisional_scores(store: Store, viewer: Viewer, run_id: int | None, period: str) -> pl.DataFrame:
    """The organisations this viewer sees whose scores of ``period`` in run ``run_id`` rest on values
    not approved when it ran (``score_provisional``); none for a link that shows approved scores only."""
    return query(
        store,
        viewer,
        f"""
        SELECT DISTINCT org_code FROM score_provisional
        WHERE run_id = $run AND period = $period AND NOT $v_approved_only
          AND {visible("org_code")} AND {period_ok("period")}
        ORDER BY org_code
        """,
        run=run_id,
        period=period,
    )
