"""The period an organisation should report now, as the reporting calendar says (one rule for the
member's home, the upload page's template and the form).

The calendar's statuses (``store.reads.calendar.statuses``) name every ended period the organisation
is asked for with its deadline; the first one still open — returned, late or due, newest first, as the
home lists them — is the one to report now. When nothing is open (all sent), the framework's rule
gives the period under way at the organisation's usual granularity (``framework.periods.due_period``),
with its deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from dashboard.context import PageContext
from framework import periods as period_rules
from store.reads import calendar as calendar_reads
from store.reads import uploads as uploads_reads

OPEN = ("returned", "late", "due")


@dataclass(frozen=True)
class Due:
    period: str
    deadline: date
    sent: bool  # the period already holds this organisation's values (nothing open in the calendar)


def due_now(ctx: PageContext, org: str) -> Due:
    """The period to report now for ``org``, its deadline, and whether it is already sent."""
    rows = ctx.q(calendar_reads.statuses, ctx.today, int(ctx.deadline_days), ctx.lang, org)
    open_rows = rows.filter(pl.col("status").is_in(OPEN))
    if open_rows.height:
        first = open_rows.row(0, named=True)
        return Due(first["period"], first["deadline"], sent=False)
    reported = ctx.q(uploads_reads.reported_periods, org)
    fallback = ctx.run["granularity"] if ctx.run else "year"
    period = period_rules.due_period(ctx.today, period_rules.usual_granularity(reported["granularity"], fallback))
    return Due(period, period_rules.deadline(period, ctx.deadline_days), period in reported["period"].to_list())
