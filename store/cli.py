"""Command line for the steering committee: ``python -m store init|accounts|links|tokens|sessions|framework|expect|target|overlap|calendar|review|remind|consult|audit|backup|restore``.

Accounts, funder links, the framework version in use and the audit log of one database file (the app must not be holding it:
DuckDB lets one process open a file). A password or a link address is printed once, when it is
made; nothing lists it again. Every action is audited as ``cli:<operating-system user>``.

Exit status: 0 done, 1 refused (an account or link rule, the database busy), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

import settings
from framework.mappings import VOCABULARIES
from framework.model import DEFAULT_FRAMEWORK_DIR, FrameworkError, load_framework
from i18n import LANGUAGES, normalise_language, t
from store import (
    accounts,
    audit,
    cli_backup,
    cli_calendar,
    cli_consult,
    cli_expect,
    cli_overlap,
    cli_remind,
    cli_review,
    cli_sessions,
    cli_tokens,
    links,
    registry,
)
from store.accounts import ACCOUNT_ROLES, AccountError
from store.audit import cli_actor as actor
from store.db import Store, database_arg, open_store, utc_now
from store.errors import StoreError
from store.links import FUNDER_PAGES
from store.viewer import Viewer

NONE = "—"


class UsageError(Exception):
    """Bad arguments (exit status 2); the message is already translated."""


# -- arguments -------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m store", description="Athar: accounts, funder links, audit log")
    sub = parser.add_subparsers(dest="command", required=True)
    lang = normalise_language(settings.get("ATHAR_LANG"))
    base_url = settings.get("ATHAR_BASE_URL")

    def common(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--db", type=database_arg, required=True, help="the DuckDB file, or a postgresql:// URL")
        p.add_argument("--lang", choices=LANGUAGES, default=lang, help="language of the messages")
        return p

    common(sub.add_parser("init", help="create the first steering account (password shown once)"))

    acc = sub.add_parser("accounts", help="local accounts").add_subparsers(dest="action", required=True)
    add = common(acc.add_parser("add", help="create an account (password shown once)"))
    add.add_argument("username")
    add.add_argument("--role", choices=ACCOUNT_ROLES, required=True)
    add.add_argument("--org", help="the member's organisation code")
    add.add_argument("--email", help="matched by OpenID Connect sign-in")
    add.add_argument("--name", help="display name")
    secret = add.add_mutually_exclusive_group()
    secret.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    secret.add_argument("--oidc-only", action="store_true", help="no password: OpenID Connect sign-in only")
    listed = common(acc.add_parser("list", help="every account (never a password hash)"))
    listed.add_argument("--json", action="store_true")
    listed.add_argument("--never-signed-in", action="store_true", help="only the accounts nobody has signed in to yet")
    reset = common(acc.add_parser("reset-password", help="a new random password, shown once"))
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="read the new password from standard input")
    for name, text in (("disable", "refuse sign-in"), ("enable", "allow sign-in again"),
                       ("unlock", "lift a lock after failed sign-ins")):
        common(acc.add_parser(name, help=text)).add_argument("username")

    lnk = sub.add_parser("links", help="funder links").add_subparsers(dest="action", required=True)
    create = common(lnk.add_parser("create", help="a read-only link to a scope (address shown once)"))
    create.add_argument("--label", required=True, help="who it is for and why")
    create.add_argument("--org", action="append", required=True, help="an organisation (repeat for several)")
    create.add_argument("--principle", action="append", help="a principle (default: all, with the composite)")
    create.add_argument("--period", action="append", help="a period, e.g. 2024 (default: all)")
    create.add_argument("--page", action="append", choices=FUNDER_PAGES, help="a page (default: all a funder may see)")
    expiry = create.add_mutually_exclusive_group()
    expiry.add_argument("--days", type=int, help="lifetime in days (default: ATHAR_LINK_DEFAULT_DAYS)")
    expiry.add_argument("--expires", help="expiry date YYYY-MM-DD (00:00 UTC that day)")
    pin = create.add_mutually_exclusive_group()
    pin.add_argument("--pin-run", type=int, help="show this scoring run only")
    pin.add_argument("--pin-latest", action="store_true", help="show the latest scoring run only, even after new ones")
    create.add_argument("--include-provisional", action="store_true",
                        help="also show values not yet approved, labelled provisional (default: approved only)")
    create.add_argument("--vocabulary", choices=VOCABULARIES, default="athar",
                        help="also name indicators by IRIS+ metric ID or SDG target (default: Athar codes only)")
    rotate = common(lnk.add_parser("rotate", help="a new address, same scope and expiry; the old one stops"))
    rotate.add_argument("id", type=int)
    for p in (create, rotate):
        p.add_argument("--base-url", default=base_url, help="where the app is served (default: ATHAR_BASE_URL)")
        p.add_argument("--lang-link", choices=LANGUAGES, help="language the link opens in (default: --lang)")
    common(lnk.add_parser("list", help="every link: scope, status, expiry, use")).add_argument("--json", action="store_true")
    common(lnk.add_parser("revoke", help="stop a link now")).add_argument("id", type=int)

    frw = sub.add_parser("framework", help="the framework version in use").add_subparsers(dest="action", required=True)
    adopt = common(frw.add_parser("adopt", help="make the framework files the version in use (audited); "
                                                "uploads are then checked against it, scores at the next run"))
    adopt.add_argument("--framework", type=Path, default=DEFAULT_FRAMEWORK_DIR,
                       help="framework directory (default: data/framework)")
    adopt.add_argument("--json", action="store_true")

    cli_expect.add_parsers(sub, common)
    cli_overlap.add_parsers(sub, common)
    cli_calendar.add_parsers(sub, common)
    cli_review.add_parsers(sub, common)
    cli_remind.add_parsers(sub, common)
    cli_consult.add_parsers(sub, common)
    cli_backup.add_parsers(sub, common)
    cli_tokens.add_parsers(sub, common)
    cli_sessions.add_parsers(sub, common)

    log = common(sub.add_parser("audit", help="the audit log, newest first"))
    log.add_argument("--action", action="append", choices=audit.ACTIONS)
    log.add_argument("--actor", help="e.g. account:alice, link:3, cli:root")
    log.add_argument("--limit", type=int, default=50)
    log.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    lang = args.lang
    if args.command in ("backup", "restore"):
        return cli_backup.run(args)
    try:
        if args.command != "init" and not args.db.exists():
            raise UsageError(t("store_cli.db_not_found", lang, db=args.db))
        store = open_store(args.db)
        command = args.command if args.command in ("init", "audit") else f"{args.command} {args.action}"
        return COMMANDS[command](store, args)
    except StoreError as exc:  # an account or link rule, or the database busy in another process
        print(exc.message(lang), file=sys.stderr)
        return 1
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except FrameworkError as exc:
        print(exc.report(lang), file=sys.stderr)
        return 2


# -- init and accounts -----------------------------------------------------------------------
def _init(store: Store, args: argparse.Namespace) -> int:
    created = accounts.ensure_first_steering(store, created_by=actor())
    if created is None:
        print(t("store_cli.init_exists", args.lang))
        return 0
    username, password = created
    print(t("store_cli.init_created", args.lang, username=username))
    if settings.get("ATHAR_ADMIN_PASSWORD"):
        print(t("store_cli.init_password_env", args.lang))
    else:
        _print_once(password, args.lang)
    return 0


def _print_once(password: str, lang: str) -> None:
    print(t("store_cli.password", lang, password=password))
    print(t("store_cli.shown_once", lang))


def _password_from_stdin(lang: str) -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise UsageError(t("store_cli.password_stdin_empty", lang))
    return password


def _role(role: str, org: str | None, lang: str) -> str:
    name = t(f"store_cli.role.{role}", lang)
    return f"{name}, {org}" if org else name


def _accounts_add(store: Store, args: argparse.Namespace) -> int:
    if args.role == "steering" and args.org:
        raise UsageError(t("store_cli.steering_no_org", args.lang))
    password = "" if args.oidc_only else _password_from_stdin(args.lang) if args.password_stdin else None
    _, generated = accounts.create_account(
        store, args.username, args.role, org_code=args.org, password=password, display_name=args.name,
        email=args.email, created_by=actor(),
    )
    username = accounts.normalise_username(args.username)
    print(t("store_cli.account_created", args.lang, username=username, role=_role(args.role, args.org, args.lang)))
    if args.oidc_only:
        print(t("store_cli.account_oidc", args.lang, email=(args.email or "").strip().lower()))
    elif generated is not None:
        _print_once(generated, args.lang)
    return 0


def _account(store: Store, username: str) -> accounts.Account:
    account = accounts.find_by_username(store, username)
    if account is None:
        raise AccountError("unknown_account", username=accounts.normalise_username(username))
    return account


def _accounts_list(store: Store, args: argparse.Namespace) -> int:
    frame = accounts.list_accounts(store, Viewer.steering(name=actor()), never_signed_in=args.never_signed_in)
    if args.json:
        return _print_json(frame)
    if frame.is_empty():
        print(t("store_cli.no_accounts", args.lang))
        return 0
    now = utc_now()
    rows = []
    for row in frame.iter_rows(named=True):
        if not row["active"]:
            status = t("store_cli.status.disabled", args.lang)
        elif row["locked_until"] is not None and row["locked_until"] > now:
            status = f"{t('store_cli.status.locked', args.lang)} → {_when(row['locked_until'])}"
        else:
            status = t("store_cli.status.active", args.lang)
        rows.append([
            row["username"], row["display_name"], t(f"store_cli.role.{row['role']}", args.lang), row["org_code"],
            row["email"], status, t(f"store_cli.{'yes' if row['demo'] else 'no'}", args.lang),
            row["failed_count"], _when(row["last_sign_in"]),
        ])
    columns = ["username", "name", "role", "org", "email", "status", "demo", "failures", "last_sign_in"]
    _print_table(columns, rows, args.lang)
    return 0


def _accounts_reset(store: Store, args: argparse.Namespace) -> int:
    account = _account(store, args.username)
    if args.password_stdin:
        accounts.set_password(store, account.id, _password_from_stdin(args.lang), actor=actor())
        print(t("store_cli.password_set", args.lang, username=account.username))
        return 0
    password = accounts.reset_password(store, account.id, actor=actor())
    print(t("store_cli.password_reset", args.lang, username=account.username))
    _print_once(password, args.lang)
    return 0


def _accounts_active(active: bool):
    def command(store: Store, args: argparse.Namespace) -> int:
        account = _account(store, args.username)
        accounts.set_active(store, account.id, active, actor=actor())
        key = "account_enabled" if active else "account_disabled"
        print(t(f"store_cli.{key}", args.lang, username=account.username))
        return 0

    return command


def _accounts_unlock(store: Store, args: argparse.Namespace) -> int:
    account = _account(store, args.username)
    accounts.unlock(store, account.id, actor=actor())
    print(t("store_cli.account_unlocked", args.lang, username=account.username))
    return 0


# -- links -----------------------------------------------------------------------------------
def _expiry(value: str | None, lang: str) -> datetime | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(t("store_cli.bad_date", lang, value=value)) from None
    return datetime(day.year, day.month, day.day)


def _links_create(store: Store, args: argparse.Namespace) -> int:
    expires_at = _expiry(args.expires, args.lang)
    run_id = args.pin_run
    if args.pin_latest:
        run_id = store.scalar("SELECT max(id) FROM score_runs")
        if run_id is None:
            print(t("store_cli.no_run", args.lang), file=sys.stderr)
            return 1
    link_id, token = links.create_link(
        store, label=args.label, org_codes=args.org, created_by=actor(), expires_at=expires_at, days=args.days,
        principles=args.principle, periods=args.period, pages=args.page, run_id=run_id,
        include_provisional=args.include_provisional, vocabulary=args.vocabulary,
    )
    link = _link_row(store, link_id)
    print(t("store_cli.link_created", args.lang, id=link_id, label=link["label"], expires=_when(link["expires_at"])))
    print(_scope(link, args.lang))
    _print_url(args, token)
    return 0


def _link_row(store: Store, link_id: int) -> dict[str, Any]:
    frame = links.list_links(store, Viewer.steering(name=actor())).filter(pl.col("id") == link_id)
    return frame.row(0, named=True)


def _print_url(args: argparse.Namespace, token: str) -> None:
    print(t("store_cli.link_url_once", args.lang))
    print(links.link_url(args.base_url, token, args.lang_link or args.lang))


def _scope(link: dict[str, Any], lang: str) -> str:
    def listed(values: list[str] | None, every: str) -> str:
        return ", ".join(values) if values else t(f"store_cli.{every}", lang)

    run = t("store_cli.pinned_run", lang, run=link["run_id"]) if link["run_id"] else t("store_cli.latest_run", lang)
    return t(
        "store_cli.link_scope", lang, orgs=", ".join(link["org_codes"]),
        principles=listed(link["principles"], "all_principles"), periods=listed(link["periods"], "all_periods"),
        pages=listed(link["pages"], "all_pages"), run=run,
    )


def _links_list(store: Store, args: argparse.Namespace) -> int:
    frame = links.list_links(store, Viewer.steering(name=actor()))
    if args.json:
        return _print_json(frame)
    if frame.is_empty():
        print(t("store_cli.no_links", args.lang))
        return 0
    every = {"principles": "all_principles", "periods": "all_periods", "pages": "all_pages"}
    rows = [
        [
            row["id"], t(f"store_cli.status.{row['status']}", args.lang), row["label"], ", ".join(row["org_codes"]),
            *(", ".join(row[k]) if row[k] else t(f"store_cli.{v}", args.lang) for k, v in every.items()),
            row["run_id"] or t("store_cli.latest_run", args.lang), _when(row["expires_at"]),
            _when(row["last_used_at"]), row["use_count"], row["replaces"],
        ]
        for row in frame.iter_rows(named=True)
    ]
    columns = ["id", "status", "label", "orgs", "principles", "periods", "pages", "run", "expires", "last_used",
               "uses", "replaces"]
    _print_table(columns, rows, args.lang)
    return 0


def _links_revoke(store: Store, args: argparse.Namespace) -> int:
    if not links.revoke_link(store, args.id, actor=actor()):
        print(t("store_cli.link_not_revoked", args.lang, id=args.id), file=sys.stderr)
        return 1
    print(t("store_cli.link_revoked", args.lang, id=args.id))
    return 0


def _links_rotate(store: Store, args: argparse.Namespace) -> int:
    new_id, token = links.rotate_link(store, args.id, actor=actor())
    link = _link_row(store, new_id)
    print(t("store_cli.link_rotated", args.lang, old=args.id, id=new_id, expires=_when(link["expires_at"])))
    print(_scope(link, args.lang))
    _print_url(args, token)
    return 0


# -- framework -------------------------------------------------------------------------------
def _framework_adopt(store: Store, args: argparse.Namespace) -> int:
    """Adopt the files of ``--framework``: recorded beside the earlier versions, audited in the same
    transaction; a version already in use is left as it is."""
    framework = load_framework(args.framework)
    previous = registry.recorded_framework_hash(store)
    adopted = registry.adopt_framework(
        store, framework, actor=actor(), source=f"python -m store framework adopt ({args.framework})"
    )
    version = framework.content_hash
    if args.json:
        json.dump({"adopted": adopted, "version": version, "previous": previous, "framework": str(args.framework)},
                  sys.stdout)
        print()
    elif adopted:
        print(t("store_cli.framework_adopted", args.lang, version=version[:12], path=args.framework,
                previous=previous[:12] if previous else NONE))
    else:
        print(t("store_cli.framework_in_use", args.lang, version=version[:12]))
    return 0


# -- audit -----------------------------------------------------------------------------------
def _audit(store: Store, args: argparse.Namespace) -> int:
    frame = audit.entries(
        store, Viewer.steering(name=actor()), actions=args.action, actor=args.actor, limit=max(args.limit, 0)
    )
    if args.json:
        return _print_json(frame, parse=("detail",))
    if frame.is_empty():
        print(t("store_cli.no_entries", args.lang))
        return 0
    rows = [
        [row["id"], _when(row["logged_at"], seconds=True), row["actor"], row["action"], row["target"],
         t(f"store_cli.outcome.{row['outcome']}", args.lang), row["detail"]]
        for row in frame.iter_rows(named=True)
    ]
    _print_table(["id", "logged_at", "actor", "action", "target", "outcome", "detail"], rows, args.lang)
    return 0


# -- output ----------------------------------------------------------------------------------
def _when(value: datetime | None, *, seconds: bool = False) -> str:
    if value is None:
        return NONE
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + " UTC"


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value


def _print_json(frame: pl.DataFrame, parse: tuple[str, ...] = ()) -> int:
    """One object per row; the columns in ``parse`` hold JSON text and are nested as such."""
    rows = [
        {k: json.loads(v) if k in parse and v is not None else _jsonable(v) for k, v in row.items()}
        for row in frame.iter_rows(named=True)
    ]
    json.dump(rows, sys.stdout, ensure_ascii=False, indent=2, default=str)
    print()
    return 0


def _print_table(columns: list[str], rows: list[list[Any]], lang: str) -> None:
    header = [t(f"store_cli.col.{c}", lang) for c in columns]
    cells = [[NONE if v is None or v == "" else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in [header, *cells]) for i in range(len(columns))]
    for row in [header, *cells]:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


COMMANDS = {
    "init": _init,
    "accounts add": _accounts_add,
    "accounts list": _accounts_list,
    "accounts reset-password": _accounts_reset,
    "accounts disable": _accounts_active(False),
    "accounts enable": _accounts_active(True),
    "accounts unlock": _accounts_unlock,
    "links create": _links_create,
    "links list": _links_list,
    "links revoke": _links_revoke,
    "links rotate": _links_rotate,
    "framework adopt": _framework_adopt,
    "audit": _audit,
    **cli_expect.COMMANDS,
    **cli_overlap.COMMANDS,
    **cli_calendar.COMMANDS,
    **cli_review.COMMANDS,
    **cli_remind.COMMANDS,
    **cli_consult.COMMANDS,
    **cli_tokens.COMMANDS,
    **cli_sessions.COMMANDS,
}
