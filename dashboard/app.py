"""Athar dashboard entry point: build the session, then route to the pages this viewer may see.

Run from the checkout:
    python -m streamlit run dashboard/app.py --server.headless=true --server.port=8501 \
        --server.address=127.0.0.1 --browser.gatherUsageStats=false --server.fileWatcherType=none
The database is ``ATHAR_DB`` (default ``data/athar.duckdb``); pages live in ``dashboard/screens/`` (see its docstring).
Whatever a page raises is logged with its trace and shown as ``dashboard.app.unexpected_error`` in
the viewer's language: no traceback ever reaches a viewer, whatever ``client.showErrorDetails`` says.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Scoring from the Framework page runs here: one OpenBLAS thread, as `python -m metrics` (see there).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import logging

import streamlit as st

from dashboard import favicon, gc_freeze, logsafe, review_labels, share_link
from dashboard.access import record_page_view, take_wanted_page
from dashboard.navigation import HOME, build_navigation, pages_for
from dashboard.session import start_session
from i18n import normalise_language, t
from store.errors import DatabaseUnreachable

logsafe.install()
# A local icon: a ":material/…:" page icon makes the browser fetch it from Google's CDN. As a data URL:
# a file path was served as a media file and fetched again on every page switch (dashboard/favicon.py).
st.set_page_config(page_title="Athar — أثر", page_icon=favicon.data_url(), layout="wide")
gc_freeze.after_warm_up()  # Streamlit's collection after each run walks only what runs create
try:
    context = start_session()
    page = build_navigation(context.viewer, lambda key: context.t(f"nav.{key}"))
    review_labels.show(context)  # scores resting on values not yet approved are provisional
    wanted = take_wanted_page()  # the address opened before sign-in: go there now, if this viewer may
    if wanted and wanted != page.url_path:
        for spec in pages_for(context.viewer):
            if spec.key == wanted:
                st.switch_page(spec.file, query_params=st.query_params.to_dict())
    if page.url_path not in ("", HOME):  # the hidden root only switches to the first page: not a view
        record_page_view(context.store, context.identity, page.url_path)
    page.run()
    share_link.show(context)  # the address of what was just shown, never a token
except DatabaseUnreachable as gone:  # PostgreSQL went out of reach under the session: its own words, no trace
    logging.getLogger("dashboard.app").error("database unreachable: %s", gone.__cause__)
    lang = normalise_language(st.session_state.get("_keep_lang") or st.query_params.get("lang"))
    st.error(gone.message(lang), icon=":material/error:")
except Exception:  # noqa: BLE001 — never a traceback on screen (st.stop and st.rerun are not Exceptions)
    logging.getLogger("dashboard.app").exception("the page failed")
    lang = normalise_language(st.session_state.get("_keep_lang") or st.query_params.get("lang"))
    st.error(t("dashboard.app.unexpected_error", lang), icon=":material/error:")
