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
from store.db import Store
from store.errors import StoreError
from store.links import link_scope
from store.viewer import Viewer

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
    link is unknown, revoked or expired (:func:`store.links.link_scope`: the rules of ``check_token``)."""
    check = link_scope(store, link_id, now=now)
    if not check.ok:
        raise CardRefused(f"link_{check.status}", link=link_id)
    return check.viewer()
