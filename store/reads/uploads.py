"""Reads of uploads: the submissions log, a submission's report, reported periods, current values."""

from __future__ import annotations

import json

import polars as pl

from store.db import Store
from store.reads.common import BREAKDOWN_KEYS
from store.reads.fragments import name_sql
from store.scope import SQL_PARAM, observations_sql, period_ok, query, run_submission, scope_params, visible
from store.viewer import Viewer


def submissions(
    store: Store, viewer: Viewer, lang: str, org_code: str | None = None, limit: int = 500
) -> pl.DataFrame:
    """The submissions log of the visible organisations, newest first (warnings counted).

    Who uploaded is given as ``uploader_kind`` (``member``, ``steering``, ``funder``, ``other``
    for free text such as a command-line ``--uploaded-by``, NULL when unknown) and, for a member,
    ``uploader_org`` / ``uploader_name`` — only when the viewer may see that organisation. Read from
    the typed columns ``submissions.uploader_*`` (``store.submissions.Uploader``); the raw
    ``uploaded_by`` identifier is not returned; ``uploader_text`` is the free text itself.

    Through a pinned link: the submissions its run scored, none loaded later, each ``accepted``
    (it still had current values when the run read it; a later correction is not the link's to know).
    """
    return query(
        store,
        viewer,
        f"""
        SELECT s.id, s.org_code, {name_sql(lang, "g")} AS name, s.file_name, s.file_format, s.uploader_kind,
               u.code AS uploader_org, {name_sql(lang, "u")} AS uploader_name,
               CASE WHEN s.uploader_kind = 'other' THEN s.uploader_account END AS uploader_text,
               s.uploaded_at, CASE WHEN $v_run IS NULL THEN s.status ELSE 'accepted' END AS status,
               s.row_count, json_array_length(s.report) AS issues
        FROM submissions s LEFT JOIN organizations g ON g.code = s.org_code
        LEFT JOIN organizations u ON u.code = s.uploader_org AND s.uploader_kind = 'member' AND {visible("u.code")}
        WHERE {visible("s.org_code")} AND ($org IS NULL OR s.org_code = $org) AND $v_all_periods
          AND {run_submission("s.id")}
        ORDER BY s.id DESC LIMIT $limit
        """,
        org=org_code,
        limit=limit,
    )


def submission_report(store: Store, viewer: Viewer, submission_id: int) -> list[dict] | None:
    """The stored validation report of one visible submission (codes; rendered per language)."""
    frame = query(
        store,
        viewer,
        f"SELECT report FROM submissions WHERE id = $id AND {visible('org_code')} AND $v_all_periods "
        f"AND {run_submission('id')}",
        id=submission_id,
    )
    return None if frame.is_empty() else json.loads(frame.item())


def reported_periods(store: Store, viewer: Viewer, org_code: str) -> pl.DataFrame:
    """Periods with current values for one visible organisation, with how many values each."""
    return query(
        store,
        viewer,
        f"""
        SELECT period, granularity, min(period_start) AS period_start, count(*) AS n_values
        FROM {observations_sql(viewer)}
        WHERE org_code = $org AND {visible("org_code")} AND {period_ok("period")}
        GROUP BY period, granularity ORDER BY period_start, period
        """,
        org=org_code,
    )


def current_values(store: Store, viewer: Viewer, keys: pl.DataFrame) -> pl.DataFrame:
    """Current stored values for the keys of an upload (organisation, indicator, period, breakdown).

    Raw values, like :func:`observation_history`: none to a link limited to some principles.
    """
    key_columns = ["org_code", "indicator_code", "period", *BREAKDOWN_KEYS]
    incoming = keys.select(key_columns).unique().to_arrow()
    match = " AND ".join(f"o.{k} IS NOT DISTINCT FROM k.{k}" for k in key_columns)
    sql = f"""
        SELECT k.*, o.value AS current_value, o.submission_id AS current_submission, o.valid_from
        FROM upload_keys k JOIN {observations_sql(viewer)} o ON {match}
        WHERE {visible("o.org_code")} AND {period_ok("o.period")} AND $v_all_principles
    """
    params = {**scope_params(viewer)}
    used = {name: params[name] for name in set(SQL_PARAM.findall(sql))}
    with store.cursor() as cur:
        cur.register("upload_keys", incoming)
        try:
            return cur.sql(sql, params=used).pl()
        finally:
            cur.unregister("upload_keys")
