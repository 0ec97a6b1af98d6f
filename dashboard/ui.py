"""Shared page pieces: a chart with its data beside it, locale-formatted tables, CSV exports,
empty states, period and organisation pickers.

Tables keep numbers as numbers (so columns sort numerically) and show them through a pandas
Styler formatted for the session's language; for Arabic the column order is reversed so the
first column sits on the right. A missing value is :data:`MISSING` in every table (data grids,
static tables), never "None" or "nan"; CSV exports leave the cell empty.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain
from typing import Literal

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import charts
from dashboard.context import STATIC_URL, PageContext
from i18n import formatting as fmt
from ingest import safe_write

Kind = Literal[
    "text", "code", "int", "num1", "num2", "score", "pct", "pct1", "date", "datetime", "bool", "list"
]
MAX_ROWS_SHOWN = 2000
STYLED_ROWS = 400
CSV_DELIMITERS = {"fr": ";", "ar": ";", "en": ","}
#: Selectbox values standing for "no organisation" and "no principle" (Streamlit shows None as unset).
NETWORK = "__network__"
COMPOSITE = "__composite__"
PLOTLY_CONFIG = {"displaylogo": False, "topojsonURL": STATIC_URL, "responsive": True}
#: What every table shows for a missing value (a data grid would write "None").
MISSING = fmt.DASH


@dataclass(frozen=True)
class Col:
    """A column to show: its translated label, how to format it, and a width hint."""

    label: str
    kind: Kind = "text"
    width: Literal["small", "medium", "large"] | None = None


def _display(value: object, kind: Kind, ctx: PageContext) -> str:
    if value is None:
        return MISSING
    if kind == "int":
        return ctx.num(value, 0)
    if kind == "num1":
        return ctx.num(value, 1)
    if kind == "num2":
        return ctx.num(value, 2)
    if kind == "score":
        return ctx.score(value)
    if kind == "pct":
        return ctx.pct(value)
    if kind == "pct1":
        return ctx.pct(value, 1)
    if kind == "date":
        return ctx.date(value) if isinstance(value, date | datetime) else str(value)
    if kind == "datetime":
        return ctx.when(value) if isinstance(value, datetime) else str(value)
    if kind == "bool":
        return ctx.t("common.yes") if value else ctx.t("common.no")
    if kind == "code":  # a code or a value as typed: kept in its own direction inside Arabic text
        return fmt.isolate(str(value), ctx.lang)
    if kind == "list":
        return ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
    return str(value)


def _formatter(kind: Kind, ctx: PageContext) -> Callable[[object], str]:
    """A cell's text: :data:`MISSING` for None and NaN whatever the kind, else :func:`_display`."""

    def format_value(value: object) -> str:
        try:
            import pandas as pd

            if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
                return MISSING
        except (TypeError, ValueError):
            pass
        return _display(value, kind, ctx)

    return format_value


def table(
    ctx: PageContext,
    frame: pl.DataFrame,
    columns: dict[str, Col],
    *,
    key: str,
    height: int | Literal["auto"] = "auto",
    download: str | None = None,
) -> None:
    """A sortable table with locale-formatted cells; ``download`` adds a CSV export of all rows.

    Up to ``STYLED_ROWS`` rows the cells are formatted on the server for the session's language
    (pandas Styler); longer tables let the browser format numbers (``column_config``), which
    keeps a 2,000-organisation page as fast as a 40-organisation one.
    """
    shown = frame.select(list(columns)).head(MAX_ROWS_SHOWN)
    data = shown.to_pandas()
    # Right to left: the first column goes to the right — unless the grid would scroll, which
    # starts at the left edge and would hide it (wide tables keep their order).
    narrow = len(columns) <= 7 and not any(col.width == "large" for col in columns.values())
    order = list(columns)[::-1] if ctx.rtl and narrow else list(columns)
    if shown.height <= STYLED_ROWS:
        body = data.style.format(
            {name: _formatter(col.kind, ctx) for name, col in columns.items()}, na_rep=MISSING
        )
        config = {name: st.column_config.Column(col.label, width=col.width) for name, col in columns.items()}
    else:
        for name, col in columns.items():
            if col.kind in ("pct", "pct1"):
                data[name] = data[name] * 100
        body = data
        config = {name: _browser_column(col) for name, col in columns.items()}
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
        st.caption(ctx.t("common.rows_shown", shown=ctx.num(MAX_ROWS_SHOWN), total=ctx.num(frame.height)))
    if download:
        csv_download(ctx, frame, columns, download, key=f"{key}_csv")


def _browser_column(col: Col):
    """Formatting done by the browser, for long tables (see :func:`table`)."""
    formats = {
        "int": "%d",
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

    shown = frame.select(list(columns)).head(max_rows)
    data = pd.DataFrame(
        {
            col.label: [
                _formatter(col.kind, ctx)(v).translate(_MARKDOWN) for v in shown.get_column(name).to_list()
            ]
            for name, col in columns.items()
        }
    )
    st.table(data, hide_index=True)
    if frame.height > max_rows:
        st.caption(ctx.t("common.rows_shown", shown=ctx.num(max_rows), total=ctx.num(frame.height)))
    if download:
        csv_download(ctx, frame, columns, download, key=f"{key}_csv")


def _csv_cell(value: object, col: Col, ctx: PageContext) -> object:
    """What :func:`to_csv` hands the writer: numbers as numbers (percentages in points), the rest
    as the text a person reads in the table."""
    if value is None:
        return None
    if isinstance(value, bool) or col.kind in ("text", "code", "list", "date", "datetime"):
        return _display(value, col.kind, ctx) if col.kind == "list" else str(value)
    if isinstance(value, int | float):
        return value * 100 if col.kind in ("pct", "pct1") else value
    return str(value)


def to_csv(ctx: PageContext, frame: pl.DataFrame, columns: dict[str, Col]) -> bytes:
    """CSV as the user's Excel opens it: BOM, ``;`` and decimal comma in fr/ar; every text cell,
    header included, quoted and neutralised by ``ingest.safe_write``."""
    cols = list(columns.values())
    rows = (
        [_csv_cell(v, col, ctx) for v, col in zip(row, cols, strict=True)]
        for row in frame.select(list(columns)).iter_rows()
    )
    decimal = "," if ctx.lang in ("fr", "ar") else "."
    header = [col.label for col in cols]
    return safe_write.csv_bytes(chain([header], rows), CSV_DELIMITERS.get(ctx.lang, ","), decimal=decimal)


def to_xlsx(ctx: PageContext, frame: pl.DataFrame, columns: dict[str, Col]) -> bytes:
    """XLSX of the same rows: numbers stay numbers, text (header included) is written as text by
    ``ingest.safe_write``, never a formula, quote-prefixed when a spreadsheet could run it."""
    out = io.BytesIO()
    book = safe_write.xlsx_workbook(out, in_memory=True)
    text = safe_write.XlsxText(book)
    sheet = book.add_worksheet("Athar")
    if ctx.rtl:
        sheet.right_to_left()
    dated = book.add_format({"num_format": "yyyy-mm-dd"})
    stamped = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    percent = book.add_format({"num_format": "0.0%"})
    text.write_row(sheet, 0, 0, [col.label for col in columns.values()], {"bold": True})
    for i, row in enumerate(frame.select(list(columns)).iter_rows(), start=1):
        for j, (value, col) in enumerate(zip(row, columns.values(), strict=True)):
            if value is None or (isinstance(value, float) and value != value):
                continue
            if isinstance(value, bool):
                text.write(sheet, i, j, ctx.t("common.yes") if value else ctx.t("common.no"))
            elif isinstance(value, int | float) and col.kind not in ("text", "code"):
                sheet.write_number(i, j, float(value), percent if col.kind in ("pct", "pct1") else None)
            elif isinstance(value, datetime):
                sheet.write_datetime(i, j, value, stamped)
            elif isinstance(value, date):
                sheet.write_datetime(i, j, datetime(value.year, value.month, value.day), dated)
            else:
                text.write(sheet, i, j, _display(value, col.kind, ctx) if col.kind == "list" else value)
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(
    ctx: PageContext,
    label: str,
    make: Callable[[], bytes | str],
    file_name: str,
    mime: str,
    *,
    key: str,
    **kwargs,
) -> None:
    """A download button whose data is produced at click time, after access is checked again."""
    from dashboard.access import guarded

    data = make
    if ctx.identity is not None:
        data = guarded(ctx.store, ctx.identity, file_name, make, ctx.t("access.download_refused"))
    st.download_button(label, data=data, file_name=file_name, mime=mime, key=key, on_click="ignore", **kwargs)


def csv_download(
    ctx: PageContext, frame: pl.DataFrame, columns: dict[str, Col], file_name: str, *, key: str
) -> None:
    """CSV and XLSX exports of ``frame`` (all its rows; the viewer's scope was applied by the read)."""
    with st.container(horizontal=True, gap="small"):
        download(
            ctx,
            ctx.t("common.download_csv"),
            lambda: to_csv(ctx, frame, columns),
            file_name,
            "text/csv",
            key=key,
            icon=":material/download:",
        )
        download(
            ctx,
            ctx.t("common.download_xlsx"),
            lambda: to_xlsx(ctx, frame, columns),
            file_name.removesuffix(".csv") + ".xlsx",
            XLSX_MIME,
            key=f"{key}_xlsx",
            icon=":material/table_view:",
        )


def chart(
    ctx: PageContext,
    figure: go.Figure,
    frame: pl.DataFrame,
    columns: dict[str, Col],
    *,
    key: str,
    file_name: str,
    caption: str | None = None,
) -> None:
    """A chart, then (folded) the table it was drawn from and its CSV download."""
    st.plotly_chart(figure, config=PLOTLY_CONFIG, key=key, width="stretch")
    if caption:
        st.caption(caption)
    with st.expander(ctx.t("common.data_behind_chart")):
        table(ctx, frame, columns, key=f"{key}_table", download=file_name)


def uploader_text(ctx: PageContext, kind: str | None, name: str | None, text: str | None) -> str | None:
    """Who uploaded a submission, as people say it: "membre — <name>", "comité de pilotage"…

    ``kind``, ``name`` and ``text`` are ``store.reads.uploads.submissions``' ``uploader_kind``,
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
    """The submissions log (``store.reads.uploads.submissions``): status and uploader in the reader's words."""
    log = log.with_columns(
        status_label=pl.col("status").map_elements(
            lambda s: ctx.t(f"submission_status.{s}"), return_dtype=pl.String
        ),
        uploader=pl.struct("uploader_kind", "uploader_name", "uploader_text").map_elements(
            lambda r: uploader_text(ctx, r["uploader_kind"], r["uploader_name"], r["uploader_text"]),
            return_dtype=pl.String,
        ),
    )
    table(
        ctx,
        log,
        {
            "id": Col(ctx.t("common.submission"), "int"),
            **({"org_code": Col(ctx.t("common.code"))} if with_org else {}),
            "file_name": Col(ctx.t("common.file")),
            "uploaded_at": Col(ctx.t("common.uploaded_at"), "datetime"),
            "uploader": Col(ctx.t("common.uploaded_by")),
            "status_label": Col(ctx.t("common.status")),
            "row_count": Col(ctx.t("common.values_n"), "int"),
            "issues": Col(ctx.t("common.warnings_n"), "int"),
        },
        key=key,
        download=download,
    )


def empty(ctx: PageContext, key: str, **params: object) -> None:
    """An empty state that says what to do next."""
    st.info(ctx.t(key, **params), icon=":material/info:")


def metric(
    ctx: PageContext,
    label: str,
    value: str,
    change: float | None = None,
    *,
    digits: int = 1,
    help: str | None = None,
    chart_data: Sequence[float] | None = None,
) -> None:
    """``st.metric`` with a locale-formatted change (arrow from the number, not the text)."""
    if change is None:
        st.metric(label, value, help=help, chart_data=chart_data, border=True)
        return
    rounded = round(change, digits)
    st.metric(
        label,
        value,
        delta=ctx.signed(change, digits),
        delta_arrow="up" if rounded > 0 else "down" if rounded < 0 else "off",
        help=help,
        chart_data=chart_data,
        border=True,
    )


def period_select(ctx: PageContext, *, key: str = "period", label_key: str = "common.period") -> str | None:
    """The scored periods, latest first; the choice is shared by the pages of a session."""
    periods = list(reversed(ctx.periods))
    if not periods:
        return None
    remember(key, periods)
    return st.selectbox(ctx.t(label_key), periods, key=key)


def remember(key: str, options: Sequence[object]) -> None:
    """Keep a picker's choice across pages (Streamlit drops the state of widgets not shown)."""
    keep = f"_keep_{key}"
    current = st.session_state.get(key)
    if current in options:
        st.session_state[keep] = current
    elif st.session_state.get(keep) not in options:
        st.session_state[keep] = options[0]
    st.session_state[key] = st.session_state[keep]


def previous_period(ctx: PageContext, period: str) -> str | None:
    periods = ctx.periods
    index = periods.index(period) if period in periods else -1
    return periods[index - 1] if index > 0 else None


def org_select(ctx: PageContext, *, key: str = "org", allow_network: bool = False) -> str | None:
    """The organisation to look at: a member's own, or one of the visible ones (None = network)."""
    from store.reads import common as common_reads

    if ctx.viewer.role == "member":
        return ctx.viewer.org_code
    orgs = ctx.q(common_reads.organisations, ctx.lang)
    names = dict(zip(orgs["org_code"].to_list(), orgs["name"].to_list(), strict=True))
    options = ([NETWORK] if allow_network else []) + list(names)
    if not options:
        return None
    remember(key, options)
    choice = st.selectbox(
        ctx.t("common.organisation"),
        options,
        key=key,
        format_func=lambda code: (
            ctx.t("common.whole_network") if code == NETWORK else f"{code} — {names[code]}"
        ),
    )
    return None if choice == NETWORK else choice


def principle_select(ctx: PageContext, *, key: str, label: str | None = None) -> str | None:
    """A principle in scope, or the composite (returned as None)."""
    options = [COMPOSITE if code is None else code for code in ctx.series_codes]
    remember(key, options)
    choice = st.selectbox(
        label or ctx.t("common.principle"),
        options,
        key=key,
        format_func=lambda code: ctx.principle_label(None if code == COMPOSITE else code),
    )
    return None if choice == COMPOSITE else choice


def org_title(ctx: PageContext, org_code: str) -> str:
    from store.reads import common as common_reads

    orgs = ctx.q(common_reads.organisations, ctx.lang)
    match = orgs.filter(pl.col("org_code") == org_code)
    return f"{match['name'][0]} ({org_code})" if match.height else org_code


def wrap(text: str, width: int = 18) -> str:
    """Break a chart label into lines of about ``width`` characters (Plotly reads ``<br>``)."""
    return charts.wrap_label(text, width)


def badge(text: str) -> str:
    return f'<span class="athar-badge">{text}</span>'


def labels(name: Callable[[object], str], column: pl.Expr) -> pl.Expr:
    """Translate every value of ``column`` with ``name`` — nulls included (None = the composite)."""
    return column.map_batches(
        lambda values: pl.Series([name(v) for v in values.to_list()], dtype=pl.String), return_dtype=pl.String
    )
