"""Damaged text in a read table: Arabic already lost as ``?``, and UTF-8 read as Windows-1252 or
Windows-1256 and saved again (mojibake).

Each damaged cell gives one warning, at most ``MAX_TEXT_WARNINGS`` per column, each with the
number of damaged cells of its column. The regular expressions only run when a byte scan
(``scan_hints``) has found a candidate (``??``, or a UTF-8 pair such as ``C3 83`` = "Ã", or
``D8 A3 C2`` = "أ" + a symbol); a workbook's cells are always checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ingest.bytescan import find_bytes
from ingest.issues import IssueCode, cell_issues

#: Length of the cell text quoted in a text warning.
WARNING_VALUE_CHARS = 60
#: Damaged-text warnings per (code, column): enough for a member to see which lines to fix.
MAX_TEXT_WARNINGS = 20

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
class Hints:
    """Cheap byte-level evidence that decides whether the (costly) text checks run at all."""

    question_marks: bool
    mojibake: bool
    lone_cr: bool  # a CR not followed by LF: a line break for Excel and the csv module, not for Polars


#: What a workbook's cells get: every check (there are no bytes to scan).
ALL_CHECKS = Hints(question_marks=True, mojibake=True, lone_cr=False)


def scan_hints(buf: bytes) -> Hints:
    """ "??" or "? ?" somewhere; a UTF-8 pair C3 82/83/98-9B/A2 (Â Ã Ø Ù Ú Û â) somewhere, or a
    pair D8 A2/A3/B7-BA (آ أ ط ظ ع غ) before a C2 byte (cp1256 § © ± « …). C2 is rare in clean
    text, so this costs one comparison pass and almost no positions."""
    a = np.frombuffer(buf, dtype=np.uint8)
    marks, leads, crs, symbols = find_bytes(a, (63, 0xC3, 13, 0xC2))
    gaps = np.diff(marks)
    question_marks = bool(np.any(gaps == 1) or np.any((gaps == 2) & (a[marks[:-1] + 1] == 32)))
    leads = leads[leads < a.size - 1]
    mojibake = bool(leads.size and np.isin(a[leads + 1], _MOJIBAKE_LEADS).any())
    symbols = symbols[symbols >= 2]
    if not mojibake and symbols.size:
        pairs = (a[symbols - 2] == 0xD8) & np.isin(a[symbols - 1], _MOJIBAKE_1256_LEADS)
        mojibake = bool(pairs.any())
    lone_cr = bool(crs.size and (crs[-1] == a.size - 1 or np.any(a[crs[crs < a.size - 1] + 1] != 10)))
    return Hints(question_marks, mojibake, lone_cr)



def _question_marks(column: str) -> pl.Expr:
    text = pl.col(column)
    return text.str.contains(_QUESTION_ONLY) | (text.str.count_matches(_QUESTION_WORDS) >= 2)


def _mojibake(column: str) -> pl.Expr:
    return pl.col(column).str.contains(_MOJIBAKE)


def shown(column: str, *, line_breaks: bool = False) -> pl.Expr:
    """The cell's text as a warning quotes it: cut to ``WARNING_VALUE_CHARS`` with an ellipsis
    (``line_breaks``: each shown as ↵, a CR LF as one)."""
    text = pl.col(column)
    if line_breaks:
        text = text.str.slice(0, 2 * WARNING_VALUE_CHARS + 2).str.replace_all(r"\r\n|\r|\n", "↵")
    cut = text.str.slice(0, WARNING_VALUE_CHARS - 1) + pl.lit("…")
    return pl.when(text.str.len_chars() <= WARNING_VALUE_CHARS).then(text).otherwise(cut)


def damaged_text(
    table: pl.DataFrame, cells: list[str], names: list[str], *, question_marks: bool, mojibake: bool
) -> list[pl.DataFrame]:
    """One warning per damaged cell, so that a member sees which lines to fix, but at most
    ``MAX_TEXT_WARNINGS`` per (code, column) (a whole damaged column is one fix, not a flood);
    each says how many cells of its column are hit."""
    checks = [(IssueCode.TEXT_QUESTION_MARKS, _question_marks)] if question_marks else []
    checks += [(IssueCode.TEXT_MOJIBAKE, _mojibake)] if mojibake else []
    found: list[pl.DataFrame] = []
    for code, test in checks:
        hits = table.select(test(c).alias(c) for c in cells)
        counts = hits.sum().row(0)
        for column, name, count in zip(cells, names, counts, strict=True):
            if count:
                rows = table.select(column, "__line").filter(hits.get_column(column)).head(MAX_TEXT_WARNINGS)
                found.append(cell_issues(rows, code, name, value=shown(column), expected=str(count)))
    return found


