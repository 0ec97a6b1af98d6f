"""``python -m store tokens create|list|revoke``: personal API tokens of an account (issue 15).

``create USERNAME --label NAME [--days N]`` prints the token once; ``list USERNAME`` never prints a
token or its digest; ``revoke USERNAME ID``. Audited as ``cli:<user>`` with the change.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from i18n import t
from store import accounts, api_tokens
from store.accounts import AccountError
from store.audit import cli_actor as actor
from store.db import Store


def add_parsers(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]) -> None:
    tok = sub.add_parser("tokens", help="personal API tokens of an account").add_subparsers(dest="action", required=True)
    create = common(tok.add_parser("create", help="a new API token (shown once)"))
    create.add_argument("username")
    create.add_argument("--label", required=True)
    create.add_argument("--days", type=int, default=api_tokens.DEFAULT_DAYS)
    listed = common(tok.add_parser("list", help="an account's tokens (never the token)"))
    listed.add_argument("username")
    listed.add_argument("--json", action="store_true")
    revoke = common(tok.add_parser("revoke", help="stop a token now"))
    revoke.add_argument("username")
    revoke.add_argument("id", type=int)


def _account(store: Store, username: str) -> accounts.Account:
    account = accounts.find_by_username(store, username)
    if account is None:
        raise AccountError("unknown_account", username=accounts.normalise_username(username))
    return account


def _create(store: Store, args: argparse.Namespace) -> int:
    account = _account(store, args.username)
    token_id, token = api_tokens.create_token(store, account.id, args.label, actor=actor(), days=args.days)
    print(t("api.tokens.cli_created", args.lang, id=token_id, username=account.username, label=args.label.strip(),
            days=args.days))
    print(t("api.tokens.cli_token", args.lang, token=token))
    print(t("api.tokens.cli_shown_once", args.lang))
    return 0


def _list(store: Store, args: argparse.Namespace) -> int:
    account = _account(store, args.username)
    frame = api_tokens.list_tokens(store, account.id)
    if args.json:
        json.dump(frame.to_dicts(), sys.stdout, ensure_ascii=False, default=str)
        print()
        return 0
    if frame.is_empty():
        print(t("api.tokens.cli_none", args.lang, username=account.username))
        return 0
    for row in frame.iter_rows(named=True):
        status = t(f"api.tokens.status_{row['status']}", args.lang)
        print(f"{row['id']}\t{row['label']}\t{row['created_at']:%Y-%m-%d}\t{row['expires_at']:%Y-%m-%d}\t"
              f"{row['use_count']}\t{status}")
    return 0


def _revoke(store: Store, args: argparse.Namespace) -> int:
    account = _account(store, args.username)
    if api_tokens.revoke_token(store, args.id, account_id=account.id, actor=actor()):
        print(t("api.tokens.cli_revoked", args.lang, id=args.id))
        return 0
    print(t("api.tokens.cli_not_revoked", args.lang, id=args.id, username=account.username), file=sys.stderr)
    return 1


COMMANDS = {"tokens create": _create, "tokens list": _list, "tokens revoke": _revoke}
