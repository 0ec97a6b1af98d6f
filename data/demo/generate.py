"""Generate the demo network: 40 fictional organisations and three years of their submissions.

Run ``python data/demo/generate.py`` to rewrite ``organizations.csv``, ``manifest.csv`` and
``submissions/``. Everything is derived from one seed (``SEED`` in ``generator/plan.py``), so the
output is byte-for-byte the same on every run. The files imitate what members really send (French
and Arabic Excel exports, Unicode text, workbooks, header aliases, breakdown rows), with trends,
gaps, outliers, corrections and two rejected uploads put in on purpose, so that every dashboard
view, quality check and the ingestion path have something real to show. Every name is invented.

The work is done by the ``generator`` package next to this file (one module per job, listed in
its ``__init__``); this file is the command line and re-exports what tests and scripts use.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make the project's packages importable
# ``data`` has no __init__.py: ``data.demo.generator`` is found from the checkout as a namespace package

from data.demo.generator.network import build_network, effective_rows
from data.demo.generator.orgs import build_orgs
from data.demo.generator.plan import OUTLIERS, SEED, period_end
from data.demo.generator.write import OUT_DIR, write_all

__all__ = [
    "OUTLIERS",
    "OUT_DIR",
    "SEED",
    "build_network",
    "build_orgs",
    "effective_rows",
    "main",
    "period_end",
    "write_all",
]


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
