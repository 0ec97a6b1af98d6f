"""A command's files committed in groups: each checked as ``load_file`` checks it, then committed with
the files around it in one transaction (``store.group_commit``).

What each file gets is what ``load_file`` would give it, in the order given:
  * a file is checked against what the files before it stored: when its check asks for the values of
    an (organisation, period) a waiting file writes, or for bytes a waiting file holds, the waiting
    files are committed first (``CommandState.flush``); a file writing a pair, or bytes, of a waiting
    file starts a new group (it would supersede within the group);
  * a refused file (its check, or an approved period) is audited after the files before it are
    committed, so the audit log keeps the order of the files;
  * when a group's transaction fails (a period locked meanwhile by another process, a constraint),
    nothing of it is stored, and its files are committed one by one by ``load_file``: each then gets
    the result, or raises the error, it would alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import date, datetime

from framework.model import Framework
from ingest.check_pool import Checked, checked_ahead
from ingest.command_state import CommandState
from ingest.pipeline import (
    CheckedFile,
    FileResult,
    _already_received,
    _audit_locked,
    _audit_rejection,
    _raw_writer,
    check,
    load_file,
)
from ingest.prefetch import ReadAhead
from store.db import Store
from store.group_commit import GroupItem, GroupRefused, commit_group
from store.review import PeriodLocked
from store.submissions import SubmissionMeta, keep_raw_bytes, raw_path

#: Files committed in one transaction at most (a few hundred rows each: memory stays small).
GROUP_FILES = 100
#: The ``load_file`` options a group carries; any other (a dry run, explanations, typed narratives…)
#: takes ``load_file`` file by file.
_GROUP_OPTIONS = frozenset({"member_org", "uploaded_by", "uploaded_at", "today", "audit_actor", "request_scoring"})


def grouped(options: dict) -> bool:
    """Whether files loaded with these ``load_file`` options may be committed in groups."""
    return set(options) <= _GROUP_OPTIONS | {"dry_run"} and not options.get("dry_run")


@dataclass(frozen=True)
class _Waiting:
    """A file checked and waiting for its group's commit."""

    index: int
    ahead: ReadAhead
    checked: CheckedFile
    item: GroupItem


@dataclass
class _Options:
    framework: Framework
    member_org: str | None = None
    uploaded_by: str | None = None
    uploaded_at: datetime | None = None
    today: date | None = None
    audit_actor: str | None = None
    request_scoring: bool = True

    @property
    def actor(self) -> str:
        return self.audit_actor or self.uploaded_by or "command-line"


class _Group:
    """The files waiting for one commit; :meth:`flush` commits them and fills in their results."""

    def __init__(self, store: Store, state: CommandState, options: _Options, results: list[FileResult | None]):
        self.store, self.state, self.options, self.results = store, state, options, results
        self.waiting: list[_Waiting] = []
        state.flush = self.flush

    def add(self, waiting: _Waiting) -> None:
        meta, pairs = waiting.item.meta, waiting.item.pairs
        received = (meta.content_sha256, meta.org_code)
        if received in self.state.pending_received or not self.state.pending_pairs.isdisjoint(pairs):
            self.flush()  # it would supersede a file of the group, or be its bytes again: a new group
        self.waiting.append(waiting)
        self.state.pending_received.add(received)
        self.state.pending_pairs.update(pairs)
        if len(self.waiting) >= GROUP_FILES:
            self.flush()

    def flush(self) -> None:
        if not self.waiting:
            return
        waiting, self.waiting = self.waiting, []
        self.state.pending_received.clear()
        self.state.pending_pairs.clear()
        kept: list[Future] = []

        def keep() -> Callable[[], object]:
            """The raw bytes, written while the rows are inserted, and before the transaction commits."""
            kept.append(_raw_writer().submit(_keep_all, self.store, [w.ahead for w in waiting]))
            return kept[0].result

        try:
            outcomes = commit_group(self.store, [w.item for w in waiting], while_writing=keep)
        except GroupRefused:  # nothing of the group is stored: each file alone, as load_file does it
            for job in kept:
                job.result()
            self._one_by_one(waiting)
            return
        for w, outcome in zip(waiting, outcomes, strict=True):
            meta = w.item.meta
            self.state.committed(meta.content_sha256, meta.org_code, outcome.submission_id, w.item.rows)
            self.results[w.index] = (
                _already_received(meta.file_name, meta.content_sha256, outcome.submission_id)
                if outcome.already_received else
                replace(w.checked.result, status="accepted", submission_id=outcome.submission_id,
                        superseded=outcome.superseded))

    def _one_by_one(self, waiting: list[_Waiting]) -> None:
        o = self.options
        for w in waiting:
            self.results[w.index] = load_file(
                self.store, w.ahead.data, w.item.meta.file_name, framework=o.framework, member_org=o.member_org,
                uploaded_by=o.uploaded_by, uploaded_at=o.uploaded_at, today=o.today, audit_actor=o.audit_actor,
                request_scoring=o.request_scoring, content_sha256=w.ahead.content_sha256, checked=w.checked,
                state=self.state)


def _keep_all(store: Store, files: list[ReadAhead]) -> None:
    for ahead in files:
        keep_raw_bytes(store, ahead.data, ahead.content_sha256)


def load_in_groups(store: Store, tables: Iterable[tuple[str, ReadAhead]], state: CommandState, *,
                   framework: Framework, workers: int = 0, **options) -> list[FileResult]:
    """Each (name, file read) of ``tables`` checked in order and committed in groups; one result per file.
    ``workers``: processes reading and checking the files ahead of the command (``ingest.check_pool``)."""
    options.pop("dry_run", None)  # False here (see ``grouped``)
    o = _Options(framework, **options)
    results: list[FileResult | None] = []
    group = _Group(store, state, o, results)
    files: Iterable[tuple[str, ReadAhead, Future[Checked] | None]] = (
        checked_ahead(tables, state, framework=framework, member_org=o.member_org, today=o.today, count=workers)
        if workers else ((name, ahead, None) for name, ahead in tables))
    try:
        for name, ahead, ahead_check in files:
            results.append(None)
            done = _stage(store, state, group, len(results) - 1, name, ahead, o, ahead_check)
            if done is not None:
                results[-1] = done
        group.flush()
    finally:
        state.flush = None
    return results  # type: ignore[return-value]  (every entry is filled in by now)


def _checked(store: Store, state: CommandState, name: str, ahead: ReadAhead, o: _Options,
             ahead_check: Future[Checked] | None) -> CheckedFile:
    """The file's check: a worker's when the command's own would be the same (``Checked.still_true``),
    the command's own otherwise."""
    if ahead_check is not None and (done := ahead_check.result()).still_true(state):
        return done.checked
    return check(ahead.data, name, framework=o.framework, store=store, member_org=o.member_org, today=o.today,
                 limits=ahead.limits, content_sha256=ahead.content_sha256, raw=ahead.table, state=state)


def _stage(store: Store, state: CommandState, group: _Group, index: int, name: str, ahead: ReadAhead,
           o: _Options, ahead_check: Future[Checked] | None) -> FileResult | None:
    """``load_file``'s steps before its commit for one file: its result when it ends there (received
    before, refused), or None when it waits in ``group``."""
    digest = ahead.content_sha256
    received = state.find_received(digest, o.member_org)
    if received is not None:
        return _already_received(name, digest, received)
    checked = _checked(store, state, name, ahead, o, ahead_check)
    result = checked.result
    if result.status == "rejected":
        group.flush()
        _audit_rejection(store, o.actor, result, o.member_org, ahead.data)
        return result
    rows = checked.validation.rows
    orgs = (list(checked.validation.org_codes) if checked.validation.org_codes is not None
            else rows.get_column("org_code").unique().drop_nulls().to_list())
    submission_org = o.member_org
    if submission_org is None:
        submission_org = orgs[0] if len(orgs) == 1 else None
        received = state.find_received(digest, submission_org)
        if received is not None:
            return _already_received(name, digest, received)
    try:
        state.check_unlocked(rows)
    except PeriodLocked as locked:
        group.flush()
        _audit_locked(store, o.actor, result, o.member_org, locked)
        raise
    meta = SubmissionMeta(
        file_name=name, content_sha256=digest, file_format=result.file_format or "csv", encoding=result.encoding,
        org_code=submission_org, uploaded_by=o.uploaded_by, uploaded_at=o.uploaded_at,
        framework_hash=o.framework.content_hash, report=checked.validation.issues.to_dicts(),
        audit_actor=o.actor, request_scoring=o.request_scoring)
    group.add(_Waiting(index, ahead, checked, GroupItem(rows, meta, raw_path(store, digest), orgs,
                                                        checked.narratives)))
    return None
