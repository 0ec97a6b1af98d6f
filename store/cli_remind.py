"""``python -m store remind send|schedule|lang``: reminders and notifications from the command line.

``remind send`` is what a daily cron job runs (the committee's schedule); ``--now`` sends to every
organisation with a period due, late or returned today by the reporting calendar (the page's button,
whose list ``--now --dry-run --json`` prints); ``--dry-run`` composes without sending or writing.
``remind schedule set --offset -7 --offset 1 --offset 14`` sets the days before (negative) and after
the deadline; ``remind lang ORG ar`` the language an organisation is written to in.
Every message and change is audited as ``cli:<user>``.

Composing a reminder attaches the importer's template and annotated copy, so this module reaches
``notify`` (above the store): the one declared exception to the layer rule on the store's side,
imported inside the command so the store's other commands never load the importer.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date

import settings
from i18n import LANGUAGES, t
from store import registry, reminders
from store.audit import cli_actor as actor
from store.db import Store

SOURCE = "python -m store"


def add_parsers(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]) -> None:
    rem = sub.add_parser("remind", help="reminders and notifications by e-mail").add_subparsers(
        dest="action", required=True)
    send = common(rem.add_parser("send", help="send today's reminders and notifications (audited)"))
    send.add_argument("--dry-run", action="store_true", help="compose and list, send and write nothing")
    send.add_argument("--now", action="store_true", help="on demand: every period due, late or returned today")
    send.add_argument("--today", type=date.fromisoformat, help="the day to act as (YYYY-MM-DD; default: today)")
    send.add_argument("--json", action="store_true")
    sched = rem.add_parser("schedule", help="days before and after the deadline").add_subparsers(
        dest="step", required=True)
    common(sched.add_parser("show", help="the schedule")).add_argument("--json", action="store_true")
    change = common(sched.add_parser("set", help="replace the schedule (audited)"))
    change.add_argument("--offset", type=int, action="append", required=True,
                        help="days from the deadline: -7 = a week before, 14 = two weeks late (repeat)")
    lang = common(rem.add_parser("lang", help="the language an organisation is written to in (audited)"))
    lang.add_argument("org")
    lang.add_argument("language", choices=LANGUAGES)


def _today(args: argparse.Namespace) -> date:
    fixed = settings.get("ATHAR_TEST_TODAY")
    return args.today or (date.fromisoformat(str(fixed)) if fixed else date.today())


def _send(store: Store, args: argparse.Namespace) -> int:
    from notify import mail, remind  # noqa: PLC0415 — see the module's docstring

    try:
        outcomes = remind.run(store, registry.framework_in_use(store), today=_today(args), actor=actor(),
                              dry_run=args.dry_run, on_demand=args.now)
    except mail.MailNotConfigured:
        print(t("remind.cli.not_configured", args.lang), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([o.to_json() for o in outcomes], ensure_ascii=False, indent=2))
    else:
        for o in outcomes:
            print(t("remind.cli.line", args.lang, status=t(f"remind.status.{o.status}", args.lang), org=o.org_code,
                    period=o.period, kind=t(f"remind.kind.{o.kind}", args.lang), subject=o.subject))
        print(t("remind.cli.summary", args.lang, count=len(outcomes)))
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def _schedule(store: Store, args: argparse.Namespace) -> int:
    if args.step == "set":
        reminders.set_schedule(store, args.offset, actor=actor(), source=SOURCE)
    steps = reminders.schedule(store)
    if getattr(args, "json", False):
        print(json.dumps({"offset_days": steps}))
    else:
        print(t("remind.cli.schedule", args.lang, steps=", ".join(f"{s:+d}" for s in steps) or "—"))
    return 0


def _lang(store: Store, args: argparse.Namespace) -> int:
    org = args.org.upper()
    reminders.set_preferred_language(store, org, args.language, actor=actor(), source=SOURCE)
    print(t("remind.cli.lang_set", args.lang, org=org, language=args.language))
    return 0


COMMANDS = {"remind send": _send, "remind schedule": _schedule, "remind lang": _lang}
