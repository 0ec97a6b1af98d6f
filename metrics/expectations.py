"""The indicators each organisation is expected to report (framework rules + committee overrides).

Rules (``framework.expectations``) are matched against the registry's kind and thematic areas in
one join; the steering committee's overrides (``store.expectations``) then add (``expected``) or
remove (``not expected``) single indicators. Only submitted indicators are expected: a derived
indicator listed in a rule stands for its inputs.
"""

from __future__ import annotations

import polars as pl

from framework.expectations import rule_table
from framework.model import Framework

EXPECTED_SCHEMA = {"org_code": pl.String(), "indicator_code": pl.String()}
ORG_SCHEMA = {"org_code": pl.String(), "kind": pl.String(), "thematic_areas": pl.List(pl.String())}
OVERRIDE_SCHEMA = {"org_code": pl.String(), "indicator_code": pl.String(), "expected": pl.Boolean()}


def expected_indicators(framework: Framework, orgs: pl.DataFrame, overrides: pl.DataFrame | None = None) -> pl.DataFrame:
    """org_code, indicator_code: every pair an organisation is expected to report.

    ``orgs`` has org_code, kind, thematic_areas (list); ``overrides`` org_code, indicator_code,
    expected. Without rules, or for an organisation with no thematic area registered, the whole
    list of submitted indicators is expected (we cannot tell what it does).
    """
    required = pl.DataFrame({"indicator_code": list(framework.required_indicators)}, schema={"indicator_code": pl.String()})
    orgs = orgs.select(ORG_SCHEMA.keys()).cast(ORG_SCHEMA)
    rules = pl.DataFrame(rule_table(framework.expectations, framework.submitted_inputs),
                         schema={"indicator_code": pl.String(), "themes": pl.List(pl.String()),
                                 "kinds": pl.List(pl.String())})
    unknown = pl.col("thematic_areas").is_null() | (pl.col("thematic_areas").list.len() == 0)
    everything = orgs.filter(unknown | pl.lit(rules.is_empty())).select("org_code").join(required, how="cross")
    matched = (
        orgs.filter(~unknown)
        .join(rules, how="cross")
        .filter(
            ((pl.col("themes").list.len() == 0) | (pl.col("themes").list.set_intersection("thematic_areas").list.len() > 0))
            & ((pl.col("kinds").list.len() == 0) | pl.col("kinds").list.contains(pl.col("kind")))
        )
        .select("org_code", "indicator_code")
    )
    pairs = pl.concat([everything, matched]).unique()
    if overrides is not None and overrides.height:
        overrides = overrides.select(OVERRIDE_SCHEMA.keys()).cast(OVERRIDE_SCHEMA).join(required, on="indicator_code")
        added = overrides.filter(pl.col("expected")).select("org_code", "indicator_code")
        removed = overrides.filter(~pl.col("expected"))
        pairs = pl.concat([pairs, added]).unique().join(removed, on=["org_code", "indicator_code"], how="anti")
    return pairs.sort("org_code", "indicator_code").cast(EXPECTED_SCHEMA)
