"""``python -m ingest org add|edit|deactivate|reactivate|list``: one organisation of the registry at a time.

The same rules and messages as the registry file (``ingest.orgs``) and the registry page, the same
audit entries (``registry_changed``, ``organisation_deactivated``, ``organisation_reactivated``)
with the actor ``cli:<user>``. ``edit`` changes only the details given; ``--themes`` takes codes or
names separated by ``|``. With ``--json`` every answer is one object on standard output:
``{"code", "status", ...}``, ``{"status": "rejected", "issues": [...]}`` or
``{"refused": code, "message": ...}`` (exit status 1 for the last two).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

import polars as pl

from framework.model import Framework
from i18n import t
from ingest.issues import render_report
from ingest.orgs import check_organisation
from store import registry
from store.audit import cli_actor
from store.db import Store, database_arg
from store.registry import RegistryError

#: Option → registry column (the column names of the registry file).
FIELDS = {"name_fr": "--name-fr", "name_ar": "--name-ar", "name_en": "--name-en", "kind": "--kind",
          "region": "--region", "thematic_areas": "--themes", "size_band": "--size"}


def add_parsers(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]) -> None:
    org = sub.add_parser("org", help="add, edit, deactivate one organisation of the registry (audited)")
    actions = org.add_subparsers(dest="action", required=True)
    for name, text in (("add", "register a new organisation"), ("edit", "change the details given"),
                       ("deactivate", "take it off the pages, peer groups and expected reports"),
                       ("reactivate", "bring a deactivated organisation back"), ("list", "the whole registry")):
        p = actions.add_parser(name, help=text)
        if name != "list":
            p.add_argument("code")
        p.add_argument("--db", type=database_arg, required=True)
        common(p)
        if name in ("add", "edit"):
            for column, option in FIELDS.items():
                p.add_argument(option, dest=column, help=f"registry column {column}")


def run(args: argparse.Namespace, framework: Framework, store: Store) -> int:
    try:
        if args.action == "list":
            return _list(store, args)
        if args.action in ("deactivate", "reactivate"):
            return _activity(store, args)
        return _save(store, args, framework)
    except RegistryError as exc:
        if args.json:
            _print({"refused": exc.code, "message": exc.message(args.lang)})
        else:
            print(exc.message(args.lang), file=sys.stderr)
        return 1


def _fields(store: Store, args: argparse.Namespace) -> dict[str, str | None]:
    """The organisation as it will be: for ``edit``, its registered details with those given replaced."""
    code = args.code.strip().upper()
    fields: dict[str, str | None] = {"code": code}
    if args.action == "edit":
        known = registry.registry_with_status(store).filter(pl.col("code") == code)
        if known.is_empty():
            raise RegistryError("unknown_org", org=code)
        row = known.row(0, named=True)
        fields.update({c: " | ".join(v) if isinstance(v, list) else v for c, v in row.items() if c in FIELDS})
    fields.update({c: getattr(args, c) for c in FIELDS if getattr(args, c) is not None})
    return fields


def _save(store: Store, args: argparse.Namespace, framework: Framework) -> int:
    checked = check_organisation(_fields(store, args), framework)
    if checked.has_errors:
        issues = render_report(checked.issues, args.lang)
        if args.json:
            _print({"code": args.code.strip().upper(), "status": "rejected", "issues": issues.to_dicts()})
        else:
            print(t("registry.cli.rejected", args.lang, code=args.code.strip().upper()), file=sys.stderr)
            for issue in issues.iter_rows(named=True):
                print(f"  « {issue['column']} » — {issue['message']} → {issue['hint']}", file=sys.stderr)
        return 1
    registry.upsert_organizations(store, checked.rows, actor=cli_actor(), source=f"python -m ingest org {args.action}",
                                  expect="new" if args.action == "add" else "known")
    row = checked.rows.row(0, named=True)
    status = "added" if args.action == "add" else "updated"
    if args.json:
        _print({"code": row["code"], "status": status, "organisation": row})
    else:
        print(t(f"registry.cli.{status}", args.lang, code=row["code"]))
    return 0


def _activity(store: Store, args: argparse.Namespace) -> int:
    code = args.code.strip().upper()
    active = args.action == "reactivate"
    changed = registry.set_organisation_active(store, code, active, actor=cli_actor(),
                                               source=f"python -m ingest org {args.action}")
    status = (args.action + "d") if changed else "unchanged"
    if args.json:
        _print({"code": code, "status": status, "active": active})
    else:
        print(t(f"registry.cli.{status}", args.lang, code=code))
    return 0


def _list(store: Store, args: argparse.Namespace) -> int:
    frame = registry.registry_with_status(store)
    if args.json:
        _print(frame.to_dicts(), indent=2)
        return 0
    for row in frame.iter_rows(named=True):
        state = "" if row["active"] else f"  ({t('registry.cli.inactive', args.lang)})"
        print(f"{row['code']}  {row['name_fr']}  {row['kind']}  {row['region'] or '—'}{state}")
    return 0


def _print(value: object, indent: int | None = None) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=indent, default=str)
    print()
