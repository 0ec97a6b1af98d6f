"""Not data: the lines of a sheet that hold no observation, left out before the row rules.

Emits ``repeated_header`` (the header again, files pasted one after another), ``total_row``
("Total", "المجموع" in a key cell: Athar adds values up itself), ``note_row`` (a line holding only a
remark under the table) and ``no_data_rows`` (nothing left to store). Untouched template rows (no
value, nothing else filled in) are skipped and counted, without an issue.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import polars as pl

from ingest.columns import match_header
from ingest.issues import Issue, IssueCode, cell_issues, issues_frame
from ingest.rules.codes import Codes

if TYPE_CHECKING:
    from ingest.rules.layout import Layout
from framework.model import BREAKDOWN_COLUMNS, fold
from framework.vocabulary import strip_invisible

#: What a total line says in its key cells (folded): Athar adds values up itself.
_TOTAL_WORDS = re.compile(
    r"^(total general|total generale|grand total|sous total|sous totaux|soustotal|total|totale|totaux|subtotal"
    r"|sum|somme|ensemble|المجموع العام|المجموع الاجمالي|المجموع|مجموع|الاجمالي|اجمالي)( .*)?$"
)


#: English Excel's subtotal label puts the word after what it adds up: "R01 Total".
_TOTAL_AFTER = re.compile(r"^(.+?) (total|totals|sous total|subtotal)$")


def read_total(folded: str) -> tuple[bool, str | None]:
    """Whether a folded cell is a total, and what it is the total of (None for a bare total):
    ``total`` → (True, None), ``total r01`` and ``r01 total`` → (True, "r01")."""
    if found := _TOTAL_WORDS.match(folded):
        return True, found.group(2).strip() if found.group(2) else None
    if found := _TOTAL_AFTER.match(folded):
        return True, found.group(1).strip()
    return False, None


_OVERALL_WORDS = frozenset({"tous", "toutes", "tout", "all", "both", "les deux", "any", "الكل", "الجميع", "جميع", "كلاهما"})


def is_overall(text: str) -> bool:
    """A breakdown cell that names no group but everyone: the row is the total. Only the bare word:
    ``Total femmes`` is the women's figure (see ``total_of``), not everyone's."""
    folded = fold(text)
    total, rest = read_total(folded)
    return folded in _OVERALL_WORDS or (total and rest is None)


def total_of(text: str) -> str | None:
    """What a qualified total names (``Total femmes`` → ``femmes``), folded; None for other texts."""
    return read_total(fold(text))[1]


def drop_rows_that_are_not_data(
    table: pl.DataFrame, layout: Layout, codes: dict[str, Codes], registered: dict[str, set[str]]
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Leave out, with a warning each, the lines that hold no observation: the header repeated
    (files pasted one after another) and total lines ("Total", "المجموع" in a key cell).

    Both are decided on the few distinct texts of the key columns, so a file without them costs
    nothing. A registered code is data whatever it reads like (``registered``: upper-cased codes
    per column). The texts stay in ``codes`` (the per-row codes are positions among them); a text that
    only those lines held is then held by no row, which ``exact = False`` says.
    """
    keys = [name for name in ("org_code", "indicator_code", "period") if name in layout.columns]
    header_texts: dict[str, list[int]] = {}
    for name in sorted(keys, key=lambda n: len(codes[n].texts)):  # the column of fewest texts first
        header_texts[name] = codes[name].where(lambda i, n=name: match_header(codes[n].texts[i]) == n)
        if not header_texts[name]:
            break
    totals: dict[str, tuple[bool, str | None]] = {}  # each text is folded once for both questions below

    def is_total(name: str, text: str, *, bare: bool) -> bool:
        if strip_invisible(text).upper() in registered.get(name, ()):
            return False  # a registered code is data (and is not folded at all)
        if text not in totals:
            totals[text] = read_total(fold(text))
        total, rest = totals[text]
        if not total:
            return False
        # "Total R01": the total of a code, as bare a total line as "Total"
        return (rest is None or rest.upper() in registered.get(name, ())) == bare

    # "Total", "Total général": a total line wherever it is; so is "Total 2024" in the period column
    # (under the quarters it adds up). "Total R01", "Total Casablanca" in an organisation or
    # indicator cell: only with another key cell empty (what Excel's subtotals write); with every
    # key cell filled, the row is an observation whose cell says more ("Total bénéficiaires (R01)")
    # and is checked as one, never dropped.
    total_texts = {name: codes[name].where(lambda i, n=name: is_total(n, codes[n].texts[i], bare=True)) for name in keys}
    qualified = {name: codes[name].where(lambda i, n=name: is_total(n, codes[n].texts[i], bare=False)) for name in keys}
    issues: list[pl.DataFrame] = []
    dropped = pl.lit(False)
    if len(keys) >= 2 and len(header_texts) == len(keys) and all(header_texts.values()):
        repeated = pl.all_horizontal(codes[name].rows_in(header_texts[name]) for name in keys)
        rows = table.filter(repeated)
        if rows.height:
            issues.append(cell_issues(rows.unique("__line", keep="first", maintain_order=True), IssueCode.REPEATED_HEADER, ""))
            dropped = dropped | repeated
    for name in keys:
        if total_texts[name] or qualified[name]:
            others = [pl.col(codes[k].code).is_null() for k in keys if k != name]
            # A period column's "Total 2024" under the quarters of 2024 is a total line as it stands.
            others_empty = pl.lit(True) if name == "period" else pl.any_horizontal(others) if others else pl.lit(False)
            total = (codes[name].rows_in(total_texts[name]) | (codes[name].rows_in(qualified[name]) & others_empty)
                     ) & ~dropped
            rows = table.filter(total)
            if rows.height:
                issues.append(cell_issues(rows.unique("__line", keep="first", maintain_order=True), IssueCode.TOTAL_ROW,
                                          layout.headers.get(name, name), pl.col(name)))
                dropped = dropped | total
    if not issues:
        return table, issues
    for code in codes.values():
        code.exact = False
    return table.filter(~dropped), issues


def drop_rows_without_observation(
    table: pl.DataFrame, read_issues: pl.DataFrame, layout: Layout
) -> tuple[pl.DataFrame, int, list[pl.DataFrame], bool]:
    """Leave out untouched template rows (counted) and remark lines (a warning each). Returns the
    table, the number of rows skipped, the issues, and whether nothing at all is left to store."""
    issues: list[pl.DataFrame] = []
    if not table.get_column("value").null_count():  # an untouched template row has no value
        return table, 0, issues, False
    # A cell whose formula has no saved value is not untouched: it is reported (read issues).
    flagged = read_issues.filter(pl.col("line").is_not_null())["line"]
    untouched = table.select(
        pl.col("value").is_null()
        & pl.col("notes").is_null()
        & pl.col("source").is_null()
        & pl.all_horizontal(pl.col(b).is_null() for b in BREAKDOWN_COLUMNS)
        & ~pl.col("__line").is_in(flagged.implode())
    ).to_series()
    skipped = int(untouched.sum())
    if skipped:
        table = table.filter(~untouched)
    # A line holding only a remark ("NB : chiffres provisoires" under the table) is no observation.
    remark = (
        pl.col("value").is_null() & pl.col("indicator_code").is_null() & pl.col("period").is_null()
        & (pl.col("notes").is_not_null() | pl.col("source").is_not_null())
        & pl.all_horizontal(pl.col(b).is_null() for b in BREAKDOWN_COLUMNS)
    )
    remarks = table.filter(remark)
    if remarks.height:
        column = layout.headers.get("notes") if "notes" in layout.columns else layout.headers.get("source", "notes")
        issues.append(cell_issues(remarks, IssueCode.NOTE_ROW, column, pl.coalesce("notes", "source")))
        table = table.filter(~remark)
    if table.is_empty() and not flagged.len():  # an untouched template: nothing to store is no success
        issues.append(issues_frame([Issue(IssueCode.NO_DATA_ROWS)]))
        return table, skipped, issues, True
    return table, skipped, issues, False
