"""The report card's download button on the profile page (committee, the member for itself, a funder
link that opens the profile page).

The PDF is made when the person clicks (``st.download_button`` with a callable, through
``dashboard.exports.download``): access is checked again then, the card is made with the session's
viewer (its scope and pinned run), its SHA-256 goes to the audit log, and a funder's download
counts as a use of the link, with the file's name.
"""

from __future__ import annotations

import streamlit as st

from dashboard import exports
from dashboard.context import PageContext
from i18n import t
from report import make
from store.report_cards import CardRefused


def produce(ctx: PageContext, org_code: str, period: str) -> bytes:
    """The card's PDF for the session's viewer, audited (the refusal's words if it is not theirs)."""
    try:
        return make.card(ctx.store, ctx.viewer, org_code, period, ctx.lang, actor=ctx.actor).pdf
    except CardRefused as exc:  # the page's pickers are scoped: a refusal here is a race
        return exc.message(ctx.lang).encode("utf-8")


def button(ctx: PageContext, org_code: str, period: str) -> None:
    """One button: the card of ``org_code`` in ``period``, in the session's language."""
    if not ctx.viewer.allows_page("profile"):
        return
    file_name = f"athar_card_{org_code}_{period}_{ctx.lang}.pdf"
    with st.container(horizontal=True, gap="small"):
        exports.download(
            ctx,
            t("card.download.button", ctx.lang),
            lambda: produce(ctx, org_code, period),
            file_name,
            "application/pdf",
            key="profile_report_card",
            icon=":material/picture_as_pdf:",
            help=t("card.download.help", ctx.lang),
        )
