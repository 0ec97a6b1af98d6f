"""Method: how the scores are computed, in plain language, from the framework actually used.

The text is generated from the latest run's own copy of the framework (what produced the
scores on screen); the indicator weights follow as a table one can download.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import empty, tables
from dashboard.cells import Col
from dashboard.context import PageContext, page_context
from dashboard.empty import Why
from dashboard.lookup import labelled
from dashboard.method_text import sections
from metrics.weights import effective_weights


def render(ctx: PageContext) -> None:
    st.title(ctx.t("method.title"))
    fw = ctx.framework
    granularity = ctx.run["granularity"] if ctx.run else "year"
    if ctx.run is None:
        empty.note(ctx, Why.NOT_SCORED, "method.no_run")
    for section in sections(fw, ctx.lang, granularity, ctx.run_id):
        st.subheader(section.title)
        st.markdown(section.body)
    # The technical terms behind the tables' plain words (robust z, Theil–Sen, version fingerprint).
    st.subheader(ctx.t("tables.glossary_title"))
    st.markdown(ctx.t("tables.glossary", z=ctx.num(fw.meta.quality.outlier_z, 1), mad_scale=ctx.num(1.4826, 4)))
    st.subheader(ctx.t("method.weights_title"))
    weights = effective_weights(fw).filter(pl.col("principle").is_in(ctx.principle_codes))
    weights = weights.with_columns(
        principle_label=labelled(weights, "principle", ctx.principle_label, nulls=True),
        indicator=labelled(weights, "indicator_code", ctx.indicator_label),
    )
    tables.table(
        ctx,
        weights,
        {
            "principle_label": Col(ctx.t("common.principle")),
            "indicator": Col(ctx.t("common.indicator")),
            "weight": Col(ctx.t("framework.weight"), "num2"),
            "share_in_principle": Col(ctx.t("framework.share_in_principle"), "pct"),
            "effective": Col(ctx.t("framework.effective"), "pct1"),
        },
        key="method_weights",
        download="athar_method_weights.csv",
    )
    if ctx.run is not None and ctx.run["framework_hash"] != ctx.framework_in_use.content_hash:
        st.info(ctx.t("method.newer_version", version=tables.version_label(ctx, ctx.framework_in_use.content_hash)))


if __name__ == "__main__":
    render(page_context())
