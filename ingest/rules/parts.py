"""Parts within totals: a part never exceeds its whole, a breakdown's values never exceed their total.

Like DHIS2's validation rules, and declared by the framework, not guessed: ``part_of`` (R03 persons
with disabilities ⊆ R01 persons reached) and the breakdowns whose values are disjoint and cover
everyone (``complete``: F + M, urban + rural...). Compared within one organisation and period, and
for parts within one breakdown cell; in the file, and against the values already stored for that
organisation and period that the file does not replace (the caller reads them: see
``ValidationContext.stored_values``). Only rows without an error take part, and a pair where both
sides are stored is not the file's to answer for.

Emits ``part_above_whole``, ``part_above_stored_whole``, ``whole_below_stored_part`` and
``breakdown_above_total``; ``expected`` carries both sides as JSON (``ingest.rules.part_texts``
renders them in the reader's language), ``value`` the value in the file.
"""

from __future__ import annotations

import polars as pl

from framework.model import ADDITIVE_KINDS, BREAKDOWN_COLUMNS, Framework
from ingest.collect import collect
from ingest.issues import ISSUE_SCHEMA, IssueCode, empty_issues

#: What identifies a cell within one organisation's report.
PLACE = ["org_code", "period", *BREAKDOWN_COLUMNS]
#: The columns of the rows compared (file rows: ``stored`` false; stored rows carry their file's name).
COMPARED = {"line": pl.Int64(), "file": pl.String(), "stored": pl.Boolean(), "org_code": pl.String(),
            "indicator_code": pl.String(), "period": pl.String(), "value": pl.Float64(),
            **{name: pl.String() for name in BREAKDOWN_COLUMNS}}
#: Relative tolerance of a comparison (sums of decimal amounts are not exact).
TOLERANCE = 1e-9


def indicators_compared(fw: Framework) -> tuple[str, ...]:
    """Indicators a part-of or breakdown comparison may read: the stored values worth fetching
    (worked out once per framework version: every file of a load asks)."""
    if (found := _COMPARED.get(fw.content_hash)) is None:
        found = _indicators_compared(fw)
        _COMPARED.clear()
        _COMPARED[fw.content_hash] = found
    return found


_COMPARED: dict[str, tuple[str, ...]] = {}


def _indicators_compared(fw: Framework) -> tuple[str, ...]:
    related = {code for pair in fw.part_relations for code in pair}
    if fw.complete_breakdowns:
        related |= set(additive_indicators(fw))
    return tuple(sorted(related))


def additive_indicators(fw: Framework) -> list[str]:
    """Submitted indicators whose values add up (counts and amounts, not shares or yes/no)."""
    return [i.code for i in fw.indicators if not i.derived and fw.unit_of(i.code).kind in ADDITIVE_KINDS]


def compared_rows(rows: pl.DataFrame, stored: pl.DataFrame | None) -> pl.DataFrame:
    """The file's rows with a value, plus the stored rows of the same organisations and periods the file
    does not replace."""
    mine = rows.lazy().filter(pl.col("value").is_not_null()).select(
        "line", pl.lit(None, pl.String).alias("file"), pl.lit(False).alias("stored"), *list(COMPARED)[3:]
    ).cast(COMPARED).pipe(collect)
    if stored is None or stored.is_empty():
        return mine
    kept = stored.with_columns(stored=pl.lit(True)).select(list(COMPARED)).cast(COMPARED)
    kept = kept.join(mine, on=["indicator_code", *PLACE], how="anti", nulls_equal=True)
    return pl.concat([mine, kept])


def check_parts(rows: pl.DataFrame, stored: pl.DataFrame | None, fw: Framework) -> pl.DataFrame:
    """Every part above its whole and every breakdown above its total, as issue rows."""
    if rows.is_empty() or not (fw.part_relations or fw.complete_breakdowns):
        return empty_issues()
    compared = compared_rows(rows, stored)
    names = _names(fw)
    found = [_parts_above_wholes(compared, fw, names), *_breakdowns_above_totals(compared, fw, names)]
    found = [frame for frame in found if frame.height]
    return pl.concat(found).select(list(ISSUE_SCHEMA)) if found else empty_issues()


#: The indicators' names per framework version (built once: every file of a load needs the same).
_NAMES: dict[str, pl.DataFrame] = {}


def _names(fw: Framework) -> pl.DataFrame:
    if (names := _NAMES.get(fw.content_hash)) is None:
        names = pl.DataFrame(
            [{"code": i.code, "names": {"fr": i.name.fr, "ar": i.name.ar, "en": i.name.en}} for i in fw.indicators]
        )
        _NAMES.clear()
        _NAMES[fw.content_hash] = names
    return names


#: The part-of pairs (``indicator_code``, ``whole_code``) and their wholes, per framework version.
_PAIRS: dict[str, tuple[pl.DataFrame, pl.Series]] = {}


def _pairs(fw: Framework) -> tuple[pl.DataFrame, pl.Series]:
    if (found := _PAIRS.get(fw.content_hash)) is None:
        pairs = pl.DataFrame(list(fw.part_relations), schema=["indicator_code", "whole_code"], orient="row")
        found = (pairs, pairs["whole_code"].unique().implode())
        _PAIRS.clear()
        _PAIRS[fw.content_hash] = found
    return found


def _side(prefix: str, code: str) -> list[pl.Expr]:
    return [pl.col(code).alias("indicator_code"), *(pl.col(f"{prefix}{c}").alias(c) for c in ("value", "line", "file", "stored"))]


def _parts_above_wholes(compared: pl.DataFrame, fw: Framework, names: pl.DataFrame) -> pl.DataFrame:
    present = set(compared.get_column("indicator_code").unique().to_list())
    if not any(part in present and whole in present for part, whole in fw.part_relations):
        return empty_issues()  # no part beside its whole (nor stored beside it): nothing to compare
    pairs, whole_codes = _pairs(fw)
    wholes = compared.lazy().filter(pl.col("indicator_code").is_in(whole_codes)).rename(
        {c: f"whole_{c}" for c in ("indicator_code", "value", "line", "file", "stored")})
    # A breakdown no row has is empty on both sides: equal everywhere, no key to hash.
    place = [c for c in PLACE if compared.get_column(c).null_count() < compared.height]
    over = (  # one query (a few rows: the cost is per query, not per row); names only for what is found
        compared.lazy().join(pairs.lazy(), on="indicator_code")
        .join(wholes, left_on=["whole_code", *place], right_on=["whole_indicator_code", *place], nulls_equal=True)
        .filter((pl.col("value") > pl.col("whole_value") * (1 + TOLERANCE))
                & ~(pl.col("stored") & pl.col("whole_stored")))
        .pipe(collect)
    )
    if over.is_empty():
        return empty_issues()
    over = (over.join(names.rename({"names": "part_names"}), left_on="indicator_code", right_on="code")
            .join(names.rename({"names": "whole_names"}), left_on="whole_code", right_on="code"))
    whole_in_file = ~pl.col("whole_stored")
    code = (pl.when(~pl.col("stored") & whole_in_file).then(pl.lit(IssueCode.PART_ABOVE_WHOLE.value))
            .when(~pl.col("stored")).then(pl.lit(IssueCode.PART_ABOVE_STORED_WHOLE.value))
            .otherwise(pl.lit(IssueCode.WHOLE_BELOW_STORED_PART.value)))
    detail = pl.struct(
        pl.struct(*_side("", "indicator_code"), names=pl.col("part_names")).alias("part"),
        pl.struct(*_side("whole_", "whole_code"), names=pl.col("whole_names")).alias("whole"),
        pl.col("org_code").alias("org"), "period", pl.struct(*BREAKDOWN_COLUMNS).alias("cell"),
    ).struct.json_encode()
    return over.select(
        line=pl.when(pl.col("stored")).then(pl.col("whole_line")).otherwise(pl.col("line")),
        column=pl.lit(None, pl.String),
        code=code,
        severity=pl.lit(IssueCode.PART_ABOVE_WHOLE.severity.value),
        value=pl.when(pl.col("stored")).then(pl.col("whole_value")).otherwise(pl.col("value")).cast(pl.String),
        expected=detail,
    ).with_columns(value=pl.col("value").str.strip_suffix(".0"))


def _breakdowns_above_totals(compared: pl.DataFrame, fw: Framework, names: pl.DataFrame) -> list[pl.DataFrame]:
    """One issue per group of a complete breakdown's values (same organisation, indicator, period and
    other breakdown cells) adding up above the total row of that group."""
    broken_down = [d for d in fw.complete_breakdowns
                   if d in compared.columns and compared.get_column(d).null_count() < compared.height]
    if not broken_down:  # no row broken down (the usual file): nothing to add up
        return []
    counts = compared.filter(pl.col("indicator_code").is_in(additive_indicators(fw)))
    found = []
    for dimension in broken_down:
        if dimension not in counts.columns or counts[dimension].null_count() == counts.height:
            continue  # no row broken down this way (the usual file)
        others = [c for c in BREAKDOWN_COLUMNS if c != dimension]
        group = ["org_code", "indicator_code", "period", *others]
        cells = counts.filter(pl.col(dimension).is_not_null())
        sums = cells.group_by(group).agg(total_sum=pl.col("value").sum(), in_file=(~pl.col("stored")).sum(),
                                         first_line=pl.col("line").filter(~pl.col("stored")).min())
        totals = counts.filter(pl.col(dimension).is_null()).select(
            *group, total=pl.struct("value", "line", "file", "stored"))
        over = (
            sums.join(totals, on=group, nulls_equal=True)
            .filter((pl.col("total_sum") > pl.col("total").struct.field("value") * (1 + TOLERANCE))
                    & ((pl.col("in_file") > 0) | ~pl.col("total").struct.field("stored")))
        )
        if over.is_empty():
            continue
        # The cells of the groups found only: what the message lists, file lines first.
        listed = (
            cells.join(over.select(group), on=group, how="semi", nulls_equal=True).sort("stored", "line")
            .group_by(group, maintain_order=True)
            .agg(cells=pl.struct(pl.col(dimension).alias("label"), "value", "line", "file", "stored"))
        )
        over = (over.join(listed, on=group, nulls_equal=True)
                .join(names, left_on="indicator_code", right_on="code"))
        total_stored = pl.col("total").struct.field("stored")
        found.append(over.select(
            line=pl.when(total_stored).then(pl.col("first_line")).otherwise(pl.col("total").struct.field("line")),
            column=pl.lit(None, pl.String),
            code=pl.lit(IssueCode.BREAKDOWN_ABOVE_TOTAL.value),
            severity=pl.lit(IssueCode.BREAKDOWN_ABOVE_TOTAL.severity.value),
            value=pl.col("total_sum").cast(pl.String).str.strip_suffix(".0"),
            expected=pl.struct(
                pl.col("indicator_code").alias("indicator"), "names", pl.lit(dimension).alias("dimension"),
                pl.col("total_sum").alias("sum"), "total", "cells", pl.col("org_code").alias("org"), "period",
                pl.struct(*others).alias("cell"),
            ).struct.json_encode(),
        ))
    return found
