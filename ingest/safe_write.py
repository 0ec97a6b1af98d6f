"""The one writer of every cell Athar puts in a CSV or XLSX file: exports, templates, annotated copies.

A spreadsheet runs a cell as a formula when its text starts with ``=`` ``+`` ``-`` ``@`` (or a tab
or line break, used to slip one past a check). OWASP's CSV-injection guidance: prefix such a cell
with ``'`` and quote every field, so that no separator can split a cell into a live one. Here:

- **formula-like text** (:func:`formula_like`): starts with a trigger, also after blanks or
  invisible characters, or with a full-width ``＝ ＋ － ＠`` (which East Asian input methods and
  some spreadsheets treat as the ASCII ones); a plain number such as ``-15`` or ``1,5`` is not;
- **CSV** (:func:`csv_bytes`, :func:`csv_frame_bytes`): every text cell quoted and neutralised
  (header and index cells alike), numbers written by Athar unquoted, missing cells empty; a
  separator or line break inside a text cell followed by a trigger gets ``'`` after it
  (:func:`csv_text`), so ``x,=1+1`` in a ``;`` file and ``x;=1+1`` in a ``,`` file expose no
  formula whatever separator Excel splits on;
- **XLSX** (:class:`XlsxText`, :func:`set_text`): text is always written as a string (never a
  formula, workbooks are made with ``strings_to_formulas`` off) and formula-like text carries
  Excel's quote prefix.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from framework.vocabulary import INVISIBLE_CHARACTERS

#: A cell a spreadsheet may run: ``= + - @`` (or their full-width forms, which some spreadsheets and
#: input methods turn into the ASCII ones) after blanks or invisible characters, or a tab or line
#: break first (OWASP CSV injection).
_TRIGGER = (
    r"^[\t\r\n]|^[\s" + re.escape(INVISIBLE_CHARACTERS) + r"]*[=+\-@\uff1d\uff0b\uff0d\uff20]"
)
#: A plain number, which stays a number (``-15``, ``+4``, ``87,5``, ``1.5e3``; spaces around).
PLAIN_NUMBER = re.compile(r" *[+-]?[0-9]+(?:[.,][0-9]+)?(?:[eE][+-]?[0-9]+)? *")
_NUMBER = rf"^(?:{PLAIN_NUMBER.pattern})$"  # Rust's $ is the end of the text
_TRIGGER_RE = re.compile(_TRIGGER)
#: Inside a CSV text cell: a separator or line break, then (after blanks) a trigger. Quoting keeps
#: the cell whole only for a reader that sees the quote open a field; one splitting on another
#: separator is already inside an unquoted field there (``"ok";"x,=1+1"`` read with ``,`` gives
#: ``=1+1"``), so ``'`` goes after the separator too.
_INNER = re.compile(
    r"([,;\t\r\n])((?:[ \u00a0\u2000-\u200a\u202f\u205f\u3000\f\v"
    + re.escape(INVISIBLE_CHARACTERS)
    + r"])*[=+\-@\uff1d\uff0b\uff0d\uff20])"
)
#: Options of every workbook Athar writes with xlsxwriter: text is text, never a formula or link.
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def formula_like(text: str) -> bool:
    """True when a spreadsheet could run ``text`` as a formula (see the module docstring)."""
    return bool(_TRIGGER_RE.match(text)) and not PLAIN_NUMBER.fullmatch(text)


def neutralise(value: object) -> str:
    """The text of a cell, quote-prefixed when formula-like (for CSV, where no format can say so)."""
    text = "" if value is None else str(value)
    return "'" + text if formula_like(text) else text


def neutralise_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`neutralise` for a String column, vectorised (nulls stay null)."""
    live = expr.str.contains(_TRIGGER) & ~expr.str.contains(_NUMBER)
    return pl.when(live).then(pl.lit("'") + expr).otherwise(expr)


def csv_text(value: object) -> str:
    """A CSV text cell's content: :func:`neutralise`, and ``'`` after any separator or line break
    inside it that a trigger follows (``x,=1+1`` → ``x,'=1+1``), so no split exposes a formula."""
    return _INNER.sub(r"\1'\2", neutralise(value))


def csv_text_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`csv_text` for a String column, vectorised."""
    return neutralise_expr(expr).str.replace_all(_INNER.pattern, "$1'$2")


# -- CSV ---------------------------------------------------------------------------------------
def number_text(value: float, decimal: str = ".") -> str:
    """A number as Excel reads it in the export's locale: ``12,5`` in fr/ar, ``12.5`` in en."""
    return repr(round(float(value), 6)).replace(".", decimal).removesuffix(decimal + "0")


def csv_field(value: object, delimiter: str, decimal: str = ".") -> str:
    """One field: empty when missing, a number as is, any other value as neutralised quoted text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = number_text(value, decimal)
        return text if delimiter not in text else f'"{text}"'
    return '"' + csv_text(value).replace('"', '""') + '"'


def csv_bytes(
    rows: Iterable[Sequence[object]], delimiter: str, *, decimal: str = ".", bom: bool = True
) -> bytes:
    """A CSV file (UTF-8, with the BOM Excel needs for Arabic unless ``bom`` is False, CRLF) of
    ``rows``, the header row first; every cell through :func:`csv_field`."""
    out = io.StringIO()
    for row in rows:
        out.write(delimiter.join(csv_field(v, delimiter, decimal) for v in row))
        out.write("\r\n")
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def csv_frame_bytes(header: Sequence[str], frame: pl.DataFrame, delimiter: str) -> bytes:
    """A CSV of a frame of text cells (an uploaded file given back): UTF-8 with BOM, CRLF, every cell
    quoted and neutralised, vectorised."""
    quoted = [
        pl.when(pl.col(c).is_null())
        .then(pl.lit(""))
        .otherwise(pl.lit('"') + csv_text_expr(pl.col(c).cast(pl.String)).str.replace_all('"', '""') + '"')
        for c in frame.columns
    ]
    lines = frame.select(pl.concat_str(quoted, separator=delimiter).alias("line"))["line"]
    head = csv_bytes([header], delimiter, bom=True)
    body = "".join(line + "\r\n" for line in lines.to_list()) if lines.len() else ""
    return head + body.encode("utf-8")


# -- XLSX --------------------------------------------------------------------------------------
def xlsx_workbook(target: Any, **options: Any):
    """An xlsxwriter workbook that writes text as text (:data:`XLSX_OPTIONS`)."""
    import xlsxwriter

    return xlsxwriter.Workbook(target, {**options, **XLSX_OPTIONS})


@dataclass
class XlsxText:
    """Text cells of one xlsxwriter workbook: each cell format in a plain and a quote-prefixed
    version, the latter used for formula-like text."""

    book: Any
    _formats: dict[tuple, tuple[Any, Any]] = field(default_factory=dict)

    def formats(self, props: dict | None = None) -> tuple[Any, Any]:
        key = tuple(sorted((props or {}).items()))
        if key not in self._formats:
            plain = self.book.add_format(props) if props else None
            self._formats[key] = (plain, self.book.add_format({**(props or {}), "quote_prefix": True}))
        return self._formats[key]

    def plain(self, props: dict | None = None) -> Any:
        """The format for cells that are not text (blanks, column defaults)."""
        return self.formats(props)[0]

    def write(self, sheet: Any, row: int, col: int, value: object, props: dict | None = None) -> None:
        text = "" if value is None else str(value)
        plain, quoted = self.formats(props)
        sheet.write_string(row, col, text, quoted if formula_like(text) else plain)

    def write_row(self, sheet: Any, row: int, col: int, values: Iterable[object], props: dict | None = None) -> None:
        for j, value in enumerate(values, start=col):
            self.write(sheet, row, j, value, props)


def set_text(cell: Any, value: object) -> None:
    """An openpyxl cell holding ``value`` as text: a string even when it starts with ``=``, and
    quote-prefixed when formula-like."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
    cell.value = text
    cell.data_type = "s"
    cell.quotePrefix = formula_like(text)
