"""Shared by the report card's tests: the PDF tools (poppler), text normalisation, the skip rule."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

#: Bidi controls pdftotext leaves around runs (LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI, LRM/RLM).
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"))
ORG = "ASS-CAS-001"
PERIOD = "2024"

#: The card's charts need Chromium (Kaleido) and its text checks poppler-utils; CI installs both.
needs_pdf_tools = pytest.mark.skipif(
    not (shutil.which("chromium") and shutil.which("pdftotext") and shutil.which("pdffonts")),
    reason="the report card needs Chromium (Kaleido) and poppler-utils (pdftotext, pdffonts)",
)


def normalised(text: str) -> str:
    """NFKC (Arabic presentation forms → letters), no bidi controls, one space for any blank run."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_BIDI).split())


def pdf_text(path: Path) -> str:
    raw = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return normalised(raw)


def pdf_fonts(path: Path) -> list[list[str]]:
    """pdffonts' rows, split on blanks (name, type…, emb, sub, uni, object, id)."""
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]
