"""Validation rules, vectorised: a table of text cells in, canonical rows and every problem out.

Each rule is a Polars expression over the whole table producing issue rows (see
``ingest.issues``); no rule stops at the first problem, so the uploader gets the full list at
once. Rules that depend on another cell being valid skip rows where it is not (an unknown
indicator is reported once, not again as a unit or range problem), and a row with the wrong
number of cells is reported only as such, since its cells may be shifted.
"""

from __future__ import annotations

from collections.abc import Callable
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
from ingest.normalise import parse_numbers, parse_periods, period_status, undo_double_encoding
from metrics.framework import BREAKDOWN_COLUMNS, Framework, UnitKind, fold

#: Stored exactly as written (no trimming): what a member typed is evidence.
FREE_TEXT: frozenset[str] = frozenset({"notes", "source"})
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
    table = _canonical_table(frame, layout, ctx)
    if shifted.len():
        table = table.filter(~pl.col("__line").is_in(shifted.implode()))
    untouched = table.select(
        pl.col("value").is_null()
        & pl.col("notes").is_null()
        & pl.col("source").is_null()
        & pl.all_horizontal(pl.col(b).is_null() for b in BREAKDOWN_COLUMNS)
    ).to_series()
    skipped = int(untouched.sum())
    if skipped:
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

    def cell(position: int) -> pl.Expr:
        """Empty cells become null. Nothing is trimmed here: codes are trimmed when they are
        looked up (once per distinct text), numbers by the number parser, and free text is kept
        exactly as written."""
        text = pl.col(f"c{position}")
        return pl.when(text != "").then(text)

    present = {name: cell(pos).alias(name) for name, pos in layout.columns.items()}
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
def _join_distinct(table: pl.DataFrame, column: str, lookup: Callable[[str], dict | None],
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


def _ids() -> Callable[[str | None], int | None]:
    """Small integer per distinct canonical value: the duplicate check hashes integers, not text."""
    seen: dict[str, int] = {}
    return lambda value: None if value is None else seen.setdefault(value, len(seen))


def _indicator_facts(fw: Framework) -> tuple[dict[str, dict], dict[str, pl.DataType]]:
    facts = {}
    for ind in fw.indicators:
        unit = fw.unit_of(ind.code)
        low, high = fw.value_range(ind)
        facts[fold(ind.code)] = {
            "ind_code": ind.code,
            "ind_id": len(facts),
            "derived": ind.derived,
            "unit_code": ind.unit,
            "kind": unit.kind.value,
            "low": low,
            "high": high,
            "unit_names": f"{unit.name.fr} / {unit.name.ar} / {unit.name.en}",
            "range_text": _range_text(low, high),
            "components": ", ".join(r for r in (ind.numerator, ind.denominator) if r),
        }
    schema = {
        "ind_code": pl.String(), "ind_id": pl.Int64(), "derived": pl.Boolean(), "unit_code": pl.String(), "kind": pl.String(),
        "low": pl.Float64(), "high": pl.Float64(), "unit_names": pl.String(), "range_text": pl.String(),
        "components": pl.String(),
    }
    return facts, schema


def matching_key(text: str) -> str:
    """``fold`` after undoing double encoding (``unitÃ©s``): for lookups only, never stored."""
    return fold(undo_double_encoding(text) or text)


def _check_rows(
    table: pl.DataFrame, layout: _Layout, ctx: ValidationContext, today: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    fw = ctx.framework
    header = layout.headers.get
    found: list[pl.DataFrame] = []

    def add(condition: pl.Expr, code: str, column: str, value: pl.Expr | None = None,
            expected: pl.Expr | str | None = None) -> None:
        """Issues for the rows meeting ``condition``; most conditions hold nowhere, so test first."""
        if table.select(condition.any()).item():
            found.append(cell_issues(table.filter(condition), code, column, value, expected))

    def value_issues(condition: pl.Expr, code: str, value: pl.Expr, expected: pl.Expr | None = None) -> None:
        """Issues on the value cell, whose column is per row in the wide layout."""
        if table.select(condition.any()).item():
            rows = table.filter(condition)
            found.append(cell_issues(rows, code, "", value, expected).with_columns(column=rows["__value_column"]))

    # Organisations: case-insensitive match to the registry (and to the uploading member).
    org_col = header("org_code", "org_code")
    known = {o.upper(): o for o in ctx.known_orgs} if ctx.known_orgs is not None else None
    member = ctx.member_org.upper() if ctx.member_org else None
    org_id = _ids()

    def org_lookup(text: str) -> dict:
        key = text.strip().upper()
        other = member is not None and key != member
        # A member learns nothing about the registry: another code is "not yours", registered or not.
        canonical = text.strip() if known is None or other else known.get(key)
        return {"org_canonical": canonical, "org_other": other, "org_id": None if other else org_id(canonical)}

    table = _join_distinct(table, "org_code", org_lookup,
                           {"org_canonical": pl.String(), "org_other": pl.Boolean(), "org_id": pl.Int64()})
    # Required cells are checked after each lookup, which turns white-space-only cells into nulls.
    add(pl.col("org_code").is_null(), "empty_required", org_col)
    if known is not None:
        add(pl.col("org_code").is_not_null() & pl.col("org_canonical").is_null() & ~pl.col("org_other"), "unknown_org",
            org_col, pl.col("org_code"))
    if member:
        add(pl.col("org_canonical").is_not_null() & pl.col("org_other"), "other_org", org_col,
            pl.col("org_code"), ctx.member_org)
    table = table.with_columns(org_code=pl.when(~pl.col("org_other")).then(pl.col("org_canonical")))

    # Indicators, with everything the value checks need to know about them.
    facts, schema = _indicator_facts(fw)
    table = _join_distinct(table, "indicator_code", lambda text: facts.get(fold(text)), schema)
    raw_indicator = pl.col("indicator_code")
    ind_col = header("indicator_code", "indicator_code")
    add(raw_indicator.is_null(), "empty_required", ind_col)
    add(raw_indicator.is_not_null() & pl.col("ind_code").is_null(), "unknown_indicator",
        ind_col, raw_indicator)
    add(pl.col("derived").fill_null(False), "derived_indicator", ind_col, pl.col("indicator_code"),
        pl.col("components"))
    table = table.with_columns(indicator_code=pl.when(pl.col("derived").not_()).then(pl.col("ind_code")))

    # Periods: parsed once per distinct text.
    parsed = parse_periods(table.get_column("period").unique().drop_nulls())
    period_id = _ids()
    period_facts = {
        row["text"]: {**{k: row[k] for k in ("period_label", "granularity", "period_start", "period_end")},
                      "period_id": period_id(row["period_label"])}
        for row in parsed.rename({"period": "period_label"}).iter_rows(named=True)
    }
    table = _join_distinct(
        table, "period", period_facts.get,
        {"period_label": pl.String(), "granularity": pl.String(), "period_start": pl.Date(), "period_end": pl.Date(),
         "period_id": pl.Int64()},
    )
    period_col = header("period", "period")
    add(pl.col("period").is_null(), "empty_required", period_col)
    add(pl.col("period").is_not_null() & pl.col("period_label").is_null(), "invalid_period",
        period_col, pl.col("period"))
    table = table.with_columns(period_state=period_status(pl.col("period_start"), pl.col("period_end"), today))
    add(pl.col("period_state") == "future", "future_period", period_col, pl.col("period"))
    add(pl.col("period_state") == "in_progress", "period_in_progress", period_col, pl.col("period"),
        pl.col("period_end").cast(pl.String))

    # Values: yes/no words for boolean indicators, then numbers, then kind and range.
    is_boolean = pl.col("kind") == UnitKind.BOOLEAN.value
    words = {w: "1" for w in _TRUE_WORDS} | {w: "0" for w in _FALSE_WORDS}
    boolean_texts = table.filter(is_boolean).get_column("value").unique().drop_nulls().to_list()
    spelled = {text: words[text.strip().lower()] for text in boolean_texts if text.strip().lower() in words}
    spelled = {text: digit for text, digit in spelled.items() if text != digit}
    value_text = pl.col("value")
    if spelled:
        value_text = pl.when(is_boolean).then(pl.col("value").replace(spelled)).otherwise(pl.col("value"))
    table = table.with_columns(value_number_text=value_text)
    table = pl.concat([table, parse_numbers(table.get_column("value_number_text"))], how="horizontal")
    # A value of white space only parses to nothing without a problem: it is an empty cell.
    add(pl.col("number").is_null() & pl.col("problem").is_null(), "empty_required",
        header("value", "value"))
    for code in ("not_a_number", "mixed_digits", "ambiguous_number"):
        value_issues(pl.col("problem") == code, code, pl.col("value"))
    checked = pl.col("number").is_not_null() & pl.col("ind_code").is_not_null()
    out_of_range = checked & (
        (pl.col("number") < pl.col("low").fill_null(float("-inf")))
        | (pl.col("number") > pl.col("high").fill_null(float("inf")))
    )
    value_issues(out_of_range, "out_of_range", pl.col("value"), pl.col("range_text"))
    whole = pl.col("kind").is_in([UnitKind.INTEGER.value, UnitKind.BOOLEAN.value])
    value_issues(checked & ~out_of_range & whole & (pl.col("number") != pl.col("number").round(0)),
                 "not_integer", pl.col("value"), pl.col("unit_names"))

    # Percentages written as fractions (0.875 for 87.5 %): when every percentage of the file is
    # at most 1, warn on each — a file of genuine sub-1 % rates is rare, a misread one is not.
    is_percent = checked & (pl.col("kind") == UnitKind.PERCENT.value) & ~out_of_range
    if table.select(is_percent.any() & (pl.col("number").filter(is_percent).max() <= 1)).item():
        value_issues(is_percent & (pl.col("number") > 0), "percent_as_fraction", pl.col("value"),
                     (pl.col("number") * 100).round(6).cast(pl.String).str.replace(r"\.0$", ""))

    # Units: the unit cell (or a % sign in the value) must name the indicator's unit.
    aliases = fw.unit_alias_table()
    table = _join_distinct(table, "unit", lambda text: {"unit_given": aliases.get(matching_key(text))},
                           {"unit_given": pl.String()})
    wrong_unit = pl.col("ind_code").is_not_null() & pl.col("unit").is_not_null() & (
        pl.col("unit_given").is_null() | (pl.col("unit_given") != pl.col("unit_code"))
    )
    add(wrong_unit, "unit_mismatch", header("unit", "unit"), pl.col("unit"), pl.col("unit_names"))
    stray_percent = pl.col("ind_code").is_not_null() & pl.col("percent") & (pl.col("kind") != UnitKind.PERCENT.value)
    value_issues(stray_percent & ~wrong_unit, "unit_mismatch", pl.lit("%"), pl.col("unit_names"))

    # Breakdowns.
    for name in BREAKDOWN_COLUMNS:
        if name not in layout.columns:
            continue
        allowed = fw.breakdown_alias_table(name)
        codes = {code: i for i, code in enumerate(dict.fromkeys(allowed.values()))}
        table = _join_distinct(
            table, name,
            lambda text, a=allowed, c=codes: {"bcode": a.get(matching_key(text)), "bid": c.get(a.get(matching_key(text)))},
            {"bcode": pl.String(), "bid": pl.Int64()},
        )
        values = fw.breakdowns[name].values if name in fw.breakdowns else ()
        add(pl.col(name).is_not_null() & pl.col("bcode").is_null(), "invalid_breakdown",
            header(name, name), pl.col(name), ", ".join(values))
        table = table.with_columns(pl.col("bcode").alias(name), pl.col("bid").fill_null(-1).alias(f"{name}_id")).drop(
            "bcode", "bid"
        )

    # Duplicate keys among rows whose key is fully known, on small integer ids (no text hashing).
    breakdowns = [b for b in BREAKDOWN_COLUMNS if b in layout.columns]
    id_columns = ["org_id", "ind_id", "period_id", *(f"{b}_id" for b in breakdowns)]
    # Mixed-radix number of the ids: exact (no collisions), and it fits in 64 bits for any file
    # this size (organisations × indicators × periods × breakdown values).
    sizes = table.select(pl.col(c).max().fill_null(0) + 2 for c in id_columns).row(0)
    key = pl.lit(0, pl.Int64)
    for column, size in zip(id_columns, sizes, strict=True):
        key = key * size + pl.col(column) + 1  # nulls propagate: rows with an unknown key are left out
    table = table.with_columns(__key=key)
    known_keys = pl.col("__key").drop_nulls()
    if table.select(known_keys.n_unique() < known_keys.len()).item():
        repeated = pl.col("__key").is_not_null() & pl.col("__key").is_duplicated()
        dupes = (
            table.with_columns(first_line=pl.col("__line").min().over("__key"))
            .filter(repeated & (pl.col("__line") != pl.col("first_line")))
        )
        found.append(
            cell_issues(dupes, "duplicate_key", ind_col, pl.col("indicator_code"), pl.col("first_line").cast(pl.String))
        )
    return table, _concat(found)


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low:g} – {high:g}"
    if low is not None:
        return f"≥ {low:g}"
    if high is not None:
        return f"≤ {high:g}"
    return "—"

