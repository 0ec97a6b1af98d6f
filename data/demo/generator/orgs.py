"""The 40 fictional organisations: the hand-written table and the names built from it."""

from __future__ import annotations

from dataclasses import dataclass

#: city code → (French, Arabic, English, region)
CITIES: dict[str, tuple[str, str, str, str]] = {
    "TNG": ("Tanger", "طنجة", "Tangier", "MA-01"),
    "TET": ("Tétouan", "تطوان", "Tetouan", "MA-01"),
    "CHF": ("Chefchaouen", "شفشاون", "Chefchaouen", "MA-01"),
    "OUJ": ("Oujda", "وجدة", "Oujda", "MA-02"),
    "NAD": ("Nador", "الناظور", "Nador", "MA-02"),
    "FES": ("Fès", "فاس", "Fez", "MA-03"),
    "MEK": ("Meknès", "مكناس", "Meknes", "MA-03"),
    "IFR": ("Ifrane", "إفران", "Ifrane", "MA-03"),
    "TAZ": ("Taza", "تازة", "Taza", "MA-03"),
    "RBT": ("Rabat", "الرباط", "Rabat", "MA-04"),
    "SAL": ("Salé", "سلا", "Sale", "MA-04"),
    "KEN": ("Kénitra", "القنيطرة", "Kenitra", "MA-04"),
    "BML": ("Béni Mellal", "بني ملال", "Beni Mellal", "MA-05"),
    "AZL": ("Azilal", "أزيلال", "Azilal", "MA-05"),
    "KHN": ("Khénifra", "خنيفرة", "Khenifra", "MA-05"),
    "CAS": ("Casablanca", "الدار البيضاء", "Casablanca", "MA-06"),
    "SET": ("Settat", "سطات", "Settat", "MA-06"),
    "JDI": ("El Jadida", "الجديدة", "El Jadida", "MA-06"),
    "MAR": ("Marrakech", "مراكش", "Marrakesh", "MA-07"),
    "SAF": ("Safi", "آسفي", "Safi", "MA-07"),
    "ESS": ("Essaouira", "الصويرة", "Essaouira", "MA-07"),
    "TIN": ("Tinghir", "تنغير", "Tinghir", "MA-08"),
    "ZAG": ("Zagora", "زاكورة", "Zagora", "MA-08"),
    "ERR": ("Errachidia", "الرشيدية", "Errachidia", "MA-08"),
    "OUZ": ("Ouarzazate", "ورزازات", "Ouarzazate", "MA-08"),
    "AGD": ("Agadir", "أكادير", "Agadir", "MA-09"),
    "TRD": ("Taroudant", "تارودانت", "Taroudant", "MA-09"),
    "TIZ": ("Tiznit", "تيزنيت", "Tiznit", "MA-09"),
    "GLM": ("Guelmim", "كلميم", "Guelmim", "MA-10"),
    "TNT": ("Tan-Tan", "طانطان", "Tan-Tan", "MA-10"),
    "LAA": ("Laâyoune", "العيون", "Laayoune", "MA-11"),
    "BJD": ("Boujdour", "بوجدور", "Boujdour", "MA-11"),
    "DAK": ("Dakhla", "الداخلة", "Dakhla", "MA-12"),
}
KIND_PREFIX = {
    "association": "ASS",
    "foundation": "FON",
    "cooperative": "COO",
    "company": "ENT",
    "public_body": "PUB",
}
#: main theme → the purpose in an organisation's name (fr, ar, en)
PURPOSES: dict[str, tuple[str, str, str]] = {
    "education": (
        "pour l'éducation et le soutien scolaire",
        "للتربية والدعم المدرسي",
        "for Education and School Support",
    ),
    "rural": ("pour le développement rural", "للتنمية القروية", "for Rural Development"),
    "employment": ("pour l'insertion professionnelle", "للإدماج المهني", "for Employment and Inclusion"),
    "youth": ("pour la jeunesse", "للشباب", "for Youth"),
    "women": ("pour l'autonomisation des femmes", "لتمكين النساء", "for Women's Empowerment"),
    "health": ("pour la santé de proximité", "للصحة عن قرب", "for Community Health"),
    "disability": (
        "pour les personnes en situation de handicap",
        "لفائدة الأشخاص في وضعية إعاقة",
        "for People with Disabilities",
    ),
}


@dataclass(frozen=True)
class OrgSpec:
    """The hand-written part of an organisation; everything else is drawn from the seed."""

    kind: str
    city: str
    word: str
    word_ar: str
    themes: tuple[str, ...]
    size: str
    habit: str  # how it saves files, see HABITS
    lang: str  # language of its notes and units
    trend: str = "stable"  # improving | declining | stable


def _o(
    prefix: str,
    city: str,
    word: str,
    word_ar: str,
    themes: str,
    size: str,
    habit: str,
    lang: str,
    trend: str = "stable",
) -> OrgSpec:
    """A compact table row: kind by its code prefix, trend as up/down/stable."""
    kind = next(k for k, v in KIND_PREFIX.items() if v == prefix)
    trend = {"up": "improving", "down": "declining"}.get(trend, trend)
    return OrgSpec(kind, city, word, word_ar, tuple(themes.split("|")), size, habit, lang, trend)


# fmt: off
ORG_SPECS: tuple[OrgSpec, ...] = (
    _o("ASS", "CAS", "Anaruz", "أناروز", "education|youth", "large", "utf8", "fr"),
    _o("ASS", "TIN", "Tifawin", "تيفاوين", "rural|women", "small", "ar_excel", "ar"),
    _o("FON", "RBT", "Tawada", "تاوادا", "employment|youth|education", "large", "xlsx", "fr", "up"),
    _o("COO", "TRD", "Tagmatt", "تاكمات", "women|rural|employment", "small", "arabic_digits", "ar"),
    _o("ASS", "OUJ", "Asmoun", "أسمون", "disability|health", "medium", "ar_excel", "ar"),
    _o("ENT", "CAS", "Sahel Logistique", "ساحل لوجستيك", "employment|education", "large", "utf8_bom", "fr"),
    _o("PUB", "FES", "", "", "disability|health|education", "large", "utf8", "fr"),
    _o("ASS", "MAR", "Tilelli", "تيليلي", "women|employment", "medium", "fr_excel", "fr", "up"),
    _o("ASS", "ZAG", "Izourane", "إزوران", "rural|education", "small", "ar_excel", "ar"),
    _o("ASS", "LAA", "Noujoum", "نجوم", "youth|employment", "medium", "ar_excel", "ar", "down"),
    _o("ASS", "DAK", "Amwaj", "أمواج", "rural|employment", "small", "utf8", "ar"),
    _o("ASS", "GLM", "Ighil", "إغيل", "rural|health", "small", "utf16", "ar", "down"),
    _o("FON", "TNG", "Rawafid", "روافد", "education|disability", "large", "fr_excel", "fr"),
    _o("COO", "ESS", "Sanabil", "سنابل", "women|rural", "small", "fr_excel", "fr"),
    _o("ASS", "BML", "Amnir", "أمنير", "health|rural", "medium", "utf8", "fr"),
    _o("ASS", "KEN", "Ajyal", "أجيال", "youth|education", "medium", "utf8", "fr", "up"),
    _o("ENT", "TNG", "Nakhil Textiles", "نخيل للنسيج", "employment|women", "medium", "xlsx", "fr"),
    _o("ASS", "SAL", "Yasmine", "ياسمين", "disability|education", "medium", "fr_excel", "fr"),
    _o("ASS", "ERR", "Tiwizi", "تويزي", "rural|education", "small", "ar_excel", "ar"),
    _o("PUB", "AZL", "", "", "rural|health", "medium", "utf8", "fr", "down"),
    _o("ASS", "NAD", "Afaq", "آفاق", "youth|employment", "medium", "utf16", "fr"),
    _o("COO", "OUZ", "Imdoukal", "إمدوكال", "rural|women|employment", "small", "utf8", "ar", "up"),
    _o("ASS", "TIZ", "Tafat", "تافات", "education|rural", "small", "fr_excel", "fr"),
    _o("FON", "MAR", "Ouaha", "الواحة", "health|disability", "large", "utf8", "fr"),
    _o("ASS", "MEK", "Sanad", "سند", "disability|employment", "medium", "utf8", "fr"),
    _o("ASS", "SAF", "Rihana", "ريحانة", "women|health", "small", "utf8", "fr"),
    _o("ENT", "AGD", "Argania Agro", "أركانيا أكرو", "rural|employment", "medium", "utf8_bom", "fr", "up"),
    _o("ASS", "TET", "Manara", "منارة", "education|youth", "medium", "fr_excel", "fr"),
    _o("COO", "BJD", "Tiglit", "تيكليت", "women|employment", "small", "ar_excel", "ar", "down"),
    _o("ASS", "JDI", "Sabil", "سبيل", "health|education", "small", "fr_excel", "fr"),
    _o("ASS", "IFR", "Tidrarine", "تيدرارين", "rural|health", "small", "utf16", "ar"),
    _o("FON", "CAS", "Masarat", "مسارات", "employment|youth|women", "large", "utf8", "fr", "up"),
    _o("ASS", "SET", "Ouafae", "وفاء", "disability", "small", "utf8", "fr", "down"),
    _o("PUB", "TNT", "", "", "employment|youth", "small", "xlsx", "fr"),
    _o("ASS", "KHN", "Azetta", "أزطا", "women|rural", "medium", "arabic_digits", "ar", "up"),
    _o("ASS", "TAZ", "Oumnia", "أمنية", "education|disability", "small", "fr_excel", "fr"),
    _o("ENT", "RBT", "Raqmiya", "رقمية", "youth|employment|education", "large", "utf8", "en"),
    _o("ASS", "AGD", "Assirem", "أسيرم", "health|disability", "medium", "utf8", "fr", "up"),
    _o("FON", "FES", "Tawassol", "تواصل", "education|rural|health", "large", "utf8_bom", "fr"),
    _o("ASS", "CHF", "Ifri", "إفري", "rural|women", "small", "utf8", "fr"),
)
# fmt: on


@dataclass(frozen=True)
class Org:
    code: str
    name_fr: str
    name_ar: str
    name_en: str
    kind: str
    region: str
    size_band: str
    thematic_areas: tuple[str, ...]
    spec: OrgSpec


def _elide(word: str) -> str:
    return f"d'{word}" if word[0] in "AEIOUÉ" else f"de {word}"


def org_names(spec: OrgSpec) -> tuple[str, str, str]:
    """French, Arabic and English names, built from the kind, a made-up word and the city."""
    city_fr, city_ar, city_en, _ = CITIES[spec.city]
    purpose_fr, purpose_ar, purpose_en = PURPOSES[spec.themes[0]]
    if spec.kind == "public_body":
        return (
            f"Centre provincial d'inclusion sociale {_elide(city_fr)}",
            f"المركز الإقليمي للإدماج الاجتماعي ب{city_ar}",
            f"{city_en} Provincial Social Inclusion Centre",
        )
    if spec.kind == "company":
        return (
            f"{spec.word} — programme solidaire",
            f"{spec.word_ar} — البرنامج التضامني",
            f"{spec.word} — solidarity programme",
        )
    if spec.kind == "cooperative":
        if "women" in spec.themes:
            return (
                f"Coopérative féminine {spec.word} ({city_fr})",
                f"تعاونية {spec.word_ar} النسوية ({city_ar})",
                f"{spec.word} Women's Cooperative ({city_en})",
            )
        return (
            f"Coopérative {spec.word} ({city_fr})",
            f"تعاونية {spec.word_ar} ({city_ar})",
            f"{spec.word} Cooperative ({city_en})",
        )
    kind_fr, kind_ar, kind_en = {
        "association": ("Association", "جمعية", "Association"),
        "foundation": ("Fondation", "مؤسسة", "Foundation"),
    }[spec.kind]
    return (
        f"{kind_fr} {spec.word} {purpose_fr} ({city_fr})",
        f"{kind_ar} {spec.word_ar} {purpose_ar} ({city_ar})",
        f"{spec.word} {kind_en} {purpose_en} ({city_en})",
    )


def build_orgs() -> list[Org]:
    orgs = []
    for number, spec in enumerate(ORG_SPECS, start=1):
        code = f"{KIND_PREFIX[spec.kind]}-{spec.city}-{number:03d}"
        fr, ar, en = org_names(spec)
        orgs.append(Org(code, fr, ar, en, spec.kind, CITIES[spec.city][3], spec.size, spec.themes, spec))
    return orgs
