"""The names of a workbook's narrative sheet (``ingest.narratives``), apart so that the data sheet's
chooser (``ingest.xlsx``) can leave it out without importing the narratives' reader."""

from __future__ import annotations

from framework.vocabulary import fold

#: Sheet names that hold narratives (any case or accent); the template writes the first of each language.
SHEET_NAMES = ("Récit", "Récits", "Narratif", "Narrative", "Narratives", "السرد", "سرد", "الرواية")
SHEET_KEYS = frozenset(fold(n) for n in SHEET_NAMES)
