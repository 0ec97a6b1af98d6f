"""Report cards in the audit log: each PDF's SHA-256 is recorded when it is made, so the committee can
later confirm that a card a funder holds is genuine (``python -m report verify``).

Also the scope of a funder link read by its number (the command line's ``--link ID``), checked as
:func:`store.links.check_token` checks a token: a revoked or expired link opens nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from store.audit import record_in
from store.db import Store, utc_now
from store.errors import StoreError
from store.links import FUNDER_PAGES
from store.viewer import LinkScope, Viewer

ACTIONS = ("report_card_made", "network_report_made")
_HEX = re.compile(r"^[0-9a-f]{64}$")


class CardRefused(StoreError):
    """A card (or network report) this viewer may not have; ``code`` is a key under ``card.errors``."""

    catalogue = "card.errors"


@dataclass(frozen=True)
class MadeCard:
    """One audit entry of a card: what it showed and to whom."""

    logged_at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


def record_card(
    store: Store, actor: str, *, sha256: str, detail: dict[str, Any], network: bool = False
) -> None:
    """Audit one produced document (card or network report) with its SHA-256, in its own transaction."""
    if not _HEX.fullmatch(sha256):
        raise ValueError("sha256 must be 64 lower-case hex digits")
    action = "network_report_made" if network else "report_card_made"
    target = "network" if network else f"org:{detail.get('org')}"

    def work(cur: duckdb.DuckDBPyConnection) -> None:
        record_in(cur, actor, action, target=target, detail={**detail, "sha256": sha256})

    store.write(work)


def find_card(store: Store, viewer: Viewer, sha256: str) -> list[MadeCard]:
    """Every audit entry of a document with this SHA-256 (the committee only; anyone else: none)."""
    digest = sha256.strip().lower()
    if viewer.role != "steering" or not _HEX.fullmatch(digest):
        return []
    with store.cursor() as cur:
        rows = cur.execute(
            """
            SELECT logged_at, actor, action, detail::VARCHAR FROM audit_log
            WHERE list_contains(?, action) AND json_extract_string(detail, '$.sha256') = ?
            ORDER BY id
            """,
            [list(ACTIONS), digest],
        ).fetchall()
    return [MadeCard(r[0], r[1], r[2], json.loads(r[3])) for r in rows]


def link_viewer(store: Store, link_id: int, *, now: datetime | None = None) -> Viewer:
    """The viewer a funder link's holder is, from the link's number; :class:`CardRefused` when the
    link is unknown, revoked or expired (the same rules as :func:`store.links.check_token`)."""
    with store.cursor() as cur:
        rows = cur.execute(
            "SELECT id, org_codes, principles, periods, pages, run_id, expires_at, revoked_at, "
            "coalesce(include_provisional, FALSE) FROM share_links WHERE id = ?",
            [int(link_id)],
        ).fetchall()
    if not rows:
        raise CardRefused("link_unknown", link=link_id)
    found, orgs, principles, periods, pages, run_id, expires_at, revoked_at, provisional = rows[0]
    if revoked_at is not None:
        raise CardRefused("link_revoked", link=link_id)
    if expires_at <= (now or utc_now()):
        raise CardRefused("link_expired", link=link_id)
    scope = LinkScope(
        org_codes=frozenset(orgs),
        principles=None if principles is None else frozenset(principles),
        periods=None if periods is None else frozenset(periods),
        pages=frozenset(p for p in (pages or FUNDER_PAGES) if p in FUNDER_PAGES),
        link_id=found,
        run_id=run_id,
        expires_at=expires_at,
        include_provisional=bool(provisional),
    )
    return Viewer.funder(scope, name=f"link:{found}")
