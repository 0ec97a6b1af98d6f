"""Create the demo database on first start: ``make run`` calls this before ``streamlit run``.

The demo goes through the real paths (``python -m ingest demo`` then ``python -m metrics
score``) in child processes, so the database the app opens is exactly what a person running
those commands would get, and no handle on the file stays open in this process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import settings

ROOT = Path(__file__).resolve().parent.parent


class BootstrapError(RuntimeError):
    """Loading or scoring the demo failed; the message carries the command's output."""


def ensure_demo_database(path: Path | str) -> bool:
    """Create, load and score the demo database at ``path`` unless the file exists.

    Returns True when it was created. A failed attempt removes the partial file so the next
    start tries again instead of opening a half-built database.
    """
    from store.db import is_database_url

    if is_database_url(path):  # PostgreSQL: the database exists; the demo goes into it while it is empty
        return _ensure_demo_postgres(str(path))
    path = Path(path)
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    for command in (["ingest", "demo", "--db", str(path)], ["metrics", "score", "--db", str(path)]):
        done = subprocess.run(
            [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            for leftover in (path, Path(f"{path}.wal")):
                leftover.unlink(missing_ok=True)
            raise BootstrapError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return True


def _ensure_demo_postgres(url: str) -> bool:
    from store.db import open_store
    from store.registry import org_codes

    if org_codes(open_store(url)):  # organisations registered: the database is in use, demo or not
        return False
    for command in (["ingest", "demo", "--db", url], ["metrics", "score", "--db", url]):
        done = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BootstrapError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return True


def database_path() -> Path:
    """``ATHAR_DATABASE_URL`` when set (PostgreSQL, as a ``store.db.DatabaseUrl``), else ``ATHAR_DB`` (default
    ``data/athar.duckdb``); a relative path is taken from the checkout."""
    from store.db import configured_database

    path = Path(settings.get("ATHAR_DB"))
    return configured_database(path if path.is_absolute() else ROOT / path)


def ensure_accounts(path: Path | str) -> tuple[str, str] | None:
    """Demo accounts (demo mode only) and the first steering account; returns the latter once."""
    from store import accounts
    from store.db import open_store

    store = open_store(path)
    try:
        accounts.ensure_demo_accounts(store)
        return accounts.ensure_first_steering(store)
    finally:
        store.close()


def main(argv: list[str]) -> int:
    """``python -m dashboard.bootstrap [PATH]`` (default: ``ATHAR_DB``)."""
    from i18n import t
    from store.db import database_arg
    from store.settings import demo_mode

    target = database_arg(argv[0]) if argv else database_path()
    created = ensure_demo_database(target) if demo_mode() else False
    if not target.exists():
        print(t("dashboard.access.no_database", path=str(target)), file=sys.stderr)
        return 1
    print(f"{'created' if created else 'kept'} {target}")
    first = ensure_accounts(target)
    if first is not None:
        print(t("dashboard.access.first_account", username=first[0], password=first[1]))
    if demo_mode():
        from store.accounts import DEMO_PASSWORD, DEMO_STEERING

        print(t("dashboard.access.demo_accounts", steering=DEMO_STEERING, password=DEMO_PASSWORD))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
