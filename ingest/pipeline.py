"""One file from bytes to stored rows: check → preview → commit, with one result per file.

This is the single path every upload takes (command line, dashboard, demo loader, tests), so
what the demo shows is what members get. :func:`check` reads and validates the bytes once and
returns a :class:`CheckedFile`; the preview (:func:`preview`), the annotated copy
(``ingest.annotate``) and the commit (:func:`commit`, or ``load_file(..., checked=...)``) all take
it, so the confirm path never reads the file again. A rejected load is audited here, in its own
write, like an accepted one is audited in the commit's transaction: the same entry from every door.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from pathlib import Path
from threading import Lock
from typing import Any

import polars as pl

from framework.model import Framework
from i18n import plural_form, t, tn
from ingest import narratives as narrative_input
from ingest import preview as diffing
from ingest import read as reading
from ingest.command_state import CommandState, find_received_in
from ingest.issues import empty_issues, render_report
from ingest.read import Limits, RawTable
from ingest.rules.codes import concat_issues
from ingest.validate import Validation, ValidationContext, validate_table
from store.audit import record
from store.db import Store
from store.reads.uploads import current_values
from store.rebuild import carry_cycle_state
from store.registry import org_codes, organisation_registry, upsert_organizations
from store.review import PeriodLocked, check_unlocked
from store.submissions import (
    SubmissionMeta,
    commit_submission,
    keep_raw_bytes,
    raw_path,
    stored_values,
    submissions_to_replay,
)
from store.viewer import Viewer


@dataclass(frozen=True)
class FileResult:
    """What happened to one file; ``issues`` holds codes and positions, rendered per language."""

    file_name: str
    status: str  # accepted | rejected | already_received | valid (checked or dry run)
    rows: int
    skipped_rows: int
    submission_id: int | None
    superseded: int
    issues: pl.DataFrame
    content_sha256: str
    file_format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    dry_run: bool = False

    @property
    def accepted(self) -> bool:
        return self.status != "rejected"

    @property
    def error_count(self) -> int:
        return int((self.issues["severity"] == "error").sum())

    @property
    def warning_count(self) -> int:
        return int((self.issues["severity"] == "warning").sum())

    def _one(self, lang: str) -> str:
        """The catalogue suffix of the singular ("1 valeur enregistrée")."""
        return "_one" if plural_form(self.rows, lang) == "one" else ""

    def summary(self, lang: str) -> str:
        if self.status == "already_received":
            return t("report.already_received", lang, submission=self.submission_id)
        if self.status == "rejected":
            text = t("report.rejected", lang) + " · " + tn("report.errors", self.error_count, lang)
        elif self.status == "accepted":
            text = t(f"report.accepted{self._one(lang)}", lang, rows=self.rows, submission=self.submission_id)
        elif self.dry_run:
            text = t(f"report.accepted_dry_run{self._one(lang)}", lang, rows=self.rows)
        else:
            text = t(f"report.checked{self._one(lang)}", lang, rows=self.rows)
        if self.status != "rejected" and self.superseded:
            text += " · " + tn("report.superseded", self.superseded, lang)
        if self.warning_count:
            text += " · " + tn("report.warnings", self.warning_count, lang)
        if self.skipped_rows:
            text += " · " + tn("report.skipped", self.skipped_rows, lang)
        return text

    def report(self, lang: str) -> pl.DataFrame:
        """The issues with message and hint in ``lang`` (what a person reads)."""
        return render_report(self.issues, lang).with_columns(file=pl.lit(self.file_name))

    def to_json(self, lang: str) -> dict:
        return {
            "file": self.file_name,
            "status": self.status,
            "summary": self.summary(lang),
            "rows": self.rows,
            "skipped_rows": self.skipped_rows,
            "submission_id": self.submission_id,
            "superseded": self.superseded,
            "sha256": self.content_sha256,
            "format": self.file_format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sheet": self.sheet,
            "errors": self.error_count,
            "warnings": self.warning_count,
            "issues": self.report(lang).drop("file").to_dicts(),
        }


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def validate_bytes(
    data: bytes,
    file_name: str,
    *,
    framework: Framework,
    known_orgs: frozenset[str] | None,
    member_org: str | None = None,
    today: date | None = None,
    limits: Limits | None = None,
    raw: RawTable | None = None,
    stored: Callable[[pl.DataFrame, tuple[str, ...]], pl.DataFrame] | None = None,
) -> tuple[RawTable, Validation]:
    """Read and validate without touching any database (``raw``: ``data`` already read with ``limits``;
    ``stored``: how to read the values already stored, see ``ValidationContext.stored_values``)."""
    if raw is None:
        limits = limits or Limits()
        raw = reading.read_table(data, file_name, max_bytes=limits.max_bytes, max_rows=limits.max_rows)
    ctx = ValidationContext(framework=framework, known_orgs=known_orgs, member_org=member_org, today=today,
                            delimiter=raw.delimiter, stored_values=stored)
    return raw, validate_table(raw.frame, raw.headers, raw.issues, ctx)


@dataclass(frozen=True)
class CheckedFile:
    """A file read and validated once, handed from the check to the preview, the copy and the commit."""

    data: bytes
    file_name: str
    member_org: str | None
    framework_hash: str
    raw: RawTable
    validation: Validation
    result: FileResult
    #: The narratives the file (or the form) carried, checked (``ingest.narratives.CLEAN_COLUMNS``).
    narratives: pl.DataFrame = field(default_factory=narrative_input.empty_found)

    @property
    def content_sha256(self) -> str:
        return self.result.content_sha256


def check(
    data: bytes,
    file_name: str,
    *,
    framework: Framework,
    store: Store | None = None,
    member_org: str | None = None,
    today: date | None = None,
    limits: Limits | None = None,
    content_sha256: str | None = None,
    raw: RawTable | None = None,
    narratives: pl.DataFrame | None = None,
    state: CommandState | None = None,
) -> CheckedFile:
    """Read and validate ``data`` once. With a store, organisations are checked against its registry and
    parts and totals against the values it holds for the file's organisations and periods. The file's
    narratives (a ``Récit`` sheet, ``narrative`` rows) and ``narratives`` typed on the form
    (``ingest.narratives.form_found``) are checked with it (``ingest.narratives.check``). ``state``: the
    registry and stored values as a command loading many files keeps them (``ingest.command_state``)."""
    known, stored = None, None
    if state is not None:
        known, stored = state.known_orgs, state.stored_values
    elif store is not None:
        known, stored = org_codes(store), partial(stored_values, store)
    if raw is None:
        limits = limits or Limits()
        raw = reading.read_table(data, file_name, max_bytes=limits.max_bytes, max_rows=limits.max_rows)
    raw, flat, flat_headers = narrative_input.split_rows(raw)
    raw, validation = validate_bytes(
        data, file_name, framework=framework, known_orgs=known, member_org=member_org, today=today, limits=limits,
        raw=raw, stored=stored,
    )
    validation, stories = _with_narratives(data, raw, (flat, flat_headers), validation, framework, member_org,
                                           narratives)
    result = FileResult(
        file_name=file_name,
        status="rejected" if validation.has_errors else "valid",
        rows=0 if validation.has_errors else validation.rows.height,
        skipped_rows=validation.skipped_rows,
        submission_id=None,
        superseded=0,
        issues=validation.issues,
        content_sha256=content_sha256 or sha256_hex(data),
        file_format=raw.file_format,
        encoding=raw.encoding,
        delimiter=raw.delimiter,
        sheet=raw.sheet,
    )
    return CheckedFile(data, file_name, member_org, framework.content_hash, raw, validation, result, stories)


def _with_narratives(
    data: bytes, raw: RawTable, flat: tuple[pl.DataFrame, dict[str, str]], validation: Validation,
    framework: Framework, member_org: str | None, typed: pl.DataFrame | None,
) -> tuple[Validation, pl.DataFrame]:
    """The narratives of the file (``flat``: its narrative rows, taken out before its values were
    validated, and its workbook's ``Récit`` sheet) and of the form (``typed``), checked, their
    problems added to the validation. A key given in two of these (a sheet and the form) keeps the later."""
    sheet = narrative_input.sheet_rows(data) if raw.file_format == "xlsx" and raw.headers else None
    sources = [flat, *([sheet] if sheet else []), (typed if typed is not None else narrative_input.empty_found(), {})]
    if all(frame.is_empty() for frame, _ in sources):
        return validation, narrative_input.empty_clean()
    rows = validation.rows
    orgs = [member_org] if member_org else rows.get_column("org_code").unique().drop_nulls().sort().to_list()
    periods = rows.get_column("period").unique().drop_nulls().to_list()
    checked = [narrative_input.check(frame.cast(narrative_input.FOUND_SCHEMA), names, framework, file_orgs=orgs,
                                     file_periods=periods) for frame, names in sources]
    issues = concat_issues([validation.issues, *(i for _, i in checked)])
    clean = pl.concat([c for c, _ in checked]).unique(["org_code", "period", "principle", "lang"], keep="last",
                                                       maintain_order=True)
    return replace(validation, issues=issues), clean


def check_file(data: bytes, file_name: str, **options) -> tuple[FileResult, Validation]:
    """:func:`check`, as the result and the validation (what the command line's ``check`` prints)."""
    checked = check(data, file_name, **options)
    return checked.result, checked.validation


def preview(store: Store, viewer: Viewer, checked: CheckedFile) -> pl.DataFrame:
    """What committing ``checked`` would change, as ``viewer`` may see it: new, changed or unchanged rows."""
    rows = checked.validation.rows
    return diffing.diff(rows, current_values(store, viewer, rows))


def commit(store: Store, checked: CheckedFile, *, framework: Framework, **options) -> FileResult:
    """Commit a file :func:`check` has read and validated, without reading it again."""
    return load_file(store, checked.data, checked.file_name, framework=framework, member_org=checked.member_org,
                     checked=checked, **options)


def load_file(
    store: Store,
    data: bytes,
    file_name: str,
    *,
    framework: Framework,
    member_org: str | None = None,
    uploaded_by: str | None = None,
    uploaded_at: datetime | None = None,
    dry_run: bool = False,
    today: date | None = None,
    limits: Limits | None = None,
    content_sha256: str | None = None,
    raw: RawTable | None = None,
    audit_actor: str | None = None,
    checked: CheckedFile | None = None,
    explanations: pl.DataFrame | None = None,
    explanation_origin: str = "upload",
    request_scoring: bool = True,
    narratives: pl.DataFrame | None = None,
    state: CommandState | None = None,
) -> FileResult:
    """Validate and, when there is no error, commit in one transaction. Never half-writes.

    A caller that has already hashed ``data`` passes ``content_sha256``, one that has already
    read it (with ``limits``) passes the table as ``raw``, and one that has already checked it
    passes the :class:`CheckedFile` as ``checked`` (then nothing is read or validated again). The
    file is recorded in the audit log under ``audit_actor`` (default: ``uploaded_by``): accepted in
    the commit's transaction, rejected in a write of its own; a dry run or a repeat writes nothing.
    ``explanations`` (value key, ``value``, ``explanation``: the member's answers to the values
    ``metrics.outliers.incoming_unusual`` flags) are stored with the rows, in the same transaction. An
    accepted file records a scoring request in its transaction unless ``request_scoring`` is False.
    ``narratives`` (``ingest.narratives.form_found``) are checked and stored with the file's own.
    ``state`` (``ingest.command_state``): what a command loading many files read once, and learns from
    each file it commits; without it, each question is a read."""
    digest = content_sha256 or (checked.content_sha256 if checked is not None else sha256_hex(data))
    actor = audit_actor or uploaded_by or "command-line"
    if not dry_run:
        received = find_received_in(store, state, digest, member_org)
        if received is not None:
            return _already_received(file_name, digest, received)
    if checked is None:
        checked = check(data, file_name, framework=framework, store=store, member_org=member_org, today=today,
                        limits=limits, content_sha256=digest, raw=raw, narratives=narratives, state=state)
    elif (checked.content_sha256, checked.member_org, checked.framework_hash) != (
            digest, member_org, framework.content_hash):
        raise ValueError("the file was checked for other bytes, another organisation or another framework")
    validation, checked_result = checked.validation, checked.result
    if checked_result.status == "rejected" and not dry_run:
        _audit_rejection(store, actor, checked_result, member_org, data)
    if checked_result.status == "rejected" or dry_run:
        return FileResult(**{**checked_result.__dict__, "dry_run": dry_run})
    rows = validation.rows
    orgs = (list(validation.org_codes) if validation.org_codes is not None
            else rows.get_column("org_code").unique().drop_nulls().to_list())
    submission_org = member_org
    if submission_org is None:
        submission_org = orgs[0] if len(orgs) == 1 else None
        received = find_received_in(store, state, digest, submission_org)
        if received is not None:
            return _already_received(file_name, digest, received)
    meta = SubmissionMeta(
        file_name=file_name,
        content_sha256=digest,
        file_format=checked_result.file_format or "csv",
        encoding=checked_result.encoding,
        org_code=submission_org,
        uploaded_by=uploaded_by,
        uploaded_at=uploaded_at,
        framework_hash=framework.content_hash,
        report=validation.issues.to_dicts(),
        audit_actor=actor,
        request_scoring=request_scoring,
    )
    try:  # an approved (locked) organisation + period: refused, audited, nothing stored
        if state is not None:
            state.check_unlocked(rows)
        else:
            check_unlocked(store, rows)
        # The raw bytes are written while the rows are inserted, and before the transaction commits.
        kept = _raw_writer().submit(keep_raw_bytes, store, data, digest)
        outcome = commit_submission(store, rows, meta, raw_path(store, digest), org_codes=orgs,
                                    before_commit=kept.result, explanations=explanations,
                                    explanation_origin=explanation_origin, narratives=checked.narratives)
        kept.result()
    except PeriodLocked as locked:
        _audit_locked(store, actor, checked_result, member_org, locked)
        raise
    if state is not None:
        state.committed(digest, submission_org, outcome.submission_id, rows)
    if outcome.already_received:
        return _already_received(file_name, digest, outcome.submission_id)
    return FileResult(
        **{**checked_result.__dict__, "status": "accepted", "submission_id": outcome.submission_id,
           "superseded": outcome.superseded}
    )


_RAW_WRITER: dict[int, ThreadPoolExecutor] = {}
_RAW_WRITER_LOCK = Lock()


def _raw_writer() -> ThreadPoolExecutor:
    """The thread that keeps uploaded bytes while their rows are inserted: one for the process, not
    one started per file (a thread start costs about a millisecond, on a path that takes a few).
    Keyed by process id: a forked child has the executor but not its thread, and starts its own."""
    with _RAW_WRITER_LOCK:
        if (writer := _RAW_WRITER.get(os.getpid())) is None:
            _RAW_WRITER.clear()
            writer = _RAW_WRITER[os.getpid()] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="athar-raw-bytes")
        return writer


def record_rejection(store: Store, checked: CheckedFile, *, actor: str) -> None:
    """A file refused at its check by a door that stops there (the upload page shows the report and
    never commits a refused file): audited as :func:`load_file` audits it, its bytes kept, so the
    member's home and the reminders know the organisation's last file was refused."""
    if checked.result.status == "rejected":
        _audit_rejection(store, actor, checked.result, checked.member_org, checked.data)


def _audit_rejection(store: Store, actor: str, result: FileResult, org: str | None, data: bytes) -> None:
    """The refused file in the audit log (nothing else was written: there is no change to join).

    Its bytes are kept under their hash, as an accepted file's are, so a reminder can carry the
    annotated copy of the member's last rejected file (``notify.steps``)."""
    keep_raw_bytes(store, data, result.content_sha256)
    record(store, actor, "upload_rejected", outcome="refused",
           detail={"file": result.file_name, "org": org, "status": "rejected", "errors": result.error_count,
                   "sha256": result.content_sha256})


def _audit_locked(store: Store, actor: str, result: FileResult, org: str | None, locked: PeriodLocked) -> None:
    """A file refused because it touches an approved period, in the audit log (nothing else was written)."""
    record(store, actor, "upload_rejected", outcome="refused",
           detail={"file": result.file_name, "org": org, "status": "period_locked",
                   "locked": [f"{o} {p}" for o, p in locked.locked], "sha256": result.content_sha256})


def _already_received(file_name: str, digest: str, submission_id: int) -> FileResult:
    return FileResult(
        file_name=file_name,
        status="already_received",
        rows=0,
        skipped_rows=0,
        submission_id=submission_id,
        superseded=0,
        issues=empty_issues(),
        content_sha256=digest,
    )


def load_path(store: Store, path: Path | str, **options) -> FileResult:
    path = Path(path)
    return load_file(store, path.read_bytes(), path.name, **options)


@dataclass(frozen=True)
class Rebuilt:
    """A rebuild: what each replayed file gave, and the cycle state carried over (``store.rebuild``)."""

    results: list[FileResult]
    carried: dict[str, Any]


def rebuild_from(source: Store, target: Store, framework: Framework, *, actor: str) -> Rebuilt:
    """Rebuild ``target`` from ``source``'s registry and the raw bytes kept for each submission, then
    carry over what the files do not say: review state, comments, locks, reopen requests, explanations,
    the calendar and the reminder schedule (``store.rebuild.carry_cycle_state``).

    Submissions are replayed in their original order, with their uploader and upload time, through
    the ordinary load path, so corrections supersede exactly as they did the first time. ``target``
    must already use ``framework`` (loading never adopts one); ``actor`` is audited for every write.
    """
    upsert_organizations(target, organisation_registry(source), actor=actor, source=str(source.path))
    entries = submissions_to_replay(source)
    results = []
    for entry in entries.iter_rows(named=True):
        data = Path(entry["raw_path"]).read_bytes()
        results.append(
            load_file(target, data, entry["file_name"], framework=framework, member_org=entry["org_code"],
                      uploaded_by=entry["uploaded_by"], uploaded_at=entry["uploaded_at"], today=date.today(),
                      audit_actor=actor)
        )
    id_map = pl.DataFrame(
        {"old_id": entries.get_column("id"),
         "new_id": [r.submission_id if r.status == "accepted" else None for r in results]},
        schema={"old_id": pl.Int64, "new_id": pl.Int64},
    ).drop_nulls()
    return Rebuilt(results, carry_cycle_state(source, target, id_map, actor=actor))


def replay_submissions(source: Store, target: Store, framework: Framework, *, actor: str) -> list[FileResult]:
    """:func:`rebuild_from`, for callers that only look at the files."""
    return rebuild_from(source, target, framework, actor=actor).results
