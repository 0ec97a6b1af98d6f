"""Narratives in an upload: a workbook's ``Récit`` sheet, ``narrative`` rows of a flat file, or the
form's text areas, read and checked into rows ``store.narratives`` keeps with the submission.

- **Sheet**: a sheet named ``Récit`` / ``Narrative`` / ``السرد`` (:data:`SHEET_NAMES`, any case or
  accent) with the columns principle, language, text and evidence (optionally organisation and
  period; by default the file's organisation and the year of its values).
- **Flat file**: a row whose indicator cell is a narrative word (``récit``, ``narrative``, ``سرد``)
  or empty, with a ``principle`` cell: its ``text`` and ``language`` columns hold the narrative and
  its ``source`` the evidence link. Those rows and the narrative-only columns are taken out of the
  table before the values are validated, so a file without narratives reads as it always did.

Every problem is an issue of ``ingest.issues`` (``narrative_*`` codes) with its line and column,
so the file, the form and the preview report them as any other; the checks are Polars expressions
over all narratives at once.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace

import polars as pl

from framework.model import Framework
from framework.periods import parse_label
from framework.vocabulary import fold
from ingest.assemble import RawTable
from ingest.columns import match_header
from ingest.issues import IssueCode, cell_issues, empty_issues
from ingest.narrative_sheet import SHEET_KEYS
from store.narratives import LANGUAGES, MAX_LENGTH, URL_PATTERN

#: The words that mark a narrative row of a flat file (the sheet names, ``ingest.narrative_sheet``, and a few more).
ROW_KINDS = SHEET_KEYS | {fold(w) for w in ("narratif", "narration", "récit narratif")}
#: The narrative-only columns, in fr / en / ar (organisation, period and evidence also read the
#: value columns' names, ``ingest.columns``).
ALIASES: dict[str, tuple[str, ...]] = {
    "principle": ("principe", "principle", "code principe", "principle code", "المبدأ", "رمز المبدأ"),
    "lang": ("langue", "language", "lang", "langue du texte", "اللغة", "لغة النص"),
    "text": ("texte", "text", "récit", "narrative", "narratif", "texte du récit", "narrative text",
             "النص", "السرد", "نص السرد"),
    "evidence_url": ("lien", "lien de preuve", "url", "link", "evidence url", "evidence link", "رابط",
                     "رابط الدليل", "الدليل"),
}
_LOOKUP = {fold(alias): field for field, names in ALIASES.items() for alias in (field, *names)}
#: What people write for a language.
_LANGUAGE_WORDS = {
    "fr": ("fr", "français", "francais", "french", "الفرنسية", "فرنسية", "fra"),
    "ar": ("ar", "arabe", "arabic", "العربية", "عربية", "ara"),
    "en": ("en", "anglais", "english", "الإنجليزية", "الانجليزية", "إنجليزية", "eng"),
}
_LANGUAGE = {fold(word): code for code, words in _LANGUAGE_WORDS.items() for word in words}
FIELDS = ("org_code", "period", "principle", "lang", "text", "evidence_url")
FOUND_SCHEMA = {"line": pl.Int64(), "sheet": pl.String(), **{f: pl.String() for f in FIELDS}}
CLEAN_COLUMNS = ("line", "sheet", "org_code", "period", "principle", "lang", "text", "evidence_url")


def field_of(header: str | None, *, sheet: bool) -> str | None:
    """The narrative field a header names (``sheet``: the Récit sheet, where evidence may also be
    called ``source`` / ``preuve``, and the organisation and period columns are optional)."""
    if header is None:
        return None
    if (own := _LOOKUP.get(fold(header))) is not None:
        return own
    common = match_header(header, plural=False)
    if common == "source":
        return "evidence_url" if sheet else None
    return common if sheet and common in ("org_code", "period") else None


def empty_found() -> pl.DataFrame:
    """A new empty frame of narratives found (cleared from one made once, as ``ingest.issues.empty_issues``)."""
    return _NONE_FOUND.clear()


def empty_clean() -> pl.DataFrame:
    """A new empty frame of checked narratives (``CLEAN_COLUMNS`` of :data:`FOUND_SCHEMA`), likewise."""
    return _NONE_CLEAN.clear()


_NONE_FOUND = pl.DataFrame(schema=FOUND_SCHEMA)
_NONE_CLEAN = _NONE_FOUND.select(CLEAN_COLUMNS)


# -- reading -----------------------------------------------------------------------------------
def sheet_rows(data: bytes) -> tuple[pl.DataFrame, dict[str, str]]:
    """The narrative sheet of a workbook (line = Excel row) and the header written for each field."""
    from openpyxl import load_workbook  # only workbooks reach here

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = next((ws for ws in workbook.worksheets if fold(ws.title) in SHEET_KEYS
                      and getattr(ws, "sheet_state", "visible") == "visible"), None)
        if sheet is None:
            return empty_found(), {}
        rows = [(n, ["" if c is None else str(c).strip() for c in row])
                for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
        title = sheet.title
    finally:
        workbook.close()
    header_at = next((i for i, (_, cells) in enumerate(rows)
                      if {"principle", "text"} <= {field_of(c, sheet=True) for c in cells}), None)
    if header_at is None:
        return empty_found(), {}
    positions: dict[str, int] = {}
    for index, cell in enumerate(rows[header_at][1]):
        if (field := field_of(cell, sheet=True)) is not None:
            positions.setdefault(field, index)
    texts = [positions.get(f) for f in ("text", "evidence_url")]
    # A pre-listed principle left without text or link (the template's rows) holds nothing: skipped.
    body = [(n, cells) for n, cells in rows[header_at + 1:]
            if any(at is not None and at < len(cells) and cells[at] for at in texts)]
    columns = {"line": [n for n, _ in body], "sheet": [title] * len(body)}
    for field in FIELDS:
        at = positions.get(field)
        columns[field] = [(cells[at] or None) if at is not None and at < len(cells) else None for _, cells in body]
    headers = {field: f"{title} › {rows[header_at][1][at]}" for field, at in positions.items()}
    return pl.DataFrame(columns, schema=FOUND_SCHEMA), headers


def split_rows(raw: RawTable) -> tuple[RawTable, pl.DataFrame, dict[str, str]]:
    """A flat file's narrative rows taken out of ``raw`` (and its narrative-only columns), as found
    rows with the header written for each field. A file without them comes back unchanged."""
    if raw.frame.is_empty() or not raw.headers:
        return raw, empty_found(), {}
    fields = {i: f for i, h in enumerate(raw.headers) if (f := field_of(h, sheet=False)) is not None}
    common = {match_header(h): i for i, h in reversed(list(enumerate(raw.headers)))}
    indicator = common.get("indicator_code")
    # The narrative words among the indicator cells, decided once per distinct text.
    kinds = [] if indicator is None else [
        v for v in raw.frame.get_column(f"c{indicator}").unique().drop_nulls().to_list() if fold(v) in ROW_KINDS]
    if "principle" not in fields.values() and not kinds:
        return raw, empty_found(), {}  # no narrative here: the file reads as it always did
    at = {f: i for i, f in reversed(list(fields.items()))}
    cell = {f: pl.col(f"c{i}").str.strip_chars().replace("", None) for f, i in at.items()}
    kind = pl.col(f"c{indicator}") if indicator is not None else pl.lit(None, pl.String)
    empty_kind = kind.str.strip_chars().replace("", None).is_null()
    is_narrative = kind.is_in(kinds) | (empty_kind & cell.get("principle", pl.lit(None, pl.String)).is_not_null())
    frame = raw.frame.with_columns(__narrative=is_narrative.fill_null(False))
    picked = frame.filter(pl.col("__narrative"))
    value_of = {"org_code": common.get("org_code"), "period": common.get("period"), "evidence_url": common.get("source")}
    found = picked.select(
        pl.col("__line").cast(pl.Int64).alias("line"),
        pl.lit(None, pl.String).alias("sheet"),
        *((cell[f] if f in cell else pl.col(f"c{value_of[f]}").str.strip_chars().replace("", None)
           if value_of.get(f) is not None else pl.lit(None, pl.String)).alias(f) for f in FIELDS),
    ).cast(FOUND_SCHEMA)
    kept = [i for i in range(len(raw.headers)) if i not in fields]
    rest = frame.filter(~pl.col("__narrative")).select(
        *(pl.col(f"c{i}").alias(f"c{n}") for n, i in enumerate(kept)), "__line")
    headers = {f: raw.headers[i] for f, i in at.items()}
    headers |= {f: raw.headers[i] for f, i in value_of.items() if i is not None and f not in headers}
    return replace(raw, frame=rest, headers=[raw.headers[i] for i in kept]), found, headers


# -- checking ----------------------------------------------------------------------------------
def _principles(framework: Framework) -> dict[str, str]:
    names = {fold(p.code): p.code for p in framework.principles}
    for p in framework.principles:
        names |= {fold(name): p.code for name in p.name.model_dump().values() if name}
    return names


_ARABIC = r"[\u0600-\u06FF]"
_FRENCH = r"(?i)[éèêàçùôî]|\b(le|la|les|des|du|et|est|une|pour|avec|nous|dans)\b"
_ENGLISH = r"(?i)\b(the|and|of|is|with|for|we|our|were|this)\b"


def _per_value(values: pl.Series, name: Callable[[str], str | None]) -> pl.Expr:
    """``name`` of each row's value of ``values``' column, called once per distinct value in this thread and
    joined by Polars (never Python inside Polars: ``map_elements`` deadlocks the server, see
    ``dashboard/lookup.py``); a null stays null."""
    table = {value: name(value) for value in values.drop_nulls().unique().to_list()}
    return pl.col(values.name).replace_strict(table, default=None, return_dtype=pl.String)


def _principle(principles: dict[str, str]) -> Callable[[str], str | None]:
    """A principle's code from its code or name as written (or the cell's first word: ``P2 Gouvernance``)."""
    def code(cell: str) -> str | None:
        words = cell.split()
        return principles.get(fold(cell)) or (principles.get(fold(words[0])) if words else None)

    return code


def _language(found: pl.DataFrame) -> pl.Expr:
    """The language written (``fr``/``ar``/``en``), told from the text when the cell is empty."""
    given = _per_value(found["lang"], lambda s: _LANGUAGE.get(fold(s), "?"))
    guessed = (pl.when(pl.col("text").str.contains(_ARABIC)).then(pl.lit("ar"))
               .when(pl.col("text").str.contains(_FRENCH)).then(pl.lit("fr"))
               .when(pl.col("text").str.contains(_ENGLISH)).then(pl.lit("en")))
    return pl.when(pl.col("lang").is_not_null()).then(given).otherwise(guessed)


def check(
    found: pl.DataFrame,
    headers: dict[str, str],
    framework: Framework,
    *,
    file_orgs: list[str],
    file_periods: list[str],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The found narratives checked: the rows to store (:data:`CLEAN_COLUMNS`) and every problem.

    ``file_orgs``: the organisations of the submission (a narrative belongs to one of them; with one,
    it is the default); ``file_periods``: its values' periods (their year is the default period
    when they share one)."""
    if found.is_empty():
        return found.select(CLEAN_COLUMNS), empty_issues()
    orgs = {o.upper(): o for o in file_orgs}
    years = sorted({p[:4] for p in file_periods})
    principles = _principles(framework)
    table = found.rename({"line": "__line"}).with_columns(
        pl.col("text").str.strip_chars().replace("", None),
        pl.col("evidence_url").str.strip_chars().replace("", None),
    ).with_columns(
        org=pl.col("org_code").str.to_uppercase().replace_strict(orgs, default=None)
        if found["org_code"].null_count() < found.height else pl.lit(None, pl.String),
        default_org=pl.lit(file_orgs[0] if len(file_orgs) == 1 else None, pl.String),
        code=_per_value(found["principle"], _principle(principles)),
        language=_language(found),
        label=_per_value(found["period"], parse_label),
    ).with_columns(
        org_code=pl.when(pl.col("org_code").is_null()).then("default_org").otherwise("org"),
        period=pl.when(pl.col("period").is_null()).then(pl.lit(years[0] if len(years) == 1 else None))
        .otherwise("label"),
    )
    col = headers.get
    problems = [
        (pl.col("org_code").is_null(), IssueCode.NARRATIVE_OTHER_ORG, "org_code", pl.col("org"),
         ", ".join(file_orgs)),
        (pl.col("period").is_null(), IssueCode.NARRATIVE_BAD_PERIOD, "period", pl.col("label"), ", ".join(years)),
        (pl.col("code").is_null(), IssueCode.NARRATIVE_UNKNOWN_PRINCIPLE, "principle", pl.col("principle"),
         ", ".join(p.code for p in framework.principles)),
        (pl.col("text").is_null(), IssueCode.NARRATIVE_EMPTY_TEXT, "text", None, None),
        (pl.col("text").str.len_chars() > MAX_LENGTH, IssueCode.NARRATIVE_TOO_LONG, "text",
         pl.col("text").str.len_chars(), str(MAX_LENGTH)),
        (pl.col("language") == "?", IssueCode.NARRATIVE_BAD_LANGUAGE, "lang", pl.col("lang"), ", ".join(LANGUAGES)),
        (pl.col("language").is_null() & pl.col("text").is_not_null(), IssueCode.NARRATIVE_NO_LANGUAGE, "lang",
         None, ", ".join(LANGUAGES)),
        (pl.col("evidence_url").is_not_null() & ~pl.col("evidence_url").str.contains(URL_PATTERN),
         IssueCode.NARRATIVE_BAD_URL, "evidence_url", pl.col("evidence_url"), None),
    ]
    # A row whose organisation cell names another organisation keeps what it wrote as the value.
    table = table.with_columns(org=pl.coalesce("org", found["org_code"]), label=pl.coalesce("label", found["period"]))
    issues = [cell_issues(table.filter(bad.fill_null(False)), code, col(field, field), value, expected)
              for bad, code, field, value, expected in problems]
    key = ["org_code", "period", "code", "language"]
    keyed = table.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in key) & (pl.col("language") != "?"))
    repeated = keyed.with_columns(first=pl.col("__line").first().over(key)).filter(pl.col("__line") != pl.col("first"))
    issues.append(cell_issues(repeated, IssueCode.NARRATIVE_DUPLICATE, col("principle", "principle"),
                              pl.col("principle"), pl.col("first").cast(pl.String)))
    clean = table.select(
        pl.col("__line").alias("line"), "sheet", "org_code", "period", pl.col("code").alias("principle"),
        pl.col("language").alias("lang"), "text", "evidence_url")
    return clean, pl.concat([i for i in issues if i.height] or [empty_issues()])


def form_found(entries: pl.DataFrame, org_code: str, period: str) -> tuple[pl.DataFrame, dict[str, str]]:
    """What a member typed on the form (principle, lang, text, evidence_url; blank = nothing) as
    found rows of ``org_code`` and ``period``; a principle left blank is left out."""
    typed = entries.with_columns(pl.col(c).cast(pl.String).str.strip_chars().replace("", None)
                                 for c in ("text", "evidence_url", "lang"))
    typed = typed.filter(pl.col("text").is_not_null() | pl.col("evidence_url").is_not_null())
    found = typed.select(
        pl.lit(None, pl.Int64).alias("line"), pl.lit(None, pl.String).alias("sheet"),
        pl.lit(org_code).alias("org_code"), pl.lit(period).alias("period"), "principle", "lang", "text",
        "evidence_url",
    ).cast(FOUND_SCHEMA)
    return found, {}



#: The template's narrative sheet: its columns, in order (``narr.template.<name>`` headers).
TEMPLATE_COLUMNS = ("principle", "principle_name", "language", "text", "evidence")


def write_template_sheet(workbook, framework: Framework, lang: str, text_writer, header: dict, rtl: bool) -> None:
    """The template's narrative sheet (named in the template's language), the framework's principles
    pre-listed: a member writes a text beside each (rows left empty are skipped at upload)."""
    from i18n import t

    sheet = workbook.add_worksheet(t("narr.template.sheet", lang))
    text_writer.write_row(sheet, 0, 0, [t(f"narr.template.{c}", lang) for c in TEMPLATE_COLUMNS], header)
    for row, principle in enumerate(framework.principles, start=1):
        text_writer.write_row(sheet, row, 0, [principle.code, principle.name.get(lang)])
    for column, width in enumerate((10, 40, 10, 80, 40)):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(1, 0)
    sheet.data_validation(1, 2, len(framework.principles), 2, {"validate": "list", "source": list(LANGUAGES)})
    if rtl:
        sheet.right_to_left()
