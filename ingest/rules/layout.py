"""Layout: which column holds what, read from the header, and the table in canonical columns.

Maps each header to a canonical column (``org_code``, ``indicator_code``, ``period``, ``value``,
unit, breakdowns, notes) or, in the wide layout, to an indicator (``R01``, ``R01 (personnes)``);
takes a wide sheet's second header line (units or names under the codes) as part of the header;
joins a period written over two columns (``Année`` + ``Trimestre``); melts the wide layout.

Emits ``planned_column`` (a target is not a result), ``scaled_column`` (values in thousands),
``duplicate_column``, ``missing_column`` and ``unknown_column``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import polars as pl

from framework.model import BREAKDOWN_COLUMNS, Framework, fold
from ingest.collect import FEW_ROWS
from ingest.columns import (
    INFORMATIONAL_COLUMNS,
    OPTIONAL_COLUMNS,
    OVERLAP_COLUMNS,
    REQUIRED_COLUMNS,
    TARGET_COLUMNS,
    accepted_names,
    header_precision,
    is_planned,
    is_scaled,
    match_header,
)
from ingest.issues import Issue, IssueCode, issues_frame
from ingest.normalise import parse_numbers
from ingest.rules.indicators import indicator_named_by
from ingest.rules.periods import joined_period, period_over_two_columns

if TYPE_CHECKING:
    from ingest.validate import ValidationContext


@dataclass(frozen=True)
class Layout:
    columns: dict[str, int]  # canonical name → position
    headers: dict[str, str]  # canonical name → header text as written
    wide: dict[str, int]  # indicator code → position (wide layout)
    wide_headers: dict[str, str] = field(default_factory=dict)  # indicator code → its header as written
    unknown: tuple[int, ...] = ()  # positions of columns with a header that names nothing
    #: indicator code → the unit its wide-layout header gives in brackets (``R01 (personnes)``)
    wide_units: dict[str, str] = field(default_factory=dict)
    #: A period written over two columns (``Année`` + ``Trimestre``): the second one's position and
    #: kind ("Q", "S" or "M"); ``columns["period"]`` is then the year's.
    period_part: tuple[int, str] | None = None


def second_header_line(frame: pl.DataFrame, layout: Layout, fw: Framework) -> tuple[pl.DataFrame, Layout]:
    """A wide sheet's header often has a second line under the codes: their units (``personnes``,
    ``%``, ``DH``) or their names. That line (key cells empty, every indicator cell a unit or a
    label of its indicator) is part of the header: the units become the columns' units."""
    first = frame.row(0, named=True)
    keys = [layout.columns[name] for name in ("org_code", "period") if name in layout.columns]
    if any((first[f"c{p}"] or "").strip() for p in keys):
        return frame, layout
    aliases = fw.unit_alias_table()
    units: dict[str, str] = {}
    for code, position in layout.wide.items():
        text = (first[f"c{position}"] or "").strip()
        folded = fold(text)
        if not text:
            continue
        if folded in aliases:
            units[code] = text
        elif indicator_named_by(f"{code} {text}", fw) != code or parse_numbers(pl.Series([text]))["number"][0] is not None:
            return frame, layout
    return frame.slice(1), replace(layout, wide_units={**units, **layout.wide_units})


def map_headers(headers: list[str], ctx: ValidationContext) -> tuple[Layout, pl.DataFrame]:
    columns: dict[str, list[int]] = {}
    wide_columns: dict[str, list[int]] = {}
    unknown: list[int] = []
    issues: list[Issue] = []
    wide_units: dict[str, str] = {}
    # A plural (``Valeurs``) names a column only when no header names it outright: ``Valeur`` beside
    # ``Résultats`` is a value and a text column, not two values.
    named = {match_header(text, plural=False) for text in headers}
    for position, text in enumerate(headers):
        canonical = match_header(text, plural=False)
        if canonical is None and (loose := match_header(text)) not in named:
            canonical = loose
        code = None if canonical is not None else indicator_named_by(text or "", ctx.framework)
        precision = header_precision(text) if canonical == "value" or code is not None else None
        if is_planned(precision):  # "Valeur (cible)": a target is not a result
            issues.append(Issue(IssueCode.PLANNED_COLUMN, line=1, column=(text or "").strip()))
            continue
        if is_scaled(precision):  # "Montant (en milliers de DH)": every value would be 1,000 times too small
            written = re.search(r"[(\[]([^()\[\]]*)[)\]][\s*:]*$", (text or "").strip())
            issues.append(Issue(IssueCode.SCALED_COLUMN, line=1, column=(text or "").strip(),
                                value=written.group(1).strip() if written else precision))
        if canonical is not None:
            columns.setdefault(canonical, []).append(position)
        elif code is not None:
            wide_columns.setdefault(code, []).append(position)
            if (unit := _unit_in_brackets(precision, ctx.framework)) is not None:
                wide_units.setdefault(code, unit)
        elif (text or "").strip():
            unknown.append(position)
    for canonical in ("org_code", "indicator_code"):  # "Code association" next to "Association" (names)
        positions = columns.get(canonical, [])
        coded = [p for p in positions if _CODE_WORD.search(fold(headers[p]))]
        if len(positions) == 2 and len(coded) == 1:
            columns[canonical] = coded
    period_part = period_over_two_columns(headers, columns.get("period", []))
    if period_part is not None:
        columns["period"] = [p for p in columns["period"] if p != period_part[0]]
    for canonical, positions in columns.items():
        if len(positions) > 1:
            shown = ", ".join(f"« {headers[p].strip()} »" for p in positions)
            issues.append(Issue(IssueCode.DUPLICATE_COLUMN, column=canonical, value=shown))
    wide = {code: positions[0] for code, positions in wide_columns.items()}
    is_wide = bool(wide) and "indicator_code" not in columns and "value" not in columns
    if not is_wide:
        unknown += [p for positions in wide_columns.values() for p in positions]
        wide = {}
    else:
        for code, positions in wide_columns.items():
            if len(positions) > 1:  # two columns for one indicator: which holds its values?
                shown = ", ".join(f"« {headers[p].strip()} »" for p in positions)
                issues.append(Issue(IssueCode.DUPLICATE_COLUMN, column=code, value=shown))
    required = [c for c in REQUIRED_COLUMNS if not (is_wide and c in ("indicator_code", "value"))]
    for canonical in required:
        if canonical not in columns and not (canonical == "org_code" and ctx.member_org):
            issues.append(Issue(IssueCode.MISSING_COLUMN, column=canonical, expected=accepted_names(canonical)))
    recognised = ", ".join((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))
    for position in unknown:
        issues.append(Issue(IssueCode.UNKNOWN_COLUMN, line=1, column=headers[position].strip(), expected=recognised))
    layout = Layout(
        columns={c: p[0] for c, p in columns.items() if c not in INFORMATIONAL_COLUMNS},
        headers={c: headers[p[0]].strip() for c, p in columns.items()},
        wide=wide,
        wide_headers={code: headers[p].strip() for code, p in wide.items()},
        unknown=tuple(unknown),
        wide_units={code: unit for code, unit in wide_units.items() if code in wide},
        period_part=period_part,
    )
    if period_part is not None:  # problems of the period name both columns
        layout.headers["period"] = f"{layout.headers['period']} + {headers[period_part[0]].strip()}"
    return layout, issues_frame(issues)


#: A header naming a code column, as opposed to the names beside it.
_CODE_WORD = re.compile(r"\b(code|codes|id|ref|reference)\b|رمز")
#: Units of time Athar does not count in (its durations are hours): named in a header, they are a unit
#: the indicator does not have, not a precision to ignore.
_TIME_UNITS = re.compile(
    r"^(jour|jours|j|semaine|semaines|mois|an|ans|annee|annees|minute|minutes|min|day|days|week|weeks|month"
    r"|months|year|years|يوم|ايام|أيام|اسبوع|أسبوع|اسابيع|أسابيع|شهر|اشهر|أشهر|سنة|سنوات|دقيقة|دقائق)$"
)


def _unit_in_brackets(precision: str | None, fw: Framework) -> str | None:
    """The unit a bracketed precision gives (``personnes``, ``en jours``, ``MAD``), or None."""
    if not precision:
        return None
    text = re.sub(r"^(en|in|بال|ب)\s+", "", precision)
    if text in fw.unit_alias_table() or _TIME_UNITS.match(text):
        return text
    return None


def canonical_table(frame: pl.DataFrame, layout: Layout, ctx: ValidationContext) -> pl.DataFrame:
    """Rename positional columns to canonical names, strip cells, melt the wide layout."""

    parts = () if layout.period_part is None else (layout.period_part[0],)
    positions = sorted({*layout.columns.values(), *layout.wide.values(), *parts})
    if frame.height <= FEW_ROWS:  # (looking for empty cells would cost more than nulling them in ten rows)
        has_empty = dict.fromkeys(positions, True)
    else:
        has_empty = dict(zip(positions, frame.select((pl.col(f"c{p}") == "").any() for p in positions).row(0)
                             if positions else (), strict=True))

    def cell(position: int) -> pl.Expr:
        """Empty cells become null (a column without any is taken as it is, not copied). Nothing is
        trimmed here: codes are trimmed when they are looked up (once per distinct text), numbers by
        the number parser, and free text is kept exactly as written."""
        text = pl.col(f"c{position}")
        return pl.when(text != "").then(text) if has_empty[position] else text

    present = {name: cell(pos).alias(name) for name, pos in layout.columns.items()}
    if layout.period_part is not None:
        present["period"] = joined_period(cell(layout.columns["period"]), cell(layout.period_part[0]),
                                           layout.period_part[1]).alias("period")
    absent = [
        pl.lit(None, pl.String).alias(name)
        for name in (*REQUIRED_COLUMNS, "unit", "notes", "source", *BREAKDOWN_COLUMNS, *OVERLAP_COLUMNS, *TARGET_COLUMNS)
        if name not in present
    ]
    if not layout.wide:
        table = frame.select(pl.col("__line"), *present.values(), *absent,
                             pl.lit(layout.headers.get("value", "value")).alias("__value_column"))
    else:
        keep = [e for name, e in present.items() if name not in ("indicator_code", "value")]
        keep_absent = [e for e in absent if e.meta.output_name() not in ("indicator_code", "value")]
        table = (
            frame.select(pl.col("__line"), *keep, *keep_absent, *(cell(p).alias(code) for code, p in layout.wide.items()))
            .unpivot(
                index=[c for c in frame.select(pl.col("__line"), *keep, *keep_absent).columns],
                on=list(layout.wide),
                variable_name="indicator_code",
                value_name="value",
            )
            .with_columns(pl.col("indicator_code").replace(layout.wide_headers).alias("__value_column"))
            .filter(pl.col("value").is_not_null())
            .sort("__line", maintain_order=True)
        )
        if layout.wide_units:  # "R01 (personnes)": the header's unit for the cells below it
            from_header = pl.col("indicator_code").replace_strict(layout.wide_units, default=None, return_dtype=pl.String)
            table = table.with_columns(pl.coalesce(pl.col("unit"), from_header).alias("unit"))
    if ctx.member_org:  # an empty cell (or one of spaces only) is the member's own organisation
        org = pl.col("org_code")
        table = table.with_columns(
            pl.when(org.is_null() | (org.str.strip_chars() == "")).then(pl.lit(ctx.member_org)).otherwise(org)
            .alias("org_code")
        )
    return table
