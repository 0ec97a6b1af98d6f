"""Page CSS: fonts for Arabic, and right-to-left layout when the language is Arabic.

Streamlit has no RTL mode, so the main area and the sidebar get ``direction: rtl`` (labels,
text, inputs, buttons, metrics, expanders follow), metric values and deltas are isolated so
``+1,3`` never turns into ``1,3+``, and Plotly charts and the data grid stay left-to-right
(charts mirror their axes themselves where it reads naturally, see ``charts.py``).
"""

from __future__ import annotations

import streamlit as st

from i18n import RTL_LANGUAGES, t
from i18n import formatting as fmt

RTL_MARKER = "athar-rtl"
BASE_CSS = """
.athar-attribution { font-size: 0.75rem; opacity: 0.75; }
/* A long figure (the reach range "18 956 – 138 328" in a quarter of the page) wraps rather than
   being cut to "18 956 – 13…" (in Arabic the cut even moved the ellipsis to the wrong end). */
[data-testid="stMetricValue"] > div { white-space: normal; text-overflow: clip; overflow-wrap: anywhere; }
.athar-badge { display: inline-block; padding: 0.05rem 0.5rem; border-radius: 0.75rem;
  background: rgba(46, 125, 50, 0.12); color: #2e7d32; font-size: 0.85rem; margin-inline-end: 0.25rem; }
/* A member's narrative reads in its own language's direction, whatever the page's: a French text on an
   Arabic page ends with its full stop on the right, an Arabic text on a French page starts on the right. */
[class*="st-key-narrtext-ltr"] [data-testid="stText"] { direction: ltr; text-align: left; }
[class*="st-key-narrtext-rtl"] [data-testid="stText"] { direction: rtl; text-align: right; }
"""
RTL_CSS = """
/* athar-rtl: Arabic reads right to left */
.stApp, [data-testid="stSidebar"], [data-testid="stMain"], [data-testid="stMainBlockContainer"],
[data-testid="stSidebarContent"], [data-testid="stSidebarNav"], [data-testid="stHeader"] {
  direction: rtl;
}
[data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"], [data-testid="stWidgetLabel"],
[data-testid="stMetric"], [data-testid="stExpander"] summary, [data-testid="stAlertContent"],
[data-testid="stTable"], [data-testid="stTable"] th, [data-testid="stTable"] td,
h1, h2, h3, h4, h5, h6, p, li, label {
  text-align: right;
}
[data-testid="stMetricValue"], [data-testid="stMetricDelta"] {
  direction: ltr; unicode-bidi: plaintext; justify-content: flex-end;
}
[data-testid="stMetricDelta"] { flex-direction: row-reverse; }
[data-testid="stMarkdownContainer"] ul, [data-testid="stMarkdownContainer"] ol {
  padding-right: 1.5em; padding-left: 0;
}
[data-testid="stPlotlyChart"], .js-plotly-plot, [data-testid="stDataFrame"], [data-testid="stDataFrameResizable"] {
  direction: ltr;
}
[data-testid="stSidebarNav"] a { flex-direction: row; text-align: right; }
/* Dropdowns open in a left-to-right layer outside the page: their options ("7 دجنبر 2026") read right to left. */
[data-testid="stSelectboxVirtualDropdown"], [data-testid="stMultiSelectDropdown"] { direction: rtl; text-align: right; }
bdi { unicode-bidi: isolate; }
/* The sidebar sits on the right in Arabic, but Streamlit collapses it by sliding it left (a negative
   translateX written for a left-hand sidebar): in a right-to-left row that leaves its content as a
   narrow strip over the page, one letter per line. A collapsed sidebar is taken out of the page
   instead (not merely made invisible: some of Streamlit's blocks set their own visibility). */
[data-testid="stSidebar"][data-collapsed="true"], [data-testid="stSidebar"][aria-expanded="false"] {
  display: none !important;
}
/* The sidebar opens from the right: its open and close chevrons point the other way. */
[data-testid="stSidebarCollapseButton"] [data-testid="stIconMaterial"],
[data-testid="stExpandSidebarButton"] [data-testid="stIconMaterial"] { display: inline-block; transform: scaleX(-1); }
/* A metric value may be a number ("+1,3") or a sentence ("11 من أصل 35"): plaintext gives each its
   own direction from its first strong letter, numbers left to right and Arabic sentences right to left. */
[data-testid="stMetricValue"] *, [data-testid="stMetricDelta"] * { unicode-bidi: plaintext; }
"""


def _css_text(text: str) -> str:
    """``text`` as a CSS string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def widget_text_css(lang: str) -> str:
    """Streamlit's own English in the file uploader ("Upload", "50MB per file", "Drag and drop…") and
    in an empty dropdown ("No results", when a typed filter matches nothing) replaced by the
    catalogue's text: Streamlit 1.67 has no option to translate them (its select widgets hard-code
    the ``en-US`` locale).

    The English is hidden with ``visibility: hidden`` (so it is neither seen nor part of the page's
    text) and the translation drawn by a pseudo-element of the same box.
    """
    limit = t("reading.uploader_limit", lang, size=fmt.number(st.get_option("server.maxUploadSize"), lang))
    return f"""
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"] p,
[data-testid="stFileUploaderDropzoneInstructions"] span, [data-testid="stFileUploaderDropzone"] > div > span {{
  visibility: hidden; font-size: 0;
}}
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"] p::after {{
  content: {_css_text(t("reading.uploader_button", lang))}; visibility: visible; font-size: 0.875rem;
}}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {{
  content: {_css_text(limit)}; font-size: 0.875rem; opacity: 0.7;
}}
/* "Press Enter to submit form" / "Press Enter to apply" under a focused text input: English only. */
[data-testid="InputInstructions"] {{ visibility: hidden; }}
[role="listbox"][data-empty="true"] [role="option"] > span {{ visibility: hidden; font-size: 0; }}
[role="listbox"][data-empty="true"] [role="option"] > span::after {{
  content: {_css_text(t("reading2.no_match", lang))}; visibility: visible; font-size: 0.875rem;
}}
"""


def css_for(lang: str) -> str:
    """The CSS of one language (tests check the RTL rules are there for Arabic only)."""
    return BASE_CSS + widget_text_css(lang) + (RTL_CSS if lang in RTL_LANGUAGES else "")


def inject(lang: str) -> None:
    direction = "rtl" if lang in RTL_LANGUAGES else "ltr"
    st.html(f'<style id="athar-style" data-dir="{direction}">{css_for(lang)}</style>')
