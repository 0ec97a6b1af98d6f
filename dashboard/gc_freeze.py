"""The objects a warmed-up process holds, frozen out of Streamlit's collection after every run.

Streamlit collects garbage after each script run (``runner.postScriptGC``): a full collection that
walks every object the process holds — modules, Plotly's validators, pandas, Polars, the caches.
Measured in ``python -m server`` on the demo network: about 100 ms of CPU per page switch (200–600
ms of wall time on a loaded machine), holding the GIL, so the page's last messages wait for it too
(issue 15). Once the process has served its first runs, :func:`after_warm_up` freezes what is then
alive (``gc.freeze``): later collections walk only what the runs create (about 25 ms). The previous
run's garbage is already collected when a run starts, so only live objects are frozen; they are
still freed by reference counting, only cycles among them are no longer looked for.
"""

from __future__ import annotations

import gc
import threading

#: Script runs (of any session) after which the process counts as warmed up.
WARM_RUNS = 3

_lock = threading.Lock()
_state = {"runs": 0, "frozen": False}


def after_warm_up() -> None:
    """Count this run; at the :data:`WARM_RUNS`-th run of the process, freeze what is alive (once)."""
    with _lock:
        if _state["frozen"]:
            return
        _state["runs"] += 1
        if _state["runs"] >= WARM_RUNS:
            gc.freeze()
            _state["frozen"] = True
