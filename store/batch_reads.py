"""Reads a command that loads many files makes once, instead of once per file (``ingest.batch``).

Each answers, for the whole command, a question the load path otherwise asks the database for every
file: which of these files were already received, which organisations hold values in force, which
have a period locked. They are hints that spare a read, never the authority: the commit's own
transaction checks again (``store.submissions.commit_submission``, ``store.review.refuse_locked``).
"""

from __future__ import annotations

from store.db import Store


def received_among(store: Store, digests: list[str]) -> dict[tuple[str, str | None], int]:
    """(SHA-256, organisation) → the first accepted submission with these bytes, for ``digests``."""
    if not digests:
        return {}
    with store.cursor() as cur:
        rows = cur.execute(
            "SELECT content_sha256, org_code, min(id) FROM submissions "
            "WHERE list_contains(?::VARCHAR[], content_sha256) GROUP BY 1, 2",
            [sorted(set(digests))],
        ).fetchall()
    return {(sha, org): int(first) for sha, org, first in rows}


def periods_with_current_values(store: Store) -> set[tuple[str, str]]:
    """The (organisation, period) pairs that hold at least one value in force."""
    with store.cursor() as cur:
        rows = cur.execute("SELECT DISTINCT org_code, period FROM observations WHERE valid_to IS NULL").fetchall()
    return {(org, period) for org, period in rows}


def orgs_with_open_locks(store: Store) -> frozenset[str]:
    """The organisations with a period approved and locked (``period_locks`` not released)."""
    return frozenset(store.column("SELECT DISTINCT org_code FROM period_locks WHERE released_at IS NULL"))
