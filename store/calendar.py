"""SQL of the reporting calendar: per period kind, the deadline and which organisations report it.

The committee sets, for each period kind (quarter, semester, year), how many days after a period's
end it may be reported on time, from which year periods of that kind are asked for, whether every
organisation reports it, and per-organisation exceptions. Which indicators are expected stays with
the expectations (``framework.expectations`` rules + ``store.expectations`` overrides). Every change
is written with its ``calendar_changed`` audit entry in one transaction, whichever door it came
through (the Calendar page, ``python -m store calendar set``). Statuses are read in
``store.reads.calendar``.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import polars as pl

from i18n import t
from store.audit import record_in
from store.db import Store, utc_now
from store.errors import StoreError

#: The period kinds a calendar can ask for, coarse to fine.
PERIOD_KINDS: tuple[str, ...] = ("year", "semester", "quarter")
#: Bounds of what the committee may set (a deadline of a year at most; years the demo and real use cover).
MAX_DEADLINE_DAYS = 366
YEARS = (2000, 2100)


class CalendarError(StoreError):
    """A refused calendar change (``calendar.errors.<code>``); a period kind is named in the reader's language."""

    catalogue = "calendar.errors"

    def message(self, lang: str) -> str:
        kind = self.params.get("kind")
        params = {**self.params, "kind": t(f"calendar.kind.{kind}", lang)} if kind in PERIOD_KINDS else self.params
        return t(f"{self.catalogue}.{self.code}", lang, **params)


def _checked(kind: str, deadline_days: int | None, from_year: int | None, orgs: Sequence[str]) -> None:
    if kind not in PERIOD_KINDS:
        raise CalendarError("unknown_kind", kind=kind, known=", ".join(PERIOD_KINDS))
    if deadline_days is not None and not (isinstance(deadline_days, int) and 0 <= deadline_days <= MAX_DEADLINE_DAYS):
        raise CalendarError("bad_deadline", days=deadline_days, most=MAX_DEADLINE_DAYS)
    if from_year is not None and not (isinstance(from_year, int) and YEARS[0] <= from_year <= YEARS[1]):
        raise CalendarError("bad_year", year=from_year)
    if twice := sorted(c for c in set(orgs) if list(orgs).count(c) > 1):
        raise CalendarError("org_twice", org=", ".join(twice))


def set_calendar(
    store: Store, kind: str, *, deadline_days: int | None = None, everyone: bool | None = None,
    from_year: int | None = None, add: Sequence[str] = (), remove: Sequence[str] = (), reset: Sequence[str] = (),
    actor: str, source: str, default_year: int,
) -> dict:
    """Set one period kind of the calendar, audited as ``calendar_changed``; returns the row as stored.

    Options left ``None`` keep their stored value; a kind set for the first time needs a deadline,
    reports for everyone unless told otherwise and starts at ``default_year``. ``add`` /
    ``remove`` make an organisation report the kind or not whatever ``everyone`` says; ``reset``
    gives it back to ``everyone``.
    """
    add, remove, reset = [c.upper() for c in add], [c.upper() for c in remove], [c.upper() for c in reset]
    _checked(kind, deadline_days, from_year, [*add, *remove, *reset])

    def work(cur: duckdb.DuckDBPyConnection) -> dict:
        found = cur.execute("SELECT deadline_days, everyone, from_year FROM reporting_calendar WHERE period_kind = ?",
                            [kind]).fetchall()
        if not found and deadline_days is None:
            raise CalendarError("deadline_needed", kind=kind)
        old = found[0] if found else (None, True, default_year)
        row = {"kind": kind, "deadline_days": old[0] if deadline_days is None else deadline_days,
               "everyone": old[1] if everyone is None else everyone,
               "from_year": old[2] if from_year is None else from_year}
        orgs = [*add, *remove, *reset]
        known = {r[0] for r in cur.execute("SELECT code FROM organizations WHERE list_contains(?::VARCHAR[], code)",
                                           [orgs]).fetchall()}
        if unknown := sorted(set(orgs) - known):
            raise CalendarError("unknown_org", org=", ".join(unknown))
        now = utc_now()
        cur.execute(
            "INSERT INTO reporting_calendar VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (period_kind) DO UPDATE SET "
            "deadline_days = excluded.deadline_days, everyone = excluded.everyone, from_year = excluded.from_year, "
            "set_by = excluded.set_by, set_at = excluded.set_at",
            [kind, row["deadline_days"], row["everyone"], row["from_year"], actor, now],
        )
        for org, reports in [(o, True) for o in add] + [(o, False) for o in remove]:
            cur.execute(
                "INSERT INTO org_calendar VALUES (?, ?, ?, ?, ?) ON CONFLICT (org_code, period_kind) DO UPDATE SET "
                "reports = excluded.reports, set_by = excluded.set_by, set_at = excluded.set_at",
                [org, kind, reports, actor, now],
            )
        if reset:
            cur.execute("DELETE FROM org_calendar WHERE period_kind = ? AND list_contains(?::VARCHAR[], org_code)",
                        [kind, reset])
        record_in(cur, actor, "calendar_changed", target=f"calendar:{kind}",
                  detail={**row, "added": sorted(add), "removed": sorted(remove), "reset": sorted(reset),
                          "source": source})
        return row

    return store.write(work)


def calendar_table(store: Store) -> pl.DataFrame:
    """The calendar as set (the command line; pages read ``store.reads.calendar``)."""
    return store.query(
        "SELECT period_kind, deadline_days, everyone, from_year, set_by, set_at FROM reporting_calendar "
        "ORDER BY list_position(?::VARCHAR[], period_kind)", [list(PERIOD_KINDS)])


def calendar_exceptions(store: Store) -> pl.DataFrame:
    """The per-organisation exceptions (the command line)."""
    return store.query("SELECT org_code, period_kind, reports, set_by, set_at FROM org_calendar "
                       "ORDER BY period_kind, org_code")
