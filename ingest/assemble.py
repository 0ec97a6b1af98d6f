"""Records → the read table: the steps shared by text files and workbooks.

Cells are never stripped or otherwise changed (hostile text is kept verbatim), except that a line
break written as CR LF inside a quoted cell becomes LF, as Excel stores it. Empty cells are ``""``
(never null). Rows with every cell empty are dropped; line numbers are those Excel shows (header =
line 1 when it is the first row; a multi-line quoted cell is one row; blank lines count as rows).
A row with the wrong number of cells is kept, cut to the header width, and reported; so are cells
over ``MAX_CELL_CHARS``, quoted cells that swallowed rows of the file (``rows_in_cell``), a quote
never closed, and damaged text (``ingest.damage``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from ingest.csv_parser import LINE_BREAK, Parsed, Unclosed
from ingest.damage import ALL_CHECKS, Hints, damaged_text, shown
from ingest.dialect import Dialect, header_position
from ingest.issues import Issue, IssueCode, cell_issues, empty_issues, issues_frame, sort_issues
from ingest.xlsx import SheetCells

#: Longest cell accepted, in characters.
MAX_CELL_CHARS = 10_000


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


# -- results -----------------------------------------------------------------------------------
def empty_frame(width: int = 0) -> pl.DataFrame:
    return pl.DataFrame(schema={**{f"c{i}": pl.String for i in range(width)}, "__line": pl.Int64})


def refused(
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
    return RawTable(empty_frame(len(headers)), headers, file_format, encoding, delimiter, sheet, issues)


def assemble_text(
    parsed: Parsed, dialect: Dialect, file_format: str, encoding: str, max_rows: int, hints: Hints
) -> RawTable:
    frame = parsed.frame
    first = dialect.header_record
    if first >= frame.height:
        return refused(Issue(IssueCode.NOT_A_TABLE), file_format, encoding=encoding, delimiter=dialect.delimiter)
    n_header = int(parsed.counts[first])
    header = [frame[f"c{i}"][first] for i in range(n_header)]
    header[0] = header[0].removeprefix("\ufeff")
    offset = 1 - int(dialect.sep_directive)  # Excel does not show its "sep=" line as a row
    rows = frame.select(pl.exclude("__row"), (pl.col("__row").cast(pl.Int64) + offset).alias("__line"))
    maybe_blank = None if parsed.maybe_blank is None else parsed.maybe_blank[first + 1 :]
    table = _assemble(
        rows.slice(first + 1),
        header,
        counts=parsed.counts[first + 1 :],
        maybe_blank=maybe_blank,
        crlf_in_cells=parsed.crlf_in_cells,
        line_breaks_in_cells=parsed.line_breaks_in_cells,
        max_rows=max_rows,
        hints=hints,
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


def _report_unclosed(table: RawTable, unclosed: Unclosed, line: int, header: list[str]) -> RawTable:
    """Add the unclosed quote; its record's wrong cell count and overlong cell are consequences of
    it, not further mistakes, and would only hide it."""
    column = header[unclosed.cell].strip() if unclosed.cell < len(header) else None
    issue = issues_frame([Issue(IssueCode.UNCLOSED_QUOTE, line=line, column=column, value=unclosed.value)])
    noise = pl.col("line").eq_missing(line) & pl.col("code").is_in(
        ["wrong_cell_count", "cell_too_long", "rows_in_cell"]
    )
    return replace(table, issues=sort_issues(pl.concat([table.issues.filter(~noise), issue])))


def assemble_sheet(sheet: SheetCells, max_rows: int) -> RawTable:
    meta = {"file_format": "xlsx", "encoding": None, "delimiter": None, "sheet": sheet.sheet}
    formula_issues = issues_frame(sheet.issues)
    if not sheet.rows:
        return refused(Issue(IssueCode.XLSX_NO_SHEET), "xlsx", sheet=sheet.sheet)
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
        hints=ALL_CHECKS,
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
    hints: Hints,
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
        return refused(Issue(IssueCode.NO_DATA_ROWS), headers=headers, extra=extra, **meta)
    if frame.height > max_rows:
        return refused(Issue(IssueCode.TOO_MANY_ROWS, value=str(frame.height), expected=str(max_rows)), **meta)
    if counts is not None:
        found += _wrong_cell_counts(frame, counts, width, [f"c{j}" for j in range(len(header), len(cells))])
    kept = [f"c{i}" for i in range(width)]
    # One chunk per column, copied here: the parser hands over one per block of the file, every
    # kernel would run per chunk, and validation needs them joined anyway (``python -m ingest``
    # reads the file in a thread while it imports, so the copy is made off the critical path).
    table = frame.select(*kept, "__line").rechunk()
    if crlf_in_cells:
        table = table.with_columns(pl.col(kept).str.replace_all("\r\n", "\n", literal=True))
    names = [h.strip() for h in headers]
    if line_breaks_in_cells and counts is not None:
        found += _rows_in_cells(table, kept, names, meta["delimiter"], min(width, int(np.median(counts))))
    found += _long_cells(table, kept, names)
    found += damaged_text(table, kept, names, question_marks=hints.question_marks, mojibake=hints.mojibake)
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
    return [cell_issues(rows, IssueCode.WRONG_CELL_COUNT, None, value=pl.col("__n"), expected=str(width))]


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
            sum(1 for line in LINE_BREAK.split(text)[1:]
                if line.count(delimiter) >= needed and _shape(line.split(delimiter, 1)[0]) in first_shapes)
            for text in rows.get_column(column).to_list()
        ]
        rows = rows.with_columns(pl.Series("__caught", caught)).filter(pl.col("__caught") > 0)
        if rows.height:
            found.append(cell_issues(rows, IssueCode.ROWS_IN_CELL, name, value=shown(column, line_breaks=True),
                                     expected=pl.col("__caught").cast(pl.String)))
    return found


def _shape(text: str) -> str:
    """A cell's shape: letters → ``a``, digits → ``9``, runs collapsed (``ASS-CAS-001`` → ``a-a-9``)."""
    return re.sub(r"(a)a+|(9)9+", r"\1\2", re.sub(r"[^\W\d_]", "a", re.sub(r"\d", "9", text.strip())))


def _long_cells(table: pl.DataFrame, cells: list[str], names: list[str]) -> list[pl.DataFrame]:
    if table.estimated_size() <= MAX_CELL_CHARS:  # (the bytes of every cell together: no query for a small file)
        return []
    longest = table.select(pl.col(c).str.len_bytes().max() for c in cells).row(0)
    found = []
    for column, name, size in zip(cells, names, longest, strict=True):
        if size is not None and size > MAX_CELL_CHARS:
            chars = pl.col(column).str.len_chars()
            rows = table.filter(chars > MAX_CELL_CHARS)
            if rows.height:
                found.append(
                    cell_issues(rows, IssueCode.CELL_TOO_LONG, name, value=chars, expected=str(MAX_CELL_CHARS))
                )
    return found
