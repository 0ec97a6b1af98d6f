"""Reads of narratives (issue 14): what a viewer may read of one organisation's texts per principle.

The scope is in the SQL (``store.scope``): a member reads its own organisation, a funder the link's
organisations, principles and periods, approved narratives only unless the link includes
provisional ones (then labelled), a pinned link the submissions its run scored (approved when it
ran, as its values: ``score_runs.approved_submission_ids``); the steering
committee reads all. Of each (organisation, period, principle, language) the latest submission's
narrative is the one in force; ``provisional`` is true while its submission is not approved.
"""

from __future__ import annotations

import polars as pl

from store.db import Store
from store.scope import period_ok, principle_ok, query, run_submission, visible
from store.viewer import Viewer

#: The columns :func:`narratives` returns (the report card relies on them).
COLUMNS = ("principle", "lang", "text", "evidence_url", "provisional")

_SCOPED = f"""
    FROM narratives n JOIN submissions s ON s.id = n.submission_id
    WHERE {visible("n.org_code")} AND {principle_ok("n.principle")} AND {period_ok("n.period")}
      AND {run_submission("n.submission_id")}
      AND (NOT $v_approved_only OR CASE WHEN $v_run IS NULL THEN s.review_status = 'approved'
           ELSE list_contains((SELECT coalesce(approved_submission_ids, submission_ids) FROM score_runs
                               WHERE id = $v_run), n.submission_id) END)
"""


def narratives(store: Store, viewer: Viewer, org_code: str, period: str) -> pl.DataFrame:
    """The narratives in force of one organisation and period, one per principle and language:
    principle, lang, text, evidence_url, provisional (its submission not approved yet)."""
    return query(
        store,
        viewer,
        f"""
        SELECT principle, lang, text, evidence_url, provisional FROM (
            SELECT n.principle, n.lang, n.text, n.evidence_url,
                   coalesce(s.review_status, 'submitted') <> 'approved' AS provisional,
                   row_number() OVER (PARTITION BY n.principle, n.lang
                                      ORDER BY n.written_at DESC, n.submission_id DESC) AS latest
            {_SCOPED} AND n.org_code = $org AND n.period = $period
        ) AS written WHERE latest = 1 ORDER BY principle, lang
        """,
        org=org_code,
        period=period,
    )


def submission_narratives(store: Store, viewer: Viewer, submission_id: int) -> pl.DataFrame:
    """The narratives one submission carried (what the committee reviews with its values): line,
    sheet, org_code, period, principle, lang, text, evidence_url."""
    return query(
        store,
        viewer,
        f"""
        SELECT n.line, n.sheet, n.org_code, n.period, n.principle, n.lang, n.text, n.evidence_url
        {_SCOPED} AND n.submission_id = $submission
        ORDER BY n.period, n.principle, n.lang
        """,
        submission=submission_id,
    )
