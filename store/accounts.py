"""Local accounts: argon2id password hashes, roles, sign-in delays after repeated failures.

No account exists until someone creates one: the first steering account is created on first
start with a random password shown once (or the one in ``ATHAR_ADMIN_PASSWORD``); demo accounts,
whose passwords the README publishes, exist only in demo mode and are refused outside it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import duckdb
import polars as pl
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

import settings
from store import sessions
from store.audit import record, record_in
from store.clients import ClientInfo
from store.db import Store, utc_now
from store.errors import StoreError
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
#: The demo accounts' e-mail addresses (``<username>@demo.example.org``): a reserved domain, so the
#: demo's reminders have somebody to write to and reach nobody real.
DEMO_EMAIL_DOMAIN = "demo.example.org"


class AccountError(StoreError):
    """A refused account operation; ``code`` is a catalogue key under ``access.errors``."""

    catalogue = "access.errors"


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
    """The answer to a sign-in attempt: an account, or why not (``wrong``, or ``inactive``).

    ``wrong`` covers an unknown user, a wrong password and a throttled attempt alike.
    """

    account: Account | None
    reason: str | None = None

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


def list_accounts(store: Store, viewer: Viewer, *, never_signed_in: bool = False) -> pl.DataFrame:
    """Every account, never a hash (the steering committee only; anyone else gets no rows).

    ``never_signed_in``: only the accounts nobody has ever signed in to (no ``last_sign_in``), the
    people to call before a deadline."""
    return store.query(
        """
        SELECT id, username, display_name, email, role, org_code, active, demo, failed_count,
               locked_until, last_sign_in, created_at, created_by
        FROM accounts WHERE $steering AND (NOT $never OR last_sign_in IS NULL) ORDER BY role DESC, username
        """,
        {"steering": viewer.role == "steering", "never": never_signed_in},
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


def set_password(store: Store, account_id: int, password: str, *, actor: str, keep_session: int | None = None) -> None:
    """A password set by the committee or the command line: the account's sessions end (all but
    ``keep_session``, the caller's own when one resets its own password), in the same transaction."""
    check_password_policy(password)
    digest = HASHER.hash(password)

    def work(cur: duckdb.DuckDBPyConnection) -> None:
        username = cur.execute(
            "UPDATE accounts SET password_hash = ?, password_changed_at = ?, failed_count = 0, locked_until = NULL, "
            "last_failed_at = NULL "
            "WHERE id = ? RETURNING username",
            [digest, utc_now(), account_id],
        ).fetchall()
        if not username:
            raise AccountError("unknown_account")
        record_in(cur, actor, "password_changed", target=f"account:{username[0][0]}")
        sessions.revoke_all_in(cur, account_id, actor=actor, reason="password_changed", keep=keep_session)

    store.write(work)


def change_own_password(store: Store, account_id: int, current: str, new: str, *, client: ClientInfo | None = None,
                        keep_session: int | None = None) -> datetime:
    """A person changes its own password: the current one must be right and the new one meet the
    policy (``ATHAR_PASSWORD_MIN_LENGTH``) and differ from it. Audited as ``password_changed``
    (``self``) in the same transaction, a refusal as a refused ``password_changed`` (its reason,
    never a password). Returns the change time: the account's other sessions end at their next
    rerun (``password_changed_at``) and their server-side sessions are revoked in the same
    transaction, all but ``keep_session`` (the caller's own, told to carry on).
    """
    fingerprint = (client or ClientInfo()).audit()
    with store.cursor() as cur:
        rows = cur.execute("SELECT username, password_hash FROM accounts WHERE id = ?", [account_id]).fetchall()
    if not rows:
        raise AccountError("unknown_account")
    username, digest = rows[0]
    refusal = _self_change_refusal(digest, current, new)
    if refusal is not None:
        record(store, f"account:{username}", "password_changed", target=f"account:{username}", outcome="refused",
               detail={"self": True, "reason": refusal.code, "client": fingerprint})
        raise refusal
    new_digest, now = HASHER.hash(new), utc_now()

    def work(cur: duckdb.DuckDBPyConnection) -> None:
        cur.execute("UPDATE accounts SET password_hash = ?, password_changed_at = ? WHERE id = ?",
                    [new_digest, now, account_id])
        record_in(cur, f"account:{username}", "password_changed", target=f"account:{username}",
                  detail={"self": True, "reason": None, "client": fingerprint})
        sessions.revoke_all_in(cur, account_id, actor=f"account:{username}", reason="password_changed",
                               keep=keep_session)

    store.write(work)
    return now


def _self_change_refusal(digest: str | None, current: str, new: str) -> AccountError | None:
    """Why a person may not change its own password this way, or None."""
    if digest is None:  # an OpenID Connect-only account: its password lives at the provider
        return AccountError("no_password")
    if not _verify(digest, current):
        return AccountError("wrong_current_password")
    if new == current:
        return AccountError("password_unchanged")
    try:
        check_password_policy(new)
    except AccountError as error:
        return error
    return None


def password_changed_at(store: Store, account_id: int) -> datetime | None:
    """When the account's password last changed (its sessions opened before then end)."""
    return store.scalar("SELECT password_changed_at FROM accounts WHERE id = ?", [account_id])


def reset_password(store: Store, account_id: int, *, actor: str, keep_session: int | None = None) -> str:
    """A new random password, returned once."""
    password = random_password()
    set_password(store, account_id, password, actor=actor, keep_session=keep_session)
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
        if not active and was_active:  # enabling it again must not bring its old sessions back
            sessions.revoke_all_in(cur, account_id, actor=actor, reason="account_disabled")

    store.write(work)


def unlock(store: Store, account_id: int, *, actor: str) -> None:
    """Lift the delays after failed sign-ins now: the account's, and those of the client addresses
    it signed in from before (someone sharing that address may have flooded it); counts start again."""

    def work(cur: duckdb.DuckDBPyConnection) -> None:
        row = cur.execute(
            "UPDATE accounts SET failed_count = 0, locked_until = NULL, last_failed_at = NULL WHERE id = ? "
            "RETURNING username",
            [account_id],
        ).fetchall()
        if not row:
            raise AccountError("unknown_account")
        cleared = cur.execute(
            "DELETE FROM sign_in_clients WHERE client_sha256 IN "
            "(SELECT client_sha256 FROM known_clients WHERE account_id = ?) RETURNING client_sha256",
            [account_id],
        ).fetchall()
        record_in(
            cur,
            actor,
            "account_changed",
            target=f"account:{row[0][0]}",
            detail={"unlocked": True, "clients_unlocked": len(cleared)},
        )

    store.write(work)


# -- sign-in ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Attempt:
    """What the store knows before the password is checked (read the same way in every case)."""

    account: Account | None
    digest: str | None
    account_locked: bool
    client_locked: bool
    known_client: bool

    @property
    def throttled(self) -> bool:
        return self.account_locked or self.client_locked


def _delay(failures: int | None, settings: AccessSettings) -> timedelta | None:
    """None below the threshold, then 1, 2, 4… × ``sign_in_delay_seconds``, capped."""
    beyond = (failures or 0) - settings.sign_in_delay_after
    if beyond < 0:
        return None
    seconds = min(settings.sign_in_delay_seconds * 2 ** min(beyond, 20), settings.sign_in_delay_max_seconds)
    return timedelta(seconds=seconds)


def _read_attempt(store: Store, username: str, client: ClientInfo, now: datetime) -> _Attempt:
    with store.cursor() as cur:
        rows = cur.execute(
            f"""
            SELECT {_COLUMNS}, password_hash, coalesce(locked_until > ?, FALSE),
                   EXISTS (SELECT 1 FROM known_clients k WHERE k.account_id = a.id AND k.marker_sha256 = ?)
            FROM accounts a WHERE username = ?
            """,
            [now, client.marker, username],
        ).fetchall()
        client_locked = cur.execute(
            "SELECT count(*) FROM sign_in_clients WHERE client_sha256 = ? AND locked_until > ?",
            [client.key, now],
        ).fetchall()[0][0]
    if not rows:
        return _Attempt(None, None, False, bool(client_locked), False)
    digest, account_locked, known = rows[0][7:]
    return _Attempt(_account(rows[0][:7]), digest, account_locked, bool(client_locked), known)


def _count_failure(
    cur: duckdb.DuckDBPyConnection, attempt: _Attempt, client: ClientInfo, now: datetime, settings: AccessSettings
) -> tuple[int | None, int]:
    """Count one failure against the account (if any) and the client, in the database.

    The same statements run whatever the case (an unknown user updates no account row), so the
    three refusals cost the same; parallel guesses all count.
    """
    forget = now - timedelta(minutes=settings.sign_in_window_minutes)
    account_id = attempt.account.id if attempt.account else -1
    counted = cur.execute(
        "UPDATE accounts SET failed_count = CASE WHEN last_failed_at IS NULL OR last_failed_at < ? THEN 1 "
        "ELSE failed_count + 1 END, last_failed_at = ? WHERE id = ? RETURNING failed_count",
        [forget, now, account_id],
    ).fetchall()
    account_failures = counted[0][0] if counted else None
    delay = _delay(account_failures, settings)
    cur.execute(
        "UPDATE accounts SET locked_until = coalesce(?::TIMESTAMP, locked_until) WHERE id = ?",
        [now + delay if delay else None, account_id],
    )
    client_failures = cur.execute(
        """
        INSERT INTO sign_in_clients AS c (client_sha256, failed_count, last_failed_at) VALUES (?, 1, ?)
        ON CONFLICT (client_sha256) DO UPDATE SET
            failed_count = CASE WHEN c.last_failed_at < ? THEN 1 ELSE c.failed_count + 1 END,
            last_failed_at = excluded.last_failed_at
        RETURNING failed_count
        """,
        [client.key, now, forget],
    ).fetchall()[0][0]
    delay = _delay(client_failures, settings)
    cur.execute(
        "UPDATE sign_in_clients SET locked_until = coalesce(?::TIMESTAMP, locked_until) WHERE client_sha256 = ?",
        [now + delay if delay else None, client.key],
    )
    return account_failures, client_failures


def _succeed(
    cur: duckdb.DuckDBPyConnection, attempt: _Attempt, client: ClientInfo, now: datetime, new_hash: str | None, via: str
) -> None:
    """Sign-in done: remember the client; the count starts again unless someone is flooding the
    account right now (a known client passing the delay must not lift it for the flood)."""
    account = attempt.account
    cur.execute(
        "UPDATE accounts SET failed_count = CASE WHEN ? THEN failed_count ELSE 0 END, "
        "locked_until = CASE WHEN ? THEN locked_until END, last_failed_at = CASE WHEN ? THEN last_failed_at END, "
        "last_sign_in = ?, password_hash = coalesce(?, password_hash) WHERE id = ?",
        [attempt.account_locked] * 3 + [now, new_hash, account.id],
    )
    cur.execute(
        """
        INSERT INTO known_clients (account_id, marker_sha256, client_sha256, first_seen, last_seen)
        VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (account_id, marker_sha256) DO UPDATE SET last_seen = excluded.last_seen
        """,
        [account.id, client.marker, client.key, now, now],
    )
    record_in(cur, account.actor, "sign_in", detail={"via": via, "client": client.audit()})


def authenticate(
    store: Store,
    username: str,
    password: str,
    *,
    settings: AccessSettings | None = None,
    via: str = "password",
    client: ClientInfo | None = None,
) -> SignIn:
    """Check a username and password; every attempt is audited, failures delay further attempts.

    An unknown user, a wrong password and a throttled attempt get the same answer
    (``SignIn(None, "wrong")``) at the same cost: one argon2id check (against a dummy hash when
    there is no account or the attempt is throttled) and one write counting the failure. While an
    account or a client address is throttled, only a client the account signed in from before
    gets its password checked; anyone else is refused without learning whether it was right.
    """
    settings = settings or AccessSettings.from_env()
    client = client or ClientInfo()
    username = normalise_username(username)[:64]
    now = utc_now()
    attempt = _read_attempt(store, username, client, now)
    account = attempt.account
    checked = account is not None and attempt.digest is not None
    checked = checked and (not attempt.throttled or attempt.known_client)
    matches = _verify(attempt.digest if checked else _DUMMY_HASH, password) and checked
    actor = account.actor if account else "unknown"  # never free text that may be a password
    if matches and usable(account):
        new_hash = HASHER.hash(password) if HASHER.check_needs_rehash(attempt.digest) else None
        store.write(lambda cur: _succeed(cur, attempt, client, now, new_hash, via))
        return SignIn(account)
    if matches:  # the right password for a disabled account (or a demo one outside demo mode)
        detail = {"reason": "inactive", "via": via, "client": client.audit()}
        record(store, actor, "sign_in_failed", outcome="refused", detail=detail)
        return SignIn(None, "inactive")
    if account is None:
        reason = "no_account"
    elif attempt.throttled and not attempt.known_client:
        reason = "throttled"
    else:
        reason = "wrong"

    def fail(cur: duckdb.DuckDBPyConnection) -> None:
        failures, client_failures = _count_failure(cur, attempt, client, now, settings)
        detail = {"reason": reason, "failures": failures, "client_failures": client_failures,
                  "throttled": attempt.throttled, "known_client": attempt.known_client, "via": via,
                  "client": client.audit()}
        record_in(cur, actor, "sign_in_failed", outcome="refused", detail=detail)

    store.write(fail)
    return SignIn(None, "wrong")


def sign_in_oidc(store: Store, email: str, subject: str, *, client: ClientInfo | None = None) -> SignIn:
    """An identity proven by the OpenID Connect provider → the account with that e-mail, if usable."""
    account = find_by_email(store, email) if email else None
    fingerprint = (client or ClientInfo()).audit()
    if account is None or not usable(account):
        record(
            store,
            f"oidc:{(email or subject or '?')[:120]}",
            "sign_in_failed",
            outcome="refused",
            detail={
                "reason": "no_account" if account is None else "inactive",
                "via": "oidc",
                "client": fingerprint,
            },
        )
        return SignIn(None, "no_account" if account is None else "inactive")
    store.write(
        lambda cur: (
            cur.execute("UPDATE accounts SET last_sign_in = ? WHERE id = ?", [utc_now(), account.id]),
            record_in(cur, account.actor, "sign_in", detail={"via": "oidc", "client": fingerprint}),
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
    username = normalise_username(settings.get("ATHAR_ADMIN_USER"))
    password = settings.get("ATHAR_ADMIN_PASSWORD")
    existing = find_by_username(store, username)
    if existing is not None:  # the name is taken (by a deactivated or demo account): pick another
        username = f"{username}-{secrets.token_hex(2)}"
    _, generated = create_account(store, username, "steering", password=password, created_by=created_by)
    return username, generated or "(ATHAR_ADMIN_PASSWORD)"


def ensure_demo_accounts(store: Store) -> int:
    """The demo accounts (steering ``comite`` and one per organisation, named after its code), each
    with an address at :data:`DEMO_EMAIL_DOMAIN`.

    Created only in demo mode; they stay refused whenever demo mode is off.
    """
    if not demo_mode():
        return 0
    digest = HASHER.hash(DEMO_PASSWORD)

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        # One statement for the whole registry; a name already taken (or not a valid user name) is skipped.
        created = cur.execute(
            """
            INSERT INTO accounts (username, display_name, email, role, org_code, password_hash, demo,
                                  password_changed_at, created_at, created_by)
            SELECT username, display_name, username || '@' || $domain, role, org_code, $hash, TRUE, $now, $now,
                   'system:demo'
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
            {"hash": digest, "now": utc_now(), "steering": DEMO_STEERING, "pattern": USERNAME.pattern[1:-1],
             "domain": DEMO_EMAIL_DOMAIN},
        ).fetchall()
        return len(created)

    return store.write(work)
