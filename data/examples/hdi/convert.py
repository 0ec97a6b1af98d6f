"""Turn UNDP's HDR composite-indices CSV into Athar's two input files for one year.

    python data/examples/hdi/convert.py HDR21-22_Composite_indices_complete_time_series.csv \
        --year 2021 --out /tmp/hdi

writes ``countries.csv`` (the organisation registry: ISO 3166 alpha-3 codes, kind ``other``, no
region) and ``hdi_YEAR.csv`` (a long submission: org_code, indicator_code, period, value, source)
with the four HDI components ``le``, ``eys``, ``mys``, ``gnipc``. Source: UNDP Human Development
Report 2021-22, licence CC BY 3.0 IGO.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

COMPONENTS: tuple[str, ...] = ("le", "eys", "mys", "gnipc")
SOURCE = "UNDP HDR 2021-22 composite indices time series (CC BY 3.0 IGO)"


def read_hdr(path: Path) -> pl.DataFrame:
    """The HDR table as text (values are converted by Athar's ingestion, not here)."""
    return pl.read_csv(path, infer_schema_length=0, encoding="utf8")


def countries(hdr: pl.DataFrame) -> pl.DataFrame:
    """One organisation per country: code, names, kind ``other``, empty region."""
    return hdr.select(
        code="iso3",
        name_fr="country",
        name_ar="country",
        name_en="country",
        kind=pl.lit("other"),
        region=pl.lit(""),
    )


def submission(hdr: pl.DataFrame, year: int) -> pl.DataFrame:
    """The year's components in long form, one row per country and component that UNDP reports."""
    columns = [f"{c}_{year}" for c in COMPONENTS]
    missing = [c for c in columns if c not in hdr.columns]
    if missing:
        raise ValueError(f"the file has no columns {missing} (is {year} in the series?)")
    return (
        hdr.select("iso3", *columns)
        .unpivot(index="iso3", variable_name="column", value_name="value")
        .filter(pl.col("value").is_not_null() & (pl.col("value").str.strip_chars() != ""))
        .select(
            org_code="iso3",
            indicator_code=pl.col("column").str.replace(f"_{year}$", ""),
            period=pl.lit(str(year)),
            value="value",
            source=pl.lit(SOURCE),
        )
        .sort("org_code", "indicator_code")
    )


def published_hdi(hdr: pl.DataFrame, year: int) -> pl.DataFrame:
    """org_code, hdi: UNDP's published index for the year, where it exists (for comparison)."""
    return hdr.select(org_code="iso3", hdi=pl.col(f"hdi_{year}").cast(pl.Float64)).drop_nulls("hdi")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--year", type=int, default=2021)
    parser.add_argument("--out", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    hdr = read_hdr(args.csv)
    args.out.mkdir(parents=True, exist_ok=True)
    countries(hdr).write_csv(args.out / "countries.csv")
    submission(hdr, args.year).write_csv(args.out / f"hdi_{args.year}.csv")
    print(f"{args.out / 'countries.csv'}, {args.out / f'hdi_{args.year}.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
