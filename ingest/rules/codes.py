"""Codes: the few distinct texts of each key column, coded once, and the state the row rules share.

A file holds few distinct organisations, indicators, periods, units and breakdown values, so each
rule decides once per distinct text (in Python, with the exact ``fold`` the framework uses) and
only looks for rows when some text breaks it. ``RowCheck`` carries the table and the issues found
so far from one rule module to the next.

Emits ``excel_error`` for an Excel error (``#N/A`` of a lookup that found nothing) in a code or
breakdown cell, and drops the cell's other complaints.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

from framework.model import fold
from ingest.issues import IssueCode, cell_issues, empty_issues
from ingest.normalise import EXCEL_ERROR, undo_double_encoding

EXCEL_ERROR_TEXT = re.compile(EXCEL_ERROR)


def concat_issues(frames: list[pl.DataFrame]) -> pl.DataFrame:
    frames = [f for f in frames if f.height]
    if not frames:
        return empty_issues()
    # The same problem once: an empty organisation cell of a wide row is one cell, not one per indicator.
    return (pl.concat(frames, how="vertical").unique(maintain_order=True)
            .sort("line", "column", nulls_last=False, maintain_order=True))


def join_distinct(table: pl.DataFrame, column: str, lookup: Callable[[str], dict | None],
                  schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Attach what ``lookup`` says about each distinct text of ``column`` (one hash join).

    A file holds few distinct organisations, indicators, periods and units, so the lookup runs
    once per distinct text (in Python, with the exact ``fold`` the framework uses) and the
    result is joined back: no per-row Python. Cells of white space only become null here.
    """
    distinct = table.get_column(column).unique().drop_nulls().to_list()
    blank = [text for text in distinct if not text.strip()]
    if blank:
        table = table.with_columns(pl.when(~pl.col(column).is_in(blank)).then(pl.col(column)).alias(column))
    rows = []
    for text in distinct:
        found = lookup(text) if text.strip() else None
        if found is not None:
            rows.append({"__key": text, **found})
    frame = pl.DataFrame(rows, schema={"__key": pl.String, **schema}, orient="row")
    return table.join(frame, left_on=column, right_on="__key", how="left", maintain_order="left")


def id_counter() -> Callable[[str | None], int | None]:
    """Small integer per distinct canonical value: the duplicate check hashes integers, not text."""
    seen: dict[str, int] = {}
    return lambda value: None if value is None else seen.setdefault(value, len(seen))


class Codes:
    """The texts of one column and, per row, the position of its text among them.

    A file holds few distinct organisations, indicators, periods, units and breakdown values, so
    each is looked up once (in Python, with the exact ``fold`` the framework uses) and the rows
    only carry a small integer (``__<column>``, null for an empty or white-space-only cell). What a
    lookup says about a text is attached to the rows with ``fact``, a gather by that integer: no
    per-row Python, no join that would copy every column of the table.

    ``texts`` are the distinct texts of the column (``exact``), or a list of expected spellings
    (the registered organisation codes, the framework's indicator codes) that holds every text of
    the column; then some of them may appear in no row.
    """

    def __init__(self, column: str, texts: list[str], *, exact: bool = True) -> None:
        self.column = column
        self.code = f"__{column}"
        self.texts = [text for text in texts if text.strip()]
        self.exact = exact

    def expr(self) -> pl.Expr:
        """The per-row code (one hash probe per cell: a cast to an enum of the texts)."""
        if not self.texts:
            return pl.lit(None, pl.UInt32).alias(self.code)
        return pl.col(self.column).cast(pl.Enum(self.texts), strict=False).to_physical().cast(pl.UInt32).alias(self.code)

    def fact(self, values: list, dtype: pl.DataType) -> pl.Expr:
        """Per row, ``values[code]`` (``values`` is aligned with ``texts``); null where the code is."""
        return pl.lit(pl.Series(values, dtype=dtype)).gather(pl.col(self.code))

    def where(self, test: Callable[[int], bool]) -> list[int]:
        """Codes of the texts meeting ``test`` (given the position of the text)."""
        return [i for i in range(len(self.texts)) if test(i)]

    def rows_in(self, codes: list[int]) -> pl.Expr:
        """Rows whose text is one of ``codes`` (never null: an empty cell is in no list, and a
        null here would drop the row from both a filter and its negation)."""
        return pl.col(self.code).is_in(pl.Series(codes, dtype=pl.UInt32).implode()).fill_null(False)


def encode(
    table: pl.DataFrame, columns: list[str], expected: dict[str, list[str]]
) -> tuple[pl.DataFrame, dict[str, Codes]]:
    """Per-row codes of the lookup columns.

    A column with ``expected`` spellings is cast to them straight away; the others (and an
    expected column holding some other text) first have their distinct texts listed. Everything
    is eager: the columns keep the chunks of the table (a lazy query would cut them differently,
    and the next operation would copy the whole table to realign them).
    """
    # Expected spellings help only when they are fewer than the rows (a small file of a large network).
    guessed = {c: Codes(c, expected[c], exact=False) for c in columns if len(expected.get(c, ())) <= table.height
               and expected.get(c)}
    listed = [c for c in columns if c not in guessed]
    cast = table.with_columns(code.expr() for code in guessed.values())
    distinct = table.select(pl.col(c).unique().drop_nulls().implode() for c in listed)
    if guessed:
        other = cast.select(
            (pl.col(c).is_not_null() & pl.col(code.code).is_null()).any().alias(c)
            for c, code in guessed.items()
        ).row(0, named=True)
        if redo := [c for c, found in other.items() if found]:
            for c in redo:
                del guessed[c]
            more = cast.select(pl.col(c).unique().drop_nulls().implode() for c in redo)
            distinct = pl.concat([distinct, more], how="horizontal")
            listed += redo
    codes = {c: Codes(c, distinct.get_column(c)[0].to_list()) for c in listed}
    table = cast.with_columns(code.expr() for code in codes.values())
    return table, {c: guessed.get(c) or codes[c] for c in columns}


def any_of(table: pl.DataFrame, conditions: dict[str, pl.Expr]) -> dict[str, bool]:
    """Whether each condition holds somewhere, all evaluated in one pass."""
    if not conditions:
        return {}
    row = table.select(condition.any().alias(name) for name, condition in conditions.items()).row(0, named=True)
    return {name: bool(value) for name, value in row.items()}


def matching_key(text: str) -> str:
    """``fold`` after undoing double encoding (``unitÃ©s``): for lookups only, never stored."""
    return fold(undo_double_encoding(text) or text)


def fact_at(codes: Codes, positions: list[int], values: list[str | None]) -> pl.Expr:
    """Per row, the value given for its text's position (null for the other texts)."""
    aligned: list[str | None] = [None] * len(codes.texts)
    for position, value in zip(positions, values, strict=True):
        aligned[position] = value
    return codes.fact(aligned, pl.String())


def as_written(table: pl.DataFrame, codes: Codes, canonical: list[str | None], hidden: bool = False) -> bool:
    """Whether every cell of the column already holds its canonical text (so the column can be kept
    as it is): each text is its own canonical form and no cell is blank. For a column coded with
    expected spellings, a text without canonical form (``None``) is one no row holds, unless
    ``hidden`` (some row does)."""
    same = all(c == t for c, t in zip(canonical, codes.texts, strict=True) if codes.exact or c is not None)
    return (same and not (hidden and not codes.exact)
            and table.get_column(codes.code).null_count() == table.get_column(codes.column).null_count())


class RowCheck:
    """The canonical table under the row rules, and every issue they found so far.

    Each rule module reads ``table`` and may add columns to it (its canonical codes, facts the next
    rules need); the rules run in a fixed order, which is the order of their issues on a line.
    """

    def __init__(self, table: pl.DataFrame, headers: dict[str, str], codes: dict[str, Codes],
                 found: list[pl.DataFrame]) -> None:
        self.table = table
        self.headers = headers  # canonical name → header text as written
        self.codes = codes
        self.found = found

    def header(self, name: str) -> str:
        """The column a problem of ``name`` is shown under: its header as written."""
        return self.headers.get(name, name)

    def missing(self, name: str) -> pl.Expr:
        """Empty cells, and cells of white space only (their code is null, like an empty cell's)."""
        return pl.col(self.codes[name].code).is_null()

    def add_missing(self, name: str, code: IssueCode, column: str) -> bool:
        """Issues for the empty cells of ``name``: whether there are any is the code column's null
        count (known without a pass over the rows)."""
        if self.table.get_column(self.codes[name].code).null_count():
            return self.add(self.missing(name), code, column, known=True)
        return False

    def add(self, condition: pl.Expr, code: IssueCode, column: str, value: pl.Expr | None = None,
            expected: pl.Expr | str | None = None, *, known: bool = False) -> bool:
        """Issues for the rows meeting ``condition``; most conditions hold nowhere, so test first
        (``known``: the caller already knows that some row does). Whether there were any."""
        if known or self.table.select(condition.any()).item():
            self.found.append(cell_issues(self.table.filter(condition), code, column, value, expected))
            return True
        return False

    def value_issues(self, condition: pl.Expr, code: IssueCode, value: pl.Expr, expected: pl.Expr | None = None,
                     *, known: bool = False) -> None:
        """Issues on the value cell, whose column is per row in the wide layout."""
        if known or self.table.select(condition.any()).item():
            rows = self.table.filter(condition)
            self.found.append(cell_issues(rows, code, "", value, expected).with_columns(column=rows["__value_column"]))


def excel_errors_in_codes(check: RowCheck, names: list[str]) -> bool:
    """``#N/A`` where a RECHERCHEV found nothing, in a code or breakdown cell: Excel's error is the
    problem to name. Whether there was any (then ``excel_error_alone`` runs on the report)."""
    found = False
    for name in names:
        codes = check.codes[name]
        if errors := codes.where(lambda i, c=codes: EXCEL_ERROR_TEXT.match(c.texts[i].strip()) is not None):
            found = True
            check.add(codes.rows_in(errors), IssueCode.EXCEL_ERROR, check.header(name), pl.col(name), known=codes.exact)
    return found


def excel_error_alone(issues: pl.DataFrame) -> pl.DataFrame:
    """A cell reported as an Excel error is reported as nothing else (unknown code or value)."""
    is_error = pl.col("code") == IssueCode.EXCEL_ERROR.value
    shown = issues.filter(is_error).select("line", "column")
    return pl.concat([
        issues.filter(is_error),
        issues.filter(~is_error).join(shown, on=["line", "column"], how="anti", nulls_equal=True),
    ]).sort("line", "column", nulls_last=False, maintain_order=True)
