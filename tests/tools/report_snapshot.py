"""Differential check for refactors of ingestion: write every validation report to a directory.

Run it before and after a change and compare the two directories byte for byte::

    python tests/tools/report_snapshot.py /tmp/before      # on the old code
    python tests/tools/report_snapshot.py /tmp/after       # on the new code
    diff -r /tmp/before /tmp/after

Inputs: every file of the shared samples (``../shared/samples``), every demo submission
(``data/demo/submissions``), and a seeded set of mutations of those files (tricky cells, headers,
repeated header lines, total and note lines, dropped columns) so that every rule family runs.
Each case is checked through the Python API with a fixed ``today``, and the report is written in
fr, ar and en together with the canonical rows; the command line (``python -m ingest check
--json``) is run once over the samples and the first demo files as well.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from framework.model import load_framework  # noqa: E402
from ingest.pipeline import check_file, validate_bytes  # noqa: E402

SAMPLES = REPO.parent / "shared" / "samples"
if not SAMPLES.exists():
    SAMPLES = Path("/work/shared/samples")
DEMO = REPO / "data" / "demo" / "submissions"
TODAY = date(2025, 7, 15)
SEED = 20240611
MUTANTS_PER_FILE = 40

CELLS = [
    "", " ", "1,5", "1 250,5", "1.234,56", "1,234.56", "1 000 000", "12/01/2024", "2024-01-15", "15/03/2024",
    "#N/A", "#DIV/0!", "#VALUE!", "1e5", "1.2E+03", "Total", "TOTAL", "Sous-total", "abc", "-5", "150%", "0.5",
    "٣٤", "۱۲", "3٫5", "2024-T1", "2024-Q5", "2030", "2024-S1", "2024-S3", "janvier 2024", "2024-13", "T1 2024",
    "2024", "2025-Q4", "2025-07", "2024-01", "12.5k", "10 MD", "oui", "F", "Femmes", "urbain", "rural", "15-24",
    "tous", "=SUM(A1)", "ASS-XXX-999", "ass-cas-001", "r01", "R1", "X99", "personnes", "%", "DH", "MAD", "heures",
    "?", "Nombre", "x" * 5000, '"quoted"', "001", "3.7", "NB : chiffres provisoires", "n/a", "-", "0", "100",
    "Ligne 1\nLigne 2", "S01", "12٣", "1,23457E+11", "########", "#VALEUR!", "01/01/2024", "01/03/2024", "1.250",
    "1,250", "R01", "E03", "J01", "S02", "H02", "S04", "2023", "ASS-RBT-014", "ASS-CAS-001", "milliers", "kg", "1;2", "ﾠ12", "12\u00a0345", "12\u202f345", "Ã©tÃ©", "null",
]
HEADERS = [
    "org_code", "Code association", "indicateur", "indicator_code", "période", "period", "valeur", "value",
    "Valeur (milliers)", "valeur prévue", "objectif", "unité", "unit", "sexe", "milieu", "tranche d'âge", "notes",
    "source", "R01", "R01 (personnes)", "E03 (%)", "Année", "Trimestre", "Mois", "Semestre", "Unnamed: 3", "",
    "foo", "total", "Femmes", "Hommes", "رمز الجمعية", "القيمة", "[R01]", "Date", "valeur définitive",
    "Valeur (cible)", "Montant (prévu)", "Valeur atteinte", "N°", "S02 (milliers MAD)", "Valeur (DH)",
]
#: Small files of the shapes the samples lack (wide layouts, split periods, planned columns).
EXTRA = {
    "extra_wide.csv": "org_code;period;S02 (milliers MAD);R01\nASS-CAS-001;2024;850;12\nASS-CAS-001;2023;900;14\n",
    "extra_wide_units.csv": "org_code;period;R01;E03\n;;personnes;%\nASS-CAS-001;2024;10;80\nASS-RBT-014;2024;11;81\n",
    "extra_row_number.csv": "N°;org_code;period;R01;E03\n1;ASS-CAS-001;2024;10;80\n2;ASS-CAS-001;2023;11;81\n",
    "extra_planned.csv": "org_code;indicator_code;period;Valeur (cible);Valeur atteinte\nASS-CAS-001;R01;2024;1500;1250\n",
    "extra_january.csv": "org_code;indicator_code;period;value\nASS-CAS-001;S02;01/01/2024;1750000\n"
                         "ASS-CAS-001;S02;01/03/2024;5000\nASS-CAS-001;S02;2023-01;6000\n",
    "extra_split_period.csv": "org_code;indicator_code;Année;Trimestre;value;sexe\nASS-CAS-001;R01;2024;T1;10;F\n"
                              "ASS-CAS-001;R01;2024;T2;12;H\nASS-CAS-001;R01;2024;Total;22;Total\n",
    "extra_member.csv": "indicator_code,period,value,unit\nR01,2024,10,personnes\nE03,2024-Q1,0.8,%\n",
    "extra_comma.csv": "org_code,indicator_code,period,value,unit\nASS-CAS-001,E03,2024,87,5,%\n"
                       "ASS-CAS-001,R01,2024,12,personnes\n",
}


def decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    if len(lines) < 2:
        return text + "\n" + rng.choice(CELLS)
    header = lines[0]
    sep = max([";", ",", "\t"], key=header.count)
    rows = [line.split(sep) for line in lines]
    kind = rng.randrange(9)
    i = rng.randrange(1, len(rows))
    if kind <= 2:  # one cell (the most common case: three draws out of nine)
        row = rows[i]
        row[rng.randrange(len(row))] = rng.choice(CELLS).replace(sep, " ") if sep != "," else rng.choice(CELLS)
    elif kind == 3:
        rows[0][rng.randrange(len(rows[0]))] = rng.choice(HEADERS)
    elif kind == 4:
        rows.insert(i, list(rows[0]))
    elif kind == 5:
        rows.insert(i, [rng.choice(["Total", "TOTAL général", "Sous-total"])] + [""] * (len(rows[0]) - 2) + ["999"])
    elif kind == 6:
        rows.append([rng.choice(["NB : chiffres provisoires", "Source : rapport annuel"])])
    elif kind == 7:
        col = rng.randrange(len(rows[0]))
        rows = [r[:col] + r[col + 1:] for r in rows]
    else:
        for r in rows[1:]:
            if rng.random() < 0.3:
                r[rng.randrange(len(r))] = rng.choice(CELLS).replace(sep, " ")
    return "\r\n".join(sep.join(r) for r in rows) + "\r\n"


def known_orgs() -> frozenset[str]:
    codes = set()
    for path in (SAMPLES / "organizations.csv", REPO / "data" / "demo" / "organizations.csv"):
        for line in path.read_text(encoding="utf-8-sig").splitlines()[1:]:
            codes.add(line.split(",")[0].strip())
    return frozenset(codes)


def snapshot(out: Path, data: bytes, name: str, fw, orgs, member: str | None = None) -> None:
    result, validation = check_file(data, name, framework=fw, store=None, member_org=member, today=TODAY)
    # check_file without a store checks no organisations: validate again against the registry codes.
    _, with_orgs = validate_bytes(data, name, framework=fw, known_orgs=orgs, member_org=member, today=TODAY)
    payload = {
        "report": {lang: result.to_json(lang) for lang in ("fr", "ar", "en")},
        "issues_with_registry": with_orgs.issues.to_dicts(),
        "skipped_with_registry": with_orgs.skipped_rows,
        "org_codes": list(with_orgs.org_codes) if with_orgs.org_codes is not None else None,
        "rows": validation.rows.write_csv(),
        "rows_with_registry": with_orgs.rows.write_csv(),
    }
    (out / f"{name}.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    fw = load_framework()
    orgs = known_orgs()
    rng = random.Random(SEED)
    sources = sorted(p for p in SAMPLES.iterdir() if p.suffix in {".csv", ".txt", ".xlsx"})
    demo = sorted(DEMO.rglob("*.csv"))
    count = 0
    extra_dir = out / "_inputs"
    extra_dir.mkdir(exist_ok=True)
    extras = []
    for name, text in EXTRA.items():
        (extra_dir / name).write_text(text, encoding="utf-8")
        extras.append(extra_dir / name)
    for path in [*sources, *extras, *demo]:
        data = path.read_bytes()
        label = path.name if not path.is_relative_to(DEMO) else str(path.relative_to(DEMO)).replace("/", "__")
        snapshot(out, data, label, fw, orgs)
        snapshot(out, data, label + "__as_member", fw, orgs, member="ASS-CAS-001")
        count += 1
        if path.is_relative_to(DEMO) and rng.random() > 0.15:
            continue  # mutants of every sample, of about one demo file in seven
        text = decode(data)
        if text is None:
            continue
        for k in range(MUTANTS_PER_FILE):
            mutant = mutate(text, rng).encode("utf-8")
            member = "ASS-CAS-001" if k % 5 == 0 else None
            snapshot(out, mutant, f"{label}__mutant{k:02d}.csv", fw, orgs, member)
            count += 1
    cli_files = [str(p) for p in sources] + [str(p) for p in demo[:20]]
    cli = subprocess.run([sys.executable, "-m", "ingest", "check", "--json", "--lang", "fr", *cli_files],
                         cwd=REPO, capture_output=True, text=True)
    (out / "_cli_check.json").write_text(cli.stdout + f"\n# exit {cli.returncode}\n" + cli.stderr, encoding="utf-8")
    print(f"{count} reports (+1 command-line run over {len(cli_files)} files) written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
