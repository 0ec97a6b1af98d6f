"""Shared fixtures: the default framework, the shared samples, fresh database files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

# Scores follow the data through a background thread in the app (dashboard.autoscore). In the test
# process every AppTest session would start one per database and score behind other tests' backs:
# off by default here; tests/test_autoscore.py turns it on where it is the subject.
os.environ.setdefault("ATHAR_AUTO_SCORE", "0")

from framework.model import Framework, load_framework

REPO = Path(__file__).resolve().parent.parent
#: ``../shared/samples`` beside the checkout (in CI), or beside a folder holding it (a git worktree).
SAMPLES = next(
    (folder / "shared" / "samples" for folder in REPO.parents if (folder / "shared" / "samples").is_dir()),
    REPO.parent / "shared" / "samples",
)



@pytest.fixture
def pg_store(pg_cluster, tmp_path: Path):
    """A fresh migrated PostgreSQL database of the session's cluster, opened; dropped afterwards."""
    from store.db import Store

    url = pg_cluster.fresh_database()
    handle = Store(url, raw_dir=tmp_path / "raw")
    yield handle
    handle.close()
    pg_cluster.drop_database(url)

@pytest.fixture(scope="session")
def framework() -> Framework:
    return load_framework()


@pytest.fixture(scope="session")
def samples_index() -> dict:
    index = SAMPLES / "INDEX.json"
    if not index.exists():
        pytest.skip(f"shared samples not found at {SAMPLES}")
    return json.loads(index.read_text(encoding="utf-8"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "athar.duckdb"


# -- backends: DuckDB always; PostgreSQL for the modules marked ``backends("duckdb", "postgres")`` -----
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "backends(*names): run the module's store tests on each backend named "
                                       "(duckdb, postgres); unmarked tests run on DuckDB alone")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is not None and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", marker.args, indirect=True)


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """``duckdb`` or ``postgres``: the store's backend for this test (DuckDB unless the module asks for both).
    Session-scoped so module fixtures may ask for it: the tests of a module run grouped by backend."""
    return getattr(request, "param", "duckdb")


def new_database(request: pytest.FixtureRequest, backend: str, path: Path) -> Path | str:
    """A database for ``Store(...)`` that the requesting fixture owns: the DuckDB file ``path``, or a new
    empty PostgreSQL database (dropped when the fixture ends)."""
    if backend == "duckdb":
        return path
    cluster = request.getfixturevalue("pg_cluster")
    url = cluster.fresh_database(migrated=False)

    def drop() -> None:
        from store.db import close_all

        close_all()
        cluster.drop_database(url)

    request.addfinalizer(drop)
    return url


def database_of(store) -> Path | str:
    """What a command line's ``--db`` names for ``store``: its DuckDB file or its PostgreSQL URL."""
    return getattr(store, "url", store.path)


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster for the session (tests/pg_cluster.py), started on first use only.

    Skipped when PostgreSQL's binaries are absent, unless ``ATHAR_REQUIRE_PG=1`` (CI) makes that an error."""
    from pg_cluster import REQUIRE_ENV, Cluster, binaries

    import settings

    bindir = binaries()
    if bindir is None:
        reason = "PostgreSQL binaries not found (Debian: apt-get install postgresql)"
        if settings.get(REQUIRE_ENV):
            pytest.fail(f"{reason}; {REQUIRE_ENV}=1 requires them", pytrace=False)
        pytest.skip(reason)
    cluster = Cluster(bindir).start()
    yield cluster
    cluster.stop()


def demo_pg_raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the PostgreSQL demo's uploaded files are kept (its copies point ``ATHAR_DB`` beside it)."""
    return tmp_path_factory.getbasetemp() / "demo-pg" / "raw"


@pytest.fixture(scope="session")
def demo_pg_template(pg_cluster, tmp_path_factory) -> str:
    """``python -m ingest demo`` + ``python -m metrics score`` into a PostgreSQL database, once per session:
    the name of a template to copy (``pg_cluster.fresh_database(template=…)``); never opened here."""
    import subprocess
    import sys

    pg_cluster.execute("CREATE DATABASE athar_demo")
    url = pg_cluster.url("athar_demo")
    env = {**os.environ, "ATHAR_DB": str(demo_pg_raw_dir(tmp_path_factory).parent / "demo.duckdb")}  # raw/ beside it
    for command in (["ingest", "demo", "--db", url], ["metrics", "score", "--db", url]):
        done = subprocess.run([sys.executable, "-m", *command], cwd=REPO, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    return "athar_demo"


def pg_demo_copy(request: pytest.FixtureRequest, folder: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A private PostgreSQL copy of the scored demo (``CREATE DATABASE … TEMPLATE`` of ``demo_pg_template``),
    its uploaded files copied into ``folder/raw`` and ``ATHAR_DB`` pointed beside them; dropped (its handle
    in this process closed) when the requesting fixture ends. ``ATHAR_DATABASE_URL`` names it meanwhile,
    so the dashboard (``dashboard.testing.start``) and the command lines open it."""
    import shutil

    cluster = request.getfixturevalue("pg_cluster")
    template = request.getfixturevalue("demo_pg_template")
    shutil.copytree(demo_pg_raw_dir(request.getfixturevalue("tmp_path_factory")), folder / "raw")
    url = cluster.fresh_database(template=template)
    monkeypatch.setenv("ATHAR_DB", str(folder / "demo.duckdb"))
    monkeypatch.setenv("ATHAR_DATABASE_URL", url)

    def drop() -> None:
        from store.db import _open_stores, _registry_lock

        with _registry_lock:
            handle = _open_stores.get(url)
        if handle is not None:
            handle.close()
        cluster.drop_database(url)

    request.addfinalizer(drop)
    return url


def pg_module_copy(request: pytest.FixtureRequest, folder: Path) -> str:
    """:func:`pg_demo_copy` for a module-scoped fixture: ``ATHAR_DB`` and ``ATHAR_DATABASE_URL`` set until the
    module ends (the variables put back after the database is dropped: finalizers run last-in first-out)."""
    patch = pytest.MonkeyPatch()
    request.addfinalizer(patch.undo)
    return pg_demo_copy(request, folder, patch)


@pytest.fixture
def demo_copy(backend: str, tmp_path: Path, request: pytest.FixtureRequest,
              monkeypatch: pytest.MonkeyPatch) -> Path | str:
    """A private copy of the scored demo on this test's backend, for a test that writes: the DuckDB file
    (``demo_db_fresh``, ``ATHAR_DB`` naming it) or a PostgreSQL database's URL (:func:`pg_demo_copy`)."""
    if backend == "duckdb":
        path = request.getfixturevalue("demo_db_fresh")
        monkeypatch.setenv("ATHAR_DB", str(path))
        return path
    return pg_demo_copy(request, tmp_path, monkeypatch)


@pytest.fixture
def db_target(backend: str, db_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """What ``Store(...)`` opens for this test: the DuckDB file, or an empty PostgreSQL database (not migrated)
    whose raw files go beside ``db_path`` (``ATHAR_DB``'s folder, as in a deployment)."""
    if backend != "duckdb":
        monkeypatch.setenv("ATHAR_DB", str(db_path))
    return new_database(request, backend, db_path)


@pytest.fixture
def store(backend: str, db_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    from store.db import Store

    if backend == "duckdb":
        handle = Store(db_path)
        yield handle
        handle.close()
        return
    cluster = request.getfixturevalue("pg_cluster")
    monkeypatch.setenv("ATHAR_DB", str(db_path))
    url = cluster.fresh_database()  # a copy of the migrated template
    handle = Store(url)
    yield handle
    handle.close()
    cluster.drop_database(url)


@pytest.fixture
def sample_orgs_store(store, framework):
    """A store with the five organisations the shared samples refer to."""
    from ingest.orgs import read_org_file
    from store.registry import upsert_organizations

    parsed = read_org_file((SAMPLES / "organizations.csv").read_bytes(), "organizations.csv", framework)
    assert not parsed.has_errors, parsed.issues
    upsert_organizations(store, parsed.rows, actor="cli:test")
    return store


# -- dashboard: the demo network, loaded and scored through the real command lines ------------
def reopen_demo_periods(store, pairs, *, actor: str = "cli:test") -> int:
    """Release the demo's locks on (organisation, period) pairs through the committee's door (a
    reopen request with its reason, granted), for a test that loads values into an approved period
    of the demo (data/demo/cycle.toml approves 2025). Returns how many requests were granted."""
    from store import review

    granted = 0
    for org, period in sorted(set(pairs)):
        try:
            request = review.request_reopen(store, org, period, "test: new values", actor=actor)
        except review.ReviewError as exc:
            if exc.code == "not_locked":
                continue
            raise
        review.decide_reopen(store, request, grant=True, actor=actor)
        granted += 1
    return granted


@pytest.fixture(scope="session")
def demo_db_pristine(tmp_path_factory) -> Path:
    """``python -m ingest demo`` + ``python -m metrics score`` once per session; never opened here."""
    from dashboard.bootstrap import ensure_demo_database

    path = tmp_path_factory.mktemp("demo-pristine") / "demo.duckdb"
    assert ensure_demo_database(path)
    return path


@pytest.fixture(scope="session")
def demo_db(demo_db_pristine, tmp_path_factory) -> Path:
    """A copy of the demo database for tests that only read it (shared by the session)."""
    import shutil

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    shutil.copy(demo_db_pristine, path)
    return path


@pytest.fixture
def demo_db_fresh(demo_db_pristine, tmp_path) -> Path:
    """A private copy of the demo database for a test that writes (uploads, framework edits)."""
    import shutil

    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_pristine, path)
    return path
