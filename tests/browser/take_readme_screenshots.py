"""Write the README's screenshots: ``docs/screenshots/overview-fr.png`` and ``overview-ar.png``.

Not a test. The same path as the browser tests (tests/browser/browser_harness.py): the demo
network built through ``python -m ingest demo`` and ``python -m metrics score`` in a temporary
folder, the real app started with ``streamlit run``, Debian's Chromium through Playwright.

    .venv/bin/python tests/browser/take_readme_screenshots.py [--out docs/screenshots] [--db PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import browser_harness as harness

SHOTS = (
    ("overview", "fr", "overview-fr.png"),
    ("overview", "ar", "overview-ar.png"),
    ("indicator", "fr", "indicator-fr.png"),
    ("indicator", "ar", "indicator-ar.png"),
)
# README images: the whole overview (headline, submissions, scores, map, changes) at a width people read on.
README_VIEWPORT = {"width": 1400, "height": 1000}


def take(out: Path, db: Path | None) -> list[Path]:
    reason = harness.chromium_missing_reason()
    if reason:
        sys.exit(reason)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="athar-shots-") as tmp:
        database = db or harness.build_demo_database(Path(tmp) / "db")
        with harness.running_app(database, log_dir=Path(tmp) / "log") as url, harness.chromium() as browser:
            for page_key, lang, name in SHOTS:
                context = browser.new_context(
                    viewport=README_VIEWPORT,
                    locale={"fr": "fr-FR", "ar": "ar-MA"}[lang],
                    device_scale_factor=1,
                )
                page = context.new_page()
                page.set_default_timeout(harness.PAGE_TIMEOUT_MS)
                page.goto(harness.page_url(url, page_key, lang, "steering"), wait_until="domcontentloaded")
                harness.wait_until_idle(page)
                problems = harness.exceptions_on(page)
                if problems:
                    sys.exit(f"{page_key} ({lang}) shows an exception:\n{problems[0][:2000]}")
                written.append(harness.full_page_screenshot(page, out / name))
                context.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=harness.REPO / "docs" / "screenshots")
    parser.add_argument("--db", type=Path, help="use this database instead of building the demo")
    args = parser.parse_args()
    for path in take(args.out, args.db):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
