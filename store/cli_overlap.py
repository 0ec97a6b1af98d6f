"""``python -m store overlap``: shared beneficiaries and programme umbrellas, declared for a member.

``overlap set ORG IND PERIOD PARTNER COUNT`` declares that COUNT of the people ORG reported for IND in
PERIOD are also counted by PARTNER; ``overlap programme ORG IND PERIOD CODE`` that ORG's count belongs
to the programme CODE; ``overlap remove ORG IND PERIOD (PARTNER | --programme)`` withdraws one;
``overlap list ORG`` shows those in force. The same checks, words and audit entries as the upload page
(``store.overlaps``), with the actor ``cli:<user>``. With ``--json`` a refusal is printed as
``{"refused": code, "message": …}`` on standard output (exit status 1).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from i18n import formatting as fmt
from i18n import t
from store import overlaps, registry
from store.audit import cli_actor as actor
from store.cli_refusal import refused as _refused
from store.db import Store
from store.overlaps import OverlapRefused
from store.viewer import Viewer


def add_parsers(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]) -> None:
    ovl = sub.add_parser("overlap", help="shared beneficiaries and programme umbrellas").add_subparsers(
        dest="action", required=True)
    declared = common(ovl.add_parser("set", help="people ORG shares with PARTNER for IND in PERIOD (audited)"))
    programme = common(ovl.add_parser("programme", help="ORG's count of IND in PERIOD belongs to a programme"))
    removed = common(ovl.add_parser("remove", help="withdraw a declaration (audited)"))
    listed = common(ovl.add_parser("list", help="the declarations in force for one organisation"))
    for p in (declared, programme, removed):
        p.add_argument("org")
        p.add_argument("indicator")
        p.add_argument("period")
    declared.add_argument("partner")
    declared.add_argument("count", help="a whole number of people, at most ORG's value")
    programme.add_argument("programme", help="a free code, e.g. PROG-TIZNIT-2025")
    which = removed.add_mutually_exclusive_group(required=True)
    which.add_argument("partner", nargs="?")
    which.add_argument("--programme", action="store_true", help="withdraw the programme, not a partner")
    listed.add_argument("org")
    for p in (declared, programme, removed, listed):
        p.add_argument("--json", action="store_true")


def _declare(store: Store, args: argparse.Namespace, **given: object) -> int:
    codes = overlaps.people_counts(registry.framework_in_use(store))
    try:
        stored = overlaps.declare(store, args.org, args.indicator, args.period, people_count_codes=codes,
                                  actor=actor(), origin="cli", **given)
    except OverlapRefused as exc:
        return _refused(exc, args)
    if args.json:
        json.dump(stored, sys.stdout, ensure_ascii=False, default=str)
        print()
        return 0
    what = (t("overlap.cli.in_programme", args.lang, programme=stored["programme"]) if stored["partner"] is None
            else t("overlap.cli.shared_with", args.lang, partner=stored["partner"],
                   shared=fmt.number(stored["shared"], args.lang, 0)))
    print(t("overlap.cli.declared", args.lang, org=stored["org"], indicator=args.indicator, period=args.period,
            what=what))
    return 0


def _set(store: Store, args: argparse.Namespace) -> int:
    return _declare(store, args, partner=args.partner, shared=args.count)


def _programme(store: Store, args: argparse.Namespace) -> int:
    return _declare(store, args, programme=args.programme)


def _remove(store: Store, args: argparse.Namespace) -> int:
    try:
        overlaps.remove(store, args.org, args.indicator, args.period,
                        partner=None if args.programme else args.partner, actor=actor(), origin="cli")
    except OverlapRefused as exc:
        return _refused(exc, args)
    if args.json:
        json.dump({"removed": True}, sys.stdout)
        print()
    else:
        print(t("overlap.cli.removed", args.lang, org=args.org, indicator=args.indicator, period=args.period))
    return 0


def _list(store: Store, args: argparse.Namespace) -> int:
    frame = overlaps.current_declarations(store, Viewer.steering(name=actor()), args.org.upper())
    if args.json:
        json.dump(frame.drop("period_end").to_dicts(), sys.stdout, ensure_ascii=False, indent=2, default=str)
        print()
        return 0
    if frame.is_empty():
        print(t("overlap.cli.none", args.lang, org=args.org.upper()))
    for row in frame.iter_rows(named=True):
        what = (t("overlap.cli.in_programme", args.lang, programme=row["programme"]) if row["partner"] is None
                else t("overlap.cli.shared_with", args.lang, partner=row["partner"],
                       shared=fmt.number(row["shared"], args.lang, 0)))
        print(f"{row['indicator_code']}  {row['period']}  {what}")
    return 0


COMMANDS = {"overlap set": _set, "overlap programme": _programme, "overlap remove": _remove, "overlap list": _list}
