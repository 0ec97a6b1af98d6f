"""Dashboard benchmark (not part of the test suite): ``.venv/bin/python benchmarks/dashboard_bench.py``.

Server-side render time of every dashboard page, measured with ``streamlit.testing.v1.AppTest``
(the time of ``at.run()`` for the entry page, of ``at.switch_page(...).run()`` for the others), on

(a) the demo network (40 organisations × 2023–2025, ``python -m ingest demo`` + ``python -m metrics score``), and
(b) a generated network of 2,000 organisations × 8 years (2018–2025), one long-format CSV per
    organisation and year, registered with ``python -m ingest orgs``, loaded with
    ``python -m ingest load`` and scored with ``python -m metrics score`` — the real ingestion path,

both in the same run. Each dataset is measured in its own fresh process (Streamlit's caches are
process-wide), as the steering committee (who sees every page). Each page's time is the best of
``--repeat`` runs after a first (cold) run, which is reported too. Target: large / demo ≤ 3 for every page.

The generated network takes about nine minutes to load (14,896 files through ``ingest load``); it is
cached under ``benchmarks/out/`` (git-ignored), keyed by the generator's parameters, its code and
the framework files, rebuilt when any of them changes (or with ``--rebuild``), and re-scored by the
current ``metrics score`` on every run. The demo database is rebuilt on every run (about 12 s).

    .venv/bin/python benchmarks/dashboard_bench.py [--repeat 5] [--rebuild] [--json FILE]

Exit status 0 when every page is within the target, 1 otherwise.
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
OUT = REPO / "benchmarks" / "out"
APP = REPO / "dashboard" / "app.py"
TARGET_RATIO = 3.0

# ---- generator ---- (the cached network is rebuilt when the code from here to the end marker changes)
YEARS = tuple(range(2018, 2026))
REGIONS = tuple(f"MA-{i:02d}" for i in range(1, 13))
KINDS = ("association",) * 6 + ("foundation", "cooperative", "cooperative", "company", "public_body", "other")
SIZES = ("small",) * 5 + ("medium",) * 3 + ("large",) * 2
THEMES = ("education", "employment", "health", "disability", "rural", "women", "youth")
KIND_PREFIX = {
    "association": "ASS",
    "foundation": "FON",
    "cooperative": "COO",
    "company": "ENT",
    "public_body": "PUB",
    "other": "AUT",
}
WORDS = ("Tifawin", "Anaruz", "Tawada", "Tagmatt", "Amal", "Nour", "Tilelli", "Assafou", "Izouran", "Tafsut")
WORDS_AR = ("تيفاوين", "أناروز", "تاوادا", "تاكمات", "أمل", "نور", "تيليلي", "أسافو", "إزوران", "تافسوت")
CORE = ("R01", "R02", "S02", "S05")
BY_THEME = {
    "education": ("R06", "E01", "E02", "E03"),
    "employment": ("J01", "J02", "J03", "J04", "J05"),
    "health": ("H01", "H02"),
    "disability": ("R03", "E04", "J06", "H02"),
    "rural": ("R04", "R07"),
    "women": ("R05", "J01", "J02"),
    "youth": ("R06", "E05", "J01"),
}
OPTIONAL = ("P01", "P02", "P03", "P04", "P05", "C01", "C02", "C03", "C04", "S03", "S04")
SCALE = {"small": 150, "medium": 1200, "large": 9000}


# --------------------------------------------------------------------------------------------
# The generated network
# --------------------------------------------------------------------------------------------


def _value(code: str, unit: str, base: float, year_factor: float, rng: random.Random) -> str:
    """One plausible annual value for an indicator, as a member would write it."""
    if unit == "percent":
        return f"{min(100.0, max(0.0, rng.gauss(55, 18) * (0.9 + 0.1 * year_factor))):.1f}"
    if unit == "yes_no":
        return rng.choice(("oui", "non"))
    if unit == "MAD":
        return f"{base * rng.uniform(1500, 4000):.0f}"
    if unit == "FTE":
        return f"{max(0.5, base / rng.uniform(60, 200)):.1f}"
    if unit == "hours":
        return f"{base * rng.uniform(0.5, 4):.0f}"
    if code in ("C01", "C02", "C04", "P03"):
        return str(rng.randint(0, 9))
    if code in ("J04",):
        return str(max(1, int(base / rng.uniform(20, 80))))
    share = 1.0 if code in ("R01", "H01") else rng.uniform(0.05, 0.6)
    return str(max(1, int(base * share * year_factor)))


def generate_network(folder: Path, n_orgs: int, seed: int = 2026) -> tuple[Path, list[Path]]:
    """Write organizations.csv and one long CSV per organisation × year; return their paths."""
    from framework.model import load_framework

    framework = load_framework()
    units = {i.code: i.unit for i in framework.indicators}
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    orgs_path = folder / "organizations.csv"
    files: list[Path] = []
    with open(orgs_path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["code", "name_fr", "name_ar", "name_en", "kind", "region", "size_band", "thematic_areas"]
        )
        for number in range(1, n_orgs + 1):
            kind, region, size = rng.choice(KINDS), rng.choice(REGIONS), rng.choice(SIZES)
            themes = rng.sample(THEMES, rng.randint(1, 3))
            word = rng.randrange(len(WORDS))
            code = f"{KIND_PREFIX[kind]}-B{region[-2:]}-{number:04d}"
            writer.writerow(
                [
                    code,
                    f"Organisation {WORDS[word]} {number}",
                    f"منظمة {WORDS_AR[word]} {number}",
                    f"{WORDS[word]} organisation {number}",
                    kind,
                    region,
                    size,
                    "|".join(themes),
                ]
            )
            indicators = list(
                dict.fromkeys(
                    CORE
                    + tuple(c for t in themes for c in BY_THEME[t])
                    + tuple(rng.sample(OPTIONAL, rng.randint(2, 7)))
                )
            )
            base = SCALE[size] * rng.uniform(0.4, 2.0)
            growth = rng.choice((-0.08, 0.0, 0.02, 0.1))
            first_year = rng.choice(YEARS[:3]) if rng.random() < 0.25 else YEARS[0]
            for year in YEARS:
                if year < first_year or rng.random() < 0.04:  # joined later, or a missed year
                    continue
                factor = (1 + growth) ** (year - YEARS[0])
                out = io.StringIO()
                w = csv.writer(out, lineterminator="\n")
                w.writerow(["org_code", "indicator_code", "period", "value", "unit"])
                for ind in indicators:
                    if rng.random() < 0.05:
                        continue
                    w.writerow([code, ind, str(year), _value(ind, units[ind], base, factor, rng), ""])
                path = folder / str(year) / f"{code}_{year}.csv"
                path.parent.mkdir(exist_ok=True)
                path.write_text(out.getvalue(), encoding="utf-8")
                files.append(path)
    return orgs_path, files


# ---- end of generator ----


def _data_key(params: dict) -> str:
    """What the generated data depend on: the parameters, the framework files and this generator.

    Not the code of ingest/ or metrics/: a new migration upgrades the file when it is opened,
    and the cached database is re-scored by the current ``metrics score`` before every measure.
    """
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode())
    for path in sorted((REPO / "data" / "framework").rglob("*.toml")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    source = Path(__file__).read_text(encoding="utf-8")
    section = source[source.index("# ---- generator ----") : source.index("# ---- end of generator ----")]
    digest.update(ast.dump(ast.parse(section)).encode())  # the code, not its layout or comments
    return digest.hexdigest()[:16]


def _run(args: list[str], what: str) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0,):
        sys.exit(f"{what} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return elapsed


def build_demo(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    db = folder / "athar.duckdb"
    t1 = _run(["-m", "ingest", "demo", "--db", str(db)], "ingest demo")
    t2 = _run(["-m", "metrics", "score", "--db", str(db)], "metrics score (demo)")
    print(f"demo database: ingest {t1:.1f} s, score {t2:.1f} s", flush=True)
    return db


def build_large(n_orgs: int, rebuild: bool) -> Path:
    params = {"orgs": n_orgs, "years": list(YEARS), "seed": 2026}
    key = _data_key(params)
    folder = OUT / f"large-{n_orgs}x{len(YEARS)}"
    db = folder / "athar.duckdb"
    stamp = folder / "key.json"
    if not rebuild and db.exists() and stamp.exists() and json.loads(stamp.read_text()).get("key") == key:
        t_score = _run(["-m", "metrics", "score", "--db", str(db)], "metrics score (large, cached)")
        print(
            f"large database: cached {db.relative_to(REPO)} (key {key}), re-scored in {t_score:.1f} s",
            flush=True,
        )
        return db
    if folder.exists():
        shutil.rmtree(folder)
    started = time.perf_counter()
    orgs_path, files = generate_network(folder / "files", n_orgs)
    rows = sum(p.read_text(encoding="utf-8").count("\n") - 1 for p in files)
    print(
        f"generated {n_orgs} organisations, {len(files)} files, {rows} rows in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    t_orgs = _run(["-m", "ingest", "orgs", str(orgs_path), "--db", str(db)], "ingest orgs")
    t_load = 0.0
    for year in YEARS:  # one `ingest load` per year (keeps the command line short)
        batch = sorted(str(p) for p in files if p.parent.name == str(year))
        t_load += _run(
            ["-m", "ingest", "load", *batch, "--db", str(db), "--uploaded-by", "steering:bench"],
            f"ingest load {year}",
        )
        print(f"  loaded {year}: {len(batch)} files ({t_load:.0f} s so far)", flush=True)
    t_score = _run(["-m", "metrics", "score", "--db", str(db)], "metrics score (large)")
    print(f"large database: orgs {t_orgs:.1f} s, load {t_load:.1f} s, score {t_score:.1f} s", flush=True)
    shutil.rmtree(folder / "files")
    stamp.write_text(
        json.dumps(
            {
                "key": key,
                **params,
                "files": len(files),
                "rows": rows,
                "load_s": round(t_load, 1),
                "score_s": round(t_score, 1),
            }
        )
    )
    return db


# --------------------------------------------------------------------------------------------
# Measuring (one fresh process per database: Streamlit's caches are process-wide)
# --------------------------------------------------------------------------------------------


def page_files() -> list[tuple[str, str]]:
    """(key, file relative to the entry point) of every page, in menu order (dashboard/navigation.py)."""
    sys.path.insert(0, str(REPO))
    from dashboard.navigation import PAGES

    return [(spec.key, spec.file) for spec in PAGES]


def representative_org(db: Path) -> str | None:
    """The organisation the profile page shows: in the latest scored period, one with a composite
    score that reports the most indicators (a full profile, not an "insufficient data" one)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.sql(
            """
            WITH run AS (SELECT max(id) AS id FROM score_runs),
                 latest AS (SELECT max(period) AS period FROM scores, run WHERE run_id = run.id AND principle IS NULL),
                 reported AS (SELECT org_code, count(DISTINCT indicator_code) AS n FROM observations_current GROUP BY 1)
            SELECT s.org_code FROM scores s, run, latest, reported r
            WHERE s.run_id = run.id AND s.period = latest.period AND s.principle IS NULL AND s.status = 'ok'
              AND r.org_code = s.org_code
            ORDER BY r.n DESC, s.org_code LIMIT 1
            """
        ).fetchall()
    finally:
        con.close()
    return row[0][0] if row else None


def measure(db: Path, repeat: int, lang: str, act_as: str) -> dict:
    """Run in a worker process: every page's cold time and best-of-``repeat`` time with AppTest."""
    org = representative_org(db)
    os.environ["ATHAR_DB"] = str(db)
    from streamlit.testing.v1 import AppTest

    from dashboard.testing import start

    at = None
    results: dict[str, dict] = {}

    def session():
        """A session signed in through the form as the demo account of ``act_as``."""
        return start(db, identity=act_as, lang=lang, timeout=600)

    def timed(app: AppTest, step: str, page: str | None = None) -> float:
        started = time.perf_counter()
        if page is None:
            app.run()
        else:
            app.switch_page(page).run()
        elapsed = time.perf_counter() - started
        if app.exception:
            raise RuntimeError("; ".join(str(e.value)[:300] for e in app.exception))
        return elapsed

    pages = page_files()
    for index, (key, file) in enumerate(pages):
        times: list[float] = []
        error = None
        if at is not None and org is not None and act_as == "steering":
            at.session_state["org"] = org  # the organisation picker of the profile page
        try:
            for attempt in range(repeat + 1):
                if index == 0 and attempt == 0:  # the entry point: session set-up, sign-in, the default page
                    started = time.perf_counter()
                    at = session()
                    times.append(time.perf_counter() - started)
                else:
                    times.append(timed(at, "switch", file))
        except Exception as exc:  # noqa: BLE001 - reported in the table; the other pages are still measured
            error = f"{type(exc).__name__}: {exc}"
            at = session()
        results[key] = {
            "cold": times[0] if times else None,
            "best": min(times[1:]) if len(times) > 1 else None,
            "runs": [round(t, 4) for t in times],
            "error": error,
        }
    results["_profile_org"] = org
    return results


def worker_main(args: argparse.Namespace) -> int:
    results = measure(Path(args.worker), args.repeat, args.lang, args.act_as)
    print("BENCH-RESULT " + json.dumps(results))
    return 0


def run_worker(db: Path, args: argparse.Namespace) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        str(db),
        "--repeat",
        str(args.repeat),
        "--lang",
        args.lang,
        "--as",
        args.act_as,
    ]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH-RESULT ")), None)
    if proc.returncode != 0 or line is None:
        sys.exit(f"measuring {db} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return json.loads(line.removeprefix("BENCH-RESULT "))


def _cell(value: float | None) -> str:
    return "   error" if value is None else f"{value:8.3f}"


def _ratio(value: float | None) -> str:
    return "     -" if value is None else f"{value:6.2f}"


def print_table(demo: dict, large: dict, meta: dict) -> bool:
    print()
    print(
        f"Server-side render time per page (AppTest; viewer {meta['as']}, lang {meta['lang']}; "
        f"best of {meta['repeat']} after a cold first run), seconds"
    )
    print(f"large = {meta['large']}")
    header = (
        f"{'page':<15} {'demo s':>8} {'large s':>8} {'ratio':>6}   {'cold demo':>9} {'cold large':>10} "
        f"{'ratio':>6}   target: ratio ≤ {TARGET_RATIO:g}"
    )
    print(
        f"profile page on: demo {demo.pop('_profile_org', None)}, large {large.pop('_profile_org', None)} "
        "(the organisation with a composite score reporting the most indicators)"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for key, d in demo.items():
        g = large.get(key, {})
        ratio = g["best"] / d["best"] if d.get("best") and g.get("best") else None
        cold = g["cold"] / d["cold"] if d.get("cold") and g.get("cold") else None
        passed = ratio is not None and ratio <= TARGET_RATIO
        ok &= passed
        print(
            f"{key:<15} {_cell(d.get('best'))} {_cell(g.get('best'))} {_ratio(ratio)}   "
            f"{_cell(d.get('cold')):>9} {_cell(g.get('cold')):>10} {_ratio(cold)}   {'ok' if passed else 'FAIL'}"
        )
        for name, res in (("demo", d), ("large", g)):
            if res.get("error"):
                print(f"    {name}: {res['error'][:400]}")
    print()
    print("all pages within target" if ok else "some pages exceed the target ratio (or failed)")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per page after the cold one")
    parser.add_argument("--orgs", type=int, default=2000, help="organisations in the generated network")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the large database")
    parser.add_argument("--lang", default="fr", choices=("fr", "ar", "en"))
    parser.add_argument(
        "--as", dest="act_as", default="steering", help="demo viewer: steering or an org code"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker_main(args)
    if not APP.exists():
        sys.exit(f"{APP} does not exist yet")
    OUT.mkdir(parents=True, exist_ok=True)
    demo_db = build_demo(OUT / "demo")
    large_db = build_large(args.orgs, args.rebuild)
    stamp = json.loads((large_db.parent / "key.json").read_text())
    demo = run_worker(demo_db, args)
    large = run_worker(large_db, args)
    meta = {
        "as": args.act_as,
        "lang": args.lang,
        "repeat": args.repeat,
        "large": f"{stamp['orgs']} organisations × {len(stamp['years'])} years, {stamp['files']} files, "
        f"{stamp['rows']} rows (load {stamp['load_s']} s, score {stamp['score_s']} s)",
    }
    ok = print_table(demo, large, meta)
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "demo": demo, "large": large}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
