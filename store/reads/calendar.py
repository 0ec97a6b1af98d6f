"""Reads of the reporting calendar: the calendar as set, and each organisation's status per period.

A status per (organisation, period kind it reports, period ended by ``today``) — computed here in
SQL, in the viewer's scope (organisations it may see one by one). The cycle is the network's inside
business: the steering committee and members read it (``$v_agg_all`` holds for those two roles
only), a funder link reads nothing here, pinned or not:

- ``approved`` / ``returned``: the committee's review of the newest submission holding values for
  the period (``submissions.review_status``, ``store.review``); a returned one carries the
  committee's comment on the whole submission (``review_comments``) and when it was returned;
- ``submitted``: an accepted submission holds values for the period, awaiting review;
- ``late``: nothing yet and the deadline (the period's last day + the kind's ``deadline_days``) has
  passed; ``due``: nothing yet, the deadline still ahead.

A period counts as sent when a value carries exactly its label (a year is sent by the annual
values, not by its quarters). Before the committee sets any kind, every active organisation
reports the year, from last year, with the framework's timeliness deadline (``default_deadline``).

The member home, the Calendar page, ``python -m store calendar status`` and the reminders
(``notify.remind``) all read :func:`statuses`: one rule for what is due, late or returned.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from store.db import Store
from store.reads.fragments import name_sql
from store.scope import period_ok, query, visible
from store.viewer import Viewer

STATUSES: tuple[str, ...] = ("due", "late", "submitted", "returned", "approved")


def calendar_settings(store: Store, viewer: Viewer) -> pl.DataFrame:
    """period_kind, deadline_days, everyone, from_year, set_by, set_at (steering only)."""
    return query(store, viewer, """
        SELECT period_kind, deadline_days, everyone, from_year, set_by, set_at FROM reporting_calendar
        WHERE $v_all ORDER BY CASE period_kind WHEN 'year' THEN 0 WHEN 'semester' THEN 1 ELSE 2 END
    """)


def calendar_exceptions(store: Store, viewer: Viewer) -> pl.DataFrame:
    """org_code, period_kind, reports: the per-organisation exceptions (steering only)."""
    return query(store, viewer,
                 "SELECT org_code, period_kind, reports FROM org_calendar WHERE $v_all ORDER BY period_kind, org_code")


_PERIODS = """
    cal AS (
        SELECT period_kind, deadline_days, everyone, from_year FROM reporting_calendar
        UNION ALL
        SELECT 'year', $default_deadline, TRUE, year($today::DATE) - 1
        WHERE NOT EXISTS (SELECT 1 FROM reporting_calendar)
    ),
    years AS (
        SELECT period_kind, deadline_days, everyone, unnest(range(from_year, year($today::DATE) + 1)) AS year,
               CASE period_kind WHEN 'year' THEN 12 WHEN 'semester' THEN 6 ELSE 3 END AS months
        FROM cal
    ),
    subs AS (SELECT *, unnest(range(1, 12 // months + 1)) AS sub FROM years),
    periods AS (
        SELECT period_kind, deadline_days,
               CASE period_kind WHEN 'year' THEN year::VARCHAR WHEN 'semester' THEN year || '-S' || sub
                    ELSE year || '-Q' || sub END AS period,
               (make_date(year::INTEGER, ((sub - 1) * months + 1)::INTEGER, 1) + to_months(months::INTEGER)
                - INTERVAL 1 DAY)::DATE AS period_end
        FROM subs
    ),
    ended AS (
        SELECT *, period_end + deadline_days::INTEGER AS deadline FROM periods WHERE period_end < $today::DATE
    )"""


def statuses(store: Store, viewer: Viewer, today: date, default_deadline: int, lang: str,
             org_code: str | None = None) -> pl.DataFrame:
    """org_code, name, period_kind, period, period_end, deadline, status, submission_id, sent_at,
    review_comment, reviewed_at: one row per visible organisation and period it is asked to report,
    ended by ``today`` (newest first; on one day, the year before its semester and quarter). See the
    module docstring for the rule."""
    return query(
        store,
        viewer,
        f"""
        WITH {_PERIODS},
        reporters AS (
            SELECT g.code AS org_code, c.period_kind FROM organizations g CROSS JOIN cal c
            LEFT JOIN org_calendar x ON x.org_code = g.code AND x.period_kind = c.period_kind
            WHERE g.active AND coalesce(x.reports, c.everyone) AND {visible("g.code")}
              AND ($org IS NULL OR g.code = $org)
        ),
        sent AS (
            SELECT o.org_code, o.period, max(s.id) AS submission_id, max(s.uploaded_at) AS sent_at,
                   arg_max(s.review_status, s.id) AS review, arg_max(s.reviewed_at, s.id) AS reviewed_at
            FROM observations o JOIN submissions s ON s.id = o.submission_id
            WHERE s.status = 'accepted' AND {visible("o.org_code")}
              AND ($org IS NULL OR o.org_code = $org)
            GROUP BY o.org_code, o.period
        ),
        said AS (
            SELECT submission_id, string_agg(comment, ' ' ORDER BY id) AS review_comment FROM review_comments
            WHERE indicator_code IS NULL GROUP BY submission_id
        )
        SELECT r.org_code, {name_sql(lang, "g")} AS name, e.period_kind, e.period, e.period_end, e.deadline,
               CASE WHEN x.review IN ('approved', 'returned') THEN x.review
                    WHEN x.submission_id IS NOT NULL THEN 'submitted'
                    WHEN e.deadline < $today::DATE THEN 'late' ELSE 'due' END AS status,
               x.submission_id, x.sent_at,
               CASE WHEN x.review = 'returned' THEN c.review_comment END AS review_comment,
               CASE WHEN x.review = 'returned' THEN x.reviewed_at END AS reviewed_at
        FROM reporters r JOIN ended e ON e.period_kind = r.period_kind
        JOIN organizations g ON g.code = r.org_code
        LEFT JOIN sent x ON x.org_code = r.org_code AND x.period = e.period
        LEFT JOIN said c ON c.submission_id = x.submission_id
        WHERE $v_agg_all AND $v_run IS NULL AND {period_ok("e.period")}
        ORDER BY e.period_end DESC, CASE e.period_kind WHEN 'year' THEN 0 WHEN 'semester' THEN 1 ELSE 2 END, r.org_code
        """,
        today=today,
        default_deadline=int(default_deadline),
        org=org_code,
    )


def rejected_uploads(store: Store, viewer: Viewer, org_code: str) -> pl.DataFrame:
    """logged_at, file, errors: files of one visible organisation refused since its last accepted
    upload, newest first (from the audit log: a refused file stores nothing else)."""
    return query(
        store,
        viewer,
        f"""
        SELECT a.logged_at, a.detail ->> 'file' AS file, (a.detail ->> 'errors')::INTEGER AS errors
        FROM audit_log a
        WHERE a.action = 'upload_rejected' AND a.detail ->> 'org' = $org AND {visible("$org")} AND $v_agg_all AND $v_run IS NULL
          AND coalesce(a.detail ->> 'status', 'rejected') = 'rejected'  -- a locked period's refusal has no errors
          AND a.logged_at > coalesce((SELECT max(uploaded_at) FROM submissions WHERE org_code = $org), TIMESTAMP '1970-01-01')
        ORDER BY a.id DESC LIMIT 5
        """,
        org=org_code,
    )
