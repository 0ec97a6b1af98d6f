"""The demo's calendar and the events planted on purpose (the README's "Put in on purpose").

Organisations are referred to by their member number (1 for the first row of ``orgs.ORG_SPECS``).
``network.check_events`` fails if one of these events finds no data to act on.
"""

from __future__ import annotations

import datetime as dt

SEED = 20240704  # the charter's presentation day
YEARS: tuple[int, ...] = (2023, 2024, 2025)
QUARTERS: tuple[int, ...] = (1, 2, 3, 4)

#: habitual latecomers, 60-200 days after the period's end
LATE_ORGS = {12, 19, 31, 34}
#: (member, year) whose files the network's staff uploaded
STEERING_UPLOADS = {(12, 2023), (29, 2023), (33, 2023), (11, 2023)}
#: members who stop reporting in 2025
STOPS_IN_2025 = {29, 31}
#: (member, period) never sent
MISSING_QUARTERS = {(24, "2024-Q3"), (15, "2023-Q2"), (25, "2025-Q4")}
#: (member, indicator) → the first year it is no longer reported
DROPPED = {(1, "P02"): 2025, (18, "C03"): 2024, (5, "H02"): 2025}
#: (member, indicator) → the first year it is reported
ADDED = {(7, "S03"): 2024, (16, "C04"): 2024}
#: (member, indicator, period) typed with a zero too many (×10)
OUTLIERS = {(6, "J01", "2024-Q2"), (25, "J01", "2023-Q3"), (13, "C02", "2025-Q1"), (17, "R01", "2024-Q4")}


def period_end(period: str) -> dt.date:
    """The last day of a quarter (``2024-Q3``) or a year (``2024``)."""
    year = int(period[:4])
    if "-Q" in period:
        month = int(period[-1]) * 3
        return (dt.date(year, month % 12 + 1, 1) if month < 12 else dt.date(year + 1, 1, 1)) - dt.timedelta(
            days=1
        )
    return dt.date(year, 12, 31)
