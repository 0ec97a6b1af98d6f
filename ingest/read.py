"""Reading stage: the bytes of an uploaded file → a table of text cells with Excel line numbers.

One module per step; this one decides which step runs and is the stage's public face
(``read_table``, ``RawTable``, ``Limits``, ``human_size``):

* bytes → what the file is (``ingest.sniff``): an XLSX, another format refused with
  ``unsupported_format``, binary, or text;
* bytes → text (``ingest.encoding``, then ``ingest.dialect`` for the delimiter and header row):
  a file whose head is UTF-8 but whose rest is not is decoded again as Windows-1256/1252, and a
  cp1252 reading that finds no table but holds ``º`` (``؛`` in cp1256) is tried as cp1256;
* text → records (``ingest.csv_parser``: the vectorised fast path, and the csv module's exact
  reading for malformed quoting), or a workbook's sheet → rows (``ingest.xlsx``);
* records → the table (``ingest.assemble``: blank rows, header width, wrong cell counts, rows
  swallowed by a quoted cell, long cells, unclosed quotes) and damaged text (``ingest.damage``).

Every problem of the file is an issue, never an exception. A reading failure is never relabelled:
a workbook whose zip or XML is damaged is ``damaged_workbook`` (``ingest.xlsx``), and an exception
of any other type is a bug, which propagates to the caller (the command line reports it briefly).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

import settings
from ingest import csv_parser
from ingest import encoding as enc
from ingest.assemble import MAX_CELL_CHARS, RawTable, assemble_sheet, assemble_text, refused
from ingest.damage import MAX_TEXT_WARNINGS, WARNING_VALUE_CHARS
from ingest.dialect import detect_dialect
from ingest.issues import Issue, IssueCode
from ingest.sniff import is_blank, sniff
from ingest.xlsx import WorkbookProblem, read_workbook

__all__ = [
    "MAX_CELL_CHARS",
    "MAX_TEXT_WARNINGS",
    "WARNING_VALUE_CHARS",
    "Limits",
    "RawTable",
    "human_size",
    "read_table",
]

#: Bytes of the decoded file used to decide the dialect.
SAMPLE_BYTES = enc.HEAD_BYTES
#: Names of a file meant as a workbook: a zip that cannot be read under such a name is a damaged one.
WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class Limits:
    """Upload limits; set ATHAR_MAX_UPLOAD_MB / ATHAR_MAX_ROWS to change them."""

    max_bytes: int = field(default_factory=lambda: settings.get("ATHAR_MAX_UPLOAD_MB") * 2**20)
    max_rows: int = field(default_factory=lambda: settings.get("ATHAR_MAX_ROWS"))


def read_table(
    data: bytes, file_name: str, *, max_bytes: int = 100 * 2**20, max_rows: int = 2_000_000
) -> RawTable:
    """Read an uploaded file. Never raises on bad input: every problem of the file is an issue; an
    exception is a bug of ours and propagates (it must not be reported as a problem of the file)."""
    file_format = "txt" if PurePath(file_name).suffix.lower() == ".txt" else "csv"
    return _read(bytes(data), file_name, file_format, max_bytes, max_rows)


def human_size(size: int) -> str:
    """Sizes as people read them: 120 MB, 3.5 MB, 800 KB."""
    if size >= 10 * 2**20:
        return f"{size / 2**20:.0f} MB"
    if size >= 2**20:
        return f"{size / 2**20:.1f} MB"
    return f"{max(size / 2**10, 0.1):.0f} KB" if size >= 2**10 else f"{size} B"


# -- format ------------------------------------------------------------------------------------
def _read(data: bytes, file_name: str, file_format: str, max_bytes: int, max_rows: int) -> RawTable:
    if len(data) > max_bytes:
        issue = Issue(IssueCode.FILE_TOO_LARGE, value=human_size(len(data)), expected=human_size(max_bytes))
        return refused(issue, file_format)
    if is_blank(data):
        return refused(Issue(IssueCode.EMPTY_FILE), file_format)
    kind, label = sniff(data, file_name)
    if kind == "xlsx":
        return _read_xlsx(data, max_bytes, max_rows)
    if kind == "bad_zip":  # a zip whose directory cannot be read: damaged, if it was meant as a workbook
        workbook = PurePath(file_name).suffix.lower() in WORKBOOK_EXTENSIONS
        return refused(Issue(IssueCode.DAMAGED_WORKBOOK if workbook else IssueCode.XLSX_INVALID, value=label), "xlsx")
    if kind == "unsupported":  # the format the bytes show (XLS, PDF…), not the one the name claims
        return refused(Issue(IssueCode.UNSUPPORTED_FORMAT, value=label), (label or file_format).split(" ")[0].lower())
    if kind == "binary":
        return refused(Issue(IssueCode.BINARY_FILE), file_format)
    if kind == "encrypted":
        return refused(Issue(IssueCode.ENCRYPTED_WORKBOOK), "xlsx")
    return _read_text(data, file_format, max_rows)


# -- text --------------------------------------------------------------------------------------
def _read_text(data: bytes, file_format: str, max_rows: int, encoding: str | None = None) -> RawTable:
    try:
        encoding = encoding or enc.detect_encoding(data, verify_utf8=False)
        buf = enc.utf8_bytes(data, encoding)
    except enc.EncodingError as error:
        return refused(Issue(IssueCode.UNDECODABLE_TEXT, value=str(error)), file_format)
    if buf.endswith(b"\x1a"):
        buf = buf.rstrip(b"\x1a")  # DOS end-of-file mark
    if b"\n" not in buf and b"\r" in buf:
        buf = buf.replace(b"\r", b"\n")  # classic Mac line ends
    sample = buf[:SAMPLE_BYTES].decode("utf-8", errors="ignore").removeprefix("\ufeff")
    dialect = detect_dialect(sample, complete=len(buf) <= SAMPLE_BYTES)
    if dialect is None:
        if encoding == "cp1252" and b"\xba" in data:  # º in cp1252, the Arabic list separator ؛ in cp1256
            return _read_text(data, file_format, max_rows, "cp1256")
        return refused(Issue(IssueCode.NOT_A_TABLE), file_format, encoding=encoding)
    parsed, hints = csv_parser.parse_text(buf, dialect)
    if parsed is None:
        if encoding == "utf-8" and not enc.is_utf8(data):  # the head was UTF-8, the rest is not
            return _read_text(data, file_format, max_rows, enc.single_byte_encoding(data))
        try:
            parsed = csv_parser.parse_exact(buf, dialect)
        except UnicodeDecodeError as error:
            return refused(Issue(IssueCode.UNDECODABLE_TEXT, value=f"{encoding}: {error.reason}"), file_format)
    return assemble_text(parsed, dialect, file_format, encoding, max_rows, hints)


# -- xlsx --------------------------------------------------------------------------------------
def _read_xlsx(data: bytes, max_bytes: int, max_rows: int) -> RawTable:
    try:
        sheet = read_workbook(data, max_bytes=max_bytes, max_rows=max_rows)
    except WorkbookProblem as problem:
        return refused(problem.issue, "xlsx")
    return assemble_sheet(sheet, max_rows)

