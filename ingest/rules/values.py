"""Values: the value cell read as a number, then judged against its indicator, and the unit cell.

Yes/no words are read for boolean indicators; then numbers (``ingest.normalise``: decimal commas,
thousands separators, Arabic-Indic digits, percentages, durations).

Emits ``empty_required``, the number parser's ``not_a_number``, ``excel_error``,
``scientific_notation``, ``mixed_digits`` and ``ambiguous_number``, then ``out_of_range``,
``not_integer``, ``percent_as_fraction`` (0.875 for 87.5 %) and ``unit_mismatch`` (the unit cell,
a % sign or a duration that is not the indicator's unit).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import polars as pl

from framework.model import Framework, UnitKind
from ingest.issues import IssueCode
from ingest.normalise import parse_numbers, plain_numbers
from ingest.rules.codes import RowCheck, any_of, matching_key
from ingest.rules.indicators import IndicatorFacts

if TYPE_CHECKING:
    from ingest.rules.layout import Layout

_TRUE_WORDS = ("1", "oui", "yes", "vrai", "true", "o", "y", "نعم")
_FALSE_WORDS = ("0", "non", "no", "faux", "false", "n", "لا")
#: Every yes/no word a boolean value may be written as (any case, spaces around).
YES_NO_WORDS = (*_TRUE_WORDS, *_FALSE_WORDS)
#: The number parser's problems, in the order they are reported.
_NUMBER_PROBLEMS = (IssueCode.NOT_A_NUMBER, IssueCode.EXCEL_ERROR, IssueCode.SCIENTIFIC_NOTATION,
                    IssueCode.MIXED_DIGITS, IssueCode.AMBIGUOUS_NUMBER)


def _read_values(check: RowCheck, facts: IndicatorFacts) -> None:
    """Yes/no words for boolean indicators, then numbers. A file whose values are all plain
    numbers (the usual case) holds no word, so the words are only looked for otherwise."""
    table = check.table
    is_boolean = pl.col("__kind_boolean")
    words = {w: "1" for w in _TRUE_WORDS} | {w: "0" for w in _FALSE_WORDS}
    parsed_values = plain_numbers(table.get_column("value"))
    if parsed_values is None:
        value_text = pl.col("value")
        if any(kind == UnitKind.BOOLEAN.value for kind in facts.kinds):
            boolean_texts = table.select(pl.col("value").filter(is_boolean).unique().drop_nulls()).to_series().to_list()
            spelled = {text: words[text.strip().lower()] for text in boolean_texts if text.strip().lower() in words}
            spelled = {text: digit for text, digit in spelled.items() if text != digit}
            if spelled:
                value_text = pl.when(is_boolean).then(pl.col("value").replace(spelled)).otherwise(pl.col("value"))
        parsed_values = parse_numbers(table.select(value_text).to_series())
    # (new columns of the same height, set beside the others without a query)
    beside = parsed_values.height == table.height and not set(parsed_values.columns) & set(table.columns)
    check.table = table.hstack(parsed_values) if beside else table.with_columns(parsed_values)


def _wrong_unit(check: RowCheck, fw: Framework, facts: IndicatorFacts) -> pl.Expr:
    """Rows whose unit cell names another unit than the indicator's."""
    aliases = fw.unit_alias_table()
    units = check.codes["unit"]
    given = [facts.unit_ids.get(aliases.get(matching_key(text)), -1) for text in units.texts]
    # A unit of question marks is text a French Excel could not save (٪ of the Arabic template): the
    # damaged-text warning says so; it contradicts nothing. "Nombre" (a count) fits any count of people
    # or things: the unit cell is there to catch %, MAD or hours given for them.
    damaged = [bool(re.fullmatch(r"\?+", text.strip())) for text in units.texts]
    generic = [aliases.get(matching_key(text)) == "count" for text in units.texts]
    wrong_unit = pl.col("__ind_known") & ~check.missing("unit") & (units.fact(given, pl.Int32()) != pl.col("__unit_id"))
    if any(damaged):  # (each term is a pass over the rows: only when some unit text needs it)
        wrong_unit = wrong_unit & ~units.fact(damaged, pl.Boolean())
    if any(generic):
        wrong_unit = wrong_unit & ~(units.fact(generic, pl.Boolean()) & pl.col("__kind_whole"))
    return wrong_unit


def check_values(check: RowCheck, layout: Layout, fw: Framework, facts: IndicatorFacts) -> None:
    """The value and unit rules; the rows get ``number`` (and the parser's ``problem``, ``percent``,
    ``duration``). Whether each rule holds anywhere is found in one pass over the rows."""
    _read_values(check, facts)
    table = check.table
    unit_names = facts.fact("unit_names", pl.String())
    checked = pl.col("number").is_not_null() & pl.col("__ind_known")
    out_of_range = checked & (
        (pl.col("number") < pl.col("__low")) | (pl.col("number") > pl.col("__high"))
    )
    not_integer = checked & ~out_of_range & pl.col("__kind_whole") & (pl.col("number") != pl.col("number").round(0))
    is_percent = checked & pl.col("__kind_percent") & ~out_of_range
    # Units: the unit cell (or a % sign in the value) must name the indicator's unit.
    wrong_unit = _wrong_unit(check, fw, facts)
    stray_percent = pl.col("__ind_known") & pl.col("percent") & ~pl.col("__kind_percent")
    # 3420:45 is a duration: only an indicator counted in hours takes one.
    hours_id = facts.unit_ids.get("hours", -1)
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
    if check.codes["unit"].texts:
        conditions["wrong_unit"] = wrong_unit
    if table.get_column("percent").any():
        conditions["stray_percent"] = stray_percent & ~wrong_unit
    if table.get_column("duration").any():
        conditions["stray_duration"] = stray_duration & ~wrong_unit
    seen = dict.fromkeys(("empty", "problem", "wrong_unit", "stray_percent", "stray_duration"), False) | any_of(
        table, conditions)
    # A value of white space only parses to nothing without a problem: it is an empty cell.
    if seen["empty"]:
        check.add(pl.col("number").is_null() & problems.is_null(), IssueCode.EMPTY_REQUIRED, check.header("value"),
                  known=True)
    if seen["problem"]:
        for code in _NUMBER_PROBLEMS:
            check.value_issues(problems == code.value, code, pl.col("value"))
    if seen["out_of_range"]:
        check.value_issues(out_of_range, IssueCode.OUT_OF_RANGE, pl.col("value"), facts.fact("range_text", pl.String()),
                           known=True)
    if seen["not_integer"]:
        check.value_issues(not_integer, IssueCode.NOT_INTEGER, pl.col("value"), unit_names, known=True)

    # Percentages written as fractions (0.875 for 87.5 %): when every percentage of the file is
    # at most 1, warn on each — a file of genuine sub-1 % rates is rare, a misread one is not; and
    # warn on any percentage strictly between 0 and 1 among others (0,875 next to 87,5).
    if seen["fraction"] or seen["some_fraction"]:
        fraction = (pl.col("number") > 0) & ((pl.col("number") < 1) if not seen["fraction"] else pl.lit(True))
        check.value_issues(is_percent & fraction, IssueCode.PERCENT_AS_FRACTION, pl.col("value"),
                           (pl.col("number") * 100).round(6).cast(pl.String).str.replace(r"\.0$", ""), known=True)
    if seen["wrong_unit"]:
        if "unit" in layout.columns or not layout.wide_units:
            check.add(wrong_unit, IssueCode.UNIT_MISMATCH, check.header("unit"), pl.col("unit"), unit_names, known=True)
        else:  # the unit came from a wide column's header: name that column
            check.value_issues(wrong_unit, IssueCode.UNIT_MISMATCH, pl.col("unit"), unit_names, known=True)
    if seen["stray_percent"]:
        check.value_issues(stray_percent & ~wrong_unit, IssueCode.UNIT_MISMATCH, pl.lit("%"), unit_names, known=True)
    if seen["stray_duration"]:
        check.value_issues(stray_duration & ~wrong_unit, IssueCode.UNIT_MISMATCH, pl.col("value"), unit_names,
                           known=True)
