"""Ready-to-fill submission templates (CSV and XLSX) in the member's language.

A member downloads the template for one period: every submittable indicator is listed with
the organisation, the period and the unit already filled in, so the only thing left to type
is the value. Headers keep their canonical names (``org_code``, ``value``...) so a template
filled in Arabic imports exactly like one filled in French; the localised labels and the
instructions live in header comments and on an instructions sheet instead.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from framework.model import (
    DEFAULT_FRAMEWORK_DIR,
    Counting,
    Framework,
    FrameworkError,
    UnitKind,
    load_framework,
)
from framework.periods import MONTHS_PER, due_period, parse_label
from i18n import LANGUAGES, RTL_LANGUAGES, t
from i18n.formatting import date_text
from ingest import safe_write
from ingest.narratives import write_template_sheet

TemplateFormat = Literal["csv", "xlsx"]

#: Column order of every template; ``indicator_name`` is informational (ignored on import).
TEMPLATE_COLUMNS: tuple[str, ...] = (
    "org_code",
    "indicator_code",
    "indicator_name",
    "period",
    "value",
    "unit",
    "notes",
    "source",
    "baseline",
    "target",
)
#: Optional columns of the organisation's baseline and target (``ingest.columns.TARGET_COLUMNS``):
#: their labels and help live under ``trends2.template`` in the catalogue.
TARGET_TEMPLATE_COLUMNS: tuple[str, ...] = ("baseline", "target")
#: Columns prefilled from the framework and protected against accidental edits in XLSX.
PREFILLED_COLUMNS: frozenset[str] = frozenset({"org_code", "indicator_code", "indicator_name", "period"})
COLUMN_WIDTHS: dict[str, int] = {
    "org_code": 15,
    "indicator_code": 15,
    "indicator_name": 52,
    "period": 11,
    "value": 15,
    "unit": 18,
    "notes": 40,
    "source": 30,
    "baseline": 15,
    "target": 15,
}
#: Blank, unlocked rows left under the listed indicators (extra periods, breakdown rows).
EXTRA_ROWS = 100
#: French and Arabic Excel split CSV on ';' (the list separator of their locales).
CSV_DELIMITERS: dict[str, str] = {"fr": ";", "ar": ";", "en": ","}
#: MIME type of each file Athar hands back (template, annotated copy).
MIME: dict[str, str] = {
    "csv": "text/csv",
    "txt": "text/plain",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ORG_CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
_INPUT_MESSAGE_LIMIT = 255  # Excel's limit for a data-validation input message


@dataclass(frozen=True)
class TemplateRow:
    """One prefilled line: what the member sees before typing the value."""

    org_code: str
    indicator_code: str
    indicator_name: str
    period: str
    unit: str

    def cells(self) -> list[str]:
        return [self.org_code, self.indicator_code, self.indicator_name, self.period, "", self.unit, "", "", "", ""]


def column_text(kind: Literal["label", "help"], name: str, lang: str) -> str:
    """A template column's label or help (``template.label_value``; ``trends2.template.label_target``)."""
    part = "trends2.template" if name in TARGET_TEMPLATE_COLUMNS else "template"
    return t(f"{part}.{kind}_{name}", lang)


def template_rows(
    framework: Framework, org_code: str, period: str, lang: str, indicators: Collection[str] | None = None
) -> list[TemplateRow]:
    """One row per submittable indicator (derived ones are computed by Athar, never submitted);
    ``indicators``: only these (what the organisation is expected to report), in framework order."""
    return [
        TemplateRow(
            org_code=org_code,
            indicator_code=ind.code,
            indicator_name=ind.name.get(lang),
            period=period,
            unit=framework.unit_of(ind.code).name.get(lang),
        )
        for ind in framework.indicators
        if not ind.derived and (indicators is None or ind.code in indicators)
    ]


def write_template(
    framework: Framework, org_code: str, period: str, lang: str, fmt: TemplateFormat, path: Path,
    indicators: Collection[str] | None = None,
) -> Path:
    """Write the template for ``org_code`` and ``period`` in ``lang`` as CSV or XLSX; return ``path``
    (``indicators``: only these rows, see :func:`template_rows`)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
    path = Path(path)
    rows = template_rows(framework, org_code, period, lang, indicators)
    if fmt == "csv":
        _write_csv(rows, lang, path)
    elif fmt == "xlsx":
        _write_xlsx(framework, rows, org_code, period, lang, path)
    else:
        raise ValueError(f"unknown template format {fmt!r}; expected 'csv' or 'xlsx'")
    return path


def template_bytes(
    framework: Framework, org_code: str, period: str, lang: str, fmt: TemplateFormat,
    indicators: Collection[str] | None = None,
) -> bytes:
    """The ready-to-fill template as bytes (what the upload page and the member's home offer)."""
    with tempfile.TemporaryDirectory(prefix="athar-template-") as tmp:
        path = Path(tmp) / f"template.{fmt}"
        return write_template(framework, org_code, period, lang, fmt, path, indicators).read_bytes()


# -- CSV -------------------------------------------------------------------------------------
def _write_csv(rows: list[TemplateRow], lang: str, path: Path) -> None:
    """UTF-8 with BOM and CRLF, the way Excel on Windows reads CSV without mangling Arabic; every
    cell written by ``ingest.safe_write`` (quoted, neutralised)."""
    cells = [list(TEMPLATE_COLUMNS), *(row.cells() for row in rows)]
    path.write_bytes(safe_write.csv_bytes(cells, CSV_DELIMITERS[lang]))


# -- XLSX ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Formats:
    """Cell formats as properties: text goes through ``safe_write.XlsxText``, which makes each one
    in a plain and a quote-prefixed version (``text.plain(props)`` for blanks and columns)."""

    text: safe_write.XlsxText
    header: dict
    prefilled: dict
    free: dict
    title: dict
    bold: dict
    wrap: dict


def _formats(workbook: xlsxwriter.Workbook, rtl: bool) -> _Formats:
    align = {"reading_order": 2} if rtl else {}
    return _Formats(
        text=safe_write.XlsxText(workbook),
        header={
            "bold": True,
            "bg_color": "#1F4E79",
            "font_color": "#FFFFFF",
            "border": 1,
            "locked": True,
            **align,
        },
        prefilled={"bg_color": "#E7E6E6", "locked": True, **align},
        free={"locked": False, **align},
        title={"bold": True, "font_size": 14, **align},
        bold={"bold": True, **align},
        wrap={"text_wrap": True, "valign": "top", **align},
    )


def _write_xlsx(
    framework: Framework, rows: list[TemplateRow], org_code: str, period: str, lang: str, path: Path
) -> None:
    """Data sheet first (the one the importer picks), then instructions, then hidden lists."""
    rtl = lang in RTL_LANGUAGES
    workbook = safe_write.xlsx_workbook(str(path))
    try:
        fmt = _formats(workbook, rtl)
        data = workbook.add_worksheet(t("template.data_sheet", lang))
        instructions = workbook.add_worksheet(t("template.instructions_sheet", lang))
        write_template_sheet(workbook, framework, lang, fmt.text, fmt.header, rtl)  # the Récit sheet
        lists_name = t("template.lists_sheet", lang)
        lists = workbook.add_worksheet(lists_name)
        list_refs = _fill_lists(lists, lists_name, rows, fmt)
        _fill_data(workbook, data, framework, rows, lang, fmt, list_refs)
        _fill_instructions(instructions, framework, org_code, period, lang, fmt)
        lists.hide()
        if rtl:
            data.right_to_left()
            instructions.right_to_left()
        data.activate()
    finally:
        workbook.close()


def _fill_lists(sheet: Worksheet, sheet_name: str, rows: list[TemplateRow], fmt: _Formats) -> dict[str, str]:
    """Indicator codes (with names) and unit names for the dropdowns; returns their ranges."""
    fmt.text.write_row(sheet, 0, 0, ["indicator_code", "indicator_name", "unit"], fmt.bold)
    units = list(dict.fromkeys(row.unit for row in rows))
    for i, row in enumerate(rows, start=1):
        fmt.text.write_row(sheet, i, 0, [row.indicator_code, row.indicator_name])
    for i, unit in enumerate(units, start=1):
        fmt.text.write(sheet, i, 2, unit)
    quoted = "'" + sheet_name.replace("'", "''") + "'"
    return {
        "indicator_code": f"={quoted}!$A$2:$A${len(rows) + 1}",
        "unit": f"={quoted}!$C$2:$C${len(units) + 1}",
    }


def _fill_data(
    workbook: xlsxwriter.Workbook,
    sheet: Worksheet,
    framework: Framework,
    rows: list[TemplateRow],
    lang: str,
    fmt: _Formats,
    list_refs: dict[str, str],
) -> None:
    """Header with explanatory comments, prefilled rows, number formats and validations."""
    col = {name: i for i, name in enumerate(TEMPLATE_COLUMNS)}
    last_row = len(rows) + EXTRA_ROWS
    for name, index in col.items():
        sheet.set_column(index, index, COLUMN_WIDTHS[name], fmt.text.plain(fmt.free))
        fmt.text.write(sheet, 0, index, name, fmt.header)
        comment = f"{column_text('label', name, lang)}\n{column_text('help', name, lang)}"
        sheet.write_comment(0, index, comment, {"x_scale": 2.2, "y_scale": 1.6})
    value_formats: dict[str, object] = {}
    for r, row in enumerate(rows, start=1):
        for name, text in zip(TEMPLATE_COLUMNS, row.cells(), strict=True):
            if name in PREFILLED_COLUMNS:
                fmt.text.write(sheet, r, col[name], text, fmt.prefilled)
            elif text:
                fmt.text.write(sheet, r, col[name], text, fmt.free)
        indicator = framework.indicator_by_code[row.indicator_code]
        unit = framework.unit_by_code[indicator.unit]
        num_format = _number_format(unit.kind)
        if num_format not in value_formats:
            value_formats[num_format] = workbook.add_format({"num_format": num_format, "locked": False})
        rule = _value_validation(framework, row, lang)
        for name in ("value", *TARGET_TEMPLATE_COLUMNS):  # a baseline and a target read like the value
            sheet.write_blank(r, col[name], None, value_formats[num_format])
            sheet.data_validation(r, col[name], r, col[name], rule)
    sheet.data_validation(
        1,
        col["indicator_code"],
        last_row,
        col["indicator_code"],
        {
            "validate": "list",
            "source": list_refs["indicator_code"],
            "error_title": t("template.indicator_error_title", lang)[:32],
            "error_message": t("template.indicator_error", lang)[:_INPUT_MESSAGE_LIMIT],
        },
    )
    sheet.data_validation(
        1,
        col["unit"],
        last_row,
        col["unit"],
        {
            "validate": "list",
            "source": list_refs["unit"],
            "error_type": "warning",
            "error_title": t("template.unit_error_title", lang)[:32],
            "error_message": t("template.unit_error", lang)[:_INPUT_MESSAGE_LIMIT],
        },
    )
    if len(rows) < last_row:
        sheet.data_validation(
            len(rows) + 1,
            col["value"],
            last_row,
            col["value"],
            {
                "validate": "decimal",
                "criteria": ">=",
                "value": _lowest_minimum(framework),
                "input_title": t("template.value_title", lang)[:32],
                "input_message": t("template.help_value", lang)[:_INPUT_MESSAGE_LIMIT],
                "error_title": t("template.value_error_title", lang)[:32],
                "error_message": t("template.value_error", lang)[:_INPUT_MESSAGE_LIMIT],
            },
        )
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(rows), len(TEMPLATE_COLUMNS) - 1)
    sheet.protect(
        "",
        {
            "insert_rows": True,
            "delete_rows": True,
            "sort": True,
            "autofilter": True,
            "format_cells": True,
            "format_columns": True,
            "format_rows": True,
        },
    )


def _number_format(kind: UnitKind) -> str:
    """Whole numbers for counts and yes/no, one or two decimals for rates and amounts."""
    if kind in (UnitKind.INTEGER, UnitKind.BOOLEAN):
        return "0"
    if kind is UnitKind.PERCENT:
        return "0.0"
    return "#,##0.00"


def _lowest_minimum(framework: Framework) -> float:
    """The smallest value any unit allows (0 for the default framework)."""
    minimums = [u.min for u in framework.units if u.min is not None]
    return min(minimums) if len(minimums) == len(framework.units) else -1e15


def _value_validation(framework: Framework, row: TemplateRow, lang: str) -> dict:
    """A per-row check in Excel itself: whole number or decimal, within the indicator's range."""
    indicator = framework.indicator_by_code[row.indicator_code]
    unit = framework.unit_by_code[indicator.unit]
    low, high = framework.value_range(indicator)
    whole = unit.kind in (UnitKind.INTEGER, UnitKind.BOOLEAN)
    hint = _value_hint(unit.kind, row.unit, low, high, lang)
    if indicator.counting is not None:
        rule_name = t(f"counting.name_{indicator.counting.value}", lang)
        hint = f"{t('counting.rule_hint', lang, rule=rule_name)} {hint}"
    rule: dict = {
        "validate": "integer" if whole else "decimal",
        "input_title": t("template.value_title", lang)[:32],
        "input_message": hint[:_INPUT_MESSAGE_LIMIT],
        "error_title": t("template.value_error_title", lang)[:32],
        "error_message": f"{t('template.value_error', lang)}\n{hint}"[:_INPUT_MESSAGE_LIMIT],
    }
    if low is not None and high is not None:
        rule |= {"criteria": "between", "minimum": low, "maximum": high}
    elif low is not None:
        rule |= {"criteria": ">=", "value": low}
    elif high is not None:
        rule |= {"criteria": "<=", "value": high}
    else:
        rule |= {"criteria": "between", "minimum": -1e15, "maximum": 1e15}
    return rule


def _value_hint(kind: UnitKind, unit_name: str, low: float | None, high: float | None, lang: str) -> str:
    """What to type, in words: unit, range, and whole-number or yes/no rules."""
    if kind is UnitKind.BOOLEAN:
        return t("template.value_hint_boolean", lang)
    if low is not None and high is not None:
        hint = t("template.value_hint_between", lang, unit=unit_name, low=f"{low:g}", high=f"{high:g}")
    else:
        hint = t("template.value_hint_at_least", lang, unit=unit_name, low=f"{low or 0:g}")
    if kind is UnitKind.INTEGER:
        hint += " " + t("template.value_hint_whole", lang)
    return hint


def _fill_instructions(
    sheet: Worksheet, framework: Framework, org_code: str, period: str, lang: str, fmt: _Formats
) -> None:
    """Title, who and when, the instruction lines, then what each column means."""
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 30)
    sheet.set_column(2, 2, 90, fmt.text.plain(fmt.wrap))
    write = fmt.text.write
    write(sheet, 0, 0, t("template.title", lang), fmt.title)
    details = (
        (t("template.org", lang), org_code),
        (t("template.period", lang), period),
        (t("template.framework", lang), framework.meta.name.get(lang)),
    )
    for r, (label, value) in enumerate(details, start=2):
        write(sheet, r, 0, label, fmt.bold)
        write(sheet, r, 1, value)
    r = 6
    for n in range(1, 8):
        write(sheet, r, 0, f"{n}.", fmt.bold)
        sheet.merge_range(r, 1, r, 2, "", fmt.text.plain(fmt.wrap))
        write(sheet, r, 1, t(f"template.instr_{n}", lang), fmt.wrap)
        sheet.set_row(r, 32)
        r += 1
    r += 1
    write(sheet, r, 0, t("template.columns_heading", lang), fmt.bold)
    r += 1
    headings = [t("template.column", lang), t("template.label", lang), t("template.meaning", lang)]
    fmt.text.write_row(sheet, r, 0, headings, fmt.bold)
    for name in TEMPLATE_COLUMNS:
        r += 1
        fmt.text.write_row(sheet, r, 0, [name, column_text("label", name, lang)])
        write(sheet, r, 2, column_text("help", name, lang), fmt.wrap)
    r = _fill_targets(sheet, r + 2, lang, fmt)
    _fill_counting(sheet, framework, r + 1, lang, fmt)


#: The instruction lines on baselines and targets (``trends2.template.targets_<n>``).
TARGET_INSTRUCTIONS = 4


def _fill_targets(sheet: Worksheet, r: int, lang: str, fmt: _Formats) -> int:
    """What a baseline and a target are, which rows set them and which period wins; the next free row."""
    fmt.text.write(sheet, r, 0, t("trends2.template.targets_heading", lang), fmt.bold)
    for n in range(1, TARGET_INSTRUCTIONS + 1):
        r += 1
        fmt.text.write(sheet, r, 0, f"{n}.", fmt.bold)
        sheet.merge_range(r, 1, r, 2, "", fmt.text.plain(fmt.wrap))
        fmt.text.write(sheet, r, 1, t(f"trends2.template.targets_{n}", lang), fmt.wrap)
        sheet.set_row(r, 32)
    return r + 1


def _fill_counting(sheet: Worksheet, framework: Framework, r: int, lang: str, fmt: _Formats) -> None:
    """How to count, rule by rule, with the indicators each rule covers, then how to declare overlap."""
    write = fmt.text.write
    write(sheet, r, 0, t("counting.instructions_heading", lang), fmt.bold)
    r += 1
    headings = [t("counting.instructions_rule", lang), t("counting.instructions_indicators", lang), ""]
    fmt.text.write_row(sheet, r, 0, headings, fmt.bold)
    for rule in Counting:
        codes = [i.code for i in framework.indicators if i.counting is rule and not i.derived]
        if not codes:
            continue
        r += 1
        fmt.text.write_row(sheet, r, 0, [t(f"counting.name_{rule.value}", lang), ", ".join(codes)])
        write(sheet, r, 2, t(f"counting.how_{rule.value}", lang), fmt.wrap)
        sheet.set_row(r, 48)
    r += 2
    sheet.merge_range(r, 0, r, 2, "", fmt.text.plain(fmt.wrap))
    write(sheet, r, 0, t("counting.instructions_overlap", lang), fmt.wrap)
    sheet.set_row(r, 48)
    r += 1
    sheet.merge_range(r, 0, r, 2, "", fmt.text.plain(fmt.wrap))
    write(sheet, r, 0, t("overlap.instructions_programme", lang), fmt.wrap)
    sheet.set_row(r, 48)


# -- command line ----------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest template",
        description="Write a ready-to-fill submission template (CSV or XLSX) for an organisation and period.",
    )
    parser.add_argument("--org", required=True, help="organisation code, e.g. ASS-CAS-001")
    parser.add_argument(
        "--period",
        help="2024, 2024-S1, 2024-Q1 (or 2024-T1), 2024-03 (default: the period to report now, see --granularity)",
    )
    parser.add_argument(
        "--granularity",
        default="year",
        choices=tuple(MONTHS_PER),
        help="without --period: the latest year, semester, quarter or month that has ended (default: year)",
    )
    parser.add_argument("--lang", default="fr", choices=LANGUAGES, help="language of names and instructions")
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=("csv", "xlsx"),
        help="file format (default: from the output file's extension, else xlsx)",
    )
    parser.add_argument("-o", "--output", required=True, type=Path, help="file to write")
    parser.add_argument("--framework", type=Path, default=DEFAULT_FRAMEWORK_DIR, help="framework directory")
    return parser


def template_main(argv: list[str], *, today: date | None = None) -> int:
    """``python -m ingest template ...``: 0 when written, 2 for a usage or framework error.

    Without ``--period``, the template is for the period a member has to report on ``today``
    (default: the calendar's): the latest one of ``--granularity`` that has ended, never the running one."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage message
        return int(exc.code or 0)
    if args.period is None:
        today = today or date.today()
        args.period = due_period(today, args.granularity)
        print(t("template.default_period", args.lang, period=args.period, today=date_text(today, args.lang)))
    period = args.period.strip().upper()  # pre-filled as the member wrote it (2024-T1 stays T1)
    if parse_label(period) is None:
        parser.print_usage(sys.stderr)
        print(t("ingest.invalid_period.message", args.lang, value=args.period), file=sys.stderr)
        print(t("ingest.invalid_period.hint", args.lang), file=sys.stderr)
        return 2
    if not ORG_CODE_PATTERN.match(args.org.strip()):
        parser.print_usage(sys.stderr)
        print(t("template.invalid_org", args.lang, value=args.org), file=sys.stderr)
        return 2
    fmt = args.fmt or ("csv" if args.output.suffix.lower() == ".csv" else "xlsx")
    try:
        framework = load_framework(args.framework)
    except FrameworkError as exc:
        print(exc.report(args.lang), file=sys.stderr)
        return 2
    if not args.output.parent.is_dir():
        print(t("cli.file_not_found", args.lang, path=args.output.parent), file=sys.stderr)
        return 2
    write_template(framework, args.org.strip(), period, args.lang, fmt, args.output)
    print(t("cli.template_written", args.lang, path=args.output))
    return 0
