"""Locale-formatted tables: a sortable data grid (:func:`table`), a static table people read
(:func:`static_table`), the submissions log, and translated label columns.

Tables keep numbers as numbers (so columns sort numerically) and show them through a pandas
Styler formatted for the session's language; for Arabic the column order is reversed so the
first column sits on the right. A missing value is :data:`~dashboard.cells.MISSING` in every
table (data grids, static tables); CSV exports leave the cell empty.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import polars as pl
import streamlit as st

from dashboard.cells import MISSING, Col, column_texts, formatter, row_kinds
from dashboard.context import PageContext
from dashboard.exports import csv_download
from dashboard.lookup import labelled
from dashboard.written_grid import kept, remembered, written_styler
from framework.model import BREAKDOWN_COLUMNS
from i18n import catalogue
from i18n import formatting as fmt
from store.reads import common as common_reads

MAX_ROWS_SHOWN = 2000
STYLED_ROWS = 400


def table(
    ctx: PageContext,
    frame: pl.DataFrame,
    columns: dict[str, Col],
    *,
    key: str,
    height: int | Literal["auto"] = "auto",
    download: str | None = None,
    export_only: dict[str, Col] | None = None,
) -> None:
    """A sortable table with locale-formatted cells; ``download`` adds a CSV export of all rows.

    Up to ``STYLED_ROWS`` rows the cells are formatted on the server for the session's language
    (pandas Styler); longer tables let the browser format numbers (``column_config``), which
    keeps a 2,000-organisation page as fast as a 40-organisation one. ``export_only``: secondary
    columns left off the screen (so the key ones fit) but kept in the downloads.
    """
    # Units of "measure" columns and export-only columns travel with the grid, out of its column order.
    hidden = [c.unit for c in columns.values() if c.kind == "measure" and c.unit] + list(export_only or {})
    shown = frame.select(list(columns) + [c for c in dict.fromkeys(hidden) if c not in columns])
    shown = shown.head(MAX_ROWS_SHOWN)
    data = to_pandas(shown)
    # Right to left: the first column goes to the right — unless the grid would scroll, which
    # starts at the left edge and would hide it (wide tables keep their order).
    narrow = len(columns) <= 7 and not any(col.width == "large" for col in columns.values())
    order = list(columns)[::-1] if ctx.rtl and narrow else list(columns)
    if shown.height <= STYLED_ROWS:
        body = _styled(ctx, data, shown, columns)
        config = {name: st.column_config.Column(col.label, width=col.width) for name, col in columns.items()}
    else:
        for name, col in columns.items():
            if col.kind in ("pct", "pct1"):
                data[name] = data[name] * 100
        body = data
        config = {name: _browser_column(_one_kind(ctx, shown, name, col)) for name, col in columns.items()}
    st.dataframe(
        body,
        hide_index=True,
        column_config=config,
        column_order=order,
        height=height,
        key=key,
        placeholder=MISSING,
    )
    if frame.height > MAX_ROWS_SHOWN:
        st.caption(ctx.tn("common.rows_shown", MAX_ROWS_SHOWN, total=ctx.num(frame.height)))
    if download:
        csv_download(ctx, frame, {**columns, **(export_only or {})}, download, key=f"{key}_csv")


def to_pandas(frame: pl.DataFrame):
    """``frame`` as a pandas DataFrame, through Arrow (the same frame as ``frame.to_pandas()``).

    Not ``frame.to_pandas()``: in Polars 2.1 it rechunks a multi-chunk frame holding the GIL, and
    deadlocks the whole server when another session's ``map_elements`` is running in Polars' thread
    pool at that moment (found by ``benchmarks/load_bench.py``: ten sessions opening the overview at
    once froze ``python -m server`` for good).
    """
    return frame.to_arrow().to_pandas(date_as_object=False)


def _styled(ctx: PageContext, data, shown: pl.DataFrame, columns: dict[str, Col]):
    """The Styler of a short table: each column by its kind, a ``measure`` column by each row's unit
    (numbers stay numbers, so columns still sort numerically); each distinct value written once, and
    kept for the next tables in the same language (``written_grid``)."""
    digits = fmt.arabic_digits()

    def show(kind: str):
        return remembered(formatter(kind, ctx), kept((kind, ctx.lang, digits)))

    texts: dict[str, list[str]] = {}
    for name, col in columns.items():
        values = list(data[name])  # as pandas' Styler iterates them
        if col.kind != "measure":
            texts[name] = list(map(show(col.kind), values))
            continue
        kinds = row_kinds(ctx, shown, name, col).to_list()
        by_kind = {kind: show(kind) for kind in set(kinds)}
        texts[name] = [by_kind[kind](v) for v, kind in zip(values, kinds, strict=True)]
    return written_styler(data, texts)


def _one_kind(ctx: PageContext, shown: pl.DataFrame, name: str, col: Col) -> Col:
    """A ``measure`` column formatted by the browser: its rows' kind when they share one."""
    if col.kind != "measure":
        return col
    kinds = row_kinds(ctx, shown, name, col).unique().to_list()
    return replace(col, kind=kinds[0] if len(kinds) == 1 else "num1")


def _browser_column(col: Col):
    """Formatting done by the browser, for long tables (see :func:`table`)."""
    formats = {
        "int": "%d",
        "count": "%d",
        "share": "%.1f %%",
        "currency": "%.2f",
        "change": "%+.1f",
        "num1": "%.1f",
        "num2": "%.2f",
        "score": "%.1f",
        "pct": "%.0f %%",
        "pct1": "%.1f %%",
    }
    if col.kind in formats:
        return st.column_config.NumberColumn(col.label, format=formats[col.kind], width=col.width)
    if col.kind == "date":
        return st.column_config.DateColumn(col.label, format="YYYY-MM-DD", width=col.width)
    if col.kind == "datetime":
        return st.column_config.DatetimeColumn(col.label, format="YYYY-MM-DD HH:mm", width=col.width)
    if col.kind == "bool":
        return st.column_config.CheckboxColumn(col.label, width=col.width)
    if col.kind == "list":
        return st.column_config.ListColumn(col.label, width=col.width)
    return st.column_config.TextColumn(col.label, width=col.width)


#: st.table renders Markdown in cells: escape what could style, link or call a directive.
_MARKDOWN = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>#|~$:"})


def markdown_text(text: str) -> str:
    """``text`` shown as written where Streamlit reads Markdown (an alert, a table cell)."""
    return text.translate(_MARKDOWN)


def static_table(
    ctx: PageContext,
    frame: pl.DataFrame,
    columns: dict[str, Col],
    *,
    download: str | None = None,
    key: str,
    max_rows: int = 200,
) -> None:
    """A static table whose cells wrap (and follow the page direction): for reports people read."""
    import pandas as pd

    shown = frame.head(max_rows)
    data = pd.DataFrame(
        {
            col.label: [text.translate(_MARKDOWN) for text in column_texts(ctx, shown, name, col)]
            for name, col in columns.items()
        }
    )
    st.table(data, hide_index=True)
    if frame.height > max_rows:
        st.caption(ctx.tn("common.rows_shown", max_rows, total=ctx.num(frame.height)))
    if download:
        csv_download(ctx, frame, columns, download, key=f"{key}_csv")


def uploader_text(ctx: PageContext, kind: str | None, name: str | None, text: str | None) -> str | None:
    """Who uploaded a submission, as people say it: "membre — <name>", "comité de pilotage"…

    ``kind``, ``name`` and ``text`` are ``store.uploads_reads.submissions``' ``uploader_kind``,
    ``uploader_name`` (only there when the viewer may see that organisation) and ``uploader_text``.
    """
    if kind == "member":
        return ctx.t("uploader.member", name=name) if name else ctx.t("uploader.member_unnamed")
    if kind in ("steering", "funder"):
        return ctx.t(f"uploader.{kind}")
    return text


def submission_log(
    ctx: PageContext, log: pl.DataFrame, *, key: str, download: str, with_org: bool = True
) -> None:
    """The submissions log (``store.uploads_reads.submissions``): status and uploader in the reader's words."""
    log = log.with_columns(
        status_label=labelled(log, "status", lambda s: ctx.t(f"submission_status.{s}")),
        uploader=labelled(
            log, ["uploader_kind", "uploader_name", "uploader_text"],
            lambda kind, name, text: uploader_text(ctx, kind, name, text), nulls=True,
        ),
    )
    table(
        ctx,
        log,
        {
            "uploaded_at": Col(ctx.t("common.uploaded_at"), "datetime", "medium"),
            **({"org_code": Col(ctx.t("common.code"), width="small")} if with_org else {}),
            "file_name": Col(ctx.t("common.file"), width="medium"),
            "status_label": Col(ctx.t("common.status"), width="small"),
            "issues": Col(ctx.t("common.warnings_n"), "int", "small"),
            "row_count": Col(ctx.t("common.values_n"), "int", "small"),
            "uploader": Col(ctx.t("common.uploaded_by"), width="medium"),
            "id": Col(ctx.t("common.submission"), "int", "small"),
        },
        key=key,
        download=download,
    )


def quartile_columns(ctx: PageContext) -> dict[str, Col]:
    """The columns of a score distribution: how many organisations, quartiles and median."""
    return {
        "n": Col(ctx.t("common.organisations_n"), "int"),
        "q1": Col(ctx.t("common.q1"), "score"),
        "median": Col(ctx.t("common.median"), "score"),
        "q3": Col(ctx.t("common.q3"), "score"),
    }


def peer_group_label(ctx: PageContext, peers: pl.DataFrame) -> pl.Series:
    """Each peer row's group in words ("Région : Casablanca-Settat"), from ``group`` and ``group_value``
    (a lookup built once per group, no Python inside Polars: ``dashboard.lookup``)."""
    return labelled(
        peers, ["group", "group_value"], lambda g, v: f"{ctx.t('groups.' + g)}: {ctx.group_label(g, v)}", nulls=True
    )


def breakdown_label(ctx: PageContext, frame: pl.DataFrame) -> pl.Expr:
    """A breakdown as people say it ("Femmes · 15–24 ans · Rural"; the total row "Ensemble"), from
    the stored codes of the breakdown columns, never ``sex=F``. Regions by their names."""
    parts = []
    for column in BREAKDOWN_COLUMNS:
        if column not in frame.columns:
            continue
        codes = [c for c in frame.get_column(column).unique().to_list() if c is not None]
        names = {c: _breakdown_value(ctx, column, c) for c in codes}
        parts.append(pl.col(column).replace_strict(names, default=pl.col(column), return_dtype=pl.String))
    if not parts:
        return pl.lit(ctx.t("tables.breakdown.total"))
    joined = pl.concat_str(parts, separator=ctx.t("tables.breakdown.separator"), ignore_nulls=True)
    return pl.when(joined == "").then(pl.lit(ctx.t("tables.breakdown.total"))).otherwise(joined)


def _breakdown_value(ctx: PageContext, column: str, code: str) -> str:
    if column == "region":
        return ctx.region_name(code)
    key = f"tables.breakdown.{column}.{code}"
    return ctx.t(key) if f"dashboard.{key}" in catalogue(ctx.lang) else code


def numbered_versions(ctx: PageContext) -> pl.DataFrame:
    """The recorded framework versions (steering only; empty for others), numbered from the first."""
    versions = ctx.q(common_reads.framework_versions)
    return versions.sort("created_at", "hash").with_columns(number=pl.int_range(1, pl.len() + 1)).sort(
        "created_at", "hash", descending=True
    )


def version_label(ctx: PageContext, content_hash: str) -> str:
    """A framework version as people read it ("n° 3 du 12 mars 2026"), not its hash; a short
    code when the version is not recorded or the viewer may not list versions."""
    versions = numbered_versions(ctx).filter(pl.col("hash") == content_hash)
    if versions.is_empty():
        return ctx.t("tables.version_code", code=content_hash[:7])
    row = versions.row(0, named=True)
    return ctx.t("tables.version", number=ctx.num(row["number"]), date=ctx.date(row["created_at"]))


def framework_changes(ctx: PageContext, changes: pl.DataFrame, *, key: str) -> None:
    """A draft framework version against the one in use (item, field, before, after): the framework
    page's editor and the IRIS+/SDG mapping editor show their drafts the same way."""
    table(
        ctx,
        changes,
        {
            "item": Col(ctx.t("common.code")),
            "field": Col(ctx.t("framework.field")),
            "before": Col(ctx.t("framework.before")),
            "after": Col(ctx.t("framework.after")),
        },
        key=key,
    )
