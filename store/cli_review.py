"""``python -m store review``: the steering committee's review of submissions, scriptable.

``review list`` (submissions and their review state), ``review approve ID`` (approve, lock the
organisation's periods and request a scoring run, which the app's worker or ``python -m metrics score
--pending`` covers), ``review return ID --comment TEXT [--value IND PERIOD TEXT]…`` (back to the
member with comments), ``review reopen ORG PERIOD --reason TEXT`` (ask to reopen an approved
period), ``review grant ID`` / ``review refuse ID`` (decide a reopen request). Each change is
written with its audit entry (``cli:<user>``) in one transaction, with the same detail as the page's;
``--json`` prints the outcome as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from i18n import t
from store import review
from store.audit import cli_actor as actor
from store.db import Store
from store.review import ValueComment
from store.viewer import Viewer

SOURCE = "command line"


def add_parsers(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]) -> None:
    rev = sub.add_parser("review", help="review submissions: approve, return, reopen (audited)").add_subparsers(
        dest="action", required=True)
    listing = common(rev.add_parser("list", help="submissions and their review state, newest first"))
    listing.add_argument("--status", choices=review.REVIEW_STATUSES)
    approve = common(rev.add_parser(
        "approve", help="approve a submission, lock its periods and request a scoring run (made by the app's "
                        "worker, or by 'python -m metrics score --pending')"))
    approve.add_argument("id", type=int)
    back = common(rev.add_parser("return", help="return a submission to its organisation with a comment"))
    back.add_argument("id", type=int)
    back.add_argument("--comment", required=True, help="what the organisation should look at")
    back.add_argument("--value", nargs=3, action="append", default=[], metavar=("INDICATOR", "PERIOD", "COMMENT"),
                      help="a comment on one value (repeat)")
    reopen = common(rev.add_parser("reopen", help="ask to reopen an approved period, with a reason"))
    reopen.add_argument("org")
    reopen.add_argument("period")
    reopen.add_argument("--reason", required=True)
    for name, text in (("grant", "grant a reopen request (the period's locks are released)"),
                       ("refuse", "refuse a reopen request")):
        common(rev.add_parser(name, help=text)).add_argument("id", type=int)
    for parser in (listing, approve, back, reopen, *(rev.choices[n] for n in ("grant", "refuse"))):
        parser.add_argument("--json", action="store_true")


def _out(args: argparse.Namespace, payload: dict[str, Any], key: str, **params: Any) -> int:
    if args.json:
        json.dump(payload, sys.stdout, ensure_ascii=False, default=str)
        print()
    else:
        print(t(f"review.cli.{key}", args.lang, **params))
    return 0


def _list(store: Store, args: argparse.Namespace) -> int:
    frame = review.submissions_for_review(store, Viewer.steering(name=actor()), status=args.status)
    if args.json:
        json.dump(frame.to_dicts(), sys.stdout, ensure_ascii=False, indent=2, default=str)
        print()
        return 0
    for row in frame.iter_rows(named=True):
        print(t("review.cli.row", args.lang, id=row["id"], org=row["org_code"] or "—", file=row["file_name"],
                status=t(f"review.status.{row['review_status']}", args.lang)))
    return 0


def _approve(store: Store, args: argparse.Namespace) -> int:
    detail = review.approve(store, args.id, actor=actor(), source=SOURCE)
    status = _out(args, detail, "approved", id=args.id, locked=", ".join(detail["locked"]) or "—")
    if not args.json:  # the scoring request was recorded with the approval: say who covers it
        print(t("autoscore.ingest.requested", args.lang, db=args.db))
    return status


def _return(store: Store, args: argparse.Namespace) -> int:
    values = [ValueComment(indicator, period, text) for indicator, period, text in args.value]
    detail = review.return_submission(store, args.id, args.comment, actor=actor(), values=values, source=SOURCE)
    return _out(args, detail, "returned", id=args.id, count=len(values))


def _reopen(store: Store, args: argparse.Namespace) -> int:
    request_id = review.request_reopen(store, args.org, args.period, args.reason, actor=actor(), source=SOURCE)
    return _out(args, {"request": request_id, "org": args.org.upper(), "period": args.period}, "requested",
                id=request_id, org=args.org.upper(), period=args.period)


def _decide(grant: bool):
    def command(store: Store, args: argparse.Namespace) -> int:
        detail = review.decide_reopen(store, args.id, grant=grant, actor=actor(), source=SOURCE)
        return _out(args, detail, "granted" if grant else "refused", id=args.id, org=detail["org"],
                    period=detail["period"])

    return command


COMMANDS = {
    "review list": _list,
    "review approve": _approve,
    "review return": _return,
    "review reopen": _reopen,
    "review grant": _decide(True),
    "review refuse": _decide(False),
}
