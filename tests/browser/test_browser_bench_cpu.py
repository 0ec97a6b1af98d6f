"""``benchmarks/load_bench.py --chromium-cpu``: each page switch's CPU of Chromium's processes, read
from /proc and split by where it ran (the renderer's main thread: JavaScript, style, layout, paint)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import load_bench  # noqa: E402

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads Linux's /proc")


def test_a_script_busy_in_the_page_is_counted_on_the_renderers_main_thread(browser):
    page = browser.new_context().new_page()
    try:
        page.goto("about:blank")
        before = load_bench.chromium_cpu(os.getpid())
        page.evaluate("() => { const end = performance.now() + 400; while (performance.now() < end) {} }")
        after = load_bench.chromium_cpu(os.getpid())
    finally:
        page.context.close()
    spent = {group: after[group] - before[group] for group in load_bench.CPU_PARTS}
    assert spent["(cpu renderer main)"] >= 300, spent  # 400 ms of busy JavaScript, in 10 ms ticks
    assert spent["(cpu renderer main)"] > spent["(cpu browser)"] + spent["(cpu gpu)"]
    groups = sum(after[group] for group in load_bench.CPU_PARTS if group != "(chromium cpu)")
    assert after["(chromium cpu)"] == pytest.approx(groups)


def test_a_busy_python_child_such_as_the_server_is_not_counted_as_chromium():
    """The servers the bench starts are children of its process too: their CPU is not Chromium's."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import time\nend = time.time() + 0.6\nwhile time.time() < end: pass"]
    )
    try:
        before = load_bench.chromium_cpu(os.getpid())
        child.wait(timeout=30)
    finally:
        child.kill()
    after = load_bench.chromium_cpu(os.getpid())
    assert child.returncode == 0
    # The child burnt ~600 ms of CPU; Chromium, idle (or absent), next to nothing.
    assert after["(chromium cpu)"] - before["(chromium cpu)"] < 200
