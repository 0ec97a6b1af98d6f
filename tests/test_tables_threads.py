"""Tables built by several sessions at once: the server runs each session's script in its own thread.

In Polars 2.1, ``DataFrame.to_pandas()`` on a frame of several chunks rechunks it while holding
the GIL; if another thread's ``map_elements`` is running in Polars' thread pool at that moment,
both wait for each other and the whole process freezes (``benchmarks/load_bench.py`` froze
``python -m server`` with ten sessions opening the overview at once). The check runs in a child
process with a deadline, so a deadlock fails the test instead of hanging the suite.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHILD = textwrap.dedent(
    """
    import warnings
    from concurrent.futures import ThreadPoolExecutor

    import polars as pl

    from dashboard.tables import to_pandas

    warnings.filterwarnings("ignore")
    parts = [pl.DataFrame({"a": list(range(i * 50, (i + 1) * 50)), "s": [f"x{j}" for j in range(50)]}) for i in range(4)]

    def work(i):
        chunked = pl.concat(parts, rechunk=False)  # four chunks, as a filtered or joined read often is
        if i % 2:
            chunked.with_columns(m=pl.col("s").map_elements(lambda v: v + "!", return_dtype=pl.String))
        else:
            assert to_pandas(chunked)["a"].tolist() == list(range(200))

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(work, range(200)))
    print("done")
    """
)


def test_tables_convert_to_pandas_while_other_sessions_map_elements_without_freezing() -> None:
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
        )
    except subprocess.TimeoutExpired:
        raise AssertionError("converting tables while other threads map elements froze the process") from None
    assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr[-2000:]


def test_the_conversion_gives_the_frame_polars_would() -> None:
    import datetime as dt

    import polars as pl

    from dashboard.tables import to_pandas

    frame = pl.DataFrame(
        {
            "count": [1, None],
            "share": [0.25, None],
            "name": ["Tifawin", None],
            "day": [dt.date(2024, 3, 31), None],
            "at": [dt.datetime(2024, 3, 31, 9, 30), None],
            "flag": [True, None],
            "list": [["R01"], None],
        }
    )
    ours, theirs = to_pandas(frame), frame.to_pandas()
    assert ours.equals(theirs) and ours.dtypes.to_dict() == theirs.dtypes.to_dict()
