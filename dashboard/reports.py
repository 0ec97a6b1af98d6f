"""A validation report as a table: line, column, value, severity, message and hint, translated."""

from __future__ import annotations

import polars as pl

from dashboard import tables
from dashboard.cells import Col
from dashboard.context import PageContext
from dashboard.lookup import labelled
from i18n import RTL_LANGUAGES, t
from i18n import formatting as fmt
from ingest.issues import render_hint, render_message, render_report

SHOWN = 200


def _isolated_texts(rendered: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Messages whose quoted values keep their own direction in Arabic (``2024-Q5``, not ``Q5-2024``)."""

    def isolate(text: str | None) -> str | None:
        return None if text is None else fmt.isolate(text, lang)

    def render(row: dict, renderer) -> str:
        return renderer(
            row["code"], lang, isolate(row["value"]), isolate(row["expected"]), isolate(row["column"])
        )

    rows = rendered.select("code", "value", "expected", "column").to_dicts()
    return rendered.with_columns(
        message=pl.Series([render(r, render_message) for r in rows], dtype=pl.String),
        hint=pl.Series([render(r, render_hint) for r in rows], dtype=pl.String),
    )


def report_texts(issues: pl.DataFrame, lang: str) -> pl.DataFrame:
    """``issues`` with ``message`` and ``hint`` as a person reads them (the file report's and the form's)."""
    rendered = render_report(issues, lang)
    if lang in RTL_LANGUAGES:  # only the rows the table shows: a report may list a million problems
        rendered = pl.concat([_isolated_texts(rendered.head(SHOWN), lang), rendered.slice(SHOWN)])
    return rendered


def report_table(ctx: PageContext, issues: pl.DataFrame, *, key: str) -> None:
    """A validation report (codes and positions) with message and hint in the reader's language."""
    rendered = report_texts(issues, ctx.lang)
    rendered = rendered.with_columns(
        severity_label=labelled(rendered, "severity", lambda s: t(f"report.{s}", ctx.lang))
    )
    kinds = {"line": "int", "column": "code", "value": "code"}
    tables.static_table(
        ctx,
        rendered,
        {
            name: Col(t(f"report.{label}", ctx.lang), kinds.get(name, "text"))
            for name, label in (
                ("line", "line"),
                ("column", "column"),
                ("value", "value"),
                ("severity_label", "severity"),
                ("message", "message"),
                ("hint", "hint"),
            )
        },
        key=key,
        download="athar_rapport.csv" if ctx.lang == "fr" else "athar_report.csv",
        max_rows=SHOWN,
    )
