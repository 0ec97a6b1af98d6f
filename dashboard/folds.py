"""Folded sections whose contents are built only once opened.

An ``st.expander`` runs and sends its contents on every rerun, folded or not: on the chart pages
the tables behind the charts were most of a page switch's server time (issue 15), and the browser
builds every widget inside a closed one (the what-if sliders, the committee's target forms). :func:`folded`
is an expander that tracks its state (``on_change="rerun"``): opening it reruns the page, and
the caller builds the contents only when ``.open`` is true. The label and the place on the page
stay as they were. Every fold's state key starts with :data:`PREFIX`, so tests can open them all
(``dashboard.testing.open_folds``).
"""

from __future__ import annotations

import streamlit as st
from streamlit.elements.lib.mutable_expander_container import ExpanderContainer

PREFIX = "fold_"


def folded(label: str, *, key: str, icon: str | None = None) -> ExpanderContainer:
    """A closed expander that tracks whether it is open (``.open``); its state is ``fold_<key>``."""
    return st.expander(label, key=f"{PREFIX}{key}", on_change="rerun", icon=icon)

