"""Server-side sessions: a signed-in account that survives a reload and a new tab.

A session row is made at sign-in (``create``) and checked on every rerun of every tab that holds
it (``check``). The browser's proof is a cookie token: 256 random bits, issued once by the server's
``/session/start`` route in exchange for a one-time handoff code (``issue_cookie``), and only its
SHA-256 is stored (the code's too, with a life of ``HANDOFF_SECONDS``). A token never passes
through the page script, an address or a log; without the server's routes (plain ``streamlit run``,
tests) a session simply has no token and lives in its one tab.

A session ends when it is idle longer than its ``idle_minutes`` (``ATHAR_SESSION_IDLE_MINUTES``),
at ``expires_at`` (``ATHAR_SESSION_MAX_HOURS`` after sign-in), or when revoked: sign-out (one),
"sign out everywhere" and a password change (all of an account's). Every creation, cookie, refused
handoff and revocation is audited in the transaction that records it; ``last_seen_at`` is touched at
most once a minute, so a rerun costs one indexed read and, now and then, one small write.

Ended sessions are pruned at sign-in, in the transaction that creates the new one (``create``): a row
expired or revoked more than ``PRUNE_AFTER`` ago is deleted, so the table holds about a day's and a
``ATHAR_SESSION_MAX_HOURS``' worth of sessions, not every sign-in ever. The audit log keeps their history
(each creation and revocation has its entry); the deletion adds none, only its count to the new
session's ``session_created`` entry (``pruned``).
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

from store.audit import record_in
from store.clients import ClientInfo
from store.db import Store, utc_now
from store.settings import AccessSettings

COOKIE_NAME = "athar_session"
HANDOFF_SECONDS = 60
TOUCH_EVERY = timedelta(minutes=1)
#: How long an ended row is kept: a tab rerun within a day after its session was revoked or expired still
#: reads why (``password_changed`` rather than a plain expiry); after that the idle limit (a day at most,
#: ``ATHAR_SESSION_IDLE_MINUTES``) has ended the tab's session whatever the row says.
PRUNE_AFTER = timedelta(days=1)
_SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")
Status = Literal["ok", "unknown", "malformed", "revoked", "idle", "expired"]
#: Why sessions were revoked (``revoked_reason``): the audit detail says the same.
REASONS = ("sign_out", "sign_out_everywhere", "password_changed", "account_disabled", "committee", "cli")


class CookieDoor:
    """Whether this process serves ``/session/start`` (set by ``server.app`` when it mounts the
    routes): only then is a signed-in tab sent there for its cookie."""

    open = False


@dataclass(frozen=True)
class SessionCheck:
    status: Status
    session_id: int | None = None
    account_id: int | None = None
    created_at: datetime | None = None
    #: Why a revoked session was revoked (``REASONS``).
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class Issued:
    """The cookie's token (shown to this response only) and where the browser goes next."""

    token: str
    next_path: str
    session_id: int


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii", "replace")).hexdigest()


def safe_next(path: str | None) -> str:
    """A path on this server (``/profile?org=…``), never another site (``//evil``, ``https:…``)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path or any(
        ord(c) < 0x20 for c in path
    ):
        return "/"
    return path[:2000]


def create(
    store: Store,
    account_id: int,
    *,
    actor: str,
    client: ClientInfo | None = None,
    handoff_next: str | None = None,
    settings: AccessSettings | None = None,
) -> tuple[int, str | None]:
    """A new session of ``account_id``; returns (id, handoff code or None).

    ``handoff_next`` (the page to return to) asks for a handoff code: the browser swaps it at
    ``/session/start`` for the cookie, within ``HANDOFF_SECONDS``, once.
    """
    cfg = settings or AccessSettings.from_env()
    now = utc_now()
    code = secrets.token_urlsafe(32) if handoff_next is not None else None
    agent = (client or ClientInfo()).user_agent

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        pruned = prune_in(cur, now)
        new_id = cur.execute(
            "INSERT INTO sessions (account_id, created_at, last_seen_at, idle_minutes, expires_at, user_agent, "
            "handoff_sha256, handoff_expires_at, handoff_next) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                int(account_id), now, now, cfg.session_idle_minutes, now + timedelta(hours=cfg.session_max_hours),
                agent, None if code is None else _digest(code),
                None if code is None else now + timedelta(seconds=HANDOFF_SECONDS),
                None if code is None else safe_next(handoff_next),
            ],
        ).fetchall()[0][0]
        record_in(cur, actor, "session_created", target=f"session:{new_id}",
                  detail={"account_id": int(account_id), "cookie": code is not None,
                          "client": (client or ClientInfo()).audit(), "pruned": pruned})
        return new_id

    return store.write(work), code


def prune_in(cur: duckdb.DuckDBPyConnection, now: datetime) -> int:
    """Inside the caller's transaction: delete the sessions that expired or were revoked more than
    ``PRUNE_AFTER`` before ``now`` (every account's); how many."""
    cutoff = now - PRUNE_AFTER
    return len(cur.execute("DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ? RETURNING id",
                           [cutoff, cutoff]).fetchall())


def issue_cookie(store: Store, code: str | None, *, client: ClientInfo | None = None) -> Issued | None:
    """Swap a handoff code for the session's cookie token: once, within its minute, while the
    session holds. Anything else is refused and audited (never the code)."""
    fingerprint = (client or ClientInfo()).audit()
    if not code or not isinstance(code, str) or not _SECRET.fullmatch(code):
        store.write(lambda cur: _refuse_handoff(cur, None, "malformed", fingerprint))
        return None
    digest, token, now = _digest(code), secrets.token_urlsafe(32), utc_now()

    def work(cur: duckdb.DuckDBPyConnection) -> Issued | None:
        rows = cur.execute(
            "SELECT id, account_id, handoff_sha256, handoff_expires_at, handoff_next, revoked_at, expires_at "
            "FROM sessions WHERE handoff_sha256 = ?",
            [digest],
        ).fetchall()
        if not rows or not hmac.compare_digest(rows[0][2], digest):
            _refuse_handoff(cur, None, "unknown", fingerprint)
            return None
        session_id, account_id, _, handoff_expires, next_path, revoked_at, expires_at = rows[0]
        # The code is spent whatever happens next: a second try finds nothing.
        cur.execute("UPDATE sessions SET handoff_sha256 = NULL, handoff_expires_at = NULL WHERE id = ?", [session_id])
        if revoked_at is not None or handoff_expires <= now or expires_at <= now:
            _refuse_handoff(cur, session_id, "revoked" if revoked_at is not None else "expired", fingerprint)
            return None
        cur.execute("UPDATE sessions SET token_sha256 = ?, last_seen_at = ? WHERE id = ?",
                    [_digest(token), now, session_id])
        record_in(cur, f"account:{_username(cur, account_id)}", "session_cookie_issued",
                  target=f"session:{session_id}", detail={"client": fingerprint})
        return Issued(token, safe_next(next_path), session_id)

    return store.write(work)


def _refuse_handoff(cur: duckdb.DuckDBPyConnection, session_id: int | None, status: str, fingerprint: dict) -> None:
    record_in(cur, "session:?", "session_handoff_refused",
              target=None if session_id is None else f"session:{session_id}", outcome="refused",
              detail={"status": status, "client": fingerprint})


def _username(cur: duckdb.DuckDBPyConnection, account_id: int) -> str:
    rows = cur.execute("SELECT username FROM accounts WHERE id = ?", [account_id]).fetchall()
    return rows[0][0] if rows else str(account_id)


def _judge(store: Store, row: tuple | None, now: datetime) -> SessionCheck:
    """The status of one session row (id, account, created, last seen, idle minutes, expires,
    revoked, reason), touching ``last_seen_at`` when it is valid and was last touched over a minute ago."""
    if row is None:
        return SessionCheck("unknown")
    session_id, account_id, created_at, last_seen, idle_minutes, expires_at, revoked_at, reason = row
    if revoked_at is not None:
        return SessionCheck("revoked", session_id, account_id, created_at, reason)
    if expires_at <= now:
        return SessionCheck("expired", session_id, account_id, created_at)
    if now - last_seen > timedelta(minutes=idle_minutes):
        return SessionCheck("idle", session_id, account_id, created_at)
    if now - last_seen >= TOUCH_EVERY:
        store.write(lambda cur: cur.execute(
            "UPDATE sessions SET last_seen_at = ? WHERE id = ? AND revoked_at IS NULL", [now, session_id]
        ))
    return SessionCheck("ok", session_id, account_id, created_at)


_COLUMNS = "id, account_id, created_at, last_seen_at, idle_minutes, expires_at, revoked_at, revoked_reason"


def check(store: Store, session_id: int, *, now: datetime | None = None) -> SessionCheck:
    """Is session ``session_id`` still open (a rerun of a tab that holds it)?"""
    with store.cursor() as cur:
        rows = cur.execute(f"SELECT {_COLUMNS} FROM sessions WHERE id = ?", [int(session_id)]).fetchall()
    return _judge(store, rows[0] if rows else None, now or utc_now())


def resolve(store: Store, token: str | None, *, now: datetime | None = None) -> SessionCheck:
    """The session a cookie token names, checked now (a new tab, a reload)."""
    if not token or not isinstance(token, str) or not _SECRET.fullmatch(token):
        return SessionCheck("malformed")
    digest = _digest(token)
    with store.cursor() as cur:
        rows = cur.execute(
            f"SELECT {_COLUMNS}, token_sha256 FROM sessions WHERE token_sha256 = ?", [digest]
        ).fetchall()
    if not rows or not hmac.compare_digest(rows[0][-1], digest):
        return SessionCheck("unknown")
    return _judge(store, rows[0][:-1], now or utc_now())


def revoke(store: Store, session_id: int, *, actor: str, reason: str = "sign_out") -> bool:
    """End one session (sign-out: audited as ``sign_out``); False when it was not open."""

    def work(cur: duckdb.DuckDBPyConnection) -> bool:
        done = cur.execute(
            "UPDATE sessions SET revoked_at = ?, revoked_reason = ?, revoked_by = ?, handoff_sha256 = NULL "
            "WHERE id = ? AND revoked_at IS NULL RETURNING id",
            [utc_now(), reason, actor, int(session_id)],
        ).fetchall()
        if done:
            record_in(cur, actor, "sign_out" if reason == "sign_out" else "session_revoked",
                      target=f"session:{session_id}", detail={"reason": reason})
        return bool(done)

    return store.write(work)


def revoke_all_in(
    cur: duckdb.DuckDBPyConnection, account_id: int, *, actor: str, reason: str, keep: int | None = None
) -> int:
    """Inside the caller's transaction: end every open session of ``account_id`` but ``keep``.
    Audited as one ``sessions_revoked`` entry (how many, why), even when none was open."""
    done = cur.execute(
        "UPDATE sessions SET revoked_at = ?, revoked_reason = ?, revoked_by = ?, handoff_sha256 = NULL "
        "WHERE account_id = ? AND revoked_at IS NULL AND id <> ? RETURNING id",
        [utc_now(), reason, actor, int(account_id), -1 if keep is None else int(keep)],
    ).fetchall()
    record_in(cur, actor, "sessions_revoked", target=f"account:{_username(cur, account_id)}",
              detail={"reason": reason, "count": len(done), "kept": keep})
    return len(done)


def revoke_all(store: Store, account_id: int, *, actor: str, reason: str, keep: int | None = None) -> int:
    """"Sign out everywhere" (``keep``: the session asking, or None for all): how many ended."""
    return store.write(lambda cur: revoke_all_in(cur, account_id, actor=actor, reason=reason, keep=keep))


def open_count(store: Store, account_id: int, *, now: datetime | None = None) -> int:
    """How many of the account's sessions are still open (not revoked, not expired)."""
    return int(store.scalar(
        "SELECT count(*) FROM sessions WHERE account_id = ? AND revoked_at IS NULL AND expires_at > ? "
        "AND last_seen_at + idle_minutes * INTERVAL '1 minute' > ?",
        [int(account_id), now or utc_now(), now or utc_now()],
    ))
