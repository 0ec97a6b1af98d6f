"""Shape: what the rows and columns of the sheet say beside the header mapping.

Emits ``unnamed_column`` and ``stray_cells`` (cells under an empty header), ``breakdown_like_column``
(an unrecognised column holding breakdown values), ``unknown_indicator`` on the header of a wide
column of numbers naming no indicator, and ``decimal_comma_split`` (``87,5`` unquoted in a
comma-separated file: two cells). Forgives the reader's ``wrong_cell_count`` for rows that only
lack optional cells at their end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from framework.model import BREAKDOWN_COLUMNS, Framework, fold
from ingest.collect import FEW_ROWS, collect
from ingest.columns import column_letter
from ingest.issues import Issue, IssueCode, cell_issues, empty_issues, issues_frame
from ingest.normalise import parse_numbers
from ingest.rules.codes import matching_key
from ingest.rules.indicators import indicator_guesses
from ingest.rules.not_data import is_overall, read_total

if TYPE_CHECKING:
    from ingest.rules.layout import Layout


def decimal_commas_taken_for_delimiters(frame: pl.DataFrame, headers: list[str], layout: Layout) -> pl.DataFrame:
    """``87,5`` written unquoted in a comma-separated file is two cells, ``87`` and ``5``: the value
    and the next column. With a next column that is optional (notes) the row even has the right
    width, and 87 would be stored. A whole number followed by a cell of one or two digits alone is
    that (a year, a baseline or a denominator in the next column has more)."""
    position = layout.columns.get("value")
    if position is None or position + 1 >= len(headers):
        return empty_issues()
    value, after = pl.col(f"c{position}"), pl.col(f"c{position + 1}")
    short = (after.str.len_bytes() <= 6).fill_null(False)
    digits_after = after.str.contains(r"^\s*[0-9]{1,2}\s*$").fill_null(False)
    whole_value = value.str.contains(r"^\s*[+-]?[0-9]+\s*$").fill_null(False)
    if frame.height <= FEW_ROWS:  # every test at once: passes that shrink the rows cost more than ten rows
        rows = frame.lazy().select(f"c{position}", f"c{position + 1}", "__line").filter(
            short & digits_after & whole_value).pipe(collect)
    else:
        # The next cell first: digits alone are rare there, so the value column is seldom looked at;
        # only the two cells and the line are filtered (not every column of a million rows), in one query.
        rows = (  # a cheap pass first: most cells are longer
            frame.lazy().select(f"c{position}", f"c{position + 1}", "__line")
            .filter(short).filter(digits_after).filter(whole_value)
            .pipe(collect)
        )
    if not rows.height:
        return empty_issues()
    value, after = value.str.strip_chars(), after.str.strip_chars()
    return cell_issues(rows, IssueCode.DECIMAL_COMMA_SPLIT, headers[position].strip(),
                       value=pl.concat_str(value, pl.lit(","), after))


def short_rows_of_optional_cells(read_issues: pl.DataFrame, layout: Layout) -> pl.DataFrame:
    """Forgive a row that stops before the header's width when every cell it lacks is optional.

    Excel writes no delimiter for the empty cells that end a row beyond its first sixteen lines
    (Microsoft KB 77295: an empty ``notes`` column leaves the later rows one cell short), and text
    editors drop them too. Such a row means what it would with those cells empty, which is how the
    reader already filled them; a row that stops before a required cell stays ``wrong_cell_count``.
    A row with too many cells never is forgiven: an unquoted decimal comma looks exactly like that.
    """
    wrong = pl.col("code") == IssueCode.WRONG_CELL_COUNT.value
    if not read_issues.height or not read_issues.filter(wrong).height:  # (the usual file: no read issue)
        return read_issues
    required = [layout.columns[name] for name in ("org_code", "indicator_code", "period", "value") if name in layout.columns]
    if layout.period_part is not None:
        required.append(layout.period_part[0])
    needed = max(required, default=0) + 1
    cells, width = pl.col("value").cast(pl.Int64, strict=False), pl.col("expected").cast(pl.Int64, strict=False)
    return read_issues.filter(~(wrong & (cells < width) & (cells >= needed)).fill_null(False))


def _sample_texts(frame: pl.DataFrame, position: int, limit: int = 200) -> list[str]:
    """A few distinct non-blank texts of a column (from its first rows: enough to say what it holds)."""
    column = frame.get_column(f"c{position}").head(20_000)
    texts = column.filter(column.str.strip_chars() != "").unique(maintain_order=True).head(limit)
    return texts.to_list()


def columns_outside_the_layout(
    frame: pl.DataFrame, headers: list[str], layout: Layout, fw: Framework, header_issues: pl.DataFrame
) -> pl.DataFrame:
    """What the header mapping alone cannot see, decided on the cells of the columns it set aside:

    * cells under an empty header: inside the table they are values shifted or a column left
      unnamed (an error: they would be lost); to the right of it, stray notes or totals (a warning);
    * a column whose header is not recognised but whose cells are breakdown values (``Tranche
      d'âges``, ``Milieu de résidence``): an error, or those rows would be stored as totals;
    * in the wide layout, a column of numbers whose header names no indicator (``R1``): an error
      with the closest indicator, or its values would be lost.
    """
    issues: list[Issue] = []
    replaced: set[str] = set()
    named = [p for p, text in enumerate(headers) if (text or "").strip()]
    last_named = max(named, default=-1)
    for position, text in enumerate(headers):
        if (text or "").strip() or f"c{position}" not in frame.columns:
            continue
        cells = pl.col(f"c{position}")
        filled = frame.select("__line", cells).filter(cells.str.strip_chars() != "")
        if filled.height:
            line, value = filled.row(0)
            code = IssueCode.UNNAMED_COLUMN if position < last_named else IssueCode.STRAY_CELLS
            issues.append(Issue(code, line=int(line), column=column_letter(position), value=value[:60]))
    for position in layout.unknown:
        header = headers[position].strip()
        texts = _sample_texts(frame, position)
        if not texts:
            continue
        if (breakdown := _breakdown_of(texts, fw)) is not None:
            issues.append(Issue(IssueCode.BREAKDOWN_LIKE_COLUMN, line=1, column=header, expected=breakdown))
            replaced.add(header)
        elif layout.wide and not read_total(fold(header))[0] and parse_numbers(
            pl.Series(texts, dtype=pl.String)
        )["problem"].null_count() == len(texts):
            guess = indicator_guesses([header], fw)[0]
            issues.append(Issue(IssueCode.UNKNOWN_INDICATOR, line=1, column=header, value=header, expected=guess))
            replaced.add(header)
    if not issues:
        return header_issues
    kept = header_issues.filter(~((pl.col("code") == IssueCode.UNKNOWN_COLUMN.value) & pl.col("column").is_in(list(replaced))))
    return pl.concat([kept, issues_frame(issues)])


def _breakdown_of(texts: list[str], fw: Framework) -> str | None:
    """The breakdown every text of a column names (totals allowed), if one does; digits alone
    (0/1) are not evidence enough."""
    keys = [matching_key(text) for text in texts]
    if all(key.isdigit() for key in keys):
        return None
    for name in BREAKDOWN_COLUMNS:
        if name not in fw.breakdowns:
            continue
        allowed = fw.breakdown_alias_table(name)
        named = [key in allowed for key in keys]
        if any(named) and all(n or is_overall(text) for n, text in zip(named, texts, strict=True)):
            return name
    return None
