"""``python -m store consult``: the weighting consultation from the command line (issue 14).

``consult open`` (on the framework version in use), ``consult show`` (the open consultation and each
member's live proposal), ``consult close`` (without adopting). Each change is written with its audit
entry (``cli:<user>``) in one transaction, as the Framework page does; ``--json`` prints JSON. The
median and its rank shifts are computed by ``metrics.whatif`` and shown on the Framework page (the
store computes nothing); adopting it is done there.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from i18n import t
from store import consultation
from store.audit import cli_actor as actor
from store.cli_refusal import refused
from store.db import Store
from store.registry import recorded_framework_hash
from store.viewer import Viewer


def add_parsers(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]) -> None:
    con = sub.add_parser("consult", help="the weighting consultation: open, show, close (audited)").add_subparsers(
        dest="action", required=True)
    for name, text in (("open", "open a consultation on the framework version in use"),
                       ("show", "the open consultation and each member's live proposal"),
                       ("close", "close the open consultation without adopting anything")):
        common(con.add_parser(name, help=text)).add_argument("--json", action="store_true")


def _out(args: argparse.Namespace, payload: dict[str, Any], text: str) -> int:
    if args.json:
        json.dump(payload, sys.stdout, ensure_ascii=False, default=str)
        print()
    else:
        print(text)
    return 0


def _open(store: Store, args: argparse.Namespace) -> int:
    version = recorded_framework_hash(store)
    if version is None:
        return refused(consultation.ConsultationError("no_framework"), args)
    try:
        new_id = consultation.open_consultation(store, version, actor=actor())
    except consultation.ConsultationError as exc:
        return refused(exc, args)
    return _out(args, {"id": new_id, "framework": version},
                t("whatif.cli.opened", args.lang, id=new_id, version=version[:7]))


def _show(store: Store, args: argparse.Namespace) -> int:
    current = consultation.current(store)
    if current is None:
        return _out(args, {"open": None}, t("whatif.cli.none_open", args.lang))
    rows = consultation.proposals(store, Viewer.steering(name=actor()), int(current["id"]))
    by_org: dict[str, dict[str, Any]] = {}
    for row in rows.iter_rows(named=True):
        entry = by_org.setdefault(row["org_code"], {"version": row["version"], "proposed_by": row["proposed_by"],
                                                    "proposed_at": row["proposed_at"], "weights": {}})
        entry["weights"][row["principle"]] = row["weight"]
    text = t("whatif.cli.show", args.lang, id=current["id"], version=current["framework_hash"][:7],
             since=current["opened_at"], count=len(by_org))
    lines = [f"  {org} v{p['version']}: " + ", ".join(f"{c} {w:.3f}" for c, w in p["weights"].items())
             for org, p in by_org.items()]
    return _out(args, {"open": current, "proposals": by_org}, "\n".join([text, *lines]))


def _close(store: Store, args: argparse.Namespace) -> int:
    try:
        closed = consultation.close_consultation(store, actor=actor())
    except consultation.ConsultationError as exc:
        return refused(exc, args)
    return _out(args, {"closed": closed}, t("whatif.cli.closed", args.lang, id=closed))


COMMANDS = {"consult open": _open, "consult show": _show, "consult close": _close}
