"""The delimiter and header row of a text table, decided on its first records — never a sniffer's guess.

Every candidate delimiter (``,`` ``;`` tab ``|``, and the Arabic list separator ``؛`` when the
sample holds one: Excel uses it for "CSV" under Arabic regional settings; quote ``"`` with ``""``
escapes, as Excel writes them) splits the first records with a quote-aware reader, then is scored on:

1. how many header cells are recognised column names (``ingest.columns.match_header``) or
   indicator codes such as ``R01`` (the wide layout, one column per indicator);
2. whether the data records agree with the header: at least as many cells as the header has
   non-empty cells, nothing non-empty beyond the header (Excel's trailing ``;;`` are fine);
3. the header width.

Recognised names dominate because they are the strongest evidence: a semicolon file with
decimal commas splits into many "columns" on ``,`` but none of them is a known name. A table
whose best reading has one column and no recognised name, or whose header names nothing and whose
records disagree with it, is not a table (``not_a_table``).

Leading blank records are skipped (the header is the first non-blank record), and Excel's
``sep=;`` directive line is honoured and not counted as a row, as Excel does.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from ingest.columns import match_header

DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
#: U+061B, Excel's list separator under some Arabic Windows settings (0xBA in cp1256, two bytes in UTF-8).
ARABIC_SEMICOLON = "\u061b"
QUOTE = '"'
#: Records of the sample used to score a candidate (after the header).
SAMPLE_RECORDS = 200
#: Share of sample records that must agree with an unrecognised header.
MIN_CONSISTENCY = 0.5

_INDICATOR_CODE = re.compile(r"[A-Z]\d{2}")
_SEP_DIRECTIVE = re.compile(r"\A\ufeff?sep=([,;\t|\u061b])[ \t]*\r?\n", re.IGNORECASE)

# Cells longer than the csv module's default limit (128 KiB) must not break the sample reader;
# the limit is process-wide and raising it is harmless.
csv.field_size_limit(2**31 - 1)


@dataclass(frozen=True)
class Dialect:
    """How to read a text table. ``header_record`` counts records (physical rows) before the header."""

    delimiter: str
    header_record: int
    header: tuple[str, ...]
    recognised: int
    consistency: float
    sep_directive: bool = False


def split_records(sample: str, delimiter: str, *, complete: bool) -> list[list[str]]:
    """Quote-aware records of ``sample``; the last one is dropped when the sample is cut short."""
    reader = csv.reader(
        io.StringIO(sample, newline=""), delimiter=delimiter, quotechar=QUOTE, doublequote=True, strict=False
    )
    records = list(reader)
    if not complete and len(records) > 1:
        records.pop()
    return records


def is_blank(cells: list[str]) -> bool:
    return all(not cell.strip() for cell in cells)


def is_recognised(cell: str) -> bool:
    """A header cell that names a known column, or looks like an indicator code (wide layout)."""
    text = cell.strip()
    return match_header(text) is not None or _INDICATOR_CODE.fullmatch(text) is not None


#: A title block above the header (``Rapport annuel 2024``, a blank row) is skipped when one of the
#: first rows names at least this many known columns.
TITLE_ROWS_SCANNED = 10
MIN_RECOGNISED_HEADER = 2


def header_position(rows: list[list[str]]) -> int | None:
    """The header row: of the first rows, the one naming the most known columns (at least
    ``MIN_RECOGNISED_HEADER``; the first on a tie), else the first non-blank. The most, not the first:
    a title block such as ``Association;Al Amal;Année;2024`` names two columns too."""
    filled = [i for i, rec in enumerate(rows) if not is_blank(rec)]
    if not filled:
        return None
    best, most = filled[0], MIN_RECOGNISED_HEADER - 1
    for i in filled[:TITLE_ROWS_SCANNED]:
        if len(rows[i]) <= most:  # too few cells to name more (a data row under a full header, a line not split)
            continue
        named = sum(1 for cell in rows[i] if is_recognised(cell))
        if named > most:
            best, most = i, named
    return best


def _score(records: list[list[str]], delimiter: str, sep_directive: bool) -> Dialect | None:
    header_record = header_position(records)
    if header_record is None:
        return None
    header = list(records[header_record])
    if header:
        header[0] = header[0].removeprefix("\ufeff")
    named = len(header)
    while named and not header[named - 1].strip():
        named -= 1
    data = [
        rec for rec in records[header_record + 1 : header_record + 1 + SAMPLE_RECORDS] if not is_blank(rec)
    ]
    agreeing = sum(1 for rec in data if len(rec) >= named and is_blank(rec[len(header) :]))
    consistency = agreeing / len(data) if data else 1.0
    recognised = sum(1 for cell in header if is_recognised(cell))
    return Dialect(
        delimiter, header_record + int(sep_directive), tuple(header), recognised, consistency, sep_directive
    )


def _key(dialect: Dialect) -> tuple[int, bool, int, float]:
    named = sum(1 for cell in dialect.header if cell.strip())
    agrees = dialect.consistency >= 0.9
    return dialect.recognised, agrees, named if agrees else 0, dialect.consistency


def candidate_delimiters(sample: str) -> tuple[str, ...]:
    """The delimiters to try on ``sample``: ``؛`` only when it occurs (an extra reading would cost
    every file), and last, so that an ASCII delimiter wins a tie."""
    return (*DELIMITERS, ARABIC_SEMICOLON) if ARABIC_SEMICOLON in sample else DELIMITERS


def detect_dialect(sample: str, *, complete: bool) -> Dialect | None:
    """The best reading of ``sample`` (the start of the decoded file), or None if it is not a table."""
    directive = _SEP_DIRECTIVE.match(sample)
    if directive:
        body = sample[directive.end() :]
        candidates = [
            _score(split_records(body, directive.group(1), complete=complete), directive.group(1), True)
        ]
    else:
        candidates = [
            _score(split_records(sample, d, complete=complete), d, False) for d in candidate_delimiters(sample)
        ]
    scored = [c for c in candidates if c is not None]
    if not scored:
        return None
    best = max(scored, key=_key)  # max keeps the first of equals: "," before ";" before tab before "|" before "؛"
    named = sum(1 for cell in best.header if cell.strip())
    if best.recognised == 0 and (named < 2 or best.consistency < MIN_CONSISTENCY):
        return None
    return best
