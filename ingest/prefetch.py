"""Read ahead the first file named on a ``load`` or ``check`` command line.

``python -m ingest load FILE`` spends its first quarter of a second importing NumPy, Polars and
Pydantic, on one core. Meanwhile a thread reads the file and hashes it (file reads and SHA-256
release the interpreter lock); and once ``ingest.read`` is imported (see ``ingest.__main__``),
the same thread reads its table, while DuckDB is imported, the database opened and the framework
loaded. So the bytes, their digest and the table are ready when the command needs them.

Only the standard library is imported here, and nothing depends on the guess of which argument
is the first file: a file that was not read ahead, or that changed since, is read when the
command comes to it, as it would have been without this module.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Options of ``load`` and ``check`` followed by a value (everything else not starting with "-" is a file).
_VALUE_OPTIONS = frozenset({"--db", "--org", "--uploaded-by", "--lang", "--framework"})
_COMMANDS = frozenset({"load", "check"})


@dataclass(frozen=True)
class ReadAhead:
    """A file as it was read ahead."""

    data: bytes
    content_sha256: str | None  # None when not computed yet
    table: Any = None  # its ``ingest.read.RawTable``, read with ``limits``
    limits: Any = None  # ``ingest.read.Limits``


_thread: threading.Thread | None = None
_files: dict[str, tuple[os.stat_result, ReadAhead]] = {}
_reader: tuple[Callable[[bytes, str, Any], Any], Any] | None = None
_reader_set = threading.Event()


def start(argv: list[str]) -> bool:
    """Start reading the first file of ``argv`` (the command line after ``python -m ingest``);
    whether there may be one."""
    global _thread
    if not argv or argv[0] not in _COMMANDS or _thread is not None:
        return False
    paths: list[str] = []
    value_next = False
    for arg in argv[1:]:
        if value_next:
            value_next = False
        elif arg.startswith("-"):
            value_next = arg in _VALUE_OPTIONS
        else:
            paths.append(arg)
    if not paths:
        return False
    _thread = threading.Thread(target=_read_first, args=(paths,), name="ingest-prefetch", daemon=True)
    _thread.start()
    return True


def read_first_table(read: Callable[[bytes, str, Any], Any], limits: Any) -> None:
    """Let the thread go on to read the file's table with ``read(data, file_name, limits)``."""
    global _reader
    _reader = (read, limits)
    _reader_set.set()


def _read_first(paths: list[str]) -> None:
    first: str | None = None
    for path in paths:  # the first argument that is a readable regular file
        try:
            with open(path, "rb") as handle:
                status = os.fstat(handle.fileno())
                if not stat.S_ISREG(status.st_mode):
                    continue
                data = handle.read()
        except OSError:
            continue
        first = os.path.abspath(path)
        _files[first] = (status, ReadAhead(data, hashlib.sha256(data).hexdigest()))
        break
    if first is None:
        return
    _reader_set.wait()  # set by read_first_table, or by take when no table is wanted
    if _reader is None:
        return
    read, limits = _reader
    status, ahead = _files[first]
    try:
        table = read(ahead.data, os.path.basename(first), limits)
    except Exception:  # noqa: BLE001 — the command reads the file again and meets the problem itself
        return
    _files[first] = (status, ReadAhead(ahead.data, ahead.content_sha256, table, limits))


def take(path: str | os.PathLike[str]) -> ReadAhead | None:
    """What was read ahead of ``path``, if it was and the file has not changed since; None
    otherwise. It is handed out once."""
    if _thread is None:
        return None
    _reader_set.set()  # no table is read ahead any more if none was asked for by now
    _thread.join()
    entry = _files.pop(os.path.abspath(path), None)
    if entry is None:
        return None
    before, ahead = entry
    try:
        now = os.stat(path)
    except OSError:
        return None
    same = (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) == (
        before.st_dev, before.st_ino, before.st_size, before.st_mtime_ns)
    return ahead if same else None
