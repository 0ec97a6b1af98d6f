"""Scores that follow: the app's background scoring worker, one thread per database and process.

An accepted file records a scoring request in its own transaction (``store.scoring_requests``);
this thread, started once per process by :func:`worker` (``st.cache_resource``), wakes when a page
says a request was made (:meth:`ScoringWorker.wake`) or every :data:`POLL_SECONDS` (requests made by
another door), and covers every pending request with one run (``metrics.run.run_pending``). A
failed run is recorded on its requests and retried once at the next pass. ``ATHAR_AUTO_SCORE=0``
leaves the requests to ``python -m metrics score --pending``.
"""

from __future__ import annotations

import logging
import threading

import duckdb
import streamlit as st

import settings
from dashboard.context import PageContext
from metrics.run import PendingOutcome, run_pending
from store.db import Store
from store.errors import StoreClosed
from store.scoring_requests import ScoringState, scoring_state, submission_request

_log = logging.getLogger(__name__)
#: How often the worker looks for requests nobody woke it for (a retry, another door).
POLL_SECONDS = 5.0


class ScoringWorker:
    """A daemon thread covering pending scoring requests of one store, one run at a time."""

    def __init__(self, store: Store, *, poll_seconds: float = POLL_SECONDS, start: bool = True):
        self.store = store
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.passes = 0
        self.thread = threading.Thread(target=self._loop, name=f"athar-scoring:{store.path.name}", daemon=True)
        if start:
            self.thread.start()

    def wake(self) -> None:
        """A request was just made: look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.pass_once()
            except (duckdb.ConnectionException, StoreClosed):  # the store was closed (a test's end, the app's shutdown)
                return
            except Exception:  # noqa: BLE001 — logged; the next pass tries again
                _log.exception("background scoring failed")

    def pass_once(self) -> list[PendingOutcome]:
        """Cover what is pending now; again while requests arrive during a run (each pass is one run)."""
        outcomes = [run_pending(self.store)]
        while outcomes[-1].run_id is not None:
            outcome = run_pending(self.store)
            if not outcome.claimed:
                break
            outcomes.append(outcome)
        self.passes += 1
        for outcome in outcomes:
            if outcome.error:
                _log.warning("background scoring of requests %s: %s", outcome.claimed, outcome.error)
        return outcomes


def _alive(found: ScoringWorker | None) -> bool:
    return found is None or found.thread.is_alive()


@st.cache_resource(show_spinner=False, validate=_alive)
def _worker(path: str, enabled: bool, handle: int, _store: Store) -> ScoringWorker | None:
    return ScoringWorker(_store) if enabled else None


def worker(store: Store) -> ScoringWorker | None:
    """The process's worker for this database handle (None when ``ATHAR_AUTO_SCORE`` is off); a worker
    whose handle was closed has stopped, and a new one starts with the new handle."""
    return _worker(str(store.path), bool(settings.get("ATHAR_AUTO_SCORE")), id(store), store)


def wake(store: Store) -> None:
    """Tell the worker of this database that a request was made (nothing when it is off)."""
    running = worker(store)
    if running is not None:
        running.wake()


# -- what the pages say ------------------------------------------------------------------------------
def state(ctx: PageContext) -> ScoringState:
    """The scores' state now (not cached: a few counts, and it changes while the viewer reads)."""
    return scoring_state(ctx.store)


def status_lines(ctx: PageContext, now: ScoringState) -> list[str]:
    """When the shown scores were computed, and whether a newer run is under way or failed."""
    lines = []
    if ctx.run is not None:
        lines.append(ctx.t("autoscore.computed", run=ctx.run["id"], when=ctx.when(ctx.run["created_at"])))
    if now.under_way:
        lines.append(ctx.t("autoscore.under_way"))
    elif now.failed_at is not None:
        lines.append(ctx.t("autoscore.failed", when=ctx.when(now.failed_at)))
    return lines


def submission_line(ctx: PageContext, submission_id: int) -> tuple[bool, str]:
    """The upload page's line on the scores after an accepted file, as things stand now, and whether a
    run for it is still to come in this app (then the page keeps looking)."""
    asked = submission_request(ctx.store, submission_id)
    if asked is None:  # a file received before scores followed the data, or loaded with --no-score
        return False, ctx.t("autoscore.upload_not_requested")
    if asked["status"] == "done" and asked["run_id"] is not None:
        return False, ctx.t("autoscore.upload_done", run=asked["run_id"], when=ctx.when(asked["run_at"]))
    if asked["status"] == "failed":
        return False, ctx.t("autoscore.failed", when=ctx.when(asked["finished_at"]))
    if asked["status"] == "done":  # nothing of the framework to score yet
        return False, ctx.t("autoscore.upload_nothing")
    if worker(ctx.store) is None:
        return False, ctx.t("autoscore.upload_scheduled")
    return True, ctx.t("autoscore.upload_soon")


def follow_submission(ctx: PageContext, submission_id: int) -> None:
    """The line on the scores after an accepted file; while its run is to come, it looks again every
    few seconds and reloads the page (sidebar included) once the new scores are recorded."""
    waiting, line = submission_line(ctx, submission_id)
    if waiting:
        _follow(ctx, submission_id)
    else:
        st.caption(line)


@st.fragment(run_every=2)
def _follow(ctx: PageContext, submission_id: int) -> None:
    waiting, line = submission_line(ctx, submission_id)
    st.caption(line)
    if not waiting and not st.session_state.get(_FOLLOWED_KEY) == submission_id:
        st.session_state[_FOLLOWED_KEY] = submission_id  # reload once, not on every later rerun
        st.rerun(scope="app")


_FOLLOWED_KEY = "_autoscore_followed"


def sidebar_status(ctx: PageContext) -> None:
    """The sidebar's line on the scores; while a run is under way it looks again every few seconds and
    reloads the page once the new scores are recorded."""
    if ctx.viewer.pinned_run is not None:  # a pinned link's scores never change: no run is "under way" for it
        st.sidebar.caption(ctx.t("autoscore.computed", run=ctx.run["id"], when=ctx.when(ctx.run["created_at"]))
                           if ctx.run else ctx.t("app.no_run"))
        return
    now = state(ctx)
    lines = status_lines(ctx, now) or [ctx.t("app.no_run")]
    with st.sidebar:
        if now.under_way:
            _watch(ctx, now.latest_run_at)
        st.caption("  \n".join(lines))


@st.fragment(run_every=3)
def _watch(ctx: PageContext, shown_run_at: object) -> None:
    """Polls while a run is under way; a newer run (or the end of the requests) reloads the page."""
    now = state(ctx)
    if now.latest_run_at != shown_run_at or not now.under_way:
        st.rerun(scope="app")
