"""Generate the demo network: 40 fictional organisations and three years of their submissions.

Run ``python data/demo/generate.py`` to rewrite ``organizations.csv``, ``manifest.csv`` and
``submissions/``. Everything is derived from one seed, so the output is byte-for-byte the same
on every run. The files imitate what members really send (French and Arabic Excel exports,
Unicode text, workbooks, header aliases, breakdown rows), with trends, gaps, outliers,
corrections and two rejected uploads put in on purpose, so that every dashboard view, quality
check and the ingestion path have something real to show. Every name is invented.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make the project's packages importable

from framework.model import Framework, UnitKind, load_framework

SEED = 20240704  # the charter's presentation day
OUT_DIR = Path(__file__).resolve().parent
YEARS: tuple[int, ...] = (2023, 2024, 2025)
QUARTERS: tuple[int, ...] = (1, 2, 3, 4)
FIXED_XLSX_DATE = dt.datetime(2024, 7, 4, 9, 0, 0)

# -- organisations --------------------------------------------------------------------------
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


# -- which indicators each organisation reports ---------------------------------------------
THEME_INDICATORS: dict[str, tuple[str, ...]] = {
    "education": ("R06", "E01", "E02", "E03"),
    "employment": ("J01", "J02", "J03"),
    "health": ("H01",),
    "disability": ("R03",),
    "rural": ("R04", "R07"),
    "women": ("J04", "J05", "E05"),
    "youth": ("R06", "J03"),
}
CORE = ("R01", "R02", "S02", "S05")
OPTIONAL = ("R05", "P01", "P02", "P03", "P04", "P05", "C01", "C02", "C03", "C04", "S03", "S04")
OPTIONAL_COUNT = {"small": (2, 4), "medium": (4, 7), "large": (7, 11)}
#: indicator → the one it is weighted by or derived from, which must then be reported too
NEEDS = {
    "J02": "J01",
    "J03": "J01",
    "J05": "J04",
    "E02": "E01",
    "E03": "E01",
    "E04": "E01",
    "J06": "R03",
    "H02": "R03",
    "P05": "P04",
}


def indicator_set(org: Org, rng: random.Random, framework: Framework) -> list[str]:
    """A plausible subset of the catalogue for the organisation's thematic areas."""
    chosen = set(CORE)
    for theme in org.thematic_areas:
        chosen.update(THEME_INDICATORS[theme])
    if "disability" in org.thematic_areas:
        chosen.update(
            {"education": "E04", "employment": "J06", "health": "H02"}[t]
            for t in org.thematic_areas
            if t in ("education", "employment", "health")
        )
    if "rural" in org.thematic_areas and "employment" in org.thematic_areas:
        chosen.update(("J04", "J05"))
    low, high = OPTIONAL_COUNT[org.size_band]
    chosen.update(rng.sample(OPTIONAL, rng.randint(low, high)))
    if org.size_band != "small" or rng.random() < 0.5:
        chosen.add("S04")
    for code in list(chosen):
        if code in NEEDS:
            chosen.add(NEEDS[code])
    order = [ind.code for ind in framework.indicators if not ind.derived]
    return [code for code in order if code in chosen]


def is_annual(framework: Framework, code: str) -> bool:
    """Stocks (aggregation last) and the budget are reported once a year, the rest by quarter."""
    return code == "S02" or framework.indicator_by_code[code].aggregation.value == "last"


# -- values ---------------------------------------------------------------------------------
R01_RANGE = {"small": (40, 300), "medium": (400, 2500), "large": (5000, 20000)}
COST_PER_BENEFICIARY = {"small": (900, 3000), "medium": (1200, 4000), "large": (1500, 5000)}
FTE_RANGE = {"small": (0.5, 3.0), "medium": (4.0, 20.0), "large": (25.0, 150.0)}
VOLUNTEERS = {"small": (5, 30), "medium": (20, 120), "large": (80, 600)}
PARTNERS = {"small": (1, 5), "medium": (3, 10), "large": (6, 20)}
GROWTH = {"improving": (0.15, 0.3), "declining": (-0.25, -0.12), "stable": (-0.03, 0.03)}
SEASON = (0.24, 0.22, 0.18, 0.36)  # Ramadan and summer are quieter, the school year ends strong


@dataclass
class Profile:
    """An organisation's hidden truth: level, growth and the shares that tie indicators together."""

    r01: float
    growth: float
    share: dict[str, float]
    rate: dict[str, float]
    stock: dict[str, float]
    cost: float


def make_profile(org: Org, rng: random.Random) -> Profile:
    themes, size = org.thematic_areas, org.size_band
    u = rng.uniform
    women_led = "women" in themes
    share = {
        "R03": (
            u(0.6, 0.9)
            if themes[0] == "disability"
            else u(0.2, 0.45)
            if "disability" in themes
            else u(0.02, 0.1)
        ),
        "R05": u(0.3, 0.8),
        "R06": u(0.5, 0.9) if {"education", "youth"} & set(themes) else u(0.1, 0.4),
        "R07": u(0.18, 0.28),
        "E05": u(0.05, 0.25),
        "J01": u(0.3, 0.7) if "employment" in themes else u(0.1, 0.3),
        "J03": u(0.3, 0.7),
        "J04": u(0.05, 0.15),
        "J06": u(0.05, 0.15),
        "H01": u(0.6, 1.0) if "health" in themes else u(0.3, 0.6),
        "H02": u(0.3, 1.0),
        "F": u(0.7, 0.92) if women_led else u(0.36, 0.64),
        "rural": u(0.6, 0.95) if "rural" in themes else u(0.05, 0.4),
    }
    rate = {
        "E02": u(3, 15),
        "E03": u(70, 92),
        "J02": u(25, 65),
        "J05": u(50, 85),
        "P01": u(20, 80),
        "P02": u(70, 92),
        "C03": u(10, 60),
        "S03": rng.choice((25.0, 33.3, 50.0, 66.7, 75.0, 100.0)),
    }
    stock = {
        "E01": u(0.3, 0.7),
        "E04": u(0.05, 0.2) if "disability" in themes else u(0.01, 0.04),
        "P03": rng.randint(0, 8),
        "P04": rng.randint(*VOLUNTEERS[size]),
        "C01": rng.randint(*PARTNERS[size]),
        "S05": u(*FTE_RANGE[size]),
        "S04": 1.0 if size == "large" or rng.random() < 0.5 else 0.0,
        "hours": u(40, 120),
    }
    growth = u(*GROWTH[org.spec.trend])
    low, high = R01_RANGE[size]
    r01 = u(low, high / (1 + growth) ** 2) if growth > 0 else u(low / (1 + growth) ** 2, high)
    return Profile(
        r01=r01, growth=growth, share=share, rate=rate, stock=stock, cost=u(*COST_PER_BENEFICIARY[size])
    )


def split(total: int, weights: Iterable[float]) -> list[int]:
    """Whole numbers summing exactly to ``total`` (largest remainder)."""
    weights = list(weights)
    raw = [total * w / sum(weights) for w in weights]
    parts = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[: total - sum(parts)]:
        parts[i] += 1
    return parts


def clip_rate(value: float) -> float:
    return round(min(100.0, max(0.0, value)), 1)


@dataclass(frozen=True)
class Row:
    """One line of a submission, as the organisation meant it (before any file formatting)."""

    org: str
    indicator: str
    period: str
    value: float | int | str
    sex: str | None = None
    area: str | None = None
    note: str = ""
    source: str = ""
    unit: str | None = None  # the unit code, when the indicator is not in the framework

    @property
    def key(self) -> tuple[str, str, str, str | None, str | None]:
        return self.org, self.indicator, self.period, self.sex, self.area


SEX_BREAKDOWN_ORGS = {1, 8, 21, 26}  # give R01 as F and M rows
AREA_BREAKDOWN_ORGS = {15: "R01", 39: "R01", 24: "H01"}  # give that indicator as urban and rural rows


def year_rows(
    org: Org,
    number: int,
    year: int,
    indicators: list[str],
    profile: Profile,
    rng: random.Random,
    framework: Framework,
) -> list[Row]:
    """Every value the organisation has for one year: quarterly flows and rates, annual stocks."""
    t = year - YEARS[0]
    r01_year = max(12, round(profile.r01 * (1 + profile.growth) ** t * rng.gauss(1, 0.04)))
    season = [s * rng.uniform(0.8, 1.2) for s in SEASON]
    r01_q = split(r01_year, season)
    drift = {"improving": 3.0, "declining": -3.0, "stable": 0.0}[org.spec.trend] * t
    rows: list[Row] = []
    for q, r01 in zip(QUARTERS, r01_q, strict=True):
        period = f"{year}-Q{q}"
        female = round(r01 * min(0.97, max(0.03, rng.gauss(profile.share["F"], 0.03))))
        rural = round(r01 * min(0.98, max(0.02, rng.gauss(profile.share["rural"], 0.03))))
        j01 = round(r01 * profile.share["J01"] * rng.uniform(0.85, 1.15))
        r03 = round(r01 * profile.share["R03"] * rng.uniform(0.85, 1.15))
        j04 = (
            round(j01 * profile.share["J04"] * rng.uniform(0.7, 1.3))
            if "J01" in indicators
            else round(r01 * 0.04 * rng.uniform(0.5, 1.5))
        )
        values: dict[str, float | int] = {
            "R01": r01,
            "R02": clip_rate(100 * female / r01) if r01 else 0.0,
            "R03": min(r03, r01),
            "R04": clip_rate(100 * rural / r01) if r01 else 0.0,
            "R05": round(r01 * profile.share["R05"] * rng.uniform(0.9, 1.1)),
            "R06": min(r01, round(r01 * profile.share["R06"] * rng.uniform(0.9, 1.1))),
            "R07": round(r01 * profile.share["R07"] * rng.uniform(0.9, 1.1)),
            "E05": round(r01 * profile.share["E05"] * rng.uniform(0.7, 1.3)),
            "J01": j01,
            "J03": round(j01 * profile.share["J03"] * rng.uniform(0.85, 1.15)),
            "J04": j04,
            "J06": round(r03 * profile.share["J06"] * rng.uniform(0.5, 1.5)),
            "H01": min(r01, round(r01 * profile.share["H01"] * rng.uniform(0.9, 1.1))),
            "H02": round(r03 * profile.share["H02"] * rng.uniform(0.7, 1.3)),
            "P05": round(
                profile.stock["P04"] * profile.stock["hours"] * SEASON[q - 1] * rng.uniform(0.8, 1.2), 1
            ),
            "C02": rng.choices(
                (0, 1, 2, 3), weights=(5, 4, 2, 1) if org.size_band != "large" else (2, 4, 3, 2)
            )[0],
            "C04": rng.choices((0, 1, 2), weights=(6, 3, 1) if org.size_band != "large" else (3, 4, 2))[0],
        }
        for code, base in profile.rate.items():
            sign = -1 if code == "E02" else 1
            values[code] = clip_rate(base + sign * drift + rng.gauss(0, 2.5)) if code != "S03" else base
        for code in indicators:
            if is_annual(framework, code):
                continue
            rows.extend(_maybe_breakdown(org, number, code, period, values[code], r01, female, rural))
    rows.extend(_annual_rows(org, year, indicators, profile, r01_year, t, rng))
    return rows


def _maybe_breakdown(
    org: Org, number: int, code: str, period: str, value: float, total: int, female: int, rural: int
) -> list[Row]:
    """A total row, or only breakdown rows (F/M or urban/rural) for the organisations that give them."""
    if code == "R01" and number in SEX_BREAKDOWN_ORGS:
        return [
            Row(org.code, code, period, female, sex="F"),
            Row(org.code, code, period, int(value) - female, sex="M"),
        ]
    if AREA_BREAKDOWN_ORGS.get(number) == code:
        rural_n = rural if code == "R01" else round(int(value) * rural / max(1, total))
        return [
            Row(org.code, code, period, int(value) - rural_n, area="urban"),
            Row(org.code, code, period, rural_n, area="rural"),
        ]
    return [Row(org.code, code, period, value)]


def _annual_rows(
    org: Org, year: int, indicators: list[str], profile: Profile, r01_year: int, t: int, rng: random.Random
) -> list[Row]:
    stock, growth = profile.stock, profile.growth
    e01 = round(r01_year * stock["E01"] * rng.uniform(0.9, 1.1))
    s04 = stock["S04"] if org.spec.trend != "improving" or t == 0 else 1.0
    values: dict[str, float | int] = {
        "E01": e01,
        "E04": min(e01, round(e01 * stock["E04"] * rng.uniform(0.8, 1.2))),
        "P03": max(0, min(10, int(stock["P03"]) + (t if org.spec.trend == "improving" else 0))),
        "P04": max(1, round(stock["P04"] * (1 + growth / 2) ** t * rng.uniform(0.9, 1.1))),
        "C01": max(0, min(20, round(stock["C01"] * (1 + growth) ** t))),
        "S02": round(r01_year * profile.cost * rng.uniform(0.9, 1.1), 2),
        "S04": int(s04),
        "S05": round(max(0.5, stock["S05"] * (1 + growth / 2) ** t * rng.uniform(0.95, 1.05)) * 2) / 2,
    }
    return [Row(org.code, code, str(year), values[code]) for code in indicators if code in values]


# -- how organisations save their files -----------------------------------------------------
@dataclass(frozen=True)
class Style:
    """One way of saving a table: what a given member's Excel (or habit) produces."""

    habit: str
    ext: str = "csv"
    encoding: str = "utf-8"  # utf-8 | utf-8-sig | cp1256 | utf-16 | xlsx
    delimiter: str = ","
    crlf: bool = False
    decimal_comma: bool = False
    thousands: str = ""
    arabic_digits: bool = False
    headers: str = "canonical"  # canonical | fr | ar | en
    unit_lang: str | None = "fr"  # None: no unit column
    short_units: bool = False  # "pers.", "DH", "nb" instead of the full unit names
    labels: str = "code"  # breakdown values: code | fr | ar
    period_style: str = "iso"  # iso (2024-Q1) | fr (T1 2024)
    with_org: bool = True
    with_source: bool = False
    with_indicator_name: bool = False  # the Athar template's informational column


HABITS: dict[str, Style] = {
    "utf8": Style("utf8"),
    "utf8_bom": Style("utf8_bom", encoding="utf-8-sig", crlf=True),
    "fr_excel": Style("fr_excel", encoding="utf-8-sig", delimiter=";", crlf=True, decimal_comma=True),
    "ar_excel": Style(
        "ar_excel", encoding="cp1256", delimiter=";", crlf=True, decimal_comma=True, unit_lang="ar"
    ),
    "utf16": Style("utf16", ext="txt", encoding="utf-16", delimiter="\t", crlf=True, decimal_comma=True),
    "arabic_digits": Style("arabic_digits", arabic_digits=True, unit_lang="ar", headers="ar", labels="ar"),
    "xlsx": Style("xlsx", ext="xlsx", encoding="xlsx"),
    "template": Style(
        "template",
        encoding="utf-8-sig",
        delimiter=";",
        crlf=True,
        decimal_comma=True,
        with_source=True,
        with_indicator_name=True,
    ),
}
#: organisation number → changes to its habit (header aliases, thousands separators, units...)
STYLE_TWEAKS: dict[int, dict] = {
    2: {"headers": "ar", "labels": "ar"},
    5: {"with_source": True},
    7: {"with_source": True},
    8: {"headers": "fr", "labels": "fr", "thousands": "\u00a0"},
    9: {"with_org": False},
    10: {"headers": "ar"},
    11: {"unit_lang": None},
    12: {"unit_lang": "ar", "headers": "ar"},
    13: {"headers": "fr", "thousands": "\u00a0", "with_source": True},
    14: {"period_style": "fr", "short_units": True},
    15: {"labels": "fr", "headers": "fr"},
    17: {"headers": "fr"},
    18: {"headers": "fr", "thousands": "\u202f"},
    19: {"with_org": False, "headers": "ar"},
    21: {"headers": "fr"},
    22: {"unit_lang": None, "crlf": True},
    24: {"with_source": True},
    26: {"with_org": False},
    28: {"headers": "fr", "thousands": "\u202f"},
    29: {"headers": "ar"},
    30: {"period_style": "fr", "headers": "fr"},
    31: {"unit_lang": "ar", "with_org": False},
    32: {"with_source": True, "crlf": True},
    34: {"unit_lang": "fr"},
    35: {"encoding": "utf-8-sig"},
    37: {"headers": "en", "unit_lang": "en"},
    38: {"short_units": True},
    39: {"unit_lang": "en", "labels": "code"},
}
#: (organisation number, year) → a different habit that year (e.g. adopting the Athar template)
HABIT_CHANGES: dict[tuple[int, int], str] = {
    (23, 2025): "template",
    (36, 2025): "template",
    (11, 2025): "xlsx",
}

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


def style_for(number: int, year: int, org: Org) -> Style:
    habit = HABIT_CHANGES.get((number, year), org.spec.habit)
    style = HABITS[habit]
    tweaks = STYLE_TWEAKS.get(number, {}) if habit == org.spec.habit else {}
    lang_units = (
        {"unit_lang": org.spec.lang} if "unit_lang" not in tweaks and habit not in ("ar_excel",) else {}
    )
    return replace(style, **{**lang_units, **tweaks})


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


# -- notes ----------------------------------------------------------------------------------
NOTES: dict[str, dict[str, tuple[str, ...]]] = {
    "fr": {
        "R01": (
            "Bénéficiaires des ateliers du trimestre",
            "Liste de présence consolidée",
            "Hors bénéficiaires indirects",
            "Caravane médicale incluse; comptage par fiche",
        ),
        "R02": ("Femmes et filles, toutes activités", "Calculé sur la liste de présence"),
        "E02": ("Abandons constatés en fin de trimestre", "Dont 2 départs pour déménagement"),
        "P05": ("Heures déclarées par les bénévoles", "Campagne « hiver solidaire » incluse"),
        "S02": ("Budget exécuté, avant audit", "Y compris valorisation du bénévolat : non"),
        "J02": ("Suivi téléphonique à 6 mois", "Taux sur la cohorte sortie 6 mois plus tôt"),
        "H01": ("Consultations et séances de rééducation", "Dont caravane médicale du printemps"),
        "": (
            "Données du registre interne",
            "Chiffre vérifié par le bureau",
            "Voir rapport d'activité",
            "Estimation, à confirmer",
        ),
        "Q3": ("Vacances d'été : activités réduites",),
    },
    "ar": {
        "R01": ("المستفيدون من الأنشطة خلال الفصل", "حسب لوائح الحضور", "بدون المستفيدين غير المباشرين"),
        "R02": ("النساء والفتيات في جميع الأنشطة", "محسوبة من لوائح الحضور"),
        "E02": ("حالات الانقطاع في نهاية الفصل",),
        "P05": ("ساعات مصرح بها من طرف المتطوعين",),
        "S02": ("الميزانية المنفذة قبل التدقيق",),
        "J02": ("تتبع هاتفي بعد 6 أشهر",),
        "H01": ("الاستشارات وحصص الترويض",),
        "": (
            "معطيات السجل الداخلي",
            "رقم مصادق عليه من طرف المكتب",
            "انظر تقرير الأنشطة",
            "تقدير في انتظار التأكيد",
        ),
        "Q3": ("العطلة الصيفية: أنشطة مخففة",),
    },
    "en": {
        "R01": ("Participants in the quarter's workshops", "From consolidated attendance lists"),
        "S02": ("Spent budget, before audit",),
        "": (
            "From the internal register",
            "Checked by the programme team",
            "See activity report",
            "Estimate, to be confirmed",
        ),
        "Q3": ("Summer break: fewer activities",),
    },
}
SOURCES: dict[str, tuple[str, ...]] = {
    "fr": ("Liste de présence", "Registre des bénéficiaires", "Rapport d'activité"),
    "ar": ("لائحة الحضور", "سجل المستفيدين", "تقرير الأنشطة"),
    "en": ("Attendance list", "Beneficiary register", "Activity report"),
}
#: indicators whose evidence is one particular document
SPECIFIC_SOURCES: dict[str, dict[str, str]] = {
    "fr": {
        "S02": "Comptes certifiés {year}",
        "S04": "Comptes certifiés {year}",
        "P02": "Enquête de satisfaction",
        "P01": "Comptes rendus des réunions de quartier",
        "S05": "Registre du personnel",
    },
    "ar": {
        "S02": "الحسابات المدققة {year}",
        "S04": "الحسابات المدققة {year}",
        "P02": "استمارة الرضا",
        "P01": "محاضر اللقاءات التشاورية",
        "S05": "سجل المستخدمين",
    },
    "en": {
        "S02": "Audited accounts {year}",
        "S04": "Audited accounts {year}",
        "P02": "Satisfaction survey",
        "P01": "Minutes of community meetings",
        "S05": "Staff register",
    },
}
MULTILINE_NOTE = "Deux sites cette année :\nquartier Hay Mohammadi et douar Ouled Saleh"


def annotate(rows: list[Row], org: Org, number: int, rng: random.Random) -> list[Row]:
    """Notes on about a quarter of the rows, in the organisation's language; sources where it cites them."""
    lang = org.spec.lang
    with_source = STYLE_TWEAKS.get(number, {}).get("with_source", False)
    out = []
    for row in rows:
        note = ""
        if rng.random() < 0.25:
            pool = NOTES[lang].get(row.indicator) or NOTES[lang][""]
            if row.period.endswith("Q3") and rng.random() < 0.4:
                pool = NOTES[lang]["Q3"]
            note = rng.choice(pool)
        source = ""
        if with_source or rng.random() < 0.1:
            specific = SPECIFIC_SOURCES[lang].get(row.indicator)
            source = specific.format(year=row.period[:4]) if specific else rng.choice(SOURCES[lang])
        out.append(replace(row, note=note, source=source))
    return out


# -- files ----------------------------------------------------------------------------------
@dataclass
class DemoFile:
    """One upload: its rows, how it was saved, who sent it and when, and what should happen."""

    name: str
    org: str
    rows: list[Row]
    style: Style
    uploaded_at: dt.datetime
    uploaded_by: str
    expect: str = "accept"
    purpose: str = "regular"  # regular | correction | rejected | fixed
    content: bytes = field(default=b"", repr=False)


LATE_ORGS = {12, 19, 31, 34}
STEERING_UPLOADS = {(12, 2023), (29, 2023), (33, 2023), (11, 2023)}
STOPS_IN_2025 = {29, 31}
MISSING_QUARTERS = {(24, "2024-Q3"), (15, "2023-Q2"), (25, "2025-Q4")}
DROPPED = {(1, "P02"): 2025, (18, "C03"): 2024, (5, "H02"): 2025}
ADDED = {(7, "S03"): 2024, (16, "C04"): 2024}
OUTLIERS = {(6, "J01", "2024-Q2"), (25, "J01", "2023-Q3"), (13, "R03", "2025-Q1"), (17, "R01", "2024-Q4")}


def period_end(period: str) -> dt.date:
    year = int(period[:4])
    if "-Q" in period:
        month = int(period[-1]) * 3
        return (dt.date(year, month % 12 + 1, 1) if month < 12 else dt.date(year + 1, 1, 1)) - dt.timedelta(
            days=1
        )
    return dt.date(year, 12, 31)


def upload_time(after: dt.date, number: int, rng: random.Random, *, annual: bool = False) -> dt.datetime:
    """Most within 30 days of the period end, annual accounts a bit later, habitual latecomers 60-200 days."""
    if number in LATE_ORGS or rng.random() < 0.05:
        days = rng.randint(60, 200)
    else:
        days = rng.randint(15, 55) if annual else rng.randint(2, 28)
    moment = dt.datetime.combine(after, dt.time(0)) + dt.timedelta(days=days)
    return moment.replace(hour=rng.randint(7, 17), minute=rng.randint(0, 59), second=rng.randint(0, 59))


def file_batches(org: Org, rows: list[Row], year: int) -> list[tuple[str, list[Row], bool]]:
    """How the year's rows are grouped into uploads: by quarter, by half-year or once a year."""
    quarterly = [r for r in rows if "-Q" in r.period]
    annual = [r for r in rows if "-Q" not in r.period]
    if org.size_band == "large":
        batches = [
            (f"{year}-Q{q}", [r for r in quarterly if r.period == f"{year}-Q{q}"], False) for q in QUARTERS
        ]
        return [b for b in batches if b[1]] + [(f"{year}_annuel", annual, True)]
    if org.size_band == "medium":
        first = [r for r in quarterly if r.period[-1] in "12"]
        second = [r for r in quarterly if r.period[-1] in "34"] + annual
        return [(f"{year}_S1", first, False), (f"{year}_S2", second, True)]
    return [(f"{year}", quarterly + annual, True)]


def build_network(framework: Framework | None = None) -> tuple[list[Org], list[DemoFile]]:
    """The whole demo in memory: organisations and every upload in load order (no disk access)."""
    framework = framework or load_framework()
    orgs = build_orgs()
    files: list[DemoFile] = []
    for number, org in enumerate(orgs, start=1):
        files.extend(org_files(org, number, framework))
    files.extend(special_files(files))
    files.sort(key=lambda f: (f.uploaded_at, f.name))
    check_events(orgs, files)
    for f in files:
        f.content = render(framework, f.rows, f.style)
    return orgs, files


def check_events(orgs: list[Org], files: list[DemoFile]) -> None:
    """Fail loudly if an event promised in the README (drop, outlier...) found no data to act on."""
    code = {n: o.code for n, o in enumerate(orgs, start=1)}
    years: dict[tuple[str, str], set[int]] = {}
    for f in files:
        for r in f.rows:
            years.setdefault((r.org, r.indicator), set()).add(int(r.period[:4]))
    problems = [
        f"drop {n} {ind}"
        for (n, ind), year in DROPPED.items()
        if not (years.get((code[n], ind), set()) and max(years[(code[n], ind)]) == year - 1)
    ]
    problems += [
        f"add {n} {ind}" for (n, ind), year in ADDED.items() if min(years.get((code[n], ind), {0})) != year
    ]
    periods = {(r.org, r.indicator, r.period) for f in files for r in f.rows}
    problems += [f"outlier {n} {ind} {p}" for n, ind, p in OUTLIERS if (code[n], ind, p) not in periods]
    problems += [
        f"stop {n}"
        for n in STOPS_IN_2025
        if any(r.period.startswith("2025") and r.org == code[n] for f in files for r in f.rows)
    ]
    if problems:
        raise RuntimeError("demo events without data: " + ", ".join(problems))


def org_files(org: Org, number: int, framework: Framework) -> list[DemoFile]:
    rng = random.Random(f"{SEED}-{org.code}")
    indicators = indicator_set(org, rng, framework)
    for n, code in ADDED:
        if n == number and code not in indicators:
            indicators.append(code)
    profile = make_profile(org, rng)
    files = []
    for year in YEARS:
        if year == 2025 and number in STOPS_IN_2025:
            continue
        active = [
            c
            for c in indicators
            if DROPPED.get((number, c), 9999) > year and ADDED.get((number, c), 0) <= year
        ]
        rows = year_rows(org, number, year, active, profile, rng, framework)
        rows = [r for r in rows if (number, r.period) not in MISSING_QUARTERS]
        rows = [
            replace(r, value=r.value * 10) if (number, r.indicator, r.period) in OUTLIERS else r for r in rows
        ]
        rows = annotate(rows, org, number, rng)
        if number == 1 and year == 2024:
            rows = [replace(rows[0], note=MULTILINE_NOTE), *rows[1:]]
        style = style_for(number, year, org)
        for label, batch, has_annual in file_batches(org, rows, year):
            if not batch:
                continue
            last = max(period_end(r.period) for r in batch)
            when = upload_time(last, number, rng, annual=has_annual and org.size_band != "small")
            by = "steering:demo" if (number, year) in STEERING_UPLOADS else f"member:{org.code}"
            file_style = replace(style, with_org=True) if by.startswith("steering") else style
            name = f"{year}/{org.code}_{label}.{file_style.ext}"  # under submissions/
            files.append(DemoFile(name, org.code, batch, file_style, when, by))
    return files


def _find(files: list[DemoFile], name_part: str) -> DemoFile:
    return next(f for f in files if name_part in f.name)


def special_files(files: list[DemoFile]) -> list[DemoFile]:
    """Corrections and rejected uploads (each rejected one followed by its fixed version)."""
    extra: list[DemoFile] = []
    day = dt.timedelta(days=1)
    # 1. the J01 typo (a zero too many) fixed by re-sending the whole quarter
    original = _find(files, "ENT-CAS-006_2024-Q2")
    fixed_rows = [
        replace(r, value=r.value // 10, note="Correction : un zéro en trop dans l'envoi précédent")
        if r.indicator == "J01"
        else r
        for r in original.rows
    ]
    extra.append(
        replace(
            original,
            name=original.name.replace("-Q2.", "-Q2_correction."),
            rows=fixed_rows,
            uploaded_at=original.uploaded_at + 41 * day,
            purpose="correction",
        )
    )
    # 2. the final, audited budget replaces the provisional one
    original = _find(files, "FON-CAS-032_2024_annuel")
    budget = [
        replace(r, value=round(r.value * 1.034, 2), note="Montant définitif après audit des comptes")
        for r in original.rows
        if r.indicator == "S02"
    ]
    extra.append(
        replace(
            original,
            name=original.name.replace("_annuel.", "_budget_audite."),
            rows=budget,
            uploaded_at=original.uploaded_at + 96 * day,
            purpose="correction",
        )
    )
    # 3. late registrations raise the first half-year's beneficiaries
    original = _find(files, "ASS-TET-028_2025_S1")
    revised = [
        replace(r, value=r.value + 7 + i * 3, note="Inscriptions tardives ajoutées")
        for i, r in enumerate(r for r in original.rows if r.indicator == "R01")
    ]
    extra.append(
        replace(
            original,
            name=original.name.replace("_S1.", "_S1_rectificatif."),
            rows=revised,
            uploaded_at=original.uploaded_at + 63 * day,
            purpose="correction",
        )
    )
    extra += _rejected_then_fixed(files, "FON-TNG-013_2024-Q3", _with_not_available, 3)
    extra += _rejected_then_fixed(files, "PUB-AZL-020_2025_S1", _with_unknown_indicator, 2)
    return extra


def _with_not_available(rows: list[Row]) -> list[Row]:
    """A rate not known yet typed as N/A instead of leaving the row out."""
    target = next(i for i, r in enumerate(rows) if r.indicator in ("E02", "E03", "R04", "P02", "C03"))
    return [
        *rows[:target],
        replace(rows[target], value="N/A", note="en attente des résultats"),
        *rows[target + 1 :],
    ]


def _with_unknown_indicator(rows: list[Row]) -> list[Row]:
    """An indicator the member invented (indirect beneficiaries), not in the catalogue."""
    first = rows[0]
    invented = Row(
        first.org, "R08", first.period, 1350, note="Bénéficiaires indirects (familles)", unit="persons"
    )
    return [*rows[:3], invented, *rows[3:]]


def _rejected_then_fixed(files: list[DemoFile], name_part: str, spoil, days_to_fix: int) -> list[DemoFile]:
    """The regular upload becomes a rejected first attempt; the member sends the fixed file later."""
    original = _find(files, name_part)
    files.remove(original)
    stem, ext = original.name.rsplit(".", 1)
    rejected = replace(
        original, name=f"{stem}_envoi1.{ext}", rows=spoil(original.rows), expect="reject", purpose="rejected"
    )
    fixed = replace(
        original,
        name=f"{stem}_envoi2.{ext}",
        purpose="fixed",
        uploaded_at=original.uploaded_at + dt.timedelta(days=days_to_fix, hours=2),
    )
    return [rejected, fixed]


def effective_rows(files: list[DemoFile]) -> dict[tuple, Row]:
    """What the store should hold once everything is loaded: accepted rows, later uploads winning."""
    current: dict[tuple, Row] = {}
    for f in files:
        if f.expect == "accept":
            current.update({r.key: r for r in f.rows})
    return current


# -- writing --------------------------------------------------------------------------------
def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_all(
    out_dir: Path = OUT_DIR, framework: Framework | None = None
) -> tuple[list[Org], list[DemoFile]]:
    """Regenerate organizations.csv, manifest.csv and submissions/ under ``out_dir``."""
    orgs, files = build_network(framework)
    submissions = out_dir / "submissions"
    if submissions.exists():
        for old in sorted(submissions.rglob("*"), reverse=True):
            old.unlink() if old.is_file() else old.rmdir()
    _write_csv(
        out_dir / "organizations.csv",
        ["code", "name_fr", "name_ar", "name_en", "kind", "region", "size_band", "thematic_areas"],
        (
            [
                o.code,
                o.name_fr,
                o.name_ar,
                o.name_en,
                o.kind,
                o.region,
                o.size_band,
                "|".join(o.thematic_areas),
            ]
            for o in orgs
        ),
    )
    for f in files:
        path = submissions / f.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f.content)
    _write_csv(
        out_dir / "manifest.csv",
        ["file", "org_code", "uploaded_at", "uploaded_by", "expect"],
        ([f.name, f.org, iso(f.uploaded_at), f.uploaded_by, f.expect] for f in files),
    )
    return orgs, files


def _write_csv(path: Path, header: list[str], rows: Iterator[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> int:
    orgs, files = write_all()
    size = sum(len(f.content) for f in files)
    habits: dict[str, int] = {}
    for f in files:
        habits[f.style.habit] = habits.get(f.style.habit, 0) + 1
    print(
        f"{len(orgs)} organisations, {len(files)} files ({size / 1024:.0f} KiB), "
        f"{sum(f.expect == 'reject' for f in files)} to be rejected"
    )
    print("by habit: " + ", ".join(f"{k} {v}" for k, v in sorted(habits.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
