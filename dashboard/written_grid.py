"""A data grid's cell texts written once, for ``st.dataframe`` to send beside the numbers.

``st.dataframe`` shows a pandas Styler's display values over the data (so columns keep sorting as
numbers). To get them, Streamlit has pandas render every cell into its HTML model
(``Styler._translate``) and reads only the texts back: most of a table's server time, on every
page switch (issue 15). :func:`written_styler` gives a Styler whose texts are already written — the
same formatters, each distinct value once — and whose translation hands Streamlit the finished frame
of texts (:func:`display_frame`). Streamlit's own ``_use_display_values`` rebuilt it from one
``row<r>_col<c>`` cell per value: every column cast to text, then each written back into pandas
(15–25 ms of a table page's run); :func:`install` has it take the finished frame when a written
Styler gives one, and leaves any other Styler to Streamlit. A column without a formatter keeps its
plain text (only hidden columns: units, exports).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd
from pandas import DataFrame
from pandas.io.formats.style import Styler
from streamlit.elements.lib import pandas_styler_utils

#: The key of a written Styler's translation that holds its finished frame of texts.
WRITTEN = "athar_display_frame"
#: Streamlit's own ``_use_display_values`` (any Styler that is not a written one).
streamlit_display_values = getattr(
    pandas_styler_utils._use_display_values, "__wrapped__", pandas_styler_utils._use_display_values
)


def written_styler(data: DataFrame, texts: dict[str, list[str]]) -> Styler:
    """A pandas Styler of ``data`` showing ``texts`` (column name → one text per row).

    A plain Styler (Streamlit recognises the exact type only) whose ``_translate`` — the one call
    Streamlit makes to read the texts — returns them as they are, instead of rendering each cell:
    no cells in ``body``, the finished frame under :data:`WRITTEN` (read by :func:`install`'s hook).
    """
    install()
    styler = Styler(data)

    def translate(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        return {"body": [], "cellstyle": [], "table_styles": [], WRITTEN: display_frame(data, texts)}

    styler._translate = translate  # type: ignore[method-assign]
    return styler


def display_frame(data: DataFrame, texts: dict[str, list[str]]) -> DataFrame:
    """The frame of texts the grid shows, as Streamlit's ``_use_display_values`` makes it from one
    cell per value (``data.astype(str)``, then each cell's text written in): a written column is its
    texts (a cell left plain is a text equal to its value), any other its values as text."""
    columns = {
        name: pd.Series(texts[name], index=data.index, dtype=str) if name in texts else data[name].astype(str)
        for name in data.columns
    }
    return DataFrame(columns, index=data.index, columns=data.columns)


def _use_display_values(df: DataFrame, styles: Any) -> DataFrame:
    written = styles.get(WRITTEN)
    return written if written is not None else streamlit_display_values(df, styles)


_use_display_values.__wrapped__ = streamlit_display_values  # type: ignore[attr-defined]


def install() -> None:
    """Streamlit takes a written Styler's finished frame (:func:`display_frame`); idempotent."""
    if pandas_styler_utils._use_display_values is not _use_display_values:
        pandas_styler_utils._use_display_values = _use_display_values


#: Texts kept across runs and sessions (:func:`kept`), per kind, language and digits; emptied when full.
_KEPT: dict[tuple, dict[tuple, str]] = {}
KEPT_TEXTS = 20_000


def kept(key: tuple) -> dict[tuple, str]:
    """The texts written so far under ``key`` (a formatter's kind, language, digits), shared by every
    session: a cell's text depends on its value and on ``key`` only."""
    written = _KEPT.get(key)
    if written is None or len(written) >= KEPT_TEXTS:
        written = _KEPT[key] = {}
    return written


def _exact(value: object) -> tuple | None:
    """``value`` as a key that no other value with another text shares (``1``, ``1.0`` and ``True``
    differ, and so do ``0.0`` and ``-0.0``; every NaN is one); None when there is none (decimals:
    ``1.0 == 1.00``; lists, missing values of other kinds)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool:
        return kind, value
    if kind is float:
        if value != value:
            return kind, "nan"
        return (kind, value) if value != 0.0 else (kind, value, math.copysign(1.0, value))
    if kind is pd.Timestamp:  # equal instants in two time zones read differently
        return kind, value, str(value.tzinfo)
    return None


def remembered(show: Callable[[object], str], written: dict[tuple, str] | None = None) -> Callable[[object], str]:
    """``show`` writing each distinct value once: a column repeats its values (counts, grades,
    years), and every cell otherwise went through Babel again. ``written``: texts kept from
    earlier tables (:func:`kept`), which this one adds to."""
    written = {} if written is None else written

    def text(value: object) -> str:
        key = _exact(value)
        if key is None:
            return show(value)
        try:
            return written[key]
        except KeyError:
            written[key] = found = show(value)
            return found

    return text
