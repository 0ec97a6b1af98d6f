"""Built Plotly figures kept per process, keyed on everything they were built from.

A chart page rebuilt its figures on every rerun (a page switch, a widget): Plotly validates each
trace and layout update in Python, the largest part of the chart pages' server time after the
tables (issue 15). The builders of ``dashboard.charts`` are pure (lists and strings in, a figure
out), so a figure built once from the same arguments is the same figure: :func:`memoised` keeps
the last :data:`MAX_FIGURES` of them.

Never a leak between viewers: the key is the builder's own arguments — every value, label and
title drawn — so a figure is only ever handed to a caller that already holds all of its content.
Arguments the key cannot spell out exactly (``dashboard.exact_key``: anything but plain values,
lists, tuples, dicts and Polars Series) are not kept: the figure is built as before. The figures are
shared, so nothing may change one after it is built (pages pass them to ``st.plotly_chart``, which
only reads).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from dashboard.exact_key import Unkeyable, exact_text

MAX_FIGURES = 512
_lock = threading.Lock()
_figures: OrderedDict[str, Any] = OrderedDict()
#: Builds and reuses since the process started (tests and benchmarks read them).
counts = {"built": 0, "reused": 0}

F = TypeVar("F", bound=Callable[..., Any])


def memoised(builder: F) -> F:
    """``builder`` whose figures are kept per process, keyed on all of its arguments."""

    @wraps(builder)
    def build(*args: Any, **kwargs: Any) -> Any:
        try:
            key = exact_text(builder.__qualname__, args, dict(sorted(kwargs.items())))
        except Unkeyable:
            return builder(*args, **kwargs)
        with _lock:
            figure = _figures.get(key)
            if figure is not None:
                _figures.move_to_end(key)
                counts["reused"] += 1
                return figure
        figure = builder(*args, **kwargs)
        with _lock:
            _figures[key] = figure
            counts["built"] += 1
            while len(_figures) > MAX_FIGURES:
                _figures.popitem(last=False)
        return figure

    return build  # type: ignore[return-value]


def clear() -> None:
    """Forget every kept figure (tests)."""
    with _lock:
        _figures.clear()
