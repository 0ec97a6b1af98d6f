"""What a command loading many files reads once and keeps up to date, instead of reading it per file.

``python -m ingest load`` with thousands of small files spent a fifth of each file's time asking
the database the same questions: the registry, whether these bytes were already received, whether
any period of the organisation is locked, which values it already holds. :class:`CommandState`
answers them from one read each at the start of the command, and learns from every file it
commits. Nothing is decided on it alone: the commit's transaction still checks the bytes and the
locks itself (``store.submissions.commit_submission``), so a file received or a period locked by
another process meanwhile is still recognised, as it was with a read per file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from store.batch_reads import orgs_with_open_locks, periods_with_current_values, received_among
from store.db import Store
from store.group_commit import FEW_ROWS, pairs_of
from store.registry import org_codes
from store.review import check_unlocked
from store.submissions import find_received, stored_values, stored_values_schema


@dataclass
class CommandState:
    """One command's view of the database, read once (``load``) and updated as files are committed."""

    store: Store
    known_orgs: frozenset[str]
    received: dict[tuple[str, str | None], int]
    #: The (organisation, period) pairs holding values in force: only their stored values are read.
    held: set[tuple[str, str]]
    locked_orgs: frozenset[str]
    #: Files checked but not committed yet (``ingest.batch`` commits them in groups): their bytes and
    #: their (organisation, period) pairs, and how to commit them before a question about them is answered.
    pending_received: set[tuple[str, str | None]] = field(default_factory=set)
    pending_pairs: set[tuple[str, str]] = field(default_factory=set)
    flush: Callable[[], None] | None = None
    #: The organisations and periods of the files committed since ``held`` was brought up to date: their
    #: pairs are worked out when a later file needs them (a command's last file, or its only one, never does).
    unheld: list[pl.DataFrame] = field(default_factory=list)

    @classmethod
    def load(cls, store: Store, digests: list[str]) -> CommandState:
        """The registry, the submissions among ``digests``, the periods holding values, the locks."""
        return cls(store, org_codes(store), received_among(store, digests), periods_with_current_values(store),
                   orgs_with_open_locks(store))

    def find_received(self, digest: str, org: str | None) -> int | None:
        """:func:`store.submissions.find_received`, answered from the command's view (the files waiting
        to be committed are committed first when one of them has these bytes)."""
        if (digest, org) in self.pending_received:
            self._flush()
        return self.received.get((digest, org))

    def stored_values(self, keys: pl.DataFrame, indicators: tuple[str, ...]) -> pl.DataFrame:
        """:func:`store.submissions.stored_values`, without a read when no (organisation, period) of ``keys``
        holds a value (each year of a history arrives once: its first file finds nothing stored). The files
        waiting to be committed are committed first when one of them writes one of these pairs."""
        if self.pending_pairs or self.held or self.unheld:
            pairs = pairs_of(keys)
            if self.pending_pairs and not self.pending_pairs.isdisjoint(pairs):
                self._flush()
            if not self.held_pairs().isdisjoint(pairs):
                return stored_values(self.store, keys, indicators)
        return pl.DataFrame(schema=stored_values_schema())

    def check_unlocked(self, rows: pl.DataFrame) -> None:
        """:func:`store.review.check_unlocked`, without a read when none of the file's organisations has a lock."""
        if self.locked_orgs and not self.locked_orgs.isdisjoint(rows.get_column("org_code").drop_nulls().to_list()):
            check_unlocked(self.store, rows)

    def _flush(self) -> None:
        if self.flush is not None:
            self.flush()

    def committed(self, digest: str, org: str | None, submission_id: int, rows: pl.DataFrame) -> None:
        """A file was accepted: its bytes are received, its organisations and periods hold values."""
        self.received.setdefault((digest, org), submission_id)
        # a small file's rows as they are (a select per file cost more than its pairs), a large one's two columns
        self.unheld.append(rows if rows.height <= FEW_ROWS else rows.select("org_code", "period"))

    def held_pairs(self) -> set[tuple[str, str]]:
        """The (organisation, period) pairs holding values in force, the committed files' included."""
        for rows in self.unheld:
            self.held.update(pairs_of(rows))
        self.unheld.clear()
        return self.held


def find_received_in(store: Store, state: CommandState | None, digest: str, org: str | None) -> int | None:
    """The submission already holding these bytes for ``org``: from the command's view when there is one."""
    return state.find_received(digest, org) if state is not None else find_received(store, digest, org)
