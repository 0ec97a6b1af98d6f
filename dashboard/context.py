"""What every page needs, built once per script run by ``app.py``: store, viewer, language, run.

Reads go through :meth:`PageContext.q`, which caches ``store.reads`` results with
``st.cache_data`` keyed by the database, the data version **and** the viewer's scope key (one
string naming each exactly, ``dashboard.exact_key``) —
Streamlit caches are shared by every session, so a cache key without the scope would hand one
viewer's rows to another.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

import settings
from dashboard import vocabulary_labels
from dashboard.exact_key import Unkeyable, exact_text
from framework import periods as period_rules
from framework.model import Framework, Roles, framework_from_dict, load_framework
from i18n import RTL_LANGUAGES, plural_key, t
from i18n import formatting as fmt
from store.db import Store, open_store
from store.reads import common as common_reads
from store.viewer import Viewer

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/app/static/"
GEOJSON_FILE = STATIC_DIR / "morocco-regions.geojson"
_CONTEXT_KEY = "_athar_context"


def _open(store: Store) -> bool:
    return not store.closed


@st.cache_resource(show_spinner=False, validate=_open)
def get_store(path: str) -> Store:
    """One handle per database and process; every read takes its own cursor (store.Store). A handle
    closed meanwhile (a command run in this process, a test) is replaced by a new one."""
    return open_store(path)


@st.cache_data(show_spinner=False, max_entries=4096, ttl=6 * 3600)
def _cached_read(
    db: str,
    version: tuple,
    scope_key: tuple,
    name: str,
    args: tuple,
    kwargs: tuple,
    _read: Callable[..., Any],
    _store: Store,
    _viewer: Viewer,
) -> Any:
    return _read(_store, _viewer, *args, **dict(kwargs))


@st.cache_data(show_spinner=False, max_entries=4096, ttl=6 * 3600)
def _cached_read_by_key(key: str, _read: Callable[..., Any], _store: Store, _viewer: Viewer, _call: tuple) -> Any:
    """:func:`_cached_read` under one string naming every part of its key exactly (``exact_text``):
    Streamlit hashes one short string instead of walking six arguments (a millisecond per read)."""
    args, kwargs = _call
    return _read(_store, _viewer, *args, **dict(kwargs))


@st.cache_data(show_spinner=False, max_entries=1024, ttl=6 * 3600)
def _period_states(key: str, _context: PageContext, _rule: tuple) -> pl.DataFrame:
    """:attr:`PageContext.period_states` under ``key``, which names all it is computed from."""
    today, deadline_days, share = _rule
    counts = _context.q(common_reads.period_reporting, _context.run_id)
    return period_rules.period_states(counts, today=today, deadline_days=deadline_days, share=share)


@st.cache_resource(show_spinner=False, max_entries=32)
def _framework(db: str, key: str, _content: dict | None) -> Framework:
    return framework_from_dict(_content) if _content is not None else load_framework()


def today() -> date:
    """Today as the dashboard takes it: the calendar's, or the test suite's ``ATHAR_TEST_TODAY``."""
    fixed = settings.get("ATHAR_TEST_TODAY")
    return date.fromisoformat(str(fixed)) if fixed else date.today()


@st.cache_resource(show_spinner=False)
def region_names() -> dict[str, dict[str, str]]:
    """Region code → {fr, ar, en} name, from the served GeoJSON's properties."""
    data = json.loads(GEOJSON_FILE.read_text(encoding="utf-8"))
    return {
        f["id"]: {lang: f["properties"].get(f"name_{lang}") or f["id"] for lang in ("fr", "ar", "en")}
        for f in data["features"]
    }


@dataclass
class PageContext:
    """Per-run context: never cached, rebuilt by ``app.py`` on every rerun."""

    store: Store
    viewer: Viewer
    lang: str
    version: tuple
    run: dict[str, Any] | None
    demo: bool = False
    extras: dict[str, Any] = field(default_factory=dict)
    #: How this viewer was identified (``dashboard.access.Identity``): downloads check it again.
    identity: Any = None

    @property
    def actor(self) -> str:
        """Who the audit log names for this session's actions: the signed-in account (``account:NAME``)."""
        account = getattr(self.identity, "account", None)
        return account.actor if account is not None else self.viewer.name or self.viewer.role

    # -- text ------------------------------------------------------------------------------
    def t(self, key: str, **params: object) -> str:
        """A dashboard string in the session's language."""
        return t(f"dashboard.{key}", self.lang, **params)

    def tn(self, key: str, count: int, **params: object) -> str:
        """A counted dashboard string (``key.one`` / ``key.other``), the count written for the language."""
        return t(plural_key(f"dashboard.{key}", int(count), self.lang), self.lang, count=self.num(count), **params)

    @property
    def rtl(self) -> bool:
        return self.lang in RTL_LANGUAGES

    def num(self, value: float | None, digits: int = 0) -> str:
        return fmt.number(value, self.lang, digits)

    def score(self, value: float | None) -> str:
        return fmt.score(value, self.lang)

    def pct(self, share: float | None, digits: int = 0) -> str:
        return fmt.percent(share, self.lang, digits)

    def signed(self, value: float | None, digits: int = 1) -> str:
        return fmt.signed(value, self.lang, digits)

    def date(self, value: date | datetime | None) -> str:
        return fmt.date_text(value, self.lang)

    def when(self, value: datetime | None) -> str:
        return fmt.datetime_text(value, self.lang)

    def bdi(self, text: str) -> str:
        return f"<bdi>{text}</bdi>" if self.rtl else text

    # -- data ------------------------------------------------------------------------------
    def q(self, read: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A cached ``store.reads`` read for this viewer (``read`` is the read function).

        The key — database, data version, the viewer's scope key, the read and its arguments — is
        one string naming each exactly (``dashboard.exact_key``); arguments it cannot name exactly
        go through Streamlit's hashing of each part instead, every one by name (Streamlit looks a
        positional argument's name up with ``inspect.signature`` on each call)."""
        name = f"{read.__module__}.{read.__name__}"
        named = tuple(sorted(kwargs.items()))
        db, scope_key = str(self.store.path), self.viewer.scope_key
        try:
            key = exact_text(db, self.version, scope_key, name, args, named)
        except Unkeyable:
            return _cached_read(
                db=db, version=self.version, scope_key=scope_key, name=name, args=args, kwargs=named,
                _read=read, _store=self.store, _viewer=self.viewer,
            )
        return _cached_read_by_key(key=key, _read=read, _store=self.store, _viewer=self.viewer, _call=(args, named))

    @property
    def run_id(self) -> int | None:
        return None if self.run is None else int(self.run["id"])

    @cached_property
    def framework(self) -> Framework:
        """The framework of the latest run (what the scores shown were computed with)."""
        if self.run is None:
            return self.framework_in_use
        return _framework(str(self.store.path), f"run:{self.run['framework_hash']}", self.run["framework"])

    @cached_property
    def roles(self) -> Roles:
        """Indicators by role (headline reach, follow-up): the run's framework's, else the one in use.

        A run recorded before roles were declared still gets the headline of the framework in use.
        """
        for fw in (self.framework, self.framework_in_use, _framework(str(self.store.path), "files", None)):
            if fw.meta.roles != Roles():
                return fw.meta.roles
        return Roles()

    @cached_property
    def framework_in_use(self) -> Framework:
        """The latest recorded framework version: what uploads are checked against."""
        row = self.q(common_reads.framework_in_use)
        if row is None:
            return _framework(str(self.store.path), "files", None)
        return _framework(str(self.store.path), f"version:{row['hash']}", row["content"])

    @cached_property
    def periods(self) -> list[str]:
        return [] if self.run_id is None else self.q(common_reads.run_periods, self.run_id)

    # -- complete and partial periods (the rule: framework.periods.period_states) ------------
    @property
    def today(self) -> date:
        """The date periods are judged at; a link pinned to a run sees them as they stood at that run."""
        now = today()
        if self.viewer.pinned_run is not None and self.run is not None:
            made = self.run["created_at"]
            return min(now, made.date() if isinstance(made, datetime) else made)
        return now

    @property
    def deadline_days(self) -> float:
        """Reporting deadline after a period's end: the framework's grade-A timeliness threshold."""
        return float(self.framework_in_use.meta.quality.timeliness_days[0])

    @cached_property
    def period_states(self) -> pl.DataFrame:
        """Per run period: reporting, expected, deadline, complete (oldest first).

        Kept across runs under everything it is judged from: the viewer's reporting counts (database,
        data version, scope, run), the date, the deadline and the complete share."""
        if self.run_id is None:
            return pl.DataFrame(schema={"period": pl.String, "complete": pl.Boolean})
        today, deadline, share = self.today, self.deadline_days, float(settings.get("ATHAR_COMPLETE_SHARE"))
        key = exact_text(str(self.store.path), self.version, self.viewer.scope_key, self.run_id, today, deadline, share)
        return _period_states(key=key, _context=self, _rule=(today, deadline, share))

    @property
    def default_period(self) -> str | None:
        """The period pages open on: the latest complete one."""
        return period_rules.default_period(self.period_states)

    @cached_property
    def _period_rows(self) -> dict[str, dict[str, Any]]:
        """:attr:`period_states` by period, read once per run (pages ask for a period's state many times)."""
        return {row["period"]: row for row in self.period_states.iter_rows(named=True)}

    def period_state(self, period: str | None) -> dict[str, Any] | None:
        row = self._period_rows.get(period) if period is not None else None
        return dict(row) if row is not None else None

    def is_partial(self, period: str | None) -> bool:
        state = self.period_state(period)
        return state is not None and not state["complete"]

    def period_label(self, period: str) -> str:
        """``2026 — en cours, 1 organisation sur 40`` for a partial period; the label alone otherwise."""
        state = self.period_state(period)
        if state is None or state["complete"]:
            return period
        return self.tn("periods.partial", state["reporting"], period=period, expected=self.num(state["expected"]))

    @property
    def principle_codes(self) -> list[str]:
        """The run's principles this viewer may see, in framework order."""
        allowed = self.viewer.principles
        return [p.code for p in self.framework.principles if allowed is None or p.code in allowed]

    @cached_property
    def indicator_codes(self) -> list[str]:
        """The run's indicators this viewer may see, in framework order, as ``store.reads`` decides
        (keeps pickers and "missing" lists to what the reads can show)."""
        allowed = None if self.run_id is None else self.q(common_reads.indicators_in_scope, self.run_id)
        if allowed is None and self.viewer.principles is not None:
            return []
        return [i.code for i in self.framework.indicators if allowed is None or i.code in allowed]

    def weights_text(self, indicator_code: str) -> str:
        """``P2 0,60 · P5 0,40``: the indicator's weights on the principles in scope."""
        indicator = self.framework.indicator_by_code.get(indicator_code)
        if indicator is None:
            return ""
        shown = self.principle_codes
        return " · ".join(f"{p} {self.num(w, 2)}" for p, w in indicator.weights.items() if p in shown)

    @property
    def series_codes(self) -> list[str | None]:
        """The composite (None, only when every principle is in scope), then the principles."""
        return ([None] if self.viewer.principles is None else []) + self.principle_codes

    # -- names -----------------------------------------------------------------------------
    def principle_name(self, code: str | None) -> str:
        if code is None:
            return self.t("common.composite")
        principle = self.framework.principle_by_code.get(code)
        return principle.name.get(self.lang) if principle else code

    def principle_label(self, code: str | None) -> str:
        return self.t("common.composite") if code is None else f"{code} · {self.principle_name(code)}"

    def indicator_name(self, code: str) -> str:
        indicator = self.framework.indicator_by_code.get(code) or self.framework_in_use.indicator_by_code.get(
            code
        )
        return indicator.name.get(self.lang) if indicator else code

    @property
    def vocabulary(self) -> str:
        """How this viewer names indicators besides Athar's codes: its link's vocabulary (issue 14)."""
        return self.viewer.link.vocabulary if self.viewer.link is not None else "athar"

    def indicator_label(self, code: str) -> str:
        """``R01 · name``; through a link with a vocabulary, the funder's identifier first
        (``PI4060 · R01 — name``, ``dashboard.vocabulary_labels``)."""
        indicator = self.framework.indicator_by_code.get(code) or self.framework_in_use.indicator_by_code.get(code)
        iris, sdg = (indicator.iris, indicator.sdg) if indicator is not None else (None, ())
        return vocabulary_labels.indicator_label(code, self.indicator_name(code), iris, sdg, self.vocabulary, self.lang)

    def unit_name(self, indicator_code: str) -> str:
        """The unit of an indicator, in the session's language."""
        fw = self.framework if indicator_code in self.framework.indicator_by_code else self.framework_in_use
        if indicator_code not in fw.indicator_by_code:
            return ""
        return fw.unit_of(indicator_code).name.get(self.lang)

    def unit_label(self, unit_code: str | None) -> str | None:
        """A unit code as stored (``persons``, ``percent``) → its name in the session's language
        (``personnes``, ``أشخاص``); a code no framework knows is shown as it is."""
        if unit_code is None:
            return None
        for fw in (self.framework_in_use, self.framework):
            unit = fw.unit_by_code.get(unit_code)
            if unit is not None:
                return unit.name.get(self.lang)
        return unit_code

    def region_name(self, code: str | None) -> str:
        if not code:
            return fmt.DASH
        return region_names().get(code, {}).get(self.lang, code)

    def group_label(self, by: str, value: str | None) -> str:
        """A peer group's value as people read it (region name, translated kind…)."""
        if value is None:
            return fmt.DASH
        if by == "network":
            return self.t("groups.network_all")
        if by == "region":
            return self.region_name(value)
        catalogue = {"kind": "kinds", "size_band": "sizes", "thematic_area": "themes"}[by]
        try:
            return self.t(f"{catalogue}.{value}")
        except KeyError:
            return value


def set_context(ctx: PageContext) -> None:
    st.session_state[_CONTEXT_KEY] = ctx


def page_context() -> PageContext:
    """The context ``app.py`` built for this run (pages are only ever run through the router)."""
    ctx = st.session_state.get(_CONTEXT_KEY)
    if ctx is None:
        st.stop()
    return ctx
