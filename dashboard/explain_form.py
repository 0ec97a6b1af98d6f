"""Explaining unusual values before they are stored: the upload preview and the in-app form ask the
member, for each value the consistency rule flags, a short explanation or a correction.

Two calls, the same for a file and the form (one source of truth):

- :func:`flagged_incoming` — the incoming values the rule flags (``metrics.outliers.incoming_unusual``:
  robust z against the organisation's own stored history, as the scoring run does), read through
  ``store.reads.quality.stored_series`` for the viewer;
- :func:`ask` — one short text box per flagged value (the largest deviations first), returning the
  answers as a frame to hand to ``ingest.pipeline.commit(..., explanations=answers)`` (the form:
  ``explanation_origin="form"``), which stores them with the values and audits them in the upload's
  own transaction (``store.explanations``). A value left unexplained is stored all the same: the flag
  asks a question, it never blocks a file.
"""

from __future__ import annotations

import hashlib

import polars as pl
import streamlit as st

from dashboard import tables
from dashboard.cells import Col
from dashboard.context import PageContext
from i18n import plural_key, t
from metrics.outliers import incoming_unusual
from store import explanations as explaining
from store.explanations import KEY, MAX_LENGTH, ExplanationRefused
from store.reads import quality as quality_reads

MESSAGE_KEY = "_explain_message"
#: Text boxes shown at most (largest deviations first); the rest are counted in a caption.
MAX_ASKED = 25


def text(ctx: PageContext, key: str, **params: object) -> str:
    return t(f"explain.page.{key}", ctx.lang, **params)


def flagged_incoming(ctx: PageContext, rows: pl.DataFrame) -> pl.DataFrame:
    """The values of ``rows`` (validated rows of a file or the form) that the consistency rule flags
    against the stored history of their organisation, largest deviation first."""
    if rows.is_empty():
        return rows
    orgs = tuple(sorted(rows.get_column("org_code").unique().drop_nulls().to_list()))
    indicators = tuple(sorted(rows.get_column("indicator_code").unique().drop_nulls().to_list()))
    stored = ctx.q(quality_reads.stored_series, orgs, indicators)
    return incoming_unusual(rows, stored, ctx.framework_in_use.meta.quality)


def _widget_key(prefix: str, row: dict) -> str:
    """A stable widget key per value (its key), so an answer survives reruns and reordering."""
    digest = hashlib.sha1("|".join(str(row.get(k)) for k in KEY).encode("utf-8")).hexdigest()[:16]
    return f"{prefix}_{digest}"


def ask(ctx: PageContext, flagged: pl.DataFrame, *, key: str) -> pl.DataFrame:
    """One text box per flagged value; the non-empty answers as (``KEY`` columns, ``value``,
    ``explanation``). Nothing is shown and an empty frame returned when nothing is flagged."""
    answers_schema = {**dict.fromkeys(KEY, pl.String), "value": pl.Float64, "explanation": pl.String}
    if flagged.is_empty():
        return pl.DataFrame(schema=answers_schema)
    settings = ctx.framework_in_use.meta.quality
    st.warning(ctx_tn(ctx, "flagged_title", flagged.height), icon=":material/help:")
    st.caption(text(ctx, "flagged_intro", z=ctx.num(settings.outlier_z, 1)))
    shown = flagged.head(MAX_ASKED).with_columns(breakdown=tables.breakdown_label(ctx, flagged.head(MAX_ASKED)))
    answers = []
    for row in shown.iter_rows(named=True):  # one widget per value asked (at most MAX_ASKED)
        unit = ctx.unit_label(row["unit"]) if row.get("unit") else ""
        label = text(
            ctx, "question", indicator=f"{row['indicator_code']} · {ctx.indicator_name(row['indicator_code'])}",
            period=row["period"], breakdown=row["breakdown"], value=ctx.num(row["value"], 2), unit=unit,
            usual=ctx.num(row["usual_level"], 2),
        )
        answer = st.text_input(label, key=_widget_key(key, row), max_chars=MAX_LENGTH,
                               placeholder=text(ctx, "placeholder"), help=text(ctx, "help"))
        if answer and answer.strip():
            answers.append({**{k: row.get(k) for k in KEY}, "value": row["value"], "explanation": answer.strip()})
    if flagged.height > MAX_ASKED:
        st.caption(ctx_tn(ctx, "more_flagged", flagged.height - MAX_ASKED))
    return pl.DataFrame(answers, schema=answers_schema, orient="row") if answers else pl.DataFrame(
        schema=answers_schema
    )


def ctx_tn(ctx: PageContext, key: str, count: int, **params: object) -> str:
    """A counted string of this part (``explain.page.<key>``), the count written for the language."""
    return t(plural_key(f"explain.page.{key}", int(count), ctx.lang), ctx.lang, count=ctx.num(count), **params)


def value_columns(ctx: PageContext) -> dict[str, Col]:
    """The columns beside a value: the organisation's explanation, the source it cites, its notes."""
    return {
        "explanation": Col(text(ctx, "explanation"), width="large"),
        "source": Col(text(ctx, "source"), width="medium"),
        "notes": Col(text(ctx, "notes"), width="medium"),
    }


def explain_stored(ctx: PageContext, flagged: pl.DataFrame) -> None:
    """A member explains afterwards a value of its own the scoring run flagged (``flagged``: the
    quality page's unusual values); stored and audited by ``store.explanations.explain``."""
    kind, message = st.session_state.pop(MESSAGE_KEY, (None, None))
    if kind == "error":
        st.error(message, icon=":material/block:")
    elif kind == "success":
        st.success(message, icon=":material/check_circle:")
    if ctx.viewer.role != "member" or flagged.is_empty():
        return
    mine = flagged.filter((pl.col("org_code") == ctx.viewer.org_code) & pl.col("explanation").is_null())
    if mine.is_empty():
        return
    st.markdown(f"**{text(ctx, 'afterwards_title')}**")
    rows = {_widget_key("v", r): r for r in mine.iter_rows(named=True)}
    chosen = st.selectbox(
        text(ctx, "afterwards_value"), list(rows), key="explain_after_value",
        format_func=lambda k: text(ctx, "afterwards_option", indicator=rows[k]["indicator_code"],
                                   period=rows[k]["period"], breakdown=rows[k]["breakdown"],
                                   value=ctx.num(rows[k]["value"], 2)),
    )
    answer = st.text_input(text(ctx, "afterwards_text"), key="explain_after_text", max_chars=MAX_LENGTH,
                           placeholder=text(ctx, "placeholder"))
    if st.button(text(ctx, "afterwards_save"), key="explain_after_save", icon=":material/edit_note:"):
        row = rows[chosen]
        try:
            explaining.explain(ctx.store, row["org_code"], row["indicator_code"], row["period"], answer,
                               breakdown={k: row.get(k) for k in KEY[3:]}, actor=ctx.actor, origin="page")
        except ExplanationRefused as exc:
            st.session_state[MESSAGE_KEY] = ("error", exc.message(ctx.lang))
        else:
            st.session_state[MESSAGE_KEY] = ("success", text(ctx, "afterwards_saved"))
        st.rerun()
