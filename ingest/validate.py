"""Validation rules, vectorised: a table of text cells in, canonical rows and every problem out.

Each rule is a Polars expression over the whole table producing issue rows (see
``ingest.issues``); no rule stops at the first problem, so the uploader gets the full list at
once. Rules that depend on another cell being valid skip rows where it is not (an unknown
indicator is reported once, not again as a unit or range problem), and a row with the wrong
number of cells is reported only as such, since its cells may be shifted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from ingest.columns import (
    INFORMATIONAL_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    accepted_names,
    match_header,
)
from ingest.issues import Issue, cell_issues, empty_issues, issues_frame
from ingest.normalise import parse_numbers, parse_periods, period_status, repaired_for_matching
from metrics.framework import BREAKDOWN_COLUMNS, Framework, UnitKind, fold

#: Stored exactly as written (no trimming): what a member typed is evidence.
FREE_TEXT: frozenset[str] = frozenset({"notes", "source"})
KEY_COLUMNS: tuple[str, ...] = ("org_code", "indicator_code", "period", *BREAKDOWN_COLUMNS)
_TRUE_WORDS = ("1", "oui", "yes", "vrai", "true", "o", "y", "نعم")
_FALSE_WORDS = ("0", "non", "no", "faux", "false", "n", "لا")

#: Schema of the canonical rows handed to the commit step.
CLEAN_SCHEMA: dict[str, pl.DataType] = {
    "line": pl.Int64(),
    "org_code": pl.String(),
    "indicator_code": pl.String(),
    "period": pl.String(),
    "granularity": pl.String(),
    "period_start": pl.Date(),
    "period_end": pl.Date(),
    "value": pl.Float64(),
    "unit": pl.String(),
    **{name: pl.String() for name in BREAKDOWN_COLUMNS},
    "source": pl.String(),
    "notes": pl.String(),
}


@dataclass(frozen=True)
class ValidationContext:
    """What a file is checked against."""

    framework: Framework
    known_orgs: frozenset[str] | None  # None: organisations are not checked (``check`` without a database)
    member_org: str | None = None  # set when a member uploads for its own organisation
    today: date | None = None


@dataclass(frozen=True)
class Validation:
    rows: pl.DataFrame  # CLEAN_SCHEMA; meaningful only when there is no error
    issues: pl.DataFrame  # ISSUE_SCHEMA
    skipped_rows: int  # template rows left without a value

    @property
    def has_errors(self) -> bool:
        return bool((self.issues["severity"] == "error").any())


@dataclass(frozen=True)
class _Layout:
    columns: dict[str, int]  # canonical name → position
    headers: dict[str, str]  # canonical name → header text as written
    wide: dict[str, int]  # indicator code → position (wide layout)


def validate_table(
    frame: pl.DataFrame, headers: list[str], read_issues: pl.DataFrame, ctx: ValidationContext
) -> Validation:
    """Check a read table; ``frame`` has text columns ``c0..`` and ``__line``."""
    today = ctx.today or date.today()
    layout, header_issues = _map_headers(headers, ctx)
    issues = [read_issues, header_issues]
    if (header_issues["severity"] == "error").any() or (read_issues["severity"] == "error").any() and frame.is_empty():
        return Validation(pl.DataFrame(schema=CLEAN_SCHEMA), _concat(issues), 0)
    shifted = read_issues.filter(pl.col("code") == "wrong_cell_count")["line"]
    table = _canonical_table(frame, layout, ctx).filter(~pl.col("__line").is_in(shifted.implode()))
    untouched = (
        pl.col("value").is_null()
        & pl.col("notes").is_null()
        & pl.col("source").is_null()
        & pl.all_horizontal(pl.col(b).is_null() for b in BREAKDOWN_COLUMNS)
    )
    skipped = table.filter(untouched).height
    table = table.filter(~untouched)
    table, row_issues = _check_rows(table, layout, ctx, today)
    issues.append(row_issues)
    report = _concat(issues)
    clean = table.select(
        pl.col("__line").alias("line"),
        pl.col("org_code"),
        pl.col("indicator_code"),
        pl.col("period_label").alias("period"),
        "granularity",
        "period_start",
        "period_end",
        pl.col("number").alias("value"),
        pl.col("unit_code").alias("unit"),
        *BREAKDOWN_COLUMNS,
        "source",
        "notes",
    )
    return Validation(clean.cast(CLEAN_SCHEMA), report, skipped)


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    frames = [f for f in frames if f.height]
    if not frames:
        return empty_issues()
    return pl.concat(frames, how="vertical").sort("line", "column", nulls_last=False, maintain_order=True)


# -- header ----------------------------------------------------------------------------------
def _map_headers(headers: list[str], ctx: ValidationContext) -> tuple[_Layout, pl.DataFrame]:
    indicator_codes = {fold(i.code): i.code for i in ctx.framework.indicators}
    columns: dict[str, list[int]] = {}
    wide: dict[str, int] = {}
    unknown: list[int] = []
    for position, text in enumerate(headers):
        canonical = match_header(text)
        if canonical is not None:
            columns.setdefault(canonical, []).append(position)
        elif fold(text or "") in indicator_codes:
            wide[indicator_codes[fold(text)]] = position
        elif (text or "").strip():
            unknown.append(position)
    issues: list[Issue] = []
    for canonical, positions in columns.items():
        if len(positions) > 1:
            shown = ", ".join(f"« {headers[p].strip()} »" for p in positions)
            issues.append(Issue("duplicate_column", column=canonical, value=shown))
    is_wide = bool(wide) and "indicator_code" not in columns and "value" not in columns
    if not is_wide:
        unknown += list(wide.values())
        wide = {}
    required = [c for c in REQUIRED_COLUMNS if not (is_wide and c in ("indicator_code", "value"))]
    for canonical in required:
        if canonical not in columns and not (canonical == "org_code" and ctx.member_org):
            issues.append(Issue("missing_column", column=canonical, expected=accepted_names(canonical)))
    recognised = ", ".join((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))
    for position in unknown:
        issues.append(Issue("unknown_column", line=1, column=headers[position].strip(), expected=recognised))
    layout = _Layout(
        columns={c: p[0] for c, p in columns.items() if c not in INFORMATIONAL_COLUMNS},
        headers={c: headers[p[0]].strip() for c, p in columns.items()},
        wide=wide,
    )
    return layout, issues_frame(issues)


def _canonical_table(frame: pl.DataFrame, layout: _Layout, ctx: ValidationContext) -> pl.DataFrame:
    """Rename positional columns to canonical names, strip cells, melt the wide layout."""

    def cell(position: int, *, verbatim: bool = False) -> pl.Expr:
        text = pl.col(f"c{position}")
        stripped = text.str.strip_chars()
        return pl.when(stripped != "").then(text if verbatim else stripped)

    present = {name: cell(pos, verbatim=name in FREE_TEXT).alias(name) for name, pos in layout.columns.items()}
    absent = [
        pl.lit(None, pl.String).alias(name)
        for name in (*REQUIRED_COLUMNS, "unit", "notes", "source", *BREAKDOWN_COLUMNS)
        if name not in present
    ]
    if not layout.wide:
        table = frame.select(pl.col("__line"), *present.values(), *absent).with_columns(
            pl.lit(layout.headers.get("value", "value")).alias("__value_column")
        )
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
            .with_columns(pl.col("indicator_code").alias("__value_column"))
            .filter(pl.col("value").is_not_null())
            .sort("__line", maintain_order=True)
        )
    if ctx.member_org:
        table = table.with_columns(pl.col("org_code").fill_null(pl.lit(ctx.member_org)))
    return table


# -- rows ------------------------------------------------------------------------------------
def _check_rows(
    table: pl.DataFrame, layout: _Layout, ctx: ValidationContext, today: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    fw = ctx.framework
    header = layout.headers.get
    found: list[pl.DataFrame] = []

    # Required cells.
    for name in REQUIRED_COLUMNS:
        empty = table.filter(pl.col(name).is_null())
        if empty.height:
            found.append(cell_issues(empty, "empty_required", header(name, name)))

    # Organisations: case-insensitive match to the registry.
    table = table.with_columns(org_key=pl.col("org_code").str.to_uppercase())
    if ctx.known_orgs is not None:
        orgs = pl.DataFrame({"org_key": [o.upper() for o in ctx.known_orgs], "org_canonical": list(ctx.known_orgs)})
        table = table.join(orgs, on="org_key", how="left", maintain_order="left")
        unknown = table.filter(pl.col("org_code").is_not_null() & pl.col("org_canonical").is_null())
        found.append(cell_issues(unknown, "unknown_org", header("org_code", "org_code"), pl.col("org_code")))
        table = table.with_columns(org_code=pl.col("org_canonical")).drop("org_canonical")
    if ctx.member_org:
        other = table.filter(pl.col("org_code").is_not_null() & (pl.col("org_key") != ctx.member_org.upper()))
        found.append(
            cell_issues(other, "other_org", header("org_code", "org_code"), pl.col("org_code"), ctx.member_org)
        )
        table = table.with_columns(
            org_code=pl.when(pl.col("org_key") == ctx.member_org.upper()).then(pl.col("org_code"))
        )

    # Indicators, with everything the value checks need about them.
    indicators = pl.DataFrame(
        [
            {
                "ind_key": fold(i.code),
                "ind_code": i.code,
                "derived": i.derived,
                "unit_code": i.unit,
                "kind": fw.unit_of(i.code).kind.value,
                "low": fw.value_range(i)[0],
                "high": fw.value_range(i)[1],
                "unit_names": f"{fw.unit_of(i.code).name.fr} / {fw.unit_of(i.code).name.ar} / {fw.unit_of(i.code).name.en}",
                "range_text": _range_text(*fw.value_range(i)),
                "components": ", ".join(r for r in (i.numerator, i.denominator) if r),
            }
            for i in fw.indicators
        ],
        schema={
            "ind_key": pl.String, "ind_code": pl.String, "derived": pl.Boolean, "unit_code": pl.String,
            "kind": pl.String, "low": pl.Float64, "high": pl.Float64, "unit_names": pl.String,
            "range_text": pl.String, "components": pl.String,
        },
    )
    table = table.with_columns(ind_key=_fold_code(pl.col("indicator_code"))).join(
        indicators, on="ind_key", how="left", maintain_order="left"
    )
    ind_col = header("indicator_code", "indicator_code")
    unknown = table.filter(pl.col("indicator_code").is_not_null() & pl.col("ind_code").is_null())
    found.append(cell_issues(unknown, "unknown_indicator", ind_col, pl.col("indicator_code")))
    derived = table.filter(pl.col("derived").fill_null(False))
    found.append(cell_issues(derived, "derived_indicator", ind_col, pl.col("indicator_code"), pl.col("components")))
    table = table.with_columns(
        indicator_code=pl.when(pl.col("derived").not_()).then(pl.col("ind_code")),
    )

    # Periods.
    periods = parse_periods(table["period"].drop_nulls())
    table = table.join(periods.rename({"text": "period", "period": "period_label"}), on="period", how="left")
    table = table.sort("__line", maintain_order=True)
    period_col = header("period", "period")
    bad = table.filter(pl.col("period").is_not_null() & pl.col("period_label").is_null())
    found.append(cell_issues(bad, "invalid_period", period_col, pl.col("period")))
    table = table.with_columns(period_state=period_status(pl.col("period_start"), pl.col("period_end"), today))
    found.append(
        cell_issues(table.filter(pl.col("period_state") == "future"), "future_period", period_col, pl.col("period"))
    )
    found.append(
        cell_issues(
            table.filter(pl.col("period_state") == "in_progress"),
            "period_in_progress",
            period_col,
            pl.col("period"),
            pl.col("period_end").cast(pl.String),
        )
    )

    # Values: yes/no words for boolean indicators, then numbers, then kind and range.
    folded_value = pl.col("value").str.strip_chars().str.to_lowercase()
    value_text = (
        pl.when((pl.col("kind") == UnitKind.BOOLEAN.value) & folded_value.is_in(_TRUE_WORDS)).then(pl.lit("1"))
        .when((pl.col("kind") == UnitKind.BOOLEAN.value) & folded_value.is_in(_FALSE_WORDS)).then(pl.lit("0"))
        .otherwise(pl.col("value"))
    )
    table = table.with_columns(value_text=value_text)
    table = pl.concat([table, parse_numbers(table["value_text"])], how="horizontal")
    for code in ("not_a_number", "mixed_digits", "ambiguous_number"):
        rows = table.filter(pl.col("problem") == code)
        found.append(cell_issues(rows, code, "", pl.col("value")).with_columns(column=rows["__value_column"]))
    checked = pl.col("number").is_not_null() & pl.col("ind_code").is_not_null()
    out_of_range = checked & (
        (pl.col("low").is_not_null() & (pl.col("number") < pl.col("low")))
        | (pl.col("high").is_not_null() & (pl.col("number") > pl.col("high")))
    )
    rows = table.filter(out_of_range)
    found.append(
        cell_issues(rows, "out_of_range", "", pl.col("value"), pl.col("range_text")).with_columns(
            column=rows["__value_column"]
        )
    )
    whole = pl.col("kind").is_in([UnitKind.INTEGER.value, UnitKind.BOOLEAN.value])
    rows = table.filter(checked & ~out_of_range & whole & (pl.col("number") != pl.col("number").round(0)))
    found.append(
        cell_issues(rows, "not_integer", "", pl.col("value"), pl.col("unit_names")).with_columns(
            column=rows["__value_column"]
        )
    )

    # Units: the unit cell (or a % sign in the value) must name the indicator's unit.
    aliases = ctx.framework.unit_alias_table()
    unit_table = pl.DataFrame(
        {"unit_key": list(aliases), "unit_given": list(aliases.values())}, schema={"unit_key": pl.String, "unit_given": pl.String}
    )
    table = table.with_columns(unit_key=_fold_text(repaired_for_matching(table["unit"]))).join(
        unit_table, on="unit_key", how="left", maintain_order="left"
    )
    unit_col = header("unit", "unit")
    wrong_unit = pl.col("ind_code").is_not_null() & pl.col("unit").is_not_null() & (
        pl.col("unit_given").is_null() | (pl.col("unit_given") != pl.col("unit_code"))
    )
    found.append(cell_issues(table.filter(wrong_unit), "unit_mismatch", unit_col, pl.col("unit"), pl.col("unit_names")))
    stray_percent = (
        pl.col("ind_code").is_not_null() & pl.col("percent") & (pl.col("kind") != UnitKind.PERCENT.value) & ~wrong_unit
    )
    rows = table.filter(stray_percent)
    found.append(
        cell_issues(rows, "unit_mismatch", "", pl.lit("%"), pl.col("unit_names")).with_columns(
            column=rows["__value_column"]
        )
    )

    # Breakdowns.
    for name in BREAKDOWN_COLUMNS:
        if name not in layout.columns:
            continue
        allowed = ctx.framework.breakdown_alias_table(name)
        lookup = pl.DataFrame(
            {"bkey": list(allowed), "bcode": list(allowed.values())}, schema={"bkey": pl.String, "bcode": pl.String}
        )
        table = table.with_columns(bkey=_fold_text(repaired_for_matching(table[name]))).join(
            lookup, on="bkey", how="left", maintain_order="left"
        )
        rows = table.filter(pl.col(name).is_not_null() & pl.col("bcode").is_null())
        values = ctx.framework.breakdowns[name].values if name in ctx.framework.breakdowns else ()
        found.append(cell_issues(rows, "invalid_breakdown", header(name, name), pl.col(name), ", ".join(values)))
        table = table.with_columns(pl.col("bcode").alias(name)).drop("bkey", "bcode")

    # Duplicate keys among rows whose key is fully known.
    keyed = table.filter(
        pl.col("org_code").is_not_null() & pl.col("indicator_code").is_not_null() & pl.col("period_label").is_not_null()
    ).with_columns(
        first_line=pl.col("__line").min().over(["org_code", "indicator_code", "period_label", *BREAKDOWN_COLUMNS])
    )
    dupes = keyed.filter(pl.col("__line") != pl.col("first_line"))
    found.append(
        cell_issues(dupes, "duplicate_key", header("indicator_code", "indicator_code"), pl.col("indicator_code"),
                    pl.col("first_line").cast(pl.String))
    )
    return table, _concat([f for f in found if f.height])


def _fold_code(expr: pl.Expr) -> pl.Expr:
    """Vectorised ``fold`` for codes (ASCII in practice): casefold, trim, unify separators."""
    return expr.str.strip_chars().str.to_lowercase().str.replace_all(r"[_\-\s]+", " ")


def _fold_text(expr: pl.Expr) -> pl.Expr:
    """Vectorised ``fold`` for words people write (units, breakdown values): also drops accents."""
    return (
        expr.str.strip_chars()
        .str.to_lowercase()
        .str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.replace_all(r"[_\-\s]+", " ")
        .str.strip_chars()
    )


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low:g} – {high:g}"
    if low is not None:
        return f"≥ {low:g}"
    if high is not None:
        return f"≤ {high:g}"
    return "—"

