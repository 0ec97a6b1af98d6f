"""Where the million-row PostgreSQL load's time goes: its phases on a timeline, and the server's CPU.

  .venv/bin/python benchmarks/pg_load_phases.py [--rows 1000000] [--repeat 2] [--url postgresql://…]

Each run loads the file of ``benchmarks/pg_bench.py ingest`` (same shape, a fresh database, the
organisations registered first) with ``python -m ingest load`` exactly as that command runs (its own
``__main__``: the file read ahead while the modules load), in a child process whose modules are timed
as they are imported: nothing is imported earlier than the command imports it. It prints, per run:

  * each phase's start and end (seconds since the process started), its wall time, the CPU of the
    thread that ran it, and the pages it touched for the first time (minor faults, process-wide):
    ``read_table`` (the prefetch thread), ``validate_table``, ``commit_group`` (the transaction), and in
    it ``copy observations`` (the million rows' ``COPY``) and ``encoder`` (its preparation, before the
    first byte is sent); the cross-row rules inside ``validate_table`` (duplicates, overlaps, parts
    within totals: what a COPY started after the per-row checks could overlap) and the group's pairs;
  * the client's CPU (user + system) and faults, and the cluster's CPU during the run (as pg_bench:
    the connections' backends and the background processes; not with ``--url``).

These machines are shared: read the phases' CPU, not their wall times alone, and give the load average.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

#: The child: the timing hooks, then ``python -m ingest`` as its ``__main__`` runs it.
_CHILD = """
import sys
sys.path[:0] = [{repo!r}, {bench!r}]
import pg_load_phases
pg_load_phases.install_hooks()
import runpy
sys.argv = ["ingest", *sys.argv[1:]]
runpy.run_module("ingest", run_name="__main__", alter_sys=True)
"""
_MARK = "PHASE\t"
# module → its (attribute path, phase name)s: timed when the module is first imported.
_PHASES = {
    "ingest.read": [("read_table", "read_table")],
    "ingest.validate": [("validate_table", "validate_table"), ("_parts_within_totals", "  rule: parts within totals")],
    "ingest.rules.duplicates": [("check_duplicates", "  rule: duplicates")],
    "ingest.rules.overlaps": [("check_overlaps", "  rule: overlaps")],
    "store.group_commit": [("commit_group", "commit_group"), ("pairs_of", "group's (organisation, period) pairs")],
    "store.postgres": [("PgCursor._copy", "copy")],
    "store.pg_binary": [("RowEncoder.__init__", "encoder")],
}
_T0 = time.perf_counter()


def _faults() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _label(name: str, args: tuple) -> str | None:
    """The phase's name for this call; None for the calls not timed (the small tables' COPY and encoders)."""
    if name == "copy":
        return "copy observations" if "observations" in str(args[1]) else None
    if name == "encoder":
        return name if args[1].height >= 100_000 else None
    return name


def _timed(function, name: str):
    import functools
    import threading

    @functools.wraps(function)
    def timed(*args, **kwargs):
        label = _label(name, args)
        if label is None:
            return function(*args, **kwargs)
        start, cpu, faults = time.perf_counter(), time.process_time(), _faults()
        try:
            return function(*args, **kwargs)
        finally:
            # written at once (the command leaves by os._exit: nothing is flushed at exit)
            os.write(2, f"{_MARK}{start - _T0:.3f}\t{time.perf_counter() - _T0:.3f}\t{time.process_time() - cpu:.3f}\t"
                        f"{_faults() - faults}\t{label}\t{threading.current_thread().name}\n".encode())

    return timed


def _patch(module, path: str, name: str) -> None:
    *owners, attribute = path.split(".")
    owner = module
    for part in owners:
        owner = getattr(owner, part)
    setattr(owner, attribute, _timed(getattr(owner, attribute), name))


def install_hooks() -> None:
    """Time the phases' functions as their modules are imported (before any module imports them by name)."""
    import importlib.abc

    class Timing(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path, target=None):
            if fullname not in _PHASES:
                return None
            sys.meta_path.remove(self)
            try:
                import importlib.util

                spec = importlib.util.find_spec(fullname)
            finally:
                sys.meta_path.insert(0, self)
            execute = spec.loader.exec_module

            def exec_module(module):
                execute(module)
                for path, name in _PHASES[fullname]:
                    _patch(module, path, name)

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, Timing())


def run_once(url: str, data: Path, pg) -> None:
    before = pg.cpu()
    start = time.perf_counter()
    command = [sys.executable, "-c", _CHILD.format(repo=str(REPO), bench=str(REPO / "benchmarks")),
               "load", str(data), "--db", url]
    child = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    errors = child.stderr.read()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"the load failed: {errors[-2000:]}")
    time.sleep(0.2)  # the connection's backend ends (and is counted) just after the client
    server = f"{pg.cpu() - before:.2f} s" if before is not None else "not measured (--url)"
    print(f"  wall {wall:.2f} s · client CPU {usage.ru_utime:.2f} user + {usage.ru_stime:.2f} sys, "
          f"{usage.ru_minflt:,} faults, peak {usage.ru_maxrss / 1024:.0f} MB · server CPU {server}")
    print(f"  {'start':>6} {'end':>6} {'wall':>6} {'CPU':>6} {'faults':>8}  phase [thread]  (CPU: the process's)")
    for line in errors.splitlines():
        if line.startswith(_MARK):
            begin, end, cpu, faults, label, thread = line[len(_MARK):].split("\t")
            print(f"  {float(begin):6.2f} {float(end):6.2f} {float(end) - float(begin):6.2f} {float(cpu):6.2f} "
                  f"{int(faults):8,}  {label} [{thread}]")


def main() -> None:
    from ingest_bench import SHAPES
    from pg_bench import load_average, register, server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running PostgreSQL server (default: a throwaway cluster)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--shape", choices=list(SHAPES), default="export")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="athar-pg-phases-") as tmp:
        work = Path(tmp)
        work.chmod(0o755)
        # as pg_bench runs the command: the uploaded bytes kept under a fresh directory (each run writes them)
        os.environ["ATHAR_MAX_UPLOAD_MB"] = "1024"
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        data = work / f"{args.shape}.csv"
        orgs = SHAPES[args.shape](data, args.rows)
        data.chmod(0o644)
        with server(args.url) as pg:
            for n in range(args.repeat):
                url = pg.database()
                os.environ["ATHAR_DB"] = str(work / f"pg{n}" / "athar.duckdb")  # PostgreSQL keeps raw files in pg{n}/raw
                register(url, orgs, work)
                print(f"[run {n + 1}] {args.rows:,} rows; load average {load_average()}")
                run_once(url, data, pg)


if __name__ == "__main__":
    main()
