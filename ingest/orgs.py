"""The organisation registry file: read, check every row, then register or update all at once.

The file is read like a submission (any encoding and delimiter Excel produces) and checked with
the same kind of report; one bad row rejects the whole file so the registry never holds half
of an edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from framework.model import Framework, fold
from framework.vocabulary import KINDS, THEMES
from i18n import LANGUAGES, catalogue
from ingest.issues import Issue, IssueCode, cell_issues, empty_issues, issues_frame
from ingest.read import read_table
from ingest.rules.codes import join_distinct, matching_key

KIND_ALIASES: dict[str, tuple[str, ...]] = {
    "association": ("association", "assoc", "جمعية"),
    "foundation": ("fondation", "foundation", "مؤسسة"),
    "cooperative": ("coopérative", "cooperative", "coop", "تعاونية"),
    "company": ("entreprise", "company", "société", "rse", "csr", "شركة", "مقاولة"),
    "public_body": ("organisme public", "public body", "établissement public", "public", "هيئة عمومية", "مؤسسة عمومية"),
    "other": ("autre", "other", "country", "pays", "أخرى"),
}
#: Thematic areas (peer groups on Compare): each accepted as its code or its name in fr, ar or en
#: (``dashboard.themes.<code>`` in the catalogues), several separated by ``|``.
SIZE_BANDS: tuple[str, ...] = ("small", "medium", "large")
SIZE_ALIASES: dict[str, tuple[str, ...]] = {
    "small": ("petite", "petit", "small", "صغيرة"),
    "medium": ("moyenne", "moyen", "medium", "متوسطة"),
    "large": ("grande", "grand", "large", "كبيرة"),
}
ORG_HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("code", "org_code", "code organisation", "رمز", "رمز المنظمة"),
    "name_fr": ("name_fr", "nom", "nom_fr", "nom français", "name"),
    "name_ar": ("name_ar", "nom_ar", "nom arabe", "الاسم", "الاسم بالعربية"),
    "name_en": ("name_en", "nom_en", "nom anglais", "english name"),
    "kind": ("kind", "type", "nature", "forme juridique", "النوع", "الصفة"),
    "region": ("region", "région", "الجهة"),
    "size_band": ("size_band", "taille", "size", "الحجم"),
    "thematic_areas": ("thematic_areas", "thématiques", "domaines", "themes", "المجالات"),
}
_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$"


@dataclass(frozen=True)
class OrgFile:
    rows: pl.DataFrame  # store.registry.ORG_COLUMNS
    issues: pl.DataFrame

    @property
    def has_errors(self) -> bool:
        return bool((self.issues["severity"] == "error").any())


def _alias_table(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Folded alias (and code) → code."""
    pairs = {fold(code): code for code in table}
    pairs.update({fold(a): code for code, aliases in table.items() for a in aliases})
    return pairs


def _theme_aliases() -> dict[str, tuple[str, ...]]:
    return {code: tuple(catalogue(lang)[f"dashboard.themes.{code}"] for lang in LANGUAGES) for code in THEMES}


def _themes(table: pl.DataFrame, column: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``thematic_areas`` as a list of theme codes, and an ``unknown_theme`` issue for each area
    that names none (``=1+1``, ``@SUM(1,1)``, a typo): the registry holds codes only."""
    areas = (
        table.select("__line", area=pl.col("thematic_areas").str.split("|"))
        .explode("area")
        .with_columns(pl.col("area").str.strip_chars())
        .filter(pl.col("area").is_not_null() & (pl.col("area") != ""))
        .with_row_index("__order")
    )
    codes = _alias_table(_theme_aliases())
    areas = join_distinct(areas, "area", lambda text: {"__code": codes.get(matching_key(text))}, {"__code": pl.String()})
    bad = areas.filter(pl.col("__code").is_null())
    issues = cell_issues(bad, IssueCode.UNKNOWN_THEME, column, pl.col("area"), ", ".join(THEMES))
    lists = areas.sort("__order").group_by("__line").agg(pl.col("__code").drop_nulls().unique(maintain_order=True))
    table = table.drop("thematic_areas").join(lists.rename({"__code": "thematic_areas"}), on="__line", how="left")
    return table, issues


def read_org_file(data: bytes, file_name: str, framework: Framework) -> OrgFile:
    raw = read_table(data, file_name)
    issues = [raw.issues]
    lookup = {fold(a): canon for canon, aliases in ORG_HEADERS.items() for a in (canon, *aliases)}
    positions: dict[str, int] = {}
    for position, header in enumerate(raw.headers):
        canonical = lookup.get(fold(header or ""))
        if canonical and canonical not in positions:
            positions[canonical] = position
    missing = [Issue(IssueCode.MISSING_COLUMN, column=c, expected=", ".join(ORG_HEADERS[c][:3])) for c in ("code", "name_fr", "kind") if c not in positions]
    if missing or raw.frame.is_empty():
        return OrgFile(pl.DataFrame(), pl.concat([*issues, issues_frame(missing)]) if missing else issues[0])
    shifted = raw.issues.filter(pl.col("code") == IssueCode.WRONG_CELL_COUNT.value)["line"].implode()

    def cell(name: str) -> pl.Expr:
        if name not in positions:
            return pl.lit(None, pl.String).alias(name)
        text = pl.col(f"c{positions[name]}").str.strip_chars()
        return pl.when(text != "").then(text).alias(name)

    table = raw.frame.filter(~pl.col("__line").is_in(shifted)).select(
        pl.col("__line"), *(cell(name) for name in ORG_HEADERS)
    )
    header = {name: raw.headers[p].strip() for name, p in positions.items()}
    return _checked(table, header, framework, raw.issues)


def check_organisation(fields: Mapping[str, str | None], framework: Framework) -> OrgFile:
    """One organisation typed on the registry page or given on the command line, checked by the
    very rules of the registry file (same codes, same messages): a row without a line number,
    each column named as in the file (``code``, ``region``, ``thematic_areas``…)."""

    def text(name: str) -> str | None:
        value = (fields.get(name) or "").strip()
        return value or None

    table = pl.DataFrame(
        {"__line": [1], **{name: [text(name)] for name in ORG_HEADERS}},
        schema={"__line": pl.Int64, **{name: pl.String for name in ORG_HEADERS}},
    )
    checked = _checked(table, {name: name for name in ORG_HEADERS}, framework, empty_issues())
    return OrgFile(checked.rows, checked.issues.with_columns(line=pl.lit(None, pl.Int64)))  # no file, no line


def _checked(table: pl.DataFrame, header: dict[str, str], framework: Framework, read_issues: pl.DataFrame) -> OrgFile:
    """Every rule on the rows of ``table`` (``__line`` and the raw text of each column); ``header``
    names each column as the person wrote it (the messages quote it)."""
    issues = [read_issues]
    found: list[pl.DataFrame] = []
    for name in ("code", "name_fr", "kind"):
        found.append(cell_issues(table.filter(pl.col(name).is_null()), IssueCode.EMPTY_REQUIRED, header[name]))
    bad_code = table.filter(pl.col("code").is_not_null() & ~pl.col("code").str.contains(_CODE_PATTERN))
    found.append(cell_issues(bad_code, IssueCode.INVALID_VALUE, header["code"], pl.col("code"), "A-Z, 0-9, - _ ."))
    table = table.with_columns(code=pl.col("code").str.to_uppercase()).with_columns(
        first_line=pl.col("__line").min().over("code")
    )
    dupes = table.filter(pl.col("code").is_not_null() & (pl.col("__line") != pl.col("first_line")))
    found.append(cell_issues(dupes, IssueCode.DUPLICATE_ORG, header["code"], pl.col("code"), pl.col("first_line").cast(pl.String)))

    regions = framework.breakdown_alias_table("region")
    for name, table_of_codes, allowed in (
        ("kind", _alias_table(KIND_ALIASES), KINDS),
        ("size_band", _alias_table(SIZE_ALIASES), SIZE_BANDS),
        ("region", regions, tuple(dict.fromkeys(regions.values()))),
    ):
        table = join_distinct(table, name, lambda text, t=table_of_codes: {"__code": t.get(matching_key(text))},
                               {"__code": pl.String()})
        bad = table.filter(pl.col(name).is_not_null() & pl.col("__code").is_null())
        found.append(cell_issues(bad, IssueCode.INVALID_VALUE, header.get(name, name), pl.col(name), ", ".join(allowed)))
        table = table.with_columns(pl.col("__code").alias(name)).drop("__code")
    table, bad_themes = _themes(table, header.get("thematic_areas", "thematic_areas"))
    found.append(bad_themes)
    rows = table.select("code", "name_fr", "name_ar", "name_en", "kind", "region", "thematic_areas", "size_band")
    found = [f for f in found if f.height]
    report = pl.concat([*issues, *found]).sort("line", nulls_last=False) if found else issues[0]
    return OrgFile(rows, report if report.height else empty_issues())
