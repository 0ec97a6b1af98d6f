"""A command's files read and checked in worker processes, while the command commits the files before.

Reading and checking a small file takes most of its load (a few dozen Polars queries: the per-file
cost, not the rows); it reads nothing stored but the registry and, for the (organisation, period)
pairs that already hold values, those values. A worker is given the registry once, and answers every
question about stored values with "none", noting the pairs it asked about. The command takes the
checks in the order of the files and keeps one only when none of those pairs holds a value, or waits
to be committed, by then (``CommandState.held``, ``pending_pairs``): the check in the command would
have been told "none" too, so it is the same check. Otherwise the file is checked again in the
command, against the values as they are. Each year of a history arrives once: its files ask about
pairs nothing holds yet, and every check done by a worker is kept.

Small files reach a worker by the batch (:data:`BATCH_FILES`), which checks those of one layout as one
table (``ingest.batch_check``: each file's check the one it gets alone) and the others one by one: a
typical file's check fell from about 8 ms of CPU to about 2.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import types
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import partial

import polars as pl

from framework.model import Framework
from ingest.batch_check import ToCheck, check_tables, read_all
from ingest.command_state import CommandState
from ingest.pipeline import CheckedFile, check
from ingest.prefetch import ReadAhead
from ingest.read import Limits, RawTable
from store.submissions import stored_values_schema

#: Files a command must hold before its checks go to workers (starting one costs about a second).
MIN_FILES = 200
#: Workers at most (each starts by importing Polars and the framework: about a second).
MAX_WORKERS = 8
#: Files handed to the workers ahead of the one the command is taking, per worker: enough to keep them
#: checking while the command commits a group (``ingest.group_load.GROUP_FILES``). With eight, the
#: workers of a 1,000-file load sat idle 0.6–0.9 s in all (of about 22 s of checks) while the groups
#: were committed, on PostgreSQL and DuckDB; with 64, 0.1–0.2 s.
AHEAD_PER_WORKER = 64
#: Bytes of files ahead at most, beyond one per worker (a checked file is kept until its turn, a few
#: times its size): large files are not held by the hundred.
AHEAD_BYTES = 64 * 1024 * 1024
#: Files given to a worker at once, checked as few tables as their layouts allow (``ingest.batch_check``;
#: 1: each file alone). Files larger than :data:`TABLE_FILE_BYTES` are given alone.
BATCH_FILES = 32
TABLE_FILE_BYTES = 64 * 1024


def workers() -> int:
    """How many worker processes check files: one per core, at most :data:`MAX_WORKERS` (the command's
    own work, a commit per group of files, is small beside theirs); none on one core, where a worker
    would only take turns with the command."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores, MAX_WORKERS) if cores >= 2 else 0


@dataclass(frozen=True)
class Checked:
    """A file checked by a worker, and the (organisation, period) pairs its check asked stored values for."""

    checked: CheckedFile
    asked: frozenset[tuple[str, str]]

    def still_true(self, state: CommandState) -> bool:
        """Whether the command's own check would be this one: none of the pairs asked about holds a value
        or waits to be committed."""
        return state.held_pairs().isdisjoint(self.asked) and state.pending_pairs.isdisjoint(self.asked)


class _Detached:
    """What a worker's check knows of the command: the registry; no stored value (the pairs asked noted)."""

    def __init__(self, known_orgs: frozenset[str]):
        self.known_orgs = known_orgs
        self.asked: set[tuple[str, str]] = set()

    def stored_values(self, keys: pl.DataFrame, indicators: tuple[str, ...]) -> pl.DataFrame:
        self.asked.update(zip(keys.get_column("org_code").to_list(), keys.get_column("period").to_list(),
                              strict=True))
        return _NOTHING_STORED.clear()


#: What every worker's question about stored values is answered (cleared from one frame made once).
_NOTHING_STORED = pl.DataFrame(schema=stored_values_schema())


@dataclass(frozen=True)
class _Command:
    """What every check of the command shares, given to each worker once."""

    framework: Framework
    known_orgs: frozenset[str]
    member_org: str | None
    today: date | None


_WORKER: list[_Command] = []


@contextmanager
def _no_main_script() -> Iterator[None]:
    """A worker started meanwhile does not run the parent's main script again (``spawn`` does, to
    find what the parent defined there). A worker needs nothing from it (``_check`` lives here), and
    the script may be none a worker can run: a Streamlit page's (the script runner stands it in as
    ``__main__``), or a ``python -c`` one."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _start(command: _Command) -> None:
    _WORKER.append(command)


def _check(data: bytes, name: str, digest: str, limits: Limits, raw: RawTable | None = None) -> Checked:
    """One file checked alone (``raw``: already read with ``limits``)."""
    command = _WORKER[0]
    detached = _Detached(command.known_orgs)
    checked = check(data, name, framework=command.framework, member_org=command.member_org, today=command.today,
                    limits=limits, content_sha256=digest, raw=raw,
                    state=detached)  # type: ignore[arg-type]  (duck-typed)
    return Checked(checked, frozenset(detached.asked))


def _check_many(files: list[ToCheck]) -> list[Checked]:
    """Files checked in one worker: those of one layout as tables (``ingest.batch_check``), the others
    alone; each gets the check it gets alone."""
    command = _WORKER[0]
    try:
        raws = read_all(files)
        taken = check_tables(files, raws, framework=command.framework, known_orgs=command.known_orgs,
                             member_org=command.member_org, today=command.today,
                             nothing_stored=_Detached(command.known_orgs).stored_values)
    except Exception:  # a bug of ours: each file checked alone, so it surfaces in its own file's turn
        return [_check(file.data, file.name, file.digest, file.limits) for file in files]
    return [Checked(done.checked, done.asked) if done is not None
            else _check(file.data, file.name, file.digest, file.limits, raw)
            for file, raw, done in zip(files, raws, taken, strict=True)]


def _window_full(files: int, held: int, count: int) -> bool:
    """Whether ``files`` files of ``held`` bytes under way are as many as the command lets ``count`` workers
    check ahead of it (:data:`AHEAD_PER_WORKER`, :data:`AHEAD_BYTES`)."""
    return files >= count * AHEAD_PER_WORKER or (files > count and held > AHEAD_BYTES)


def _submit(pool: ProcessPoolExecutor, files: list[tuple[str, ReadAhead]]
            ) -> list[tuple[str, ReadAhead, Future[Checked]]]:
    """``files`` given to a worker: one alone, several at once (:func:`_check_many`), each with its own future."""
    if not files:
        return []
    with _no_main_script():  # (a submit may start a worker)
        if len(files) == 1:
            (name, ahead), = files
            return [(name, ahead, pool.submit(_check, ahead.data, name, ahead.content_sha256,
                                               ahead.limits or Limits()))]
        batch = pool.submit(_check_many, [ToCheck(a.data, n, a.content_sha256, a.limits or Limits()) for n, a in files])
    futures: list[Future[Checked]] = [Future() for _ in files]
    batch.add_done_callback(partial(_settle, futures))
    return [(name, ahead, future) for (name, ahead), future in zip(files, futures, strict=True)]


def _settle(futures: list[Future[Checked]], batch: Future[list[Checked]]) -> None:
    """Each file's future given its check, or the batch's exception."""
    if (error := batch.exception()) is not None:
        for future in futures:
            future.set_exception(error)
        return
    for future, done in zip(futures, batch.result(), strict=True):
        future.set_result(done)


def checked_ahead(files: Iterable[tuple[str, ReadAhead]], state: CommandState, *, framework: Framework,
                  member_org: str | None, today: date | None, count: int
                  ) -> Iterator[tuple[str, ReadAhead, Future[Checked]]]:
    """Each (name, file read) with its check under way in a worker, in order; ``count`` workers."""
    context = multiprocessing.get_context("spawn")  # never fork a process holding Polars' and DuckDB's threads
    previous = os.environ.get("POLARS_MAX_THREADS")
    os.environ["POLARS_MAX_THREADS"] = "1"  # each worker is one core's worth of work
    try:
        with ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_start,
                                 initargs=(_Command(framework, state.known_orgs, member_org, today),)) as pool:
            pending: deque[tuple[str, ReadAhead, Future[Checked]]] = deque()
            held = 0  # bytes of the files in ``pending`` and ``waiting``
            waiting: list[tuple[str, ReadAhead]] = []  # files not yet given to a worker, held too
            for name, ahead in files:
                waiting.append((name, ahead))
                held += len(ahead.data)
                # Given when they make a batch, or the window with nothing else under way.
                if (len(waiting) >= BATCH_FILES or len(ahead.data) > TABLE_FILE_BYTES
                        or not pending and _window_full(len(waiting), held, count)):
                    pending.extend(_submit(pool, waiting))
                    waiting = []
                while pending and _window_full(len(pending) + len(waiting), held, count):
                    held -= len(pending[0][1].data)
                    yield pending.popleft()
            pending.extend(_submit(pool, waiting))
            while pending:
                yield pending.popleft()
    finally:
        if previous is None:
            os.environ.pop("POLARS_MAX_THREADS", None)
        else:
            os.environ["POLARS_MAX_THREADS"] = previous
