"""``python -m store expect|target``: the steering committee's expectations and targets, audited.

``expect set ORG --add R01 --remove E02 --reset H01`` adds indicators to what an organisation is
expected to report, removes some, or gives them back to the framework's rules; ``expect show ORG``
lists the overrides; ``target set ORG IND --baseline 80 --target 200`` records a baseline and a target.
Each change is written with its audit entry (``cli:<user>``) in one transaction.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from i18n import formatting as fmt
from i18n import t
from store import expectations, registry
from store.audit import cli_actor as actor
from store.db import Store

SOURCE = "python -m store"


def add_parsers(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]) -> None:
    exp = sub.add_parser("expect", help="what an organisation is expected to report").add_subparsers(
        dest="action", required=True)
    change = common(exp.add_parser("set", help="add, remove or reset expected indicators (audited)"))
    change.add_argument("org")
    change.add_argument("--add", action="append", default=[], help="an indicator now expected (repeat)")
    change.add_argument("--remove", action="append", default=[], help="an indicator no longer expected (repeat)")
    change.add_argument("--reset", action="append", default=[], help="back to the framework's rules (repeat)")
    common(exp.add_parser("show", help="the committee's overrides for one organisation")).add_argument("org")
    tgt = sub.add_parser("target", help="targets and baselines").add_subparsers(dest="action", required=True)
    target = common(tgt.add_parser("set", help="an organisation's baseline and target of one indicator (audited)"))
    target.add_argument("org")
    target.add_argument("indicator")
    target.add_argument("--baseline", help="a number (decimal point or comma)")
    target.add_argument("--baseline-period")
    target.add_argument("--target", help="a number (decimal point or comma)")
    target.add_argument("--target-period")


def _indicators(store: Store) -> set[str]:
    return {i.code for i in registry.framework_in_use(store).indicators}


def _expect_set(store: Store, args: argparse.Namespace) -> int:
    org = args.org.upper()
    expectations.set_expectations(store, org, add=args.add, remove=args.remove, reset=args.reset,
                                  known_indicators=_indicators(store), actor=actor(), source=SOURCE)
    print(t("expect.cli.changed", args.lang, org=org, added=len(args.add), removed=len(args.remove),
            reset=len(args.reset)))
    return 0


def _expect_show(store: Store, args: argparse.Namespace) -> int:
    for row in expectations.overrides_of(store, args.org.upper()).iter_rows(named=True):
        state = t("expect.cli.state_expected" if row["expected"] else "expect.cli.state_not_expected", args.lang)
        print(t("expect.cli.override", args.lang, indicator=row["indicator_code"], state=state, by=row["set_by"]))
    return 0


def _target_set(store: Store, args: argparse.Namespace) -> int:
    org = args.org.upper()
    expectations.set_target(store, org, args.indicator, baseline=args.baseline, target=args.target,
                            baseline_period=args.baseline_period, target_period=args.target_period,
                            known_indicators=_indicators(store), actor=actor(), source=SOURCE)

    row = expectations.target_of(store, org, args.indicator)

    def shown(value: float | None) -> str:
        if value is None:
            return "—"
        digits = next((d for d in (0, 1) if round(value, d) == value), 2)  # as written, at most two decimals
        return fmt.number(value, args.lang, digits)

    print(t("expect.cli.target_set", args.lang, org=org, indicator=args.indicator, baseline=shown(row["baseline"]),
            target=shown(row["target"])))
    return 0


COMMANDS = {"expect set": _expect_set, "expect show": _expect_show, "target set": _target_set}
