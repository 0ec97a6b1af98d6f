"""Local accounts: argon2id password hashes, roles, lockout after repeated failures.

No account exists until someone creates one: the first steering account is created on first
start with a random password shown once (or the one in ``ATHAR_ADMIN_PASSWORD``); demo accounts,
whose passwords the README publishes, exist only in demo mode and are refused outside it.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import duckdb
import polars as pl
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from store.audit import record, record_in
from store.db import Store, utc_now
from store.settings import AccessSettings, demo_mode
from store.viewer import Viewer

AccountRole = Literal["steering", "member"]
ACCOUNT_ROLES: tuple[AccountRole, ...] = ("steering", "member")
#: OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane): costly to guess, quick to check.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
#: A hash of a random password: checked against when the username is unknown, so a wrong
#: username takes as long as a wrong password (no account enumeration by timing).
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
DEMO_PASSWORD = "athar-demo-2026"  # published in the README; accepted in demo mode only
DEMO_STEERING = "comite"


class AccountError(ValueError):
    """A refused account operation; ``code`` is a catalogue key under ``access.errors``."""

    def __init__(self, code: str, **params: object):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: AccountRole
    org_code: str | None
    display_name: str | None
    active: bool
    demo: bool

    def viewer(self) -> Viewer:
        if self.role == "member":
            return Viewer.member(self.org_code or "", name=f"account:{self.username}")
        return Viewer.steering(name=f"account:{self.username}")

    @property
    def actor(self) -> str:
        return f"account:{self.username}"


@dataclass(frozen=True)
class SignIn:
    """The answer to a sign-in attempt: an account, or why not (``wrong``, ``locked``, ``inactive``)."""

    account: Account | None
    reason: str | None = None
    retry_after: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.account is not None


_COLUMNS = "id, username, role, org_code, display_name, active, demo"


def _account(row: tuple) -> Account:
    return Account(*row)


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def random_password() -> str:
    """A password to hand over once (about 120 bits)."""
    return secrets.token_urlsafe(15)


def check_password_policy(password: str, settings: AccessSettings | None = None) -> None:
    settings = settings or AccessSettings.from_env()
    if len(password or "") < settings.password_min_length:
        raise AccountError("password_too_short", minimum=settings.password_min_length)


def usable(account: Account) -> bool:
    """Active, and a demo account only while demo mode is on."""
    return account.active and (not account.demo or demo_mode())


# -- reads -----------------------------------------------------------------------------------
def get_account(store: Store, account_id: int) -> Account | None:
    with store.cursor() as cur:
        rows = cur.execute(f"SELECT {_COLUMNS} FROM accounts WHERE id = ?", [account_id]).fetchall()
    return _account(rows[0]) if rows else None


def find_by_username(store: Store, username: str) -> Account | None:
    with store.cursor() as cur:
        rows = cur.execute(
            f"SELECT {_COLUMNS} FROM accounts WHERE username = ?", [normalise_username(username)]
        ).fetchall()
    return _account(rows[0]) if rows else None


def find_by_email(store: Store, email: str) -> Account | None:
    """The account an OpenID Connect identity maps to (its verified e-mail, case-insensitive)."""
    with store.cursor() as cur:
        rows = cur.execute(
            f"SELECT {_COLUMNS} FROM accounts WHERE email = ? ORDER BY id LIMIT 1",
            [(email or "").strip().lower()],
        ).fetchall()
    return _account(rows[0]) if rows else None


def list_accounts(store: Store, viewer: Viewer) -> pl.DataFrame:
    """Every account, never a hash (the steering committee only; anyone else gets no rows)."""
    return store.query(
        """
        SELECT id, username, display_name, email, role, org_code, active, demo, failed_count,
               locked_until, last_sign_in, created_at, created_by
        FROM accounts WHERE $steering ORDER BY role DESC, username
        """,
        {"steering": viewer.role == "steering"},
    )


def steering_count(store: Store, *, include_demo: bool = False) -> int:
    return int(
        store.scalar(
            "SELECT count(*) FROM accounts WHERE role = 'steering' AND active AND (NOT demo OR ?)",
            [include_demo],
        )
    )


# -- writes ----------------------------------------------------------------------------------
def _insert(
    cur: duckdb.DuckDBPyConnection,
    *,
    username: str,
    role: str,
    org_code: str | None,
    password: str | None,
    display_name: str | None,
    email: str | None,
    created_by: str,
    demo: bool = False,
    password_hash: str | None = None,
) -> int:
    now = utc_now()
    digest = password_hash or (HASHER.hash(password) if password else None)
    return cur.execute(
        """
        INSERT INTO accounts (username, display_name, email, role, org_code, password_hash, demo,
                              password_changed_at, created_at, created_by)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
        """,
        [
            username,
            display_name,
            email,
            role,
            org_code,
            digest,
            demo,
            now if digest else None,
            now,
            created_by,
        ],
    ).fetchall()[0][0]


def create_account(
    store: Store,
    username: str,
    role: AccountRole,
    *,
    org_code: str | None = None,
    password: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    created_by: str = "system",
    settings: AccessSettings | None = None,
) -> tuple[int, str | None]:
    """Create an account; returns its id and the password to hand over when one was generated.

    ``password=None`` generates one; ``password=""`` creates an account that signs in through
    OpenID Connect only (it then needs an e-mail).
    """
    username = normalise_username(username)
    if not USERNAME.match(username):
        raise AccountError("bad_username", username=username)
    if role not in ACCOUNT_ROLES:
        raise AccountError("bad_role", role=role)
    if role == "member" and not org_code:
        raise AccountError("member_needs_org")
    if role == "steering":
        org_code = None
    email = (email or "").strip().lower() or None
    generated = None
    if password is None:
        password = generated = random_password()
    elif password == "":
        if not email:
            raise AccountError("oidc_needs_email")
        password = None
    else:
        check_password_policy(password, settings)

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        if cur.execute("SELECT count(*) FROM accounts WHERE username = ?", [username]).fetchall()[0][0]:
            raise AccountError("username_taken", username=username)
        if (
            org_code is not None
            and not cur.execute("SELECT count(*) FROM organizations WHERE code = ?", [org_code]).fetchall()[
                0
            ][0]
        ):
            raise AccountError("unknown_org", org=org_code)
        account_id = _insert(
            cur,
            username=username,
            role=role,
            org_code=org_code,
            password=password,
            display_name=display_name,
            email=email,
            created_by=created_by,
        )
        record_in(
            cur,
            created_by,
            "account_created",
            target=f"account:{username}",
            detail={"role": role, "org_code": org_code},
        )
        return account_id

    return store.write(work), generated


def set_password(store: Store, account_id: int, password: str, *, actor: str) -> None:
    check_password_policy(password)
    digest = HASHER.hash(password)

    def work(cur: duckdb.DuckDBPyConnection) -> None:
        username = cur.execute(
            "UPDATE accounts SET password_hash = ?, password_changed_at = ?, failed_count = 0, locked_until = NULL "
            "WHERE id = ? RETURNING username",
            [digest, utc_now(), account_id],
        ).fetchall()
        if not username:
            raise AccountError("unknown_account")
        record_in(cur, actor, "password_changed", target=f"account:{username[0][0]}")

    store.write(work)


def reset_password(store: Store, account_id: int, *, actor: str) -> str:
    """A new random password, returned once."""
    password = random_password()
    set_password(store, account_id, password, actor=actor)
    return password


def set_active(store: Store, account_id: int, active: bool, *, actor: str) -> None:
    def work(cur: duckdb.DuckDBPyConnection) -> None:
        row = cur.execute("SELECT username, role, active FROM accounts WHERE id = ?", [account_id]).fetchall()
        if not row:
            raise AccountError("unknown_account")
        username, role, was_active = row[0]
        if not active and role == "steering" and was_active:
            others = cur.execute(
                "SELECT count(*) FROM accounts WHERE role = 'steering' AND active AND NOT demo AND id <> ?",
                [account_id],
            ).fetchall()[0][0]
            if not others:
                raise AccountError("last_steering")
        cur.execute("UPDATE accounts SET active = ? WHERE id = ?", [active, account_id])
        record_in(cur, actor, "account_changed", target=f"account:{username}", detail={"active": active})

    store.write(work)


def unlock(store: Store, account_id: int, *, actor: str) -> None:
    """Lift a lock after failed sign-ins now, and start the count of failures again."""

    def work(cur: duckdb.DuckDBPyConnection) -> None:
        row = cur.execute(
            "UPDATE accounts SET failed_count = 0, locked_until = NULL WHERE id = ? RETURNING username",
            [account_id],
        ).fetchall()
        if not row:
            raise AccountError("unknown_account")
        record_in(cur, actor, "account_changed", target=f"account:{row[0][0]}", detail={"unlocked": True})

    store.write(work)


# -- sign-in ---------------------------------------------------------------------------------
def _lock_length(failures: int, settings: AccessSettings) -> timedelta | None:
    """None below the threshold, then 1, 2, 4… × ``lockout_minutes``, capped."""
    beyond = failures - settings.lockout_after
    if beyond < 0:
        return None
    minutes = min(settings.lockout_minutes * 2 ** min(beyond, 20), settings.lockout_max_minutes)
    return timedelta(minutes=minutes)


def authenticate(
    store: Store,
    username: str,
    password: str,
    *,
    settings: AccessSettings | None = None,
    via: str = "password",
) -> SignIn:
    """Check a username and password; every attempt is audited, failures count towards a lock.

    The answer never tells a wrong username from a wrong password.
    """
    settings = settings or AccessSettings.from_env()
    username = normalise_username(username)[:64]
    with store.cursor() as cur:
        rows = cur.execute(
            f"SELECT {_COLUMNS}, password_hash, locked_until FROM accounts WHERE username = ?",
            [username],
        ).fetchall()
    now = utc_now()
    actor = f"account:{username}" if USERNAME.match(username) else "unknown"
    if not rows:
        _verify(_DUMMY_HASH, password)
        record(store, actor, "sign_in_failed", outcome="refused", detail={"reason": "wrong", "via": via})
        return SignIn(None, "wrong")
    account = _account(rows[0][:7])
    digest, locked_until = rows[0][7:]
    if locked_until is not None and locked_until > now:
        record(store, actor, "sign_in_failed", outcome="refused", detail={"reason": "locked", "via": via})
        return SignIn(None, "locked", locked_until)
    if digest is None:  # OpenID Connect only: no password opens it, and refusing costs one hash as usual
        _verify(_DUMMY_HASH, password)
        matches = False
    else:
        matches = _verify(digest, password)
    if not matches:

        def fail(cur: duckdb.DuckDBPyConnection) -> datetime | None:
            # Counted in the database, not from the read above: parallel guesses all count.
            failures = cur.execute(
                "UPDATE accounts SET failed_count = failed_count + 1 WHERE id = ? RETURNING failed_count",
                [account.id],
            ).fetchall()[0][0]
            lock = _lock_length(failures, settings)
            until = now + lock if lock else None
            if until is not None:
                cur.execute("UPDATE accounts SET locked_until = ? WHERE id = ?", [until, account.id])
            record_in(
                cur,
                actor,
                "sign_in_failed",
                outcome="refused",
                detail={"reason": "wrong", "failures": failures, "locked": until is not None, "via": via},
            )
            return until

        until = store.write(fail)
        return SignIn(None, "locked" if until else "wrong", until)
    if not usable(account):
        record(store, actor, "sign_in_failed", outcome="refused", detail={"reason": "inactive", "via": via})
        return SignIn(None, "inactive")
    new_hash = HASHER.hash(password) if HASHER.check_needs_rehash(digest) else None

    def succeed(cur: duckdb.DuckDBPyConnection) -> None:
        cur.execute(
            "UPDATE accounts SET failed_count = 0, locked_until = NULL, last_sign_in = ?, "
            "password_hash = coalesce(?, password_hash) WHERE id = ?",
            [now, new_hash, account.id],
        )
        record_in(cur, actor, "sign_in", detail={"via": via})

    store.write(succeed)
    return SignIn(account)


def sign_in_oidc(store: Store, email: str, subject: str) -> SignIn:
    """An identity proven by the OpenID Connect provider → the account with that e-mail, if usable."""
    account = find_by_email(store, email) if email else None
    if account is None or not usable(account):
        record(
            store,
            f"oidc:{(email or subject or '?')[:120]}",
            "sign_in_failed",
            outcome="refused",
            detail={"reason": "no_account" if account is None else "inactive", "via": "oidc"},
        )
        return SignIn(None, "no_account" if account is None else "inactive")
    store.write(
        lambda cur: (
            cur.execute("UPDATE accounts SET last_sign_in = ? WHERE id = ?", [utc_now(), account.id]),
            record_in(cur, account.actor, "sign_in", detail={"via": "oidc"}),
        )
    )
    return SignIn(account)


def _verify(digest: str, password: str) -> bool:
    try:
        return HASHER.verify(digest, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# -- first start and demo --------------------------------------------------------------------
def ensure_first_steering(store: Store, *, created_by: str = "system:first-start") -> tuple[str, str] | None:
    """Create the first steering account when there is none; returns (username, password) once.

    The password is ``ATHAR_ADMIN_PASSWORD`` when set (it must meet the policy), else random.
    """
    if steering_count(store):
        return None
    username = normalise_username(os.environ.get("ATHAR_ADMIN_USER") or "admin")
    password = os.environ.get("ATHAR_ADMIN_PASSWORD") or None
    existing = find_by_username(store, username)
    if existing is not None:  # the name is taken (by a deactivated or demo account): pick another
        username = f"{username}-{secrets.token_hex(2)}"
    _, generated = create_account(store, username, "steering", password=password, created_by=created_by)
    return username, generated or "(ATHAR_ADMIN_PASSWORD)"


def ensure_demo_accounts(store: Store) -> int:
    """The demo accounts (steering ``comite`` and one per organisation, named after its code).

    Created only in demo mode; they stay refused whenever demo mode is off.
    """
    if not demo_mode():
        return 0
    digest = HASHER.hash(DEMO_PASSWORD)

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        # One statement for the whole registry; a name already taken (or not a valid user name) is skipped.
        created = cur.execute(
            """
            INSERT INTO accounts (username, display_name, role, org_code, password_hash, demo,
                                  password_changed_at, created_at, created_by)
            SELECT username, display_name, role, org_code, $hash, TRUE, $now, $now, 'system:demo'
            FROM (
                SELECT $steering AS username, 'Comité de pilotage (démo)' AS display_name,
                       'steering' AS role, NULL::VARCHAR AS org_code
                UNION ALL
                SELECT lower(code), name_fr, 'member', code FROM organizations
            ) AS wanted
            WHERE regexp_full_match(username, $pattern)
              AND username NOT IN (SELECT username FROM accounts)
            RETURNING id
            """,
            {"hash": digest, "now": utc_now(), "steering": DEMO_STEERING, "pattern": USERNAME.pattern[1:-1]},
        ).fetchall()
        return len(created)

    return store.write(work)
