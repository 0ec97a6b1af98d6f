"""A data grid's cell texts written once, for ``st.dataframe`` to send beside the numbers.

``st.dataframe`` shows a pandas Styler's display values over the data (so columns keep sorting as
numbers). To get them, Streamlit has pandas render every cell into its HTML model
(``Styler._translate``) and reads only the texts back: most of a table's server time, on every
page switch (issue 15). :func:`written_styler` gives a Styler whose texts are already written — the
same formatters, each distinct value once — and whose translation is just those texts, in the form
Streamlit's ``marshall_styler`` reads (``body`` cells ``row<r>_col<c>`` with a ``display_value``,
no styles). A column without a formatter keeps its plain text (only hidden columns: units, exports).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pandas import DataFrame
from pandas.io.formats.style import Styler


def written_styler(data: DataFrame, texts: dict[str, list[str]]) -> Styler:
    """A pandas Styler of ``data`` showing ``texts`` (column name → one text per row).

    A plain Styler (Streamlit recognises the exact type only) whose ``_translate`` — the one call
    Streamlit makes to read the texts — returns them as they are, instead of rendering each cell.
    """
    styler = Styler(data)
    by_position = {int(data.columns.get_loc(name)): (list(data[name]), column) for name, column in texts.items()}
    rows = len(data.index)

    def translate(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        # A text cell shown as it is needs no display value (Streamlit starts from the plain texts,
        # and writing a column of them back into its pandas frame is the slow part).
        body = [
            [
                {"id": f"row{r}_col{c}", "display_value": column[r]}
                for c, (values, column) in by_position.items()
                if not (isinstance(values[r], str) and values[r] == column[r])
            ]
            for r in range(rows)
        ]
        return {"body": body, "cellstyle": [], "table_styles": []}

    styler._translate = translate  # type: ignore[method-assign]
    return styler


def remembered(show: Callable[[object], str]) -> Callable[[object], str]:
    """``show`` writing each distinct value once: a column repeats its values (counts, grades,
    years), and every cell otherwise went through Babel again."""
    written: dict[object, str] = {}

    def text(value: object) -> str:
        try:
            return written[value]
        except KeyError:
            written[value] = found = show(value)
            return found
        except TypeError:  # unhashable (a list) or not comparable (pandas NA)
            return show(value)

    return text
