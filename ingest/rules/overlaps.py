"""Shared beneficiaries: the optional ``shared_with`` / ``shared_count`` cells of a line.

A member may say that ``shared_count`` of the people on a line are also counted by another member
(``shared_with``, its registered code). The network's reach uses these declarations for its
deduplicated lower bound. Emits ``shared_with_unknown`` (not a registered member),
``shared_with_itself`` and ``shared_count_invalid`` (missing, not a whole number, negative, more
than the line's value, or a count without a partner). The rows get ``shared_with`` in its registered
spelling and ``shared_count`` as a number.

The optional ``programme`` cell says the line's count belongs to a programme umbrella several members
run (``framework.programmes``); a text that is not a programme code is ``programme_invalid``, and the
rows get the code in its stored spelling.
"""

from __future__ import annotations

import polars as pl

from framework.programmes import programme_code
from framework.vocabulary import strip_invisible
from ingest.issues import IssueCode
from ingest.normalise import parse_numbers
from ingest.rules.codes import RowCheck


def check_overlaps(check: RowCheck, known: dict[str, str] | None) -> None:
    """The overlap rules, vectorised; ``known``: registered codes by their upper-case form (None: the
    registry is not checked). Runs after the value rules (the rows have ``number``)."""
    table = check.table
    if all(c not in table.columns or table.get_column(c).null_count() == table.height
           for c in ("shared_with", "shared_count")):
        # The usual file declares nothing (null counts are known without a pass over the rows): no
        # rule can hold, and the rows get no partner and no count.
        check.table = table.with_columns(shared_with=pl.lit(None, pl.String), shared_count=pl.lit(None, pl.Float64))
        _check_programme(check)
        return
    if "shared_with" not in table.columns or "shared_count" not in table.columns:
        check.table = table.with_columns(
            pl.lit(None, pl.String).alias("shared_with") if "shared_with" not in table.columns else pl.col("shared_with"),
            pl.lit(None, pl.String).alias("shared_count") if "shared_count" not in table.columns
            else pl.col("shared_count"),
        )
        table = check.table
    partner_col, count_col = check.header("shared_with"), check.header("shared_count")
    texts = table.get_column("shared_with").drop_nulls().unique().to_list()
    spelling = {text: _registered(text, known) for text in texts}  # once per distinct text
    partner = pl.col("shared_with").replace_strict(spelling, default=None, return_dtype=pl.String)
    written = pl.col("shared_with").is_not_null() & (pl.col("shared_with").str.strip_chars() != "")
    parsed = parse_numbers(table.get_column("shared_count"))
    check.table = table.with_columns(_partner=partner, _shared=parsed.get_column("number"))
    shared = pl.col("_shared")
    check.add(written & pl.col("_partner").is_null(), IssueCode.SHARED_WITH_UNKNOWN, partner_col, pl.col("shared_with"))
    itself = written & (pl.col("_partner").str.to_uppercase() == pl.col("org_code").str.strip_chars().str.to_uppercase())
    check.add(itself, IssueCode.SHARED_WITH_ITSELF, partner_col, pl.col("shared_with"))
    bad_count = (
        shared.is_null() | (shared < 0) | (shared != shared.round(0))
        | (pl.col("number").is_not_null() & (shared > pl.col("number")))
    )
    count_text = pl.coalesce(pl.col("shared_count"), pl.lit(""))
    check.add((written & bad_count) | (~written & pl.col("shared_count").is_not_null()),
              IssueCode.SHARED_COUNT_INVALID, count_col, count_text, pl.col("number").cast(pl.String))
    check.table = check.table.with_columns(
        shared_with=pl.when(written).then(pl.col("_partner")), shared_count=pl.when(written).then(shared)
    ).drop("_partner", "_shared")
    _check_programme(check)


def _check_programme(check: RowCheck) -> None:
    """``programme`` in its stored spelling; a text that is not a code is refused (once per distinct text)."""
    if "programme" not in check.table.columns or check.table.get_column("programme").null_count() == check.table.height:
        check.table = check.table.with_columns(programme=pl.lit(None, pl.String))
        return
    texts = check.table.get_column("programme").drop_nulls().unique().to_list()
    spelling = {text: programme_code(text) for text in texts}
    code = pl.col("programme").replace_strict(spelling, default=None, return_dtype=pl.String)
    written = pl.col("programme").is_not_null() & (pl.col("programme").str.strip_chars() != "")
    check.add(written & code.is_null(), IssueCode.PROGRAMME_INVALID, check.header("programme"), pl.col("programme"))
    check.table = check.table.with_columns(programme=code)


def _registered(text: str, known: dict[str, str] | None) -> str | None:
    bare = strip_invisible(text).strip()
    if known is None:
        return bare or None
    return known.get(bare.upper())
