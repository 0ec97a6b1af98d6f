"""``python -m store sessions revoke --account USERNAME``: sign an account out everywhere (issue 15).

Every open session of the account ends (each of its tabs at its next interaction, a reload finds
its cookie refused), audited as ``cli:<user>`` with the count, in the same transaction.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from i18n import t
from store import accounts, sessions
from store.accounts import AccountError
from store.audit import cli_actor as actor
from store.db import Store


def add_parsers(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]) -> None:
    ses = sub.add_parser("sessions", help="signed-in sessions").add_subparsers(dest="action", required=True)
    revoke = common(ses.add_parser("revoke", help="sign an account out everywhere"))
    revoke.add_argument("--account", required=True, help="the account's user name")


def _revoke(store: Store, args: argparse.Namespace) -> int:
    account = accounts.find_by_username(store, args.account)
    if account is None:
        raise AccountError("unknown_account", username=accounts.normalise_username(args.account))
    count = sessions.revoke_all(store, account.id, actor=actor(), reason="cli")
    print(t("session.cli_revoked", args.lang, username=account.username, count=count))
    return 0


COMMANDS = {"sessions revoke": _revoke}
