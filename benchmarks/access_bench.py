"""Access benchmark (not part of the test suite): ``.venv/bin/python benchmarks/access_bench.py``.

What access control costs, each against a baseline measured in the same run:

1. **Token checks**: ``links.check_token`` on 10,000 random tokens (all refused) and on a real one,
   against the bare DuckDB point lookup it makes (a fresh cursor, ``WHERE token_sha256 = ?``).
   Target: ≤ 3× the bare lookup (format check, SHA-256, constant-time compare on top).
2. **Password checks**: ``accounts.authenticate`` (argon2id, OWASP parameters) — a deliberate cost;
   reported in ms, with the bare ``argon2`` verify as baseline. Target: 10–250 ms (slow enough to
   make guessing expensive, fast enough for a sign-in form).
3. **Pages**: the overview rendered through a funder link (2 organisations) and through a signed-in
   steering session, on the demo database (AppTest, best of ``--repeat`` after a cold run).
   Target: link / steering ≤ 1.5 (the link's checks and use counting are cheap).

    .venv/bin/python benchmarks/access_bench.py [--repeat 5]

Exit status 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ["ATHAR_DEMO_MODE"] = "1"

TOKENS = 10_000


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def bench_tokens(store, repeat: int) -> tuple[float, float, float]:
    from store import links
    from store.links import token_digest

    _, real = links.create_link(store, label="bench", org_codes=_two_orgs(store), created_by="bench")
    randoms = [secrets.token_urlsafe(32) for _ in range(TOKENS)]
    digests = [token_digest(t) for t in randoms]

    def bare() -> None:
        for digest in digests:
            with store.cursor() as cur:
                cur.execute(
                    "SELECT id, token_sha256, org_codes, principles, periods, pages, run_id, expires_at, "
                    "revoked_at FROM share_links WHERE token_sha256 = ?",
                    [digest],
                ).fetchall()

    def checked() -> None:
        for token in randoms:
            assert not links.check_token(store, token).ok

    baseline = _best(bare, repeat)
    measured = _best(checked, repeat)
    one = _best(lambda: links.check_token(store, real), repeat * 20)
    return baseline, measured, one


def bench_passwords(store, repeat: int) -> tuple[float, float]:
    from store import accounts
    from store.accounts import HASHER

    password = secrets.token_urlsafe(15)
    accounts.create_account(store, "bench-user", "steering", password=password, created_by="bench")
    digest = HASHER.hash(password)
    bare = statistics.median(_best(lambda: HASHER.verify(digest, password), 1) for _ in range(repeat * 2))
    full = statistics.median(
        _best(lambda: accounts.authenticate(store, "bench-user", password), 1) for _ in range(repeat * 2)
    )
    return bare, full


def _two_orgs(store) -> list[str]:
    return store.query("SELECT code FROM organizations ORDER BY code LIMIT 2")["code"].to_list()


def bench_pages(db: Path, repeat: int) -> tuple[float, float, float, float]:
    from dashboard.testing import start
    from store import links
    from store.db import open_store

    store = open_store(db)
    _, token = links.create_link(store, label="bench pages", org_codes=_two_orgs(store), created_by="bench")

    def render(**kwargs):
        at = start(db, **kwargs)
        assert not at.exception, at.exception
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - started)
        return min(times)

    cold_steering = _best(lambda: start(db), 1)
    steering = render()
    cold_link = _best(lambda: start(db, link=token), 1)
    link = render(link=token)
    return steering, link, cold_steering, cold_link


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    from dashboard.bootstrap import ensure_demo_database
    from store.db import open_store

    folder = Path(tempfile.mkdtemp(prefix="athar-access-bench-"))
    db = folder / "athar.duckdb"
    started = time.perf_counter()
    ensure_demo_database(db)
    print(f"demo database built in {time.perf_counter() - started:.1f} s ({db})")
    os.environ["ATHAR_DB"] = str(db)
    store = open_store(db)
    ok = True

    baseline, measured, one = bench_tokens(store, args.repeat)
    ratio = measured / baseline
    ok &= ratio <= 3.0
    print(
        f"token checks: {TOKENS:,} random tokens — bare DuckDB lookups {baseline * 1000:.0f} ms, "
        f"check_token {measured * 1000:.0f} ms, ratio {ratio:.2f} (target ≤ 3); "
        f"one valid token {one * 1e6:.0f} µs"
    )

    bare, full = bench_passwords(store, args.repeat)
    ok &= 0.010 <= full <= 0.250
    print(
        f"password check: argon2id verify {bare * 1000:.1f} ms, authenticate (verify + audit) "
        f"{full * 1000:.1f} ms (target 10–250 ms)"
    )

    steering, link, cold_steering, cold_link = bench_pages(db, args.repeat)
    page_ratio = link / steering
    ok &= page_ratio <= 1.5
    print(
        f"overview rerun: steering {steering * 1000:.0f} ms, funder link {link * 1000:.0f} ms, "
        f"ratio {page_ratio:.2f} (target ≤ 1.5); first render incl. sign-in: steering "
        f"{cold_steering * 1000:.0f} ms, link {cold_link * 1000:.0f} ms"
    )
    store.close()
    shutil.rmtree(folder, ignore_errors=True)
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
