"""``python -m store calendar set|show|status``: the reporting calendar, scripted and audited.

``calendar set quarter --deadline-days 30 --from-year 2025 --only-listed --add ENT-CAS-006`` sets one
period kind (the same checks, words and ``calendar_changed`` audit entry as the Calendar page, actor
``cli:<user>``); ``calendar show`` prints the calendar and its exceptions; ``calendar status`` each
organisation's status per period (due, late, submitted, returned, approved) as the committee sees it.
Every command takes ``--json``; a refusal then prints ``{"refused": code, "message": …}`` (exit status 1).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date

import polars as pl

import settings
from i18n import t
from i18n.formatting import date_text
from store import calendar, registry
from store.audit import cli_actor as actor
from store.calendar import PERIOD_KINDS, CalendarError
from store.cli_refusal import refused as _refused
from store.db import Store
from store.reads import calendar as calendar_reads
from store.viewer import Viewer

SOURCE = "python -m store"


def add_parsers(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]) -> None:
    cal = sub.add_parser("calendar", help="the reporting calendar").add_subparsers(dest="action", required=True)
    change = common(cal.add_parser("set", help="the deadline and who reports one period kind (audited)"))
    change.add_argument("kind", choices=PERIOD_KINDS)
    change.add_argument("--deadline-days", type=int, help="days after the period's end to report on time")
    change.add_argument("--from-year", type=int, help="the first year whose periods are asked for")
    who = change.add_mutually_exclusive_group()
    who.add_argument("--everyone", dest="everyone", action="store_true", default=None,
                     help="every active organisation reports this kind")
    who.add_argument("--only-listed", dest="everyone", action="store_false",
                     help="only the organisations added with --add")
    change.add_argument("--add", action="append", default=[], help="an organisation that reports it (repeat)")
    change.add_argument("--remove", action="append", default=[], help="an organisation that does not (repeat)")
    change.add_argument("--reset", action="append", default=[], help="back to --everyone/--only-listed (repeat)")
    common(cal.add_parser("show", help="the calendar and its per-organisation exceptions"))
    status = common(cal.add_parser("status", help="each organisation's status per period"))
    status.add_argument("--today", type=date.fromisoformat, help="judge at this date (ISO; default today)")
    status.add_argument("--org", help="one organisation")
    status.add_argument("--status", action="append", choices=calendar_reads.STATUSES, help="only these (repeat)")
    for p in (change, cal.choices["show"], status):
        p.add_argument("--json", action="store_true")


def _dump(value: object) -> int:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    print()
    return 0


def today() -> date:
    fixed = settings.get("ATHAR_TEST_TODAY")
    return date.fromisoformat(str(fixed)) if fixed else date.today()


def _set(store: Store, args: argparse.Namespace) -> int:
    try:
        row = calendar.set_calendar(store, args.kind, deadline_days=args.deadline_days, everyone=args.everyone,
                                    from_year=args.from_year, add=args.add, remove=args.remove, reset=args.reset,
                                    actor=actor(), source=SOURCE, default_year=today().year)
    except CalendarError as exc:
        return _refused(exc, args)
    if args.json:
        return _dump(row)
    print(t("calendar.cli.set", args.lang, kind=t(f"calendar.kind.{row['kind']}", args.lang),
            days=row["deadline_days"], year=row["from_year"]))
    return 0


def _show(store: Store, args: argparse.Namespace) -> int:
    table, exceptions = calendar.calendar_table(store), calendar.calendar_exceptions(store)
    if args.json:
        return _dump({"calendar": table.to_dicts(), "exceptions": exceptions.to_dicts()})
    if table.is_empty():
        print(t("calendar.cli.empty", args.lang))
    for row in table.iter_rows(named=True):
        who = t("calendar.cli.everyone" if row["everyone"] else "calendar.cli.only_listed", args.lang)
        print(t("calendar.cli.row", args.lang, kind=t(f"calendar.kind.{row['period_kind']}", args.lang),
                days=row["deadline_days"], year=row["from_year"], who=who, by=row["set_by"]))
    for row in exceptions.iter_rows(named=True):
        state = t("calendar.cli.reports" if row["reports"] else "calendar.cli.does_not_report", args.lang)
        print(t("calendar.cli.exception", args.lang, org=row["org_code"],
                kind=t(f"calendar.kind.{row['period_kind']}", args.lang), state=state))
    return 0


def _status(store: Store, args: argparse.Namespace) -> int:
    deadline = int(registry.framework_in_use(store).meta.quality.timeliness_days[0])
    frame = calendar_reads.statuses(store, Viewer.steering(actor()), args.today or today(), deadline, args.lang,
                                    args.org.upper() if args.org else None)
    if args.status:
        frame = frame.filter(pl.col("status").is_in(args.status))
    if args.json:
        return _dump(frame.drop("name").to_dicts())
    for row in frame.iter_rows(named=True):
        print(t("calendar.cli.status_row", args.lang, org=row["org_code"], period=row["period"],
                status=t(f"calendar.status.{row['status']}", args.lang),
                deadline=date_text(row["deadline"], args.lang)))
    return 0


COMMANDS = {"calendar set": _set, "calendar show": _show, "calendar status": _status}
