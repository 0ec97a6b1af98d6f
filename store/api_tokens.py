"""Personal API tokens: an account's own keys to ``/api/v1``, with the account's scope.

Like a funder link's token: 256 random bits, shown once, only its SHA-256 stored and compared in
constant time; a mandatory expiry; revoked by its account (or the committee). The ``athar_pat_``
prefix tells it apart from a link's token at a glance, and in a leaked log line. A token works only
while its account is usable (active; a demo account only in demo mode). Every creation, revocation,
use and refusal is audited in the transaction that records it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import duckdb
import polars as pl

from store import accounts
from store.accounts import Account
from store.audit import record_in
from store.clients import ClientInfo
from store.db import Store, utc_now
from store.errors import StoreError

PREFIX = "athar_pat_"
TOKEN_FORMAT = re.compile(r"^athar_pat_[A-Za-z0-9_-]{43}$")
DEFAULT_DAYS = 90
MAX_DAYS = 366
LABEL_MAX = 80
Status = Literal["ok", "unknown", "expired", "revoked", "malformed", "account_unusable"]


class ApiTokenError(StoreError):
    """A refused token operation; ``code`` is a catalogue key under ``api.tokens.errors``."""

    catalogue = "api.tokens.errors"


@dataclass(frozen=True)
class TokenCheck:
    status: Status
    token_id: int | None = None
    account: Account | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def is_personal(token: str) -> bool:
    return token.startswith(PREFIX)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def create_token(store: Store, account_id: int, label: str, *, actor: str, days: int | None = None) -> tuple[int, str]:
    """A new token of ``account_id``; returns (id, token). The token cannot be shown again."""
    label = (label or "").strip()[:LABEL_MAX]
    if not label:
        raise ApiTokenError("label_missing")
    days = DEFAULT_DAYS if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise ApiTokenError("bad_days", max=MAX_DAYS)
    if accounts.get_account(store, account_id) is None:
        raise ApiTokenError("unknown_account")
    token = PREFIX + secrets.token_urlsafe(32)
    now = utc_now()

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        new_id = cur.execute(
            "INSERT INTO api_tokens (account_id, label, token_sha256, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            [account_id, label, _digest(token), now, now + timedelta(days=days)],
        ).fetchall()[0][0]
        record_in(cur, actor, "api_token_created", target=f"api_token:{new_id}",
                  detail={"account_id": account_id, "label": label, "days": days})
        return new_id

    return store.write(work), token


def revoke_token(store: Store, token_id: int, *, account_id: int, actor: str) -> bool:
    """Revoke one of ``account_id``'s own tokens; False when it has no such token still active."""

    def work(cur: duckdb.DuckDBPyConnection) -> bool:
        done = cur.execute(
            "UPDATE api_tokens SET revoked_at = ?, revoked_by = ? "
            "WHERE id = ? AND account_id = ? AND revoked_at IS NULL RETURNING id",
            [utc_now(), actor, int(token_id), int(account_id)],
        ).fetchall()
        if done:
            record_in(cur, actor, "api_token_revoked", target=f"api_token:{token_id}")
        return bool(done)

    return store.write(work)


def list_tokens(store: Store, account_id: int) -> pl.DataFrame:
    """The account's own tokens (never a digest): label, dates, use count, status."""
    return store.query(
        """
        SELECT id, label, created_at, expires_at, last_used_at, use_count, revoked_at,
               CASE WHEN revoked_at IS NOT NULL THEN 'revoked'
                    WHEN expires_at <= $now THEN 'expired' ELSE 'active' END AS status
        FROM api_tokens WHERE account_id = $account ORDER BY id DESC
        """,
        {"account": int(account_id), "now": utc_now()},
    )


def check_token(store: Store, token: str | None, *, now: datetime | None = None) -> TokenCheck:
    """What a personal token opens, checked now: its account, or why not."""
    if not token or not isinstance(token, str) or not TOKEN_FORMAT.fullmatch(token):
        return TokenCheck("malformed")
    digest = _digest(token)
    with store.cursor() as cur:
        rows = cur.execute(
            "SELECT id, token_sha256, account_id, expires_at, revoked_at FROM api_tokens WHERE token_sha256 = ?",
            [digest],
        ).fetchall()
    if not rows or not hmac.compare_digest(rows[0][1], digest):
        return TokenCheck("unknown")
    token_id, _, account_id, expires_at, revoked_at = rows[0]
    if revoked_at is not None:
        return TokenCheck("revoked", token_id)
    if expires_at <= (now or utc_now()):
        return TokenCheck("expired", token_id)
    account = accounts.get_account(store, account_id)
    if account is None or not accounts.usable(account):
        return TokenCheck("account_unusable", token_id)
    return TokenCheck("ok", token_id, account)


def record_use(store: Store, check: TokenCheck, *, page: str) -> None:
    """Count and audit one use (``page``: ``api:<endpoint>``), in one transaction."""

    def work(cur: duckdb.DuckDBPyConnection) -> None:
        cur.execute("UPDATE api_tokens SET use_count = use_count + 1, last_used_at = ? WHERE id = ?",
                    [utc_now(), check.token_id])
        record_in(cur, check.account.actor, "api_token_used", target=f"api_token:{check.token_id}",
                  detail={"page": page})

    store.write(work)


def record_refusal(store: Store, check: TokenCheck, *, page: str, client: ClientInfo | None = None) -> None:
    """Audit a refused personal token with the client's fingerprint (never the token)."""
    detail = {"status": check.status, "page": page, "client": (client or ClientInfo()).audit()}
    target = None if check.token_id is None else f"api_token:{check.token_id}"
    store.write(lambda cur: record_in(cur, "api_token:?", "api_token_refused", target=target,
                                      outcome="refused", detail=detail))
