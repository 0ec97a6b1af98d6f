"""Effective weights: how much each indicator counts in its principle and in the composite."""

from __future__ import annotations

import polars as pl

from framework.model import Framework


def effective_weights(framework: Framework) -> pl.DataFrame:
    """principle, indicator_code, weight, share within the principle, share of the composite.

    A principle's share is its weight over the sum of principle weights; an indicator's share
    within a principle is its weight over the principle's indicator weights; its effective
    (composite) share is the product — the nominal weights, before coverage rescaling.
    """
    total = sum(p.weight for p in framework.principles)
    rows = []
    for principle in framework.principles:
        members = [
            (i.code, i.weights[principle.code]) for i in framework.indicators if principle.code in i.weights
        ]
        inner = sum(w for _, w in members)
        for code, weight in members:
            rows.append(
                {
                    "principle": principle.code,
                    "principle_weight": principle.weight,
                    "principle_share": principle.weight / total,
                    "indicator_code": code,
                    "weight": weight,
                    "share_in_principle": weight / inner,
                    "effective": principle.weight / total * weight / inner,
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "principle": pl.String,
            "principle_weight": pl.Float64,
            "principle_share": pl.Float64,
            "indicator_code": pl.String,
            "weight": pl.Float64,
            "share_in_principle": pl.Float64,
            "effective": pl.Float64,
        },
    )
