"""Rows to bytes: headers, numbers, periods and units as a member's software writes them (CSV, XLSX)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import xlsxwriter

from framework.model import Framework, UnitKind

from .styles import Style
from .values import Row

FIXED_XLSX_DATE = dt.datetime(2024, 7, 4, 9, 0, 0)  # a workbook's creation date, so its bytes never change

HEADER_NAMES: dict[str, dict[str, str]] = {
    "fr": {
        "org_code": "Organisation",
        "indicator_code": "Indicateur",
        "period": "Période",
        "value": "Valeur",
        "unit": "Unité",
        "notes": "Remarques",
        "source": "Source",
        "sex": "Sexe",
        "area": "Milieu",
    },
    "ar": {
        "org_code": "رمز المنظمة",
        "indicator_code": "رمز المؤشر",
        "period": "الفترة",
        "value": "القيمة",
        "unit": "الوحدة",
        "notes": "ملاحظات",
        "source": "المصدر",
        "sex": "الجنس",
        "area": "الوسط",
    },
    "en": {
        "org_code": "Organization",
        "indicator_code": "Indicator",
        "period": "Period",
        "value": "Value",
        "unit": "Unit",
        "notes": "Comments",
        "source": "Source",
        "sex": "Sex",
        "area": "Area",
    },
}
BREAKDOWN_LABELS: dict[str, dict[str, str]] = {
    "fr": {"F": "Femmes", "M": "Hommes", "urban": "urbain", "rural": "rural"},
    "ar": {"F": "إناث", "M": "ذكور", "urban": "حضري", "rural": "قروي"},
}
SHORT_UNITS = {"persons": "pers.", "MAD": "DH", "count": "nb", "hours": "h", "percent": "%"}
ARABIC_DIGITS = str.maketrans("0123456789.", "٠١٢٣٤٥٦٧٨٩٫")


def format_number(value: float | str, kind: UnitKind, style: Style) -> str:
    """The value as this member's Excel writes it: decimal comma, grouped thousands, Arabic digits."""
    if isinstance(value, str):
        return value
    if kind in (UnitKind.INTEGER, UnitKind.BOOLEAN):
        whole, frac = str(int(value)), ""
    else:
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        whole, _, frac = text.partition(".")
    if style.thousands and len(whole) > 3:
        groups = [whole[max(0, i - 3) : i] for i in range(len(whole), 0, -3)][::-1]
        whole = style.thousands.join(groups)
    text = whole + (("," if style.decimal_comma else ".") + frac if frac else "")
    return text.translate(ARABIC_DIGITS) if style.arabic_digits else text


def format_period(period: str, style: Style) -> str:
    if style.period_style == "fr" and "-Q" in period:
        year, quarter = period.split("-Q")
        period = f"T{quarter} {year}"
    return period.translate(ARABIC_DIGITS) if style.arabic_digits else period


def unit_text(framework: Framework, row: Row, style: Style) -> str:
    unit = framework.unit_by_code[row.unit or framework.indicator_by_code[row.indicator].unit]
    if style.short_units and unit.code in SHORT_UNITS:
        return SHORT_UNITS[unit.code]
    if style.encoding == "cp1256" and unit.code == "percent":
        return "%"  # "٪" has no place in Windows-1256
    return unit.name.get(style.unit_lang or "fr")


def columns_for(rows: list[Row], style: Style) -> list[str]:
    cols = ["org_code"] if style.with_org else []
    cols += (
        ["indicator_code"] + (["indicator_name"] if style.with_indicator_name else []) + ["period", "value"]
    )
    cols += ["unit"] if style.unit_lang else []
    cols += [c for c in ("sex", "area") if any(getattr(r, c) for r in rows)]
    cols += ["notes"] + (["source"] if style.with_source else [])
    return cols


def table(
    framework: Framework, rows: list[Row], style: Style
) -> tuple[list[str], list[list[str | float | int]]]:
    """Header and cells; XLSX cells keep numbers as numbers, text files get formatted strings."""
    cols = columns_for(rows, style)
    header = [HEADER_NAMES[style.headers].get(c, c) if style.headers != "canonical" else c for c in cols]
    body = []
    for row in rows:
        ind = framework.indicator_by_code.get(row.indicator)
        kind = framework.unit_by_code[row.unit or (ind.unit if ind else "persons")].kind
        labels = BREAKDOWN_LABELS.get(style.labels, {})
        cells: dict[str, str | float | int] = {
            "org_code": row.org,
            "indicator_code": row.indicator,
            "indicator_name": ind.name.get("fr") if ind else "",
            "period": format_period(row.period, style),
            "value": row.value if style.ext == "xlsx" else format_number(row.value, kind, style),
            "unit": unit_text(framework, row, style) if style.unit_lang else "",
            "sex": labels.get(row.sex, row.sex) if row.sex else "",
            "area": labels.get(row.area, row.area) if row.area else "",
            "notes": row.note,
            "source": row.source,
        }
        body.append([cells[c] for c in cols])
    return header, body


def render(framework: Framework, rows: list[Row], style: Style) -> bytes:
    """The file's bytes, exactly as the member's software would save them."""
    header, body = table(framework, rows, style)
    if style.ext == "xlsx":
        return _render_xlsx(header, body)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=style.delimiter, lineterminator="\r\n" if style.crlf else "\n")
    writer.writerow(header)
    writer.writerows(body)
    text = buffer.getvalue()
    if style.encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")
    return text.encode(style.encoding, errors="strict")


def _render_xlsx(header: list[str], body: list[list]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties({"created": FIXED_XLSX_DATE, "author": "Athar demo"})
    sheet = workbook.add_worksheet("Données")
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, header, bold)
    for r, cells in enumerate(body, start=1):
        for c, cell in enumerate(cells):
            if isinstance(cell, str):
                sheet.write_string(r, c, cell)
            else:
                sheet.write_number(r, c, cell)
    sheet.set_column(0, len(header) - 1, 16)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
