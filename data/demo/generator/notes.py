"""Notes and sources in the organisation's language, on some of its rows."""

from __future__ import annotations

import random
from dataclasses import replace

from .orgs import Org
from .styles import STYLE_TWEAKS
from .values import Row

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
