"""An Excel workbook (.xlsx) as rows of text cells: which sheet, which rows, what text each cell gives.

Safety first: the zip is inspected before openpyxl touches it (total uncompressed size above
``MAX_UNCOMPRESSED_FACTOR`` × the upload limit, or a large member compressed more than
``MAX_COMPRESSION_RATIO``:1, is a zip bomb → ``xlsx_invalid``); openpyxl runs in read-only mode
and parses XML through defusedxml. Hidden and very hidden sheets are never read at all. A
"Strict Open XML" workbook (another XML namespace, which openpyxl does not read) →
``unsupported_format``: saved again as a normal "Classeur Excel (.xlsx)" it reads.

Hidden columns (``<col min="4" max="4" hidden="1"/>`` in the sheet XML before ``<sheetData>``,
which openpyxl's read-only mode does not expose; the columns of a collapsed outline group are
written hidden too) are not imported either: their cells are read as empty — header and rows alike,
when choosing the sheet too — so the sheet reads as if they were absent while every other column
keeps its position, hence its Excel letter in messages (an empty column is ignored in silence). A
row with something only in hidden columns is a blank row. Each hidden column with a header or a
non-empty cell from the header row on (a formula counts) is reported once: ``hidden_column``
(warning), ``column`` its header as written (its letter when the header is empty), ``value`` its
letter. Hidden rows are read.

Sheet choice: each visible sheet's header is found as for the chosen sheet (title rows above it
skipped, ``ingest.dialect.header_position``); a sheet *holds data* when that header names the
required columns (period, and indicator and value or indicator codes as columns; or at least four
recognised names) and a row below fills two cells or more. A visible sheet named like the
template's data sheet (``DATA_SHEET_NAMES``, folded) wins — unless another visible sheet holds data
too (Excel's copy "Données (2)", data pasted in "Feuil2"): then ``xlsx_several_sheets``, never a
silent pick. Else the only non-empty visible sheet; else the only one holding data; else the only
one with a data header, or with at least two recognised column names; otherwise
``xlsx_several_sheets``. Every line number is the Excel row.

Cell conversion — the text a person would have typed, so that the normaliser sees one notation.
What a number format decides is worked out once per format (``format_info``), not per cell:

* numbers → rounded to 15 significant digits, as Excel displays and computes them (the file keeps
  17: ``=F10*F11`` caches ``574.99999999999989``), then the shortest decimal text, never
  scientific: ``1250.0`` → ``1250``, ``87.5`` → ``87.5``, ``0.1 + 0.2`` → ``0.3``, ``1e16`` →
  ``10000000000000000``;
* a number whose format has a ``%`` that is not a literal → the value × 100 with a ``%`` suffix
  (``0.875`` → ``87.5%``; same rounding, then exact decimal arithmetic), as Excel displays it; the
  normaliser reads ``%``. A quoted or escaped ``%`` (``0.0" %"``, ``0.0\\%``) only shows the sign:
  the number is read as it is (Excel's rule);
* a zero that Excel does not display — the format's zero section is empty (``# ##0;-# ##0;``,
  ``0;-0;;@``) or the sheet hides zeros (Options → "Afficher un zéro…" off) → an empty cell, as
  the person sees it; a row of such zeros is a blank row;
* text → as written, Excel's ``_xHHHH_`` escapes undone (``_x000D_`` is a carriage return,
  ``_x005F_`` an underscore); numbers stored as text → that text, unchanged;
* dates → what their number format shows (quoted literals, ``\\x`` escapes and ``[..]`` sections
  set aside): a year only (``yyyy``) → ``YYYY``; month and year (``mm/yyyy``, ``mmm-yy``) →
  ``YYYY-MM``; otherwise ``YYYY-MM`` when the day is 1 and the time midnight (Excel turns a typed
  ``2024-03`` or ``03/2024`` into the 1st of the month), else ``YYYY-MM-DD``. A date with a time
  of day stays a date. A date before 1910 is a number typed into a cell already formatted as a
  date (2024 in a ``mmm-yy`` cell shows "juil.-05"): ``number_as_date`` with what the cell shows
  and the number typed, which the cell then holds;
* formats with time parts only (``[h]:mm``, ``hh:mm``, ``h:mm:ss``, ``mm:ss``) are durations → a
  number of hours, written as any number, whatever Excel wraps on screen: ``3420:45`` →
  ``3420.75`` (also in ``hh:mm``, which shows it as 12:45), ``12:30`` → ``12.5``. The validator
  then checks it against the indicator like any other value;
* booleans → ``1`` / ``0``; error values (``#N/A``…) → their text, which the validator rejects;
* formulas → the value Excel cached when it last calculated (read with ``data_only=True``, only
  when the sheet has formulas); a formula whose result is the empty string (``=IF(G3="";"";…)``,
  cached as ``t="str"`` with an empty value) is an empty cell; a formula with no cached value at
  all (files written by scripts) → ``formula_without_value`` with the formula text, and the cell is
  left empty.
"""

from __future__ import annotations

import io
import math
import re
import struct
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any
from xml.etree.ElementTree import ParseError

from framework.vocabulary import fold
from ingest.columns import column_letter, match_header
from ingest.dialect import TITLE_ROWS_SCANNED, header_position, is_recognised
from ingest.issues import Issue, IssueCode
from ingest.narrative_sheet import SHEET_KEYS as NARRATIVE_SHEETS

DATA_SHEET_NAMES: tuple[str, ...] = ("Données", "Data", "البيانات")
#: Total uncompressed size allowed, as a multiple of the upload limit.
MAX_UNCOMPRESSED_FACTOR = 20
#: Highest compression ratio allowed for a member...
MAX_COMPRESSION_RATIO = 200
#: ...of at least this size (tiny members of repeated bytes compress far better and are harmless).
RATIO_CHECK_MIN_BYTES = 1 * 2**20
#: A date cell before this day is a number typed into a date-formatted cell (2024 → 1905-07-16).
FIRST_PLAUSIBLE_DATE = datetime(1910, 1, 1)
#: Rows looked at below a sheet's header when choosing the sheet.
ROWS_LOOKED_AT = 5

_DATA_SHEET_KEYS = frozenset(fold(name) for name in DATA_SHEET_NAMES)
#: Excel's 1900 date system: serial 1 is 1900-01-01 (and 1900-02-29, which never was, is 60).
_EPOCH_1900 = datetime(1899, 12, 30)
_STRICT_NAMESPACE = b"purl.oclc.org/ooxml/spreadsheetml/main"
#: General-purpose flag bit of a zip member encrypted by the zip format itself (never by Excel,
#: whose password-protected workbooks are OLE2 files: ``encrypted_workbook``).
_ENCRYPTED_MEMBER = 0x1



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


#: What reading a damaged workbook raises: a deflate stream that does not inflate (``zlib.error``),
#: a bad CRC or member header (``BadZipFile``), a member cut short (``EOFError``), a header field that
#: does not unpack (``struct.error``), XML that does not parse (``ParseError``, or a ``LookupError``
#: for an XML declaration naming an encoding that does not exist) → ``damaged_workbook``.
DAMAGE_ERRORS: tuple[type[Exception], ...] = (zipfile.BadZipFile, zlib.error, EOFError, struct.error, ParseError)
#: What openpyxl raises on a workbook it can read but refuses (no workbook part: ``OSError``; a part
#: missing, an attribute of the wrong type or value, an entity defusedxml refuses:
#: ``DefusedXmlException`` is a ValueError) → ``xlsx_invalid``. Any other exception is a bug and
#: propagates.
REFUSAL_ERRORS: tuple[type[Exception], ...] = (
    OSError, KeyError, TypeError, ValueError, IndexError, NotImplementedError, LookupError,
)


def workbook_problem(error: Exception) -> WorkbookProblem:
    """The issue for an exception of ``DAMAGE_ERRORS`` (its value: the layer that is damaged, ``XML``
    or ``ZIP``) or ``REFUSAL_ERRORS`` (its value: the exception's name, as before)."""
    if isinstance(error, ParseError) or type(error) is LookupError:  # LookupError: an unknown XML encoding
        return WorkbookProblem(Issue(IssueCode.DAMAGED_WORKBOOK, value="XML"))
    if isinstance(error, DAMAGE_ERRORS):
        return WorkbookProblem(Issue(IssueCode.DAMAGED_WORKBOOK, value="ZIP"))
    return WorkbookProblem(Issue(IssueCode.XLSX_INVALID, value=type(error).__name__))


def zip_kind(data: bytes) -> str:
    """What a zip archive holds: xlsx, xlsb, docx, pptx, ods, odt, zip; ``corrupt`` if it cannot be listed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:80] if "mimetype" in names else b""
    except (
        *DAMAGE_ERRORS,
        zipfile.LargeZipFile,
        OSError,
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
    """Zip-bomb guard (and members no workbook has), run before any XML is parsed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (*DAMAGE_ERRORS, zipfile.LargeZipFile, OSError, ValueError, RuntimeError):
        return Issue(IssueCode.XLSX_INVALID, value="ZIP")
    if any(member.flag_bits & _ENCRYPTED_MEMBER for member in members):
        return Issue(IssueCode.DAMAGED_WORKBOOK, value="ZIP")  # Excel never encrypts members: a damaged header
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_FACTOR * max_bytes:
        return Issue(IssueCode.XLSX_INVALID, value=f"ZIP {total / 2**20:.0f} MB")
    for member in members:
        if member.file_size >= RATIO_CHECK_MIN_BYTES:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > MAX_COMPRESSION_RATIO:
                return Issue(IssueCode.XLSX_INVALID, value=f"ZIP {ratio:.0f}:1")
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


#: Parts of a format code that are shown as written, not read as y/m/d or %: "quoted text", \x and
#: _x / *x (a character, its width or fill), AM/PM, and [sections] (locale, colour, condition) but
#: for the elapsed-time ones ([h], [mm], [ss]).
_FORMAT_LITERALS = re.compile(
    r'"[^"]*"|\\.|[_*].|am/pm|a/p|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]', re.IGNORECASE
)
#: Minutes, not months: an ``m`` after an hour or before seconds, or elapsed minutes ``[mm]``.
_MINUTES = re.compile(r"(?<=h)([^a-z]*)m+|m+(?=[^a-z]*s)|\[m+\]")
_TIME_PARTS = re.compile(r"[hs]|\[m")
#: A format code in tokens, to split it into its sections (``;`` inside quotes is text).
_FORMAT_TOKENS = re.compile(r'"[^"]*"?|\\.|;|[^";\\]+|.', re.DOTALL)
#: What a section may hold and still show nothing: [colour]/[condition], _x widths, "" and spaces.
_NOTHING_SHOWN = re.compile(r'\[[^\]]*\]|_.|\*\s|""|\s', re.DOTALL)


@dataclass(frozen=True, slots=True)
class FormatInfo:
    """What a number format decides for a cell, worked out once per format code."""

    parts: frozenset[str]  # which of y, m, d a date shows
    percent: bool  # an unquoted, unescaped % scales the number by 100
    duration: bool  # time parts only (h, mm as minutes, ss, [h]): a number of hours
    zero_hidden: bool  # the zero section is empty: a 0 shows nothing


_NO_FORMAT = FormatInfo(frozenset(), percent=False, duration=False, zero_hidden=False)
_FORMATS: dict[str, FormatInfo] = {}
_FORMATS_KEPT = 4096


def _format_sections(number_format: str) -> list[str]:
    sections = [""]
    for token in _FORMAT_TOKENS.findall(number_format):
        if token == ";":
            sections.append("")
        else:
            sections[-1] += token
    return sections


def _analyse_format(number_format: str) -> FormatInfo:
    shown = _FORMAT_LITERALS.sub("", number_format).lower()
    first = shown.split(";")[0]
    parts = frozenset(_MINUTES.sub(lambda match: match.group(1) or "", first)) & {"y", "m", "d"}
    sections = _format_sections(number_format)
    return FormatInfo(
        parts=parts,
        percent="%" in shown,
        duration=not parts and _TIME_PARTS.search(first) is not None,
        zero_hidden=len(sections) >= 3 and not _NOTHING_SHOWN.sub("", sections[2]),
    )


def format_info(number_format: str | None) -> FormatInfo:
    """The decisions of one number format (cached: a workbook has a few formats, and many cells)."""
    if not number_format:
        return _NO_FORMAT
    info = _FORMATS.get(number_format)
    if info is None:
        if len(_FORMATS) >= _FORMATS_KEPT:
            _FORMATS.clear()
        info = _FORMATS[number_format] = _analyse_format(number_format)
    return info


def date_parts(number_format: str | None) -> frozenset[str]:
    """Which of year, month, day (``y``, ``m``, ``d``) a date format shows."""
    return format_info(number_format).parts


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


def excel_serial(value: datetime, epoch: datetime = _EPOCH_1900) -> timedelta:
    """The number of days in the cell behind a date openpyxl made of it, as a duration: the
    inverse of ``openpyxl.utils.datetime.from_excel`` (serials 1–60 of the 1900 system are shifted
    by the 29 February 1900 that Excel counts and that never was)."""
    elapsed = value - epoch
    if epoch == _EPOCH_1900 and 0 < elapsed.days <= 60:
        elapsed -= timedelta(days=1)
    return elapsed


def serial_text(value: datetime, epoch: datetime = _EPOCH_1900) -> str:
    """The number typed into a date-formatted cell: 1905-07-16 → 2024."""
    return number_text(excel_serial(value, epoch).total_seconds() / 86400)


#: Excel's escape of a character in XML text: ``_x000D_`` (a surrogate pair as two escapes).
_EXCEL_ESCAPE = re.compile(r"_x([dD][89abAB][0-9a-fA-F]{2})__x([dD][c-fC-F][0-9a-fA-F]{2})_|_x([0-9a-fA-F]{4})_")


def _unescape_match(match: re.Match[str]) -> str:
    if match.group(3) is None:
        high, low = int(match.group(1), 16), int(match.group(2), 16)
        return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    code = int(match.group(3), 16)
    return match.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)  # a lone surrogate is no text


def unescape_text(text: str) -> str:
    """Excel's ``_xHHHH_`` escapes undone: ``a_x000D_b`` → ``a\\rb``, ``_x005F_x000D_`` → ``_x000D_``.
    A carriage return before a line feed is dropped, as XML drops it from text written as is."""
    if "_x" not in text:
        return text
    text = _EXCEL_ESCAPE.sub(_unescape_match, text)
    return text.replace("\r\n", "\n") if "\r" in text else text


def cell_text(
    value: Any,
    number_format: str | None = None,
    *,
    epoch: datetime = _EPOCH_1900,
    hide_zeros: bool = False,
) -> str:
    """The text of one cell value (see module docstring). ``hide_zeros``: the sheet shows no zeros;
    ``epoch``: the workbook's date system (1900, or 1904 for old Mac workbooks)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return unescape_text(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    info = format_info(number_format)
    if isinstance(value, (int, float)):
        if value == 0 and (hide_zeros or info.zero_hidden):
            return ""
        return percent_text(value) if info.percent else number_text(value)
    if isinstance(value, datetime):
        return hours_text(excel_serial(value, epoch)) if info.duration else date_text(value, number_format)
    if isinstance(value, date):
        return date_text(value, number_format)
    if isinstance(value, (time, timedelta)):
        return hours_text(value)
    return str(getattr(value, "text", value))


# -- opening -----------------------------------------------------------------------------------
def _is_strict(data: bytes) -> bool:
    """A workbook saved as "Strict Open XML" (its XML in another namespace, which openpyxl ignores)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("xl/workbook.xml") as part:
            head = part.read(4096)
    except (*DAMAGE_ERRORS, KeyError, OSError, ValueError, RuntimeError, NotImplementedError):
        return False  # openpyxl meets the damage again, and it is reported then
    return _STRICT_NAMESPACE in head


def _load(data: bytes, *, data_only: bool) -> Any:
    """openpyxl's read-only workbook, with the shared strings as written (see ``_RawStrings``)."""
    from openpyxl.cell.text import Text
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    string_tag = f"{{{SHEET_MAIN_NS}}}si"

    class _RawStrings(ExcelReader):
        """openpyxl drops every ``x005F_`` from shared strings (so ``_x005F_x000D_``, the text
        "_x000D_", would read as a carriage return) and undoes no other escape: the strings are
        kept as written, and ``unescape_text`` undoes the escapes of every text cell alike."""

        def read_strings(self) -> None:
            part = self.package.find(SHARED_STRINGS)
            if part is None:
                return
            strings = []
            with self.archive.open(part.PartName[1:]) as source:
                for _, node in iterparse(source):
                    if node.tag == string_tag:
                        strings.append(Text.from_tree(node).content)
                        node.clear()
            self.shared_strings = strings

    reader = _RawStrings(io.BytesIO(data), read_only=True, data_only=data_only)
    reader.read()
    return reader.wb


# -- sheets ------------------------------------------------------------------------------------
def _rows(worksheet) -> Any:
    """(Excel row, cells) for every row of the sheet; read-only mode, dimensions ignored (often wrong)."""
    worksheet.reset_dimensions()
    yield from enumerate(worksheet.iter_rows(min_row=1), start=1)


_SHOW_ZEROS_OFF = re.compile(rb"<(?:\w+:)?sheetView\b[^>]*?\sshowZeros\s*=\s*[\"'](?:0|false)[\"']")
#: A ``<col>`` element of ``<cols>`` (not ``<cols>`` itself), and one XML attribute.
_COLUMN_ELEMENT = re.compile(rb"<(?:\w+:)?col\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"([\w:]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
#: Excel's last column (XFD).
MAX_COLUMNS = 16384
#: How much of a sheet's XML is read for what comes before ``<sheetData>``.
_HEAD_BYTES = 2**20


def _sheet_head(worksheet) -> bytes:
    """The sheet's XML before ``<sheetData>`` (sheet view, column widths and visibility), at most
    ``_HEAD_BYTES``; empty when the part cannot be read (openpyxl then reports what is wrong)."""
    head = b""
    try:
        with worksheet._get_source() as source:
            while len(head) < _HEAD_BYTES and b"sheetData" not in head:
                chunk = source.read(2**16)
                if not chunk:
                    break
                head += chunk
    except (*DAMAGE_ERRORS, *REFUSAL_ERRORS, OSError):  # openpyxl reads the part again and reports it
        return b""
    return head.split(b"sheetData", 1)[0]


def _zeros_hidden(head: bytes) -> bool:
    """The sheet hides its zeros (``<sheetView showZeros="0">``, before ``<sheetData>``)."""
    return _SHOW_ZEROS_OFF.search(head) is not None


def _hidden_columns(head: bytes) -> frozenset[int]:
    """The columns hidden in Excel (0-based): ``<col min="4" max="4" hidden="1"/>``, 1-based ranges;
    the columns of a collapsed outline group are written hidden too."""
    hidden: set[int] = set()
    for element in _COLUMN_ELEMENT.finditer(head):
        attributes = {
            name.split(b":")[-1]: double or single
            for name, double, single in _ATTRIBUTE.findall(element.group(1))
        }
        if attributes.get(b"hidden", b"").strip().lower() not in (b"1", b"true"):
            continue
        try:
            low = int(attributes[b"min"])
            high = int(attributes.get(b"max", attributes[b"min"]))
        except (KeyError, ValueError):
            continue
        hidden.update(range(max(low, 1) - 1, min(high, MAX_COLUMNS)))
    return frozenset(hidden)


@dataclass
class _Look:
    """A visible sheet's top: its header (found as for the chosen sheet) and what it holds."""

    sheet: Any
    recognised: int  # header cells naming a column or an indicator
    data_header: bool  # the header names the required columns (or enough recognised ones)
    has_rows: bool  # a row below the header fills two cells or more


def _look(worksheet, epoch: datetime) -> _Look | None:
    """The sheet's first non-blank rows, enough for its header and a few rows below; None when empty.
    Hidden columns are left out, as when the sheet is read."""
    hidden = _hidden_columns(_sheet_head(worksheet))
    filled: list[list[str]] = []
    for _, cells in _rows(worksheet):
        texts = [
            "" if c.value is None or column in hidden else cell_text(c.value, c.number_format, epoch=epoch)
            for column, c in enumerate(cells)
        ]
        if any(t.strip() for t in texts):
            filled.append(texts)
            if len(filled) >= TITLE_ROWS_SCANNED + ROWS_LOOKED_AT:
                break
    if not filled:
        return None
    at = header_position(filled) or 0
    header = [cell.strip() for cell in filled[at]]
    names = {match_header(cell) for cell in header}
    recognised = [cell for cell in header if is_recognised(cell)]
    indicator_columns = sum(1 for cell in recognised if match_header(cell) is None)
    data_header = len(recognised) >= 4 or (
        "period" in names and ({"indicator_code", "value"} <= names or indicator_columns > 0)
    )
    has_rows = any(sum(1 for cell in row if cell.strip()) >= 2 for row in filled[at + 1 :])
    return _Look(worksheet, len(recognised), data_header, has_rows)


def _several(looks: list[_Look]) -> WorkbookProblem:
    return WorkbookProblem(
        Issue(IssueCode.XLSX_SEVERAL_SHEETS, value=", ".join(look.sheet.title for look in looks), expected=DATA_SHEET_NAMES[0])
    )


#: Sheets that show how to fill the data sheet ("Exemple", "Exemple rempli", "مثال"): beside a
#: sheet named like the template's, they are no competing data.
_EXAMPLE_SHEET = re.compile(r"^(exemple|exemples|example|examples|modele rempli|مثال|نموذج)\b")


def _choose_sheet(workbook) -> Any:
    visible = [ws for ws in workbook.worksheets if getattr(ws, "sheet_state", "visible") == "visible"
               and fold(ws.title) not in NARRATIVE_SHEETS]  # read apart (ingest.narratives)
    epoch = getattr(workbook, "epoch", _EPOCH_1900)
    looks = [look for ws in visible if (look := _look(ws, epoch)) is not None]
    if not looks:
        raise WorkbookProblem(Issue(IssueCode.XLSX_NO_SHEET))
    with_data = [look for look in looks if look.data_header and look.has_rows]
    named = next((look for look in looks if fold(look.sheet.title) in _DATA_SHEET_KEYS), None)
    if named is not None:
        others = [look for look in with_data if look is not named and not _EXAMPLE_SHEET.match(fold(look.sheet.title))]
        if others:  # "Données (2)", or data pasted in another sheet: which is meant, only the person knows
            raise _several([named, *others])
        return named.sheet
    if len(looks) == 1:
        return looks[0].sheet
    for candidates in (with_data, [look for look in looks if look.data_header]):
        if len(candidates) == 1:
            return candidates[0].sheet
        if len(candidates) > 1:
            raise _several(candidates)
    tables = [look for look in looks if look.recognised >= 2]
    if len(tables) == 1:
        return tables[0].sheet
    raise _several(tables or looks)


#: (Excel row, column index) → (what the date cell shows, the number typed).
_Typed = dict[tuple[int, int], tuple[str, str]]


def _value_text(cell, epoch: datetime, hide_zeros: bool) -> tuple[str, str | None]:
    """A non-empty cell's text, and the number typed when it is a number shown as a date."""
    value = cell.value
    if isinstance(value, str):
        return unescape_text(value), None
    number_format = cell.number_format
    text = cell_text(value, number_format, epoch=epoch, hide_zeros=hide_zeros)
    if type(value) is datetime and value < FIRST_PLAUSIBLE_DATE and not format_info(number_format).duration:
        return text, serial_text(value, epoch)
    return text, None


#: Rows whose hidden cells are kept as text (the header is one of the first non-blank rows).
_HIDDEN_TOP_ROWS = 4 * TITLE_ROWS_SCANNED


@dataclass
class _HiddenCells:
    """What the sheet's hidden columns hold (their cells are read as empty)."""

    columns: frozenset[int] = frozenset()
    last_filled: dict[int, int] = field(default_factory=dict)  # column → last Excel row with content
    top: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column) → text, first rows


def _read_sheet(
    worksheet,
    max_rows: int,
    epoch: datetime = _EPOCH_1900,
    hide_zeros: bool = False,
    hidden: _HiddenCells | None = None,
) -> tuple[list[tuple[int, list[str]]], dict[tuple[int, int], str], _Typed]:
    """Non-blank rows from the header on, the formulas found ((row, column) → formula text), and
    the numbers shown as dates (the cell then holds the number). The cells of ``hidden.columns``
    are read as empty (a row holding nothing else is blank); what they hold is noted in ``hidden``."""
    rows: list[tuple[int, list[str]]] = []
    formulas: dict[tuple[int, int], str] = {}
    typed: _Typed = {}
    hidden_columns = hidden.columns if hidden is not None else frozenset()
    for number, cells in _rows(worksheet):
        texts: list[str] = []
        has_formula = False
        for column, cell in enumerate(cells):
            value = cell.value
            if value is None:
                texts.append("")
            elif hidden_columns and column in hidden_columns:
                texts.append("")
                _note_hidden(hidden, cell, number, column, len(rows) < _HIDDEN_TOP_ROWS, epoch, hide_zeros)
            elif cell.data_type == "f":
                formulas[(number, column)] = str(getattr(value, "text", value))
                has_formula = True
                texts.append("")
            else:
                text, serial = _value_text(cell, epoch, hide_zeros)
                if serial is not None:
                    typed[(number, column)] = (text, serial)
                    text = serial
                texts.append(text)
        if not has_formula and not any(t.strip() for t in texts):
            continue  # blank rows are dropped; their line numbers are simply absent
        rows.append((number, texts))
        if len(rows) - 1 > max_rows:
            raise WorkbookProblem(Issue(IssueCode.TOO_MANY_ROWS, value=f"> {max_rows}", expected=str(max_rows)))
    return rows, formulas, typed


def _note_hidden(
    hidden: _HiddenCells, cell, number: int, column: int, top: bool, epoch: datetime, hide_zeros: bool
) -> None:
    """Note a non-empty cell of a hidden column: a formula counts as content (its text, for a
    header, is left unknown: the column is then named by its letter)."""
    if cell.data_type == "f":
        text = ""
    else:
        text, _ = _value_text(cell, epoch, hide_zeros)
        if not text.strip():
            return
    hidden.last_filled[column] = number
    if top:
        hidden.top[(number, column)] = text


def _hidden_column_issues(rows: list[tuple[int, list[str]]], hidden: _HiddenCells) -> list[Issue]:
    """One ``hidden_column`` warning per hidden column with a header or a cell from the header on,
    named by its header as written (else its letter), its Excel letter as the value."""
    if not hidden.last_filled:
        return []
    first = (header_position([cells for _, cells in rows]) or 0) if rows else 0
    header_line = rows[first][0] if rows else 1
    issues = []
    for column, last in sorted(hidden.last_filled.items()):
        if last < header_line:
            continue  # only above the header: a title block, not a column of the table
        letter = column_letter(column)
        name = hidden.top.get((header_line, column), "").strip() or letter
        issues.append(Issue(IssueCode.HIDDEN_COLUMN, line=1, column=name, value=letter))
    return issues


def _cached_values(
    data: bytes, title: str, wanted: dict[tuple[int, int], str], hide_zeros: bool = False
) -> tuple[dict[tuple[int, int], str], _Typed]:
    """The values Excel cached for the formula cells in ``wanted`` (missing → no cached value; a
    string result cached empty, ``t="str"`` with ``<v></v>``, is the empty text it is)."""
    by_row: dict[int, list[int]] = {}
    for row, column in wanted:
        by_row.setdefault(row, []).append(column)
    found: dict[tuple[int, int], str] = {}
    typed: _Typed = {}
    workbook = _load(data, data_only=True)
    epoch = getattr(workbook, "epoch", _EPOCH_1900)
    last = max(by_row)
    try:
        for number, cells in _rows(workbook[title]):
            for column in by_row.get(number, ()):
                if column >= len(cells):
                    continue
                cell = cells[column]
                if cell.value is not None:
                    text, serial = _value_text(cell, epoch, hide_zeros)
                    if serial is not None:
                        typed[(number, column)] = (text, serial)
                        text = serial
                    found[(number, column)] = text
                elif cell.data_type == "str":
                    found[(number, column)] = ""
            if number >= last:
                break
    finally:
        workbook.close()
    return found, typed


def read_workbook(data: bytes, *, max_bytes: int, max_rows: int) -> SheetCells:
    """The chosen sheet's rows as text. Raises ``WorkbookProblem`` for a workbook-level problem."""
    problem = check_archive(data, max_bytes)
    if problem is not None:
        raise WorkbookProblem(problem)
    if _is_strict(data):
        raise WorkbookProblem(Issue(IssueCode.UNSUPPORTED_FORMAT, value="XLSX Strict Open XML"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = _load(data, data_only=False)
        except (*DAMAGE_ERRORS, *REFUSAL_ERRORS) as error:
            raise workbook_problem(error) from error
        try:
            sheet = _choose_sheet(workbook)
            head = _sheet_head(sheet)
            hide_zeros = _zeros_hidden(head)
            hidden = _HiddenCells(_hidden_columns(head))
            if hidden.columns:
                hidden = _HiddenCells(hidden.columns - _hidden_but_needed(sheet, hidden.columns))
            epoch = getattr(workbook, "epoch", _EPOCH_1900)
            rows, formulas, typed = _read_sheet(sheet, max_rows, epoch, hide_zeros, hidden)
            title = sheet.title
        except (*DAMAGE_ERRORS, *REFUSAL_ERRORS) as error:
            raise workbook_problem(error) from error
        finally:
            workbook.close()
        result = SheetCells(sheet=title, rows=rows)
        cached: dict[tuple[int, int], str] = {}
        if formulas:
            try:
                cached, typed_results = _cached_values(data, title, formulas, hide_zeros)
            except (*DAMAGE_ERRORS, *REFUSAL_ERRORS) as error:
                raise workbook_problem(error) from error
            typed.update(typed_results)
        _finish(result, formulas, cached, typed)
        result.issues.extend(_hidden_column_issues(result.rows, hidden))
    return result


def _hidden_but_needed(worksheet, hidden: frozenset[int]) -> frozenset[int]:
    """Hidden code columns (organisation, indicator) whose role no visible column has: a template
    whose ``org_code`` or indicator code column is hidden, pre-filled, beside the names. Without them
    the file could not be read at all, so they are read. A hidden value or period column is not, even
    alone: old figures are what people hide."""
    top = [["" if v is None else str(v) for v in row]
           for row in worksheet.iter_rows(max_row=_HIDDEN_TOP_ROWS, values_only=True)]
    if not top:
        return frozenset()
    header = top[header_position(top) or 0]
    named = {i: match_header(unescape_text(text)) for i, text in enumerate(header)}
    visible = {canonical for i, canonical in named.items() if i not in hidden and canonical is not None}
    return frozenset(i for i in hidden if named.get(i) in _HIDDEN_KEYS and named[i] not in visible)


_HIDDEN_KEYS = frozenset({"org_code", "indicator_code"})


def _finish(
    result: SheetCells, formulas: dict[tuple[int, int], str], cached: dict[tuple[int, int], str], typed: _Typed
) -> None:
    """Put cached values in place; report formulas that have none (the cell stays empty) and
    numbers shown as dates below the header, each under its header's name."""
    position = {number: i for i, (number, _) in enumerate(result.rows)}
    missing: list[tuple[int, int, str]] = []
    for (number, column), formula in sorted(formulas.items()):
        if number not in position:
            continue
        if (number, column) in cached:
            result.rows[position[number]][1][column] = cached[(number, column)]
        else:
            missing.append((number, column, formula if formula.startswith("=") else "=" + formula))
    if not missing and not typed:
        return
    first = (header_position([cells for _, cells in result.rows]) or 0) if result.rows else 0
    header_line, header = result.rows[first] if result.rows else (0, [])

    def name(column: int) -> str | None:
        return (header[column].strip() if column < len(header) else "") or None

    for number, column, formula_text in missing:
        result.issues.append(Issue(IssueCode.FORMULA_WITHOUT_VALUE, line=number, column=name(column), value=formula_text))
    for (number, column), (shown, serial) in sorted(typed.items()):
        if number > header_line and number in position:
            if match_header(name(column)) in ("notes", "source"):  # free text: the date is what it says
                result.rows[position[number]][1][column] = shown
                continue
            result.issues.append(Issue(IssueCode.NUMBER_AS_DATE, line=number, column=name(column), value=shown, expected=serial))
