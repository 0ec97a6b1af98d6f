"""Later uploads that correct earlier ones, and the two rejected uploads with their fixed versions."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from .uploads import DemoFile
from .values import Row


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
