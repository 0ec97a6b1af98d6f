"""Many files in one command (``python -m ingest load FILE...``): each file as ``load_file`` takes it.

Every file is still checked in the order given and gets the result it would get alone; each is stored
whole or not at all, its rows, submission, kept bytes and audit entry in one transaction. The files that
pass their checks are committed in groups (``ingest.group_load``, ``store.group_commit``): one
transaction for up to a hundred files, instead of one each. What one command shares between its files:
the database's state read once (``ingest.command_state``), and either a thread that reads the next
files' tables while the current one is checked (reading bytes into text cells depends on nothing
stored, so it may run ahead), or, from 200 files, worker processes that read and check the next files
(``ingest.check_pool``: a check that asked about values stored meanwhile is done again, in order).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from framework.model import Framework
from ingest import check_pool
from ingest.command_state import CommandState
from ingest.group_load import grouped, load_in_groups
from ingest.pipeline import FileResult, load_file, sha256_hex
from ingest.prefetch import ReadAhead
from ingest.read import Limits, RawTable, read_table
from store.db import Store

#: Files whose tables are read ahead of the one being loaded (a few: memory stays that of a few files).
READ_AHEAD = 4


def _read(data: bytes, name: str, limits: Limits) -> RawTable:
    return read_table(data, name, max_bytes=limits.max_bytes, max_rows=limits.max_rows)


def _tables(payloads: list[tuple[Path, ReadAhead]], limits: Limits) -> Iterator[ReadAhead]:
    """Each payload with its table, read up to :data:`READ_AHEAD` files ahead in a thread; payloads
    are let go as they are handed out."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="athar-read-ahead") as reader:
        pending: deque[tuple[ReadAhead, Future[RawTable] | None]] = deque()
        while payloads or pending:
            while payloads and len(pending) < READ_AHEAD:
                path, ahead = payloads.pop(0)
                job = None if ahead.table is not None else reader.submit(_read, ahead.data, path.name, limits)
                pending.append((ahead, job))
            ahead, job = pending.popleft()
            if job is None:
                yield ahead
            else:  # a reading failure is a bug of ours: it propagates here, in the file's turn
                yield ReadAhead(ahead.data, ahead.content_sha256, job.result(), limits)


def load_files(
    store: Store, payloads: list[tuple[Path, ReadAhead]], *, framework: Framework, **options
) -> list[FileResult]:
    """``load_file`` for each (path, bytes read) of ``payloads``, in order, sharing one
    :class:`~ingest.command_state.CommandState`; ``options`` are those of ``load_file``. The files that
    pass their checks are committed in groups (``ingest.group_load``), each file whole or absent and
    with the result it would get alone; a dry run, or options a group does not carry (explanations,
    narratives typed on a form), take ``load_file`` file by file."""
    hashed = [(path, ahead if ahead.content_sha256 else ReadAhead(ahead.data, sha256_hex(ahead.data), ahead.table,
                                                                   ahead.limits)) for path, ahead in payloads]
    payloads.clear()
    names = [path.name for path, _ in hashed]
    state = CommandState.load(store, [ahead.content_sha256 for _, ahead in hashed])
    if not grouped(options):
        tables = zip(names, _tables(hashed, Limits()), strict=True)
        return [load_file(store, ahead.data, name, framework=framework, content_sha256=ahead.content_sha256,
                          raw=ahead.table, limits=ahead.limits, state=state, **options) for name, ahead in tables]
    if len(hashed) >= check_pool.MIN_FILES and (count := check_pool.workers()):
        # the workers read and check the files: no thread reads them here
        return load_in_groups(store, zip(names, (ahead for _, ahead in hashed), strict=True), state,
                              framework=framework, workers=count, **options)
    return load_in_groups(store, zip(names, _tables(hashed, Limits()), strict=True), state, framework=framework,
                          **options)
