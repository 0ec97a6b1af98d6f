"""Scoring engine benchmark (not part of the test suite): ``.venv/bin/python benchmarks/metrics_bench.py``.

(a) A full scoring of 20,000 organisations × 35 indicators × 8 years (Athar's ``score``: time
    aggregation, roll-up, derived indicators, transform, goalposts normalisation, direction,
    principle scores with coverage, geometric composite, scores frame) against one hand-written
    DuckDB SQL query doing the same goalposts normalisation and weighted means. Target: ratio ≤ 2.
    Both results are compared, so the two really compute the same thing.
(b) 1,000 Monte Carlo draws for 500 organisations against one ordinary scoring run of the same
    data (500 × 35 × 8 years). Target: ≤ 20×.

Data are generated in-process (seeded); each timing is the best of ``--repeat`` runs after a warm-up.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# As `python -m metrics` and the app run scoring: one OpenBLAS thread (see metrics/__main__.py).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

from framework.model import Framework, RobustnessSettings, framework_from_dict  # noqa: E402
from metrics.normalise import parameters  # noqa: E402
from metrics.robustness import robustness  # noqa: E402
from metrics.run import compute_run  # noqa: E402
from metrics.scoring import score, weights  # noqa: E402

NAMES = {"fr": "x", "ar": "س", "en": "x"}
N_INDICATORS, N_PRINCIPLES, YEARS = 35, 5, tuple(range(2017, 2025))


def bench_framework() -> Framework:
    """35 indicators over 5 principles: every other one logged, every seventh lower-is-better."""
    indicators = []
    for i in range(N_INDICATORS):
        first, second = f"P{i % N_PRINCIPLES + 1}", f"P{(i + 2) % N_PRINCIPLES + 1}"
        indicators.append(
            {
                "code": f"I{i:02d}",
                "name": NAMES,
                "unit": "n",
                "aggregation": "sum",
                "transform": "log" if i % 2 else "none",
                "goalposts": [1, 5000] if i % 2 else [0, 100],
                "direction": "down" if i % 7 == 0 else "up",
                "weights": {first: 0.6, second: 0.4} if i % 3 else {first: 1.0},
            }
        )
    return framework_from_dict(
        {
            "meta": {"name": NAMES, "coverage_threshold": 0.5, "composite_aggregation": "geometric"},
            "principles": [
                {"code": f"P{k}", "name": NAMES, "weight": 1 + k % 2} for k in range(1, N_PRINCIPLES + 1)
            ],
            "indicators": indicators,
            "units": [{"code": "n", "kind": "decimal", "name": NAMES}],
        }
    )


def observations(n_orgs: int, seed: int = 2024, missing: float = 0.12) -> pl.DataFrame:
    """One annual value per organisation × indicator × year, some missing (coverage is exercised)."""
    rng = np.random.default_rng(seed)
    n = n_orgs * N_INDICATORS * len(YEARS)
    org = np.repeat(np.arange(n_orgs), N_INDICATORS * len(YEARS))
    ind = np.tile(np.repeat(np.arange(N_INDICATORS), len(YEARS)), n_orgs)
    year = np.tile(np.array(YEARS), n_orgs * N_INDICATORS)
    logged = ind % 2 == 1
    value = np.where(logged, rng.lognormal(4.5, 1.6, n), rng.uniform(0, 110, n)).round(2)
    keep = rng.random(n) >= missing
    codes = np.array([f"I{i:02d}" for i in range(N_INDICATORS)])
    frame = pl.DataFrame(
        {
            "org_code": pl.Series(np.char.add("ORG-", np.char.zfill(org[keep].astype(str), 6))),
            "indicator_code": codes[ind[keep]],
            "year": year[keep],
            "value": value[keep],
        }
    )
    return frame.with_columns(
        granularity=pl.lit("year"),
        period_start=pl.date(pl.col("year"), 1, 1),
        period_end=pl.date(pl.col("year"), 12, 31),
    ).drop("year")


def sql_tables(framework: Framework) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The framework as three small tables for the SQL query."""
    params = parameters(framework)
    w = weights(framework)
    indicators = pl.DataFrame(
        {
            "indicator_code": list(params.indicators),
            "is_log": params.log,
            "lo": params.lo,
            "hi": params.hi,
            "log_floor": np.where(params.log, params.log_floor, 0.0),
            "down": params.down,
        }
    )
    links = pl.DataFrame(
        [
            (code, w.principles[k], float(w.indicator[i, k]))
            for i, code in enumerate(params.indicators)
            for k in range(len(w.principles))
            if w.indicator[i, k] > 0
        ],
        schema={"indicator_code": pl.String, "principle": pl.String, "weight": pl.Float64},
        orient="row",
    )
    principles = pl.DataFrame(
        {"principle": list(w.principles), "principle_weight": w.principle, "total_weight": w.total}
    )
    return indicators, links, principles


SQL = """
WITH v AS (      -- time aggregation (sum) to one value per organisation, indicator and year
    SELECT org_code, indicator_code, year(period_start) AS period_key, sum(value) AS value
    FROM obs GROUP BY ALL
), n AS (        -- transform, goalposts, clip, direction
    SELECT v.org_code, v.period_key, v.indicator_code,
           greatest(0.0, least(1.0,
               ((CASE WHEN i.is_log THEN ln(greatest(v.value, i.log_floor)) ELSE v.value END) - i.lo)
               / (i.hi - i.lo)
           )) AS s0, i.down
    FROM v JOIN ind i USING (indicator_code)
), p AS (        -- weighted arithmetic mean per principle, with coverage
    SELECT n.org_code, n.period_key, l.principle,
           sum(l.weight * CASE WHEN n.down THEN 1 - n.s0 ELSE n.s0 END) / sum(l.weight) AS mean,
           sum(l.weight) / any_value(pr.total_weight) AS coverage
    FROM n JOIN links l USING (indicator_code) JOIN pr USING (principle)
    GROUP BY ALL
), c AS (        -- weighted geometric mean of the principles that reach the threshold
    SELECT p.org_code, p.period_key,
           CASE WHEN bool_or(p.mean <= 0) THEN 0.0
                ELSE exp(sum(pr.principle_weight * ln(p.mean)) / sum(pr.principle_weight)) END AS mean,
           sum(pr.principle_weight * p.coverage) / (SELECT sum(principle_weight) FROM pr) AS coverage
    FROM p JOIN pr USING (principle) WHERE p.coverage >= 0.5
    GROUP BY ALL
)
SELECT org_code, period_key, principle, CASE WHEN coverage >= 0.5 THEN 100 * mean END AS score, coverage
FROM p
UNION ALL
SELECT org_code, period_key, NULL, CASE WHEN coverage >= 0.5 THEN 100 * mean END, coverage FROM c
"""


def _scored(obs: pl.DataFrame, framework: Framework):
    """One ordinary scoring run, its scores frame built (what a run hands on)."""
    result = score(obs, framework)
    _ = result.scores
    return result


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    fn()  # warm-up (imports, caches, thread pools)
    timings, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        timings.append(time.perf_counter() - start)
    return min(timings), result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Athar scoring benchmark")
    parser.add_argument("--orgs", type=int, default=20_000)
    parser.add_argument("--mc-orgs", type=int, default=500)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    framework = bench_framework()
    rows: list[tuple[str, str, str]] = []

    # (a) full scoring vs one SQL query --------------------------------------------------------
    obs = observations(args.orgs)
    n_values = obs.height
    athar_s, result = best_of(lambda: score(obs, framework).scores, args.repeat)
    con = duckdb.connect()
    ind, links, pr = sql_tables(framework)
    for name, frame in (("obs", obs), ("ind", ind), ("links", links), ("pr", pr)):
        con.register(name, frame)
    sql_s, reference = best_of(lambda: con.sql(SQL).pl(), args.repeat)
    keys = ["org_code", "period_key", "principle"]
    joined = result.join(reference, on=keys, how="left", nulls_equal=True, suffix="_sql")
    diff = joined.select(
        score=(pl.col("score") - pl.col("score_sql")).abs().max(),
        mismatched=(pl.col("score").is_null() != pl.col("score_sql").is_null()).sum(),
    ).row(0, named=True)
    full_s, _ = best_of(
        lambda: compute_run(obs, framework, robustness_settings=RobustnessSettings(draws=0)),
        max(1, args.repeat - 2),
    )
    rows += [
        (
            f"(a) input: {args.orgs:,} orgs × {N_INDICATORS} indicators × {len(YEARS)} years",
            f"{n_values:,} values",
            "",
        ),
        ("    Athar score() → principle + composite scores", f"{athar_s:.3f} s", ""),
        ("    DuckDB, one hand-written SQL query", f"{sql_s:.3f} s", ""),
        (
            "    ratio Athar / SQL (target ≤ 2)",
            f"{athar_s / sql_s:.2f}",
            "ok" if athar_s / sql_s <= 2 else "MISSED",
        ),
        (
            "    same results: max |Δscore|, status mismatches",
            f"{diff['score']:.1e}, {diff['mismatched']}",
            "",
        ),
        ("    full run without Monte Carlo (+ quality, trends)", f"{full_s:.3f} s", ""),
    ]

    # (b) Monte Carlo vs one ordinary run -------------------------------------------------------
    settings = RobustnessSettings(draws=args.draws, seed=1)
    history = observations(args.mc_orgs, seed=7)
    latest = history.filter(pl.col("period_start") == date(YEARS[-1], 1, 1))
    one_s, nominal = best_of(lambda: _scored(latest, framework), args.repeat + 2)
    mc_s, _ = best_of(lambda: robustness(nominal, framework, settings), args.repeat + 2)
    all_run_s, all_nominal = best_of(lambda: _scored(history, framework), args.repeat)
    mc_all_s, _ = best_of(lambda: robustness(all_nominal, framework, settings), args.repeat)
    rows += [
        (
            f"(b) input: {args.mc_orgs} orgs × {N_INDICATORS} indicators, one year",
            f"{latest.height:,} values",
            "",
        ),
        ("    one ordinary scoring run", f"{one_s:.4f} s", ""),
        (
            f"    {args.draws:,} Monte Carlo draws (ranks, intervals, sensitivity)",
            f"{mc_s:.3f} s",
            f"{mc_s / one_s:.1f}× {'ok' if mc_s / one_s <= 20 else 'MISSED'} (target ≤ 20×)",
        ),
        (f"    same, {len(YEARS)} years: one ordinary run", f"{all_run_s:.4f} s", ""),
        (
            f"    {args.draws:,} draws for each of the {len(YEARS)} years (as `metrics score`)",
            f"{mc_all_s:.3f} s",
            f"{mc_all_s / all_run_s:.1f}× ({mc_all_s / len(YEARS) / one_s:.1f}× per year)",
        ),
    ]

    width = max(len(r[0]) for r in rows) + 2
    print(
        f"Athar metrics benchmark — {os.cpu_count()} CPU, polars {pl.__version__}, "
        f"duckdb {duckdb.__version__}, "
        f"numpy {np.__version__}; best of {args.repeat}"
    )
    for label, figure, note in rows:
        print(f"{label:<{width}}{figure:>16}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
