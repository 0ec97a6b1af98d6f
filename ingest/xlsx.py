"""An Excel workbook (.xlsx) as rows of text cells: which sheet, which rows, what text each cell gives.

Safety first: the zip is inspected before openpyxl touches it (total uncompressed size above
``MAX_UNCOMPRESSED_FACTOR`` × the upload limit, or a large member compressed more than
``MAX_COMPRESSION_RATIO``:1, is a zip bomb → ``xlsx_invalid``); openpyxl runs in read-only mode
and parses XML through defusedxml. Hidden and very hidden sheets are never read at all.

Sheet choice: a visible sheet named like the template's data sheet (``DATA_SHEET_NAMES``, folded)
wins; else the only visible sheet with data; else the one visible sheet whose first row has at
least two recognised column names; otherwise ``xlsx_several_sheets``. The header is the first
non-empty row, with its real Excel row number; every line number is the Excel row.

Cell conversion — the text a person would have typed, so that the normaliser sees one notation:

* numbers → rounded to 15 significant digits, as Excel displays and computes them (the file keeps
  17: ``=F10*F11`` caches ``574.99999999999989``), then the shortest decimal text, never
  scientific: ``1250.0`` → ``1250``, ``87.5`` → ``87.5``, ``0.1 + 0.2`` → ``0.3``, ``1e16`` →
  ``10000000000000000``;
* a number whose format contains ``%`` → the value × 100 with a ``%`` suffix (``0.875`` →
  ``87.5%``; same rounding, then exact decimal arithmetic), as Excel displays it; the normaliser
  reads ``%``;
* numbers stored as text → that text, unchanged;
* dates → what their number format shows (quoted literals, ``\\x`` escapes and ``[..]`` sections
  set aside): a year only (``yyyy``) → ``YYYY``; month and year (``mm/yyyy``, ``mmm-yy``) →
  ``YYYY-MM``; otherwise ``YYYY-MM`` when the day is 1 and the time midnight (Excel turns a typed
  ``2024-03`` or ``03/2024`` into the 1st of the month), else ``YYYY-MM-DD``. A date with a time
  of day stays a date;
* durations (``[h]:mm``) and times of day alone (``hh:mm``) → a number of hours, written as any
  number: ``3420:45`` → ``3420.75``, ``12:30`` → ``12.5``. The validator then checks it against
  the indicator like any other value;
* booleans → ``1`` / ``0``; error values (``#N/A``…) → their text, which the validator rejects;
* formulas → the value Excel cached when it last calculated (read with ``data_only=True``, only
  when the sheet has formulas); a formula with no cached value (files written by scripts) →
  ``formula_without_value`` with the formula text, and the cell is left empty.
"""

from __future__ import annotations

import io
import math
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from ingest.columns import match_header
from ingest.issues import Issue
from metrics.vocabulary import fold

DATA_SHEET_NAMES: tuple[str, ...] = ("Données", "Data", "البيانات")
#: Total uncompressed size allowed, as a multiple of the upload limit.
MAX_UNCOMPRESSED_FACTOR = 20
#: Highest compression ratio allowed for a member...
MAX_COMPRESSION_RATIO = 200
#: ...of at least this size (tiny members of repeated bytes compress far better and are harmless).
RATIO_CHECK_MIN_BYTES = 1 * 2**20

_DATA_SHEET_KEYS = frozenset(fold(name) for name in DATA_SHEET_NAMES)


@dataclass
class SheetCells:
    """The chosen sheet as text: ``rows`` are (Excel row, cells), the header row first."""

    sheet: str
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


class WorkbookProblem(Exception):
    """A workbook-level problem, carried as the issue to report."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.code)
        self.issue = issue


def zip_kind(data: bytes) -> str:
    """What a zip archive holds: xlsx, xlsb, docx, pptx, ods, odt, zip; ``corrupt`` if it cannot be listed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:80] if "mimetype" in names else b""
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        ValueError,
        KeyError,
        RuntimeError,
        NotImplementedError,
    ):
        return "corrupt"
    if "xl/workbook.xml" in names and "[Content_Types].xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "word/document.xml" in names:
        return "docx"
    if any(name.startswith("ppt/") for name in names):
        return "pptx"
    if b"opendocument.spreadsheet" in mimetype:
        return "ods"
    if b"opendocument" in mimetype:
        return "odt"
    return "zip"


def check_archive(data: bytes, max_bytes: int) -> Issue | None:
    """Zip-bomb guard, run before any XML is parsed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, RuntimeError):
        return Issue("xlsx_invalid", value="ZIP")
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_FACTOR * max_bytes:
        return Issue("xlsx_invalid", value=f"ZIP {total / 2**20:.0f} MB")
    for member in members:
        if member.file_size >= RATIO_CHECK_MIN_BYTES:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > MAX_COMPRESSION_RATIO:
                return Issue("xlsx_invalid", value=f"ZIP {ratio:.0f}:1")
    return None


# -- cell conversion ---------------------------------------------------------------------------
def number_text(value: float) -> str:
    """Excel's 15 significant digits as the shortest decimal text, never scientific."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    return _decimal_text(excel_decimal(value))


#: Excel shows and computes with 15 significant digits, rounding halves away from zero.
_EXCEL_DIGITS = Context(prec=15, rounding=ROUND_HALF_UP)


def excel_decimal(value: float) -> Decimal:
    """The float as Excel shows it: its exact binary value rounded to 15 significant digits, so
    that the cached 574.99999999999989 of ``=F10*F11`` is the 575 the sheet displays."""
    return _EXCEL_DIGITS.create_decimal_from_float(float(value))


def _decimal_text(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def percent_text(value: float) -> str:
    """Excel's display of a %-formatted number: 0.875 → 87.5% (decimal arithmetic, no 42.300000000000004)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    number = Decimal(value) if isinstance(value, int) else excel_decimal(value)
    return _decimal_text(number * 100) + "%"


#: Parts of a format code that are shown as written, not read as y/m/d: "quoted text", \x and
#: _x / *x (a character, its width or fill), AM/PM, and [sections] (locale, colour, condition) but
#: for the elapsed-time ones ([h], [mm], [ss]).
_FORMAT_LITERALS = re.compile(
    r'"[^"]*"|\\.|[_*].|am/pm|a/p|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]', re.IGNORECASE
)
#: Minutes, not months: an ``m`` after an hour or before seconds.
_MINUTES = re.compile(r"(?<=h)([^a-z]*)m+|m+(?=[^a-z]*s)")


def date_parts(number_format: str | None) -> frozenset[str]:
    """Which of year, month, day (``y``, ``m``, ``d``) a date format shows."""
    if not number_format:
        return frozenset()
    code = _FORMAT_LITERALS.sub("", number_format).split(";")[0].lower()
    code = _MINUTES.sub(lambda match: match.group(1) or "", code)
    return frozenset(code) & {"y", "m", "d"}


def date_text(value: date, number_format: str | None = None) -> str:
    """The period the format shows (year, or month and year); else YYYY-MM for the 1st of a month at
    midnight (Excel's reading of "2024-03"), else YYYY-MM-DD."""
    day = value.date() if isinstance(value, datetime) else value
    shown = date_parts(number_format)
    if "y" in shown and "d" not in shown:
        return day.strftime("%Y-%m") if "m" in shown else f"{day.year:04d}"
    midnight = not isinstance(value, datetime) or value.time() == time(0, 0)
    return day.strftime("%Y-%m") if day.day == 1 and midnight else day.isoformat()


def hours_text(value: time | timedelta) -> str:
    """A duration or time of day as a number of hours (12:30 → 12.5): an indicator counts hours
    (P05, volunteer hours), not clock time, and "142 days, 12:45:00" is no notation anyone reads."""
    if isinstance(value, time):
        value = timedelta(hours=value.hour, minutes=value.minute, seconds=value.second,
                          microseconds=value.microsecond)
    return number_text(value.total_seconds() / 3600)


def cell_text(value: Any, number_format: str | None = None) -> str:
    """The text of one cell value (see module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        if number_format and "%" in number_format:
            return percent_text(value)
        return number_text(value)
    if isinstance(value, (datetime, date)):
        return date_text(value, number_format)
    if isinstance(value, (time, timedelta)):
        return hours_text(value)
    if isinstance(value, str):
        return value
    return str(getattr(value, "text", value))


# -- sheets ------------------------------------------------------------------------------------
def _rows(worksheet) -> Any:
    """(Excel row, cells) for every row of the sheet; read-only mode, dimensions ignored (often wrong)."""
    worksheet.reset_dimensions()
    yield from enumerate(worksheet.iter_rows(min_row=1), start=1)


def _first_row(worksheet) -> list[str] | None:
    """The first non-empty row as text, or None when the sheet is empty."""
    for _, cells in _rows(worksheet):
        texts = [cell_text(c.value, getattr(c, "number_format", None)) for c in cells]
        if any(t.strip() for t in texts):
            return texts
    return None


def _choose_sheet(workbook) -> Any:
    visible = [ws for ws in workbook.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
    with_data: list[tuple[Any, list[str]]] = []
    for ws in visible:
        first = _first_row(ws)
        if first is None:
            continue
        if fold(ws.title) in _DATA_SHEET_KEYS:
            return ws
        with_data.append((ws, first))
    if not with_data:
        raise WorkbookProblem(Issue("xlsx_no_sheet"))
    if len(with_data) == 1:
        return with_data[0][0]
    tables = [ws for ws, first in with_data if sum(match_header(c) is not None for c in first) >= 2]
    if len(tables) == 1:
        return tables[0]
    shown = tables or [ws for ws, _ in with_data]
    raise WorkbookProblem(
        Issue("xlsx_several_sheets", value=", ".join(ws.title for ws in shown), expected=DATA_SHEET_NAMES[0])
    )


def _read_sheet(worksheet, max_rows: int) -> tuple[list[tuple[int, list[str]]], dict[tuple[int, int], str]]:
    """Non-blank rows from the header on, and the formulas found ((row, column) → formula text)."""
    rows: list[tuple[int, list[str]]] = []
    formulas: dict[tuple[int, int], str] = {}
    for number, cells in _rows(worksheet):
        texts: list[str] = []
        has_formula = False
        for column, cell in enumerate(cells):
            value = cell.value
            if getattr(cell, "data_type", None) == "f":
                formulas[(number, column)] = str(getattr(value, "text", value))
                has_formula = True
                texts.append("")
            else:
                texts.append(cell_text(value, getattr(cell, "number_format", None)))
        if not has_formula and not any(t.strip() for t in texts):
            continue  # blank rows are dropped; their line numbers are simply absent
        rows.append((number, texts))
        if len(rows) - 1 > max_rows:
            raise WorkbookProblem(Issue("too_many_rows", value=f"> {max_rows}", expected=str(max_rows)))
    return rows, formulas


def _cached_values(data: bytes, title: str, wanted: dict[tuple[int, int], str]) -> dict[tuple[int, int], str]:
    """The values Excel cached for the formula cells in ``wanted`` (missing → no cached value)."""
    from openpyxl import load_workbook

    by_row: dict[int, list[int]] = {}
    for row, column in wanted:
        by_row.setdefault(row, []).append(column)
    found: dict[tuple[int, int], str] = {}
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    last = max(by_row)
    try:
        for number, cells in _rows(workbook[title]):
            for column in by_row.get(number, ()):
                if column < len(cells) and cells[column].value is not None:
                    cell = cells[column]
                    found[(number, column)] = cell_text(cell.value, getattr(cell, "number_format", None))
            if number >= last:
                break
    finally:
        workbook.close()
    return found


def read_workbook(data: bytes, *, max_bytes: int, max_rows: int) -> SheetCells:
    """The chosen sheet's rows as text. Raises ``WorkbookProblem`` for a workbook-level problem."""
    problem = check_archive(data, max_bytes)
    if problem is not None:
        raise WorkbookProblem(problem)
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        except Exception as error:  # openpyxl raises many types for damaged parts
            raise WorkbookProblem(Issue("xlsx_invalid", value=type(error).__name__)) from error
        try:
            sheet = _choose_sheet(workbook)
            rows, formulas = _read_sheet(sheet, max_rows)
            title = sheet.title
        except WorkbookProblem:
            raise
        except Exception as error:
            raise WorkbookProblem(Issue("xlsx_invalid", value=type(error).__name__)) from error
        finally:
            workbook.close()
        result = SheetCells(sheet=title, rows=rows)
        if formulas:
            try:
                cached = _cached_values(data, title, formulas)
            except Exception as error:
                raise WorkbookProblem(Issue("xlsx_invalid", value=type(error).__name__)) from error
            _apply_cached(result, formulas, cached)
    return result


def _apply_cached(
    result: SheetCells, formulas: dict[tuple[int, int], str], cached: dict[tuple[int, int], str]
) -> None:
    """Put cached values in place; report formulas that have none (the cell stays empty)."""
    position = {number: i for i, (number, _) in enumerate(result.rows)}
    header = result.rows[0][1] if result.rows else []
    for (number, column), formula in sorted(formulas.items()):
        if number not in position:
            continue
        if (number, column) in cached:
            result.rows[position[number]][1][column] = cached[(number, column)]
        else:
            name = header[column].strip() if column < len(header) else ""
            formula_text = formula if formula.startswith("=") else "=" + formula
            result.issues.append(
                Issue("formula_without_value", line=number, column=name or None, value=formula_text)
            )
