"""The explicit header alias table: what people write at the top of a column, in fr/ar/en.

Matching folds case, accents, spaces, underscores and hyphens (``framework.model.fold``), so
`` Org_Code``, ``org code`` and ``ORG-CODE`` are one name. The table is documented in the README
and a test keeps the two in step.
"""

from __future__ import annotations

import re
from functools import lru_cache

from framework.vocabulary import BREAKDOWN_COLUMNS, fold

REQUIRED_COLUMNS: tuple[str, ...] = ("org_code", "indicator_code", "period", "value")
#: Declared overlap: how many of a line's people another member counts too (network reach).
OVERLAP_COLUMNS: tuple[str, ...] = ("shared_with", "shared_count", "programme")
#: An organisation's target and baseline for the row's indicator (``ingest.rules.targets``).
TARGET_COLUMNS: tuple[str, ...] = ("target", "baseline")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "unit", "notes", "source", *BREAKDOWN_COLUMNS, *OVERLAP_COLUMNS, *TARGET_COLUMNS
)
#: Read for people, ignored by the importer (the template's indicator names).
INFORMATIONAL_COLUMNS: tuple[str, ...] = ("indicator_name", "row_number")

#: canonical name → what people write (the canonical name itself always matches too).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "org_code": (
        "organisation", "organization", "org", "code organisation", "code de l'organisation",
        "code org", "organisme", "structure", "association", "code association",
        "organisation code", "organization code", "org code", "code de l'association", "code structure",
        "المنظمة", "رمز المنظمة", "الجمعية", "رمز الجمعية", "الهيئة", "رقم الجمعية", "رقم المنظمة",
    ),
    "indicator_code": (
        "indicateur", "code indicateur", "code de l'indicateur", "indicator", "indicator code",
        "indicator id", "kpi", "المؤشر", "رمز المؤشر", "رقم المؤشر",
    ),
    "period": (
        "période", "periode", "period", "trimestre", "année", "annee", "mois", "date",
        "reporting period", "semestre", "exercice", "year", "quarter", "semester", "month",
        "الفترة", "المدة", "السنة", "الفصل", "العام", "الربع", "الأسدس", "الشهر",
    ),
    "value": (
        "valeur", "value", "montant", "résultat", "resultat", "réalisé", "realise", "result",
        "amount", "réalisation", "realisation", "valeur atteinte", "valeur réalisée", "valeur realisee",
        "valeur corrigée", "valeur corrigee", "valeur définitive", "valeur definitive", "valeur finale",
        "valeur déclarée", "valeur declaree", "actual", "achieved", "actual value", "القيمة", "النتيجة", "المنجز", "القيمة المحققة", "المحقق",
    ),
    "unit": (
        "unité", "unite", "unit", "units", "unité de mesure", "unit of measure", "unit of measurement",
        "الوحدة", "وحدة القياس",
    ),
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
    "shared_with": (
        "partagé avec", "bénéficiaires partagés avec", "en commun avec", "shared with", "overlap with",
        "مشترك مع", "مستفيدون مشتركون مع",
    ),
    "shared_count": (
        "nombre partagé", "bénéficiaires partagés", "nombre en commun", "shared count", "shared beneficiaries",
        "عدد المشتركين", "المستفيدون المشتركون",
    ),
    "indicator_name": (
        "nom de l'indicateur", "libellé", "libelle", "intitulé", "indicator name", "label", "اسم المؤشر",
    ),
    "row_number": ("n°", "no", "no.", "num", "numéro", "numero", "#", "row", "رقم", "الرقم", "ر.ت"),
}

# A programme umbrella (issue 12): the line's count belongs to a programme several members run.
COLUMN_ALIASES["programme"] = (
    "programme commun", "code programme", "code du programme", "program", "program code", "programme code",
    "umbrella", "برنامج", "البرنامج", "رمز البرنامج",
)

# Targets and baselines (issue 12): what members write above them.
COLUMN_ALIASES.update({
    "target": (
        "cible", "valeur cible", "objectif", "objectif chiffré", "objectif chiffre", "target value", "goal",
        "الهدف", "القيمة المستهدفة", "الهدف المرقم",
    ),
    "baseline": (
        "ligne de base", "situation de référence", "situation de reference", "valeur de référence",
        "valeur de reference", "valeur initiale", "référence", "reference", "baseline value",
        "القيمة المرجعية", "خط الأساس", "الوضعية المرجعية", "القيمة الأولية",
    ),
})

_LOOKUP: dict[str, str] = {}
for _canonical, _aliases in COLUMN_ALIASES.items():
    for _alias in (_canonical, *_aliases):
        _key = fold(_alias)
        if _LOOKUP.get(_key, _canonical) != _canonical:
            raise RuntimeError(f"header alias {_alias!r} is claimed twice")
        _LOOKUP[_key] = _canonical


#: A trailing precision in brackets: "Valeur (réalisé)", "Période (T1, T2…)", "Montant [MAD]".
_PRECISION = re.compile(r"\s*[(\[]([^()\[\]]*)[)\]]\s*$")
#: What forms add to a label: a required mark, a colon ("Valeur* :").
_MARKS = re.compile(r"[\s*:：]+$")
#: Precisions saying a column holds a plan, not what was achieved ("Valeur (cible)").
_PLANNED = re.compile(
    r"\b(cible|cibles|prevu|prevue|prevus|prevision|previsions|previsionnel|objectif|objectifs|attendu|attendue"
    r"|attendus|budgete|budgetee|target|targets|planned|expected|forecast|budgeted)\b"
    r"|(^|\s)(" + "|".join(fold(w) for w in ("المستهدف", "المستهدفة", "المتوقع", "المتوقعة", "الهدف", "المبرمج",
                                            "المبرمجة", "التوقعات")) + r")(\s|$)"
)
#: ...unless it also says the column is what was achieved, or the target is a population ("public cible").
_ACHIEVED = re.compile(
    r"\b(realise|realisee|realises|realisation|atteint|atteinte|atteints|reel|reelle|effectif|effective|actual"
    r"|achieved|public|population|populations|beneficiaires|groupe|groupes|touches|touchees)\b"
    r"|(^|\s)(" + "|".join(fold(w) for w in ("المحقق", "المحققة", "الفعلي", "الفعلية", "المنجز", "الفئة", "الفئات"))
    + r")(\s|$)"
)
#: Precisions giving a scale (the whole precision for k and 000: "1000 premiers jours", "k = kits" are none).
_SCALED = re.compile(
    r"\b(millier|milliers|million|millions|milliard|milliards|thousand|thousands|kdh|kmad|mdh|mmad|kdhs|mdhs)\b"
    r"|^(en\s)?k(\s(dh|dhs|mad|dirhams?))?$|^(en\s|in\s)?(x\s?)?(1\s?)?000(\s(dh|dhs|mad|dirhams?))?$"
    r"|(^|\s)(ب|بال)?(الف|الاف|مليون|ملايين|مليار)(\s|$)"
)


def without_precision(folded: str) -> str:
    """A folded header without its trailing precision in brackets."""
    return _PRECISION.sub("", folded)


def header_precision(text: str | None) -> str | None:
    """The folded precision in brackets at the end of a header (``Montant (en milliers de DH)`` →
    ``en milliers de dh``), or None."""
    found = _PRECISION.search(_MARKS.sub("", fold(text or "")))
    return found.group(1).strip() if found else None


def is_planned(precision: str | None) -> bool:
    """The precision says the column holds a target or a forecast, not a result."""
    return bool(precision and _PLANNED.search(precision) and not _ACHIEVED.search(precision))


def is_scaled(precision: str | None) -> bool:
    """The precision says the cells are in thousands or millions."""
    return bool(precision and _SCALED.search(precision))


#: Columns a plural header may name (``Valeurs``, ``Périodes``, ``Unités``): a plural of a free-text
#: or breakdown name (``Résultats``, ``Zones``, ``Âges``) is more often another column.
_PLURAL_OK = frozenset({*REQUIRED_COLUMNS, "unit"})


@lru_cache(maxsize=4096)  # a pure function of the text: a command's files repeat the same few headers
def match_header(text: str | None, *, plural: bool = True) -> str | None:
    """The canonical column a header cell names, or None. A name followed by a precision in
    brackets (often on a second line of the cell) names the same column; so do a name marked
    required (``Valeur*``) or followed by a colon, and (``plural``) a required column's name in the
    plural (``Valeurs``, ``Périodes``)."""
    if text is None:
        return None
    folded = _MARKS.sub("", fold(text))
    bare = _PRECISION.sub("", folded)
    names = tuple(dict.fromkeys((folded, bare, _MARKS.sub("", bare))))
    for name in names:
        if (found := _LOOKUP.get(name)) is not None:
            return found
    for name in names if plural else ():
        if name.endswith(("s", "x")) and len(name) > 3 and _LOOKUP.get(name[:-1]) in _PLURAL_OK:
            return _LOOKUP[name[:-1]]
    return None


def column_letter(position: int) -> str:
    """The column's letter as Excel shows it (0 → A, 26 → AA)."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def accepted_names(canonical: str) -> str:
    """A short human list of accepted header names for one column (for hints), each once."""
    names: dict[str, str] = {}
    for name in (canonical, *COLUMN_ALIASES[canonical]):
        names.setdefault(fold(name), name)
    return ", ".join(list(names.values())[:5])
