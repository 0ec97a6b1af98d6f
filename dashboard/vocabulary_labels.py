"""An indicator as a funder names it: its IRIS+ metric ID or SDG targets beside Athar's code and name.

One labelling function (:func:`indicator_label`) for every indicator label a funder reads (tables,
pickers) and the export column a vocabulary adds (:func:`with_export_column`). Pure: the caller
(``PageContext.indicator_label``) passes the name it already shows and the framework's indicator.
"""

from __future__ import annotations

import polars as pl

from framework.mappings import EXPORT_COLUMNS, VOCABULARIES, funder_prefix, mapping_frame
from i18n import t

#: The funder's identifiers as shown (one function for pages and report cards).
prefix = funder_prefix


def indicator_label(
    code: str, name: str, iris: str | None, sdg: tuple[str, ...], vocabulary: str, lang: str
) -> str:
    """``R01 · Bénéficiaires directs`` (Athar's vocabulary), ``PI4060 · R01 — Bénéficiaires directs``
    (a funder's), or ``R01 — Bénéficiaires directs (pas d'équivalent IRIS+)`` when unmapped."""
    if vocabulary not in VOCABULARIES or vocabulary == "athar":
        return f"{code} · {name}"
    shown = prefix(iris, sdg, vocabulary, lang)
    if shown is None:
        return t("vocab.label_unmapped", lang, code=code, name=name, none=t(f"vocab.none_{vocabulary}", lang))
    return t("vocab.label_mapped", lang, ids=shown, code=code, name=name)


def with_export_column(frame: pl.DataFrame, framework, vocabulary: str) -> tuple[pl.DataFrame, str | None]:
    """``frame`` with the vocabulary's export column (``iris_metric`` or ``sdg_targets``) and its name,
    for a table of indicators (one with ``indicator_code``); ``(frame, None)`` otherwise."""
    column = EXPORT_COLUMNS.get(vocabulary)
    if column is None or "indicator_code" not in frame.columns or column in frame.columns:
        return frame, None
    mapping = mapping_frame(framework).select("indicator_code", column)
    return frame.join(mapping, on="indicator_code", how="left", maintain_order="left"), column
