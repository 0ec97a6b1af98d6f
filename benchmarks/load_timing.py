"""``python benchmarks/load_timing.py OUT.jsonl [server args…]``: ``python -m server`` with a stopwatch.

For the load benchmark (``load_bench.py --server-timing``), never for production. Every script run
of every session appends one JSON line to OUT.jsonl: the page's URL path, the run's wall time,
the script thread's CPU time (``cpu``), the whole process's CPU time during the run (``proc_cpu``:
wall well above it means the run waited for a core), and the time spent inside

- ``sql``: ``Store.query``/``column``/``scalar`` (DuckDB, result into Polars);
- ``plotly``: ``st.plotly_chart`` (figure re-validated, ``plotly.io.to_json``, element id hashing);
- ``to_json``: of which ``plotly.io.to_json`` alone (figure serialisation);
- ``table``: ``st.dataframe`` (pandas Styler, Arrow);
- ``bytecode``: compiling the page scripts (Streamlit caches it per process).

The rest of the run (page logic, Polars, figure building, widgets) is ``wall`` minus those.
Nested calls of one kind count once (a depth counter per thread).

``LOAD_TIMING_PROFILE=DIR``: each script run is also profiled (``cProfile``, the script thread only)
and its statistics written to ``DIR/<page>-<n>.prof`` (read them with ``pstats``). The profiler
slows the run down two to three times: time with it off.
"""

from __future__ import annotations

import cProfile
import functools
import itertools
import json
import os
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

_local = threading.local()
_write_lock = threading.Lock()


def _counters() -> dict[str, float]:
    if not hasattr(_local, "times"):
        _local.times, _local.depth = {}, {}
    return _local.times


def timed(kind: str, func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        times = _counters()
        depth = _local.depth
        depth[kind] = depth.get(kind, 0) + 1
        started = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            depth[kind] -= 1
            if depth[kind] == 0:
                times[kind] = times.get(kind, 0.0) + time.perf_counter() - started

    return wrapper


def _page_path(runner) -> str:
    manager = runner._pages_manager
    page = manager.get_pages().get(manager.current_page_script_hash) or {}
    return str(page.get("url_pathname") or page.get("page_name") or "?")


def install(out: Path) -> None:
    import plotly.io
    import streamlit as st
    from streamlit.elements import arrow, plotly_chart
    from streamlit.runtime.scriptrunner import script_cache, script_runner

    from store.db import Store

    for name in ("query", "column", "scalar"):
        setattr(Store, name, timed("sql", getattr(Store, name)))
    plotly_chart.PlotlyMixin.plotly_chart = timed("plotly", plotly_chart.PlotlyMixin.plotly_chart)
    plotly.io.to_json = timed("to_json", plotly.io.to_json)
    arrow.ArrowMixin.dataframe = timed("table", arrow.ArrowMixin.dataframe)
    st.plotly_chart = timed("plotly", st.plotly_chart)  # bound to the main area when streamlit was imported
    st.dataframe = timed("table", st.dataframe)
    script_cache.ScriptCache.get_bytecode = timed("bytecode", script_cache.ScriptCache.get_bytecode)
    original = script_runner.ScriptRunner._run_script
    profiles = os.environ.get("LOAD_TIMING_PROFILE")
    numbers = itertools.count()

    def run_script(self, rerun_data):
        _counters().clear()
        profiler = cProfile.Profile() if profiles else None
        started, cpu, proc = time.perf_counter(), time.thread_time(), time.process_time()
        try:
            if profiler is None:
                return original(self, rerun_data)
            return profiler.runcall(original, self, rerun_data)
        finally:
            record = {
                "at": time.time(),
                "page": _page_path(self),
                "wall": time.perf_counter() - started,
                "cpu": time.thread_time() - cpu,
                "proc_cpu": time.process_time() - proc,  # every thread of the server during the run
                **_counters(),
            }
            with _write_lock, open(out, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
            if profiler is not None:
                name = record["page"].strip("/").replace("/", "_") or "root"
                profiler.dump_stats(Path(profiles) / f"{name}-{next(numbers)}.prof")

    script_runner.ScriptRunner._run_script = run_script


def main(argv: list[str]) -> None:
    import faulthandler
    import signal

    faulthandler.register(signal.SIGUSR1, all_threads=True)  # ``kill -USR1 PID``: every thread's stack
    install(Path(argv[0]))
    from server.__main__ import main as serve

    serve(argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
