"""The whole demo in memory: every organisation's uploads, the corrections, in load order."""

from __future__ import annotations

from framework.model import Framework, load_framework

from .corrections import special_files
from .orgs import Org, build_orgs
from .plan import ADDED, DROPPED, OUTLIERS, STOPS_IN_2025
from .render import render
from .uploads import DemoFile, org_files
from .values import Row


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


def effective_rows(files: list[DemoFile]) -> dict[tuple, Row]:
    """What the store should hold once everything is loaded: accepted rows, later uploads winning."""
    current: dict[tuple, Row] = {}
    for f in files:
        if f.expect == "accept":
            current.update({r.key: r for r in f.rows})
    return current
