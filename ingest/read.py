"""Reading stage: the bytes of an uploaded file → a table of text cells with Excel line numbers.

What it decides, and where:

* the format, from the content (``_sniff``): an XLSX is a zip holding ``xl/workbook.xml``
  whatever its name; old ``.xls``, PDF, images, other zips and binary files (a NUL byte, or many
  control bytes: a handful pasted into a note is still text) are refused with
  ``unsupported_format``; anything else is text (``.txt`` → Excel "Unicode text", else CSV);
* the encoding (``ingest.encoding``) and the delimiter and header row (``ingest.dialect``); the
  Arabic list separator ``؛`` (two bytes in UTF-8) is swapped for a one-byte stand-in absent from
  the file while parsing, and put back in the cells;
* the sheet and the text of each cell of a workbook (``ingest.xlsx``).

The text path never loops over rows in Python. Polars parses the UTF-8 bytes (every column a
string, no inference, the header read as a record so that we keep control of it). Polars cannot
tell a missing cell from an empty one, so the number of cells of each record is computed from the
bytes, vectorised: numpy finds the record ends (newlines outside quotes), and each record's byte
length minus the bytes of its parsed cells, of its quote characters and of its line end is exactly
its number of delimiters. A file Polars refuses, or on which the two readings disagree (stray
quotes), is read again by the csv module, which follows Excel's rules for malformed quoting.
A quoted cell that the csv module (like Excel) lets run to the end of the file, swallowing further
lines, is an ``unclosed_quote`` error on its record (checked on that last record only).

Cells are never stripped or otherwise changed (hostile text is kept verbatim), except that a line
break written as CR LF inside a quoted cell becomes LF, as Excel stores it. Empty cells are ``""``
(never null). Rows with every cell empty are dropped; line numbers are those Excel shows (header =
line 1 when it is the first row; a multi-line quoted cell is one row; blank lines count as rows).
A row with the wrong number of cells is kept, cut to the header width, and reported.

Damaged text (Arabic already lost as ``?``; UTF-8 read as Windows-1252 or Windows-1256 and saved
again) gives one warning per damaged cell, at most ``MAX_TEXT_WARNINGS`` per column, each with the
number of damaged cells of its column. The regular expressions only run when a byte scan has found
a candidate (``??``, or a UTF-8 pair such as ``C3 83`` = "Ã", or ``D8 A3 C2`` = "أ" + a symbol).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath

import numpy as np
import polars as pl

import settings
from ingest import encoding as enc
from ingest.dialect import QUOTE, Dialect, detect_dialect, header_position
from ingest.issues import Issue, cell_issues, empty_issues, issues_frame, sort_issues
from ingest.xlsx import SheetCells, WorkbookProblem, read_workbook, zip_kind

_log = logging.getLogger(__name__)

#: Longest cell accepted, in characters.
MAX_CELL_CHARS = 10_000
#: Bytes of the decoded file used to decide the dialect.
SAMPLE_BYTES = enc.HEAD_BYTES
#: Bytes compared at a time by the vectorised scans.
_SCAN_BLOCK = 1 << 20
#: Length of the cell text quoted in a text warning.
WARNING_VALUE_CHARS = 60
#: Damaged-text warnings per (code, column): enough for a member to see which lines to fix.
MAX_TEXT_WARNINGS = 20
#: Control bytes a text head may hold whatever its size (ESC, BEL… pasted into a note).
STRAY_CONTROL_BYTES = 16

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "XLS"),
    (b"%PDF", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x1f\x8b", "GZIP"),
    (b"7z\xbc\xaf\x27\x1c", "7Z"),
    (b"Rar!\x1a\x07", "RAR"),
    (b"{\\rtf", "RTF"),
)
#: The stream name of a password-protected Office file (UTF-16LE, in the OLE2 directory).
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ZIP_LABELS = {"xlsb": "XLSB", "docx": "DOCX", "pptx": "PPTX", "ods": "ODS", "odt": "ODT", "zip": "ZIP"}
#: Bytes that text may hold; what ``translate`` leaves of a head is its control bytes.
_TEXT_BYTES = bytes(range(0x20, 0x100)) + b"\t\n\r\x0b\x0c\x1a"
_BLANK_BYTES = re.compile(rb"[ \t\r\n\x0b\x0c]*\Z")
#: One-byte stand-ins for a delimiter Polars cannot take (``؛`` is two bytes in UTF-8): the first
#: that the file does not hold is used.
_STAND_INS = tuple(bytes([b]) for b in (*range(0x1F, 0x1B, -1), *range(0x01, 0x09), *range(0x0E, 0x1A)))
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: A line break followed by more text: what a quoted cell that never closes has swallowed.
_MORE_LINES = re.compile(r"[\r\n]\s*\S")
_BLANK_UTF16 = {
    b"\xff\xfe": re.compile(rb"(?:[ \t\r\n]\x00)*\Z"),
    b"\xfe\xff": re.compile(rb"(?:\x00[ \t\r\n])*\Z"),
}

# Damaged text. Only question marks (at least two) among spaces and punctuation, or at least two
# words made only of "??…": what a Western Excel leaves of Arabic saved as "CSV".
_QUESTION_ONLY = r"^[\s\p{P}\p{S}]*\?[\s\p{P}\p{S}]*\?[\s\p{P}\p{S}]*$"
_QUESTION_WORDS = r"(?:^|\s)\?{2,}(?:\s|\p{P}|$)"
# UTF-8 read as Windows-1252 and saved again: a lead byte C2-C3 / D8-DB / E2 shown as Â Ã Ø Ù Ú Û â
# followed by continuation bytes 80-BF shown as cp1252 characters ("Ã©", "â€“", "Ø§", "Ù„").
_CP1252_CONTINUATION = "".join(
    (bytes([b]).decode("cp1252", errors="ignore") or chr(b)) for b in range(0x80, 0xC0)
)


def _char_class(chars: str) -> str:
    """A regex class of exactly these characters (written as code points: some are invisible)."""
    return "[" + "".join(f"\\x{{{ord(ch):X}}}" for ch in chars) + "]"


_CONT = _char_class(_CP1252_CONTINUATION)
_MOJIBAKE_1252 = rf"[\x{{C2}}\x{{C3}}\x{{D8}}-\x{{DB}}]{_CONT}|\x{{E2}}{_CONT}{_CONT}|\x{{C3}} "
#: UTF-8 bytes of Â Ã Ø Ù Ú Û â (C3 xx): no such pair in the file → no mojibake to look for.
_MOJIBAKE_LEADS = np.array([0x82, 0x83, 0x98, 0x99, 0x9A, 0x9B, 0xA2], dtype=np.uint8)
# UTF-8 read as Windows-1256 (Arabic Excel) and saved again: a lead byte D8-DB shown as ط ظ ع غ, or
# C2-C3 shown as آ أ, followed by a continuation byte 80-BF shown as a cp1256 character ("ظ…ط³طھ",
# "Bأ©n", "1آ 250", "آ« kits آ»"). Genuine Arabic never has two Arabic pairs in a row, an accent pair
# only counts glued to a Latin letter (a genuine «أ» is not damage) or as the word "à", and a C2
# pair (آ + a symbol: no-break space, « » °) only at the start of a word or after a digit.
_CP1256_CONTINUATION = bytes(range(0x80, 0xC0)).decode("cp1256")
_CP1256_SYMBOLS = "".join(ch for ch in _CP1256_CONTINUATION[0x20:] if ch not in "،؛؟ھ")


_CONT_1256 = _char_class(_CP1256_CONTINUATION)
_MOJIBAKE_1256 = (
    rf"(?:[\x{{637}}-\x{{63A}}]{_CONT_1256}){{2}}"
    rf"|[A-Za-z][\x{{622}}\x{{623}}]{_CONT_1256}|[\x{{622}}\x{{623}}]{_CONT_1256}[A-Za-z]"
    rf"|(?:^|[\s0-9])\x{{622}}{_char_class(_CP1256_SYMBOLS)}"
    r"|(?:^|\s)\x{623}\x{A0}\s"  # "à" alone: أ and a no-break space before a space
)
_MOJIBAKE = f"{_MOJIBAKE_1252}|{_MOJIBAKE_1256}"
#: Second UTF-8 byte of آ أ ط ظ ع غ (D8 xx): such a pair before a C2 byte (most cp1256 symbols) is
#: the evidence that lets the cp1256 pattern run.
_MOJIBAKE_1256_LEADS = np.array([0xA2, 0xA3, 0xB7, 0xB8, 0xB9, 0xBA], dtype=np.uint8)


@dataclass(frozen=True)
class RawTable:
    """A read file: text cells by position, Excel line numbers, and read-level problems."""

    frame: pl.DataFrame  # "c0".."c{n-1}" (String) + "__line" (Int64, Excel row; header = 1); data rows only
    headers: list[str]  # header cells as written (BOM removed); len == number of c* columns
    file_format: str  # "csv" | "txt" | "xlsx"
    encoding: str | None  # None for xlsx
    delimiter: str | None  # None for xlsx
    sheet: str | None  # xlsx sheet used
    issues: pl.DataFrame  # ISSUE_SCHEMA
    header_line: int = 1  # Excel row of the header (xlsx: title rows above it are skipped)


@dataclass(frozen=True)
class Limits:
    """Upload limits; set ATHAR_MAX_UPLOAD_MB / ATHAR_MAX_ROWS to change them."""

    max_bytes: int = field(default_factory=lambda: settings.get("ATHAR_MAX_UPLOAD_MB") * 2**20)
    max_rows: int = field(default_factory=lambda: settings.get("ATHAR_MAX_ROWS"))


def read_table(
    data: bytes, file_name: str, *, max_bytes: int = 100 * 2**20, max_rows: int = 2_000_000
) -> RawTable:
    """Read an uploaded file. Never raises on bad input: every problem is an issue."""
    file_format = "txt" if PurePath(file_name).suffix.lower() == ".txt" else "csv"
    try:
        return _read(bytes(data), file_name, file_format, max_bytes, max_rows)
    except Exception:  # noqa: BLE001 — a bug must not take the upload page down; the file is refused, the trace logged
        _log.exception("reading %r failed", file_name)
        return _refused(Issue("not_a_table"), file_format)


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
        issue = Issue("file_too_large", value=human_size(len(data)), expected=human_size(max_bytes))
        return _refused(issue, file_format)
    if _is_blank(data):
        return _refused(Issue("empty_file"), file_format)
    kind, label = _sniff(data, file_name)
    if kind == "xlsx":
        return _read_xlsx(data, max_bytes, max_rows)
    if kind == "bad_zip":
        return _refused(Issue("xlsx_invalid", value=label), "xlsx")
    if kind == "unsupported":  # the format the bytes show (XLS, PDF…), not the one the name claims
        return _refused(Issue("unsupported_format", value=label), (label or file_format).split(" ")[0].lower())
    if kind == "binary":
        return _refused(Issue("binary_file"), file_format)
    if kind == "encrypted":
        return _refused(Issue("encrypted_workbook"), "xlsx")
    return _read_text(data, file_format, max_rows)


def _is_blank(data: bytes) -> bool:
    """Nothing but a BOM and whitespace."""
    for bom, pattern in _BLANK_UTF16.items():
        if data.startswith(bom):
            return pattern.match(data, len(bom)) is not None
    return _BLANK_BYTES.match(data, 3 if data.startswith(enc.UTF8_BOM) else 0) is not None


def _sniff(data: bytes, file_name: str) -> tuple[str, str | None]:
    """("xlsx" | "bad_zip" | "encrypted" | "unsupported" | "binary" | "text", label shown to the user)."""
    extension = PurePath(file_name).suffix.lower()

    def label(kind: str) -> str:
        return f"{kind} ({extension})" if extension and extension[1:].upper() != kind else kind

    if data.startswith(_ZIP_MAGIC):
        kind = zip_kind(data)
        if kind == "xlsx":
            return "xlsx", None
        if kind == "corrupt":
            return "bad_zip", label("ZIP")
        return "unsupported", label(_ZIP_LABELS[kind])
    if data.startswith(_MAGIC[0][0]) and _ENCRYPTED_PACKAGE in data:
        return "encrypted", None  # a workbook saved with a password: an OLE2 box around the encrypted xlsx
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return "unsupported", label(kind)
    head = data[:8192]
    unicode_text = head.startswith((b"\xff\xfe", b"\xfe\xff")) or enc.sniff_utf16(head) is not None
    if not unicode_text:
        controls = head.translate(None, _TEXT_BYTES)
        if b"\x00" in controls or len(controls) > max(STRAY_CONTROL_BYTES, 0.01 * len(head)):
            return "binary", None
        markup = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1024].lower()
        if markup.startswith(b"<"):
            if b"<html" in markup or markup.startswith(b"<!doctype html"):
                return "unsupported", label("HTML")
            if markup.startswith(b"<?xml"):
                return "unsupported", label("XML")
    return "text", None


# -- results -----------------------------------------------------------------------------------
def _empty_frame(width: int = 0) -> pl.DataFrame:
    return pl.DataFrame(schema={**{f"c{i}": pl.String for i in range(width)}, "__line": pl.Int64})


def _refused(
    issue: Issue,
    file_format: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    headers: list[str] | None = None,
    extra: pl.DataFrame | None = None,
) -> RawTable:
    """A file that cannot give rows: an empty frame and the fatal issue."""
    headers = headers or []
    issues = issues_frame([issue])
    if extra is not None and extra.height:
        issues = pl.concat([issues, extra])
    return RawTable(_empty_frame(len(headers)), headers, file_format, encoding, delimiter, sheet, issues)


# -- text --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Parsed:
    """Every record of a text file: cells c0.. and "__row" (0-based record index) in ``frame``, and
    per record, kept out of the frame (a column with other chunks would make Polars copy every
    cell): its number of cells and whether it may be blank (a superset, from its first byte)."""

    frame: pl.DataFrame
    counts: np.ndarray
    maybe_blank: np.ndarray | None
    crlf_in_cells: bool = False
    unclosed: _Unclosed | None = None
    line_breaks_in_cells: bool = True  # False only when the byte scan saw none (fast path)


@dataclass(frozen=True)
class _Unclosed:
    """A quoted cell that never closes and swallowed the lines after it (exact path only)."""

    record: int  # 0-based record index (the last record)
    cell: int  # its position in the record
    value: str  # the start of its text, line breaks shown as ↵


@dataclass(frozen=True)
class _Records:
    """Where the records are, from a vectorised scan of the bytes."""

    starts: np.ndarray  # each record's first byte
    ends: np.ndarray  # each record's line feed (len(buf) for a last record without one)
    quotes: np.ndarray | None  # quote characters per record that are not cell text (None: no quote)
    crs: np.ndarray  # 1 where the record's line end is CR LF (Polars drops that CR)
    maybe_blank: np.ndarray  # the record starts with a byte a blank record can start with
    crlf_in_cells: bool  # a quoted cell holds a CR LF line break
    line_breaks_in_cells: bool = False  # a quoted cell holds a line feed


@dataclass(frozen=True)
class _Hints:
    """Cheap byte-level evidence that decides whether the (costly) text checks run at all."""

    question_marks: bool
    mojibake: bool
    lone_cr: bool  # a CR not followed by LF: a line break for Excel and the csv module, not for Polars


def _read_text(data: bytes, file_format: str, max_rows: int, encoding: str | None = None) -> RawTable:
    try:
        encoding = encoding or enc.detect_encoding(data, verify_utf8=False)
        buf = enc.utf8_bytes(data, encoding)
    except enc.EncodingError as error:
        return _refused(Issue("undecodable_text", value=str(error)), file_format)
    if buf.endswith(b"\x1a"):
        buf = buf.rstrip(b"\x1a")  # DOS end-of-file mark
    if b"\n" not in buf and b"\r" in buf:
        buf = buf.replace(b"\r", b"\n")  # classic Mac line ends
    sample = buf[:SAMPLE_BYTES].decode("utf-8", errors="ignore").removeprefix("\ufeff")
    dialect = detect_dialect(sample, complete=len(buf) <= SAMPLE_BYTES)
    if dialect is None:
        if encoding == "cp1252" and b"\xba" in data:  # º in cp1252, the Arabic list separator ؛ in cp1256
            return _read_text(data, file_format, max_rows, "cp1256")
        return _refused(Issue("not_a_table"), file_format, encoding=encoding)
    parsed, hints = _parse_text(buf, dialect)
    if parsed is None:
        if encoding == "utf-8" and not enc.is_utf8(data):  # the head was UTF-8, the rest is not
            return _read_text(data, file_format, max_rows, enc.single_byte_encoding(data))
        try:
            parsed = _parse_exact(buf, dialect)
        except UnicodeDecodeError as error:
            return _refused(Issue("undecodable_text", value=f"{encoding}: {error.reason}"), file_format)
    return _assemble_text(parsed, dialect, file_format, encoding, max_rows, hints)


def _parse_text(buf: bytes, dialect: Dialect) -> tuple[_Parsed | None, _Hints]:
    """The fast reading. Polars takes a one-byte separator only, so a wider delimiter (``؛``) is
    swapped for a byte the file does not hold, and put back in the cells afterwards: only such
    files pay for the copy."""
    wide = dialect.delimiter.encode()
    if len(wide) == 1:
        return _parse_fast(buf, dialect)
    stand_in = next((b for b in _STAND_INS if b not in buf), None)
    if stand_in is None:
        return None, _scan_hints(buf)  # the csv module takes the delimiter as it is
    parsed, hints = _parse_fast(buf.replace(wide, stand_in), replace(dialect, delimiter=stand_in.decode()))
    if parsed is not None:
        cells = [c for c in parsed.frame.columns if c.startswith("c")]
        restored = pl.col(cells).str.replace_all(stand_in.decode(), dialect.delimiter, literal=True)
        parsed = replace(parsed, frame=parsed.frame.with_columns(restored))
    return parsed, hints


def _polars_cells(buf: bytes, delimiter: str, width: int) -> pl.DataFrame | None:
    """Every record as ``width`` string cells ("" when empty or missing), or None if Polars refuses."""
    try:
        return pl.read_csv(
            buf,
            has_header=False,
            separator=delimiter,
            quote_char=QUOTE,
            infer_schema=False,
            schema={f"c{i}": pl.String for i in range(width)},
            empty_string_is_null=False,
            missing_columns="insert",
            truncate_ragged_lines=True,
            raise_if_empty=False,
            row_index_name="__row",
        )
    except BaseException as error:  # Polars raises ComputeError, and a PanicException on some inputs
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        return None


def _blank_starts(delimiter: str) -> np.ndarray:
    """First bytes a blank record may start with: line ends, delimiter, quote, whitespace (and the
    lead bytes of Unicode spaces: U+0085/U+00A0, U+1680, U+2000-U+205F, U+3000)."""
    table = np.zeros(256, dtype=bool)
    table[[9, 10, 11, 12, 13, 32, 34, ord(delimiter), 0xC2, 0xE1, 0xE2, 0xE3]] = True
    return table


def _find_bytes(a: np.ndarray, values: tuple[int, ...]) -> list[np.ndarray]:
    """Positions of each byte value, scanning block by block: one pass, cache-sized temporaries
    (file-sized ones cost more in page faults than in comparisons)."""
    found: list[list[np.ndarray]] = [[] for _ in values]
    mask = np.empty(min(_SCAN_BLOCK, a.size), dtype=bool)
    for start in range(0, a.size, _SCAN_BLOCK):
        block = a[start : start + _SCAN_BLOCK]
        hit = mask[: block.size]
        for positions, value in zip(found, values, strict=True):
            np.equal(block, value, out=hit)
            where = np.flatnonzero(hit)
            if where.size:
                positions.append(where + start)
    return [np.concatenate(p) if p else np.empty(0, dtype=np.int64) for p in found]


def _scan_records(buf: bytes, delimiter: str) -> _Records | None:
    """Record ends and quotes, vectorised over the bytes; None when quoting is not well formed."""
    a = np.frombuffer(buf, dtype=np.uint8)
    newlines, positions = _find_bytes(a, (10, 34))
    crlf_in_cells = line_breaks_in_cells = False
    quotes = None
    if positions.size:
        bom = 3 if buf[:3] == enc.UTF8_BOM else 0
        if positions.size % 2 or not _quotes_well_formed(a, positions, ord(delimiter), bom):
            return None
        # A newline after an odd number of quotes is inside a quoted cell (a "" escape closes and
        # reopens at once, so it needs no special case).
        quotes_before = np.searchsorted(positions, newlines)
        inside = (quotes_before & 1) == 1
        if inside.any():
            line_breaks_in_cells = True
            crlf_in_cells = bool(np.any(a[newlines[inside] - 1] == 13))
            newlines, quotes_before = newlines[~inside], quotes_before[~inside]
    ends = newlines if newlines.size and newlines[-1] == a.size - 1 else np.append(newlines, a.size)
    if positions.size:
        if ends.size > newlines.size:
            quotes_before = np.append(quotes_before, positions.size)
        # Quote 2k opens a cell and 2k+1 closes it; a closing quote followed at once by an opening
        # one is a "" escape, of which Polars keeps one character in the cell.
        escapes = positions[2::2][positions[2::2] == positions[1:-1:2] + 1]
        quotes = np.diff(quotes_before, prepend=0) - np.bincount(
            np.searchsorted(ends, escapes), minlength=ends.size
        )
    starts = np.concatenate(([0], ends[:-1] + 1))
    previous = ends - 1
    crs = ((previous >= starts) & (a[np.maximum(previous, 0)] == 13)).astype(np.int64)
    maybe_blank = (starts >= ends) | _blank_starts(delimiter)[a[np.minimum(starts, a.size - 1)]]
    return _Records(starts, ends, quotes, crs, maybe_blank, crlf_in_cells, line_breaks_in_cells)


def _quotes_well_formed(a: np.ndarray, quotes: np.ndarray, delimiter: int, start: int) -> bool:
    """Quote 2k opens a cell (after a delimiter or a line start) and quote 2k+1 closes it (before a
    delimiter or a line end), unless the two are a "" escape. Anything else is read by the csv module."""
    opens, closes = quotes[0::2], quotes[1::2]
    before = a[np.maximum(opens - 1, 0)]
    after = a[np.minimum(closes + 1, a.size - 1)]
    escaped_open = np.zeros(opens.size, dtype=bool)
    escaped_open[1:] = opens[1:] == closes[:-1] + 1
    escaped_close = np.zeros(closes.size, dtype=bool)
    escaped_close[:-1] = escaped_open[1:]
    open_ok = (before == delimiter) | (before == 10) | (opens <= start) | escaped_open
    close_ok = (after == delimiter) | (after == 10) | (after == 13) | (closes == a.size - 1) | escaped_close
    return bool(open_ok.all() and close_ok.all())


def _scan_hints(buf: bytes) -> _Hints:
    """ "??" or "? ?" somewhere; a UTF-8 pair C3 82/83/98-9B/A2 (Â Ã Ø Ù Ú Û â) somewhere, or a
    pair D8 A2/A3/B7-BA (آ أ ط ظ ع غ) before a C2 byte (cp1256 § © ± « …). C2 is rare in clean
    text, so this costs one comparison pass and almost no positions."""
    a = np.frombuffer(buf, dtype=np.uint8)
    marks, leads, crs, symbols = _find_bytes(a, (63, 0xC3, 13, 0xC2))
    gaps = np.diff(marks)
    question_marks = bool(np.any(gaps == 1) or np.any((gaps == 2) & (a[marks[:-1] + 1] == 32)))
    leads = leads[leads < a.size - 1]
    mojibake = bool(leads.size and np.isin(a[leads + 1], _MOJIBAKE_LEADS).any())
    symbols = symbols[symbols >= 2]
    if not mojibake and symbols.size:
        pairs = (a[symbols - 2] == 0xD8) & np.isin(a[symbols - 1], _MOJIBAKE_1256_LEADS)
        mojibake = bool(pairs.any())
    lone_cr = bool(crs.size and (crs[-1] == a.size - 1 or np.any(a[crs[crs < a.size - 1] + 1] != 10)))
    return _Hints(question_marks, mojibake, lone_cr)


def _parse_fast(buf: bytes, dialect: Dialect) -> tuple[_Parsed | None, _Hints]:
    """Polars for the cells, and two byte scans (record structure, text hints) side by side."""
    width = max(len(dialect.header), 1)
    with ThreadPoolExecutor(max_workers=2) as pool:
        scanning = pool.submit(_scan_records, buf, dialect.delimiter)
        hinting = pool.submit(_scan_hints, buf)
        frame = _polars_cells(buf, dialect.delimiter, width)
        records = scanning.result()
        hints = hinting.result()
    if frame is None or records is None or hints.lone_cr or frame.height != records.ends.size:
        return None, hints
    for _ in range(2):
        counts = _cell_counts(frame, records, buf)
        if counts is None:
            return None, hints
        widest = int(counts.max()) if counts.size else 0
        if widest <= frame.width - 1:
            return (
                _Parsed(
                    frame, counts, records.maybe_blank, records.crlf_in_cells,
                    line_breaks_in_cells=records.line_breaks_in_cells,
                ),
                hints,
            )
        # some record is wider than the sample's: read again with room for every cell
        frame = _polars_cells(buf, dialect.delimiter, widest)
        if frame is None or frame.height != records.ends.size:
            return None, hints
    return None, hints


def _cell_counts(frame: pl.DataFrame, records: _Records, buf: bytes) -> np.ndarray | None:
    """Cells per record: its bytes − its cells' bytes − its quoting − its CR = its delimiters = cells − 1."""
    cells = [c for c in frame.columns if c.startswith("c")]
    content = frame.select(pl.sum_horizontal(pl.col(c).str.len_bytes() for c in cells)).to_series().to_numpy()
    length = records.ends - records.starts - records.crs
    if buf[:3] == enc.UTF8_BOM and length.size:
        length[0] -= 3  # Polars drops the BOM
    delimiters = length - content.astype(np.int64)
    if records.quotes is not None:
        delimiters -= records.quotes
    if delimiters.size and delimiters.min() < 0:
        return None
    return delimiters + 1


def _parse_exact(buf: bytes, dialect: Dialect) -> _Parsed:
    """The csv module's reading (Excel's rules for stray quotes); slower, used only when needed."""
    text = buf.decode("utf-8-sig")
    records = list(
        csv.reader(
            io.StringIO(text, newline=""),
            delimiter=dialect.delimiter,
            quotechar=QUOTE,
            doublequote=True,
            strict=False,
        )
    )
    width = max((len(r) for r in records), default=1)
    columns = {f"c{i}": [r[i] if i < len(r) else "" for r in records] for i in range(width)}
    frame = pl.DataFrame(columns, schema={c: pl.String for c in columns}).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("__row")
    )
    counts = np.array([max(len(r), 1) for r in records], dtype=np.int64)
    unclosed = _unclosed_quote(text, records, dialect.delimiter)
    return _Parsed(frame, counts, None, crlf_in_cells="\r\n" in text, unclosed=unclosed)


def _unclosed_quote(text: str, records: list[list[str]], delimiter: str) -> _Unclosed | None:
    """The last record's cell that a never-closed quote let run to the end of the file over more
    lines of content. Only that record can hold one (the reader ends inside it), so only it is
    looked at. A last cell that merely runs to the end, with no further line, is read the same way
    by Excel and is left alone."""
    last = records[-1] if records else []
    broken = [j for j, cell in enumerate(last) if "\n" in cell or "\r" in cell]
    if not broken or not _MORE_LINES.search(last[broken[-1]]) or _quote_closes(text, delimiter):
        return None
    cell = last[broken[-1]]
    shown = _LINE_BREAK.sub("↵", cell[: 2 * WARNING_VALUE_CHARS + 2])  # CR LF is one ↵
    shown = shown if len(shown) <= WARNING_VALUE_CHARS else shown[: WARNING_VALUE_CHARS - 1] + "…"
    return _Unclosed(len(records) - 1, broken[-1], shown)


def _quote_closes(text: str, delimiter: str) -> bool:
    """Whether the quoted cell in which the file's last line starts is closed on that line: by a
    quote (not part of a "" escape) that ends the cell, or that is glued to more text but not at a
    cell start. A quote at a cell start is the opening quote of a later cell (``"y"``): the reader
    took it as the closing one, so the cell was never closed; no such quote at all, likewise."""
    end = len(text)
    end -= 2 if text.endswith("\r\n") else int(text.endswith(("\n", "\r")))
    start = max(text.rfind("\n", 0, end), text.rfind("\r", 0, end)) + 1
    quote = text.find(QUOTE, start, end)
    while quote >= 0 and text.startswith(QUOTE, quote + 1) and quote + 1 < end:
        quote = text.find(QUOTE, quote + 2, end)  # a "" escape
    if quote < 0:
        return False
    if quote + 1 == end or text[quote + 1] == delimiter:
        return True
    return quote > start and text[quote - 1] != delimiter


def _assemble_text(
    parsed: _Parsed, dialect: Dialect, file_format: str, encoding: str, max_rows: int, hints: _Hints
) -> RawTable:
    frame = parsed.frame
    first = dialect.header_record
    if first >= frame.height:
        return _refused(Issue("not_a_table"), file_format, encoding=encoding, delimiter=dialect.delimiter)
    n_header = int(parsed.counts[first])
    header = [frame[f"c{i}"][first] for i in range(n_header)]
    header[0] = header[0].removeprefix("\ufeff")
    offset = 1 - int(dialect.sep_directive)  # Excel does not show its "sep=" line as a row
    rows = frame.with_columns((pl.col("__row").cast(pl.Int64) + offset).alias("__line")).drop("__row")
    maybe_blank = None if parsed.maybe_blank is None else parsed.maybe_blank[first + 1 :]
    table = _assemble(
        rows.slice(first + 1),
        header,
        counts=parsed.counts[first + 1 :],
        maybe_blank=maybe_blank,
        crlf_in_cells=parsed.crlf_in_cells,
        line_breaks_in_cells=parsed.line_breaks_in_cells,
        max_rows=max_rows,
        question_marks=hints.question_marks,
        mojibake=hints.mojibake,
        meta={
            "file_format": file_format,
            "encoding": encoding,
            "delimiter": dialect.delimiter,
            "sheet": None,
        },
    )
    if parsed.unclosed is None or parsed.unclosed.record <= first:
        return table
    return _report_unclosed(table, parsed.unclosed, parsed.unclosed.record + offset, header)


def _report_unclosed(table: RawTable, unclosed: _Unclosed, line: int, header: list[str]) -> RawTable:
    """Add the unclosed quote; its record's wrong cell count and overlong cell are consequences of
    it, not further mistakes, and would only hide it."""
    column = header[unclosed.cell].strip() if unclosed.cell < len(header) else None
    issue = issues_frame([Issue("unclosed_quote", line=line, column=column, value=unclosed.value)])
    noise = pl.col("line").eq_missing(line) & pl.col("code").is_in(
        ["wrong_cell_count", "cell_too_long", "rows_in_cell"]
    )
    return replace(table, issues=sort_issues(pl.concat([table.issues.filter(~noise), issue])))


# -- xlsx --------------------------------------------------------------------------------------
def _read_xlsx(data: bytes, max_bytes: int, max_rows: int) -> RawTable:
    try:
        sheet = read_workbook(data, max_bytes=max_bytes, max_rows=max_rows)
    except WorkbookProblem as problem:
        return _refused(problem.issue, "xlsx")
    return _assemble_sheet(sheet, max_rows)


def _assemble_sheet(sheet: SheetCells, max_rows: int) -> RawTable:
    meta = {"file_format": "xlsx", "encoding": None, "delimiter": None, "sheet": sheet.sheet}
    formula_issues = issues_frame(sheet.issues)
    if not sheet.rows:
        return _refused(Issue("xlsx_no_sheet"), "xlsx", sheet=sheet.sheet)
    first = header_position([cells for _, cells in sheet.rows]) or 0
    rows = sheet.rows[first:]
    width = max(len(cells) for _, cells in rows)
    header = rows[0][1] + [""] * (width - len(rows[0][1]))
    body = rows[1:]
    columns = {f"c{i}": [cells[i] if i < len(cells) else "" for _, cells in body] for i in range(width)}
    frame = pl.DataFrame(columns, schema={c: pl.String for c in columns}).with_columns(
        pl.Series("__line", [number for number, _ in body], dtype=pl.Int64)
    )
    table = _assemble(
        frame,
        header,
        counts=None,
        maybe_blank=None,
        crlf_in_cells=False,
        max_rows=max_rows,
        question_marks=True,
        mojibake=True,
        meta=meta,
        extra_issues=formula_issues,
    )
    return replace(table, header_line=rows[0][0])


# -- common checks -----------------------------------------------------------------------------
def _filled(column: str) -> pl.Expr:
    return pl.col(column).str.contains(r"\S")


def _blank_rows(frame: pl.DataFrame, cells: list[str], maybe_blank: np.ndarray | None) -> np.ndarray | None:
    """Mask of the rows whose every cell is empty or whitespace (Excel's leftover rows, blank lines);
    None when there is none. Only candidates (by first byte, or by first cell) are looked at."""
    if maybe_blank is None:
        maybe_blank = (~frame.get_column(cells[0]).str.contains(r"\A\S")).to_numpy()
    candidates = np.flatnonzero(maybe_blank)
    if not candidates.size:
        return None
    blank = frame[candidates].select(~pl.any_horizontal(_filled(c) for c in cells)).to_series().to_numpy()
    if not blank.any():
        return None
    mask = np.zeros(frame.height, dtype=bool)
    mask[candidates[blank]] = True
    return mask


def _assemble(
    frame: pl.DataFrame,
    header: list[str],
    *,
    counts: np.ndarray | None,
    maybe_blank: np.ndarray | None,
    crlf_in_cells: bool,
    max_rows: int,
    question_marks: bool,
    mojibake: bool,
    meta: dict,
    extra_issues: pl.DataFrame | None = None,
    line_breaks_in_cells: bool = False,
) -> RawTable:
    """Blank rows, header width, cell counts, limits and text checks — shared by CSV and XLSX.

    ``counts`` (cells per row; text files only) is what ragged rows are found with."""
    cells = [c for c in frame.columns if c.startswith("c")]
    blank = _blank_rows(frame, cells, maybe_blank) if frame.height else None
    if blank is not None:
        frame = frame.filter(pl.Series(~blank))
        counts = None if counts is None else counts[~blank]
    width = len(header)
    while (
        width > 1
        and not header[width - 1].strip()
        and not frame.select(_filled(f"c{width - 1}").any()).item()
    ):
        width -= 1  # Excel's trailing empty columns: empty header cell, nothing below
    headers = header[:width]
    found: list[pl.DataFrame] = [extra_issues] if extra_issues is not None and extra_issues.height else []
    if frame.height == 0:
        extra = pl.concat(found) if found else None
        return _refused(Issue("no_data_rows"), headers=headers, extra=extra, **meta)
    if frame.height > max_rows:
        return _refused(Issue("too_many_rows", value=str(frame.height), expected=str(max_rows)), **meta)
    if counts is not None:
        found += _wrong_cell_counts(frame, counts, width, [f"c{j}" for j in range(len(header), len(cells))])
    kept = [f"c{i}" for i in range(width)]
    table = frame.select(*kept, "__line")
    if crlf_in_cells:
        table = table.with_columns(pl.col(kept).str.replace_all("\r\n", "\n", literal=True))
    names = [h.strip() for h in headers]
    if line_breaks_in_cells and counts is not None:
        found += _rows_in_cells(table, kept, names, meta["delimiter"], min(width, int(np.median(counts))))
    found += _long_cells(table, kept, names)
    found += _damaged_text(table, kept, names, question_marks=question_marks, mojibake=mojibake)
    issues = sort_issues(pl.concat(found)) if found else empty_issues()
    return RawTable(table, headers, issues=issues, **meta)


def _wrong_cell_counts(
    frame: pl.DataFrame, counts: np.ndarray, width: int, beyond: list[str]
) -> list[pl.DataFrame]:
    """Rows with fewer cells than the header, or with something in a cell beyond it."""
    wrong = counts < width
    if beyond:
        wrong |= frame.select(pl.any_horizontal(_filled(c) for c in beyond)).to_series().to_numpy()
    if not wrong.any():
        return []
    rows = frame.select("__line").filter(pl.Series(wrong)).with_columns(pl.Series("__n", counts[wrong]))
    return [cell_issues(rows, "wrong_cell_count", None, value=pl.col("__n"), expected=str(width))]


def _rows_in_cells(
    table: pl.DataFrame, cells: list[str], names: list[str], delimiter: str, typical_width: int
) -> list[pl.DataFrame]:
    """Quoted cells that run over lines looking like rows of the file: a quote opened in a cell
    and closed only lines later (by the quote of a later cell) turns the rows between into the
    cell's text, and the record still has the right number of cells — rows lost in silence.

    A line inside a cell "looks like a row" when it holds as many delimiters as the file's typical
    row, less one for an empty last cell left out (at least two), and starts with a cell shaped like
    the file's first column (``ASS-CAS-001`` → ``a-a-9``): an address or a list of partners written
    over two lines does not, a swallowed row does.
    """
    d = re.escape(delimiter)
    needed = max(2, typical_width - 2)
    row_like = rf"[\r\n](?:[^\r\n{d}]*{d}){{{needed}}}"
    found = []
    first_shapes: set[str] | None = None
    for column, name in zip(cells, names, strict=True):
        rows = table.filter(pl.col(column).str.contains(row_like))
        if not rows.height:
            continue
        if first_shapes is None:
            firsts = table.get_column(cells[0]).head(50_000).unique().head(10_000).to_list()
            first_shapes = {_shape(v) for v in firsts if v and "\n" not in v and "\r" not in v}
        caught = [
            sum(1 for line in _LINE_BREAK.split(text)[1:]
                if line.count(delimiter) >= needed and _shape(line.split(delimiter, 1)[0]) in first_shapes)
            for text in rows.get_column(column).to_list()
        ]
        rows = rows.with_columns(pl.Series("__caught", caught)).filter(pl.col("__caught") > 0)
        if rows.height:
            found.append(cell_issues(rows, "rows_in_cell", name, value=_shown(column, line_breaks=True),
                                     expected=pl.col("__caught").cast(pl.String)))
    return found


def _shape(text: str) -> str:
    """A cell's shape: letters → ``a``, digits → ``9``, runs collapsed (``ASS-CAS-001`` → ``a-a-9``)."""
    return re.sub(r"(a)a+|(9)9+", r"\1\2", re.sub(r"[^\W\d_]", "a", re.sub(r"\d", "9", text.strip())))


def _long_cells(table: pl.DataFrame, cells: list[str], names: list[str]) -> list[pl.DataFrame]:
    longest = table.select(pl.col(c).str.len_bytes().max() for c in cells).row(0)
    found = []
    for column, name, size in zip(cells, names, longest, strict=True):
        if size is not None and size > MAX_CELL_CHARS:
            chars = pl.col(column).str.len_chars()
            rows = table.filter(chars > MAX_CELL_CHARS)
            if rows.height:
                found.append(
                    cell_issues(rows, "cell_too_long", name, value=chars, expected=str(MAX_CELL_CHARS))
                )
    return found


def _question_marks(column: str) -> pl.Expr:
    text = pl.col(column)
    return text.str.contains(_QUESTION_ONLY) | (text.str.count_matches(_QUESTION_WORDS) >= 2)


def _mojibake(column: str) -> pl.Expr:
    return pl.col(column).str.contains(_MOJIBAKE)


def _shown(column: str, *, line_breaks: bool = False) -> pl.Expr:
    """The cell's text as a warning quotes it: cut to ``WARNING_VALUE_CHARS`` with an ellipsis
    (``line_breaks``: each shown as ↵, a CR LF as one)."""
    text = pl.col(column)
    if line_breaks:
        text = text.str.slice(0, 2 * WARNING_VALUE_CHARS + 2).str.replace_all(r"\r\n|\r|\n", "↵")
    cut = text.str.slice(0, WARNING_VALUE_CHARS - 1) + pl.lit("…")
    return pl.when(text.str.len_chars() <= WARNING_VALUE_CHARS).then(text).otherwise(cut)


def _damaged_text(
    table: pl.DataFrame, cells: list[str], names: list[str], *, question_marks: bool, mojibake: bool
) -> list[pl.DataFrame]:
    """One warning per damaged cell, so that a member sees which lines to fix, but at most
    ``MAX_TEXT_WARNINGS`` per (code, column) (a whole damaged column is one fix, not a flood);
    each says how many cells of its column are hit."""
    checks = [("text_question_marks", _question_marks)] if question_marks else []
    checks += [("text_mojibake", _mojibake)] if mojibake else []
    found: list[pl.DataFrame] = []
    for code, test in checks:
        hits = table.select(test(c).alias(c) for c in cells)
        counts = hits.sum().row(0)
        for column, name, count in zip(cells, names, counts, strict=True):
            if count:
                rows = table.select(column, "__line").filter(hits.get_column(column)).head(MAX_TEXT_WARNINGS)
                found.append(cell_issues(rows, code, name, value=_shown(column), expected=str(count)))
    return found


# -- benchmark (run by hand or by benchmarks/, never by the tests) -------------------------------
def write_benchmark_file(path: str, rows: int = 1_000_000, seed: int = 7) -> int:
    """A long-format UTF-8 comma CSV like a network export (~60 MB for a million rows); returns its size."""
    rng = np.random.default_rng(seed)
    pick = lambda values, n: pl.Series(values)[rng.integers(0, len(values), n)]
    notes = ["", "Bénéficiaires directs – Casablanca", "Bénévolat, Rabat", "بيانات أولية", 'dit "oui"']
    frame = pl.DataFrame(
        {
            "org_code": pl.Series([f"ASS-{i:05d}" for i in range(5000)])[rng.integers(0, 5000, rows)],
            "indicator_code": pick(["R01", "R03", "E03", "P05", "S02", "J02", "H02", "P04"], rows),
            "period": pick([f"{y}-Q{q}" for y in range(2019, 2025) for q in range(1, 5)], rows),
            "value": pl.Series(np.round(rng.gamma(2.0, 300.0, rows), 2)).cast(pl.String),
            "unit": pick(["personnes", "%", "heures", "MAD", "unités"], rows),
            "notes": pick(notes, rows),
        }
    )
    frame.write_csv(path)
    return Path(path).stat().st_size


def _bench_child(side: str, path: str, rounds: int) -> None:
    """Measured runs in one fresh process: prints each run's seconds, then peak RSS (MB)."""
    import resource
    import time

    times = []
    for _ in range(rounds):
        if side == "duckdb":
            import duckdb

            start = time.perf_counter()
            connection = duckdb.connect()
            connection.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")
            connection.close()
        else:
            start = time.perf_counter()
            with open(path, "rb") as handle:
                table = read_table(handle.read(), Path(path).name)
            assert table.issues.is_empty() and table.frame.height > 0, table.issues
            del table
        times.append(time.perf_counter() - start)
    print(*(f"{t:.4f}" for t in times), f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


def benchmark(rows: int = 1_000_000, repeat: int = 5, rounds: int = 3) -> dict[str, float]:
    """read_table (file read included) vs DuckDB ``CREATE TABLE t AS SELECT * FROM read_csv(file)``
    on the same generated file, in alternating fresh processes (imports excluded). "cold" is each
    process's first run, "warm" its later ones (a long-running server); medians, ratios, peak RSS."""
    import statistics
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "bench.csv")
        size = write_benchmark_file(path, rows)
        runs: dict[str, list[list[float]]] = {"duckdb": [], "athar": []}
        for _ in range(repeat):
            for side, measured in runs.items():
                code = f"from ingest.read import _bench_child; _bench_child({side!r}, {path!r}, {rounds})"
                out = subprocess.run(
                    [sys.executable, "-c", code],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=Path(__file__).resolve().parent.parent,
                )
                measured.append([float(v) for v in out.stdout.split()])
    cold = {side: statistics.median(r[0] for r in measured) for side, measured in runs.items()}
    warm = {side: statistics.median(t for r in measured for t in r[1:-1]) for side, measured in runs.items()}
    return {
        "rows": rows,
        "megabytes": round(size / 2**20, 1),
        "duckdb_cold_s": round(cold["duckdb"], 3),
        "read_table_cold_s": round(cold["athar"], 3),
        "ratio_cold": round(cold["athar"] / cold["duckdb"], 2),
        "duckdb_warm_s": round(warm["duckdb"], 3),
        "read_table_warm_s": round(warm["athar"], 3),
        "ratio_warm": round(warm["athar"] / warm["duckdb"], 2),
        "duckdb_peak_mb": max(r[-1] for r in runs["duckdb"]),
        "read_table_peak_mb": max(r[-1] for r in runs["athar"]),
    }


if __name__ == "__main__":  # python -m ingest.read [rows] [repeat] [rounds]
    import sys

    print(benchmark(*(int(a) for a in sys.argv[1:4])))
