"""Prototype (issue 15): the million-row file read, checked and COPYed in slices, against psql's \\copy.

  .venv/bin/python benchmarks/pg_stream_proto.py [--rows 1000000] [--repeat 3] [--slice-mb 8]

Not the command: a child process that does what a streamed ``python -m ingest load`` would do on
PostgreSQL, with the real functions — the file's bytes split at line ends into slices of about
``--slice-mb`` (the header line put before each), each slice read (``ingest.read.read_table``),
validated (``ingest.validate.validate_table``, its line numbers shifted to the file's), encoded
(``store.pg_binary.RowEncoder``) and written into ONE ``COPY observations … FROM STDIN (FORMAT
binary)`` through psycopg's writer thread (``store.postgres._SliceAheadWriter``), so the server reads
slice k while this process prepares slice k+1; then the cross-row duplicate rule over the whole
file's keys, and COMMIT, in one transaction. Against ``psql \\copy`` of the same file in the same
run, and ``python -m ingest load`` (today's whole-file path), each into a fresh database of one
throwaway cluster (pg_bench's helpers): wall, client CPU (user / system) and server CPU; then the
last streamed run's phases (the process's CPU and page faults per phase over all slices, the COPY
backend's CPU from its /proc entry, and when each step ended; the marks count from after Polars is
imported).

Result (2026-12-07, load 2–5): no faster than the whole-file path, same client CPU, ratio 3.4–5.3
against psql; the figures and why are in ``benchmarks/pg_bench.py``'s docstring. The streamed load
was not built. The cross-row check here (``is_duplicated`` over the keys as text, 0.2–0.7 s) is a
stand-in; the real rules run on encoded keys (0.06–0.13 s).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


class Phases:
    """The process's CPU (user, system) and first-touched pages per phase, summed over the slices, and
    the seconds since the start at which some steps ended."""

    def __init__(self):
        self.t0, self.marks = time.perf_counter(), []
        self.spent = {name: [0.0, 0.0, 0] for name in ("read", "validate", "encode+write")}

    @staticmethod
    def usage() -> list[float]:
        import resource

        u = resource.getrusage(resource.RUSAGE_SELF)  # every thread: Polars' pool and the COPY's writer
        return [u.ru_utime, u.ru_stime, u.ru_minflt]

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        before = self.usage()
        yield
        for i, value in enumerate(self.usage()):
            self.spent[name][i] += value - before[i]

    def mark(self, name: str) -> None:
        self.marks.append((name, time.perf_counter() - self.t0))

    def print(self) -> None:
        for name, (user, system, faults) in self.spent.items():
            print(f"PHASE\t{name}: CPU user {user:.2f} sys {system:.2f}, {faults:,} faults", file=sys.stderr)
        user, system, faults = self.usage()
        print(f"PROCESS\tCPU user {user:.2f} sys {system:.2f}, {faults:,} faults", file=sys.stderr)
        for name, at in self.marks:
            print(f"MARK\t{at:6.3f} s  {name}", file=sys.stderr)


def slices(data: bytes, size: int) -> list[tuple[int, int]]:
    """(start, end) of the data lines in pieces of about ``size`` bytes, cut after a line end (the
    prototype's file has no quoted line end; a real cut would need the quote-aware scan)."""
    bounds, at = [], data.index(b"\n") + 1
    while at < len(data):
        end = data.find(b"\n", min(at + size, len(data) - 1))
        end = len(data) if end < 0 else end + 1
        bounds.append((at, end))
        at = end
    return bounds


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child(path: str, url: str, slice_mb: float) -> None:
    """The streamed load of ``path`` into the database at ``url``; its phases on stderr; leaves by os._exit."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import hashlib
    import threading

    phases = Phases()
    data = Path(path).read_bytes()
    hasher = threading.Thread(target=hashlib.sha256, args=(data,))  # the content hash, as a load takes it
    hasher.start()

    from store.db import open_store
    from store.registry import framework_in_use, org_codes

    usage = phases.usage()
    phases.mark(f"imported (CPU user {usage[0]:.2f} sys {usage[1]:.2f}, {usage[2]:,} faults)")
    store = open_store(url)
    framework, known = framework_in_use(store, None), org_codes(store)
    phases.mark("store open, framework and registry read")
    with store.cursor() as cur:
        cur.execute("BEGIN")
        keys = stream(cur, store, data, int(slice_mb * 2**20), framework, known, phases)
        whole = pl.concat(keys)
        phases.mark(f"cross-row duplicates over the whole file ({whole.is_duplicated().sum()} found)")
        hasher.join()
        cur.execute("COMMIT")
    phases.mark("committed")
    phases.print()
    sys.stderr.flush()
    os._exit(0)


def stream(cur, store, data: bytes, size: int, framework, known, phases: Phases) -> list[pl.DataFrame]:
    """Each slice read, validated, encoded and written into one binary COPY; the slices' keys."""
    from ingest.read import read_table
    from ingest.validate import ValidationContext, validate_table
    from store.pg_binary import SIGNATURE, TRAILER, RowEncoder, binary_plan
    from store.postgres import _SliceAheadWriter, _without_null_columns
    from store.submissions import stored_values

    pg, now = cur._cur, datetime.now()
    backend = pg.execute("SELECT pg_backend_pid()").fetchone()[0]
    types, defaults = cur._columns('"observations"')
    header, keys, lines_before, columns, errors = data[:data.index(b"\n") + 1], [], 0, None, 0
    server_before = backend_cpu(backend)
    with contextlib.ExitStack() as stack:
        for start, end in slices(data, size):
            with phases.phase("read"):
                raw = read_table(header + data[start:end], "export.csv", max_bytes=2**31, max_rows=10**8)
                frame = raw.frame.with_columns(pl.col("__line") + lines_before)
                lines_before += data.count(b"\n", start, end)
            with phases.phase("validate"):
                ctx = ValidationContext(framework=framework, known_orgs=known, delimiter=raw.delimiter,
                                        stored_values=lambda k, wanted: stored_values(store, k, wanted))
                validation = validate_table(frame, raw.headers, raw.issues, ctx)
            errors += int((validation.issues["severity"] == "error").sum())
            with phases.phase("encode+write"):
                rows = validation.rows
                keys.append(rows.select("org_code", "indicator_code", "period"))
                stored = rows.select(
                    "org_code", "indicator_code", "period", "granularity", "period_start", "period_end", "value",
                    "unit", "source", "notes", "line",
                    submission_id=pl.lit(1, pl.Int64), valid_from=pl.lit(now, pl.Datetime("us")))
                stored = _without_null_columns(stored, frozenset(types) - defaults)
                encoder = RowEncoder(stored, binary_plan(stored.schema, types))
                if columns is None:
                    columns = [name for name, _ in encoder.columns]
                    copy = stack.enter_context(pg.copy(
                        f"COPY observations ({', '.join(columns)}) FROM STDIN (FORMAT binary)",
                        writer=_SliceAheadWriter(pg)))
                    copy.write(SIGNATURE)
                    phases.mark("first slice ready")
                if [name for name, _ in encoder.columns] != columns:
                    raise SystemExit("a slice's columns differ from the first slice's")
                for part in encoder.slices(100_000):
                    copy.write(memoryview(part))
        copy.write(TRAILER)
        phases.mark("last slice written")
    phases.mark(f"COPY ended: {sum(k.height for k in keys):,} rows, {errors} errors; its backend's CPU "
                f"{backend_cpu(backend) - server_before:.2f} s")
    return keys


class Split:
    """Runs of one side: wall, user, system, server CPU, and the child's MARK lines of its last run."""

    def __init__(self):
        self.wall, self.user, self.sys, self.server, self.peak, self.marks = [], [], [], [], [], ""

    def run(self, command: list[str], pg) -> None:
        before = pg.cpu()
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = child.stderr.read().decode()
        _, status, usage = os.wait4(child.pid, 0)
        self.wall.append(time.perf_counter() - start)
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"{command} failed: {err[-3000:]}")
        self.user.append(usage.ru_utime)
        self.sys.append(usage.ru_stime)
        self.peak.append(usage.ru_maxrss / 1024)
        self.marks = err
        time.sleep(0.2)
        self.server.append(pg.cpu() - before)

    def line(self, base: float) -> str:
        m = statistics.median
        return (f"wall {m(self.wall):.2f} s ({', '.join(f'{x:.2f}' for x in self.wall)}) ratio {m(self.wall) / base:.2f}"
                f"; client user {m(self.user):.2f} sys {m(self.sys):.2f}; server {m(self.server):.2f} "
                f"({', '.join(f'{x:.2f}' for x in self.server)}); peak {max(self.peak):.0f} MB")


def main() -> None:
    from ingest_bench import SHAPES
    from pg_bench import load_average, psql_copy, register, server, workdir

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--slice-mb", type=float, default=8.0)
    parser.add_argument("--no-load", action="store_true", help="skip today's python -m ingest load")
    args = parser.parse_args()
    with workdir("athar-pgstream-") as work:
        data = work / "export.csv"
        orgs = SHAPES["export"](data, args.rows)
        data.chmod(0o644)
        print(f"file {args.rows:,} rows {data.stat().st_size / 2**20:.1f} MB; load average {load_average()}")
        with server(None) as pg:
            copy, proto, load = Split(), Split(), Split()
            for _ in range(args.repeat):
                url = pg.database()
                copy.run(psql_copy(pg, url, data), pg)
                url = pg.database()
                register(url, orgs, work)
                proto.run([sys.executable, __file__, "--child", str(data), url, str(args.slice_mb)], pg)
                if not args.no_load:
                    url = pg.database()
                    register(url, orgs, work)
                    load.run([sys.executable, "-m", "ingest", "load", str(data), "--db", url], pg)
            base = statistics.median(copy.wall)
            for label, runs in (("psql \\copy", copy), ("streamed prototype", proto), ("ingest load", load)):
                if runs.wall:
                    print(f"  {label:<20} {runs.line(base)}")
            print(proto.marks)
            print(f"load average after {load_average()}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        main()
