"""The form's narratives: a text area per principle (and an evidence link), checked and stored with
the form's values through ``ingest.pipeline`` (``ingest.narratives.form_found``), as a file's
``Récit`` sheet is."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.context import PageContext
from i18n import formatting as fmt
from ingest.narratives import form_found
from store.narratives import LANGUAGES, MAX_LENGTH


def _key(org: str, period: str, principle: str, what: str) -> str:
    return f"narr_form_{org}_{period}_{principle}_{what}"


def fields(ctx: PageContext, org: str, period: str) -> None:
    """Inside the form: the language of the narratives, then a text area and a link per principle."""
    st.subheader(ctx.t("narr.form.title"))
    st.text(ctx.t("narr.form.intro", limit=fmt.number(MAX_LENGTH, ctx.lang)))
    st.selectbox(ctx.t("narr.form.language"), LANGUAGES, index=LANGUAGES.index(ctx.lang),
                 format_func=lambda code: ctx.t(f"narr.view.lang_{code}"), key=_key(org, period, "all", "lang"))
    for principle in ctx.principle_codes:
        label = ctx.principle_label(principle)
        st.text_area(ctx.t("narr.form.text", principle=label), max_chars=MAX_LENGTH,
                     key=_key(org, period, principle, "text"))
        st.text_input(ctx.t("narr.form.evidence", principle=label), key=_key(org, period, principle, "evidence"))


def typed(ctx: PageContext, org: str, period: str) -> pl.DataFrame:
    """What was typed, as found narratives of ``org`` for the year of ``period`` (narratives go beside
    the scores, which are yearly; the pipeline checks them)."""
    state = st.session_state
    lang = state.get(_key(org, period, "all", "lang")) or ctx.lang
    codes = ctx.principle_codes
    entries = pl.DataFrame({
        "principle": codes,
        "lang": [lang] * len(codes),
        "text": [state.get(_key(org, period, p, "text")) or "" for p in codes],
        "evidence_url": [state.get(_key(org, period, p, "evidence")) or "" for p in codes],
    }, schema=dict.fromkeys(("principle", "lang", "text", "evidence_url"), pl.String))
    return form_found(entries, org, period[:4])[0]
