"""Validation rules, vectorised: a table of text cells in, canonical rows and every problem out.

Each rule is a Polars expression over the whole table producing issue rows (see
``ingest.issues``); no rule stops at the first problem, so the uploader gets the full list at
once. Rules that depend on another cell being valid skip rows where it is not (an unknown
indicator is reported once, not again as a unit or range problem), and a row with the wrong
number of cells is reported only as such, since its cells may be shifted.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import polars as pl

from framework.model import BREAKDOWN_COLUMNS, Framework, UnitKind, fold
from framework.periods import period_status
from framework.vocabulary import strip_invisible
from ingest.columns import (
    INFORMATIONAL_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    accepted_names,
    column_letter,
    header_precision,
    is_planned,
    is_scaled,
    match_header,
    without_precision,
)
from ingest.issues import Issue, cell_issues, empty_issues, issues_frame
from ingest.normalise import (
    EXCEL_ERROR,
    parse_numbers,
    parse_periods,
    plain_numbers,
    undo_double_encoding,
)
from ingest.suggest import closest, spellings

_EXCEL_ERROR_TEXT = re.compile(EXCEL_ERROR)
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
    delimiter: str | None = None  # a text file's cell delimiter (None: a workbook)


@dataclass(frozen=True)
class Validation:
    rows: pl.DataFrame  # CLEAN_SCHEMA; meaningful only when there is no error
    issues: pl.DataFrame  # ISSUE_SCHEMA
    skipped_rows: int  # template rows left without a value
    org_codes: tuple[str, ...] | None = None  # the organisations of ``rows`` (None: not worked out)

    @property
    def has_errors(self) -> bool:
        return bool((self.issues["severity"] == "error").any())


@dataclass(frozen=True)
class _Layout:
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


def validate_table(
    frame: pl.DataFrame, headers: list[str], read_issues: pl.DataFrame, ctx: ValidationContext
) -> Validation:
    """Check a read table; ``frame`` has text columns ``c0..`` and ``__line``."""
    today = ctx.today or date.today()
    if not headers and (read_issues["severity"] == "error").any():
        # The file could not be read as a table at all: that is the one problem to report, not
        # every column it then lacks.
        return Validation(pl.DataFrame(schema=CLEAN_SCHEMA), _concat([read_issues]), 0)
    layout, header_issues = _map_headers(headers, ctx)
    if frame.height:
        header_issues = _columns_outside_the_layout(frame, headers, layout, ctx.framework, header_issues)
    issues = [read_issues, header_issues]
    if (header_issues["severity"] == "error").any() or (read_issues["severity"] == "error").any() and frame.is_empty():
        return Validation(pl.DataFrame(schema=CLEAN_SCHEMA), _concat(issues), 0)
    # One chunk per column, copied once here: the parser hands over dozens, every kernel below
    # would run per chunk, and a column built with other chunks makes Polars realign (copy) the
    # whole table at some later step anyway.
    frame = frame.rechunk()
    if layout.wide and frame.height:
        frame, layout = _second_header_line(frame, layout, ctx.framework)
    read_issues = _short_rows_of_optional_cells(read_issues, layout)
    issues[0] = read_issues
    if ctx.delimiter == ",":
        issues.append(_decimal_commas_taken_for_delimiters(frame, headers, layout))
    shifted = read_issues.filter(pl.col("code") == "wrong_cell_count")["line"]
    table = _canonical_table(frame, layout, ctx)
    if shifted.len():
        table = table.filter(~pl.col("__line").is_in(shifted.implode()))
    skipped = 0
    if table.get_column("value").null_count():  # an untouched template row has no value
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
            issues.append(cell_issues(remarks, "note_row", column, pl.coalesce("notes", "source")))
            table = table.filter(~remark)
        if table.is_empty() and not flagged.len():  # an untouched template: nothing to store is no success
            issues.append(issues_frame([Issue("no_data_rows")]))
            return Validation(pl.DataFrame(schema=CLEAN_SCHEMA), _concat(issues), skipped)
    table, row_issues, org_codes = _check_rows(table, layout, ctx, today)
    formulas = read_issues.filter(pl.col("code") == "formula_without_value")
    if formulas.height and row_issues.height:  # the formula is the problem, not the empty cell it left
        row_issues = row_issues.join(formulas.select("line", "column", code=pl.lit("empty_required")),
                                     on=["line", "column", "code"], how="anti", nulls_equal=True)
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
    return Validation(clean.cast(CLEAN_SCHEMA), report, skipped, org_codes)


def _second_header_line(frame: pl.DataFrame, layout: _Layout, fw: Framework) -> tuple[pl.DataFrame, _Layout]:
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
        elif _indicator_named_by(f"{code} {text}", fw) != code or parse_numbers(pl.Series([text]))["number"][0] is not None:
            return frame, layout
    return frame.slice(1), replace(layout, wide_units={**units, **layout.wide_units})


def _decimal_commas_taken_for_delimiters(frame: pl.DataFrame, headers: list[str], layout: _Layout) -> pl.DataFrame:
    """``87,5`` written unquoted in a comma-separated file is two cells, ``87`` and ``5``: the value
    and the next column. With a next column that is optional (notes) the row even has the right
    width, and 87 would be stored. A whole number followed by a cell of one or two digits alone is
    that (a year, a baseline or a denominator in the next column has more)."""
    position = layout.columns.get("value")
    if position is None or position + 1 >= len(headers):
        return empty_issues()
    value, after = pl.col(f"c{position}"), pl.col(f"c{position + 1}")
    # The next cell first: digits alone are rare there, so the value column is seldom looked at.
    rows = frame.filter((after.str.len_bytes() <= 6).fill_null(False))  # a cheap pass first: most cells are longer
    rows = rows.filter(after.str.contains(r"^\s*[0-9]{1,2}\s*$").fill_null(False))
    rows = rows.filter(value.str.contains(r"^\s*[+-]?[0-9]+\s*$").fill_null(False))
    if not rows.height:
        return empty_issues()
    value, after = value.str.strip_chars(), after.str.strip_chars()
    return cell_issues(rows, "decimal_comma_split", headers[position].strip(),
                       value=pl.concat_str(value, pl.lit(","), after))


def _short_rows_of_optional_cells(read_issues: pl.DataFrame, layout: _Layout) -> pl.DataFrame:
    """Forgive a row that stops before the header's width when every cell it lacks is optional.

    Excel writes no delimiter for the empty cells that end a row beyond its first sixteen lines
    (Microsoft KB 77295: an empty ``notes`` column leaves the later rows one cell short), and text
    editors drop them too. Such a row means what it would with those cells empty, which is how the
    reader already filled them; a row that stops before a required cell stays ``wrong_cell_count``.
    A row with too many cells never is forgiven: an unquoted decimal comma looks exactly like that.
    """
    wrong = pl.col("code") == "wrong_cell_count"
    if not read_issues.filter(wrong).height:
        return read_issues
    required = [layout.columns[name] for name in ("org_code", "indicator_code", "period", "value") if name in layout.columns]
    if layout.period_part is not None:
        required.append(layout.period_part[0])
    needed = max(required, default=0) + 1
    cells, width = pl.col("value").cast(pl.Int64, strict=False), pl.col("expected").cast(pl.Int64, strict=False)
    return read_issues.filter(~(wrong & (cells < width) & (cells >= needed)).fill_null(False))


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    frames = [f for f in frames if f.height]
    if not frames:
        return empty_issues()
    # The same problem once: an empty organisation cell of a wide row is one cell, not one per indicator.
    return (pl.concat(frames, how="vertical").unique(maintain_order=True)
            .sort("line", "column", nulls_last=False, maintain_order=True))


# -- header ----------------------------------------------------------------------------------
def _indicator_named_by(text: str, fw: Framework) -> str | None:
    """The indicator a text names, as hand-made sheets write it (a long-layout cell or a wide-layout
    header): the indicator's code (``R01``), the code followed by its label (``R01 - Bénéficiaires…``,
    ``R01 (personnes)``, ``R01: …``), or its full name in French, Arabic or English, either with a
    precision in brackets.

    What follows a code must be that indicator's label or unit: ``R01 Femmes``, ``R01-F``,
    ``R01.1`` or ``R01 - <another indicator's name>`` name no indicator (the part or the other
    indicator may be what was meant: storing the figure as R01's total would be a silent misread).
    A precision that is a breakdown value (``R01 (femmes)``) or another code says the same."""
    codes, names = fw.indicator_spellings
    folded = fold(text)
    if folded in codes:
        return codes[folded]
    if (bracketed := re.match(r"^[\[(]([^\])]+)[\])]\s*(.+)$", text.strip())) and fold(bracketed.group(1)) in codes:
        text = f"{bracketed.group(1)} {bracketed.group(2)}"  # "[R01] Bénéficiaires…" as "R01 Bénéficiaires…"
        folded = fold(text)
    precision = header_precision(text)
    bare = without_precision(folded) if precision is not None else folded
    first = re.match(r"^([^\W_]+)(?=[\s:(\[/.,;-]|$)", bare)
    if first and first.group(1) in codes:
        code = codes[first.group(1)]
        label = bare[first.end():].strip(" :([/.,;-)]")
        if label and not _label_fits(label, code, fw):
            return None
    else:
        code = names.get(bare) or names.get(folded)
    if code is None or (precision and not _precision_fits(precision, code, fw)):
        return None
    return code


def _label_fits(label: str, code: str, fw: Framework) -> bool:
    """Whether the text after a code can be that indicator's label: its unit, its name (or close to
    it), or any words people use for it (``Nombre de bénéficiaires``, ``AGR créées``, ``PSH``) — but
    not another indicator's name (``R01 - Bénéficiaires en situation de handicap``), a sub-indicator
    (``R01.1``, ``R01 2``) or a group of people its own name does not mention (``R01 Femmes``,
    ``R01-F``, ``R01 rural``; ``R02 % femmes`` is R02's own subject)."""
    unit = fw.unit_alias_table().get(label)
    if unit is not None:
        return unit == fw.indicator_by_code[code].unit
    best, score = _closest_name(label, fw)
    if code in best and score >= 0.6:
        return True
    if _another_name(label, code, fw):
        return False
    return not (label[0].isdigit() or _names_a_group(label, code, fw))


def _another_name(label: str, code: str, fw: Framework) -> bool:
    """``label`` is, letter for letter or nearly (≥ 0.9), the name of another indicator."""
    _, names = fw.indicator_spellings
    return any(other != code and difflib.SequenceMatcher(None, label, name).ratio() >= 0.9
               for name, other in names.items())


#: Breakdowns whose values name a group of people an indicator's figure could be narrowed to.
_GROUPS = ("sex", "area", "age_band")


def _names_a_group(text: str, code: str, fw: Framework) -> bool:
    """``text`` narrows indicator ``code`` to a group: it is a sex, area or age group, or holds a
    word naming one sex or one area that the indicator's own names do not (``femmes`` narrows R01,
    not R02 « Part de femmes et filles »; ``hommes et femmes`` is everyone)."""
    if any(text in fw.breakdown_alias_table(name) for name in _GROUPS):
        return True
    own = " ".join(fold(n) for n in fw.indicator_by_code[code].name.model_dump().values())
    words = [w for w in re.split(r"[\s/,;:()\[\]%-]+", text) if len(w) >= 3 and w not in own]
    for name in ("sex", "area"):
        aliases = fw.breakdown_alias_table(name)
        named = {aliases[w] for w in words if w in aliases}
        if len(named) == 1:
            return True
    return False


def _precision_fits(precision: str, code: str, fw: Framework) -> bool:
    """A precision in brackets after an indicator may be a unit, its own name or a word on how it
    was counted, but not a group of people (``R01 (femmes)``) or another indicator's code."""
    codes, _ = fw.indicator_spellings
    if precision in codes:
        return codes[precision] == code
    if precision in fw.unit_alias_table():
        return True
    best, score = _closest_name(precision, fw)
    if code in best and score >= 0.6:
        return True
    return not _names_a_group(precision, code, fw)


def _closest_name(label: str, fw: Framework) -> tuple[set[str], float]:
    """The indicators whose name (fr/ar/en) is closest to ``label`` (several on a tie: ``Budget``
    is in two names), and how close (0–1): a name in the label, or the label in a name
    (``Bénéficiaires directs``), counts as close."""
    _, names = fw.indicator_spellings
    best: set[str] = set()
    score = 0.0
    for name, code in names.items():
        if label == name:
            return {code}, 1.0
        ratio = difflib.SequenceMatcher(None, label, name).ratio()
        if len(label) >= 4 and (label in name or name in label):
            ratio = max(ratio, 0.9)
        if ratio > score:
            best, score = {code}, ratio
        elif ratio == score:
            best.add(code)
    return best, score


def _indicator_guesses(texts: list[str], fw: Framework) -> list[str | None]:
    """Per text naming no indicator, the submittable indicator it was probably meant to be."""
    return closest(texts, spellings(
        (spelling, i.code) for i in fw.indicators if not i.derived
        for spelling in (i.code, i.name.fr, i.name.ar, i.name.en)))


def _map_headers(headers: list[str], ctx: ValidationContext) -> tuple[_Layout, pl.DataFrame]:
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
        code = None if canonical is not None else _indicator_named_by(text or "", ctx.framework)
        precision = header_precision(text) if canonical == "value" or code is not None else None
        if is_planned(precision):  # "Valeur (cible)": a target is not a result
            issues.append(Issue("planned_column", line=1, column=(text or "").strip()))
            continue
        if is_scaled(precision):  # "Montant (en milliers de DH)": every value would be 1,000 times too small
            written = re.search(r"[(\[]([^()\[\]]*)[)\]][\s*:]*$", (text or "").strip())
            issues.append(Issue("scaled_column", line=1, column=(text or "").strip(),
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
    period_part = _period_over_two_columns(headers, columns.get("period", []))
    if period_part is not None:
        columns["period"] = [p for p in columns["period"] if p != period_part[0]]
    for canonical, positions in columns.items():
        if len(positions) > 1:
            shown = ", ".join(f"« {headers[p].strip()} »" for p in positions)
            issues.append(Issue("duplicate_column", column=canonical, value=shown))
    wide = {code: positions[0] for code, positions in wide_columns.items()}
    is_wide = bool(wide) and "indicator_code" not in columns and "value" not in columns
    if not is_wide:
        unknown += [p for positions in wide_columns.values() for p in positions]
        wide = {}
    else:
        for code, positions in wide_columns.items():
            if len(positions) > 1:  # two columns for one indicator: which holds its values?
                shown = ", ".join(f"« {headers[p].strip()} »" for p in positions)
                issues.append(Issue("duplicate_column", column=code, value=shown))
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


_YEAR_HEADERS = frozenset(fold(h) for h in ("année", "annee", "year", "exercice", "السنة", "العام", "سنة"))
_PART_HEADERS = {
    **{fold(h): "Q" for h in ("trimestre", "quarter", "الفصل", "الربع", "الثلاثي")},
    **{fold(h): "S" for h in ("semestre", "semester", "الأسدس", "السداسي")},
    **{fold(h): "M" for h in ("mois", "month", "الشهر")},
}


#: A period cell written as a full date (day, month and year).
_FULL_DATE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{4}-\d{1,2}-\d{1,2}")
_KIND_EXAMPLE = {"year": "2024", "quarter": "2024-T1", "semester": "2024-S1", "month": "2024-03"}
_PART_KINDS = {"Q": "quarter", "S": "semester", "M": "month"}


def _period_kind_named_by(layout: _Layout) -> str | None:
    """The kind of period a single period column's header announces (``Trimestre``: quarters), if any."""
    if layout.period_part is not None or "period" not in layout.headers:
        return None
    name = without_precision(fold(layout.headers["period"]))
    if name in _YEAR_HEADERS:
        return "year"
    part = _PART_HEADERS.get(name)
    return _PART_KINDS[part] if part else None


def _period_over_two_columns(headers: list[str], positions: list[int]) -> tuple[int, str] | None:
    """French sheets often split the period: ``Année`` and ``Trimestre`` (or semester, month)
    columns. The position and kind of the second one when exactly that is the case."""
    if len(positions) != 2:
        return None
    names = [without_precision(fold(headers[p])) for p in positions]
    for year, part in ((0, 1), (1, 0)):
        if names[year] in _YEAR_HEADERS and names[part] in _PART_HEADERS:
            return positions[part], _PART_HEADERS[names[part]]
    return None


def _sample_texts(frame: pl.DataFrame, position: int, limit: int = 200) -> list[str]:
    """A few distinct non-blank texts of a column (from its first rows: enough to say what it holds)."""
    column = frame.get_column(f"c{position}").head(20_000)
    texts = column.filter(column.str.strip_chars() != "").unique(maintain_order=True).head(limit)
    return texts.to_list()


def _columns_outside_the_layout(
    frame: pl.DataFrame, headers: list[str], layout: _Layout, fw: Framework, header_issues: pl.DataFrame
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
            code = "unnamed_column" if position < last_named else "stray_cells"
            issues.append(Issue(code, line=int(line), column=column_letter(position), value=value[:60]))
    for position in layout.unknown:
        header = headers[position].strip()
        texts = _sample_texts(frame, position)
        if not texts:
            continue
        if (breakdown := _breakdown_of(texts, fw)) is not None:
            issues.append(Issue("breakdown_like_column", line=1, column=header, expected=breakdown))
            replaced.add(header)
        elif layout.wide and not _total(fold(header))[0] and parse_numbers(
            pl.Series(texts, dtype=pl.String)
        )["problem"].null_count() == len(texts):
            guess = _indicator_guesses([header], fw)[0]
            issues.append(Issue("unknown_indicator", line=1, column=header, value=header, expected=guess))
            replaced.add(header)
    if not issues:
        return header_issues
    kept = header_issues.filter(~((pl.col("code") == "unknown_column") & pl.col("column").is_in(list(replaced))))
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
        if any(named) and all(n or _is_overall(text) for n, text in zip(named, texts, strict=True)):
            return name
    return None


def _joined_period(year: pl.Expr, part: pl.Expr, kind: str) -> pl.Expr:
    """One period text from a year cell and a quarter/semester/month cell: ``2024`` + ``T1`` →
    ``T1 2024``, ``2024`` + ``3`` (a quarter column) → ``2024-Q3``, ``2024`` + ``mars`` → ``mars 2024``;
    an empty second cell leaves the year (the file then mixes years and quarters, as it may)."""
    year, part = year.str.strip_chars(), part.str.strip_chars()
    number = part.str.contains(r"^[0-9\u0660-\u0669\u06f0-\u06f9]{1,2}$")
    # "03" in a quarter column is the third quarter; "3" in a month column is March.
    digits = part.str.zfill(2) if kind == "M" else part.str.replace(r"^[0\u0660\u06f0](.)$", "$1")
    numbered = year + pl.lit("-" if kind == "M" else f"-{kind}") + digits
    return (
        pl.when(part.is_null() | (part == "")).then(year)
        .when(number).then(numbered)
        # a part that already holds its year (a date shown "mars", 03/2024, févr.-24, T1 2024) is the period
        .when(part.str.contains(r"[0-9\u0660-\u0669\u06f0-\u06f9]{4}|[-/.][0-9]{2}$")).then(part)
        .otherwise(part + " " + year)
    )


def _canonical_table(frame: pl.DataFrame, layout: _Layout, ctx: ValidationContext) -> pl.DataFrame:
    """Rename positional columns to canonical names, strip cells, melt the wide layout."""

    parts = () if layout.period_part is None else (layout.period_part[0],)
    positions = sorted({*layout.columns.values(), *layout.wide.values(), *parts})
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
        present["period"] = _joined_period(cell(layout.columns["period"]), cell(layout.period_part[0]),
                                           layout.period_part[1]).alias("period")
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


class _Codes:
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


def _encode(
    table: pl.DataFrame, columns: list[str], expected: dict[str, list[str]]
) -> tuple[pl.DataFrame, dict[str, _Codes]]:
    """Per-row codes of the lookup columns.

    A column with ``expected`` spellings is cast to them straight away; the others (and an
    expected column holding some other text) first have their distinct texts listed. Everything
    is eager: the columns keep the chunks of the table (a lazy query would cut them differently,
    and the next operation would copy the whole table to realign them).
    """
    # Expected spellings help only when they are fewer than the rows (a small file of a large network).
    guessed = {c: _Codes(c, expected[c], exact=False) for c in columns if len(expected.get(c, ())) <= table.height
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
    codes = {c: _Codes(c, distinct.get_column(c)[0].to_list()) for c in listed}
    table = cast.with_columns(code.expr() for code in codes.values())
    return table, {c: guessed.get(c) or codes[c] for c in columns}


def _any(table: pl.DataFrame, conditions: dict[str, pl.Expr]) -> dict[str, bool]:
    """Whether each condition holds somewhere, all evaluated in one pass."""
    if not conditions:
        return {}
    row = table.select(condition.any().alias(name) for name, condition in conditions.items()).row(0, named=True)
    return {name: bool(value) for name, value in row.items()}


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
) -> tuple[pl.DataFrame, pl.DataFrame, tuple[str, ...]]:
    """Every row rule. Rules about a code (organisation, indicator, period, unit, breakdown) are
    decided once per distinct text, and only when some text breaks one are its rows looked for."""
    fw = ctx.framework
    header = layout.headers.get
    found: list[pl.DataFrame] = []

    def add(condition: pl.Expr, code: str, column: str, value: pl.Expr | None = None,
            expected: pl.Expr | str | None = None, *, known: bool = False) -> bool:
        """Issues for the rows meeting ``condition``; most conditions hold nowhere, so test first
        (``known``: the caller already knows that some row does). Whether there were any."""
        if known or table.select(condition.any()).item():
            found.append(cell_issues(table.filter(condition), code, column, value, expected))
            return True
        return False

    def value_issues(condition: pl.Expr, code: str, value: pl.Expr, expected: pl.Expr | None = None,
                     *, known: bool = False) -> None:
        """Issues on the value cell, whose column is per row in the wide layout."""
        if known or table.select(condition.any()).item():
            rows = table.filter(condition)
            found.append(cell_issues(rows, code, "", value, expected).with_columns(column=rows["__value_column"]))

    breakdowns = [b for b in BREAKDOWN_COLUMNS if b in layout.columns]
    expected = {"indicator_code": [i.code for i in fw.indicators]}
    if ctx.known_orgs is not None:
        expected["org_code"] = sorted(ctx.known_orgs)
    table, codes = _encode(table, ["org_code", "indicator_code", "period", "unit", *breakdowns], expected)
    known = {o.upper(): o for o in ctx.known_orgs} if ctx.known_orgs is not None else None
    registered = {"org_code": set(known or ()), "indicator_code": {i.code.upper() for i in fw.indicators}}
    table, not_data = _drop_rows_that_are_not_data(table, layout, codes, registered)
    found.extend(not_data)
    # Cells of white space only count as empty: their code is null, like an empty cell's.
    missing = {name: pl.col(code.code).is_null() for name, code in codes.items()}
    # "#N/A" where a RECHERCHEV found nothing, in a code or breakdown cell: Excel's error is the
    # problem to name (the cell's other complaints, unknown code or value, are dropped below).
    excel_errors = []
    for name in ("org_code", "indicator_code", "period", "unit", *breakdowns):
        if errors := codes[name].where(lambda i, n=name: _EXCEL_ERROR_TEXT.match(codes[n].texts[i].strip()) is not None):
            excel_errors.append(name)
            add(codes[name].rows_in(errors), "excel_error", header(name, name), pl.col(name), known=codes[name].exact)

    # Organisations: case-insensitive match to the registry (and to the uploading member).
    org_col = header("org_code", "org_code")
    member = ctx.member_org.upper() if ctx.member_org else None
    org_id = _ids()
    orgs = codes["org_code"]
    org_canonical, org_other, org_ids = [], [], []
    for text in orgs.texts:
        bare = strip_invisible(text)
        key = bare.upper()
        other = member is not None and key != member
        # A member learns nothing about the registry: another code is "not yours", registered or not.
        canonical = bare if known is None or other else known.get(key)
        org_canonical.append(canonical)
        org_other.append(other)
        org_ids.append(None if other else org_id(canonical))
    add(missing["org_code"], "empty_required", org_col)
    if known is not None and (unknown := orgs.where(lambda i: org_canonical[i] is None and not org_other[i])):
        guesses = closest([orgs.texts[i] for i in unknown], spellings((code, code) for code in known.values()))
        add(orgs.rows_in(unknown), "unknown_org", org_col, pl.col("org_code"), _at(orgs, unknown, guesses),
            known=orgs.exact)
    other_rows = False
    if member and (others := orgs.where(lambda i: org_canonical[i] is not None and org_other[i])):
        other_rows = add(orgs.rows_in(others), "other_org", org_col, pl.col("org_code"), ctx.member_org,
                         known=orgs.exact)

    # Indicators, with everything the value checks need to know about them.
    facts, _ = _indicator_facts(fw)
    indicators = codes["indicator_code"]
    # A code as in the framework; else the code followed by a label ("R01 - Bénéficiaires…") or the
    # indicator's full name, as hand-made sheets write them (``_indicator_named_by``, as for wide headers).
    ind = [facts.get(fold(text)) or facts.get(fold(_indicator_named_by(text, fw) or "")) for text in indicators.texts]

    def ind_fact(name: str, dtype: pl.DataType) -> pl.Expr:
        return indicators.fact([None if f is None else f[name] for f in ind], dtype)

    ind_col = header("indicator_code", "indicator_code")
    add(missing["indicator_code"], "empty_required", ind_col)
    if unknown := indicators.where(lambda i: ind[i] is None):
        guesses = _indicator_guesses([indicators.texts[i] for i in unknown], fw)
        add(indicators.rows_in(unknown), "unknown_indicator", ind_col, pl.col("indicator_code"),
            _at(indicators, unknown, guesses), known=indicators.exact)
    derived_rows = False
    if derived := indicators.where(lambda i: ind[i] is not None and ind[i]["derived"]):
        derived_rows = add(indicators.rows_in(derived), "derived_indicator", ind_col, pl.col("indicator_code"),
                           ind_fact("components", pl.String()), known=indicators.exact)
    kinds = [None if f is None else f["kind"] for f in ind]
    unit_ids = {code: i for i, code in enumerate(dict.fromkeys(f["unit_code"] for f in facts.values()))}
    ind_codes = [None if f is None or f["derived"] else f["ind_code"] for f in ind]
    table = table.with_columns(
        __ind_known=ind_fact("ind_code", pl.String()).is_not_null(),
        __kind_boolean=indicators.fact([k == UnitKind.BOOLEAN.value for k in kinds], pl.Boolean()),
        __kind_whole=indicators.fact([k in (UnitKind.INTEGER.value, UnitKind.BOOLEAN.value) for k in kinds], pl.Boolean()),
        __kind_percent=indicators.fact([k == UnitKind.PERCENT.value for k in kinds], pl.Boolean()),
        # No bound is an infinite one (null only for an unknown indicator, whose values are not checked).
        __low=indicators.fact([None if f is None else _or(f["low"], float("-inf")) for f in ind], pl.Float64()),
        __high=indicators.fact([None if f is None else _or(f["high"], float("inf")) for f in ind], pl.Float64()),
        __unit_id=indicators.fact([None if f is None else unit_ids[f["unit_code"]] for f in ind], pl.Int32()),
        unit_code=ind_fact("unit_code", pl.String()),
        # Codes written as in the framework (the usual case) are kept as they are, not copied.
        indicator_code=pl.col("indicator_code") if _as_written(table, indicators, ind_codes, derived_rows)
        else indicators.fact(ind_codes, pl.String()),
    )

    # Periods: parsed once per distinct text.
    periods = codes["period"]
    parsed = parse_periods(pl.Series(periods.texts, dtype=pl.String))
    parsed = parsed.with_columns(state=period_status(pl.col("period_start"), pl.col("period_end"), today))
    by_text = {row["text"]: row for row in parsed.iter_rows(named=True)}
    period_rows = [by_text[text] for text in periods.texts]
    period_id = _ids()
    period_ids = [period_id(row["period"]) for row in period_rows]
    period_col = header("period", "period")
    add(missing["period"], "empty_required", period_col)
    if invalid := periods.where(lambda i: period_rows[i]["period"] is None):
        add(periods.rows_in(invalid), "invalid_period", period_col, pl.col("period"), known=periods.exact)
    kind = _period_kind_named_by(layout)
    januaries = periods.where(lambda i: period_rows[i]["granularity"] == "month" and period_rows[i]["period"].endswith("-01"))
    if kind == "year":  # 01/01/2024 (or a workbook's date cell, 2024-01) in an "Année" column is the year
        for i in januaries:
            year = parse_periods(pl.Series([period_rows[i]["period"][:4]])).with_columns(
                state=period_status(pl.col("period_start"), pl.col("period_end"), today)).row(0, named=True)
            period_rows[i] = {**year, "text": periods.texts[i]}
            period_ids[i] = period_id(year["period"])
    if kind is not None and (
        other := periods.where(lambda i: period_rows[i]["granularity"] not in (None, kind, "year"))
    ):  # "Trimestre" holding 01/04/2024 (a month), "Année" holding 2024-Q1; a year fits any column
        add(periods.rows_in(other), "period_kind_mismatch", period_col, pl.col("period"), _KIND_EXAMPLE[kind],
            known=periods.exact)
    if kind not in ("month", "year") and (january := [i for i in januaries if _FULL_DATE.search(periods.texts[i])]):
        # 01/01/2024: Excel's reading of "01/2024" typed in a cell, or a year written as a date?
        add(periods.rows_in(january), "january_or_year", period_col, pl.col("period"),
            periods.fact([row["period"] for row in period_rows], pl.String()), known=periods.exact)
    if future := periods.where(lambda i: period_rows[i]["state"] == "future"):
        add(periods.rows_in(future), "future_period", period_col, pl.col("period"), known=periods.exact)
    if in_progress := periods.where(lambda i: period_rows[i]["state"] == "in_progress"):
        ends = periods.fact([row["period_end"] for row in period_rows], pl.Date())
        add(periods.rows_in(in_progress), "period_in_progress", period_col, pl.col("period"), ends.cast(pl.String),
            known=periods.exact)
    labels = [row["period"] for row in period_rows]
    table = table.with_columns(
        period_label=pl.col("period") if _as_written(table, periods, labels) else periods.fact(labels, pl.String()),
        granularity=periods.fact([row["granularity"] for row in period_rows], pl.String()),
        period_start=periods.fact([row["period_start"] for row in period_rows], pl.Date()),
        period_end=periods.fact([row["period_end"] for row in period_rows], pl.Date()),
    )

    # Values: yes/no words for boolean indicators, then numbers, then kind and range. A file whose
    # values are all plain numbers (the usual case) holds no word, so the words are only looked
    # for otherwise.
    is_boolean = pl.col("__kind_boolean")
    words = {w: "1" for w in _TRUE_WORDS} | {w: "0" for w in _FALSE_WORDS}
    parsed_values = plain_numbers(table.get_column("value"))
    if parsed_values is None:
        value_text = pl.col("value")
        if any(kind == UnitKind.BOOLEAN.value for kind in kinds):
            boolean_texts = table.select(pl.col("value").filter(is_boolean).unique().drop_nulls()).to_series().to_list()
            spelled = {text: words[text.strip().lower()] for text in boolean_texts if text.strip().lower() in words}
            spelled = {text: digit for text, digit in spelled.items() if text != digit}
            if spelled:
                value_text = pl.when(is_boolean).then(pl.col("value").replace(spelled)).otherwise(pl.col("value"))
        parsed_values = parse_numbers(table.select(value_text).to_series())
    table = table.with_columns(parsed_values)
    unit_names = ind_fact("unit_names", pl.String())
    checked = pl.col("number").is_not_null() & pl.col("__ind_known")
    out_of_range = checked & (
        (pl.col("number") < pl.col("__low")) | (pl.col("number") > pl.col("__high"))
    )
    not_integer = checked & ~out_of_range & pl.col("__kind_whole") & (pl.col("number") != pl.col("number").round(0))
    is_percent = checked & pl.col("__kind_percent") & ~out_of_range
    # Units: the unit cell (or a % sign in the value) must name the indicator's unit.
    aliases = fw.unit_alias_table()
    units = codes["unit"]
    given = [unit_ids.get(aliases.get(matching_key(text)), -1) for text in units.texts]
    # A unit of question marks is text a French Excel could not save (٪ of the Arabic template): the
    # damaged-text warning says so; it contradicts nothing. "Nombre" (a count) fits any count of people
    # or things: the unit cell is there to catch %, MAD or hours given for them.
    damaged = [bool(re.fullmatch(r"\?+", text.strip())) for text in units.texts]
    generic = [aliases.get(matching_key(text)) == "count" for text in units.texts]
    wrong_unit = pl.col("__ind_known") & ~missing["unit"] & (units.fact(given, pl.Int32()) != pl.col("__unit_id"))
    if any(damaged):  # (each term is a pass over the rows: only when some unit text needs it)
        wrong_unit = wrong_unit & ~units.fact(damaged, pl.Boolean())
    if any(generic):
        wrong_unit = wrong_unit & ~(units.fact(generic, pl.Boolean()) & pl.col("__kind_whole"))
    stray_percent = pl.col("__ind_known") & pl.col("percent") & ~pl.col("__kind_percent")
    # 3420:45 is a duration: only an indicator counted in hours takes one.
    hours_id = unit_ids.get("hours", -1)
    stray_duration = pl.col("__ind_known") & pl.col("duration") & (pl.col("__unit_id") != hours_id)
    problems = pl.col("problem")
    # Null counts are known without a pass over the rows: most files have no empty or unreadable value.
    numbers = table.get_column("number")
    conditions = {
        "out_of_range": out_of_range,
        "not_integer": not_integer,
        "fraction": is_percent.any() & (pl.col("number").filter(is_percent).max() <= 1),
        "some_fraction": is_percent & (pl.col("number") > 0) & (pl.col("number") < 1),
    }
    if numbers.null_count():
        conditions["empty"] = pl.col("number").is_null() & problems.is_null()
    if table.get_column("problem").null_count() < table.height:
        conditions["problem"] = problems.is_not_null()
    if units.texts:
        conditions["wrong_unit"] = wrong_unit
    if table.get_column("percent").any():
        conditions["stray_percent"] = stray_percent & ~wrong_unit
    if table.get_column("duration").any():
        conditions["stray_duration"] = stray_duration & ~wrong_unit
    seen = dict.fromkeys(("empty", "problem", "wrong_unit", "stray_percent", "stray_duration"), False) | _any(
        table, conditions)
    # A value of white space only parses to nothing without a problem: it is an empty cell.
    if seen["empty"]:
        add(pl.col("number").is_null() & problems.is_null(), "empty_required", header("value", "value"), known=True)
    if seen["problem"]:
        for code in ("not_a_number", "excel_error", "scientific_notation", "mixed_digits", "ambiguous_number"):
            value_issues(problems == code, code, pl.col("value"))
    if seen["out_of_range"]:
        value_issues(out_of_range, "out_of_range", pl.col("value"), ind_fact("range_text", pl.String()), known=True)
    if seen["not_integer"]:
        value_issues(not_integer, "not_integer", pl.col("value"), unit_names, known=True)

    # Percentages written as fractions (0.875 for 87.5 %): when every percentage of the file is
    # at most 1, warn on each — a file of genuine sub-1 % rates is rare, a misread one is not; and
    # warn on any percentage strictly between 0 and 1 among others (0,875 next to 87,5).
    if seen["fraction"] or seen["some_fraction"]:
        fraction = (pl.col("number") > 0) & ((pl.col("number") < 1) if not seen["fraction"] else pl.lit(True))
        value_issues(is_percent & fraction, "percent_as_fraction", pl.col("value"),
                     (pl.col("number") * 100).round(6).cast(pl.String).str.replace(r"\.0$", ""), known=True)
    if seen["wrong_unit"]:
        if "unit" in layout.columns or not layout.wide_units:
            add(wrong_unit, "unit_mismatch", header("unit", "unit"), pl.col("unit"), unit_names, known=True)
        else:  # the unit came from a wide column's header: name that column
            value_issues(wrong_unit, "unit_mismatch", pl.col("unit"), unit_names, known=True)
    if seen["stray_percent"]:
        value_issues(stray_percent & ~wrong_unit, "unit_mismatch", pl.lit("%"), unit_names, known=True)
    if seen["stray_duration"]:
        value_issues(stray_duration & ~wrong_unit, "unit_mismatch", pl.col("value"), unit_names, known=True)

    # Breakdowns.
    key_parts = [
        _KeyPart(orgs, org_ids),
        _KeyPart(indicators, [None if f is None else f["ind_id"] for f in ind], len(facts)),
        _KeyPart(periods, period_ids),
    ]
    for name in breakdowns:
        allowed = fw.breakdown_alias_table(name)
        ids = {code: i for i, code in enumerate(dict.fromkeys(allowed.values()))}
        values = codes[name]
        canonical = [allowed.get(matching_key(text)) for text in values.texts]
        # "Total femmes", "Ensemble rural": the total of that group, which is the group's figure.
        canonical = [c if c is not None or (rest := _total_of(text)) is None else allowed.get(matching_key(rest))
                     for c, text in zip(canonical, values.texts, strict=True)]
        # "Total", "Ensemble", "Tous" in a breakdown cell: the row is the total, as an empty cell.
        overall = [c is None and _is_overall(text) for c, text in zip(canonical, values.texts, strict=True)]
        allowed_values = fw.breakdowns[name].values if name in fw.breakdowns else ()
        if invalid := values.where(lambda i, c=canonical, o=overall: c[i] is None and not o[i]):
            add(values.rows_in(invalid), "invalid_breakdown", header(name, name), pl.col(name), ", ".join(allowed_values),
                known=values.exact)
        table = table.with_columns(values.fact(canonical, pl.String()).alias(name))
        # An empty breakdown cell (the total) is -1; a value not allowed leaves the key unknown (it
        # is reported already, and two different wrong values are not the same breakdown).
        key_parts.append(_KeyPart(values, [-1 if o else None if c is None else ids[c]
                                           for c, o in zip(canonical, overall, strict=True)], len(ids), empty=-1))

    # Organisation codes are replaced by their registered spelling once every rule has read them
    # (nothing to replace when every code is written as registered, the usual case).
    spelling = [None if other else c for c, other in zip(org_canonical, org_other, strict=True)]
    table = table.with_columns(
        org_code=pl.col("org_code") if _as_written(table, orgs, spelling, other_rows) else orgs.fact(spelling, pl.String()),
    )
    if (repeated := _repeated_keys(table, key_parts)) is not None:
        found.append(
            cell_issues(repeated, "duplicate_key", ind_col, pl.col("indicator_code"), pl.col("first_line").cast(pl.String))
        )
    # The organisations of the file, as stored (from the few codes, not the rows' texts).
    present = table.get_column(orgs.code).unique().drop_nulls().to_list()
    org_codes = tuple(sorted({spelling[i] for i in present if spelling[i] is not None}))
    issues = _concat(found)
    if excel_errors:
        shown = issues.filter(pl.col("code") == "excel_error").select("line", "column")
        issues = pl.concat([
            issues.filter(pl.col("code") == "excel_error"),
            issues.filter(pl.col("code") != "excel_error").join(shown, on=["line", "column"], how="anti", nulls_equal=True),
        ]).sort("line", "column", nulls_last=False, maintain_order=True)
    return table, issues, org_codes


#: What a total line says in its key cells (folded): Athar adds values up itself.
_TOTAL_WORDS = re.compile(
    r"^(total general|total generale|grand total|sous total|sous totaux|soustotal|total|totale|totaux|subtotal"
    r"|sum|somme|ensemble|المجموع العام|المجموع الاجمالي|المجموع|مجموع|الاجمالي|اجمالي)( .*)?$"
)


#: English Excel's subtotal label puts the word after what it adds up: "R01 Total".
_TOTAL_AFTER = re.compile(r"^(.+?) (total|totals|sous total|subtotal)$")


def _total(folded: str) -> tuple[bool, str | None]:
    """Whether a folded cell is a total, and what it is the total of (None for a bare total):
    ``total`` → (True, None), ``total r01`` and ``r01 total`` → (True, "r01")."""
    if found := _TOTAL_WORDS.match(folded):
        return True, found.group(2).strip() if found.group(2) else None
    if found := _TOTAL_AFTER.match(folded):
        return True, found.group(1).strip()
    return False, None


_OVERALL_WORDS = frozenset({"tous", "toutes", "tout", "all", "both", "les deux", "any", "الكل", "الجميع", "جميع", "كلاهما"})


def _is_overall(text: str) -> bool:
    """A breakdown cell that names no group but everyone: the row is the total. Only the bare word:
    ``Total femmes`` is the women's figure (see ``_total_of``), not everyone's."""
    folded = fold(text)
    total, rest = _total(folded)
    return folded in _OVERALL_WORDS or (total and rest is None)


def _total_of(text: str) -> str | None:
    """What a qualified total names (``Total femmes`` → ``femmes``), folded; None for other texts."""
    return _total(fold(text))[1]


def _drop_rows_that_are_not_data(
    table: pl.DataFrame, layout: _Layout, codes: dict[str, _Codes], registered: dict[str, set[str]]
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
    def is_total(name: str, text: str, *, bare: bool) -> bool:
        total, rest = _total(fold(text))
        if strip_invisible(text).upper() in registered.get(name, ()) or not total:
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
            issues.append(cell_issues(rows.unique("__line", keep="first", maintain_order=True), "repeated_header", ""))
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
                issues.append(cell_issues(rows.unique("__line", keep="first", maintain_order=True), "total_row",
                                          layout.headers.get(name, name), pl.col(name)))
                dropped = dropped | total
    if not issues:
        return table, issues
    for code in codes.values():
        code.exact = False
    return table.filter(~dropped), issues


def _at(codes: _Codes, positions: list[int], values: list[str | None]) -> pl.Expr:
    """Per row, the value given for its text's position (null for the other texts)."""
    aligned: list[str | None] = [None] * len(codes.texts)
    for position, value in zip(positions, values, strict=True):
        aligned[position] = value
    return codes.fact(aligned, pl.String())


def _as_written(table: pl.DataFrame, codes: _Codes, canonical: list[str | None], hidden: bool = False) -> bool:
    """Whether every cell of the column already holds its canonical text (so the column can be kept
    as it is): each text is its own canonical form and no cell is blank. For a column coded with
    expected spellings, a text without canonical form (``None``) is one no row holds, unless
    ``hidden`` (some row does)."""
    same = all(c == t for c, t in zip(canonical, codes.texts, strict=True) if codes.exact or c is not None)
    return (same and not (hidden and not codes.exact)
            and table.get_column(codes.code).null_count() == table.get_column(codes.column).null_count())


@dataclass(frozen=True)
class _KeyPart:
    """One part of the duplicate key: the column's codes, the id of each of its texts (None: the
    key is unknown), and how many ids there are."""

    codes: _Codes
    ids: list[int | None]
    count: int | None = None
    empty: int | None = None  # the id of an empty cell (None: the key is unknown)

    @property
    def radix(self) -> int:
        """Exceeds every id + 1 (ids count from 0; an empty breakdown is -1)."""
        count = self.count if self.count is not None else len({i for i in self.ids if i is not None})
        return count + 1


def _repeated_keys(table: pl.DataFrame, parts: list[_KeyPart]) -> pl.DataFrame | None:
    """Rows repeating the key (organisation, indicator, period, breakdown) of an earlier line, with
    that line as ``first_line``; None when there is none. Rows whose key is not fully known (an
    unknown code, reported already) are left out.

    The key is the mixed-radix number of the small integer ids: exact (no collisions), and it fits
    in 64 bits for any file this size (organisations × indicators × periods × breakdown values).
    The usual file (every key known, none repeated) is checked in NumPy with one reused buffer."""
    space = 1
    for part in parts:
        space *= part.radix
    key = _numpy_key(table, parts)
    if key is not None and not _has_duplicates(key, space):
        return None
    expr = pl.lit(0, pl.Int64)
    for part in parts:
        ids = part.codes.fact(part.ids, pl.Int64())
        if part.empty is not None:  # an empty cell has its id; a text of unknown id stays null
            ids = pl.when(pl.col(part.codes.code).is_null()).then(pl.lit(part.empty, pl.Int64)).otherwise(ids)
        expr = expr * part.radix + ids + 1  # nulls propagate: rows with an unknown key are left out
    keyed = table.with_columns(__key=expr)
    if key is None and not _has_duplicates(keyed.get_column("__key").drop_nulls().to_numpy(), space):
        return None
    repeated = pl.col("__key").is_not_null() & pl.col("__key").is_duplicated()
    return (
        keyed.with_columns(first_line=pl.col("__line").min().over("__key"))
        .filter(repeated & (pl.col("__line") != pl.col("first_line")))
    )


def _numpy_key(table: pl.DataFrame, parts: list[_KeyPart]) -> np.ndarray | None:
    """Every row's key, or None when some row's key is not known."""
    key = np.zeros(table.height, dtype=np.int64)
    ids = np.empty(table.height, dtype=np.int64)
    for part in parts:
        lookup = [-2 if i is None else i for i in part.ids]
        codes = table.get_column(part.codes.code)
        if codes.null_count():
            if part.empty is None:
                return None
            lookup.append(part.empty)
            codes = codes.fill_null(len(part.ids))
        np.take(np.array(lookup or [-2], dtype=np.int64), codes.to_numpy(), out=ids)
        if ids.size and ids.min() < -1:
            return None
        key *= part.radix
        key += ids
        key += 1
    return key


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


#: Largest key space checked with a bitmap (one byte per possible key) rather than a hash set.
_BITMAP_KEYS = 1 << 26


def _has_duplicates(keys: np.ndarray, space: int) -> bool:
    """Whether a key repeats; keys lie in [0, space)."""
    if space > _BITMAP_KEYS:
        return pl.Series(keys).n_unique() < keys.size
    seen = np.zeros(space, dtype=np.bool_)
    seen[keys] = True
    return int(np.count_nonzero(seen)) < keys.size


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low:g} – {high:g}"
    if low is not None:
        return f"≥ {low:g}"
    if high is not None:
        return f"≤ {high:g}"
    return "—"

