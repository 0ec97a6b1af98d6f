"""Text → records: the CSV parser of the reading stage, on UTF-8 bytes whose dialect is known.

The text path never loops over rows in Python. Polars parses the UTF-8 bytes (every column a
string, no inference, the header read as a record so that we keep control of it). Polars cannot
tell a missing cell from an empty one, so the number of cells of each record is computed from the
bytes, vectorised: numpy finds the record ends (newlines outside quotes), and each record's byte
length minus the bytes of its parsed cells, of its quote characters and of its line end is exactly
its number of delimiters. A file Polars refuses, or on which the two readings disagree (stray
quotes), is read again by the csv module (``parse_exact``), which follows Excel's rules for
malformed quoting. A quoted cell that the csv module (like Excel) lets run to the end of the file,
swallowing further lines, is an unclosed quote on its record (checked on that last record only).

The Arabic list separator ``؛`` (two bytes in UTF-8) is swapped for a one-byte stand-in absent
from the file while parsing, and put back in the cells.
"""

from __future__ import annotations

import csv
import io
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import polars as pl
from polars.exceptions import PanicException, PolarsError

from ingest import encoding as enc
from ingest.bytescan import find_bytes
from ingest.damage import WARNING_VALUE_CHARS, Hints, scan_hints
from ingest.dialect import QUOTE, Dialect

#: One-byte stand-ins for a delimiter Polars cannot take (``؛`` is two bytes in UTF-8): the first
#: that the file does not hold is used.
#: Below this many bytes, a file's two byte scans run one after the other rather than in threads beside
#: Polars' reading (a command loading thousands of small files started two threads for each).
_SCANS_BESIDE = 256 * 1024
_STAND_INS = tuple(bytes([b]) for b in (*range(0x1F, 0x1B, -1), *range(0x01, 0x09), *range(0x0E, 0x1A)))
LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: A line break followed by more text: what a quoted cell that never closes has swallowed.
_MORE_LINES = re.compile(r"[\r\n]\s*\S")


@dataclass(frozen=True)
class Parsed:
    """Every record of a text file: cells c0.. and "__row" (0-based record index) in ``frame``, and
    per record, kept out of the frame (a column with other chunks would make Polars copy every
    cell): its number of cells and whether it may be blank (a superset, from its first byte)."""

    frame: pl.DataFrame
    counts: np.ndarray
    maybe_blank: np.ndarray | None
    crlf_in_cells: bool = False
    unclosed: Unclosed | None = None
    line_breaks_in_cells: bool = True  # False only when the byte scan saw none (fast path)


@dataclass(frozen=True)
class Unclosed:
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



def parse_text(buf: bytes, dialect: Dialect) -> tuple[Parsed | None, Hints]:
    """The fast reading. Polars takes a one-byte separator only, so a wider delimiter (``؛``) is
    swapped for a byte the file does not hold, and put back in the cells afterwards: only such
    files pay for the copy."""
    wide = dialect.delimiter.encode()
    if len(wide) == 1:
        return _parse_fast(buf, dialect)
    stand_in = next((b for b in _STAND_INS if b not in buf), None)
    if stand_in is None:
        return None, scan_hints(buf)  # the csv module takes the delimiter as it is
    parsed, hints = _parse_fast(buf.replace(wide, stand_in), replace(dialect, delimiter=stand_in.decode()))
    if parsed is not None:
        cells = [c for c in parsed.frame.columns if c.startswith("c")]
        restored = pl.col(cells).str.replace_all(stand_in.decode(), dialect.delimiter, literal=True)
        parsed = replace(parsed, frame=parsed.frame.with_columns(restored))
    return parsed, hints


def polars_cells(buf: bytes, delimiter: str, width: int) -> pl.DataFrame | None:
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
    except (PolarsError, PanicException):  # bytes Polars refuses (or panics on): the csv module reads them
        return None


def _blank_starts(delimiter: str) -> np.ndarray:
    """First bytes a blank record may start with: line ends, delimiter, quote, whitespace (and the
    lead bytes of Unicode spaces: U+0085/U+00A0, U+1680, U+2000-U+205F, U+3000)."""
    table = np.zeros(256, dtype=bool)
    table[[9, 10, 11, 12, 13, 32, 34, ord(delimiter), 0xC2, 0xE1, 0xE2, 0xE3]] = True
    return table


def _scan_records(buf: bytes, delimiter: str) -> _Records | None:
    """Record ends and quotes, vectorised over the bytes; None when quoting is not well formed."""
    a = np.frombuffer(buf, dtype=np.uint8)
    newlines, positions = find_bytes(a, (10, 34))
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


def _parse_fast(buf: bytes, dialect: Dialect) -> tuple[Parsed | None, Hints]:
    """Polars for the cells, and two byte scans (record structure, text hints) side by side."""
    width = max(len(dialect.header), 1)
    if len(buf) < _SCANS_BESIDE:  # a small file: its scans take less than starting two threads
        frame = polars_cells(buf, dialect.delimiter, width)
        records, hints = _scan_records(buf, dialect.delimiter), scan_hints(buf)
    else:
        with ThreadPoolExecutor(max_workers=2) as pool:
            scanning = pool.submit(_scan_records, buf, dialect.delimiter)
            hinting = pool.submit(scan_hints, buf)
            frame = polars_cells(buf, dialect.delimiter, width)
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
                Parsed(
                    frame, counts, records.maybe_blank, records.crlf_in_cells,
                    line_breaks_in_cells=records.line_breaks_in_cells,
                ),
                hints,
            )
        # some record is wider than the sample's: read again with room for every cell
        frame = polars_cells(buf, dialect.delimiter, widest)
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


def parse_exact(buf: bytes, dialect: Dialect) -> Parsed:
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
    return Parsed(frame, counts, None, crlf_in_cells="\r\n" in text, unclosed=unclosed)


def _unclosed_quote(text: str, records: list[list[str]], delimiter: str) -> Unclosed | None:
    """The last record's cell that a never-closed quote let run to the end of the file over more
    lines of content. Only that record can hold one (the reader ends inside it), so only it is
    looked at. A last cell that merely runs to the end, with no further line, is read the same way
    by Excel and is left alone."""
    last = records[-1] if records else []
    broken = [j for j, cell in enumerate(last) if "\n" in cell or "\r" in cell]
    if not broken or not _MORE_LINES.search(last[broken[-1]]) or _quote_closes(text, delimiter):
        return None
    cell = last[broken[-1]]
    shown = LINE_BREAK.sub("↵", cell[: 2 * WARNING_VALUE_CHARS + 2])  # CR LF is one ↵
    shown = shown if len(shown) <= WARNING_VALUE_CHARS else shown[: WARNING_VALUE_CHARS - 1] + "…"
    return Unclosed(len(records) - 1, broken[-1], shown)


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


