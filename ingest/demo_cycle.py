"""The demo network's reporting cycle, declared in ``data/demo/cycle.toml`` and replayed by
``python -m ingest demo`` through the doors the pages and the command line use.

- before the first file: the calendar (``store.calendar.set_calendar``), the reminder schedule and
  the organisations written to in Arabic (``store.reminders``);
- with a file: the member's explanations of its flagged values (``load_file(explanations=…)``,
  as the upload preview stores them) and its narratives per principle (``load_file(narratives=…)``,
  as the form sends them), and, right after it, the committee's return with its
  comments (``store.review.return_submission``) for the files listed under ``returned``;
- after the last file: the history (values before ``review_from``) counts as approved without a
  lock (``store.review.accept_history``); every other file still submitted is approved
  (``store.review.approve``, which locks its periods) except those listed under ``awaiting``;
  then the members' reopen requests (``store.review.request_reopen``, as ``member:CODE``) and the
  committee's decisions on them (``store.review.decide_reopen``).

Each of these writes its own audit entry in the transaction of the change.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from framework.model import BREAKDOWN_COLUMNS
from ingest.narratives import FOUND_SCHEMA
from store import calendar, reminders, review
from store.db import Store

SOURCE = "ingest demo (data/demo/cycle.toml)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CalendarKind(_Strict):
    """One period kind of the calendar, as ``python -m store calendar set`` takes it."""

    deadline_days: int = Field(ge=0, le=calendar.MAX_DEADLINE_DAYS)
    from_year: int
    everyone: bool = True
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


class Reminders(_Strict):
    offsets: tuple[int, ...]
    arabic: tuple[str, ...] = ()


class ValueNote(_Strict):
    indicator: str
    period: str
    comment: str


class Returned(_Strict):
    """A file the committee sends back right after it arrives."""

    file: str
    comment: str = Field(min_length=1)
    values: tuple[ValueNote, ...] = ()


class Explained(_Strict):
    """A flagged value the member explained when it uploaded ``file`` (a total: no breakdown)."""

    file: str
    org: str
    indicator: str
    period: str
    text: str = Field(min_length=1, max_length=500)


class Narrated(_Strict):
    """A narrative per principle the member sent with ``file`` (as the form's text areas send them)."""

    file: str
    org: str
    period: str
    principle: str
    lang: Literal["fr", "ar", "en"]
    text: str = Field(min_length=1, max_length=1500)
    evidence: str | None = None


class Reopened(_Strict):
    """A member asks to correct an approved period; the committee grants it (or not yet)."""

    org: str
    period: str
    reason: str = Field(min_length=1)
    granted: bool | None = None  # None: still pending


class DemoCycle(_Strict):
    review_from: int
    calendar: dict[str, CalendarKind]
    reminders: Reminders
    returned: tuple[Returned, ...] = ()
    awaiting: tuple[str, ...] = ()
    explained: tuple[Explained, ...] = ()
    reopened: tuple[Reopened, ...] = ()
    narratives: tuple[Narrated, ...] = ()

    @model_validator(mode="after")
    def _kinds_known(self) -> DemoCycle:
        if unknown := sorted(set(self.calendar) - set(calendar.PERIOD_KINDS)):
            raise ValueError(f"unknown period kind(s): {', '.join(unknown)}")
        if twice := sorted(set(self.returned_files) & set(self.awaiting)):
            raise ValueError(f"both returned and awaiting: {', '.join(twice)}")
        return self

    @property
    def returned_files(self) -> dict[str, Returned]:
        return {r.file: r for r in self.returned}

    def files(self) -> set[str]:
        """Every manifest file the cycle names."""
        return {*self.returned_files, *self.awaiting, *(e.file for e in self.explained),
                *(n.file for n in self.narratives)}

    def explanations_for(self, file: str) -> pl.DataFrame | None:
        """The explanations sent with ``file`` (value key + ``explanation``), or None."""
        rows = [{"org_code": e.org, "indicator_code": e.indicator, "period": e.period, "explanation": e.text}
                for e in self.explained if e.file == file]
        if not rows:
            return None
        frame = pl.DataFrame(rows, schema=dict.fromkeys(("org_code", "indicator_code", "period", "explanation"),
                                                         pl.String))
        return frame.with_columns(pl.lit(None, pl.String).alias(c) for c in BREAKDOWN_COLUMNS)


    def narratives_for(self, file: str) -> pl.DataFrame | None:
        """The narratives sent with ``file``, as ``ingest.narratives`` finds them, or None."""
        rows = [{"line": None, "sheet": None, "org_code": n.org, "period": n.period, "principle": n.principle,
                 "lang": n.lang, "text": n.text, "evidence_url": n.evidence} for n in self.narratives if n.file == file]
        return pl.DataFrame(rows, schema=FOUND_SCHEMA) if rows else None


def load_cycle(path: Path, manifest_files: set[str]) -> DemoCycle:
    """Read and check ``cycle.toml``; every file it names must be in the manifest."""
    cycle = DemoCycle.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    if missing := sorted(cycle.files() - manifest_files):
        raise ValueError(f"{path.name}: not in manifest.csv: {', '.join(missing)}")
    return cycle


def set_up(store: Store, cycle: DemoCycle, *, actor: str) -> None:
    """The committee's settings before the first file: calendar, reminder schedule, languages."""
    for kind, row in cycle.calendar.items():
        calendar.set_calendar(store, kind, deadline_days=row.deadline_days, everyone=row.everyone,
                              from_year=row.from_year, add=row.add, remove=row.remove, actor=actor,
                              source=SOURCE, default_year=row.from_year)
    reminders.set_schedule(store, list(cycle.reminders.offsets), actor=actor, source=SOURCE)
    for org in cycle.reminders.arabic:
        reminders.set_preferred_language(store, org, "ar", actor=actor, source=SOURCE)


def after_upload(store: Store, cycle: DemoCycle, file: str, submission_id: int | None, *, actor: str) -> bool:
    """Return ``file``'s submission with its comments when the cycle says so; True when returned."""
    returned = cycle.returned_files.get(file)
    if returned is None or submission_id is None:
        return False
    notes = [review.ValueComment(v.indicator, v.period, v.comment) for v in returned.values]
    review.return_submission(store, submission_id, returned.comment, actor=actor, values=notes, source=SOURCE)
    return True


def review_all(store: Store, cycle: DemoCycle, submission_ids: dict[str, int], *, actor: str) -> dict[str, int]:
    """After the last file: the history approved without locks, the rest approved (locked) except
    the files left awaiting. Returns how many submissions end in each review status."""
    review.accept_history(store, actor=actor, source=SOURCE, before=date(cycle.review_from, 1, 1))
    waiting = {submission_ids[f] for f in cycle.awaiting if f in submission_ids}
    for submission_id in review.submitted_ids(store):
        if submission_id not in waiting:
            review.approve(store, submission_id, actor=actor, source=SOURCE)
    for row in cycle.reopened:
        request = review.request_reopen(store, row.org, row.period, row.reason, actor=f"member:{row.org}",
                                        source=SOURCE)
        if row.granted is not None:
            review.decide_reopen(store, request, grant=row.granted, actor=actor, source=SOURCE)
    return review.status_counts(store)
