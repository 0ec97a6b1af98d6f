"""The objects a warmed-up process holds, frozen out of Streamlit's collection after every run.

Streamlit collects garbage after each script run (``runner.postScriptGC``): a full collection that
walks every object the process holds — modules, Plotly's validators, pandas, Polars, the caches.
Measured in ``python -m server`` on the demo network: about 100 ms of CPU per page switch (200–600
ms of wall time on a loaded machine), holding the GIL, so the page's last messages wait for it too
(issue 15). Once the process has served its first runs, :func:`after_warm_up` freezes what is then
alive (``gc.freeze``): later collections walk only what the runs create. The previous run's garbage
is already collected when a run starts, so only live objects are frozen; they are still freed by
reference counting, only cycles among them are no longer looked for.

One freeze at the third run left what each page builds on its first visit (its modules, figures,
cached reads: 50,000–70,000 objects on the demo) to every later collection, 30 ms of CPU per run.
So the process freezes again at run 6, 12, 24… (:data:`WARM_RUNS` doubled), :data:`FREEZES` times
in all: what the first sessions leave alive joins the frozen objects, and the cycles that a freeze
caught and that die later (a session's state, an evicted figure) stay bounded by the few freezes.
"""

from __future__ import annotations

import gc
import threading

#: Script runs (of any session) after which the process counts as warmed up (the first freeze).
WARM_RUNS = 3
#: How many freezes in all, at WARM_RUNS, 2 × WARM_RUNS, 4 × WARM_RUNS… runs.
FREEZES = 8

_lock = threading.Lock()
_state = {"runs": 0, "frozen": 0, "next": WARM_RUNS}


def after_warm_up() -> None:
    """Count this run; at the :data:`WARM_RUNS`-th run of the process and each doubling after it
    (:data:`FREEZES` in all), freeze what is alive."""
    with _lock:
        if _state["frozen"] >= FREEZES:
            return
        _state["runs"] += 1
        if _state["runs"] >= _state["next"]:
            gc.freeze()
            _state["frozen"] += 1
            _state["next"] *= 2
