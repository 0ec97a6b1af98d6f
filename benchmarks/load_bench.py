"""Load benchmark (not part of the test suite): ``.venv/bin/python benchmarks/load_bench.py``.

Issue 15's load figures, against the REAL server (``python -m server``, uvicorn, one process per port):

- **browser**: one Debian Chromium (Playwright, ``/usr/bin/chromium``), N browser contexts at once
  (``--sessions 1,20``: first one alone, then twenty together). Each opens ``/overview``, signs in
  through the form as the steering committee (demo account ``comite``), then clicks through the
  menu (``--pages``) ``--rounds`` times. A switch is timed from the click to the **settled page**:
  a script run seen after the click (the server's ``new_session`` message, or the script state
  reading ``running``: a fast run may go from running to finished within one React update, and
  such a switch was counted as the 5 s "no run" fallback), script state back to ``notRunning``, no running
  icon, no skeleton, no stale (``data-stale="true"``) element left from the previous page, the main
  area holding content, every Plotly chart drawn (``.main-svg``), all of it still true 300 ms later
  (a rerun started by the page itself, e.g. writing the URL, counts in the switch). The settle time
  is taken in the page (``performance.now()``, polled every 25 ms), so the 300 ms check adds nothing.
  Reported: p50/p95/max per page and overall, for each N, and N / 1; every switch is also split at
  the server's first message after the click ``(first message)``, its last one ``(server
  answered)`` and what the browser took from there ``(browser drawing)``. With ``--server-timing``,
  each page's script runs: wall and CPU (p50), and the parts (queries, Plotly, tables).
- **api**: a personal API token of ``comite`` and a funder link's token (created through the store
  functions before the server starts); each endpoint alone, one request at a time (``--alone``
  requests each), then ``--requests`` requests released together by a barrier from as many threads
  (``/api/v1/scores`` only, then a mix of every endpoint), each on its own HTTP connection
  (``http.client``). Reported: p50/p95/max and the status counts (429 = the per-token rate limit).
  The benchmark raises ``ATHAR_API_RATE_PER_MINUTE`` to ``--rate`` (default 100000) so the limit
  does not hide the server's own time; ``--rate 120`` measures the shipped limit instead.

Databases: the demo network (``python -m dashboard.bootstrap``, the ``make run`` path, cached under
``benchmarks/out/load/``), or ``--db FILE`` (e.g. ``benchmarks/out/large-2000x8/athar.duckdb``), which
is COPIED with its ``.wal`` next to it and never modified.

Replicas: ``--replicas N --url postgresql://…`` starts N ``python -m server`` processes on N ports,
all with ``ATHAR_DATABASE_URL=URL``, and spreads the sessions and requests round-robin over them.
The database at URL must already hold a scored network (``python -m ingest demo`` then
``python -m metrics score`` with the same ``ATHAR_DATABASE_URL``); accounts and tokens are added
through the store functions as for DuckDB. On DuckDB (no ``--url``) only ``--replicas 1`` is
possible: one process holds the file.

    .venv/bin/python benchmarks/load_bench.py [--part browser|api|all] [--sessions 1,20] [--rounds 2]
        [--requests 200] [--db FILE] [--replicas 1 --url postgresql://…] [--json FILE]
        [--server-timing] [--chromium-cpu]

Measured (``--part browser --sessions 1 --rounds 3 --server-timing``, DuckDB demo, 17 switches a run;
the README's "Development, tests and benchmarks" keeps the history):

- 2026-12-06, before this session's changes, quiet machine (load 1.5–2): all switches p50 420–448 ms,
  p95 660–754 ms; server script CPU per switch 66–138 ms.
- 2026-12-06, after (exact cache keys, provisional pairs and period states kept across reruns, the
  process frozen again while it warms up, the what-if panel and target forms folded): load 0.9–1.6,
  p50 378 ms, p95 479 ms, max 544 ms (per page p95: overview 461, profile 447, compare 527,
  sustainability 399, indicator 304, quality 439); load 1.6–2.7, p50 525, p95 710; load 1.9–3.5,
  p50 688, p95 893; load 6–8, p50 501–705, p95 617–1,073. Server script CPU p50 36–84 ms per switch (the base, run interleaved at the
  same load: 82–142 ms). Chromium's CPU per switch (all its processes, read from ``/proc``): 400–900
  ms, five to ten times the server's — React re-rendering Streamlit's element tree, Plotly, styles.
- A switch with a fast run used to be taken for the 5 s "no run" fallback (the script state never
  read ``running``); runs are now also counted from the server's ``new_session`` message.
- 2026-12-06 (session 8), the charts' theme: Streamlit's Plotly theme (``theme="streamlit"``, a ~4.9 KB
  template per figure) replaced by the layout it resolved to, carried by each figure as a ~1.4 KB
  template (``dashboard/chart_theme.py``, ``theme=None``); the screenshots of profile, compare and
  sustainability (fr, ar; 1440 and 390 px) are pixel-identical before and after. The drawing time is NOT
  the template's: Plotly alone in Chromium (plotly.js 4.1.1, 980 px, median of 30 draws, load 3.4–4.2),
  Streamlit's full template / the trimmed one / none: rank intervals 32 / 31 / 34 ms, heatmap 59 / 55 /
  58, stacked bars 21 / 21 / 27, lines 31 / 32 / 31, radar 13 / 13 / 13. What halves it is the axes'
  ``automargin`` (which the template switches on: a second full draw once the tick labels are
  measured): without it 14, 33, 10, 16 and 13 ms — but the margins then no longer fit the labels (the
  look changes), so it stays. Server side the figures' JSON shrinks (``to_json`` 0.9–1.4 → 0.4–0.7 ms
  per run on compare and sustainability). In Streamlit's own frontend (a throwaway app showing the
  five chart kinds of these pages, redrawn 18 times each way, interleaved, load 4–6): theme="streamlit"
  p50 595 ms to all five drawn, the trimmed template with ``theme=None`` 601 ms — the same. A hidden mode
  bar or ``staticPlot`` saves 1–3 ms a chart (Plotly alone): not worth the hover values. Page switches,
  interleaved with the base on the shared machine, load 2.5–12 (too noisy for a change this size):
  base p50 417, 415, 617, 374 ms (p95 731, 610, 1,690, 592); after p50 585, 541, 629, 607 ms (p95 992,
  714, 1,375, 2,233).
- 2026-12-07 (session 8), where Chromium's CPU goes in a switch (``--chromium-cpu``: the CPU of each
  Chromium thread from ``/proc``, from the click to the settled page and its 300 ms of stability; one
  session alone). Quiet machine (load 0.9–1.4), 17 switches, mean per switch: the renderer's main
  thread 456 ms, its other threads 146 (mostly V8's concurrent GC marking; little raster), the browser
  process 64, the GPU process (software compositing) 31, the network service 14. ``Performance.getMetrics``
  deltas (p50 per page): TaskDuration 260 (indicator) – 660 ms (profile), of which ScriptDuration
  100–410, RecalcStyle 17–46, Layout 10–23: JavaScript is most of it, style and layout little. One switch
  traced (devtools.timeline): profile's main thread 481 ms = JavaScript ~320, style 17, layout 13, canvas
  13 (data grid, the trend metrics' Vega sparklines), paint/commit/layerize ~35; quality's 590 ms =
  JavaScript ~335, GC 59 on the main thread (and 79 ms of concurrent marking beside it), style 28,
  layout 19. JavaScript by bundle (CDP sampling profiler, 1 ms, one switch each): Plotly 175 ms
  (compare), 306 (sustainability, five charts), 207 (quality), 22 (profile); React 56–95; emotion's
  styled elements 23–62; the data grid 17–119 (quality's three tables); Vega 68 (profile's five
  sparklines); markdown 12–50; Streamlit's shell (messages, protobuf) 11–30; GC 16–47. Nothing burns
  once settled: 0–40 ms of CPU in the 1.5 s after, ``document.getAnimations()`` empty; every CSS
  transition and animation switched off: no measurable change (interleaved, load 1–2.6). Each Plotly
  chart is drawn once, at its final width (``plotly_afterplot`` counted per chart: no redraw after a
  resize or a scrollbar). One script run per switch; downloads already make their data at click time.
  Cut: the tab icon, a file that Streamlit served as a media file and the browser fetched again 1–4
  times per switch (the frontend sets the icon's address on each page-config message), is now a
  ``data:`` URL (``dashboard/favicon.py``). Three interleaved pairs, load 3–7: Chromium's CPU per switch,
  mean 739 / 729 / 731 → 684 / 694 / 665 ms (p50 690 / 700 / 710 → 650 / 650 / 640; renderer main
  461 / 450 / 463 → 431 / 444 / 419, browser 69 / 68 / 72 → 62 / 61 / 62, network 13 / 12 / 13 → 8);
  all switches p50 559 / 460 / 502 → 394 / 513 / 485 ms, p95 1,043 / 766 / 684 → 609 / 925 / 671 (too
  noisy at that load to claim a settle time); the screenshots of profile, compare and sustainability
  (fr, ar; 1440 and 390 px) are pixel-identical. The committed code once more (load 2.8–3.2): all
  switches p50 418 ms, p95 679 (compare 778, quality 618), Chromium's CPU p50 650 ms. What is left is Streamlit's and Plotly's own drawing of
  what the pages show (React, emotion, Plotly with automargin, the data grid, Vega): not cuttable
  without changing the look.
- 2026-12-07 (session 9), the server's side of a switch. Where a run's time went (``LOAD_TIMING_PROFILE=DIR``
  with ``--server-timing``: each script run's ``cProfile``; ``load_timing.py``): on profile, quality and
  overview the tables first — Streamlit rebuilding each grid's display texts in pandas (every column cast
  to text, then the written texts put back column by column: 15–25 ms a page), Babel writing the same
  values again on every run — then Polars' many small operations (~90 a run), the per-run reads of
  ``start_session`` (data version, account, session: 10–20 ms of ``sql``, kept: they check access), and
  on the overview two tables built inside plain expanders on every run (the committee's SDG panel, the
  late and missing list). Cut: the written Styler hands Streamlit the finished frame of texts
  (``dashboard.written_grid``; the display values are byte-identical to Streamlit's own, checked on the
  104 tables of every page in fr and ar), cell texts kept across tables and sessions per (kind,
  language, digits), and both expanders folded (built once opened, ``dashboard.folds``). AppTest,
  interleaved (load 3–4, process CPU): ``tables.table`` per run, profile 47–54 → 28–32 ms, quality
  78–79 → 37, overview 44–56 → 28–30 (before the folds). Server, interleaved with the base on the shared
  machine (load 3–6, the other helper's work beside it), script CPU per run p50 (three pairs, ``--rounds
  3``): profile 131 / 119 / 130 → 116 / 135 / 90 ms, quality 102 / 128 / 118 → 112 / 106 / 75, overview
  111 / 101 / 114 → 89 / 78 / 52 (its ``table`` part 37 / 29 / 31 → 13 / 10 / 6); one pair with
  ``--rounds 6`` (load 3.2–5.9, warm runs only): profile 121 → 104, quality 109 → 88, overview 103 → 63,
  the pages left alone the same within noise (compare 57 → 66, indicator 51 → 57, sustainability
  49 → 51). All switches p50 1,044 / 579 / 730 → 915 / 761 / 606 ms, p95 1,404 / 805 / 1,385 → 1,506 /
  1,584 / 946; ``--rounds 6``: p50 753 → 803, p95 1,342 → 1,241 — at that load the settle time is
  Chromium's and the machine's (Chromium's CPU p50 920–960 ms a switch against 50–130 ms of script CPU).
- 2026-12-07 (session 9), the charts' margins. Plotly's axis ``automargin`` drew each chart twice (the
  first drawing measures the tick labels, the margins grow, the chart is drawn again).
  ``dashboard/chart_margins.py`` works the margins out on the server from each figure's own labels,
  titles, legend and colour bar (per-character widths of the fonts, Arabic letters as joined), so Plotly
  finds them wide enough and draws once; automargin stays on as a safety net. Heatmaps' colour scale
  moved under the plot; chart titles and long horizontal axis titles wrap at 320 px (a phone's chart).
  Every chart of overview, profile, compare, sustainability, indicator and quality in fr and ar at
  1440 px (32): margins Plotly still had to widen 30 → 2 (the Arabic compare heatmap, held to a phone's
  width; an Arabic line legend by 5 px); no label clipped at 1440 px, fewer at 390 px. Plotly alone
  in Chromium, each page's figures as the server sent them (read from the app), median of 11 draws,
  load 3.4 (fr / ar): overview 78 → 25 / 74 → 29 ms, profile 18 → 17 / 23 → 20, compare 132 → 54 /
  140 → 111, sustainability 191 → 86 / 199 → 84, indicator 87 → 40 / 77 → 36, quality 121 → 49 /
  116 → 52. Page switches (``--part browser --sessions 1 --rounds 3 --server-timing --chromium-cpu``),
  base and after interleaved on the shared machine, five pairs, load 2.6–6.2 (too noisy for the settle
  time): all switches p50 base 883 / 875 / 543 / 658 / 864 ms, after 918 / 626 / 533 / 661 / 516 (p95
  1,641 / 1,231 / 813 / 1,044 / 1,609 → 1,547 / 971 / 807 / 1,106 / 824); Chromium's CPU per switch
  p50 1,150 / 990 / 870 / 890 / 930 → 1,040 / 930 / 850 / 900 / 820 ms, its renderer's main thread
  810 / 720 / 610 / 630 / 640 → 700 / 630 / 560 / 610 / 560 ms (−7 to −13 %). (Pairs 1–3 ran before the
  heatmap's colour scale moved.)
- 2026-12-07 04:02–04:05 (session 9, both changes merged, quiet machine, load 1.1–2.7), the code before
  session 9 (f60765f) and after, interleaved, two pairs: all switches p50 619 / 645 → 447 / 522 ms, p95
  820 / 1,005 → 697 / 672 ms; per page p50 after: overview 430 / 580, profile 531 / 608, compare 483 / 517,
  sustainability 402 / 441, indicator 317 / 385, quality 447 / 615; Chromium's CPU per switch p50 1,020 /
  940 → 730 / 890 ms. One more run after (04:01, load 1.3): p50 617, p95 796. A text page for scale
  (``--pages overview,method,framework,indicator``): method p50 286 ms, Chromium's CPU p50 690 ms per
  switch. This machine's Chromium needs about twice session 8's CPU per switch; the target of 0.5 s for
  every switch is not met here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "browser"))

import browser_harness as harness  # noqa: E402  (Chromium flags, free ports, health polling)

OUT = REPO / "benchmarks" / "out" / "load"
PAGES = ("overview", "profile", "compare", "sustainability", "indicator", "quality")
ENDPOINTS = ("scores", "organisations", "runs", "indicators", "trends", "quality")
STABLE_MS = 300
TIMEOUT_MS = 300_000
POLL_MS = 25
NAV_LINK = '[data-testid="stSidebarNavLink"]'
PARTS = ("(first message)", "(server answered)", "(browser drawing)")
COUNTS = ("(lost clicks)", "(failed sessions)")  # counted, not timed (n is the count)
# ``--chromium-cpu``: CPU ms (user+sys, from /proc) of Chromium's processes per switch, from the click
# to the settled page plus its 300 ms of stability, split by where it ran (``chromium_cpu_groups``).
CPU_PARTS = (
    "(chromium cpu)",
    "(cpu renderer main)",
    "(cpu renderer workers)",
    "(cpu browser)",
    "(cpu gpu)",
    "(cpu other)",
)
NOT_SWITCHES = ("open", "sign_in", *PARTS, *COUNTS, *CPU_PARTS)
TIMING_PARTS = ("wall", "cpu", "proc_cpu", "sql", "plotly", "to_json", "table", "bytecode")

# In every page, before Streamlit's own scripts: count script runs as they start (the server's
# ``new_session`` message opening each run, and the attribute ``data-test-script-state`` of stApp
# turning to ``running``), so a switch waits for ITS rerun.
TRACK_RUNS_JS = """
// Times on the epoch clock (timeOrigin + now), so a wait that spans a navigation (the sign-in's
// session-cookie handoff) compares times across the two documents.
const clock = () => performance.timeOrigin + performance.now();
window.__lb = {runs: 0, lastRun: 0, idleSince: null, lastMessage: 0, firstMessage: 0, clickAt: -1,
               origin: performance.timeOrigin, clock};
// The click as the page receives it (Playwright's own checks before it are not the user's wait).
document.addEventListener('click', () => {
    window.__lb.clickAt = clock(); window.__lb.firstMessage = -1;
}, true);
// Whether a message from the server starts a script run: a ForwardMsg holding ``new_session``
// (field 4), which Streamlit sends first in every run. A fast run can go from running to finished
// within one React update, and the attribute below then never reads "running".
const startsRun = data => {
    if (!(data instanceof ArrayBuffer)) return false;
    const b = new Uint8Array(data);
    const varint = at => { let v = 0, f = 1, x; do { x = b[at.i++]; v += (x & 0x7f) * f; f *= 128; } while (x & 0x80 && at.i < b.length); return v; };
    for (const at = {i: 0}; at.i < b.length;) {
        const key = varint(at), field = Math.floor(key / 8), wire = key % 8;
        if (field === 4) return true;
        if (wire === 0) varint(at); else if (wire === 1) at.i += 8; else if (wire === 5) at.i += 4;
        else if (wire === 2) at.i += varint(at); else return false;
    }
    return false;
};
const NativeWebSocket = window.WebSocket;  // the time of the last message from the server
window.WebSocket = function (...args) {
    const ws = new NativeWebSocket(...args);
    ws.addEventListener('message', event => {  // and of the first one after the click
        const now = clock();
        window.__lb.lastMessage = now;
        if (window.__lb.firstMessage < 0) window.__lb.firstMessage = now;
        if (startsRun(event.data)) { window.__lb.runs += 1; window.__lb.lastRun = now; }
    });
    return ws;
};
Object.assign(window.WebSocket, NativeWebSocket);
window.WebSocket.prototype = NativeWebSocket.prototype;
new MutationObserver(records => {
    for (const r of records) {
        if (r.target.getAttribute('data-test-script-state') === 'running') {
            window.__lb.runs += 1; window.__lb.lastRun = clock();
        }
    }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
"""

# Polled after a click: [ms from the click to the settled page, ms from the click to the last
# message from the server before it, ms from the click to the first message after it], or false.
SETTLED_JS = """(a) => {
    const lb = window.__lb, now = lb.clock();
    const mark = a.mark === null ? lb.origin : a.mark;  // null: from this document's navigation
    const start = lb.clickAt >= mark ? lb.clickAt : mark;
    const runsBefore = a.origin === lb.origin ? a.runs : 0;  // a new document counts from zero
    const app = document.querySelector('[data-testid="stApp"]');
    const idle = app && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"], '
                                  + '[data-testid="stStatusWidgetRunningManIcon"], '
                                  + '[data-testid="stSkeleton"], [data-stale="true"]')
        && document.querySelector('[data-testid="stMain"] [data-testid="stElementContainer"]')
        && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c => c.querySelector('.main-svg'))
        ;
    const there = !a.path || location.pathname.endsWith('/' + a.path);
    const ran = lb.runs > runsBefore || now - start > 5000;  // 5 s without a run: a switch with none
    // Idle for 20 s on another page: the click was lost (e.g. overridden by a rerun in flight).
    if (idle && !there && now - start > 20000) return ['lost', 0];
    if (!idle || !ran || !there) { lb.idleSince = null; return false; }
    if (lb.idleSince === null || lb.lastRun > lb.idleSince) lb.idleSince = now;
    if (now - lb.idleSince < a.stable) return false;
    return [lb.idleSince - start, Math.min(lb.lastMessage, lb.idleSince) - start,
            lb.firstMessage >= start ? lb.firstMessage - start : 0];
}"""


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(pct(values, 0.5), 1),
        "p95": round(pct(values, 0.95), 1),
        "max": round(max(values), 1) if values else float("nan"),
        "mean": round(statistics.fmean(values), 1) if values else float("nan"),
    }


# --------------------------------------------------------------------------------------------
# Database and servers
# --------------------------------------------------------------------------------------------


def demo_database() -> Path:
    """The demo network as ``make run`` builds it (load, score, demo accounts), cached."""
    db = OUT / "demo.duckdb"
    if not db.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "ATHAR_DEMO_MODE": "1"}
        subprocess.run([sys.executable, "-m", "dashboard.bootstrap", str(db)], cwd=REPO, env=env, check=True)
    return db


def working_copy(source: Path) -> Path:
    """A copy of ``source`` (and its ``.wal``) under ``benchmarks/out/load/run/``: the source is never opened."""
    folder = OUT / "run"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    target = folder / "athar.duckdb"
    shutil.copy(source, target)
    wal = Path(f"{source}.wal")
    if wal.exists():
        shutil.copy(wal, Path(f"{target}.wal"))
    return target


def prepare(db: Path | None) -> dict[str, str]:
    """Demo accounts, a personal API token of the committee and a funder link over every organisation.

    On DuckDB ``db`` is the working copy (before any server holds it); on PostgreSQL (``db`` None)
    the store functions reach ``ATHAR_DATABASE_URL``.
    """
    os.environ["ATHAR_DEMO_MODE"] = "1"
    from store import accounts, api_tokens, links, registry
    from store.accounts import DEMO_STEERING
    from store.db import close_all, open_store

    store = open_store(db if db is not None else os.environ["ATHAR_DATABASE_URL"])
    try:
        accounts.ensure_demo_accounts(store)
        steering = accounts.find_by_username(store, DEMO_STEERING)
        codes = sorted(registry.org_codes(store))
        personal = api_tokens.create_token(store, steering.id, "load bench", actor="benchmark")[1]
        link = links.create_link(store, label="load bench", org_codes=codes, created_by="benchmark")[1]
        return {"personal": personal, "link": link}
    finally:
        close_all()


@contextlib.contextmanager
def servers(
    db: Path | None, replicas: int, rate: int, log_dir: Path, timing: Path | None
) -> Iterator[list[str]]:
    """``replicas`` × ``python -m server`` on free ports; yields their base URLs once all are healthy.

    ``timing``: start them through ``load_timing.py``, each script run written to that file."""
    env = {
        **os.environ,
        "ATHAR_DEMO_MODE": "1",
        "ATHAR_API_RATE_PER_MINUTE": str(rate),
        "OPENBLAS_NUM_THREADS": "1",  # as ``make run``
        "PYTHONUNBUFFERED": "1",
    }
    log_dir.mkdir(parents=True, exist_ok=True)  # on PostgreSQL no demo file was built there first
    with contextlib.ExitStack() as stack:
        urls = []
        for i in range(replicas):
            port = harness.free_port()
            launcher = (
                ["-m", "server"]
                if timing is None
                else [str(REPO / "benchmarks" / "load_timing.py"), str(timing)]
            )
            cmd = [sys.executable, *launcher, "--host", "127.0.0.1", "--port", str(port)]
            if db is not None:
                cmd += ["--db", str(db)]
                env["ATHAR_DB"] = str(db)
            url = f"http://127.0.0.1:{port}"
            stack.enter_context(
                harness._serving(cmd, url, harness._healthy_server, log_dir / f"server-{i}.log", env)
            )
            urls.append(url)
        yield urls


# --------------------------------------------------------------------------------------------
# Chromium's CPU (Linux /proc)
# --------------------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(path: str) -> tuple[str, list[str]] | None:
    """(command name, the fields after it) of a /proc …/stat file; None when it is gone."""
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    return text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()


def descendants(root: int) -> list[int]:
    """The processes below ``root`` (children, their children…), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (found := _stat_fields(f"/proc/{entry}/stat")) is not None:
            children.setdefault(int(found[1][1]), []).append(int(entry))
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def chromium_group(pid: int, tid: int) -> str:
    """Where a Chromium thread's CPU is counted: the renderer's main thread (JavaScript, style, layout,
    paint), the renderer's other threads (compositor, raster, V8's concurrent GC), the browser process,
    the GPU process (software compositing, --disable-gpu), or other (network and storage services).
    Chromium rewrites its command line as one space-separated title, hence the split on both."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").split()
    except OSError:
        return "(cpu other)"
    kind = next((a.removeprefix("--type=") for a in args if a.startswith("--type=")), "browser")
    if kind == "renderer":
        return "(cpu renderer main)" if tid == pid else "(cpu renderer workers)"
    return {"browser": "(cpu browser)", "gpu-process": "(cpu gpu)"}.get(kind, "(cpu other)")


def chromium_cpu(root: int) -> dict[str, float]:
    """CPU milliseconds (user+sys) so far of every Chromium thread below ``root``, by group."""
    found = dict.fromkeys(CPU_PARTS, 0.0)
    for pid in descendants(root):
        named = _stat_fields(f"/proc/{pid}/stat")
        if named is None or "chrom" not in named[0].lower() and "headless" not in named[0].lower():
            continue
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
        except OSError:
            continue
        for tid in tids:
            if (fields := _stat_fields(f"/proc/{pid}/task/{tid}/stat")) is None:
                continue
            ms = (int(fields[1][11]) + int(fields[1][12])) * 1000 / CLOCK_TICKS
            found[chromium_group(pid, tid)] += ms
            found["(chromium cpu)"] += ms
    return found


# --------------------------------------------------------------------------------------------
# Browser sessions
# --------------------------------------------------------------------------------------------


async def settle(
    page, path: str | None, runs_before: int, mark: float | None, origin: float | None = None
) -> tuple[float, float, float] | None:
    """Milliseconds from ``mark`` (epoch ms; None: the document's navigation) to the settled page, to
    the server's last message before it and to its first message after the click; None when the page
    settled elsewhere than ``path`` (the click was lost). A navigation while waiting (the sign-in's
    cookie handoff) is waited through: the times are on the epoch clock."""
    args = {"runs": runs_before, "mark": mark, "origin": origin, "stable": STABLE_MS, "path": path}
    for attempt in range(5):
        try:
            handle = await page.wait_for_function(SETTLED_JS, arg=args, polling=POLL_MS, timeout=TIMEOUT_MS)
            found = await handle.json_value()
            break
        except Exception as exc:  # noqa: BLE001 - only a navigation under the wait is waited through
            if "context was destroyed" not in str(exc) or attempt == 4:
                raise
            await page.wait_for_load_state("domcontentloaded")
    if found[0] == "lost":
        return None
    return float(found[0]), float(found[1]), float(found[2])


async def mark(page) -> tuple[int, float, float]:
    """(script runs so far, now on the epoch clock, this document's time origin)."""
    # A new wait starts with no idle time of its own (the previous switch's would settle it at once
    # when the 5 s "no run" fallback fires under load, with a negative time).
    js = "() => { window.__lb.idleSince = null; return [window.__lb.runs, window.__lb.clock(), window.__lb.origin]; }"
    for attempt in range(5):
        try:
            return tuple(await page.evaluate(js))
        except Exception as exc:  # noqa: BLE001 - only a navigation under the call is waited through
            # Under load the sign-in's cookie handoff (a reload) can come after its page looked settled:
            # the new document is waited for until it settles, then marked.
            if "context was destroyed" not in str(exc) or attempt == 4:
                raise
            await page.wait_for_load_state("domcontentloaded")
            await settle(page, None, 0, None)
    raise AssertionError("unreachable")


async def one_session(
    browser,
    base: str,
    pages: list[str],
    rounds: int,
    times: dict[str, list[float]],
    keep: bool = False,
    cpu_of: int | None = None,
):
    """Open, sign in, then click through ``pages`` ``rounds`` times; append each settle time (ms).

    ``keep``: leave the context open and return it (a session that stays connected).
    ``cpu_of``: a process id above Chromium; each switch's Chromium CPU is appended too (every
    session's CPU is in it: meaningful for one session alone)."""
    from i18n import t
    from store.accounts import DEMO_PASSWORD, DEMO_STEERING

    context = await browser.new_context(viewport=harness.VIEWPORT, locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    await context.add_init_script(TRACK_RUNS_JS)
    page = await context.new_page()
    try:
        await page.goto(f"{base}/overview?lang=fr", wait_until="domcontentloaded")
        times["open"].append((await settle(page, None, 0, None))[0])  # from the navigation's start
        form = page.locator('[data-testid="stForm"]')
        await form.locator("input[type=text], input:not([type])").first.fill(DEMO_STEERING)
        await form.locator("input[type=password]").fill(DEMO_PASSWORD)
        runs, at, origin = await mark(page)
        await form.get_by_role("button", name=t("dashboard.access.sign_in", "fr")).click()
        times["sign_in"].append((await settle(page, None, runs, at, origin))[0])
        current = "overview"
        for _ in range(rounds):
            for key in pages:
                if key == current:
                    continue
                cpu_before = chromium_cpu(cpu_of) if cpu_of is not None else None
                for _ in range(3):  # a click lost to a rerun in flight is clicked again (and counted)
                    runs, at, origin = await mark(page)
                    await page.locator(f'{NAV_LINK}[href$="/{key}"]').first.click()
                    found = await settle(page, key, runs, at, origin)
                    if found is not None:
                        break
                    times["(lost clicks)"].append(1.0)
                else:
                    raise TimeoutError(f"three clicks on {key} went nowhere")
                settled, answered, first = found
                times[key].append(settled)
                times["(first message)"].append(first)  # the click to the server's first answer
                times["(server answered)"].append(answered)  # the click to the server's last message
                times["(browser drawing)"].append(settled - answered)  # that message to the settled page
                if cpu_before is not None:
                    for group, ms in chromium_cpu(cpu_of).items():
                        times[group].append(ms - cpu_before[group])
                current = key
    except Exception as exc:  # noqa: BLE001 - counted in the report; the other sessions go on
        times["(failed sessions)"].append(1.0)
        print(f"  a session failed: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
        keep = False
    if keep:
        return context
    await context.close()
    return None


def new_times(pages: list[str], cpu: bool = False) -> dict[str, list[float]]:
    return {k: [] for k in ("open", "sign_in", *pages, *PARTS, *COUNTS, *(CPU_PARTS if cpu else ()))}


async def browser_part(
    urls: list[str], counts: list[int], pages: list[str], rounds: int, warmup: bool, timing, cpu: bool = False
):
    """One Chromium: a warm-up session that stays connected (Streamlit empties its script cache
    when the last session leaves), then for each N, N sessions at once. Yields (N, report, server)."""
    from playwright.async_api import async_playwright

    found = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(harness.CHROMIUM), args=harness.CHROMIUM_ARGS, headless=True
        )
        try:
            if warmup:  # Streamlit's caches and DuckDB's warm, as for a server already in use
                await one_session(browser, urls[0], pages, 1, new_times(pages), keep=True)
            for n in counts:
                times = new_times(pages, cpu)
                started, since, load = time.perf_counter(), time.time(), os.getloadavg()[0]
                cpu_of = os.getpid() if cpu else None
                await asyncio.gather(
                    *(
                        one_session(browser, urls[i % len(urls)], pages, rounds, times, cpu_of=cpu_of)
                        for i in range(n)
                    )
                )
                load = f"{time.perf_counter() - started:.0f} s, load average {load:.1f} before, {os.getloadavg()[0]:.1f} after"
                found.append(
                    (n, browser_report(times), load, timing_report(timing, since) if timing else None)
                )
        finally:
            await browser.close()
    return found


def browser_report(times: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    found = {key: summary(values) for key, values in times.items()}
    found["all switches"] = summary([v for k, vs in times.items() if k not in NOT_SWITCHES for v in vs])
    return found


def timing_report(path: Path, since: float) -> dict[str, dict[str, float]]:
    """Per page, the server's script runs recorded after ``since``: medians of each part (ms)."""
    if not path.exists():
        return {}
    runs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    by_page: dict[str, list[dict]] = {}
    for run in runs:
        if run["at"] >= since:
            by_page.setdefault(run["page"], []).append(run)
    found = {}
    for page, rows in sorted(by_page.items()):
        found[page] = {"n": len(rows)}
        for part in TIMING_PARTS:
            values = [1000 * r.get(part, 0.0) for r in rows]
            found[page][f"{part} p50"] = round(pct(values, 0.5), 1)
        found[page]["wall p95"] = round(pct([1000 * r["wall"] for r in rows], 0.95), 1)
        found[page]["cpu p95"] = round(pct([1000 * r["cpu"] for r in rows], 0.95), 1)  # CPU per switch
    return found


def print_timing(title: str, rows: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}")
    print(
        f"  {'page':16} {'n':>4} "
        + " ".join(f"{p:>9}" for p in TIMING_PARTS)
        + f" {'wall p95':>9} {'cpu p95':>9}"
    )
    for page, r in rows.items():
        cells = " ".join(f"{r[f'{p} p50']:>9}" for p in TIMING_PARTS)
        print(f"  {page:16} {r['n']:>4} {cells} {r['wall p95']:>9} {r['cpu p95']:>9}")


# --------------------------------------------------------------------------------------------
# API requests
# --------------------------------------------------------------------------------------------


def get(url: str, path: str, token: str) -> tuple[int, float, int]:
    """One GET on a fresh connection: (status, milliseconds, body bytes)."""
    parts = urlsplit(url)
    started = time.perf_counter()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, (time.perf_counter() - started) * 1000, len(body)
    finally:
        conn.close()


def api_calls(tokens: dict[str, str], mix: bool, count: int) -> list[tuple[str, str]]:
    """``count`` (path, token): /scores with the personal token, or every endpoint with both tokens."""
    if not mix:
        return [("/api/v1/scores", tokens["personal"])] * count
    kinds = [(f"/api/v1/{e}", tokens["personal"]) for e in ENDPOINTS]
    kinds += [(f"/api/v1/{e}", tokens["link"]) for e in ENDPOINTS if e != "quality"]  # quality: not for links
    return [kinds[i % len(kinds)] for i in range(count)]


def concurrent(urls: list[str], calls: list[tuple[str, str]]) -> list[tuple[str, int, float, int]]:
    """Every call at once: one thread each, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def go(i: int) -> tuple[str, int, float, int]:
        path, token = calls[i]
        barrier.wait()
        return (path, *get(urls[i % len(urls)], path, token))

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(go, range(len(calls))))


def api_run(urls: list[str], tokens: dict[str, str], requests: int, alone: int) -> dict[str, object]:
    found: dict[str, object] = {}
    for path, token in api_calls(tokens, True, 2 * len(ENDPOINTS) - 1):  # warm every read once
        get(urls[0], path, token)
    solo: dict[str, list[float]] = {}
    for path, token in api_calls(tokens, True, alone * (2 * len(ENDPOINTS) - 1)):
        status, ms, _ = get(urls[0], path, token)
        solo.setdefault(path, []).append(ms)
    found["alone"] = {path: summary(v) for path, v in solo.items()}
    found["alone"]["all"] = summary([v for vs in solo.values() for v in vs])
    for name, mix in (("scores", False), ("mix", True)):
        started = time.perf_counter()
        replies = concurrent(urls, api_calls(tokens, mix, requests))
        wall = (time.perf_counter() - started) * 1000
        found[f"{requests} at once: {name}"] = {
            **summary([r[2] for r in replies]),
            "wall_ms": round(wall, 1),
            "statuses": dict(Counter(r[1] for r in replies)),
            "bytes": sum(r[3] for r in replies),
        }
    return found


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def print_table(title: str, rows: dict[str, dict]) -> None:
    print(f"\n{title}")
    print(f"  {'':34} {'n':>4} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
    for key, s in rows.items():
        extra = f"  wall {s['wall_ms']} ms, statuses {s['statuses']}" if "wall_ms" in s else ""
        print(f"  {key:34} {s['n']:>4} {s['p50']:>9} {s['p95']:>9} {s['max']:>9}{extra}")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/load_bench.py")
    parser.add_argument("--part", choices=("browser", "api", "all"), default="all")
    parser.add_argument(
        "--sessions", default="1,20", help="comma-separated numbers of concurrent browser sessions"
    )
    parser.add_argument("--rounds", type=int, default=2, help="passes through the pages per session")
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--requests", type=int, default=200, help="concurrent API requests")
    parser.add_argument("--alone", type=int, default=5, help="requests per endpoint and token, one at a time")
    parser.add_argument("--rate", type=int, default=100_000, help="ATHAR_API_RATE_PER_MINUTE for the servers")
    parser.add_argument("--db", type=Path, help="a DuckDB file to copy (default: the demo network)")
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--url", help="ATHAR_DATABASE_URL (postgresql://…) for --replicas > 1")
    parser.add_argument("--json", type=Path, help="write every figure here too")
    parser.add_argument("--server-timing", action="store_true", help="time each script run in the server(s)")
    parser.add_argument(
        "--chromium-cpu",
        action="store_true",
        help="each switch's CPU of Chromium's processes (from /proc; use with --sessions 1)",
    )
    parser.add_argument(
        "--no-warmup",
        dest="warmup",
        action="store_false",
        help="no warm-up session (one round, kept connected) before the measured ones",
    )
    args = parser.parse_args(argv)
    if args.replicas > 1 and not args.url:
        parser.error("--replicas > 1 needs --url postgresql://… (one process holds a DuckDB file)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.url:
        os.environ["ATHAR_DATABASE_URL"] = args.url
        db = None
    else:
        db = working_copy(args.db or demo_database())
    tokens = prepare(db)
    backend = "postgresql" if args.url else "duckdb"
    results: dict[str, object] = {"backend": backend, "replicas": args.replicas, "rate_per_minute": args.rate}
    pages = [p for p in args.pages.split(",") if p]
    timing = OUT / "server-timing.jsonl" if args.server_timing else None
    if timing is not None:
        timing.unlink(missing_ok=True)
    with servers(db, args.replicas, args.rate, OUT, timing) as urls:
        print(f"{backend}, {args.replicas} process(es): {', '.join(urls)}")
        if args.part in ("browser", "all"):
            counts = [int(x) for x in args.sessions.split(",")]
            for n, rows, load, server in asyncio.run(
                browser_part(urls, counts, pages, args.rounds, bool(args.warmup), timing, args.chromium_cpu)
            ):
                results[f"browser, {n} session(s)"] = rows
                results[f"machine during {n} session(s)"] = load
                print_table(f"browser, {n} session(s) at once ({load})", rows)
                if server is not None:
                    results[f"server script runs, {n} session(s)"] = server
                    print_timing(f"server script runs during {n} session(s), ms", server)
        if args.part in ("api", "all"):
            found = api_run(urls, tokens, args.requests, args.alone)
            results["api"] = found
            print_table("api, one request at a time", found["alone"])
            print_table(
                f"api, {args.requests} requests at once", {k: v for k, v in found.items() if k != "alone"}
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
