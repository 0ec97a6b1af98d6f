"""The explicit header alias table: what people write at the top of a column, in fr/ar/en.

Matching folds case, accents, spaces, underscores and hyphens (``metrics.framework.fold``), so
`` Org_Code``, ``org code`` and ``ORG-CODE`` are one name. The table is documented in the README
and a test keeps the two in step.
"""

from __future__ import annotations

import re

from metrics.vocabulary import BREAKDOWN_COLUMNS, fold

REQUIRED_COLUMNS: tuple[str, ...] = ("org_code", "indicator_code", "period", "value")
OPTIONAL_COLUMNS: tuple[str, ...] = ("unit", "notes", "source", *BREAKDOWN_COLUMNS)
#: Read for people, ignored by the importer (the template's indicator names).
INFORMATIONAL_COLUMNS: tuple[str, ...] = ("indicator_name",)
CANONICAL_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS + INFORMATIONAL_COLUMNS

#: canonical name → what people write (the canonical name itself always matches too).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "org_code": (
        "organisation", "organization", "org", "code organisation", "code de l'organisation",
        "code org", "organisme", "structure", "association", "code association",
        "المنظمة", "رمز المنظمة", "الجمعية", "رمز الجمعية", "الهيئة",
    ),
    "indicator_code": (
        "indicateur", "code indicateur", "code de l'indicateur", "indicator", "indicator code",
        "indicator id", "kpi", "المؤشر", "رمز المؤشر",
    ),
    "period": (
        "période", "periode", "period", "trimestre", "année", "annee", "mois", "date",
        "reporting period", "semestre", "exercice", "year", "quarter", "semester", "month",
        "الفترة", "المدة", "السنة", "الفصل", "العام", "الربع", "الأسدس", "الشهر",
    ),
    "value": (
        "valeur", "value", "montant", "résultat", "resultat", "réalisé", "realise", "result",
        "amount", "القيمة", "النتيجة", "المنجز",
    ),
    "unit": ("unité", "unite", "unit", "units", "unité de mesure", "الوحدة", "وحدة القياس"),
    "notes": (
        "remarques", "remarque", "commentaire", "commentaires", "observations", "observation",
        "note", "notes", "comment", "comments", "ملاحظات", "ملاحظة", "تعليق",
    ),
    "source": (
        "source", "sources", "justificatif", "preuve", "document source", "evidence",
        "المصدر", "المصادر", "الوثيقة",
    ),
    "sex": ("sexe", "genre", "sex", "gender", "الجنس", "النوع"),
    "age_band": (
        "tranche d'âge", "tranche d'age", "âge", "age", "classe d'âge", "age band", "age group",
        "الفئة العمرية", "السن", "العمر",
    ),
    "disability": ("handicap", "situation de handicap", "psh", "disability", "الإعاقة", "إعاقة"),
    "area": (
        "milieu", "zone", "urbain/rural", "area", "urban/rural", "milieu de résidence", "zone de résidence",
        "lieu de résidence", "type de milieu", "الوسط", "المجال", "وسط الإقامة",
    ),
    "region": ("région", "region", "الجهة", "الإقليم"),
    "indicator_name": (
        "nom de l'indicateur", "libellé", "libelle", "intitulé", "indicator name", "label", "اسم المؤشر",
    ),
}

_LOOKUP: dict[str, str] = {}
for _canonical, _aliases in COLUMN_ALIASES.items():
    for _alias in (_canonical, *_aliases):
        _key = fold(_alias)
        if _LOOKUP.get(_key, _canonical) != _canonical:
            raise RuntimeError(f"header alias {_alias!r} is claimed twice")
        _LOOKUP[_key] = _canonical


#: A trailing precision in brackets: "Valeur (réalisé)", "Période (T1, T2…)", "Montant [MAD]".
_PRECISION = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")


def without_precision(folded: str) -> str:
    """A folded header without its trailing precision in brackets."""
    return _PRECISION.sub("", folded)


def match_header(text: str | None) -> str | None:
    """The canonical column a header cell names, or None. A name followed by a precision in
    brackets (often on a second line of the cell) names the same column."""
    if text is None:
        return None
    folded = fold(text)
    found = _LOOKUP.get(folded)
    if found is None and (bare := _PRECISION.sub("", folded)) != folded:
        found = _LOOKUP.get(bare)
    return found


def accepted_names(canonical: str) -> str:
    """A short human list of accepted header names for one column (for hints), each once."""
    names: dict[str, str] = {}
    for name in (canonical, *COLUMN_ALIASES[canonical]):
        names.setdefault(fold(name), name)
    return ", ".join(list(names.values())[:5])
