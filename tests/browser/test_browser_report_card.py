"""The report card's pages as images (``pdftoppm -r 60``) in ``test-artifacts/report/``: look at them.

The cards are made by the real command line (``python -m report card``) on a demo database of
their own (the app of the browser suite holds the shared one), in French and in Arabic.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from browser_harness import REPO, build_demo_database
from PIL import Image, ImageStat

ARTIFACTS = REPO / "test-artifacts" / "report"
ORG, PERIOD = "ASS-CAS-001", "2024"

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is missing")


@pytest.fixture(scope="module")
def card_db(tmp_path_factory):
    return build_demo_database(tmp_path_factory.mktemp("report-card"))


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_card_pages_render_to_non_blank_images(card_db, lang, tmp_path) -> None:
    pdf = tmp_path / f"card-{lang}.pdf"
    made = subprocess.run(
        [sys.executable, "-m", "report", "card", "--db", str(card_db), "--org", ORG, "--period", PERIOD,
         "--lang", lang, "--out", str(pdf)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )
    assert made.returncode == 0, made.stderr
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"card-{lang}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(ARTIFACTS / f"card-{lang}")], check=True)
    pages = sorted(ARTIFACTS.glob(f"card-{lang}-*.png"))
    assert pages
    for page in pages:
        with Image.open(page) as image:
            spread = ImageStat.Stat(image.convert("L")).stddev[0]
        assert spread > 5, f"{page.name} looks blank"
