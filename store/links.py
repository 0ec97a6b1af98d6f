"""Funder links: read-only access to a scope, through a random token in the URL.

The token (256 random bits, 43 URL-safe characters) is shown once when the link is created;
only its SHA-256 is stored, and the stored digest is compared in constant time. A link has a
mandatory expiry (at most ``AccessSettings.link_max_days``), can be revoked or rotated (a new
token, same scope, the old one revoked) and may be pinned to one scoring run. It is checked on
every rerun, interaction and download, and every use is counted and audited.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import duckdb
import polars as pl

from framework.mappings import VOCABULARIES
from framework.periods import is_label
from store.audit import record_in
from store.clients import ClientInfo
from store.db import Store, utc_now
from store.errors import StoreError
from store.settings import AccessSettings
from store.viewer import LinkScope, Viewer

#: Pages a funder's link may open (no upload, quality, framework or administration page).
FUNDER_PAGES: tuple[str, ...] = ("overview", "profile", "compare", "sustainability", "indicator", "method")
TOKEN_BYTES = 32
TOKEN_FORMAT = re.compile(r"^[A-Za-z0-9_-]{43}$")
Status = Literal["ok", "unknown", "expired", "revoked", "malformed"]


class LinkError(StoreError):
    """A refused link operation; ``code`` is a catalogue key under ``access.errors``."""

    catalogue = "access.errors"


@dataclass(frozen=True)
class LinkCheck:
    status: Status
    scope: LinkScope | None = None
    label: str | None = None  # the steering committee's name for the link (shown to the funder)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def viewer(self) -> Viewer:
        if self.scope is None:
            raise LinkError("link_refused")
        return Viewer.funder(self.scope, name=f"link:{self.scope.link_id}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def link_url(base_url: str, token: str, lang: str = "fr") -> str:
    """The address to send the funder (``base_url`` is where the app is served)."""
    return f"{base_url.rstrip('/')}/?link={token}&lang={lang}"


def _clean_list(values: list[str] | tuple[str, ...] | None) -> list[str] | None:
    if values is None:
        return None
    cleaned = sorted({str(v).strip() for v in values if str(v).strip()})
    return cleaned or None


# -- create, revoke, rotate ------------------------------------------------------------------
def create_link(
    store: Store,
    *,
    label: str,
    org_codes: list[str],
    created_by: str,
    expires_at: datetime | None = None,
    days: int | None = None,
    principles: list[str] | None = None,
    periods: list[str] | None = None,
    pages: list[str] | None = None,
    run_id: int | None = None,
    settings: AccessSettings | None = None,
    include_provisional: bool = False,
    vocabulary: str = "athar",
) -> tuple[int, str]:
    """Create a link; returns (id, token). The token is not stored and cannot be shown again.

    A link shows approved values only; ``include_provisional`` lets it show values not yet approved
    too, labelled provisional on every page (issue 13). ``vocabulary`` (``framework.mappings.VOCABULARIES``)
    names indicators by the funder's identifiers too: IRIS+ metric IDs or SDG targets (issue 14)."""
    settings = settings or AccessSettings.from_env()
    now = utc_now()
    if days is not None and days > settings.link_max_days:  # before any date arithmetic: no overflow
        raise LinkError("expiry_too_far", days=settings.link_max_days)
    if days is not None and days < 1:
        raise LinkError("expiry_past")
    if expires_at is None:
        expires_at = now + timedelta(days=days if days is not None else settings.link_default_days)
    elif expires_at.tzinfo is not None:  # the store holds naive UTC
        expires_at = expires_at.astimezone(UTC).replace(tzinfo=None)
    if expires_at <= now:
        raise LinkError("expiry_past")
    if expires_at > now + timedelta(days=settings.link_max_days, minutes=1):
        raise LinkError("expiry_too_far", days=settings.link_max_days)
    if vocabulary not in VOCABULARIES:
        raise LinkError("vocab_unknown", vocabulary=str(vocabulary)[:40], known=", ".join(VOCABULARIES))
    label = (label or "").strip()
    if not label:
        raise LinkError("label_missing")
    orgs = _clean_list(org_codes)
    if not orgs:
        raise LinkError("no_organisation")
    pages = _clean_list(pages)
    if pages is not None and not set(pages) <= set(FUNDER_PAGES):
        raise LinkError("bad_page", pages=", ".join(sorted(set(pages) - set(FUNDER_PAGES))))
    principles = _clean_list(principles)
    periods = _clean_list(periods)
    # A period that is not a canonical label (a typo) would give a link that silently shows nothing.
    if periods is not None and (bad := [p for p in periods if not is_label(p)]):
        raise LinkError("bad_period", period=", ".join(bad))
    token = new_token()

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        known = {
            r[0]
            for r in cur.execute(
                "SELECT code FROM organizations WHERE list_contains(?, code)", [orgs]
            ).fetchall()
        }
        if missing := sorted(set(orgs) - known):
            raise LinkError("unknown_org", org=", ".join(missing))
        if principles is not None:
            valid = {r[0] for r in cur.execute("SELECT code FROM principles").fetchall()}
            if valid and (bad := sorted(set(principles) - valid)):
                raise LinkError("unknown_principle", principle=", ".join(bad))
        if (
            run_id is not None
            and not cur.execute("SELECT count(*) FROM score_runs WHERE id = ?", [run_id]).fetchall()[0][0]
        ):
            raise LinkError("unknown_run", run=run_id)
        link_id = cur.execute(
            """
            INSERT INTO share_links (token_sha256, label, org_codes, principles, periods, pages, run_id,
                                     created_at, created_by, expires_at, include_provisional, vocabulary)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """,
            [
                token_digest(token),
                label,
                orgs,
                principles,
                periods,
                pages,
                run_id,
                now,
                created_by,
                expires_at,
                bool(include_provisional),
                vocabulary,
            ],
        ).fetchall()[0][0]
        record_in(
            cur,
            created_by,
            "link_created",
            target=f"link:{link_id}",
            detail={
                "label": label,
                "org_codes": orgs,
                "principles": principles,
                "periods": periods,
                "pages": pages,
                "run_id": run_id,
                "expires_at": expires_at.isoformat(timespec="seconds"),
                "include_provisional": bool(include_provisional),
                "vocabulary": vocabulary,
            },
        )
        return link_id

    return store.write(work), token


def revoke_link(store: Store, link_id: int, *, actor: str) -> bool:
    """Revoke now; False when the link was already revoked (or does not exist)."""

    def work(cur: duckdb.DuckDBPyConnection) -> bool:
        done = cur.execute(
            "UPDATE share_links SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL RETURNING id",
            [utc_now(), actor, link_id],
        ).fetchall()
        if done:
            record_in(cur, actor, "link_revoked", target=f"link:{link_id}")
        return bool(done)

    return store.write(work)


def rotate_link(store: Store, link_id: int, *, actor: str) -> tuple[int, str]:
    """A new token for the same scope and expiry; the old link is revoked in the same transaction."""
    token = new_token()

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        now = utc_now()
        row = cur.execute(
            "SELECT expires_at FROM share_links WHERE id = ? AND revoked_at IS NULL", [link_id]
        ).fetchall()
        if not row or row[0][0] <= now:
            raise LinkError("not_active")
        cur.execute(
            "UPDATE share_links SET revoked_at = ?, revoked_by = ? WHERE id = ?", [now, actor, link_id]
        )
        new_id = cur.execute(  # the same scope and expiry, a new token
            """
            INSERT INTO share_links (token_sha256, label, org_codes, principles, periods, pages, run_id,
                                     created_at, created_by, expires_at, replaces, include_provisional,
                                     vocabulary)
            SELECT ?, label, org_codes, principles, periods, pages, run_id, ?, ?, expires_at, id,
                   include_provisional, vocabulary
            FROM share_links WHERE id = ? RETURNING id
            """,
            [token_digest(token), now, actor, link_id],
        ).fetchall()[0][0]
        record_in(cur, actor, "link_rotated", target=f"link:{link_id}", detail={"new_link": new_id})
        return new_id

    return store.write(work), token


# -- check and use ---------------------------------------------------------------------------
def check_token(store: Store, token: str | None, *, now: datetime | None = None) -> LinkCheck:
    """What a token opens, checked now: ``ok`` with its scope, or why not.

    A malformed token is refused before any lookup; the digest found is compared with
    :func:`hmac.compare_digest`, so the answer time does not depend on how much of it matched.
    """
    if not token or not isinstance(token, str) or not TOKEN_FORMAT.fullmatch(token):
        return LinkCheck("malformed")
    digest = token_digest(token)
    with store.cursor() as cur:
        rows = cur.execute(f"SELECT {_CHECK_COLUMNS} FROM share_links WHERE token_sha256 = ?", [digest]).fetchall()
    if not rows or not hmac.compare_digest(rows[0][1], digest):
        return LinkCheck("unknown")
    return _checked(rows[0], now)


def link_scope(store: Store, link_id: int, *, now: datetime | None = None) -> LinkCheck:
    """What link ``link_id`` opens, checked now, exactly as :func:`check_token` would answer for its
    token: the committee's preview builds the funder's view from it, without the token."""
    with store.cursor() as cur:
        rows = cur.execute(f"SELECT {_CHECK_COLUMNS} FROM share_links WHERE id = ?", [int(link_id)]).fetchall()
    return _checked(rows[0], now) if rows else LinkCheck("unknown")


_CHECK_COLUMNS = (
    "id, token_sha256, org_codes, principles, periods, pages, run_id, expires_at, revoked_at, "
    "label, coalesce(include_provisional, FALSE), coalesce(vocabulary, 'athar')"
)


def _checked(row: tuple, now: datetime | None) -> LinkCheck:
    """A ``share_links`` row (:data:`_CHECK_COLUMNS`) as a check: revoked, expired, or its scope."""
    link_id, _, orgs, principles, periods, pages, run_id, expires_at, revoked_at, label, provisional, vocabulary = row
    if revoked_at is not None:
        return LinkCheck("revoked")
    if expires_at <= (now or utc_now()):
        return LinkCheck("expired")
    pages = [p for p in (pages or FUNDER_PAGES) if p in FUNDER_PAGES]
    return LinkCheck(
        "ok",
        LinkScope(
            org_codes=frozenset(orgs),
            principles=None if principles is None else frozenset(principles),
            periods=None if periods is None else frozenset(periods),
            pages=frozenset(pages),
            link_id=link_id,
            run_id=run_id,
            expires_at=expires_at,
            include_provisional=bool(provisional),
            vocabulary=vocabulary if vocabulary in VOCABULARIES else "athar",
        ),
        label,
    )


def record_preview(store: Store, link_id: int, *, actor: str) -> None:
    """Audit the committee opening a link's view (not a use: no count, no last use, no token)."""
    store.write(lambda cur: record_in(cur, actor, "link_previewed", target=f"link:{link_id}"))


def record_use(store: Store, link_id: int, *, page: str | None = None, download: str | None = None) -> None:
    """Count and audit one use: a page view, or a download (its file name)."""

    def work(cur: duckdb.DuckDBPyConnection) -> None:
        cur.execute(
            "UPDATE share_links SET use_count = use_count + 1, last_used_at = ? WHERE id = ?",
            [utc_now(), link_id],
        )
        record_in(
            cur,
            f"link:{link_id}",
            "link_download" if download else "link_used",
            target=f"link:{link_id}",
            detail={"page": page, "download": download},
        )

    store.write(work)


def record_refusal(
    store: Store, status: str, *, page: str | None = None, client: ClientInfo | None = None
) -> None:
    """Audit a refused token with the client's fingerprint (never the token itself)."""
    detail = {"status": status, "page": page, "client": (client or ClientInfo()).audit()}
    store.write(lambda cur: record_in(cur, "link:?", "link_refused", outcome="refused", detail=detail))


def list_links(store: Store, viewer: Viewer) -> pl.DataFrame:
    """Every link with its scope, status, expiry, last use and use count (steering only)."""
    return store.query(
        """
        SELECT id, label, org_codes, principles, periods, pages, run_id, include_provisional,
               coalesce(vocabulary, 'athar') AS vocabulary, created_at,
               created_by, expires_at,
               revoked_at, revoked_by, replaces, last_used_at, use_count,
               CASE WHEN revoked_at IS NOT NULL THEN 'revoked'
                    WHEN expires_at <= $now THEN 'expired' ELSE 'active' END AS status
        FROM share_links WHERE $steering ORDER BY id DESC
        """,
        {"steering": viewer.role == "steering", "now": utc_now()},
    )
