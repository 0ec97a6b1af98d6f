"""Writing the demo to disk: organizations.csv, manifest.csv and submissions/."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from framework.model import Framework

from .network import build_network
from .orgs import Org
from .uploads import DemoFile

OUT_DIR = Path(__file__).resolve().parents[1]  # data/demo


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
